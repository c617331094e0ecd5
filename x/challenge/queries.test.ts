import {
  QueryAuditsRequest,
  QueryAuditsResponse,
  QueryDisputeRequest,
  QueryDisputeResponse,
  QueryDisputesRequest,
  QueryDisputesResponse,
  QueryParamsRequest,
  QueryParamsResponse,
} from "../../gen/inferchain/challenge/v1/query";
import { GrpcStatus, MeteredReader, QueryError, QueryGasMeter } from "../../base/query";
import type { QueryHandler } from "../../base/module";
import { testValidatorAddrs } from "../slashing/testutil";
import { defaultParams, paramsToWire } from "./params";
import { challengeQueries } from "./queries";
import { MODEL, testAccount, testSetup, testWorker, type TestSetup } from "./testutil";
import { DisputeKind, DisputeStatus, Verdict, disputeFromWire, newRound, newVerifier, type Dispute } from "./types";

const op = (i: number): string => testValidatorAddrs(i).operator;

/**
 * Disputes 1..9 of jobs 101..109: odd ids are audits, even ones challenges; the worker is
 * validator id % 3; verifiers are validators 3 and 4 (6 too for ids > 6); status cycles
 * DRAWING, COMMIT, FINAL_OK.
 */
function seeded(): { t: TestSetup; q: (path: string) => QueryHandler } {
  const t = testSetup();
  const statuses = [DisputeStatus.DISPUTE_STATUS_DRAWING, DisputeStatus.DISPUTE_STATUS_COMMIT, DisputeStatus.DISPUTE_STATUS_FINAL_OK];
  for (let id = 1n; id <= 9n; id++) {
    const audit = id % 2n === 1n;
    const status = statuses[Number(id % 3n)];
    const w = Number(id % 3n);
    const challenger = audit ? "" : testAccount(2);
    const drawn = status !== DisputeStatus.DISPUTE_STATUS_DRAWING;
    const verifiers = drawn ? [3, 4, ...(id > 6n ? [6] : [])].map((i) => newVerifier(op(i), testWorker(i))) : [];
    const d: Dispute = {
      id,
      jobId: 100n + id,
      kind: audit ? DisputeKind.DISPUTE_KIND_AUDIT : DisputeKind.DISPUTE_KIND_CHALLENGE,
      status,
      operator: op(w),
      worker: testWorker(w),
      modelId: MODEL.id,
      challenger,
      openedHeight: 5n,
      resultHeight: 4n,
      rounds: [{ ...newRound(1, challenger, audit ? 0n : 1_000_000n + id, 6n), verifiers, verdict: status === DisputeStatus.DISPUTE_STATUS_FINAL_OK ? Verdict.VERDICT_OK : Verdict.VERDICT_UNSPECIFIED }],
      opened: false,
      openedOutput: new Uint8Array(),
      openedCannotRun: false,
      appealEndHeight: 0n,
      finalVerdict: status === DisputeStatus.DISPUTE_STATUS_FINAL_OK ? Verdict.VERDICT_OK : Verdict.VERDICT_UNSPECIFIED,
      finalHeight: status === DisputeStatus.DISPUTE_STATUS_FINAL_OK ? 20n : 0n,
    };
    t.k.setDispute(t.store, d);
  }
  t.k.setNextDisputeId(t.store, 10n);
  const handlers = challengeQueries(t.k);
  return { t, q: (path) => handlers.find((h) => h.path === `/inferchain.challenge.v1.Query/${path}`)! };
}

function disputes(q: (p: string) => QueryHandler, t: TestSetup, req: Partial<QueryDisputesRequest>): QueryDisputesResponse {
  const data = QueryDisputesRequest.encode({ jobId: 0n, status: DisputeStatus.DISPUTE_STATUS_UNSPECIFIED, validator: "", pagination: undefined, ...req }).finish();
  return QueryDisputesResponse.decode(q("Disputes").handle({ store: t.store, height: 1n }, data));
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

const ids = (r: { disputes: Array<{ id: bigint }> }): bigint[] => r.disputes.map((d) => d.id);
const page = (limit: bigint, key: Uint8Array = new Uint8Array(), countTotal = false, reverse = false): QueryDisputesRequest["pagination"] => ({ key, offset: 0n, limit, countTotal, reverse });

describe("challenge queries", () => {
  test("Dispute: the stored dispute, on the wire (bonds as decimal strings); NotFound for an unknown id or 0", () => {
    const { t, q } = seeded();
    const r = QueryDisputeResponse.decode(q("Dispute").handle({ store: t.store, height: 1n }, QueryDisputeRequest.encode({ id: 4n }).finish()));
    expect(disputeFromWire(r.dispute!)).toEqual(t.k.getDispute(t.store, 4n));
    expect(r.dispute!.rounds[0].bond).toBe("1000004");
    expect(grpcCode(() => q("Dispute").handle({ store: t.store, height: 1n }, QueryDisputeRequest.encode({ id: 99n }).finish()))).toBe(GrpcStatus.NOT_FOUND);
    expect(grpcCode(() => q("Dispute").handle({ store: t.store, height: 1n }, QueryDisputeRequest.encode({ id: 0n }).finish()))).toBe(GrpcStatus.NOT_FOUND);
  });

  test("Disputes: by job, status and validator (the job's operator or worker, or a verifier's), alone or together", () => {
    const { t, q } = seeded();
    expect(ids(disputes(q, t, {}))).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n]);
    expect(ids(disputes(q, t, { jobId: 104n }))).toEqual([4n]);
    expect(ids(disputes(q, t, { jobId: 999n }))).toEqual([]);
    expect(ids(disputes(q, t, { status: DisputeStatus.DISPUTE_STATUS_COMMIT }))).toEqual([1n, 4n, 7n]);
    expect(ids(disputes(q, t, { status: DisputeStatus.DISPUTE_STATUS_DRAWING }))).toEqual([3n, 6n, 9n]);
    // The job's operator, or its worker key.
    expect(ids(disputes(q, t, { validator: op(1) }))).toEqual([1n, 4n, 7n]);
    expect(ids(disputes(q, t, { validator: testWorker(2) }))).toEqual([2n, 5n, 8n]);
    // A verifier (operator or worker key): drawn in every dispute but the DRAWING ones.
    expect(ids(disputes(q, t, { validator: op(3) }))).toEqual([1n, 2n, 4n, 5n, 7n, 8n]);
    expect(ids(disputes(q, t, { validator: testWorker(6) }))).toEqual([7n, 8n]);
    expect(ids(disputes(q, t, { validator: op(6), status: DisputeStatus.DISPUTE_STATUS_FINAL_OK }))).toEqual([8n]);
    expect(ids(disputes(q, t, { jobId: 107n, validator: op(6) }))).toEqual([7n]);
    expect(ids(disputes(q, t, { jobId: 107n, validator: op(5) }))).toEqual([]);
    expect(ids(disputes(q, t, { jobId: 107n, status: DisputeStatus.DISPUTE_STATUS_FINAL_OK }))).toEqual([]);
  });

  test("Disputes: indexes follow a dispute's changes", () => {
    const { t, q } = seeded();
    const d = t.k.getDispute(t.store, 3n)!;
    t.k.setDispute(t.store, { ...d, status: DisputeStatus.DISPUTE_STATUS_COMMIT, rounds: [{ ...d.rounds[0], verifiers: [newVerifier(op(7), testWorker(7))], commitEndHeight: 11n }] });
    expect(ids(disputes(q, t, { status: DisputeStatus.DISPUTE_STATUS_DRAWING }))).toEqual([6n, 9n]);
    expect(ids(disputes(q, t, { status: DisputeStatus.DISPUTE_STATUS_COMMIT }))).toEqual([1n, 3n, 4n, 7n]);
    expect(ids(disputes(q, t, { validator: testWorker(7) }))).toEqual([3n]);
    expect(t.k.dueDisputes(t.store, 11n, 100).filter(([, id]) => id === 3n)).toEqual([[11n, 3n]]);
  });

  test("Disputes: paginated by key, with a total on request", () => {
    const { t, q } = seeded();
    const first = disputes(q, t, { validator: op(3), pagination: page(2n, undefined, true) });
    expect(ids(first)).toEqual([1n, 2n]);
    expect(first.pagination?.total).toBe(6n);
    const second = disputes(q, t, { validator: op(3), pagination: page(2n, first.pagination!.nextKey) });
    expect(ids(second)).toEqual([4n, 5n]);
    const third = disputes(q, t, { validator: op(3), pagination: page(2n, second.pagination!.nextKey) });
    expect(ids(third)).toEqual([7n, 8n]);
    expect(third.pagination?.nextKey).toHaveLength(0);
    expect(ids(disputes(q, t, { status: DisputeStatus.DISPUTE_STATUS_COMMIT, pagination: page(10n, undefined, false, true) }))).toEqual([7n, 4n, 1n]);
  });

  test("Disputes: an unknown status or a malformed validator is InvalidArgument", () => {
    const { t, q } = seeded();
    expect(grpcCode(() => disputes(q, t, { status: 8 as DisputeStatus }))).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(grpcCode(() => disputes(q, t, { validator: "cosmos1xyz" }))).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(grpcCode(() => disputes(q, t, { validator: op(3).toUpperCase() }))).toBe(GrpcStatus.INVALID_ARGUMENT);
  });

  test("Audits: disputes of kind AUDIT, newest first (oldest first with reverse), paginated", () => {
    const { t, q } = seeded();
    const audits = (pagination?: QueryAuditsRequest["pagination"]): QueryAuditsResponse =>
      QueryAuditsResponse.decode(q("Audits").handle({ store: t.store, height: 1n }, QueryAuditsRequest.encode({ pagination }).finish()));
    expect(ids(audits())).toEqual([9n, 7n, 5n, 3n, 1n]);
    const one = audits(page(2n));
    expect(ids(one)).toEqual([9n, 7n]);
    expect(ids(audits(page(2n, one.pagination!.nextKey)))).toEqual([5n, 3n]);
    expect(ids(audits(page(10n, undefined, false, true)))).toEqual([1n, 3n, 5n, 7n, 9n]);
  });

  test("Params; every query runs on a metered reader", () => {
    const { t, q } = seeded();
    const r = QueryParamsResponse.decode(q("Params").handle({ store: t.store, height: 1n }, QueryParamsRequest.encode({}).finish()));
    expect(r.params).toEqual(paramsToWire(defaultParams()));
    const meter = new QueryGasMeter();
    disputes(q, { ...t, store: new MeteredReader(t.store, meter) as unknown as TestSetup["store"] }, { validator: op(3) });
    expect(meter.consumed).toBeGreaterThan(0n);
  });
});
