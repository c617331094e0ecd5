/**
 * Per-job economic security as x/inference applies it (SPEC §4 "Economic security check"):
 * assignment only to validators whose stake secures the fee, the job's audit rate fixed then,
 * submission refused when no serving validator could. x/challenge's own rule (security.ts)
 * answers through FakeChallenge, at its default params: 5% base, 25% max, 2× safety, 100% slash,
 * so a stake S secures fees up to S / 40 at the base rate and S / 8 at all.
 */
import type { Event } from "cosmjs-types/tendermint/abci/types";
import { MsgSubmitJob } from "../../gen/inferchain/inference/v1/tx";
import { QueryJobRequest, QueryJobResponse } from "../../gen/inferchain/inference/v1/query";
import { AppError } from "../../base/errors";
import { Branch } from "../../base/store/kv";
import { assignJob, endBlocker, timeoutJob } from "./abci";
import { ErrFeeNotSecured, ErrInvalidFee } from "./errors";
import { jobFromJson, jobToJson, parseGenesis } from "./genesis";
import { msgSubmitJobHandler } from "./msgServer";
import { inferenceQueries } from "./queries";
import { FakeChallenge, JOB_ESCROW_MODULE, MODEL, addValidator, ctxAt, fundedClient, sampleInput, testSetup, type TestSetup, type TestValidator } from "./testutil";
import { JobStatus, type Job } from "./types";

const INF = 1_000_000n;

function attrs(events: readonly Event[], type: string): Array<Record<string, string>> {
  return events.filter((e) => e.type === type).map((e) => Object.fromEntries(e.attributes.map((a) => [a.key, a.value])));
}

/** A chain with x/challenge wired (FakeChallenge) and validators with these stakes. */
function chain(stakes: readonly bigint[], wire = true): { t: TestSetup; vals: TestValidator[]; client: string; challenge: FakeChallenge } {
  const t = testSetup();
  const challenge = new FakeChallenge();
  if (wire) t.k.setChallengeKeeper(challenge);
  const vals = stakes.map((s, i) => addValidator(t, i, s));
  const client = fundedClient(t, 10_000n * INF);
  return { t, vals, client, challenge };
}

/** MsgSubmitJob as BaseApp runs it at `height`: the job id, or the AppError it was refused with (nothing written then). */
function submit(t: TestSetup, client: string, fee: bigint | string, height = 4n): bigint | AppError {
  const h = msgSubmitJobHandler(t.k);
  const branch = new Branch(t.store);
  try {
    const msg = h.decode(MsgSubmitJob.encode({ client, modelId: MODEL.id, input: sampleInput(), inputUri: "", inputSha256: "", fee: fee.toString() }).finish());
    h.validateBasic(msg);
    h.execute(ctxAt(branch, height), msg);
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  branch.write();
  return t.k.getNextJobId(t.store) - 1n;
}

function endBlock(t: TestSetup, height: bigint, hash?: Uint8Array): Event[] {
  const ctx = ctxAt(t.store, height, hash);
  endBlocker(t.k, ctx);
  return ctx.events.events();
}

const job = (t: TestSetup, id: bigint): Job => t.k.getJob(t.store, id)!;
const mustId = (r: bigint | AppError): bigint => {
  if (r instanceof AppError) throw r;
  return r;
};

describe("assignment: only validators whose stake secures the fee (attacker: a tiny stake fishing for big fees)", () => {
  test("a tiny-stake validator is never assigned a job it cannot secure, whatever the draw; it still gets small jobs", () => {
    // tiny: 10 INF secures fees up to 1.25 INF; big: 1000 INF, up to 125 INF.
    const { t, vals, client, challenge } = chain([10n * INF, 1000n * INF]);
    const [tiny, big] = vals;
    const bigFee: bigint[] = [];
    const smallFee: bigint[] = [];
    // Nobody answers; the big one is tried first, and after its timeout (a reassignment) the
    // tiny one is still never drawn: those jobs fail instead.
    for (let h = 1n; h <= 30n; h++) {
      bigFee.push(mustId(submit(t, client, 5n * INF, h)));
      smallFee.push(mustId(submit(t, client, 10_000n, h)));
    }
    for (let h = 2n; h <= 40n; h++) endBlock(t, h, new Uint8Array(32).fill(Number(h)));
    for (const id of bigFee) {
      expect(job(t, id).triedOperators).toEqual([big.operator]);
      expect([JobStatus.JOB_STATUS_ASSIGNED, JobStatus.JOB_STATUS_FAILED]).toContain(job(t, id).status);
      // 5 INF on 1000 INF: ⌈2 × 5 × 10^6 / 1000⌉ = 10000 ppm, below the base: 5%.
      if (job(t, id).status === JobStatus.JOB_STATUS_ASSIGNED) expect(job(t, id).auditRatePpm).toBe(50_000n);
    }
    // Small jobs go to both (reassigned after a timeout to the other one: the tiny one is not excluded from what it can secure).
    expect(smallFee.some((id) => job(t, id).triedOperators.includes(tiny.operator))).toBe(true);
    // Every assigned job's rate is exactly what x/challenge's rule gives on its assignee's stake.
    const stakeOf = new Map([
      [tiny.operator, 10n * INF],
      [big.operator, 1000n * INF],
    ]);
    const assigned = [...bigFee, ...smallFee].map((id) => job(t, id)).filter((j) => j.status === JobStatus.JOB_STATUS_ASSIGNED);
    expect(assigned.length).toBeGreaterThan(10);
    for (const j of assigned) expect(j.auditRatePpm).toBe(challenge.jobAuditRate(t.store, j.fee, stakeOf.get(j.operator)!));
  });

  test("a fee between the stakes: the small validator is left out of the draw, the large one gets it at a raised rate", () => {
    // 3 INF: small (20 INF) would need 30% > 25%; large (40 INF) needs 15%.
    const { t, vals, client } = chain([20n * INF, 40n * INF]);
    for (let h = 1n; h <= 20n; h++) mustId(submit(t, client, 3n * INF, h));
    for (let h = 2n; h <= 21n; h++) endBlock(t, h, new Uint8Array(32).fill(Number(h) + 100));
    for (let id = 1n; id <= 20n; id++) expect(job(t, id)).toMatchObject({ operator: vals[1].operator, auditRatePpm: 150_000n });
  });

  test("the event and the Job query say the rate: job_assigned{audit_rate_ppm}, Job.audit_rate_ppm", () => {
    const { t, vals, client } = chain([40n * INF]);
    const id = mustId(submit(t, client, 3n * INF));
    const events = endBlock(t, 5n);
    expect(attrs(events, "job_assigned")).toEqual([expect.objectContaining({ job_id: String(id), operator: vals[0].operator, audit_rate_ppm: "150000" })]);
    const q = inferenceQueries(t.k).find((h) => h.path === "/inferchain.inference.v1.Query/Job")!;
    expect(QueryJobResponse.decode(q.handle({ store: t.store, height: 5n }, QueryJobRequest.encode({ id }).finish())).job?.auditRatePpm).toBe(150_000n);
  });

  test("griefer/lazy: a reassigned job's rate is the new assignee's, reset while it waits", () => {
    // small (20 INF) takes 2 INF at 20%; big (1000 INF) at 5%.
    const { t, vals, client } = chain([20n * INF, 1000n * INF]);
    const [small, big] = vals;
    const id = mustId(submit(t, client, 2n * INF));
    const params = t.k.getParams(t.store);
    // Assigned to the small one (its workers only), then it stays silent.
    const c5 = ctxAt(t.store, 5n);
    assignJob(t.k, c5, params, job(t, id), t.staking.workersForModel(t.store, MODEL.id).filter((w) => w.operator === small.operator));
    expect(job(t, id)).toMatchObject({ operator: small.operator, auditRatePpm: 200_000n });
    const c = ctxAt(t.store, job(t, id).hardDeadlineHeight);
    timeoutJob(t.k, c, params, job(t, id));
    expect(job(t, id)).toMatchObject({ status: JobStatus.JOB_STATUS_PENDING, auditRatePpm: 0n, attempts: 1 });
    assignJob(t.k, c, params, job(t, id), t.staking.workersForModel(t.store, MODEL.id));
    expect(job(t, id)).toMatchObject({ status: JobStatus.JOB_STATUS_ASSIGNED, operator: big.operator, attempts: 2, auditRatePpm: 50_000n });
  });

  test("every eligible validator unable at assignment time (stake cut since submission): the job fails like one with no worker, the fee refunded", () => {
    const { t, vals, client } = chain([40n * INF, 30n * INF]);
    const before = t.bank.balance(t.store, client);
    const id = mustId(submit(t, client, 3n * INF)); // 40 INF secures it at 15%
    // Before the next block both stakes drop below the 24 INF it needs (slashes, unbonding).
    for (const v of vals) t.staking.update(t.store, v.operator, (x) => ({ ...x, tokens: 20n * INF }));
    const events = endBlock(t, 5n);
    expect(job(t, id)).toMatchObject({ status: JobStatus.JOB_STATUS_FAILED, attempts: 0, refunded: 3n * INF, auditRatePpm: 0n });
    expect(attrs(events, "job_unassignable")).toEqual([{ job_id: String(id), model_id: MODEL.id, tried: "0", unsecured: "2" }]);
    expect(attrs(events, "job_failed")).toEqual([expect.objectContaining({ job_id: String(id), reason: "no_eligible_worker", refund: "3000000uinf" })]);
    expect(t.bank.balance(t.store, client)).toBe(before);
    expect(t.bank.moduleBalance(t.store, JOB_ESCROW_MODULE)).toBe(0n);
  });

  test("without x/challenge wired nothing is filtered and jobs carry rate 0 (the base rate)", () => {
    const { t, vals, client } = chain([10n * INF], false);
    const id = mustId(submit(t, client, 5n * INF));
    endBlock(t, 5n);
    expect(job(t, id)).toMatchObject({ status: JobStatus.JOB_STATUS_ASSIGNED, operator: vals[0].operator, auditRatePpm: 0n });
  });
});

describe("submission: refused when no serving validator can secure the fee (attacker: a client with a huge fee)", () => {
  test("a fee above what the largest stake secures is refused with its own code and a log naming the fee, the limit and the stake needed; nothing escrowed", () => {
    const { t, vals, client } = chain([10n * INF, 1000n * INF]);
    const before = t.bank.balance(t.store, client);
    const r = submit(t, client, 200n * INF);
    expect(r).toBeInstanceOf(AppError);
    const e = r as AppError;
    expect(e.is(ErrFeeNotSecured)).toBe(true);
    expect(`${e.codespace}/${e.code}`).toBe("inference/29");
    expect(e.message).toBe(
      `fee 200000000uinf: the largest stake serving ${MODEL.id} is 1000000000uinf (${vals[1].operator}), which secures fees up to 125000000uinf; it needs a validator with at least 1600000000uinf bonded: no validator serving the model has the stake to secure this fee`,
    );
    expect(t.bank.balance(t.store, client)).toBe(before);
    expect(t.bank.moduleBalance(t.store, JOB_ESCROW_MODULE)).toBe(0n);
    expect(t.k.getNextJobId(t.store)).toBe(1n);
    // Exactly the limit is accepted (and lands on the large validator at the max rate).
    const id = mustId(submit(t, client, 125n * INF));
    endBlock(t, 5n);
    expect(job(t, id)).toMatchObject({ operator: vals[1].operator, auditRatePpm: 250_000n });
    expect(submit(t, client, 125n * INF + 1n)).toBeInstanceOf(AppError);
  });

  test("absurd fees: 10^30 uinf is refused as unsecured (no overflow, no throw), 31 digits as an invalid fee", () => {
    const { t, client } = chain([1000n * INF]);
    t.bank.mint(t.store, client, 10n ** 30n);
    const r = submit(t, client, 10n ** 30n - 1n);
    expect(r instanceof AppError && r.is(ErrFeeNotSecured)).toBe(true);
    const s = submit(t, client, 10n ** 30n);
    expect(s instanceof AppError && s.is(ErrInvalidFee)).toBe(true);
  });

  test("equal largest stakes: the log names the lowest operator address, whatever order staking lists them in", () => {
    const { t, vals, client } = chain([10n * INF, 10n * INF, 10n * INF]);
    const lowest = vals.map((v) => v.operator).sort()[0];
    const listed = t.staking.workersForModel.bind(t.staking);
    for (const order of [(ws: ReturnType<typeof listed>) => ws, (ws: ReturnType<typeof listed>) => [...ws].reverse()]) {
      t.staking.workersForModel = (s, m) => order(listed(s, m));
      const r = submit(t, client, 2n * INF);
      expect((r as AppError).message).toContain(`is 10000000uinf (${lowest})`);
    }
  });

  test("jailed or unbonded validators do not count: only the stake that could take the job", () => {
    const { t, vals, client } = chain([10n * INF, 1000n * INF]);
    t.staking.update(t.store, vals[1].operator, (v) => ({ ...v, jailed: true }));
    const r = submit(t, client, 2n * INF); // the free 10 INF secures up to 1.25 INF
    expect(r instanceof AppError && r.is(ErrFeeNotSecured)).toBe(true);
    expect((r as AppError).message).toContain(`is 10000000uinf (${vals[0].operator})`);
    expect(submit(t, client, 1_250_000n)).not.toBeInstanceOf(AppError);
  });

  test("a model nobody serves is left to assignment, as before (job_unassignable, refund): there is no stake to name", () => {
    const { t, client } = chain([]);
    const id = mustId(submit(t, client, 5n * INF));
    const events = endBlock(t, 5n);
    expect(job(t, id).status).toBe(JobStatus.JOB_STATUS_FAILED);
    expect(attrs(events, "job_unassignable")).toEqual([{ job_id: String(id), model_id: MODEL.id, tried: "0", unsecured: "0" }]);
  });

  test("a params change takes effect at once: a higher max rate lets the same stake take a larger fee", () => {
    const { t, client, challenge } = chain([100n * INF]);
    expect(submit(t, client, 20n * INF)).toBeInstanceOf(AppError); // 100 INF secures up to 12.5 INF
    challenge.security = { ...challenge.security, maxAuditRatePpm: 1_000_000n };
    const id = mustId(submit(t, client, 20n * INF));
    endBlock(t, 5n);
    expect(job(t, id).auditRatePpm).toBe(400_000n);
  });
});

describe("genesis: the job's audit rate", () => {
  test("round-trips, defaults to 0 when left out, and is refused on a PENDING job or above 100%", () => {
    const { t, client } = chain([40n * INF]);
    const id = mustId(submit(t, client, 3n * INF));
    endBlock(t, 5n);
    const j = jobToJson(job(t, id));
    expect(j.audit_rate_ppm).toBe("150000");
    expect(jobFromJson(JSON.parse(JSON.stringify(j)), "job", t.models).auditRatePpm).toBe(150_000n);
    const { audit_rate_ppm: _dropped, ...old } = j;
    expect(jobFromJson(old, "job", t.models).auditRatePpm).toBe(0n);
    expect(() => jobFromJson({ ...j, audit_rate_ppm: "1000001" }, "job", t.models)).toThrow(/audit_rate_ppm/);
    const pending = jobToJson({ ...job(t, id), status: JobStatus.JOB_STATUS_PENDING, attempts: 0, operator: "", worker: "", assignedHeight: 0n, deadlineHeight: 0n, hardDeadlineHeight: 0n, triedOperators: [] });
    expect(() => parseGenesis({ jobs: [pending] }, t.models)).toThrow(/a PENDING job has no audit rate yet/);
    expect(() => parseGenesis({ jobs: [{ ...pending, audit_rate_ppm: "0" }] }, t.models)).not.toThrow();
  });
});
