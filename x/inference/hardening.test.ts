/**
 * Issue 7 for x/inference: per-job isolation in EndBlock (finding 3), SLA economics and the
 * cannot-run result (finding 4), pruning of finished jobs (finding 7). Each test here fails on
 * the code before the issue (EndBlock threw, the client was paid k × fee, nothing was pruned).
 */
import { createHash } from "node:crypto";
import type { Event } from "cosmjs-types/tendermint/abci/types";
import fc from "fast-check";
import { InvariantError } from "../../base/errors";
import { Branch } from "../../base/store/kv";
import { Job as WireJob } from "../../gen/inferchain/inference/v1/inference";
import { MsgSubmitJob } from "../../gen/inferchain/inference/v1/tx";
import { operatorAccount } from "../../base/types/address";
import { endBlocker } from "./abci";
import { DEADLINE_QUEUE_PREFIX, PRUNE_QUEUE_PREFIX, finalizeQueueKey, jobKey } from "./keys";
import { QueryJobRequest, QueryJobResponse } from "../../gen/inferchain/inference/v1/query";
import { msgSubmitJobHandler, msgSubmitResultHandler } from "./msgServer";
import { inferenceQueries } from "./queries";
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
  sampleOutput,
  sealFor,
  testSetup,
  totalBalances,
  type TestSetup,
  type TestValidator,
} from "./testutil";
import { JobStatus, jobToWire, type Job } from "./types";

const M = 1_000_000n;

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

function result(t: TestSetup, job: Job, height: bigint, cannotRun = false, reason = ""): Event[] {
  const h = msgSubmitResultHandler(t.k);
  const msg = h.decode(resultMsgBytes(job, cannotRun ? new Uint8Array() : sampleOutput(), { cannotRun, reason }));
  h.validateBasic(msg);
  const branch = new Branch(t.store);
  const ctx = ctxAt(branch, height);
  h.execute(ctx, msg);
  branch.write();
  return ctx.events.events();
}

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

/** Every key of the module's state, with its value's size. */
function inferenceState(t: TestSetup): { keys: number; bytes: number } {
  let keys = 0;
  let bytes = 0;
  for (const [k, v] of t.store.iterate("inference/")) {
    keys++;
    bytes += k.length + v.length;
  }
  return { keys, bytes };
}

const sha256Hex = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

// ---------------------------------------------------------------- finding 3

describe("EndBlock isolates each job (finding 3)", () => {
  test("a job whose assignment throws (hard deadline overflows int64) fails alone, with job_error; the other job of the block is assigned", () => {
    const { t, client } = setup(0);
    // A model registered before sla_blocks was bounded: height + 2 × 2^62 overflows the int64 hard deadline.
    t.models.add({ ...MODEL, id: "huge-sla", slaBlocks: 1n << 62n });
    for (let i = 0; i < 3; i++) addValidator(t, i, 1000n * M, [MODEL.id, "huge-sla"]);
    const start = t.bank.balance(t.store, client);
    const bad = submit(t, client, 4n, 5000n, "huge-sla");
    const good = submit(t, client, 4n, 6000n);
    const supply = totalBalances(t.store);

    const events = endBlock(t, 5n); // used to throw out of EndBlock: every node halted, and again on replay

    expect(attrs(events, "job_error")).toEqual([{ job_id: String(bad), step: "assign", error: expect.stringMatching(/hardDeadlineHeight of type int64 too large/) }]);
    expect(job(t, bad)).toMatchObject({ status: JobStatus.JOB_STATUS_FAILED, attempts: 0, operator: "", refunded: 5000n });
    expect(attrs(events, "job_failed")).toEqual([{ job_id: String(bad), client, reason: "error", refund: "5000uinf", treasury_amount: "0uinf" }]);
    expect(attrs(events, "job_assigned").map((a) => a.job_id)).toEqual([String(good)]);
    expect(job(t, good).status).toBe(JobStatus.JOB_STATUS_ASSIGNED);
    expect(t.bank.moduleBalance(t.store, JOB_ESCROW_MODULE)).toBe(6000n);
    expect(t.bank.balance(t.store, client)).toBe(start - 6000n);
    expect(totalBalances(t.store)).toBe(supply);
    expect(t.k.pendingJobIds(t.store, 10)).toEqual([]);
    // The next block has nothing left to trip on.
    expect(attrs(endBlock(t, 6n), "job_error")).toEqual([]);
  });

  test("a timeout that throws half-way is rolled back whole (no stake cut), the job is parked off the queue, and the block goes on", () => {
    const { t, vals, client } = setup(1, { maxAttempts: 1 });
    const bad = submit(t, client, 4n, 5000n);
    const good = submit(t, client, 4n, 3000n);
    endBlock(t, 5n);
    // Bad data in one job: a fee the escrow does not hold. Its penalty is cut from stake, then
    // failing it cannot pay the refund and throws.
    const tampered: Job = { ...job(t, bad), fee: 10n ** 12n };
    t.k.setJob(t.store, tampered);
    const hard = tampered.hardDeadlineHeight;
    expect(job(t, good).hardDeadlineHeight).toBe(hard);
    const tokens = t.staking.validator(t.store, vals[0].operator)!.tokens;
    const clientBefore = t.bank.balance(t.store, client);

    const events = endBlock(t, hard); // used to throw

    expect(attrs(events, "job_error")).toEqual([
      { job_id: String(bad), step: "timeout", error: expect.stringMatching(/insufficient funds/) },
      { job_id: String(bad), step: "park", error: expect.stringMatching(/insufficient funds/) },
    ]);
    // Nothing of the bad job's timeout stayed: only the good job's 3000 penalty left the stake.
    expect(t.staking.validator(t.store, vals[0].operator)!.tokens).toBe(tokens - 3000n);
    expect([...t.slashing.slashEvents(t.store)].map((e) => e.amount)).toEqual([3000n]);
    expect(job(t, bad)).toEqual(tampered);
    expect([...t.store.iterate(DEADLINE_QUEUE_PREFIX)]).toEqual([]);
    // The good job in the same block: timed out, failed, refunded.
    expect(job(t, good)).toMatchObject({ status: JobStatus.JOB_STATUS_FAILED, refunded: 3000n });
    expect(t.bank.balance(t.store, client)).toBe(clientBefore + 3000n);
    expect(attrs(endBlock(t, hard + 1n), "job_error")).toEqual([]);
  });

  test("a stored job that does not decode is parked off the finalize queue; a later job still finalizes", () => {
    const { t, client } = setup(2);
    const a = submit(t, client, 4n, 2000n);
    const b = submit(t, client, 4n, 2000n);
    endBlock(t, 5n);
    result(t, job(t, a), 6n);
    result(t, job(t, b), 6n);
    const end = job(t, a).challengeEndHeight;
    t.store.set(jobKey(a), WireJob.encode({ ...jobToWire(job(t, a)), fee: "not a number" }).finish());

    const events = endBlock(t, end);

    expect(attrs(events, "job_error").map((e) => [e.job_id, e.step])).toEqual([
      [String(a), "finalize"],
      [String(a), "park"],
    ]);
    expect(t.store.has(finalizeQueueKey(end, a))).toBe(false);
    expect(job(t, b).status).toBe(JobStatus.JOB_STATUS_FINALIZED);
  });

  test("a queue naming a missing job is a broken invariant and still halts (InvariantError)", () => {
    const { t } = setup(1);
    t.store.set(finalizeQueueKey(7n, 42n), Uint8Array.of(1));
    expect(() => endBlock(t, 7n)).toThrow(InvariantError);
  });
});

// ---------------------------------------------------------------- finding 4

type Outcome = "timeout" | "on_time" | "late" | "cannot_run" | "cannot_run_late";

describe("SLA economics (finding 4)", () => {
  test("property: whatever the sequence of timeouts, late, on-time and cannot-run results, refunded ≤ fee, the client's cost is fee − refunded ≥ 0, and no uinf is created or lost", () => {
    fc.assert(
      fc.property(
        fc.record({
          fee: fc.bigInt({ min: 1000n, max: 5_000_000n }),
          tokens: fc.array(fc.bigInt({ min: 0n, max: 20_000_000n }), { minLength: 1, maxLength: 4 }),
          maxAttempts: fc.integer({ min: 1, max: 4 }),
          latePenaltyPpm: fc.bigInt({ min: 0n, max: 1_000_000n }),
          noResponsePenaltyPpm: fc.bigInt({ min: 0n, max: 3_000_000n }),
          min: fc.bigInt({ min: 0n, max: 5000n }),
          extra: fc.bigInt({ min: 0n, max: 10_000_000n }),
          outcomes: fc.array(fc.constantFrom<Outcome>("timeout", "on_time", "late", "cannot_run", "cannot_run_late"), { minLength: 1, maxLength: 5 }),
        }),
        (c) => {
          const t = testSetup({
            maxAttempts: c.maxAttempts,
            latePenaltyPpm: c.latePenaltyPpm,
            noResponsePenaltyPpm: c.noResponsePenaltyPpm,
            noResponsePenaltyMin: c.min,
            noResponsePenaltyMax: c.min + c.extra,
          });
          c.tokens.forEach((tk, i) => addValidator(t, i, tk + 1n));
          const client = fundedClient(t, 100n * M);
          const supply = totalBalances(t.store);
          const start = t.bank.balance(t.store, client);
          const id = submit(t, client, 4n, c.fee);
          let h = 5n;
          endBlock(t, h);
          for (const o of c.outcomes) {
            const j = job(t, id);
            if (j.status !== JobStatus.JOB_STATUS_ASSIGNED) break;
            if (o === "timeout") {
              for (h++; h <= j.hardDeadlineHeight; h++) endBlock(t, h);
              h--;
              continue;
            }
            const at = o === "late" || o === "cannot_run_late" ? j.deadlineHeight + 1n : j.assignedHeight + 1n;
            result(t, j, at, o.startsWith("cannot_run"), o.startsWith("cannot_run") ? "input out of range" : "");
            for (h = at; h <= job(t, id).challengeEndHeight; h++) endBlock(t, h);
            h--;
          }
          // Whatever is still open times out to the end.
          for (let n = 0; n < 200 && job(t, id).status !== JobStatus.JOB_STATUS_FINALIZED && job(t, id).status !== JobStatus.JOB_STATUS_FAILED; n++) endBlock(t, ++h);
          const done = job(t, id);
          expect([JobStatus.JOB_STATUS_FINALIZED, JobStatus.JOB_STATUS_FAILED]).toContain(done.status);
          expect(done.refunded).toBeGreaterThanOrEqual(0n);
          expect(done.refunded).toBeLessThanOrEqual(done.fee);
          expect(t.bank.balance(t.store, client)).toBe(start - c.fee + done.refunded);
          if (done.cannotRun || done.status === JobStatus.JOB_STATUS_FAILED) expect(done.refunded).toBe(done.fee);
          expect(t.bank.moduleBalance(t.store, JOB_ESCROW_MODULE)).toBe(0n);
          expect(totalBalances(t.store)).toBe(supply);
        },
      ),
      { numRuns: 150 },
    );
  });

  test("the no-response penalty is a multiple of the fee, floored and capped, never a share of the stake", () => {
    for (const [fee, want] of [
      [1000n, 5000n], // 2 × 1000 = 2000, below the floor 5000
      [10_000n, 20_000n], // 2 × the fee
      [1_000_000n, 300_000n], // capped
    ] as const) {
      const { t, vals, client } = setup(1, { maxAttempts: 1, noResponsePenaltyPpm: 2_000_000n, noResponsePenaltyMin: 5000n, noResponsePenaltyMax: 300_000n });
      const id = submit(t, client, 4n, fee);
      endBlock(t, 5n);
      const tokens = t.staking.validator(t.store, vals[0].operator)!.tokens;
      const treasury = t.bank.moduleBalance(t.store, TREASURY_MODULE);
      const events = endBlock(t, job(t, id).hardDeadlineHeight);
      expect(t.staking.validator(t.store, vals[0].operator)!.tokens).toBe(tokens - want);
      expect(t.bank.moduleBalance(t.store, TREASURY_MODULE)).toBe(treasury + want);
      expect(attrs(events, "job_timeout")[0].penalty).toBe(`${want}uinf`);
    }
  });

  test("a late penalty never takes the client's refunds above the fee", () => {
    // late_penalty 100% and a refund already on record (e.g. from a settled dispute): capped at fee − refunded.
    const { t, client } = setup(1, { latePenaltyPpm: 1_000_000n });
    const id = submit(t, client, 4n, 10_000n);
    endBlock(t, 5n);
    t.k.setJob(t.store, { ...job(t, id), refunded: 4_000n });
    const before = t.bank.balance(t.store, client);
    const events = result(t, job(t, id), job(t, id).deadlineHeight + 1n);
    expect(attrs(events, "result_submitted")[0].penalty).toBe("6000uinf");
    expect(job(t, id).refunded).toBe(10_000n);
    expect(t.bank.balance(t.store, client)).toBe(before + 6_000n);
  });
});

describe("cannot-run results (finding 4)", () => {
  test("posted by the assigned worker like any result; at finalization the fee goes back in full and the worker earns and pays nothing", () => {
    const { t, client } = setup(2);
    const start = t.bank.balance(t.store, client);
    const id = submit(t, client, 4n, 8000n);
    endBlock(t, 5n);
    const assigned = job(t, id);
    const recipient = operatorAccount(assigned.operator);
    const recipientBefore = t.bank.balance(t.store, recipient);
    const tokens = t.staking.validator(t.store, assigned.operator)!.tokens;
    // Late, even: a cannot-run result pays no late penalty.
    const posted = result(t, assigned, assigned.deadlineHeight + 1n, true, "onnxruntime: input out of range");
    expect(attrs(posted, "result_submitted")).toEqual([
      expect.objectContaining({ job_id: String(id), late: "true", cannot_run: "true", reason: "onnxruntime: input out of range", penalty: "0uinf" }),
    ]);
    expect(job(t, id)).toMatchObject({ status: JobStatus.JOB_STATUS_RESULT_POSTED, cannotRun: true, cannotRunReason: "onnxruntime: input out of range", output: new Uint8Array() });
    const end = job(t, id).challengeEndHeight;
    endBlock(t, end - 1n);
    expect(job(t, id).status).toBe(JobStatus.JOB_STATUS_RESULT_POSTED); // open to challenge like any result

    const events = endBlock(t, end);

    expect(job(t, id)).toMatchObject({ status: JobStatus.JOB_STATUS_FINALIZED, cannotRun: true, refunded: 8000n });
    expect(t.bank.balance(t.store, client)).toBe(start);
    expect(t.bank.balance(t.store, recipient)).toBe(recipientBefore);
    expect(t.staking.validator(t.store, assigned.operator)!.tokens).toBe(tokens);
    expect(t.bank.moduleBalance(t.store, VERIFICATION_POOL_MODULE)).toBe(0n);
    expect(t.bank.moduleBalance(t.store, TREASURY_MODULE)).toBe(0n);
    expect(t.bank.moduleBalance(t.store, JOB_ESCROW_MODULE)).toBe(0n);
    expect(attrs(events, "job_finalized")).toEqual([expect.objectContaining({ job_id: String(id), cannot_run: "true", refund: "8000uinf", recipient: client, worker_amount: "0uinf" })]);
  });
});

// ---------------------------------------------------------------- finding 7

describe("pruning finished jobs (finding 7)", () => {
  test("at finish + job_retention_blocks the bytes go (hashes and the commitment stay); job_record_retention_blocks later the record and its index entries go", () => {
    const { t, client } = setup(1, { jobRetentionBlocks: 5n, jobRecordRetentionBlocks: 7n, challengeWindowBlocks: 2n });
    const id = submit(t, client, 4n, 2000n);
    endBlock(t, 5n);
    result(t, job(t, id), 6n);
    const done = 8n;
    endBlock(t, done);
    expect(job(t, id)).toMatchObject({ status: JobStatus.JOB_STATUS_FINALIZED, finalizedHeight: done, pruneHeight: done + 5n, pruned: false });

    endBlock(t, done + 4n);
    expect(job(t, id).input).toEqual(sampleInput());

    endBlock(t, done + 5n);
    const compact = job(t, id);
    expect(compact).toMatchObject({
      status: JobStatus.JOB_STATUS_FINALIZED,
      client,
      fee: 2000n,
      pruned: true,
      input: new Uint8Array(),
      output: new Uint8Array(),
      sealedOutput: new Uint8Array(),
      commitment: sealFor(job(t, id), sampleOutput()).commitment,
      inputSha256: sha256Hex(sampleInput()),
      // A sealed result that was never opened put no output on chain (keeper.test.ts: an opened one keeps its hash).
      outputSha256: "",
      pruneHeight: done + 12n,
    });
    expect([...t.store.iterate(`inference/jobs_by_client/${client}/`)].length).toBe(1);

    // The Job query returns the compact record, saying the bytes were pruned.
    const jobQuery = inferenceQueries(t.k).find((q) => q.path.endsWith("/Job"))!;
    const wire = QueryJobResponse.decode(jobQuery.handle({ store: t.store, height: done + 5n }, QueryJobRequest.encode({ id }).finish())).job!;
    expect(wire).toMatchObject({ pruned: true, inputSha256: sha256Hex(sampleInput()), outputSha256: "", fee: "2000", client });
    expect(wire.input.length + wire.output.length + wire.sealedOutput.length).toBe(0);

    endBlock(t, done + 11n);
    expect(t.k.getJob(t.store, id)).toBeDefined();
    endBlock(t, done + 12n);
    expect(t.k.getJob(t.store, id)).toBeUndefined();
    expect(() => jobQuery.handle({ store: t.store, height: done + 12n }, QueryJobRequest.encode({ id }).finish())).toThrow(/pruned after its retention window/);
    const left = [...t.store.iterate("inference/")].map(([k]) => k).filter((k) => k !== "inference/params" && k !== "inference/next_job_id");
    expect(left).toEqual([]);
  });

  test("failed jobs are pruned too, and at most max_prunes_per_block per block", () => {
    const { t, client } = setup(0, { jobRetentionBlocks: 1n, maxPrunesPerBlock: 2 });
    for (let i = 0; i < 5; i++) submit(t, client, 4n, 1000n);
    endBlock(t, 5n); // nobody eligible: all fail at 5
    endBlock(t, 6n);
    expect([1n, 2n, 3n, 4n, 5n].map((id) => job(t, id).pruned)).toEqual([true, true, false, false, false]);
    endBlock(t, 7n);
    endBlock(t, 8n);
    expect([1n, 2n, 3n, 4n, 5n].map((id) => job(t, id).pruned)).toEqual([true, true, true, true, true]);
    expect([...t.store.iterate(PRUNE_QUEUE_PREFIX)].length).toBe(5); // each waiting for its record's step
  });

  test("under a steady job load the module's state stops growing: N blocks and 2N blocks hold the same keys and about the same bytes", () => {
    const run = (blocks: number): { keys: number; bytes: number } => {
      const { t, client } = setup(2, { jobRetentionBlocks: 5n, jobRecordRetentionBlocks: 10n, challengeWindowBlocks: 2n, maxAssignmentsPerBlock: 10 });
      for (let h = 1n; h <= BigInt(blocks); h++) {
        for (let i = 0; i < 3; i++) submit(t, client, h, 1000n);
        for (const [k] of [...t.store.iterate("inference/jobs_by_status/2/")]) {
          const j = job(t, BigInt(k.slice(-20)));
          result(t, j, h);
        }
        endBlock(t, h);
      }
      return inferenceState(t);
    };
    const n = run(60);
    const twice = run(120);
    // Before pruning, 2N blocks held twice the jobs with all their bytes.
    expect(twice.keys).toBe(n.keys);
    expect(twice.bytes).toBeLessThanOrEqual(n.bytes * 1.02);
  });
});
