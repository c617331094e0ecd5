/**
 * x/slashing's domain types: the slash request (`SlashArgs`, `CompensateArgs`), what a slash
 * leaves behind (`SlashEvent`, `CorrelationRecord`, signing infos) and their wire forms. Plain
 * types and pure functions: other modules may `import type` from here.
 */
import { toBech32 } from "@cosmjs/encoding";
import {
  CorrelationRecord as CorrelationRecordWire,
  SlashEvent as SlashEventWire,
  ValidatorSigningInfo,
} from "../../gen/inferchain/slashing/v1/slashing";
import { Bech32Prefix } from "../../base/types/address";

export { ValidatorSigningInfo };

export interface SlashArgs {
  /** infervaloper1… */
  readonly operator: string;
  /** Height of the fault; unbonding entries created at or after it are cut too. ≤ the current height. */
  readonly infractionHeight: bigint;
  /** 0..1_000_000 */
  readonly fractionPpm: bigint;
  /** `[a-z][a-z0-9_]{0,31}`, e.g. `invalid_result`; `correlation` is reserved. */
  readonly kind: string;
  /** infer1… accounts that share `reporter_reward_ppm` of the cut equally; distinct. */
  readonly reporters: readonly string[];
  readonly jail: boolean;
  /** Never unjailed again; requires `jail`. */
  readonly tombstone: boolean;
  /**
   * The validator's voting power at the infraction (CometBFT evidence, the last commit): the
   * stake at risk is then basePower × 10^6 uinf. Without it, the stake at risk is the
   * validator's tokens plus the unbonding entries created since the infraction.
   */
  readonly basePower?: bigint;
  /** Jail length in blocks when jailed and not tombstoned; default `downtime_jail_blocks`. */
  readonly jailBlocks?: bigint;
  /** Free text for the record and event (≤ 256 characters), e.g. `job 42: output diverges`. */
  readonly reason?: string;
}

/** An exact-amount cut paid to one account (see `compensate`). */
export interface CompensateArgs {
  /** infervaloper1… */
  readonly operator: string;
  /** Unbonding entries created at or after it answer too, as for a slash. ≤ the current height. */
  readonly infractionHeight: bigint;
  /** uinf owed; cut in full unless the stake at risk is smaller (then all of it). */
  readonly amount: bigint;
  /** `[a-z][a-z0-9_]{0,31}`, e.g. `late_result`; `correlation` is reserved. */
  readonly kind: string;
  /** infer1… that receives the whole cut (the SlashEvent lists it as the only beneficiary). */
  readonly beneficiary: string;
  /** ≤ 256 characters, e.g. `job 42: late result`. */
  readonly reason?: string;
}

/** CometBFT's consensus addresses: sha256(ed25519 pubkey)[:20]. */
export const CONS_ADDRESS_LENGTH = 20;

/**
 * Bech32 forms already computed: every block names the same validators, and encoding one is
 * a checksum over its bytes. A cache of a pure function (bounded), so it changes no result.
 */
const consNames = new Map<string, string>();
const MAX_CONS_NAMES = 10_000;

/** A signing info's key and bech32 form: `infervalcons1…`. */
export function consAddressString(consAddress: Uint8Array): string {
  const raw = Buffer.from(consAddress.buffer, consAddress.byteOffset, consAddress.byteLength).toString("latin1");
  let name = consNames.get(raw);
  if (name === undefined) {
    if (consNames.size >= MAX_CONS_NAMES) consNames.clear();
    name = toBech32(Bech32Prefix.consensus, consAddress);
    consNames.set(raw, name);
  }
  return name;
}

export function newSigningInfo(address: string, startHeight: bigint): ValidatorSigningInfo {
  return { address, startHeight, indexOffset: 0n, jailedUntilHeight: 0n, tombstoned: false, missedBlocksCounter: 0n, lastSeenHeight: 0n };
}

/**
 * A counted validator's signing info at `height`, from a record stored at an earlier
 * last_seen_height: each block since was counted, one more bitmap slot each (see keys.ts). A
 * record stored at or after `height` is already current.
 */
export function signingInfoAt(stored: ValidatorSigningInfo, height: bigint): ValidatorSigningInfo {
  if (height <= stored.lastSeenHeight) return stored;
  return { ...stored, indexOffset: stored.indexOffset + (height - stored.lastSeenHeight), lastSeenHeight: height };
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
