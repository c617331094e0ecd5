import type { Event } from "cosmjs-types/tendermint/abci/types";
import { Branch } from "../../base/store/kv";
import { moduleAddress, operatorAccount } from "../../base/types/address";
import { assignJob, endBlocker } from "./abci";
import { sampleWorker } from "./assignment";
import { msgSubmitJobHandler, msgSubmitResultHandler } from "./msgServer";
import { MsgSubmitJob } from "../../gen/inferchain/inference/v1/tx";
import {
  JOB_ESCROW_MODULE,
  MODEL,
  TREASURY_MODULE,
  VERIFICATION_POOL_MODULE,
  addValidator,
  ctxAt,
  fundedClient,
  resultMsgBytes,
  sampleInput,
  testSetup,
  totalBalances,
  type TestSetup,
  type TestValidator,
} from "./testutil";
import { JobStatus, isOpen, type Job } from "./types";

const M = 1_000_000n;
const SLA = MODEL.slaBlocks;

function attrs(events: readonly Event[], type: string): Array<Record<string, string>> {
  return events.filter((e) => e.type === type).map((e) => Object.fromEntries(e.attributes.map((a) => [a.key, a.value])));
}

function submit(t: TestSetup, client: string, height: bigint, fee: bigint, modelId = MODEL.id): bigint {
  const h = msgSubmitJobHandler(t.k);
  const msg = h.decode(MsgSubmitJob.encode({ client, modelId, input: sampleInput(), inputUri: "", inputSha256: "", fee: fee.toString() }).finish());
  h.validateBasic(msg);
  const branch = new Branch(t.store);
  h.execute(ctxAt(branch, height), msg);
  branch.write();
  return t.k.getNextJobId(t.store) - 1n;
}

function result(t: TestSetup, job: Job, height: bigint): void {
  const h = msgSubmitResultHandler(t.k);
  const branch = new Branch(t.store);
  h.execute(ctxAt(branch, height), h.decode(resultMsgBytes(job)));
  branch.write();
}

/** EndBlock at `height`; returns its events. */
function endBlock(t: TestSetup, height: bigint): Event[] {
  const ctx = ctxAt(t.store, height);
  endBlocker(t.k, ctx);
  return ctx.events.events();
}

const job = (t: TestSetup, id: bigint): Job => t.k.getJob(t.store, id)!;

function setup(n: number, params: Parameters<typeof testSetup>[0] = {}): { t: TestSetup; vals: TestValidator[]; client: string } {
  const t = testSetup(params);
  const vals = Array.from({ length: n }, (_, i) => addValidator(t, i, BigInt(i + 1) * 1000n * M));
  const client = fundedClient(t, 1000n * M);
  return { t, vals, client };
}

describe("assignment at the end of the block", () => {
  test("issue 7 (seed): a job submitted at h is not assigned at h; at h+1 it gets the worker h+1's hash draws, with deadline = h+1 + sla", () => {
    const { t, vals, client } = setup(3);
    const id = submit(t, client, 4n, 5000n);
    expect(job(t, id).status).toBe(JobStatus.JOB_STATUS_PENDING);

    // The including block's proposer chose the job and would choose the seed: no draw yet.
    expect(attrs(endBlock(t, 4n), "job_assigned")).toEqual([]);
    expect(job(t, id)).toMatchObject({ status: JobStatus.JOB_STATUS_PENDING, attempts: 0 });

    const events = endBlock(t, 5n);

    const all = t.staking.workersForModel(t.store, MODEL.id);
    const want = sampleWorker(ctxAt(t.store, 5n).block.hash, id, all, [])!;
    expect(job(t, id)).toMatchObject({
      status: JobStatus.JOB_STATUS_ASSIGNED,
      attempts: 1,
      operator: want.operator,
      worker: want.worker,
      assignedHeight: 5n,
      deadlineHeight: 5n + SLA,
      hardDeadlineHeight: 5n + 2n * SLA,
      triedOperators: [want.operator],
    });
    expect(vals.map((v) => v.operator)).toContain(want.operator);
    expect(attrs(events, "job_assigned")).toEqual([
      { job_id: "1", model_id: MODEL.id, client, operator: want.operator, worker: want.worker, attempt: "1", deadline_height: String(5n + SLA), hard_deadline_height: String(5n + 2n * SLA), audit_rate_ppm: "0" },
    ]);
    expect(t.k.dueDeadlines(t.store, 5n + 2n * SLA)).toEqual([[5n + 2n * SLA, id]]);
    expect(t.k.dueDeadlines(t.store, 5n + 2n * SLA - 1n)).toEqual([]);
  });

  test("issue 7 (seed): the draw follows the assigning block's hash, not the including block's", () => {
    // Find hashes for block 5 that draw different workers: the seed must come from block 5.
    const draws = new Set<string>();
    for (let b = 0; b < 16; b++) {
      const { t, client } = setup(3);
      const id = submit(t, client, 4n, 5000n);
      endBlock(t, 4n);
      const ctx = ctxAt(t.store, 5n, new Uint8Array(32).fill(b));
      endBlocker(t.k, ctx);
      const want = sampleWorker(ctx.block.hash, id, t.staking.workersForModel(t.store, MODEL.id), [])!;
      expect(job(t, id).operator).toBe(want.operator);
      draws.add(job(t, id).operator);
    }
    expect(draws.size).toBeGreaterThan(1);
  });

  test("jailed or unbonded validators, and workers of other models, are never drawn", () => {
    const { t, vals, client } = setup(4);
    t.staking.update(t.store, vals[0].operator, (v) => ({ ...v, jailed: true }));
    t.staking.update(t.store, vals[1].operator, (v) => ({ ...v, bonded: false }));
    t.staking.setWorker(t.store, vals[2].operator, vals[2].worker, ["other-model"]);
    for (let h = 1n; h <= 30n; h++) submit(t, client, h, 1000n);
    endBlock(t, 31n);
    for (let id = 1n; id <= 30n; id++) expect(job(t, id).operator).toBe(vals[3].operator);
  });

  test("no eligible worker: FAILED at once, the escrowed fee refunded, job_unassignable then job_failed", () => {
    const { t, client } = setup(0);
    const before = t.bank.balance(t.store, client);
    const id = submit(t, client, 4n, 5000n);

    const events = endBlock(t, 5n);

    expect(job(t, id)).toMatchObject({ status: JobStatus.JOB_STATUS_FAILED, attempts: 0, refunded: 5000n, finalizedHeight: 5n });
    expect(t.bank.balance(t.store, client)).toBe(before);
    expect(t.bank.moduleBalance(t.store, JOB_ESCROW_MODULE)).toBe(0n);
    expect(attrs(events, "job_unassignable")).toEqual([{ job_id: "1", model_id: MODEL.id, tried: "0", unsecured: "0" }]);
    expect(attrs(events, "job_failed")).toEqual([{ job_id: "1", client, reason: "no_eligible_worker", refund: "5000uinf", treasury_amount: "0uinf" }]);
    expect(events.map((e) => e.type).indexOf("job_unassignable")).toBeLessThan(events.map((e) => e.type).indexOf("job_failed"));
    expect(t.k.pendingJobIds(t.store, 10)).toEqual([]);
  });

  test("at most max_assignments_per_block jobs per block, oldest first; the rest wait for the next block", () => {
    const { t, client } = setup(2, { maxAssignmentsPerBlock: 2 });
    for (let i = 0; i < 5; i++) submit(t, client, 4n, 1000n);

    endBlock(t, 4n);
    expect([1n, 2n, 3n, 4n, 5n].map((id) => job(t, id).status)).toEqual([1, 1, 1, 1, 1]);
    endBlock(t, 5n);
    expect([1n, 2n, 3n, 4n, 5n].map((id) => job(t, id).status)).toEqual([2, 2, 1, 1, 1]);
    endBlock(t, 6n);
    expect([3n, 4n].map((id) => job(t, id).assignedHeight)).toEqual([6n, 6n]);
    expect(job(t, 5n).status).toBe(JobStatus.JOB_STATUS_PENDING);
    endBlock(t, 7n);
    expect(job(t, 5n)).toMatchObject({ status: JobStatus.JOB_STATUS_ASSIGNED, assignedHeight: 7n, deadlineHeight: 7n + SLA });
  });

  test("assignJob never draws an operator in tried_operators", () => {
    const { t, vals, client } = setup(3);
    const id = submit(t, client, 4n, 1000n);
    const tried = [vals[0].operator, vals[2].operator];
    const pending = { ...job(t, id), triedOperators: tried, attempts: 2 };
    for (let h = 10n; h < 40n; h++) {
      const b = new Branch(t.store);
      assignJob(t.k, ctxAt(b, h), t.k.getParams(b), pending, t.staking.workersForModel(b, MODEL.id));
      expect(t.k.getJob(b, id)?.operator).toBe(vals[1].operator);
    }
  });
});

describe("SLA: timeouts at the hard deadline", () => {
  test("nothing happens at hard deadline − 1; at the hard deadline: a fee-sized penalty from stake to the treasury (client not paid), reassignment to another operator", () => {
    const { t, client } = setup(3);
    const fee = 7_000n;
    const id = submit(t, client, 4n, fee);
    endBlock(t, 5n);
    const first = job(t, id);
    const hard = first.hardDeadlineHeight;
    const tokens = t.staking.validator(t.store, first.operator)!.tokens;
    const clientBefore = t.bank.balance(t.store, client);
    const supply = totalBalances(t.store);

    endBlock(t, hard - 1n);
    expect(job(t, id).status).toBe(JobStatus.JOB_STATUS_ASSIGNED);

    const events = endBlock(t, hard);

    // issue 7: the penalty is sized by the job (1× the fee by default), not by the stake, and
    // goes to the treasury; the client is not paid from stake (it gets its escrow back if the
    // job finally fails).
    expect(t.bank.balance(t.store, client)).toBe(clientBefore);
    expect(t.staking.validator(t.store, first.operator)!.tokens).toBe(tokens - fee);
    expect(t.staking.validator(t.store, first.operator)!.jailed).toBe(false);
    expect(t.bank.moduleBalance(t.store, TREASURY_MODULE)).toBe(fee);
    expect(totalBalances(t.store)).toBe(supply);
    expect(attrs(events, "job_timeout")).toEqual([{ job_id: "1", operator: first.operator, worker: first.worker, attempt: "1", penalty: "7000uinf" }]);
    expect(attrs(events, "job_reassigned")).toEqual([{ job_id: "1", operator: first.operator, worker: first.worker, attempt: "1" }]);
    const kinds = [...t.slashing.slashEvents(t.store)].map((e) => [e.kind, e.validator, e.amount, e.jailed]);
    expect(kinds).toEqual([["no_response", first.operator, fee, false]]);

    // Reassigned in the same EndBlock, to someone else, with fresh deadlines; the escrow still holds the fee.
    const second = job(t, id);
    expect(second).toMatchObject({ status: JobStatus.JOB_STATUS_ASSIGNED, attempts: 2, assignedHeight: hard, deadlineHeight: hard + SLA, hardDeadlineHeight: hard + 2n * SLA, refunded: 0n });
    expect(second.operator).not.toBe(first.operator);
    expect(second.triedOperators).toEqual([first.operator, second.operator]);
    expect(attrs(events, "job_assigned").map((a) => a.attempt)).toEqual(["2"]);
    expect(t.bank.moduleBalance(t.store, JOB_ESCROW_MODULE)).toBe(fee);
  });

  test("the old worker's result after the timeout is refused; the new worker's is accepted", () => {
    const { t, client } = setup(2);
    const id = submit(t, client, 4n, 1000n);
    endBlock(t, 5n);
    const first = job(t, id);
    endBlock(t, first.hardDeadlineHeight);
    const second = job(t, id);
    expect(() => result(t, { ...second, worker: first.worker }, first.hardDeadlineHeight + 1n)).toThrow(/not the job's assigned worker/);
    result(t, second, first.hardDeadlineHeight + 1n);
    expect(job(t, id)).toMatchObject({ status: JobStatus.JOB_STATUS_RESULT_POSTED, late: false });
  });

  test("reassigned up to max_attempts, then FAILED: the client ends with exactly its fee back; each worker paid the treasury", () => {
    const { t, client } = setup(4, { maxAttempts: 3 });
    const fee = 3_000n;
    const start = t.bank.balance(t.store, client);
    const id = submit(t, client, 4n, fee);
    endBlock(t, 5n);
    const operators: string[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const j = job(t, id);
      expect(j.attempts).toBe(attempt);
      expect(operators).not.toContain(j.operator);
      operators.push(j.operator);
      endBlock(t, j.hardDeadlineHeight);
    }
    const last = job(t, id);
    expect(last).toMatchObject({ status: JobStatus.JOB_STATUS_FAILED, attempts: 3, triedOperators: operators, refunded: fee });
    // issue 7: paid the fee once and got exactly it back (it used to get 4 × fee); the three
    // workers paid 3 × fee to the treasury.
    expect(t.bank.balance(t.store, client)).toBe(start);
    expect(t.bank.moduleBalance(t.store, TREASURY_MODULE)).toBe(3n * fee);
    expect(t.bank.moduleBalance(t.store, JOB_ESCROW_MODULE)).toBe(0n);
    expect(t.k.dueDeadlines(t.store, 10_000n)).toEqual([]);
  });

  test("a timeout that leaves no untried worker fails the job at once (job_unassignable, escrow refunded)", () => {
    const { t, client } = setup(1, { maxAttempts: 3 });
    const id = submit(t, client, 4n, 1000n);
    endBlock(t, 5n);
    const events = endBlock(t, job(t, id).hardDeadlineHeight);
    expect(job(t, id)).toMatchObject({ status: JobStatus.JOB_STATUS_FAILED, attempts: 1, refunded: 1000n });
    expect(attrs(events, "job_failed")).toEqual([{ job_id: "1", client, reason: "no_eligible_worker", refund: "1000uinf", treasury_amount: "0uinf" }]);
    expect(t.bank.moduleBalance(t.store, JOB_ESCROW_MODULE)).toBe(0n);
  });

  test("a worker whose stake cannot cover the penalty pays what it has, and no more", () => {
    const t = testSetup();
    const v = addValidator(t, 0, 2_500n);
    const client = fundedClient(t, 1000n * M);
    const clientStart = t.bank.balance(t.store, client);
    const id = submit(t, client, 4n, 10_000n);
    endBlock(t, 5n);
    endBlock(t, job(t, id).hardDeadlineHeight);
    expect(t.staking.validator(t.store, v.operator)!.tokens).toBe(0n);
    // 2500 from stake to the treasury, 10000 from escrow back to the client (no other worker: failed).
    expect(job(t, id)).toMatchObject({ status: JobStatus.JOB_STATUS_FAILED, refunded: 10_000n });
    expect(t.bank.balance(t.store, client)).toBe(clientStart);
    expect(t.bank.moduleBalance(t.store, TREASURY_MODULE)).toBe(2_500n);
  });

  test("only due deadlines are read: a job due later is untouched", () => {
    const { t, client } = setup(2);
    const a = submit(t, client, 4n, 1000n);
    endBlock(t, 5n);
    const b = submit(t, client, 6n, 1000n);
    endBlock(t, 7n);
    endBlock(t, job(t, a).hardDeadlineHeight);
    expect(job(t, a).attempts).toBe(2);
    expect(job(t, b)).toMatchObject({ attempts: 1, status: JobStatus.JOB_STATUS_ASSIGNED });
  });
});

describe("finalization", () => {
  test("not before challenge_end_height; at it the fee splits 10% / 5% / rest, exactly, and the escrow is empty", () => {
    const { t, client } = setup(2);
    const fee = 1_000_003n; // 10% = 100000.3 → 100000; 5% = 50000.15 → 50000; worker 850003.
    const id = submit(t, client, 4n, fee);
    endBlock(t, 5n);
    const assigned = job(t, id);
    result(t, assigned, 6n);
    const end = job(t, id).challengeEndHeight;
    expect(end).toBe(6n + 10n);
    const recipient = operatorAccount(assigned.operator);
    const recipientBefore = t.bank.balance(t.store, recipient);
    const supply = totalBalances(t.store);

    endBlock(t, end - 1n);
    expect(job(t, id).status).toBe(JobStatus.JOB_STATUS_RESULT_POSTED);
    expect(t.bank.moduleBalance(t.store, JOB_ESCROW_MODULE)).toBe(fee);

    const events = endBlock(t, end);

    expect(job(t, id)).toMatchObject({ status: JobStatus.JOB_STATUS_FINALIZED, finalizedHeight: end });
    expect(t.bank.moduleBalance(t.store, VERIFICATION_POOL_MODULE)).toBe(100_000n);
    expect(t.bank.moduleBalance(t.store, TREASURY_MODULE)).toBe(50_000n);
    expect(t.bank.balance(t.store, recipient)).toBe(recipientBefore + 850_003n);
    expect(t.bank.balance(t.store, assigned.worker)).toBe(0n);
    expect(t.bank.moduleBalance(t.store, JOB_ESCROW_MODULE)).toBe(0n);
    expect(totalBalances(t.store)).toBe(supply);
    expect(attrs(events, "job_finalized")).toEqual([
      {
        job_id: "1",
        operator: assigned.operator,
        worker: assigned.worker,
        recipient,
        fee: "1000003uinf",
        worker_amount: "850003uinf",
        verification_amount: "100000uinf",
        protocol_amount: "50000uinf",
        cannot_run: "false",
        refund: "0uinf",
      },
    ]);
    expect(t.k.dueFinalizations(t.store, 10_000n)).toEqual([]);
  });

  test("a late job finalizes the same way: the penalty came from stake, the fee split is unchanged", () => {
    const { t, client } = setup(2);
    const fee = 20_000n;
    const start = t.bank.balance(t.store, client);
    const id = submit(t, client, 4n, fee);
    endBlock(t, 5n);
    const assigned = job(t, id);
    const recipient = operatorAccount(assigned.operator);
    const recipientBefore = t.bank.balance(t.store, recipient);
    result(t, assigned, assigned.deadlineHeight + 1n);
    endBlock(t, job(t, id).challengeEndHeight);
    expect(job(t, id)).toMatchObject({ status: JobStatus.JOB_STATUS_FINALIZED, late: true, refunded: 10_000n });
    // The client paid 20000 and got 10000 back from the worker's stake.
    expect(t.bank.balance(t.store, client)).toBe(start - fee + 10_000n);
    expect(t.bank.balance(t.store, recipient)).toBe(recipientBefore + 17_000n);
    expect(t.bank.moduleBalance(t.store, JOB_ESCROW_MODULE)).toBe(0n);
  });

  test("shares of 0 and a tiny fee: nothing is sent for a zero share and no uinf is lost", () => {
    const { t, client } = setup(1, { verificationSharePpm: 0n, protocolSharePpm: 999_999n });
    const id = submit(t, client, 4n, 1001n);
    endBlock(t, 5n);
    const j = job(t, id);
    result(t, j, 5n);
    const supply = totalBalances(t.store);
    endBlock(t, job(t, id).challengeEndHeight);
    expect(t.bank.moduleBalance(t.store, VERIFICATION_POOL_MODULE)).toBe(0n);
    expect(t.bank.moduleBalance(t.store, TREASURY_MODULE)).toBe(1000n); // ⌊1001 × 0.999999⌋
    expect(t.bank.moduleBalance(t.store, JOB_ESCROW_MODULE)).toBe(0n);
    expect(totalBalances(t.store)).toBe(supply);
  });

  test("many jobs: the escrow always equals the open jobs' fees and ends at zero", () => {
    const { t, client } = setup(3, { maxAssignmentsPerBlock: 3 });
    const open = (): bigint => [...t.k.jobs(t.store)].filter((j) => isOpen(j.status)).reduce((s, j) => s + j.fee, 0n);
    for (let h = 1n; h <= 90n; h++) { // 90: assignment is one block later than it was (issue 7, seed)
      if (h <= 20n) submit(t, client, h, 1000n + h);
      for (const j of [...t.k.jobs(t.store)]) {
        // Every third job is answered on time, every third late, the rest never.
        if (j.status === JobStatus.JOB_STATUS_ASSIGNED && j.id % 3n === 0n && h === j.assignedHeight + 1n) result(t, j, h);
        if (j.status === JobStatus.JOB_STATUS_ASSIGNED && j.id % 3n === 1n && h === j.deadlineHeight + 2n) result(t, j, h);
      }
      endBlock(t, h);
      expect(t.bank.moduleBalance(t.store, JOB_ESCROW_MODULE)).toBe(open());
    }
    expect([...t.k.jobs(t.store)].every((j) => j.status === JobStatus.JOB_STATUS_FINALIZED || j.status === JobStatus.JOB_STATUS_FAILED)).toBe(true);
    expect(t.bank.moduleBalance(t.store, JOB_ESCROW_MODULE)).toBe(0n);
  });
});

test("the escrow module address is what bank holds the fees under", () => {
  const t = testSetup();
  const client = fundedClient(t, 10_000n);
  submit(t, client, 1n, 1000n);
  expect(t.bank.balance(t.store, moduleAddress(JOB_ESCROW_MODULE))).toBe(1000n);
});
