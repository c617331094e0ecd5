/**
 * x/inference's block hook. EndBlock runs four steps, each reading only what is due:
 *
 *   1. timeouts      ASSIGNED jobs whose hard deadline is this height or earlier (deadline
 *                    queue): the worker pays the no-response penalty (a multiple of the fee with
 *                    a floor and a cap, kind `no_response`) from its stake to the treasury, and
 *                    the job goes back to PENDING if it has attempts left, else fails with its
 *                    escrowed fee refunded;
 *   2. finalization  RESULT_POSTED jobs whose challenge window ends at this height or earlier
 *                    (finalize queue): the escrowed fee is split between the verification pool,
 *                    the treasury and the worker's operator account, or, for a cannot-run
 *                    result, goes back to the client;
 *   3. assignment    up to `max_assignments_per_block` PENDING jobs, oldest first (leftovers from
 *                    earlier blocks and step 1's reassignments, but never a job submitted in this
 *                    block: its proposer chose to include it and would choose its seed too), each
 *                    drawn a worker by stake (assignment.ts) among those whose stake secures its
 *                    fee (x/challenge's `jobAuditRate`, which also fixes the job's audit rate),
 *                    or failed with a refund when none is eligible. The rest stay PENDING for
 *                    the next block;
 *   4. pruning       up to `max_prunes_per_block` finished jobs whose prune height is due (prune
 *                    queue): first their input and output bytes are dropped (their sha256 kept),
 *                    `job_record_retention_blocks` later the compact record itself.
 *
 * Each job is handled on its own branch (`perJob`). A job whose handling throws anything but an
 * `InvariantError` (bad data in that one job: an overflowing height, a missing model, a
 * validator that is gone) has its branch dropped, a `job_error` event, and is taken off the
 * queue that named it so that it cannot throw again next block (`quarantine`). Only a broken
 * invariant of the module's own state — a queue or index naming a job that is not there or not
 * in that state — throws `InvariantError`, which halts the node: continuing would fork or lose
 * money quietly.
 *
 * Transactions run before EndBlock, so a result in the block of the hard deadline counts (late)
 * and a challenge in the block of the window's end lands before the split. The module is listed
 * before slashing and staking in app.ts, so these slashes show in this block's validator set.
 */
import { onBranch, type Context } from "../../base/context";
import { InvariantError, errorText } from "../../base/errors";
import { moduleAddress } from "../../base/types/address";
import { eligibleWorkers, sampleWorker, securingWorkers } from "./assignment";
import { emitJobAssigned, emitJobError, emitJobReassigned, emitJobTimeout, emitJobUnassignable, type JobStep } from "./events";
import type { ModelWorker } from "./expectedKeepers";
import { noResponsePenalty } from "./fees";
import { KIND_NO_RESPONSE, type InferenceKeeper } from "./keeper";
import { sha256Hex } from "./inputUri";
import { deadlineQueueKey, finalizeQueueKey, jobByStatusKey, pruneQueueKey } from "./keys";
import type { InferenceParams } from "./params";
import { coinString, failJob, finalizeJob } from "./settlement";
import { JobStatus, isFinished, isOpen, type Job } from "./types";

export { failJob, finalizeJob };

export function endBlocker(k: InferenceKeeper, ctx: Context): void {
  const params = k.getParams(ctx.store);
  processTimeouts(k, ctx, params);
  processFinalizations(k, ctx, params);
  processAssignments(k, ctx, params);
  processPrunes(k, ctx, params);
}

function mustGetJob(k: InferenceKeeper, ctx: Context, queueKey: string, id: bigint): Job {
  let job: Job | undefined;
  try {
    job = k.getJob(ctx.store, id);
  } catch (e) {
    // The record is there but does not decode: that job's data is bad, not the queue.
    throw new BadJobRecord(id, (e as Error).message);
  }
  if (!job) throw new InvariantError(`inference: ${queueKey} names missing job ${id}`);
  return job;
}

/** A stored job that does not decode: handled like any per-job error (the job is parked). */
class BadJobRecord extends Error {
  constructor(
    readonly id: bigint,
    detail: string,
  ) {
    super(`job ${id} does not decode: ${detail}`);
  }
}

// ---------------------------------------------------------------- per-job isolation

/**
 * Runs `f` for job `id` on a branch of `ctx` written (with its events) only if `f` returns. An
 * `InvariantError` propagates (halts the node); anything else drops the branch, emits
 * `job_error{job_id, step, error}` and quarantines the job. Returns whether `f` succeeded.
 */
export function perJob(k: InferenceKeeper, ctx: Context, params: InferenceParams, step: JobStep, id: bigint, queueKey: string, f: (c: Context) => void): boolean {
  const r = onBranch(ctx, f);
  if (r.ok) return true;
  emitJobError(ctx.events, { jobId: id, step, error: errorText(r.error) });
  quarantine(k, ctx, params, id, queueKey);
  return false;
}

/**
 * Takes a job whose handling threw off the queue that named it, in a way that cannot throw
 * again next block. On a fresh branch: an open job fails with its escrowed fee refunded
 * (`job_failed{reason = error}`); a finished one loses its prune step (it keeps its bytes).
 * If even that throws (the record does not decode, the escrow cannot pay it), the queue entry
 * that named it is deleted raw and the job is parked as it is, in a state no queue reads
 * (`job_error{step = park}`); a genesis export and import would queue it again, and the same
 * handling would apply.
 */
function quarantine(k: InferenceKeeper, ctx: Context, params: InferenceParams, id: bigint, queueKey: string): void {
  const r = onBranch(ctx, (c) => {
    const job = k.getJob(c.store, id);
    if (!job) throw new Error(`job ${id} is gone`);
    if (isOpen(job.status)) failJob(k, c, params, job, "error");
    else if (isFinished(job.status)) k.setJob(c.store, { ...job, pruneHeight: 0n });
    else throw new Error(`job ${id} has status ${job.status}`);
    if (c.store.has(queueKey)) throw new Error(`job ${id} is still on ${queueKey}`);
  });
  if (r.ok) return;
  ctx.store.delete(queueKey);
  emitJobError(ctx.events, { jobId: id, step: "park", error: errorText(r.error) });
}

// ---------------------------------------------------------------- 1. timeouts

export function processTimeouts(k: InferenceKeeper, ctx: Context, params: InferenceParams): void {
  for (const [height, id] of k.dueDeadlines(ctx.store, ctx.block.height)) {
    const key = deadlineQueueKey(height, id);
    perJob(k, ctx, params, "timeout", id, key, (c) => {
      const job = mustGetJob(k, c, key, id);
      if (job.status !== JobStatus.JOB_STATUS_ASSIGNED || job.hardDeadlineHeight !== height) {
        throw new InvariantError(`inference: deadline queue entry ${height}/${id} does not match job ${id}`);
      }
      timeoutJob(k, c, params, job);
    });
  }
}

/**
 * No result by the hard deadline. The worker pays the no-response penalty (sized by the fee:
 * `noResponsePenalty`) from its stake at the assignment height to the treasury, through
 * x/slashing's one path; the client is not paid from stake (it gets its escrowed fee back if
 * the job finally fails: README "What the client gets back").
 */
export function timeoutJob(k: InferenceKeeper, ctx: Context, params: InferenceParams, job: Job): void {
  const penalty = k.slashing.compensate(ctx, {
    operator: job.operator,
    infractionHeight: job.assignedHeight,
    amount: noResponsePenalty(job.fee, params),
    kind: KIND_NO_RESPONSE,
    beneficiary: moduleAddress(k.treasury),
    reason: `job ${job.id}: no result by height ${job.hardDeadlineHeight}`,
  }).amount;
  emitJobTimeout(ctx.events, { jobId: job.id, operator: job.operator, worker: job.worker, attempt: job.attempts, penalty: coinString(k, penalty) });
  if (job.attempts < params.maxAttempts) {
    // The next assignee's stake sets the next rate.
    k.setJob(ctx.store, { ...job, status: JobStatus.JOB_STATUS_PENDING, auditRatePpm: 0n });
    emitJobReassigned(ctx.events, { jobId: job.id, operator: job.operator, worker: job.worker, attempt: job.attempts });
  } else {
    failJob(k, ctx, params, job, "max_attempts");
  }
}

// ---------------------------------------------------------------- 2. finalization

export function processFinalizations(k: InferenceKeeper, ctx: Context, params: InferenceParams): void {
  for (const [height, id] of k.dueFinalizations(ctx.store, ctx.block.height)) {
    const key = finalizeQueueKey(height, id);
    perJob(k, ctx, params, "finalize", id, key, (c) => {
      const job = mustGetJob(k, c, key, id);
      if (job.status !== JobStatus.JOB_STATUS_RESULT_POSTED || job.challengeEndHeight !== height) {
        throw new InvariantError(`inference: finalize queue entry ${height}/${id} does not match job ${id}`);
      }
      finalizeJob(k, c, params, job);
    });
  }
}

// ---------------------------------------------------------------- 3. assignment

export function processAssignments(k: InferenceKeeper, ctx: Context, params: InferenceParams): void {
  // Staking does not change during this step, so each model's workers are read once.
  const workers = new Map<string, ModelWorker[]>();
  for (const id of k.pendingJobIds(ctx.store, params.maxAssignmentsPerBlock)) {
    const key = jobByStatusKey(JobStatus.JOB_STATUS_PENDING, id);
    perJob(k, ctx, params, "assign", id, key, (c) => {
      const job = mustGetJob(k, c, key, id);
      if (job.status !== JobStatus.JOB_STATUS_PENDING) throw new InvariantError(`inference: pending index names job ${id} in status ${job.status}`);
      // Never in the block that included it: that block's proposer chose to include the job
      // and would also choose (grind) the hash that seeds its draw. Reassignments after a
      // timeout are drawn in the timeout's block, which nobody chose for the job.
      if (job.attempts === 0 && job.submittedHeight >= c.block.height) return;
      let all = workers.get(job.modelId);
      if (!all) {
        all = k.staking.workersForModel(c.store, job.modelId);
        workers.set(job.modelId, all);
      }
      assignJob(k, c, params, job, all);
    });
  }
}

/**
 * Draws a worker for a PENDING job, seeded by this block's hash, among the workers whose stake
 * secures its fee (x/challenge's `jobAuditRate`; every worker, at rate 0 = the base rate, when
 * no challenge keeper is wired): deadline = height + sla_blocks, hard deadline = height + 2 ×
 * sla_blocks, audit_rate_ppm = the rate on the worker drawn. Nobody eligible (none serves the
 * model, all were tried, or no untried one's stake secures the fee): the job fails and the
 * escrowed fee is refunded.
 */
export function assignJob(k: InferenceKeeper, ctx: Context, params: InferenceParams, job: Job, all: readonly ModelWorker[]): void {
  const model = k.models.getModel(ctx.store, job.modelId);
  if (!model) throw new Error(`inference: job ${job.id} names missing model ${job.modelId}`);
  const challenge = k.challenge;
  const untried = eligibleWorkers(all, job.triedOperators);
  const secured = securingWorkers(untried, (w) => (challenge ? challenge.jobAuditRate(ctx.store, job.fee, w.tokens) : 0n));
  const picked = sampleWorker(ctx.block.hash, job.id, secured, job.triedOperators);
  if (!picked) {
    const unsecured = untried.length - secured.length;
    emitJobUnassignable(ctx.events, { jobId: job.id, modelId: job.modelId, tried: job.triedOperators.length, unsecured });
    failJob(k, ctx, params, job, "no_eligible_worker");
    return;
  }
  const height = ctx.block.height;
  const assigned: Job = {
    ...job,
    status: JobStatus.JOB_STATUS_ASSIGNED,
    attempts: job.attempts + 1,
    operator: picked.operator,
    worker: picked.worker,
    assignedHeight: height,
    deadlineHeight: height + model.slaBlocks,
    hardDeadlineHeight: height + 2n * model.slaBlocks,
    triedOperators: [...job.triedOperators, picked.operator],
    auditRatePpm: picked.auditRatePpm,
  };
  k.setJob(ctx.store, assigned);
  emitJobAssigned(ctx.events, {
    jobId: job.id,
    modelId: job.modelId,
    client: job.client,
    operator: picked.operator,
    worker: picked.worker,
    attempt: assigned.attempts,
    deadlineHeight: assigned.deadlineHeight,
    hardDeadlineHeight: assigned.hardDeadlineHeight,
    auditRatePpm: assigned.auditRatePpm,
  });
}

// ---------------------------------------------------------------- 4. pruning

export function processPrunes(k: InferenceKeeper, ctx: Context, params: InferenceParams): void {
  for (const [height, id] of k.duePrunes(ctx.store, ctx.block.height, params.maxPrunesPerBlock)) {
    const key = pruneQueueKey(height, id);
    perJob(k, ctx, params, "prune", id, key, (c) => {
      const job = mustGetJob(k, c, key, id);
      if (!isFinished(job.status) || job.pruneHeight !== height) throw new InvariantError(`inference: prune queue entry ${height}/${id} does not match job ${id}`);
      pruneJob(k, c, params, job);
    });
  }
}

/**
 * First step: drops a finished job's input, (opened) output and sealed output, keeping the
 * input's and output's sha256 and the result's commitment (so bytes offered later can still be
 * checked) and the compact record, whose own prune step is `job_record_retention_blocks` later.
 * Second step: deletes the record and its index entries.
 */
export function pruneJob(k: InferenceKeeper, ctx: Context, params: InferenceParams, job: Job): void {
  if (job.pruned) {
    k.deleteJob(ctx.store, job);
    return;
  }
  k.setJob(ctx.store, {
    ...job,
    input: new Uint8Array(),
    output: new Uint8Array(),
    sealedOutput: new Uint8Array(),
    inputSha256: job.input.length > 0 ? sha256Hex(job.input) : job.inputSha256,
    outputSha256: job.output.length > 0 ? sha256Hex(job.output) : "",
    pruned: true,
    pruneHeight: ctx.block.height + params.jobRecordRetentionBlocks,
  });
}
