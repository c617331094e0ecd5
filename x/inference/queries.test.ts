import {
  QueryJobRequest,
  QueryJobResponse,
  QueryJobsRequest,
  QueryJobsResponse,
  QueryParamsRequest,
  QueryParamsResponse,
} from "../../gen/inferchain/inference/v1/query";
import { GrpcStatus, MeteredReader, QueryError, QueryGasMeter } from "../../base/query";
import type { QueryHandler } from "../../base/module";
import { inferenceQueries } from "./queries";
import { MODEL, testAccount, testSetup, testValidatorAddrs, testWorker, type TestSetup } from "./testutil";
import { JobStatus, jobFromWire, newJob, type Job } from "./types";
import { defaultParams, paramsToWire } from "./params";
import { jobKey } from "./keys";

const dec = new TextDecoder();

/** Jobs 1..12: client 1 owns the odd ones; ids ≡ 0 mod 3 are ASSIGNED to worker 0, ≡ 1 to worker 1, ≡ 2 PENDING. */
function seeded(): { t: TestSetup; q: (path: string) => QueryHandler } {
  const t = testSetup();
  for (let id = 1n; id <= 12n; id++) {
    const client = testAccount(id % 2n === 1n ? 1 : 2);
    const j = newJob({ id, client, modelId: MODEL.id, input: Uint8Array.of(1), fee: 1000n + id, height: 2n });
    const w = Number(id % 3n);
    const op = testValidatorAddrs(w).operator;
    const job: Job = w === 2 ? j : { ...j, status: JobStatus.JOB_STATUS_ASSIGNED, attempts: 1, operator: op, worker: testWorker(w), assignedHeight: 2n, deadlineHeight: 12n, hardDeadlineHeight: 22n, triedOperators: [op] };
    t.k.setJob(t.store, job);
  }
  const handlers = inferenceQueries(t.k);
  return { t, q: (path) => handlers.find((h) => h.path === `/inferchain.inference.v1.Query/${path}`)! };
}

function jobs(q: (p: string) => QueryHandler, t: TestSetup, req: Partial<QueryJobsRequest>): QueryJobsResponse {
  const data = QueryJobsRequest.encode({ status: JobStatus.JOB_STATUS_UNSPECIFIED, client: "", worker: "", pagination: undefined, ...req }).finish();
  return QueryJobsResponse.decode(q("Jobs").handle({ store: t.store, height: 1n }, data));
}

function grpcCode(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof QueryError) return e.grpcCode;
    throw e;
  }
  return undefined;
}

const ids = (r: QueryJobsResponse): bigint[] => r.jobs.map((j) => j.id);

describe("inference queries", () => {
  test("Job: the stored job, on the wire; NotFound for an unknown id or 0", () => {
    const { t, q } = seeded();
    const r = QueryJobResponse.decode(q("Job").handle({ store: t.store, height: 1n }, QueryJobRequest.encode({ id: 4n }).finish()));
    expect(jobFromWire(r.job!)).toEqual(t.k.getJob(t.store, 4n));
    expect(r.job!.fee).toBe("1004");
    expect(grpcCode(() => q("Job").handle({ store: t.store, height: 1n }, QueryJobRequest.encode({ id: 99n }).finish()))).toBe(GrpcStatus.NOT_FOUND);
    expect(grpcCode(() => q("Job").handle({ store: t.store, height: 1n }, QueryJobRequest.encode({ id: 0n }).finish()))).toBe(GrpcStatus.NOT_FOUND);
  });

  test("Jobs: no filter lists every job in id order", () => {
    const { t, q } = seeded();
    expect(ids(jobs(q, t, {}))).toEqual(Array.from({ length: 12 }, (_, i) => BigInt(i + 1)));
  });

  test("Jobs: each filter, and filters combined", () => {
    const { t, q } = seeded();
    expect(ids(jobs(q, t, { status: JobStatus.JOB_STATUS_PENDING }))).toEqual([2n, 5n, 8n, 11n]);
    expect(ids(jobs(q, t, { client: testAccount(1) }))).toEqual([1n, 3n, 5n, 7n, 9n, 11n]);
    expect(ids(jobs(q, t, { worker: testWorker(0) }))).toEqual([3n, 6n, 9n, 12n]);
    expect(ids(jobs(q, t, { client: testAccount(1), worker: testWorker(0) }))).toEqual([3n, 9n]);
    expect(ids(jobs(q, t, { client: testAccount(2), status: JobStatus.JOB_STATUS_PENDING }))).toEqual([2n, 8n]);
    expect(ids(jobs(q, t, { worker: testWorker(1), status: JobStatus.JOB_STATUS_ASSIGNED }))).toEqual([1n, 4n, 7n, 10n]);
    expect(ids(jobs(q, t, { status: JobStatus.JOB_STATUS_FINALIZED }))).toEqual([]);
    expect(ids(jobs(q, t, { client: testAccount(3) }))).toEqual([]);
  });

  test("Jobs: pages by next_key with total, forwards and in reverse, with a filter", () => {
    const { t, q } = seeded();
    const p1 = jobs(q, t, { client: testAccount(1), pagination: { key: new Uint8Array(), offset: 0n, limit: 4n, countTotal: true, reverse: false } });
    expect(ids(p1)).toEqual([1n, 3n, 5n, 7n]);
    expect(dec.decode(p1.pagination!.nextKey)).toBe("00000000000000000009");
    expect(p1.pagination!.total).toBe(6n);
    const p2 = jobs(q, t, { client: testAccount(1), pagination: { key: p1.pagination!.nextKey, offset: 0n, limit: 4n, countTotal: true, reverse: false } });
    expect(ids(p2)).toEqual([9n, 11n]);
    expect(p2.pagination!.nextKey.length).toBe(0);
    expect(p2.pagination!.total).toBe(0n); // Cosmos: count_total is ignored with a key

    const r1 = jobs(q, t, { status: JobStatus.JOB_STATUS_ASSIGNED, pagination: { key: new Uint8Array(), offset: 0n, limit: 3n, countTotal: false, reverse: true } });
    expect(ids(r1)).toEqual([12n, 10n, 9n]);
    expect(r1.pagination!.total).toBe(0n);
    const r2 = jobs(q, t, { status: JobStatus.JOB_STATUS_ASSIGNED, pagination: { key: r1.pagination!.nextKey, offset: 0n, limit: 3n, countTotal: false, reverse: true } });
    expect(ids(r2)).toEqual([7n, 6n, 4n]);

    const off = jobs(q, t, { worker: testWorker(0), pagination: { key: new Uint8Array(), offset: 2n, limit: 1n, countTotal: true, reverse: false } });
    expect(ids(off)).toEqual([9n]);
    expect(off.pagination!.total).toBe(4n);
  });

  test("Jobs: offset and count_total decode only the page (an undecodable job beyond it breaks nothing)", () => {
    const { t, q } = seeded();
    t.store.set(jobKey(12n), Uint8Array.of(0xff, 0xff, 0xff));
    const r = jobs(q, t, { pagination: { key: new Uint8Array(), offset: 2n, limit: 3n, countTotal: true, reverse: false } });
    expect(ids(r)).toEqual([3n, 4n, 5n]);
    expect(r.pagination!.total).toBe(12n);
    const c = jobs(q, t, { client: testAccount(2), status: JobStatus.JOB_STATUS_ASSIGNED, pagination: { key: new Uint8Array(), offset: 0n, limit: 2n, countTotal: true, reverse: false } });
    expect(ids(c)).toEqual([4n, 6n]);
    expect(c.pagination!.total).toBe(4n);
  });

  test("Jobs: a limit above 1000 is capped; a page too big for the query gas is ResourceExhausted", () => {
    const { t, q } = seeded();
    for (let id = 13n; id <= 1_112n; id++) t.k.setJob(t.store, newJob({ id, client: testAccount(3), modelId: MODEL.id, input: Uint8Array.of(1), fee: 1n, height: 2n }));
    const capped = jobs(q, t, { client: testAccount(3), pagination: { key: new Uint8Array(), offset: 0n, limit: 5_000n, countTotal: false, reverse: false } });
    expect(capped.jobs).toHaveLength(1000);
    expect(capped.pagination!.nextKey.length).toBeGreaterThan(0);

    for (let id = 1_113n; id <= 1_152n; id++) t.k.setJob(t.store, newJob({ id, client: testAccount(4), modelId: MODEL.id, input: new Uint8Array(100_000), fee: 1n, height: 2n }));
    const metered = (req: Partial<QueryJobsRequest>): Uint8Array =>
      q("Jobs").handle({ store: new MeteredReader(t.store, new QueryGasMeter()), height: 1n }, QueryJobsRequest.encode({ status: 0, client: testAccount(4), worker: "", pagination: undefined, ...req }).finish());
    expect(grpcCode(() => metered({}))).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(QueryJobsResponse.decode(metered({ pagination: { key: new Uint8Array(), offset: 0n, limit: 5n, countTotal: false, reverse: false } })).jobs).toHaveLength(5);
  });

  test("Jobs: bad filters are InvalidArgument", () => {
    const { t, q } = seeded();
    expect(grpcCode(() => jobs(q, t, { client: "infer1bad" }))).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(grpcCode(() => jobs(q, t, { worker: testValidatorAddrs(0).operator }))).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(grpcCode(() => jobs(q, t, { status: 9 as JobStatus }))).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(grpcCode(() => jobs(q, t, { pagination: { key: Uint8Array.of(0x30), offset: 1n, limit: 1n, countTotal: false, reverse: false } }))).toBe(GrpcStatus.INVALID_ARGUMENT);
  });

  test("Params", () => {
    const { t, q } = seeded();
    const r = QueryParamsResponse.decode(q("Params").handle({ store: t.store, height: 1n }, QueryParamsRequest.encode({}).finish()));
    expect(r.params).toEqual(paramsToWire(defaultParams()));
  });
});
