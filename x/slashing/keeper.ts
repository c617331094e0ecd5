/**
 * Plain state access for x/slashing: params, signing infos and missed-block bitmaps, slash
 * events and correlation records. The checks and effects live in `slash.ts` (the one slash
 * path), `abci.ts` (block hooks) and `msgServer.ts`; this file only reads and writes.
 */
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
  correlationFromWire,
  correlationToWire,
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
