import { createHash } from "node:crypto";
import type { AppError } from "../../base/errors";
import { MemKV } from "../../base/store/kv";
import { moduleAddress, operatorAccount } from "../../base/types/address";
import { QueryJobsRequest, QueryJobsResponse } from "../../gen/inferchain/inference/v1/query";
import { MsgOpenResult, MsgSubmitJob } from "../../gen/inferchain/inference/v1/tx";
import { endBlocker } from "./abci";
import { ErrChallengeWindowClosed, ErrJobNotDisputable, ErrJobNotDisputed, ErrUnknownJob } from "./errors";
import { exportGenesis, initGenesis } from "./genesis";
import {
  DEADLINE_QUEUE_PREFIX,
  FINALIZE_QUEUE_PREFIX,
  JOBS_BY_CLIENT_PREFIX,
  JOBS_BY_STATUS_PREFIX,
  JOBS_BY_WORKER_PREFIX,
  RESULTS_BY_HEIGHT_PREFIX,
  jobKey,
} from "./keys";
import { msgOpenResultHandler, msgSubmitJobHandler, msgSubmitResultHandler } from "./msgServer";
import { inferenceQueries } from "./queries";
import {
  FakeChallenge,
  JOB_ESCROW_MODULE,
  MODEL,
  TREASURY_MODULE,
  VERIFICATION_POOL_MODULE,
  addValidator,
  ctxAt,
  deliver,
  fundedClient,
  resultMsgBytes,
  sampleInput,
  sampleOutput,
  sealFor,
  testAccount,
  testSetup,
  testValidatorAddrs,
  testWorker,
  totalBalances,
  type TestSetup,
} from "./testutil";
import { JobStatus, newJob, type Job } from "./types";

const keysUnder = (s: MemKV, prefix: string): string[] => [...s.iterate(prefix)].map(([k]) => k.slice(prefix.length));

function pending(id: bigint, client = testAccount(1)): Job {
  return newJob({ id, client, modelId: MODEL.id, input: Uint8Array.of(1), fee: 1000n, height: 3n });
}

describe("job store and its indexes", () => {
  test("key order is id order (zero-padded), so iteration is numeric", () => {
    expect(jobKey(2n) < jobKey(10n)).toBe(true);
    expect(jobKey(10n)).toBe("inference/jobs/00000000000000000010");
  });

  test("a job round-trips through the store", () => {
    const { store, k } = testSetup();
    const j = { ...pending(7n), refunded: 5n, triedOperators: [testValidatorAddrs(1).operator] };
    k.setJob(store, j);
    expect(k.getJob(store, 7n)).toEqual(j);
    expect(k.getJob(store, 8n)).toBeUndefined();
  });

  test("every write moves the status, client and worker indexes and the queues with the job", () => {
    const { store, k } = testSetup();
    const op = testValidatorAddrs(0).operator;
    const j = pending(1n);
    k.setJob(store, j);
    expect(keysUnder(store, JOBS_BY_STATUS_PREFIX)).toEqual(["1/00000000000000000001"]);
    expect(keysUnder(store, JOBS_BY_CLIENT_PREFIX)).toEqual([`${testAccount(1)}/00000000000000000001`]);
    expect(keysUnder(store, JOBS_BY_WORKER_PREFIX)).toEqual([]);

    const assigned: Job = { ...j, status: JobStatus.JOB_STATUS_ASSIGNED, attempts: 1, operator: op, worker: testWorker(0), assignedHeight: 3n, deadlineHeight: 13n, hardDeadlineHeight: 23n, triedOperators: [op] };
    k.setJob(store, assigned);
    expect(keysUnder(store, JOBS_BY_STATUS_PREFIX)).toEqual(["2/00000000000000000001"]);
    expect(keysUnder(store, JOBS_BY_WORKER_PREFIX)).toEqual([`${testWorker(0)}/00000000000000000001`]);
    expect(keysUnder(store, DEADLINE_QUEUE_PREFIX)).toEqual(["00000000000000000023/00000000000000000001"]);

    const posted: Job = { ...assigned, status: JobStatus.JOB_STATUS_RESULT_POSTED, output: Uint8Array.of(1), resultHeight: 5n, challengeEndHeight: 15n };
    k.setJob(store, posted);
    expect(keysUnder(store, JOBS_BY_STATUS_PREFIX)).toEqual(["3/00000000000000000001"]);
    expect(keysUnder(store, DEADLINE_QUEUE_PREFIX)).toEqual([]);
    expect(keysUnder(store, FINALIZE_QUEUE_PREFIX)).toEqual(["00000000000000000015/00000000000000000001"]);
    expect(keysUnder(store, RESULTS_BY_HEIGHT_PREFIX)).toEqual(["00000000000000000005/00000000000000000001"]);

    // Held by a dispute: off the finalize queue, still a result of its height.
    k.setJob(store, { ...posted, status: JobStatus.JOB_STATUS_DISPUTED, disputeId: 1n });
    expect(keysUnder(store, JOBS_BY_STATUS_PREFIX)).toEqual(["6/00000000000000000001"]);
    expect(keysUnder(store, FINALIZE_QUEUE_PREFIX)).toEqual([]);
    expect(keysUnder(store, RESULTS_BY_HEIGHT_PREFIX)).toEqual(["00000000000000000005/00000000000000000001"]);
    k.setJob(store, posted);

    // Reassigned to another worker: the worker index follows.
    const other = testValidatorAddrs(1).operator;
    k.setJob(store, { ...assigned, operator: other, worker: testWorker(1), hardDeadlineHeight: 40n, attempts: 2, triedOperators: [op, other] });
    expect(keysUnder(store, JOBS_BY_WORKER_PREFIX)).toEqual([`${testWorker(1)}/00000000000000000001`]);
    expect(keysUnder(store, FINALIZE_QUEUE_PREFIX)).toEqual([]);
    expect(keysUnder(store, DEADLINE_QUEUE_PREFIX)).toEqual(["00000000000000000040/00000000000000000001"]);

    k.setJob(store, { ...posted, status: JobStatus.JOB_STATUS_FINALIZED, finalizedHeight: 15n });
    expect(keysUnder(store, JOBS_BY_STATUS_PREFIX)).toEqual(["4/00000000000000000001"]);
    expect(keysUnder(store, DEADLINE_QUEUE_PREFIX)).toEqual([]);
    expect(keysUnder(store, FINALIZE_QUEUE_PREFIX)).toEqual([]);
    expect(keysUnder(store, RESULTS_BY_HEIGHT_PREFIX)).toEqual([]);
  });

  test("pendingJobIds is the PENDING index in id order, capped", () => {
    const { store, k } = testSetup();
    for (const id of [12n, 3n, 7n, 100n]) k.setJob(store, pending(id));
    k.setJob(store, { ...pending(5n), status: JobStatus.JOB_STATUS_FAILED });
    expect(k.pendingJobIds(store, 10)).toEqual([3n, 7n, 12n, 100n]);
    expect(k.pendingJobIds(store, 2)).toEqual([3n, 7n]);
    expect(k.pendingJobIds(store, 0)).toEqual([]);
  });

  test("due queues return only entries at or below the height, in height then id order", () => {
    const { store, k } = testSetup();
    const op = testValidatorAddrs(0).operator;
    const at = (id: bigint, hard: bigint): Job => ({ ...pending(id), status: JobStatus.JOB_STATUS_ASSIGNED, attempts: 1, operator: op, worker: testWorker(0), assignedHeight: 1n, deadlineHeight: 2n, hardDeadlineHeight: hard, triedOperators: [op] });
    k.setJob(store, at(9n, 30n));
    k.setJob(store, at(2n, 30n));
    k.setJob(store, at(5n, 20n));
    k.setJob(store, at(1n, 31n));
    expect(k.dueDeadlines(store, 19n)).toEqual([]);
    expect(k.dueDeadlines(store, 20n)).toEqual([[20n, 5n]]);
    expect(k.dueDeadlines(store, 30n)).toEqual([[20n, 5n], [30n, 2n], [30n, 9n]]);
  });

  test("the id counter starts at 1", () => {
    const { store, k } = testSetup();
    expect(k.getNextJobId(store)).toBe(1n);
    k.setNextJobId(store, 42n);
    expect(k.getNextJobId(store)).toBe(42n);
  });
});

// ---------------------------------------------------------------- disputes (what x/challenge calls)

describe("disputes: the keeper methods x/challenge calls", () => {
  const M = 1_000_000n;
  const FEE = 10_000n;

  /** Jobs 1..n submitted at 1, assigned at 2, answered at `at` (default 3): RESULT_POSTED, window 5. */
  function posted(n = 1, o: { at?: bigint; cannotRun?: boolean; params?: Parameters<typeof testSetup>[0] } = {}): { t: TestSetup; client: string } {
    const t = testSetup({ challengeWindowBlocks: 5n, ...o.params });
    addValidator(t, 0, 1000n * M);
    const client = fundedClient(t, 100n * M);
    for (let i = 0; i < n; i++) {
      deliver(t, msgSubmitJobHandler(t.k), MsgSubmitJob.encode({ client, modelId: MODEL.id, input: sampleInput(), inputUri: "", inputSha256: "", fee: FEE.toString() }).finish(), 1n);
    }
    endBlocker(t.k, ctxAt(t.store, 2n));
    for (let id = 1n; id <= BigInt(n); id++) {
      const j = t.k.getJob(t.store, id)!;
      deliver(t, msgSubmitResultHandler(t.k), o.cannotRun ? resultMsgBytes(j, new Uint8Array(), { cannotRun: true, reason: "no" }) : resultMsgBytes(j), o.at ?? 3n);
    }
    return { t, client };
  }

  test("resultsIncludedAt: the jobs whose result was posted at a height, in id order, until they finish", () => {
    const { t } = posted(3);
    expect(t.k.resultsIncludedAt(t.store, 3n)).toEqual([1n, 2n, 3n]);
    expect(t.k.resultsIncludedAt(t.store, 2n)).toEqual([]);
    expect(t.k.resultsIncludedAt(t.store, 4n)).toEqual([]);
    t.k.holdForDispute(ctxAt(t.store, 4n), 2n, 1n);
    expect(t.k.resultsIncludedAt(t.store, 3n)).toEqual([1n, 2n, 3n]); // a held result is still a result of that height
    endBlocker(t.k, ctxAt(t.store, 8n)); // 1 and 3 finalize
    expect(t.k.resultsIncludedAt(t.store, 3n)).toEqual([2n]);
    t.k.settleDispute(ctxAt(t.store, 9n), 2n, false);
    expect(t.k.resultsIncludedAt(t.store, 3n)).toEqual([]);
    expect([...t.store.iterate(RESULTS_BY_HEIGHT_PREFIX)]).toEqual([]);
  });

  test("jobForDispute: the job as a dispute sees it; undefined for none", () => {
    const { t, client } = posted();
    const j = t.k.getJob(t.store, 1n)!;
    expect(t.k.jobForDispute(t.store, 1n)).toEqual({
      id: 1n,
      client,
      modelId: MODEL.id,
      operator: j.operator,
      worker: j.worker,
      fee: FEE,
      assignedHeight: 2n,
      resultHeight: 3n,
      challengeEndHeight: 8n,
      status: "result_posted",
      cannotRun: false,
      opened: false,
      output: new Uint8Array(),
      input: sampleInput(),
      auditRatePpm: 0n,
      inputUri: "",
      inputSha256: "",
      pruned: false,
    });
    expect(t.k.jobForDispute(t.store, 2n)).toBeUndefined();
    expect(t.k.openedResult(t.store, 1n)).toBeUndefined();
  });

  test("holdForDispute: DISPUTED with the dispute id, off the finalize queue: the window's end does not finalize it and the fee stays in escrow", () => {
    const { t } = posted();
    const ctx = ctxAt(t.store, 8n); // the window's last block: a dispute in it lands before the split
    t.k.holdForDispute(ctx, 1n, 7n);
    expect(t.k.getJob(t.store, 1n)).toMatchObject({ status: JobStatus.JOB_STATUS_DISPUTED, disputeId: 7n });
    expect(ctx.events.events().map((e) => e.type)).toEqual(["job_disputed"]);
    expect(t.k.dueFinalizations(t.store, 1000n)).toEqual([]);
    endBlocker(t.k, ctxAt(t.store, 8n));
    endBlocker(t.k, ctxAt(t.store, 30n));
    expect(t.k.getJob(t.store, 1n)?.status).toBe(JobStatus.JOB_STATUS_DISPUTED);
    expect(t.bank.moduleBalance(t.store, JOB_ESCROW_MODULE)).toBe(FEE);
    expect(t.k.jobForDispute(t.store, 1n)?.status).toBe("disputed");
  });

  test("holdForDispute refuses, with its own codes: no such job, no posted result, a closed window, twice, dispute id 0", () => {
    const { t } = posted(2);
    const code = (f: () => void): string => {
      try {
        f();
      } catch (e) {
        return `${(e as AppError).codespace}/${(e as AppError).code}`;
      }
      return "none";
    };
    const at = (h: bigint): ReturnType<typeof ctxAt> => ctxAt(t.store, h);
    expect(code(() => t.k.holdForDispute(at(4n), 9n, 1n))).toBe(`inference/${ErrUnknownJob.code}`);
    expect(code(() => t.k.holdForDispute(at(9n), 1n, 1n))).toBe(`inference/${ErrChallengeWindowClosed.code}`);
    expect(code(() => t.k.holdForDispute(at(4n), 1n, 0n))).toBe(`inference/${ErrJobNotDisputable.code}`);
    t.k.holdForDispute(at(4n), 1n, 1n);
    expect(code(() => t.k.holdForDispute(at(4n), 1n, 2n))).toBe(`inference/${ErrJobNotDisputable.code}`);
    endBlocker(t.k, at(8n)); // job 2 finalizes
    expect(code(() => t.k.holdForDispute(at(8n), 2n, 3n))).toBe(`inference/${ErrJobNotDisputable.code}`);
    expect(code(() => t.k.settleDispute(at(9n), 2n, true))).toBe(`inference/${ErrJobNotDisputed.code}`);
  });

  test("settleDispute(fault): the whole escrowed fee goes back to the client, the job FAILS (invalid_result); supply is conserved", () => {
    const { t, client } = posted();
    const supply = totalBalances(t.store);
    const before = t.bank.balance(t.store, client);
    t.k.holdForDispute(ctxAt(t.store, 4n), 1n, 1n);
    const ctx = ctxAt(t.store, 12n);
    t.k.settleDispute(ctx, 1n, true);
    expect(t.k.getJob(t.store, 1n)).toMatchObject({ status: JobStatus.JOB_STATUS_FAILED, refunded: FEE, finalizedHeight: 12n, disputeId: 1n });
    expect(t.bank.balance(t.store, client)).toBe(before + FEE);
    expect(t.bank.moduleBalance(t.store, JOB_ESCROW_MODULE)).toBe(0n);
    expect(totalBalances(t.store)).toBe(supply);
    const failed = ctx.events.events().find((e) => e.type === "job_failed")!;
    expect(Object.fromEntries(failed.attributes.map((a) => [a.key, a.value]))).toMatchObject({ job_id: "1", reason: "invalid_result", refund: "10000uinf", treasury_amount: "0uinf" });
  });

  test("settleDispute(fault) after a late result: the client ends with exactly the fee back (late penalty + escrow), never more", () => {
    const { t, client } = posted(1, { at: 2n + MODEL.slaBlocks + 1n });
    const j = t.k.getJob(t.store, 1n)!;
    expect(j.late).toBe(true);
    const paidBefore = t.bank.balance(t.store, client);
    const supply = totalBalances(t.store);
    t.k.holdForDispute(ctxAt(t.store, j.resultHeight), 1n, 1n);
    t.k.settleDispute(ctxAt(t.store, j.resultHeight + 1n), 1n, true);
    const after = t.k.getJob(t.store, 1n)!;
    expect(after.refunded).toBe(FEE);
    expect(t.bank.balance(t.store, client) - paidBefore).toBe(FEE - j.refunded);
    expect(t.bank.moduleBalance(t.store, TREASURY_MODULE)).toBe(j.refunded);
    expect(totalBalances(t.store)).toBe(supply);
  });

  test("settleDispute(ok): the job finalizes now exactly as the window's end would have (same split, same events)", () => {
    const split = (disputed: boolean): { balances: bigint[]; events: unknown } => {
      const { t, client } = posted();
      let ctx: ReturnType<typeof ctxAt>;
      if (disputed) {
        t.k.holdForDispute(ctxAt(t.store, 5n), 1n, 3n);
        ctx = ctxAt(t.store, 8n);
        t.k.settleDispute(ctx, 1n, false);
      } else {
        ctx = ctxAt(t.store, 8n);
        endBlocker(t.k, ctx);
      }
      const j = t.k.getJob(t.store, 1n)!;
      expect(j).toMatchObject({ status: JobStatus.JOB_STATUS_FINALIZED, finalizedHeight: 8n });
      const op = operatorAccount(j.operator);
      return {
        balances: [t.bank.balance(t.store, client), t.bank.balance(t.store, op), t.bank.moduleBalance(t.store, VERIFICATION_POOL_MODULE), t.bank.moduleBalance(t.store, TREASURY_MODULE), t.bank.moduleBalance(t.store, JOB_ESCROW_MODULE)],
        events: ctx.events.events().filter((e) => e.type === "job_finalized"),
      };
    };
    const normal = split(false);
    expect(normal.balances.slice(2)).toEqual([1000n, 500n, 0n]);
    expect(split(true)).toEqual(normal);
  });

  test("settleDispute(ok) of a cannot-run result refunds the fee, as its finalization would", () => {
    const { t, client } = posted(1, { cannotRun: true });
    const before = t.bank.balance(t.store, client);
    t.k.holdForDispute(ctxAt(t.store, 4n), 1n, 1n);
    t.k.settleDispute(ctxAt(t.store, 5n), 1n, false);
    expect(t.k.getJob(t.store, 1n)).toMatchObject({ status: JobStatus.JOB_STATUS_FINALIZED, cannotRun: true, refunded: FEE });
    expect(t.bank.balance(t.store, client)).toBe(before + FEE);
  });

  test("an opened, disputed job round-trips through genesis, and when pruned keeps its output's hash", () => {
    const { t } = posted(2, { params: { jobRetentionBlocks: 2n } });
    t.k.holdForDispute(ctxAt(t.store, 4n), 1n, 5n);
    const c = new FakeChallenge();
    c.want.add(1n);
    t.k.setChallengeKeeper(c);
    const j = t.k.getJob(t.store, 1n)!;
    const opening = sealFor(j, sampleOutput());
    deliver(t, msgOpenResultHandler(t.k), MsgOpenResult.encode({ worker: j.worker, jobId: 1n, output: opening.output, salt: opening.salt, ephemeralKey: opening.ephemeralKey }).finish(), 5n);
    expect(t.k.openedResult(t.store, 1n)).toEqual({ output: sampleOutput(), cannotRun: false });
    expect(t.k.jobForDispute(t.store, 1n)).toMatchObject({ opened: true, output: sampleOutput(), status: "disputed" });

    const g = exportGenesis(t.k, { store: t.store, height: 5n });
    expect(g.jobs[0]).toMatchObject({ status: "JOB_STATUS_DISPUTED", dispute_id: "5", opened: true });
    const u = testSetup();
    u.bank.mint(u.store, moduleAddress(JOB_ESCROW_MODULE), 2n * FEE);
    initGenesis(u.k, ctxAt(u.store, 1n), JSON.parse(JSON.stringify(g)) as unknown);
    const state = (s: MemKV): Array<[string, string]> => [...s.iterate("inference/")].map(([k, v]) => [k, Buffer.from(v).toString("hex")]);
    expect(state(u.store)).toEqual(state(t.store));

    // Jobs of DISPUTED status are listed by the Jobs query.
    const jobs = inferenceQueries(t.k).find((q) => q.path.endsWith("/Jobs"))!;
    const page = QueryJobsResponse.decode(jobs.handle({ store: t.store, height: 5n }, QueryJobsRequest.encode({ status: JobStatus.JOB_STATUS_DISPUTED, client: "", worker: "", pagination: undefined }).finish()));
    expect(page.jobs.map((x) => x.id)).toEqual([1n]);

    t.k.settleDispute(ctxAt(t.store, 6n), 1n, false);
    endBlocker(t.k, ctxAt(t.store, 8n));
    const pruned = t.k.getJob(t.store, 1n)!;
    expect(pruned).toMatchObject({ pruned: true, output: new Uint8Array(), sealedOutput: new Uint8Array(), outputSha256: createHash("sha256").update(sampleOutput()).digest("hex") });
    expect(pruned.commitment.length).toBe(32);
  });
});
