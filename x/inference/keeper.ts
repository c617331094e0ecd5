/**
 * Plain state access for x/inference: params, the job counter, jobs with their indexes and
 * queues. The checks and effects live in `msgServer.ts` (messages) and `abci.ts` (the end-block
 * assignment, timeout and finalization steps); this file only reads and writes.
 */
import { Job as WireJob } from "../../gen/inferchain/inference/v1/inference";
import type { KVReader, KVStore } from "../../base/store/kv";
import { dueQueueEntries, getCounter, setCounter, trailingNumber } from "../../base/store/keys";
import { BASE_DENOM, formatCoins, type Coin } from "../../base/types/coins";
import type { BankKeeper, ModelsKeeper, SlashingKeeper, StakingKeeper } from "./expectedKeepers";
import {
  DEADLINE_QUEUE_PREFIX,
  FINALIZE_QUEUE_PREFIX,
  JOBS_PREFIX,
  PRUNE_QUEUE_PREFIX,
  NEXT_JOB_ID_KEY,
  PARAMS_KEY,
  jobIndexKeys,
  jobKey,
  statusPrefix,
} from "./keys";
import { Params, defaultParams, fromWire, paramsToWire, type InferenceParams } from "./params";
import { JobStatus, jobFromWire, jobToWire, type Job } from "./types";

/** Module account holding the fees of open jobs. */
export const JOB_ESCROW_MODULE = "job_escrow";
/** Module account that receives `verification_share_ppm` of each finalized fee (pays audit verifiers later). */
export const VERIFICATION_POOL_MODULE = "verification_pool";
/** x/slashing's TREASURY_MODULE; app.ts passes it in. */
const DEFAULT_TREASURY = "treasury";

/** Slash kinds of the SLA penalties, as x/slashing records them (SlashEvent.kind, `slash.kind`). */
export const KIND_LATE_RESULT = "late_result";
export const KIND_NO_RESPONSE = "no_response";
/** Before issue 7: the no-response fee refund to the client; kept so old slash records read back. */
export const KIND_NO_RESPONSE_REFUND = "no_response_refund";

const MARK = Uint8Array.of(1);

export interface InferenceKeeperOptions {
  readonly bank: BankKeeper;
  readonly staking: StakingKeeper;
  readonly slashing: SlashingKeeper;
  readonly models: ModelsKeeper;
  /** The fee denom; default `uinf`. */
  readonly denom?: string;
  /** Module account of the protocol's share; default `treasury`. */
  readonly treasury?: string;
}

export class InferenceKeeper {
  readonly bank: BankKeeper;
  readonly staking: StakingKeeper;
  readonly slashing: SlashingKeeper;
  readonly models: ModelsKeeper;
  readonly denom: string;
  readonly escrow = JOB_ESCROW_MODULE;
  readonly verificationPool = VERIFICATION_POOL_MODULE;
  readonly treasury: string;

  constructor(opts: InferenceKeeperOptions) {
    this.bank = opts.bank;
    this.staking = opts.staking;
    this.slashing = opts.slashing;
    this.models = opts.models;
    this.denom = opts.denom ?? BASE_DENOM;
    this.treasury = opts.treasury ?? DEFAULT_TREASURY;
  }

  // ------------------------------------------------------------ params

  getParams(s: KVReader): InferenceParams {
    const raw = s.get(PARAMS_KEY);
    return raw ? fromWire(Params.decode(raw)) : defaultParams();
  }

  /** Params are never empty bytes: params_authority is required. */
  setParams(s: KVStore, p: InferenceParams): void {
    s.set(PARAMS_KEY, Params.encode(paramsToWire(p)).finish());
  }

  // ------------------------------------------------------------ job ids

  /** The id the next job gets (ids start at 1). */
  getNextJobId(s: KVReader): bigint {
    return getCounter(s, NEXT_JOB_ID_KEY);
  }

  setNextJobId(s: KVStore, id: bigint): void {
    setCounter(s, NEXT_JOB_ID_KEY, id);
  }

  // ------------------------------------------------------------ jobs

  getJob(s: KVReader, id: bigint): Job | undefined {
    const raw = s.get(jobKey(id));
    return raw ? jobFromWire(WireJob.decode(raw)) : undefined;
  }

  /** Writes a job and moves its index and queue entries to match its new state. */
  setJob(s: KVStore, job: Job): void {
    const old = this.getJob(s, job.id);
    const before = new Set(old ? jobIndexKeys(old) : []);
    const after = jobIndexKeys(job);
    for (const k of before) if (!after.includes(k)) s.delete(k);
    for (const k of after) if (!before.has(k)) s.set(k, MARK);
    s.set(jobKey(job.id), WireJob.encode(jobToWire(job)).finish());
  }

  /** Deletes a job with every index and queue entry it has (the last prune step). */
  deleteJob(s: KVStore, job: Job): void {
    for (const k of jobIndexKeys(job)) s.delete(k);
    s.delete(jobKey(job.id));
  }

  /** Every job, in id order (genesis export). */
  *jobs(s: KVReader): IterableIterator<Job> {
    for (const [, v] of s.iterate(JOBS_PREFIX)) yield jobFromWire(WireJob.decode(v));
  }

  /** Up to `limit` PENDING job ids, oldest first: the assignment queue. */
  pendingJobIds(s: KVReader, limit: number): bigint[] {
    const out: bigint[] = [];
    if (limit <= 0) return out;
    for (const [k] of s.iterate(statusPrefix(JobStatus.JOB_STATUS_PENDING))) {
      out.push(trailingNumber(k));
      if (out.length >= limit) break;
    }
    return out;
  }

  /** ASSIGNED jobs whose hard deadline is ≤ `height`, as (deadline, id), in deadline then id order. */
  dueDeadlines(s: KVReader, height: bigint): Array<[bigint, bigint]> {
    return dueQueueEntries(s, DEADLINE_QUEUE_PREFIX, height);
  }

  /** RESULT_POSTED jobs whose challenge window ends at or before `height`, in height then id order. */
  dueFinalizations(s: KVReader, height: bigint): Array<[bigint, bigint]> {
    return dueQueueEntries(s, FINALIZE_QUEUE_PREFIX, height);
  }

  /** Up to `limit` finished jobs whose prune height is ≤ `height`, in height then id order; the rest wait. */
  duePrunes(s: KVReader, height: bigint, limit: number): Array<[bigint, bigint]> {
    return dueQueueEntries(s, PRUNE_QUEUE_PREFIX, height, limit);
  }
}

/** `amount` in the keeper's denom, as bank takes it. */
export function coins(k: InferenceKeeper, amount: bigint): Coin[] {
  return [{ denom: k.denom, amount }];
}

/** `amount` as an event's coin string (`1000uinf`). */
export function coinString(k: InferenceKeeper, amount: bigint): string {
  return formatCoins(coins(k, amount));
}
