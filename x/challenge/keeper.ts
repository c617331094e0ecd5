/**
 * Plain state access for x/challenge: params, the dispute counter, disputes with their indexes
 * and the due queue. The checks and effects live in `msgServer.ts` (messages) and `abci.ts` (the
 * end-block audits, draws, phase ends, verdicts and settlements); this file only reads and writes,
 * and answers x/inference's questions (`wantsOpening`, and the per-job audit rate of
 * security.ts: `jobAuditRate`, `securityLimits`).
 */
import { DataRequest as WireDataRequest, Dispute as WireDispute } from "../../gen/inferchain/challenge/v1/challenge";
import type { KVReader, KVStore } from "../../base/store/kv";
import { dueQueueEntries, getCounter, setCounter, trailingNumber } from "../../base/store/keys";
import { BASE_DENOM, formatCoins, type Coin } from "../../base/types/coins";
import type { BankKeeper, InferenceKeeper, ModelsKeeper, SlashingKeeper, StakingKeeper } from "./expectedKeepers";
import {
  DATA_REQUESTS_PREFIX,
  DA_DUE_PREFIX,
  DA_INCIDENTS_PREFIX,
  DISPUTES_PREFIX,
  DUE_PREFIX,
  NEXT_DISPUTE_ID_KEY,
  PARAMS_KEY,
  daIncidentsKey,
  dataRequestIndexKeys,
  dataRequestKey,
  disputeIndexKeys,
  disputeKey,
  jobPrefix,
  statusPrefix,
} from "./keys";
import { Params, defaultParams, fromWire, paramsToWire, type ChallengeParams } from "./params";
import { jobAuditRate, maxSecuredFee, minSecuringStake } from "./security";
import { DisputeStatus, dataRequestFromWire, dataRequestToWire, disputeFromWire, disputeToWire, isFinal, type DataRequest, type Dispute } from "./types";

/** Module account holding the bonds of open disputes. */
export const CHALLENGE_MODULE = "challenge";
/** x/inference's VERIFICATION_POOL_MODULE (audit rewards come out of it); app.ts may pass it in. */
const DEFAULT_VERIFICATION_POOL = "verification_pool";

/** Slash kinds of x/challenge, as x/slashing records them (SlashEvent.kind). */
export const KIND_INVALID_RESULT = "invalid_result";
export const KIND_BAD_VERIFICATION = "bad_verification";
export const KIND_DATA_UNAVAILABLE = "data_unavailable";

const MARK = Uint8Array.of(1);

export interface ChallengeKeeperOptions {
  readonly bank: BankKeeper;
  readonly staking: StakingKeeper;
  readonly slashing: SlashingKeeper;
  readonly inference: InferenceKeeper;
  readonly models: ModelsKeeper;
  /** The bond denom; default `uinf`. */
  readonly denom?: string;
  /** Module account audit rewards are paid from; default `verification_pool`. */
  readonly verificationPool?: string;
}

export class ChallengeKeeper {
  readonly bank: BankKeeper;
  readonly staking: StakingKeeper;
  readonly slashing: SlashingKeeper;
  readonly inference: InferenceKeeper;
  readonly models: ModelsKeeper;
  readonly denom: string;
  readonly moduleAccount = CHALLENGE_MODULE;
  readonly verificationPool: string;
  private paramsCache: { readonly raw: Uint8Array; readonly params: ChallengeParams } | undefined;

  constructor(opts: ChallengeKeeperOptions) {
    this.bank = opts.bank;
    this.staking = opts.staking;
    this.slashing = opts.slashing;
    this.inference = opts.inference;
    this.models = opts.models;
    this.denom = opts.denom ?? BASE_DENOM;
    this.verificationPool = opts.verificationPool ?? DEFAULT_VERIFICATION_POOL;
  }

  // ------------------------------------------------------------ params

  /**
   * The params, decoded and checked. The last decoding is kept with the bytes it came from and
   * reused while the stored bytes are the same: assignment asks `jobAuditRate` once per job and
   * candidate (up to max_assignments_per_block × the validators serving a model), and decoding
   * and checking the params each time cost ~27 µs. Keyed by content, so any branch or height
   * gets exactly what decoding its own bytes would give.
   */
  getParams(s: KVReader): ChallengeParams {
    const raw = s.get(PARAMS_KEY);
    if (!raw) return defaultParams();
    const c = this.paramsCache;
    if (c && sameBytes(c.raw, raw)) return c.params;
    const params = fromWire(Params.decode(raw));
    this.paramsCache = { raw: raw.slice(), params };
    return params;
  }

  /** Params are never empty bytes: params_authority is required. */
  setParams(s: KVStore, p: ChallengeParams): void {
    s.set(PARAMS_KEY, Params.encode(paramsToWire(p)).finish());
  }

  // ------------------------------------------------------------ dispute ids

  /** The id the next dispute gets (ids start at 1). */
  getNextDisputeId(s: KVReader): bigint {
    return getCounter(s, NEXT_DISPUTE_ID_KEY);
  }

  setNextDisputeId(s: KVStore, id: bigint): void {
    setCounter(s, NEXT_DISPUTE_ID_KEY, id);
  }

  // ------------------------------------------------------------ disputes

  getDispute(s: KVReader, id: bigint): Dispute | undefined {
    const raw = s.get(disputeKey(id));
    return raw ? disputeFromWire(WireDispute.decode(raw)) : undefined;
  }

  /** Writes a dispute and moves its index and queue entries to match its new state. */
  setDispute(s: KVStore, d: Dispute): void {
    const old = this.getDispute(s, d.id);
    const before = new Set(old ? disputeIndexKeys(old) : []);
    const after = disputeIndexKeys(d);
    for (const k of before) if (!after.includes(k)) s.delete(k);
    for (const k of after) if (!before.has(k)) s.set(k, MARK);
    s.set(disputeKey(d.id), WireDispute.encode(disputeToWire(d)).finish());
  }

  /** Every dispute, in id order (genesis export). */
  *disputes(s: KVReader): IterableIterator<Dispute> {
    for (const [, v] of s.iterate(DISPUTES_PREFIX)) yield disputeFromWire(WireDispute.decode(v));
  }

  /** The job's dispute that is not final yet, if any (a job has at most one: it is held until the verdict is final). */
  openDisputeOfJob(s: KVReader, jobId: bigint): Dispute | undefined {
    for (const [k] of s.iterate(jobPrefix(jobId), true)) {
      const d = this.getDispute(s, trailingNumber(k));
      if (d && !isFinal(d.status)) return d;
    }
    return undefined;
  }

  /** Up to `limit` open disputes whose next step is due at or before `height`, as (height, id), in that order. */
  dueDisputes(s: KVReader, height: bigint, limit: number): Array<[bigint, bigint]> {
    return dueQueueEntries(s, DUE_PREFIX, height, limit);
  }

  /** Up to `limit` ids of disputes in `status`, in id order. */
  disputeIdsInStatus(s: KVReader, status: DisputeStatus, limit: number): bigint[] {
    const out: bigint[] = [];
    if (limit <= 0) return out;
    for (const [k] of s.iterate(statusPrefix(status))) {
      out.push(trailingNumber(k));
      if (out.length >= limit) break;
    }
    return out;
  }

  // ------------------------------------------------------------ data requests

  /** The open data request of a job, if any (a job has at most one). */
  getDataRequest(s: KVReader, jobId: bigint): DataRequest | undefined {
    const raw = s.get(dataRequestKey(jobId));
    return raw ? dataRequestFromWire(WireDataRequest.decode(raw)) : undefined;
  }

  /** Writes an open data request with its deadline-queue and party entries. */
  setDataRequest(s: KVStore, r: DataRequest): void {
    const old = this.getDataRequest(s, r.jobId);
    if (old) for (const k of dataRequestIndexKeys(old)) s.delete(k);
    for (const k of dataRequestIndexKeys(r)) s.set(k, MARK);
    s.set(dataRequestKey(r.jobId), WireDataRequest.encode(dataRequestToWire(r)).finish());
  }

  /** Removes a settled data request and its entries. */
  deleteDataRequest(s: KVStore, r: DataRequest): void {
    for (const k of dataRequestIndexKeys(r)) s.delete(k);
    s.delete(dataRequestKey(r.jobId));
  }

  /** Every open data request, in job id order (genesis export). */
  *dataRequests(s: KVReader): IterableIterator<DataRequest> {
    for (const [, v] of s.iterate(DATA_REQUESTS_PREFIX)) yield dataRequestFromWire(WireDataRequest.decode(v));
  }

  /** Up to `limit` open data requests whose deadline is ≤ `height`, as (deadline, job id), in that order. */
  dueDataRequests(s: KVReader, height: bigint, limit: number): Array<[bigint, bigint]> {
    return dueQueueEntries(s, DA_DUE_PREFIX, height, limit);
  }

  /** Expired data requests of `operator` since it was last jailed for them. */
  getDaIncidents(s: KVReader, operator: string): bigint {
    const raw = s.get(daIncidentsKey(operator));
    return raw ? BigInt(new TextDecoder().decode(raw)) : 0n;
  }

  setDaIncidents(s: KVStore, operator: string, count: bigint): void {
    if (count === 0n) s.delete(daIncidentsKey(operator));
    else s.set(daIncidentsKey(operator), new TextEncoder().encode(count.toString()));
  }

  /** Every validator with incidents, in key order (genesis export). */
  *daIncidents(s: KVReader): IterableIterator<{ readonly operator: string; readonly count: bigint }> {
    for (const [k, v] of s.iterate(DA_INCIDENTS_PREFIX)) yield { operator: k.slice(DA_INCIDENTS_PREFIX.length), count: BigInt(new TextDecoder().decode(v)) };
  }

  /**
   * x/inference's question before it accepts MsgOpenResult: does a dispute ask the job's worker
   * to open its result now? Only in the OPEN phase of the job's open dispute (after the
   * verifiers have committed and revealed, so nobody can copy the opened output).
   */
  wantsOpening(s: KVReader, jobId: bigint): boolean {
    const d = this.openDisputeOfJob(s, jobId);
    return d !== undefined && d.status === DisputeStatus.DISPUTE_STATUS_OPEN && !d.opened;
  }

  /**
   * x/inference's question at assignment (and submission): the audit rate (ppm) of a job with
   * `fee` on a validator with `stake` bonded uinf under the current params (security.ts);
   * undefined when that validator cannot secure the job.
   */
  jobAuditRate(s: KVReader, fee: bigint, stake: bigint): bigint | undefined {
    return jobAuditRate(this.getParams(s), fee, stake);
  }

  /**
   * What MsgSubmitJob's refusal names: the largest fee a validator with `stake` can be assigned
   * (at max_audit_rate_ppm) and the smallest stake that could be assigned `fee`.
   */
  securityLimits(s: KVReader, fee: bigint, stake: bigint): { readonly maxFee: bigint; readonly stakeNeeded: bigint | undefined } {
    const p = this.getParams(s);
    return { maxFee: maxSecuredFee(p, stake, p.maxAuditRatePpm), stakeNeeded: minSecuringStake(p, fee, p.maxAuditRatePpm) };
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `amount` in the keeper's denom, as bank takes it. */
export function coins(k: ChallengeKeeper, amount: bigint): Coin[] {
  return [{ denom: k.denom, amount }];
}

/** `amount` as an event's coin string (`1000uinf`). */
export function coinString(k: ChallengeKeeper, amount: bigint): string {
  return formatCoins(coins(k, amount));
}
