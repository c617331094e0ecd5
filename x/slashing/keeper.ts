/**
 * Plain state access for x/slashing: params, signing infos and missed-block bitmaps, slash
 * events and correlation records. The checks and effects live in `slash.ts` (the one slash
 * path), `abci.ts` (block hooks) and `msgServer.ts`; this file only reads and writes.
 */
import { fromBech32 } from "@cosmjs/encoding";
import {
  CorrelationRecord as CorrelationRecordWire,
  SlashEvent as SlashEventWire,
  ValidatorSigningInfo,
} from "../../gen/inferchain/slashing/v1/slashing";
import type { Context } from "../../base/context";
import type { KVReader, KVStore } from "../../base/store/kv";
import { dueQueueEntries, getCounter, setCounter, trailingNumber } from "../../base/store/keys";
import { BASE_DENOM } from "../../base/types/coins";
import type { BankKeeper, StakingKeeper } from "./expectedKeepers";
import {
  CORRELATION_DUE_PREFIX,
  CORRELATION_PREFIX,
  EVENTS_PREFIX,
  LIVENESS_COUNTED_KEY,
  LIVENESS_HEIGHT_KEY,
  NEXT_EVENT_ID_KEY,
  PARAMS_KEY,
  SIGNING_INFOS_PREFIX,
  correlationDueKey,
  correlationKey,
  eventByValidatorKey,
  eventKey,
  missedKey,
  missedPrefix,
  signingInfoKey,
  validatorEventsPrefix,
} from "./keys";
import { Params, defaultParams, type SlashingParams } from "./params";
import { compensate, slash } from "./slash";
import {
  CONS_ADDRESS_LENGTH,
  correlationFromWire,
  correlationToWire,
  signingInfoAt,
  slashEventFromWire,
  slashEventToWire,
  type CompensateArgs,
  type CorrelationRecord,
  type SlashArgs,
  type SlashEvent,
} from "./types";

/** Module account that receives slashed coins before they are paid out or burned. */
export const SLASHING_MODULE = "slashing";
/** Module account that receives what reporters do not get (unless burn_slashed). */
export const TREASURY_MODULE = "treasury";

const MARK = Uint8Array.of(1);
const dec = new TextDecoder();
const NOBODY = new Uint8Array(0);

/** Who the last liveness pass counted and at which height (`slashing/liveness/…`, see keys.ts). */
export interface Liveness {
  /** 0 when nobody is counted. */
  readonly height: bigint;
  /** 20-byte consensus addresses, concatenated in commit order. */
  readonly counted: Uint8Array;
}

/** Whether `consAddress` is among `l.counted`. */
export function isCounted(l: Liveness, consAddress: Uint8Array): boolean {
  if (consAddress.length !== CONS_ADDRESS_LENGTH) return false;
  for (let at = 0; at < l.counted.length; at += CONS_ADDRESS_LENGTH) {
    if (sameAddressAt(l.counted, at, consAddress)) return true;
  }
  return false;
}

/** Whether the 20 bytes of `list` from `at` are `consAddress`. */
export function sameAddressAt(list: Uint8Array, at: number, consAddress: Uint8Array): boolean {
  if (at + CONS_ADDRESS_LENGTH > list.length) return false;
  for (let i = 0; i < CONS_ADDRESS_LENGTH; i++) if (list[at + i] !== consAddress[i]) return false;
  return true;
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

  /** The signing info as of now: the stored record, brought forward if the validator is counted (keys.ts). */
  getSigningInfo(s: KVReader, consAddress: string): ValidatorSigningInfo | undefined {
    const stored = this.getStoredSigningInfo(s, consAddress);
    return stored ? this.current(this.getLiveness(s), stored) : undefined;
  }

  /** The record as last written (its fields as of its last_seen_height). */
  getStoredSigningInfo(s: KVReader, consAddress: string): ValidatorSigningInfo | undefined {
    const raw = s.get(signingInfoKey(consAddress));
    return raw ? ValidatorSigningInfo.decode(raw) : undefined;
  }

  /** Writes a signing info as of now (or of a later counted height): what getSigningInfo returned, changed. */
  setSigningInfo(s: KVStore, info: ValidatorSigningInfo): void {
    s.set(signingInfoKey(info.address), ValidatorSigningInfo.encode(info).finish());
  }

  /** Every signing info as of now, in address order. */
  *signingInfos(s: KVReader): IterableIterator<ValidatorSigningInfo> {
    const l = this.getLiveness(s);
    for (const [, v] of s.iterate(SIGNING_INFOS_PREFIX)) yield this.current(l, ValidatorSigningInfo.decode(v));
  }

  private current(l: Liveness, stored: ValidatorSigningInfo): ValidatorSigningInfo {
    return l.height > stored.lastSeenHeight && isCounted(l, fromBech32(stored.address).data) ? signingInfoAt(stored, l.height) : stored;
  }

  getLiveness(s: KVReader): Liveness {
    const height = s.get(LIVENESS_HEIGHT_KEY);
    if (!height) return { height: 0n, counted: NOBODY };
    return { height: BigInt(dec.decode(height)), counted: s.get(LIVENESS_COUNTED_KEY) ?? NOBODY };
  }

  /** Records the pass at `next.height` over the one before (`prev`): the list only when it changed, nothing when nobody is or was counted. */
  setLiveness(s: KVStore, prev: Liveness, next: Liveness): void {
    if (next.counted.length === 0) {
      if (prev.height === 0n) return;
      s.delete(LIVENESS_HEIGHT_KEY);
      s.delete(LIVENESS_COUNTED_KEY);
      return;
    }
    setCounter(s, LIVENESS_HEIGHT_KEY, next.height);
    const same = prev.counted.length === next.counted.length && prev.counted.every((b, i) => b === next.counted[i]);
    if (!same) s.set(LIVENESS_COUNTED_KEY, next.counted);
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
    return getCounter(s, NEXT_EVENT_ID_KEY);
  }

  setNextEventId(s: KVStore, id: bigint): void {
    setCounter(s, NEXT_EVENT_ID_KEY, id);
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
    return dueQueueEntries(s, CORRELATION_DUE_PREFIX, height);
  }
}
