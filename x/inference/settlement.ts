/**
 * Where an open job's escrowed fee goes when the job ends: back to the client (`failJob`, and a
 * cannot-run result), or split at finalization (`finalizeJob`). The end-block steps (abci.ts)
 * and the dispute settlement (keeper.ts `settleDispute`) both end jobs here, so a job ends the
 * same way whoever ends it.
 */
import type { Context } from "../../base/context";
import type { KVStore } from "../../base/store/kv";
import { operatorAccount } from "../../base/types/address";
import { formatCoins, type Coin } from "../../base/types/coins";
import { emitJobFailed, emitJobFinalized, type FailReason } from "./events";
import type { BankKeeper } from "./expectedKeepers";
import { refundRoom, splitFee } from "./fees";
import type { InferenceParams } from "./params";
import { JobStatus, type Job } from "./types";

/** What paying out a job needs: x/inference's keeper, seen from here (no import cycle). */
export interface EscrowHolder {
  readonly bank: BankKeeper;
  readonly denom: string;
  readonly escrow: string;
  readonly verificationPool: string;
  readonly treasury: string;
  setJob(s: KVStore, job: Job): void;
}

/** `amount` in the keeper's denom, as bank takes it. */
export function coins(k: Pick<EscrowHolder, "denom">, amount: bigint): Coin[] {
  return [{ denom: k.denom, amount }];
}

/** `amount` as an event's coin string (`1000uinf`). */
export function coinString(k: Pick<EscrowHolder, "denom">, amount: bigint): string {
  return formatCoins(coins(k, amount));
}

/**
 * Pays out a job's escrowed fee to its client, less what the client already got (late
 * penalties), which goes to the treasury: the client's total refunds never exceed the fee, and
 * the escrow goes to exactly zero for the job. Returns [to client, to treasury].
 */
export function refundEscrow(k: EscrowHolder, ctx: Context, job: Job): [bigint, bigint] {
  const toClient = refundRoom(job);
  const toTreasury = job.fee - toClient;
  if (toClient > 0n) k.bank.sendCoinsFromModuleToAccount(ctx, k.escrow, job.client, coins(k, toClient));
  if (toTreasury > 0n) k.bank.sendCoinsFromModuleToModule(ctx, k.escrow, k.treasury, coins(k, toTreasury));
  return [toClient, toTreasury];
}

/** The height a job finished at plus the retention window: when its bytes are dropped. */
function firstPruneHeight(ctx: Context, params: InferenceParams): bigint {
  return ctx.block.height + params.jobRetentionBlocks;
}

/**
 * Terminal failure: the escrowed fee goes back to the client (`refundEscrow`), whatever the
 * job's status (timed out, nobody eligible, a job_error, or a FAULT verdict on its result).
 */
export function failJob(k: EscrowHolder, ctx: Context, params: InferenceParams, job: Job, reason: FailReason): void {
  const [toClient, toTreasury] = refundEscrow(k, ctx, job);
  k.setJob(ctx.store, {
    ...job,
    status: JobStatus.JOB_STATUS_FAILED,
    refunded: job.refunded + toClient,
    finalizedHeight: ctx.block.height,
    pruneHeight: firstPruneHeight(ctx, params),
  });
  emitJobFailed(ctx.events, { jobId: job.id, client: job.client, reason, refund: coinString(k, toClient), treasuryAmount: coinString(k, toTreasury) });
}

/**
 * The challenge window closed undisputed: the escrowed fee is split (fees.ts), the worker's
 * share to its operator's account; for a cannot-run result the fee goes back to the client
 * instead (`refundEscrow`) and the worker earns nothing. A dispute moves the job out of
 * RESULT_POSTED (DISPUTED), which takes it off the finalize queue; an OK verdict then runs this
 * for it (`settleDispute`), so a disputed job ends exactly as an undisputed one.
 */
export function finalizeJob(k: EscrowHolder, ctx: Context, params: InferenceParams, job: Job): void {
  const done: Job = { ...job, status: JobStatus.JOB_STATUS_FINALIZED, finalizedHeight: ctx.block.height, pruneHeight: firstPruneHeight(ctx, params) };
  const zero = coinString(k, 0n);
  if (job.cannotRun) {
    const [toClient, toTreasury] = refundEscrow(k, ctx, job);
    k.setJob(ctx.store, { ...done, refunded: job.refunded + toClient });
    emitJobFinalized(ctx.events, {
      jobId: job.id,
      operator: job.operator,
      worker: job.worker,
      recipient: job.client,
      fee: coinString(k, job.fee),
      workerAmount: zero,
      verificationAmount: zero,
      protocolAmount: coinString(k, toTreasury),
      cannotRun: true,
      refund: coinString(k, toClient),
    });
    return;
  }
  const split = splitFee(job.fee, params);
  const recipient = operatorAccount(job.operator, "operator");
  if (split.verification > 0n) k.bank.sendCoinsFromModuleToModule(ctx, k.escrow, k.verificationPool, coins(k, split.verification));
  if (split.protocol > 0n) k.bank.sendCoinsFromModuleToModule(ctx, k.escrow, k.treasury, coins(k, split.protocol));
  if (split.worker > 0n) k.bank.sendCoinsFromModuleToAccount(ctx, k.escrow, recipient, coins(k, split.worker));
  k.setJob(ctx.store, done);
  emitJobFinalized(ctx.events, {
    jobId: job.id,
    operator: job.operator,
    worker: job.worker,
    recipient,
    fee: coinString(k, job.fee),
    workerAmount: coinString(k, split.worker),
    verificationAmount: coinString(k, split.verification),
    protocolAmount: coinString(k, split.protocol),
    cannotRun: false,
    refund: zero,
  });
}
