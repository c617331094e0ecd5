/**
 * Plain state access for x/slashing: params, signing infos and missed-block bitmaps, slash
 * events and correlation records. The checks and effects live in `slash.ts` (the one slash
 * path), `abci.ts` (block hooks) and `msgServer.ts`; this file only reads and writes.
 */
import { toBech32 } from "@cosmjs/encoding";
import {
  CorrelationRecord as CorrelationRecordWire,
  SlashEvent as SlashEventWire,
  ValidatorSigningInfo,
} from "../../gen/inferchain/slashing/v1/slashing";
import type { Context } from "../../base/context";
import type { KVReader, KVStore } from "../../base/store/kv";
import { Bech32Prefix } from "../../base/types/address";
import { BASE_DENOM } from "../../base/types/coins";
import type { BankKeeper, StakingKeeper } from "./expectedKeepers";
import {
  CORRELATION_DUE_PREFIX,
  CORRELATION_PREFIX,
  EVENTS_PREFIX,
  NEXT_EVENT_ID_KEY,
  PARAMS_KEY,
  SIGNING_INFOS_PREFIX,
  correlationDueKey,
  correlationKey,
  eventByValidatorKey,
  eventKey,
  missedKey,
  missedPrefix,
  parseDueKey,
  signingInfoKey,
  trailingNumber,
  validatorEventsPrefix,
} from "./keys";
import { Params, defaultParams, type SlashingParams } from "./params";
import { compensate, slash, type CompensateArgs, type SlashArgs } from "./slash";

export { ValidatorSigningInfo };

/** Module account that receives slashed coins before they are paid out or burned. */
export const SLASHING_MODULE = "slashing";
/** Module account that receives what reporters do not get (unless burn_slashed). */
export const TREASURY_MODULE = "treasury";

const enc = new TextEncoder();
const dec = new TextDecoder();
const MARK = Uint8Array.of(1);

/** A signing info's key and bech32 form: `infervalcons1…`. */
export function consAddressString(consAddress: Uint8Array): string {
  return toBech32(Bech32Prefix.consensus, consAddress);
}

export function newSigningInfo(address: string, startHeight: bigint): ValidatorSigningInfo {
  return { address, startHeight, indexOffset: 0n, jailedUntilHeight: 0n, tombstoned: false, missedBlocksCounter: 0n, lastSeenHeight: 0n };
}

export interface ReporterReward {
  readonly address: string;
  readonly amount: bigint;
}

/** One application of the slash path, as recorded and returned to the caller. */
export interface SlashEvent {
  readonly id: bigint;
  readonly validator: string;
  readonly infractionHeight: bigint;
  readonly height: bigint;
  readonly kind: string;
  readonly fractionPpm: bigint;
  /** What the fraction was applied to (uinf). */
  readonly stakeAtRisk: bigint;
  /** Total cut = validatorAmount + unbondingAmount. */
  readonly amount: bigint;
  readonly validatorAmount: bigint;
  readonly unbondingAmount: bigint;
  readonly reporters: readonly ReporterReward[];
  readonly treasuryAmount: bigint;
  readonly burnedAmount: bigint;
  readonly jailed: boolean;
  readonly tombstoned: boolean;
  readonly reason: string;
}

/** A slash waiting for (or past) the end of its correlation window. */
export interface CorrelationRecord {
  readonly slashId: bigint;
  readonly validator: string;
  readonly kind: string;
  readonly height: bigint;
  readonly infractionHeight: bigint;
  readonly stake: bigint;
  readonly amount: bigint;
  readonly topUp: bigint;
  readonly dueHeight: bigint;
  readonly done: boolean;
}

export function slashEventToWire(e: SlashEvent): SlashEventWire {
  return {
    ...e,
    stakeAtRisk: e.stakeAtRisk.toString(),
    amount: e.amount.toString(),
    validatorAmount: e.validatorAmount.toString(),
    unbondingAmount: e.unbondingAmount.toString(),
    reporters: e.reporters.map((r) => ({ address: r.address, amount: r.amount.toString() })),
    treasuryAmount: e.treasuryAmount.toString(),
    burnedAmount: e.burnedAmount.toString(),
  };
}

export function slashEventFromWire(w: SlashEventWire): SlashEvent {
  return {
    ...w,
    stakeAtRisk: BigInt(w.stakeAtRisk),
    amount: BigInt(w.amount),
    validatorAmount: BigInt(w.validatorAmount),
    unbondingAmount: BigInt(w.unbondingAmount),
    reporters: w.reporters.map((r) => ({ address: r.address, amount: BigInt(r.amount) })),
    treasuryAmount: BigInt(w.treasuryAmount),
    burnedAmount: BigInt(w.burnedAmount),
  };
}

export function correlationToWire(r: CorrelationRecord): CorrelationRecordWire {
  return { ...r, stake: r.stake.toString(), amount: r.amount.toString(), topUp: r.topUp.toString() };
}

export function correlationFromWire(w: CorrelationRecordWire): CorrelationRecord {
  return { ...w, stake: BigInt(w.stake), amount: BigInt(w.amount), topUp: BigInt(w.topUp) };
}

export interface SlashingKeeperOptions {
  readonly staking: StakingKeeper;
  readonly bank: BankKeeper;
  /** The bond denom slashed coins come in; default `uinf`. */
  readonly denom?: string;
  /** Default `treasury`. */
  readonly treasury?: string;
}

export class SlashingKeeper {
  readonly staking: StakingKeeper;
  readonly bank: BankKeeper;
  readonly denom: string;
  readonly moduleAccount = SLASHING_MODULE;
  readonly treasury: string;

  constructor(opts: SlashingKeeperOptions) {
    this.staking = opts.staking;
    this.bank = opts.bank;
    this.denom = opts.denom ?? BASE_DENOM;
    this.treasury = opts.treasury ?? TREASURY_MODULE;
  }

  /** The one slash path (see slash.ts): what x/inference and x/challenge call. */
  slash(ctx: Context, args: SlashArgs): SlashEvent {
    return slash(this, ctx, args);
  }

  /** An exact-amount cut paid to one account, through the same path (see slash.ts). */
  compensate(ctx: Context, args: CompensateArgs): SlashEvent {
    return compensate(this, ctx, args);
  }

  // ------------------------------------------------------------ params

  getParams(s: KVReader): SlashingParams {
    const raw = s.get(PARAMS_KEY);
    // Stored behind a one-byte version tag, like bank's params.
    return raw ? Params.decode(raw.subarray(1)) : defaultParams();
  }

  setParams(s: KVStore, p: SlashingParams): void {
    s.set(PARAMS_KEY, Buffer.concat([Buffer.from([1]), Params.encode(p).finish()]));
  }

  // ------------------------------------------------------------ signing infos and bitmaps

  getSigningInfo(s: KVReader, consAddress: string): ValidatorSigningInfo | undefined {
    const raw = s.get(signingInfoKey(consAddress));
    return raw ? ValidatorSigningInfo.decode(raw) : undefined;
  }

  setSigningInfo(s: KVStore, info: ValidatorSigningInfo): void {
    s.set(signingInfoKey(info.address), ValidatorSigningInfo.encode(info).finish());
  }

  /** Every signing info, in address order. */
  *signingInfos(s: KVReader): IterableIterator<ValidatorSigningInfo> {
    for (const [, v] of s.iterate(SIGNING_INFOS_PREFIX)) yield ValidatorSigningInfo.decode(v);
  }

  isMissed(s: KVReader, consAddress: string, index: bigint): boolean {
    return s.has(missedKey(consAddress, index));
  }

  setMissed(s: KVStore, consAddress: string, index: bigint, missed: boolean): void {
    if (missed) s.set(missedKey(consAddress, index), MARK);
    else s.delete(missedKey(consAddress, index));
  }

  /** Bitmap indexes marked missed, ascending. */
  missedIndexes(s: KVReader, consAddress: string): bigint[] {
    return [...s.iterate(missedPrefix(consAddress))].map(([k]) => trailingNumber(k));
  }

  clearMissed(s: KVStore, consAddress: string): void {
    for (const k of [...s.iterate(missedPrefix(consAddress))].map(([key]) => key)) s.delete(k);
  }

  // ------------------------------------------------------------ slash events

  /** The id the next slash event gets (ids start at 1). */
  getNextEventId(s: KVReader): bigint {
    const raw = s.get(NEXT_EVENT_ID_KEY);
    return raw ? BigInt(dec.decode(raw)) : 1n;
  }

  setNextEventId(s: KVStore, id: bigint): void {
    s.set(NEXT_EVENT_ID_KEY, enc.encode(id.toString()));
  }

  getSlashEvent(s: KVReader, id: bigint): SlashEvent | undefined {
    const raw = s.get(eventKey(id));
    return raw ? slashEventFromWire(SlashEventWire.decode(raw)) : undefined;
  }

  setSlashEvent(s: KVStore, e: SlashEvent): void {
    s.set(eventKey(e.id), SlashEventWire.encode(slashEventToWire(e)).finish());
    s.set(eventByValidatorKey(e.validator, e.id), MARK);
  }

  /** All slash events, oldest first. */
  *slashEvents(s: KVReader): IterableIterator<SlashEvent> {
    for (const [, v] of s.iterate(EVENTS_PREFIX)) yield slashEventFromWire(SlashEventWire.decode(v));
  }

  /** Ids of one validator's slash events, oldest first. */
  *slashEventIdsOf(s: KVReader, operator: string): IterableIterator<bigint> {
    for (const [k] of s.iterate(validatorEventsPrefix(operator))) yield trailingNumber(k);
  }

  // ------------------------------------------------------------ correlation records

  getCorrelation(s: KVReader, slashId: bigint): CorrelationRecord | undefined {
    const raw = s.get(correlationKey(slashId));
    return raw ? correlationFromWire(CorrelationRecordWire.decode(raw)) : undefined;
  }

  setCorrelation(s: KVStore, r: CorrelationRecord): void {
    s.set(correlationKey(r.slashId), CorrelationRecordWire.encode(correlationToWire(r)).finish());
  }

  deleteCorrelation(s: KVStore, slashId: bigint): void {
    s.delete(correlationKey(slashId));
  }

  /** Every correlation record, in slash order (which is height order). */
  *correlations(s: KVReader): IterableIterator<CorrelationRecord> {
    for (const [, v] of s.iterate(CORRELATION_PREFIX)) yield correlationFromWire(CorrelationRecordWire.decode(v));
  }

  enqueueCorrelation(s: KVStore, dueHeight: bigint, slashId: bigint): void {
    s.set(correlationDueKey(dueHeight, slashId), MARK);
  }

  dequeueCorrelation(s: KVStore, dueHeight: bigint, slashId: bigint): void {
    s.delete(correlationDueKey(dueHeight, slashId));
  }

  /** Queued (due height, slash id) pairs with due height ≤ `height`, in due order. */
  dueCorrelations(s: KVReader, height: bigint): Array<[bigint, bigint]> {
    const out: Array<[bigint, bigint]> = [];
    for (const [k] of s.iterate(CORRELATION_DUE_PREFIX)) {
      const [due, id] = parseDueKey(k);
      if (due > height) break;
      out.push([due, id]);
    }
    return out;
  }
}
