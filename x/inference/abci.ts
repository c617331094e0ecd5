/**
 * x/inference's block hook. EndBlock runs three steps, each reading only what is due:
 *
 *   1. timeouts      ASSIGNED jobs whose hard deadline is this height or earlier (deadline
 *                    queue): the worker refunds the whole fee to the client from its stake
 *                    (compensation, kind `no_response_refund`), is slashed
 *                    `slash_fraction_no_response_ppm` (kind `no_response`, no jail), and the job
 *                    goes back to PENDING if it has attempts left, else fails with its escrowed
 *                    fee refunded;
 *   2. finalization  RESULT_POSTED jobs whose challenge window ends at this height or earlier
 *                    (finalize queue): the escrowed fee is split between the verification pool,
 *                    the treasury and the worker's operator account;
 *   3. assignment    up to `max_assignments_per_block` PENDING jobs, oldest first (new ones,
 *                    leftovers from earlier blocks, and step 1's reassignments), each drawn a
 *                    worker by stake (assignment.ts) or failed with a refund when none is
 *                    eligible. The rest stay PENDING for the next block.
 *
 * Transactions run before EndBlock, so a result in the block of the hard deadline counts (late)
 * and a challenge in the block of the window's end lands before the split. The module is listed
 * before slashing and staking in app.ts, so these slashes show in this block's validator set.
 */
import type { Context } from "../../app/context";
import { accountAddress, Bech32Prefix, parseAddress } from "../../app/types/address";
import { sampleWorker } from "./assignment";
import {
  emitJobAssigned,
  emitJobFailed,
  emitJobFinalized,
  emitJobReassigned,
  emitJobTimeout,
  emitJobUnassignable,
  type FailReason,
} from "./events";
import type { ModelWorker } from "./expectedKeepers";
import { splitFee } from "./fees";
import { KIND_NO_RESPONSE, KIND_NO_RESPONSE_REFUND, coinString, coins, type InferenceKeeper } from "./keeper";
import type { InferenceParams } from "./params";
import { JobStatus, type Job } from "./types";

export function endBlocker(k: InferenceKeeper, ctx: Context): void {
  const params = k.getParams(ctx.store);
  processTimeouts(k, ctx, params);
  processFinalizations(k, ctx, params);
  processAssignments(k, ctx, params);
}

/** The account (infer1…) of a validator operator (infervaloper1…): same bytes, account prefix. */
export function operatorAccount(operator: string): string {
  return accountAddress(parseAddress(operator, Bech32Prefix.operator, "operator"));
}

function mustGetJob(k: InferenceKeeper, ctx: Context, id: bigint): Job {
  const job = k.getJob(ctx.store, id);
  if (!job) throw new Error(`inference: a queue names missing job ${id}`);
  return job;
}

// ---------------------------------------------------------------- 1. timeouts

export function processTimeouts(k: InferenceKeeper, ctx: Context, params: InferenceParams): void {
  for (const [height, id] of k.dueDeadlines(ctx.store, ctx.block.height)) {
    const job = mustGetJob(k, ctx, id);
    if (job.status !== JobStatus.JOB_STATUS_ASSIGNED || job.hardDeadlineHeight !== height) {
      throw new Error(`inference: deadline queue entry ${height}/${id} does not match job ${id}`);
    }
    timeoutJob(k, ctx, params, job);
  }
}

/**
 * No result by the hard deadline. The client gets the fee from the worker's stake now, once per
 * timed-out attempt, and the escrowed fee too if the job then fails (README: "What the client
 * gets back").
 */
export function timeoutJob(k: InferenceKeeper, ctx: Context, params: InferenceParams, job: Job): void {
  const reason = `job ${job.id}: no result by height ${job.hardDeadlineHeight}`;
  const refund = k.slashing.compensate(ctx, {
    operator: job.operator,
    infractionHeight: job.assignedHeight,
    amount: job.fee,
    kind: KIND_NO_RESPONSE_REFUND,
    beneficiary: job.client,
    reason,
  }).amount;
  const slashed = k.slashing.slash(ctx, {
    operator: job.operator,
    infractionHeight: job.assignedHeight,
    fractionPpm: params.slashFractionNoResponsePpm,
    kind: KIND_NO_RESPONSE,
    reporters: [],
    jail: false,
    tombstone: false,
    reason,
  }).amount;
  emitJobTimeout(ctx.events, { jobId: job.id, operator: job.operator, worker: job.worker, attempt: job.attempts, refund: coinString(k, refund), slashed: coinString(k, slashed) });
  const after: Job = { ...job, refunded: job.refunded + refund };
  if (job.attempts < params.maxAttempts) {
    k.setJob(ctx.store, { ...after, status: JobStatus.JOB_STATUS_PENDING });
    emitJobReassigned(ctx.events, { jobId: job.id, operator: job.operator, worker: job.worker, attempt: job.attempts });
  } else {
    failJob(k, ctx, after, "max_attempts");
  }
}

/** Terminal failure: the escrowed fee goes back to the client. */
export function failJob(k: InferenceKeeper, ctx: Context, job: Job, reason: FailReason): void {
  k.bank.sendCoinsFromModuleToAccount(ctx, k.escrow, job.client, coins(k, job.fee));
  k.setJob(ctx.store, { ...job, status: JobStatus.JOB_STATUS_FAILED, refunded: job.refunded + job.fee });
  emitJobFailed(ctx.events, { jobId: job.id, client: job.client, reason, refund: coinString(k, job.fee) });
}

// ---------------------------------------------------------------- 2. finalization

export function processFinalizations(k: InferenceKeeper, ctx: Context, params: InferenceParams): void {
  for (const [height, id] of k.dueFinalizations(ctx.store, ctx.block.height)) {
    const job = mustGetJob(k, ctx, id);
    if (job.status !== JobStatus.JOB_STATUS_RESULT_POSTED || job.challengeEndHeight !== height) {
      throw new Error(`inference: finalize queue entry ${height}/${id} does not match job ${id}`);
    }
    finalizeJob(k, ctx, params, job);
  }
}

/**
 * The challenge window closed undisputed: the escrowed fee is split (fees.ts), the worker's
 * share to its operator's account. A dispute (x/challenge, later) moves the job out of
 * RESULT_POSTED, which takes it off the finalize queue, so this never runs for it.
 */
export function finalizeJob(k: InferenceKeeper, ctx: Context, params: InferenceParams, job: Job): void {
  const split = splitFee(job.fee, params);
  const recipient = operatorAccount(job.operator);
  if (split.verification > 0n) k.bank.sendCoinsFromModuleToModule(ctx, k.escrow, k.verificationPool, coins(k, split.verification));
  if (split.protocol > 0n) k.bank.sendCoinsFromModuleToModule(ctx, k.escrow, k.treasury, coins(k, split.protocol));
  if (split.worker > 0n) k.bank.sendCoinsFromModuleToAccount(ctx, k.escrow, recipient, coins(k, split.worker));
  k.setJob(ctx.store, { ...job, status: JobStatus.JOB_STATUS_FINALIZED, finalizedHeight: ctx.block.height });
  emitJobFinalized(ctx.events, {
    jobId: job.id,
    operator: job.operator,
    worker: job.worker,
    recipient,
    fee: coinString(k, job.fee),
    workerAmount: coinString(k, split.worker),
    verificationAmount: coinString(k, split.verification),
    protocolAmount: coinString(k, split.protocol),
  });
}

// ---------------------------------------------------------------- 3. assignment

export function processAssignments(k: InferenceKeeper, ctx: Context, params: InferenceParams): void {
  // Staking does not change during this step, so each model's workers are read once.
  const workers = new Map<string, ModelWorker[]>();
  for (const id of k.pendingJobIds(ctx.store, params.maxAssignmentsPerBlock)) {
    const job = mustGetJob(k, ctx, id);
    let all = workers.get(job.modelId);
    if (!all) {
      all = k.staking.workersForModel(ctx.store, job.modelId);
      workers.set(job.modelId, all);
    }
    assignJob(k, ctx, job, all);
  }
}

/**
 * Draws a worker for a PENDING job: deadline = height + sla_blocks, hard deadline =
 * height + 2 × sla_blocks. Nobody eligible (none serves the model, or all were tried): the job
 * fails and the escrowed fee is refunded.
 */
export function assignJob(k: InferenceKeeper, ctx: Context, job: Job, all: readonly ModelWorker[]): void {
  const model = k.models.getModel(ctx.store, job.modelId);
  if (!model) throw new Error(`inference: job ${job.id} names missing model ${job.modelId}`);
  const picked = sampleWorker(ctx.block.hash, job.id, all, job.triedOperators);
  if (!picked) {
    emitJobUnassignable(ctx.events, { jobId: job.id, modelId: job.modelId, tried: job.triedOperators.length });
    failJob(k, ctx, job, "no_eligible_worker");
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
  });
}
