/**
 * State access for x/inference: params, the job counter, jobs with their indexes and queues,
 * and the few methods other modules call (x/challenge: the results it may audit, and holding
 * and settling a disputed job). The checks and effects of messages live in `msgServer.ts`, the
 * end-block steps in `abci.ts`, and paying out a job's escrow in `settlement.ts`.
 */
import { Job as WireJob } from "../../gen/inferchain/inference/v1/inference";
import type { Context } from "../../base/context";
import type { KVReader, KVStore } from "../../base/store/kv";
import { dueQueueEntries, getCounter, setCounter, trailingNumber } from "../../base/store/keys";
import { BASE_DENOM } from "../../base/types/coins";
import { ErrChallengeWindowClosed, ErrInputHashMismatch, ErrInvalidInput, ErrJobNotDisputable, ErrJobNotDisputed, ErrNotUriJob, ErrUnknownJob, recode } from "./errors";
import { sha256Hex } from "./inputUri";
import { emitJobDisputed } from "./events";
import type { AccountKeeper, BankKeeper, ChallengeKeeper, ModelsKeeper, SlashingKeeper, StakingKeeper } from "./expectedKeepers";
import {
  DEADLINE_QUEUE_PREFIX,
  FINALIZE_QUEUE_PREFIX,
  JOBS_PREFIX,
  PRUNE_QUEUE_PREFIX,
  NEXT_JOB_ID_KEY,
  PARAMS_KEY,
  jobIndexKeys,
  jobKey,
  resultsAtPrefix,
  statusPrefix,
} from "./keys";
import { Params, defaultParams, fromWire, paramsToWire, type InferenceParams } from "./params";
import { failJob, finalizeJob } from "./settlement";
import { JobStatus, jobFromWire, jobToWire, statusName, type DisputableJob, type Job } from "./types";

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
  readonly accounts: AccountKeeper;
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
  readonly accounts: AccountKeeper;
  readonly bank: BankKeeper;
  readonly staking: StakingKeeper;
  readonly slashing: SlashingKeeper;
  readonly models: ModelsKeeper;
  readonly denom: string;
  readonly escrow = JOB_ESCROW_MODULE;
  readonly verificationPool = VERIFICATION_POOL_MODULE;
  readonly treasury: string;
  private challengeKeeper: ChallengeKeeper | undefined;

  constructor(opts: InferenceKeeperOptions) {
    this.accounts = opts.accounts;
    this.bank = opts.bank;
    this.staking = opts.staking;
    this.slashing = opts.slashing;
    this.models = opts.models;
    this.denom = opts.denom ?? BASE_DENOM;
    this.treasury = opts.treasury ?? DEFAULT_TREASURY;
  }

  /**
   * x/challenge, set once by app/app.ts after both keepers exist (each needs the other). Until
   * then no dispute can ask for an opening, so MsgOpenResult is refused.
   */
  setChallengeKeeper(c: ChallengeKeeper): void {
    if (this.challengeKeeper) throw new Error("inference: the challenge keeper is already set");
    this.challengeKeeper = c;
  }

  get challenge(): ChallengeKeeper | undefined {
    return this.challengeKeeper;
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

  // ------------------------------------------------------------ disputes (x/challenge calls these)

  /** Ids of the jobs whose result was included at `height` and is not settled yet (RESULT_POSTED or DISPUTED), in id order. */
  resultsIncludedAt(s: KVReader, height: bigint): bigint[] {
    const out: bigint[] = [];
    for (const [k] of s.iterate(resultsAtPrefix(height))) out.push(trailingNumber(k));
    return out;
  }

  /** What a dispute needs to know about a job; undefined if there is no such job (or it was pruned away). */
  jobForDispute(s: KVReader, jobId: bigint): DisputableJob | undefined {
    const j = this.getJob(s, jobId);
    if (!j) return undefined;
    return {
      id: j.id,
      client: j.client,
      modelId: j.modelId,
      operator: j.operator,
      worker: j.worker,
      fee: j.fee,
      assignedHeight: j.assignedHeight,
      resultHeight: j.resultHeight,
      challengeEndHeight: j.challengeEndHeight,
      status: statusName(j.status),
      cannotRun: j.cannotRun,
      opened: j.opened,
      output: j.output,
      input: j.input,
      auditRatePpm: j.auditRatePpm,
      inputUri: j.inputUri,
      inputSha256: j.inputSha256,
      pruned: j.pruned,
    };
  }

  /**
   * Posts the input bytes of a job by URI on chain (x/challenge's MsgProvideData, answering a
   * data request): they must hash to its input_sha256 and fit the model's input spec at
   * `max_uri_input_bytes`. From then on the job carries them as its input (verifiers and
   * clients re-run it from chain state) until its normal pruning drops them. Bytes for a job
   * already pruned are checked the same way and not kept. Throws an AppError otherwise.
   */
  provideInput(ctx: Context, jobId: bigint, data: Uint8Array): void {
    const job = this.getJob(ctx.store, jobId);
    if (!job) throw ErrUnknownJob.wrap(`job ${jobId}`);
    if (job.inputUri === "") throw ErrNotUriJob.wrap(`job ${jobId} has an inline input`);
    if (sha256Hex(data) !== job.inputSha256) throw ErrInputHashMismatch.wrap(`job ${jobId}: the bytes hash to ${sha256Hex(data)}, not ${job.inputSha256}`);
    const model = this.models.getModel(ctx.store, job.modelId);
    if (!model) throw new Error(`inference: job ${job.id} names missing model ${job.modelId}`);
    const params = this.getParams(ctx.store);
    recode(ErrInvalidInput, () => this.models.decodeInput({ ...model, maxInputBytes: params.maxUriInputBytes }, data));
    if (!job.pruned && job.input.length === 0) this.setJob(ctx.store, { ...job, input: data });
  }

  /**
   * A dispute holds the job: RESULT_POSTED → DISPUTED with `disputeId`, which takes it off the
   * finalize queue, so its fee stays in escrow until `settleDispute`. Only while its challenge
   * window is open (a dispute in the block of challenge_end lands before that block's
   * finalization). Throws an AppError otherwise.
   */
  holdForDispute(ctx: Context, jobId: bigint, disputeId: bigint): void {
    const job = this.getJob(ctx.store, jobId);
    if (!job) throw ErrUnknownJob.wrap(`job ${jobId}`);
    if (disputeId <= 0n) throw ErrJobNotDisputable.wrap(`job ${jobId}: dispute ids start at 1`);
    if (job.status !== JobStatus.JOB_STATUS_RESULT_POSTED) throw ErrJobNotDisputable.wrap(`job ${jobId} is ${statusName(job.status)}`);
    if (ctx.block.height > job.challengeEndHeight) throw ErrChallengeWindowClosed.wrap(`job ${jobId}: window ended at ${job.challengeEndHeight}, now ${ctx.block.height}`);
    this.setJob(ctx.store, { ...job, status: JobStatus.JOB_STATUS_DISPUTED, disputeId });
    emitJobDisputed(ctx.events, { jobId, disputeId, operator: job.operator, worker: job.worker });
  }

  /**
   * Ends a dispute's hold on a job. `fault`: the result was wrong (or never opened): the whole
   * escrowed fee goes back to the client (with what it already got from a late penalty, exactly
   * the fee) and the job FAILS with reason `invalid_result`. Otherwise the job finalizes now,
   * exactly as the window's end would have (the fee split, or a cannot-run result's refund).
   */
  settleDispute(ctx: Context, jobId: bigint, fault: boolean): void {
    const job = this.getJob(ctx.store, jobId);
    if (!job) throw ErrUnknownJob.wrap(`job ${jobId}`);
    if (job.status !== JobStatus.JOB_STATUS_DISPUTED) throw ErrJobNotDisputed.wrap(`job ${jobId} is ${statusName(job.status)}`);
    const params = this.getParams(ctx.store);
    if (fault) failJob(this, ctx, params, job, "invalid_result");
    else finalizeJob(this, ctx, params, job);
  }

  /** The worker's opened result (MsgOpenResult checked it against commitment and sealed output); undefined until opened. */
  openedResult(s: KVReader, jobId: bigint): { readonly output: Uint8Array; readonly cannotRun: boolean } | undefined {
    const j = this.getJob(s, jobId);
    return j && j.opened ? { output: j.output, cannotRun: j.cannotRun } : undefined;
  }
}

