import { createHash } from "node:crypto";
import { AppError, ErrInsufficientFunds } from "../../base/errors";
import type { MsgResponse } from "../../base/module";
import { moduleAddress, operatorAccount } from "../../base/types/address";
import {
  QueryDaIncidentsRequest,
  QueryDaIncidentsResponse,
  QueryDataRequestRequest,
  QueryDataRequestResponse,
  QueryDataRequestsRequest,
  QueryDataRequestsResponse,
} from "../../gen/inferchain/challenge/v1/query";
import { MsgRequestDataResponse } from "../../gen/inferchain/challenge/v1/tx";
import { msgProvideDataHandler, msgRequestDataHandler, processDataExpiries } from "./da";
import * as errors from "./errors";
import { exportGenesis, initGenesis, parseGenesis } from "./genesis";
import { msgChallengeHandler } from "./msgServer";
import { KIND_DATA_UNAVAILABLE } from "./keeper";
import { defaultParams, validateParams } from "./params";
import { challengeQueries } from "./queries";
import {
  CHALLENGE_MODULE,
  ErrFakeInput,
  addValidator,
  attrsOf,
  balance,
  blockCtx,
  deliver,
  expectError,
  expectOk,
  endBlock,
  moduleBalance,
  sampleInput,
  sampleOutput,
  supply,
  testAccount,
  testSetup,
  type TestSetup,
  type TestValidator,
} from "./testutil";

const INF = 1_000_000n;
const TOKENS = 10n * INF;
const BOND = defaultParams().dataRequestBond;
const URI = "https://data.example/inputs/1.bin";
const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
/** A job's input by URI: a batch of 3 rows (any size up to max_uri_input_bytes; the chain never fetches it). */
const DATA = sampleInput(3);


interface World {
  t: TestSetup;
  vals: TestValidator[];
  client: string;
  requester: string;
  /** A job by URI, result posted at height 10 by validator 0 (window 10). */
  jobId: bigint;
  /** An inline job of validator 0, result posted at height 10. */
  inlineId: bigint;
}

function world(): World {
  // No audits: the tests below open disputes only when they mean to.
  const t = testSetup({ auditRatePpm: 1n });
  const vals = [0, 1, 2, 3].map((i) => addValidator(t, i, TOKENS));
  const client = testAccount(1);
  const requester = testAccount(2);
  t.bank.mint(t.store, requester, 10n * INF);
  t.bank.mint(t.store, client, 10n * INF);
  const ctx = blockCtx(t, 10n);
  const jobId = t.inference.postResult(ctx, { client, operator: vals[0].operator, worker: vals[0].worker, output: sampleOutput(3), inputUri: URI, inputSha256: sha(DATA) });
  const inlineId = t.inference.postResult(ctx, { client, operator: vals[0].operator, worker: vals[0].worker, output: sampleOutput() });
  return { t, vals, client, requester, jobId, inlineId };
}

const request = (w: World, height: bigint, o: { requester?: string; jobId?: bigint; bond?: bigint } = {}): MsgResponse | AppError =>
  deliver(blockCtx(w.t, height), msgRequestDataHandler(w.t.k), { requester: o.requester ?? w.requester, jobId: o.jobId ?? w.jobId, bond: o.bond ?? BOND });

const provide = (w: World, height: bigint, o: { worker?: string; jobId?: bigint; data?: Uint8Array } = {}): MsgResponse | AppError =>
  deliver(blockCtx(w.t, height), msgProvideDataHandler(w.t.k), { worker: o.worker ?? w.vals[0].worker, jobId: o.jobId ?? w.jobId, data: o.data ?? DATA });

/** End of blocks from..to (inclusive). */
function runBlocks(w: World, from: bigint, to: bigint): void {
  for (let h = from; h <= to; h++) endBlock(w.t, blockCtx(w.t, h));
}

const tokens = (w: World, i: number): bigint => w.t.staking.validator(w.t.store, w.vals[i].operator)!.tokens;
const jailed = (w: World, i: number): boolean => w.t.staking.validator(w.t.store, w.vals[i].operator)!.jailed;
const daSlashes = (w: World): number => [...w.t.slashing.slashEvents(w.t.store)].filter((e) => e.kind === KIND_DATA_UNAVAILABLE).length;

describe("MsgRequestData", () => {
  it("escrows the bond and opens one request with a deadline da_response_blocks away", () => {
    const w = world();
    const before = supply(w.t);
    const r = expectOk(request(w, 11n));
    expect(MsgRequestDataResponse.decode(r.value).deadlineHeight).toBe(21n);
    expect(balance(w.t, w.requester)).toBe(10n * INF - BOND);
    expect(moduleBalance(w.t, CHALLENGE_MODULE)).toBe(BOND);
    expect(w.t.k.getDataRequest(w.t.store, w.jobId)).toMatchObject({ requester: w.requester, bond: BOND, worker: w.vals[0].worker, operator: w.vals[0].operator, inputSha256: sha(DATA), requestedHeight: 11n, deadlineHeight: 21n, resultHeight: 10n });
    expect(supply(w.t)).toBe(before);
  });

  it("emits data_requested naming the worker, the URI and the deadline", () => {
    const w = world();
    const ctx = blockCtx(w.t, 11n);
    expectOk(deliver(ctx, msgRequestDataHandler(w.t.k), { requester: w.requester, jobId: w.jobId, bond: BOND }));
    expect(attrsOf(ctx.events.events(), "data_requested")).toEqual([
      { job_id: w.jobId.toString(), requester: w.requester, bond: `${BOND}uinf`, operator: w.vals[0].operator, worker: w.vals[0].worker, input_uri: URI, input_sha256: sha(DATA), deadline_height: "21" },
    ]);
  });

  it("refuses an inline job, an unknown job, a bond below data_request_bond, and a second request (spam)", () => {
    const w = world();
    expectError(request(w, 11n, { jobId: w.inlineId }), errors.ErrNotUriJob);
    expectError(request(w, 11n, { jobId: 99n }), errors.ErrUnknownJob);
    expectError(request(w, 11n, { bond: BOND - 1n }), errors.ErrBondTooLow);
    expectError(request(w, 11n, { bond: 0n }), errors.ErrInvalidBond);
    expectOk(request(w, 11n));
    expectError(request(w, 12n, { requester: testAccount(3) }), errors.ErrDataRequestOpen);
    // The refused ones moved nothing: one bond held.
    expect(moduleBalance(w.t, CHALLENGE_MODULE)).toBe(BOND);
  });

  it("refuses a requester that cannot pay the bond", () => {
    const w = world();
    expectError(request(w, 11n, { requester: testAccount(9) }), ErrInsufficientFunds);
    expect(w.t.k.getDataRequest(w.t.store, w.jobId)).toBeUndefined();
  });

  it("is open while the result is open or disputed, and closed once the job finalized", () => {
    const w = world();
    // Disputed: still open.
    w.t.bank.mint(w.t.store, testAccount(3), 10n * INF);
    expectOk(deliver(blockCtx(w.t, 11n), msgChallengeHandler(w.t.k), { challenger: testAccount(3), jobId: w.jobId, bond: INF }));
    expect(w.t.inference.job(w.t.store, w.jobId)!.status).toBe("disputed");
    expectOk(request(w, 11n));
    // The other (inline) job finalizes at 20; a URI job posted at 10 with no dispute likewise.
    const w2 = world();
    runBlocks(w2, 10n, 20n);
    expect(w2.t.inference.job(w2.t.store, w2.jobId)!.status).toBe("finalized");
    expectError(request(w2, 21n), errors.ErrDataRequestWindow);
  });

  it("refuses when the input is on chain already", () => {
    const w = world();
    expectOk(request(w, 11n));
    expectOk(provide(w, 12n));
    expectError(request(w, 13n), errors.ErrDataOnChain);
  });
});

describe("MsgProvideData", () => {
  it("attaches the bytes to the job, pays the bond to the worker and closes the request", () => {
    const w = world();
    expectOk(request(w, 11n));
    const workerBefore = balance(w.t, w.vals[0].worker);
    const ctx = blockCtx(w.t, 15n);
    expectOk(deliver(ctx, msgProvideDataHandler(w.t.k), { worker: w.vals[0].worker, jobId: w.jobId, data: DATA }));
    expect(w.t.inference.job(w.t.store, w.jobId)!.input).toEqual(DATA);
    expect(balance(w.t, w.vals[0].worker)).toBe(workerBefore + BOND);
    expect(moduleBalance(w.t, CHALLENGE_MODULE)).toBe(0n);
    expect(w.t.k.getDataRequest(w.t.store, w.jobId)).toBeUndefined();
    expect(attrsOf(ctx.events.events(), "data_provided")).toEqual([{ job_id: w.jobId.toString(), worker: w.vals[0].worker, requester: w.requester, bond: `${BOND}uinf`, bytes: DATA.length.toString() }]);
    // Nothing happens at the old deadline: an honest worker is never slashed.
    runBlocks(w, 15n, 30n);
    expect(tokens(w, 0)).toBe(TOKENS);
    expect(daSlashes(w)).toBe(0);
    expect(w.t.k.getDaIncidents(w.t.store, w.vals[0].operator)).toBe(0n);
  });

  it("refuses wrong bytes, bytes that do not fit the model, another signer, no request, and empty data", () => {
    const w = world();
    expectError(provide(w, 11n), errors.ErrNoDataRequest);
    expectOk(request(w, 11n));
    expectError(provide(w, 12n, { data: sampleInput(2) }), errors.ErrDataHashMismatch);
    // Hashes right but is no tensor list of the model's inputs (a job submitted with a hash of garbage).
    const garbage = new TextEncoder().encode("not a tensor list");
    const w2 = world();
    const bad = w2.t.inference.postResult(blockCtx(w2.t, 10n), { client: w2.client, operator: w2.vals[0].operator, worker: w2.vals[0].worker, output: sampleOutput(), inputUri: URI, inputSha256: sha(garbage) });
    expectOk(request(w2, 11n, { jobId: bad }));
    expectError(provide(w2, 12n, { jobId: bad, data: garbage }), ErrFakeInput);
    // Another validator's worker, the operator's own account, the requester: not the job's worker key.
    expectError(provide(w, 12n, { worker: w.vals[1].worker }), errors.ErrNotJobWorker);
    expectError(provide(w, 12n, { worker: operatorAccount(w.vals[0].operator) }), errors.ErrNotJobWorker);
    expectError(provide(w, 12n, { worker: w.requester }), errors.ErrNotJobWorker);
    expectError(provide(w, 12n, { data: new Uint8Array() }), errors.ErrInvalidData);
    // None of them closed the request or moved the bond.
    expect(w.t.k.getDataRequest(w.t.store, w.jobId)).toBeDefined();
    expect(moduleBalance(w.t, CHALLENGE_MODULE)).toBe(BOND);
  });

  it("is accepted up to the deadline block and refused after it", () => {
    const w = world();
    expectOk(request(w, 11n));
    expectError(provide(w, 22n), errors.ErrDataRequestExpired);
    expectOk(provide(w, 21n));
  });

  it("is still accepted after the job finalized (the request outlives the window)", () => {
    const w = world();
    expectOk(request(w, 18n));
    runBlocks(w, 18n, 20n);
    expect(w.t.inference.job(w.t.store, w.jobId)!.status).toBe("finalized");
    expectOk(provide(w, 25n));
    expect(daSlashes(w)).toBe(0);
  });
});

describe("data request expiry (EndBlock)", () => {
  it("a withholding worker: bond back, slashed exactly slash_fraction_unavailable, one incident", () => {
    const w = world();
    const before = supply(w.t);
    expectOk(request(w, 11n));
    runBlocks(w, 11n, 20n);
    expect(w.t.k.getDataRequest(w.t.store, w.jobId)).toBeDefined();
    const ctx = blockCtx(w.t, 21n);
    endBlock(w.t, ctx);
    expect(w.t.k.getDataRequest(w.t.store, w.jobId)).toBeUndefined();
    expect(balance(w.t, w.requester)).toBeGreaterThanOrEqual(10n * INF);
    expect(moduleBalance(w.t, CHALLENGE_MODULE)).toBe(0n);
    // 0.1% of 10 INF.
    expect(tokens(w, 0)).toBe(TOKENS - TOKENS / 1000n);
    const s = [...w.t.slashing.slashEvents(w.t.store)].find((e) => e.kind === KIND_DATA_UNAVAILABLE)!;
    expect(s).toMatchObject({ validator: w.vals[0].operator, fractionPpm: 1_000n, amount: TOKENS / 1000n, infractionHeight: 10n, jailed: false, tombstoned: false });
    // The requester is the reporter: it gets reporter_reward_ppm (10%) of the cut on top of its bond.
    expect(balance(w.t, w.requester)).toBe(10n * INF + TOKENS / 1000n / 10n);
    expect(w.t.k.getDaIncidents(w.t.store, w.vals[0].operator)).toBe(1n);
    expect(attrsOf(ctx.events.events(), "data_unavailable")).toEqual([
      { job_id: w.jobId.toString(), operator: w.vals[0].operator, worker: w.vals[0].worker, requester: w.requester, slashed: "true", incidents: "1", jailed: "false", reason: "expired" },
    ]);
    // Nothing else moved: the slash went to the treasury and the reporter.
    expect(supply(w.t)).toBe(before);
    expect(jailed(w, 0)).toBe(false);
  });

  it("jails the validator at max_da_incidents and starts its count again; other validators untouched", () => {
    const w = world();
    const max = defaultParams().maxDaIncidents;
    const ids: bigint[] = [];
    for (let i = 0; i < max; i++) {
      ids.push(w.t.inference.postResult(blockCtx(w.t, 10n), { client: w.client, operator: w.vals[0].operator, worker: w.vals[0].worker, output: sampleOutput(), inputUri: `${URI}?n=${i}`, inputSha256: sha(sampleInput(1, BigInt(i))) }));
    }
    w.t.bank.mint(w.t.store, w.requester, BigInt(max) * BOND);
    for (const id of ids) expectOk(request(w, 11n, { jobId: id }));
    runBlocks(w, 11n, 20n);
    expect(jailed(w, 0)).toBe(false);
    endBlock(w.t, blockCtx(w.t, 21n));
    expect(daSlashes(w)).toBe(max);
    expect(jailed(w, 0)).toBe(true);
    const last = [...w.t.slashing.slashEvents(w.t.store)].filter((e) => e.kind === KIND_DATA_UNAVAILABLE).pop()!;
    expect(last).toMatchObject({ jailed: true, tombstoned: false });
    // Each incident cut 0.1% of what was left.
    let expected = TOKENS;
    for (let i = 0; i < max; i++) expected -= expected / 1000n;
    expect(tokens(w, 0)).toBe(expected);
    expect(w.t.k.getDaIncidents(w.t.store, w.vals[0].operator)).toBe(0n);
    for (const i of [1, 2, 3]) {
      expect(tokens(w, i)).toBe(TOKENS);
      expect(jailed(w, i)).toBe(false);
    }
  });

  it("settles at most max_da_expiries_per_block per block; the rest the next block", () => {
    const w = world();
    w.t.k.setParams(w.t.store, { ...w.t.k.getParams(w.t.store), maxDaExpiriesPerBlock: 1 });
    const other = w.t.inference.postResult(blockCtx(w.t, 10n), { client: w.client, operator: w.vals[1].operator, worker: w.vals[1].worker, output: sampleOutput(), inputUri: URI, inputSha256: sha(DATA) });
    expectOk(request(w, 11n));
    expectOk(request(w, 11n, { jobId: other }));
    expect(processDataExpiries(w.t.k, blockCtx(w.t, 21n), w.t.k.getParams(w.t.store))).toBe(1);
    expect(daSlashes(w)).toBe(1);
    expect(processDataExpiries(w.t.k, blockCtx(w.t, 22n), w.t.k.getParams(w.t.store))).toBe(1);
    expect(daSlashes(w)).toBe(2);
  });

  it("a job whose record is gone by the deadline: bond back, no slash", () => {
    const w = world();
    expectOk(request(w, 11n));
    w.t.inference.remove(w.t.store, w.jobId);
    const ctx = blockCtx(w.t, 21n);
    endBlock(w.t, ctx);
    expect(daSlashes(w)).toBe(0);
    expect(balance(w.t, w.requester)).toBe(10n * INF);
    expect(attrsOf(ctx.events.events(), "data_unavailable")[0]).toMatchObject({ slashed: "false", reason: "job_gone" });
  });

  it("a pruned job: the bytes are checked and the request closes, nothing is kept", () => {
    const w = world();
    expectOk(request(w, 11n));
    w.t.inference.prune(w.t.store, w.jobId);
    expectError(provide(w, 12n, { data: sampleInput(2) }), errors.ErrDataHashMismatch);
    expectOk(provide(w, 12n));
    expect(w.t.inference.job(w.t.store, w.jobId)!.input.length).toBe(0);
  });

  it("the worker asking about its own job earns no reporter reward", () => {
    const w = world();
    w.t.bank.mint(w.t.store, w.vals[0].worker, INF);
    expectOk(request(w, 11n, { requester: w.vals[0].worker }));
    runBlocks(w, 11n, 21n);
    const s = [...w.t.slashing.slashEvents(w.t.store)].find((e) => e.kind === KIND_DATA_UNAVAILABLE)!;
    expect(s.reporters).toEqual([]);
  });
});

describe("params, genesis and queries", () => {
  it("validates the data-availability params", () => {
    const p = defaultParams();
    expect(() => validateParams(p)).not.toThrow();
    for (const bad of [{ daResponseBlocks: 0n }, { dataRequestBond: 0n }, { maxDaIncidents: 0 }, { slashFractionUnavailablePpm: 1_000_001n }, { daJailBlocks: 0n }, { maxDaExpiriesPerBlock: 0 }]) {
      expect(() => validateParams({ ...p, ...bad })).toThrow(errors.ErrInvalidParams.message);
    }
  });

  it("exports and imports open requests and incident counts; the bonds must be held", () => {
    const w = world();
    expectOk(request(w, 11n));
    w.t.k.setDaIncidents(w.t.store, w.vals[2].operator, 3n);
    const g = exportGenesis(w.t.k, { store: w.t.store, height: 11n } as never);
    expect(g.data_requests).toHaveLength(1);
    expect(g.da_incidents).toEqual([{ operator: w.vals[2].operator, count: "3" }]);
    const json = JSON.parse(JSON.stringify(g));
    // Into a fresh chain whose challenge account holds the bond.
    const t2 = testSetup();
    t2.bank.mint(t2.store, testAccount(50), BOND);
    t2.bank.send(t2.store, testAccount(50), moduleAddress(CHALLENGE_MODULE), BOND);
    initGenesis(t2.k, blockCtx(t2, 0n), json);
    expect(t2.k.getDataRequest(t2.store, w.jobId)).toEqual(w.t.k.getDataRequest(w.t.store, w.jobId));
    expect(t2.k.getDaIncidents(t2.store, w.vals[2].operator)).toBe(3n);
    expect(t2.k.dueDataRequests(t2.store, 21n, 10)).toEqual([[21n, w.jobId]]);
    // Without the bond in the account: refused.
    const t3 = testSetup();
    expect(() => initGenesis(t3.k, blockCtx(t3, 0n), json)).toThrow(errors.ErrInvalidGenesis.message);
    // Two requests for one job, a deadline before the request, a bad hash: refused.
    const r = json.data_requests[0];
    expect(() => parseGenesis({ ...json, data_requests: [r, r] })).toThrow("two open requests");
    expect(() => parseGenesis({ ...json, data_requests: [{ ...r, deadline_height: r.requested_height }] })).toThrow(errors.ErrInvalidGenesis.message);
    expect(() => parseGenesis({ ...json, data_requests: [{ ...r, input_sha256: "ab" }] })).toThrow(errors.ErrInvalidGenesis.message);
    expect(() => parseGenesis({ ...json, da_incidents: [{ operator: w.vals[2].operator, count: "0" }] })).toThrow(errors.ErrInvalidGenesis.message);
  });

  it("answers DataRequest, DataRequests and DaIncidents", () => {
    const w = world();
    expectOk(request(w, 11n));
    const q = new Map(challengeQueries(w.t.k).map((h) => [h.path.split("/").pop()!, h]));
    const ctx = { store: w.t.store, height: 11n } as never;
    const one = QueryDataRequestResponse.decode(q.get("DataRequest")!.handle(ctx, QueryDataRequestRequest.encode({ jobId: w.jobId }).finish()));
    expect(one.request).toMatchObject({ jobId: w.jobId, bond: BOND.toString(), deadlineHeight: 21n });
    expect(() => q.get("DataRequest")!.handle(ctx, QueryDataRequestRequest.encode({ jobId: w.inlineId }).finish())).toThrow(/no open data request/);
    const mine = QueryDataRequestsResponse.decode(q.get("DataRequests")!.handle(ctx, QueryDataRequestsRequest.encode({ validator: w.vals[0].worker }).finish()));
    expect(mine.requests.map((r) => r.jobId)).toEqual([w.jobId]);
    const theirs = QueryDataRequestsResponse.decode(q.get("DataRequests")!.handle(ctx, QueryDataRequestsRequest.encode({ validator: w.vals[1].operator }).finish()));
    expect(theirs.requests).toEqual([]);
    const all = QueryDataRequestsResponse.decode(q.get("DataRequests")!.handle(ctx, QueryDataRequestsRequest.encode({ validator: "" }).finish()));
    expect(all.requests).toHaveLength(1);
    runBlocks(w, 11n, 21n);
    const inc = QueryDaIncidentsResponse.decode(q.get("DaIncidents")!.handle(ctx, QueryDaIncidentsRequest.encode({ validator: w.vals[0].operator }).finish()));
    expect(inc).toEqual({ count: 1n, maxDaIncidents: 10 });
    expect(() => q.get("DaIncidents")!.handle(ctx, QueryDaIncidentsRequest.encode({ validator: w.vals[0].worker }).finish())).toThrow(/infervaloper/);
  });
});
