import type { Event } from "cosmjs-types/tendermint/abci/types";
import { Branch } from "../../app/store/kv";
import { moduleAddress } from "../../app/types/address";
import { assignJob, endBlocker, operatorAccount } from "./abci";
import { sampleWorker } from "./assignment";
import { msgSubmitJobHandler, msgSubmitResultHandler } from "./msgServer";
import { MsgSubmitJob, MsgSubmitResult } from "../../gen/inferchain/inference/v1/tx";
import {
  JOB_ESCROW_MODULE,
  MODEL,
  TREASURY_MODULE,
  VERIFICATION_POOL_MODULE,
  addValidator,
  ctxAt,
  fundedClient,
  sampleInput,
  sampleOutput,
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
  h.execute(ctxAt(branch, height), h.decode(MsgSubmitResult.encode({ worker: job.worker, jobId: job.id, output: sampleOutput() }).finish()));
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
  test("a PENDING job gets the worker the seed draws, with deadline = h + sla and hard deadline = h + 2·sla", () => {
    const { t, vals, client } = setup(3);
    const id = submit(t, client, 4n, 5000n);
    expect(job(t, id).status).toBe(JobStatus.JOB_STATUS_PENDING);

    const events = endBlock(t, 4n);

    const want = sampleWorker(ctxAt(t.store, 4n).block.hash, id, t.staking.workersForModel(t.store, MODEL.id), [])!;
    expect(job(t, id)).toMatchObject({
      status: JobStatus.JOB_STATUS_ASSIGNED,
      attempts: 1,
      operator: want.operator,
      worker: want.worker,
      assignedHeight: 4n,
      deadlineHeight: 4n + SLA,
      hardDeadlineHeight: 4n + 2n * SLA,
      triedOperators: [want.operator],
    });
    expect(vals.map((v) => v.operator)).toContain(want.operator);
    expect(attrs(events, "job_assigned")).toEqual([
      { job_id: "1", model_id: MODEL.id, client, operator: want.operator, worker: want.worker, attempt: "1", deadline_height: String(4n + SLA), hard_deadline_height: String(4n + 2n * SLA) },
    ]);
    expect(t.k.dueDeadlines(t.store, 4n + 2n * SLA)).toEqual([[4n + 2n * SLA, id]]);
    expect(t.k.dueDeadlines(t.store, 4n + 2n * SLA - 1n)).toEqual([]);
  });

  test("jailed or unbonded validators, and workers of other models, are never drawn", () => {
    const { t, vals, client } = setup(4);
    t.staking.update(t.store, vals[0].operator, (v) => ({ ...v, jailed: true }));
    t.staking.update(t.store, vals[1].operator, (v) => ({ ...v, bonded: false }));
    t.staking.setWorker(t.store, vals[2].operator, vals[2].worker, ["other-model"]);
    for (let h = 1n; h <= 30n; h++) submit(t, client, h, 1000n);
    endBlock(t, 30n);
    for (let id = 1n; id <= 30n; id++) expect(job(t, id).operator).toBe(vals[3].operator);
  });

  test("no eligible worker: FAILED at once, the escrowed fee refunded, job_unassignable then job_failed", () => {
    const { t, client } = setup(0);
    const before = t.bank.balance(t.store, client);
    const id = submit(t, client, 4n, 5000n);

    const events = endBlock(t, 4n);

    expect(job(t, id)).toMatchObject({ status: JobStatus.JOB_STATUS_FAILED, attempts: 0, refunded: 5000n });
    expect(t.bank.balance(t.store, client)).toBe(before);
    expect(t.bank.moduleBalance(t.store, JOB_ESCROW_MODULE)).toBe(0n);
    expect(attrs(events, "job_unassignable")).toEqual([{ job_id: "1", model_id: MODEL.id, tried: "0" }]);
    expect(attrs(events, "job_failed")).toEqual([{ job_id: "1", client, reason: "no_eligible_worker", refund: "5000uinf" }]);
    expect(events.map((e) => e.type).indexOf("job_unassignable")).toBeLessThan(events.map((e) => e.type).indexOf("job_failed"));
    expect(t.k.pendingJobIds(t.store, 10)).toEqual([]);
  });

  test("at most max_assignments_per_block jobs per block, oldest first; the rest wait for the next block", () => {
    const { t, client } = setup(2, { maxAssignmentsPerBlock: 2 });
    for (let i = 0; i < 5; i++) submit(t, client, 4n, 1000n);

    endBlock(t, 4n);
    expect([1n, 2n, 3n, 4n, 5n].map((id) => job(t, id).status)).toEqual([2, 2, 1, 1, 1]);
    endBlock(t, 5n);
    expect([3n, 4n].map((id) => job(t, id).assignedHeight)).toEqual([5n, 5n]);
    expect(job(t, 5n).status).toBe(JobStatus.JOB_STATUS_PENDING);
    endBlock(t, 6n);
    expect(job(t, 5n)).toMatchObject({ status: JobStatus.JOB_STATUS_ASSIGNED, assignedHeight: 6n, deadlineHeight: 6n + SLA });
  });

  test("assignJob never draws an operator in tried_operators", () => {
    const { t, vals, client } = setup(3);
    const id = submit(t, client, 4n, 1000n);
    const tried = [vals[0].operator, vals[2].operator];
    const pending = { ...job(t, id), triedOperators: tried, attempts: 2 };
    for (let h = 10n; h < 40n; h++) {
      const b = new Branch(t.store);
      assignJob(t.k, ctxAt(b, h), pending, t.staking.workersForModel(b, MODEL.id));
      expect(t.k.getJob(b, id)?.operator).toBe(vals[1].operator);
    }
  });
});

describe("SLA: timeouts at the hard deadline", () => {
  test("nothing happens at hard deadline − 1; at the hard deadline: full fee from stake to the client, 1% slash, reassignment to another operator", () => {
    const { t, client } = setup(3);
    const fee = 7_000n;
    const id = submit(t, client, 4n, fee);
    endBlock(t, 4n);
    const first = job(t, id);
    const hard = first.hardDeadlineHeight;
    const tokens = t.staking.validator(t.store, first.operator)!.tokens;
    const clientBefore = t.bank.balance(t.store, client);
    const supply = totalBalances(t.store);

    endBlock(t, hard - 1n);
    expect(job(t, id).status).toBe(JobStatus.JOB_STATUS_ASSIGNED);

    const events = endBlock(t, hard);

    // Refund: the whole fee, from the worker's stake, to the client. Slash: 1% of the stake left.
    const slashed = ((tokens - fee) * 10_000n) / 1_000_000n;
    expect(t.bank.balance(t.store, client)).toBe(clientBefore + fee);
    expect(t.staking.validator(t.store, first.operator)!.tokens).toBe(tokens - fee - slashed);
    expect(t.staking.validator(t.store, first.operator)!.jailed).toBe(false);
    expect(t.bank.moduleBalance(t.store, TREASURY_MODULE)).toBe(slashed);
    expect(totalBalances(t.store)).toBe(supply);
    expect(attrs(events, "job_timeout")).toEqual([{ job_id: "1", operator: first.operator, worker: first.worker, attempt: "1", refund: "7000uinf", slashed: `${slashed}uinf` }]);
    expect(attrs(events, "job_reassigned")).toEqual([{ job_id: "1", operator: first.operator, worker: first.worker, attempt: "1" }]);
    const kinds = [...t.slashing.slashEvents(t.store)].map((e) => [e.kind, e.validator, e.amount, e.jailed]);
    expect(kinds).toEqual([
      ["no_response_refund", first.operator, fee, false],
      ["no_response", first.operator, slashed, false],
    ]);

    // Reassigned in the same EndBlock, to someone else, with fresh deadlines; the escrow still holds the fee.
    const second = job(t, id);
    expect(second).toMatchObject({ status: JobStatus.JOB_STATUS_ASSIGNED, attempts: 2, assignedHeight: hard, deadlineHeight: hard + SLA, hardDeadlineHeight: hard + 2n * SLA, refunded: fee });
    expect(second.operator).not.toBe(first.operator);
    expect(second.triedOperators).toEqual([first.operator, second.operator]);
    expect(attrs(events, "job_assigned").map((a) => a.attempt)).toEqual(["2"]);
    expect(t.bank.moduleBalance(t.store, JOB_ESCROW_MODULE)).toBe(fee);
  });

  test("the old worker's result after the timeout is refused; the new worker's is accepted", () => {
    const { t, client } = setup(2);
    const id = submit(t, client, 4n, 1000n);
    endBlock(t, 4n);
    const first = job(t, id);
    endBlock(t, first.hardDeadlineHeight);
    const second = job(t, id);
    expect(() => result(t, { ...second, worker: first.worker }, first.hardDeadlineHeight + 1n)).toThrow(/not the job's assigned worker/);
    result(t, second, first.hardDeadlineHeight + 1n);
    expect(job(t, id)).toMatchObject({ status: JobStatus.JOB_STATUS_RESULT_POSTED, late: false });
  });

  test("reassigned up to max_attempts, then FAILED: the client ends with its fee back plus one fee per timeout from stake", () => {
    const { t, client } = setup(4, { maxAttempts: 3 });
    const fee = 3_000n;
    const start = t.bank.balance(t.store, client);
    const id = submit(t, client, 4n, fee);
    endBlock(t, 4n);
    const operators: string[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const j = job(t, id);
      expect(j.attempts).toBe(attempt);
      expect(operators).not.toContain(j.operator);
      operators.push(j.operator);
      endBlock(t, j.hardDeadlineHeight);
    }
    const last = job(t, id);
    expect(last).toMatchObject({ status: JobStatus.JOB_STATUS_FAILED, attempts: 3, triedOperators: operators, refunded: 4n * fee });
    // Paid the fee once; got it back from escrow, plus 3 × fee from the three workers' stake.
    expect(t.bank.balance(t.store, client)).toBe(start + 3n * fee);
    expect(t.bank.moduleBalance(t.store, JOB_ESCROW_MODULE)).toBe(0n);
    expect(t.k.dueDeadlines(t.store, 10_000n)).toEqual([]);
  });

  test("a timeout that leaves no untried worker fails the job at once (job_unassignable, escrow refunded)", () => {
    const { t, client } = setup(1, { maxAttempts: 3 });
    const id = submit(t, client, 4n, 1000n);
    endBlock(t, 4n);
    const events = endBlock(t, job(t, id).hardDeadlineHeight);
    expect(job(t, id)).toMatchObject({ status: JobStatus.JOB_STATUS_FAILED, attempts: 1, refunded: 2000n });
    expect(attrs(events, "job_failed")).toEqual([{ job_id: "1", client, reason: "no_eligible_worker", refund: "1000uinf" }]);
    expect(t.bank.moduleBalance(t.store, JOB_ESCROW_MODULE)).toBe(0n);
  });

  test("a worker whose stake cannot cover the fee refunds what it has, and no more", () => {
    const t = testSetup();
    const v = addValidator(t, 0, 2_500n);
    const client = fundedClient(t, 1000n * M);
    const clientStart = t.bank.balance(t.store, client);
    const id = submit(t, client, 4n, 10_000n);
    endBlock(t, 4n);
    endBlock(t, job(t, id).hardDeadlineHeight);
    expect(t.staking.validator(t.store, v.operator)!.tokens).toBe(0n);
    // 2500 from stake, 10000 from escrow (no other worker: failed).
    expect(job(t, id)).toMatchObject({ status: JobStatus.JOB_STATUS_FAILED, refunded: 12_500n });
    expect(t.bank.balance(t.store, client)).toBe(clientStart + 2_500n);
  });

  test("only due deadlines are read: a job due later is untouched", () => {
    const { t, client } = setup(2);
    const a = submit(t, client, 4n, 1000n);
    endBlock(t, 4n);
    const b = submit(t, client, 6n, 1000n);
    endBlock(t, 6n);
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
    endBlock(t, 4n);
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
      },
    ]);
    expect(t.k.dueFinalizations(t.store, 10_000n)).toEqual([]);
  });

  test("a late job finalizes the same way: the penalty came from stake, the fee split is unchanged", () => {
    const { t, client } = setup(2);
    const fee = 20_000n;
    const start = t.bank.balance(t.store, client);
    const id = submit(t, client, 4n, fee);
    endBlock(t, 4n);
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
    endBlock(t, 4n);
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
    for (let h = 1n; h <= 80n; h++) {
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
