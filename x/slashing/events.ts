/**
 * Events of x/slashing. Types and attribute keys are public (indexers and `tx_search` query
 * them); handlers emit only through these constructors. Amounts are Cosmos coin strings
 * (`123uinf`), fractions ppm, heights decimal.
 */
import type { EventManager } from "../../base/events";

export const EventTypeSlash = "slash";
export const EventTypeSlashReward = "slash_reward";
export const EventTypeSlashProceeds = "slash_proceeds";
export const EventTypeSlashCompensation = "slash_compensation";
export const EventTypeLiveness = "liveness";
export const EventTypeJail = "jail";
export const EventTypeTombstone = "tombstone";
export const EventTypeUnjail = "unjail";
export const EventTypeEvidenceIgnored = "evidence_ignored";
export const EventTypeCorrelation = "correlation";
export const EventTypeUpdateParams = "update_params";

export interface SlashEventAttrs {
  readonly id: bigint;
  readonly validator: string;
  readonly consAddress: string;
  readonly infractionHeight: bigint;
  readonly kind: string;
  readonly fractionPpm: bigint;
  readonly amount: string;
  readonly reason: string;
  readonly jailed: boolean;
  readonly tombstoned: boolean;
}

export function emitSlash(em: EventManager, a: SlashEventAttrs): void {
  em.emit(EventTypeSlash, {
    id: a.id.toString(),
    validator: a.validator,
    address: a.consAddress,
    infraction_height: a.infractionHeight.toString(),
    kind: a.kind,
    fraction: a.fractionPpm.toString(),
    amount: a.amount,
    reason: a.reason,
    jailed: String(a.jailed),
    tombstoned: String(a.tombstoned),
  });
}

export function emitSlashReward(em: EventManager, slashId: bigint, reporter: string, amount: string): void {
  em.emit(EventTypeSlashReward, { slash_id: slashId.toString(), reporter, amount });
}

/** A compensation's whole cut went to `recipient` (e.g. a client refunded from a late worker's stake). */
export function emitSlashCompensation(em: EventManager, slashId: bigint, recipient: string, amount: string): void {
  em.emit(EventTypeSlashCompensation, { slash_id: slashId.toString(), recipient, amount });
}

/** Where the rest of a slash went: `treasury` or `burned`. */
export function emitSlashProceeds(em: EventManager, slashId: bigint, destination: "treasury" | "burned", amount: string): void {
  em.emit(EventTypeSlashProceeds, { slash_id: slashId.toString(), destination, amount });
}

/** A validator missed a block (Cosmos's `liveness` event). */
export function emitLiveness(em: EventManager, consAddress: string, missedBlocks: bigint, height: bigint): void {
  em.emit(EventTypeLiveness, { validator: consAddress, missed_blocks: missedBlocks.toString(), height: height.toString() });
}

export function emitJail(em: EventManager, operator: string, jailedUntilHeight: bigint, kind: string): void {
  em.emit(EventTypeJail, { validator: operator, jailed_until: jailedUntilHeight.toString(), kind });
}

export function emitTombstone(em: EventManager, operator: string, consAddress: string): void {
  em.emit(EventTypeTombstone, { validator: operator, address: consAddress });
}

export function emitUnjail(em: EventManager, operator: string): void {
  em.emit(EventTypeUnjail, { validator: operator });
}

/** CometBFT evidence that did not lead to a slash, and why (`unknown_validator`, `tombstoned`, `too_old`). */
export function emitEvidenceIgnored(em: EventManager, consAddress: string, height: bigint, reason: string): void {
  em.emit(EventTypeEvidenceIgnored, { address: consAddress, height: height.toString(), reason });
}

export interface CorrelationAttrs {
  readonly slashId: bigint;
  readonly validator: string;
  readonly kind: string;
  /** Share of the stake at risk slashed for `kind` in the window (ppm). */
  readonly slashedSharePpm: bigint;
  /** min(1, multiplier × share), ppm of the validator's stake. */
  readonly targetPpm: bigint;
  /** uinf cut by the top-up (0 when the slash already reached the target). */
  readonly topUp: bigint;
}

/** A slash's correlation window closed; emitted whether or not it was topped up. */
export function emitCorrelation(em: EventManager, a: CorrelationAttrs): void {
  em.emit(EventTypeCorrelation, {
    slash_id: a.slashId.toString(),
    validator: a.validator,
    kind: a.kind,
    slashed_share: a.slashedSharePpm.toString(),
    target_fraction: a.targetPpm.toString(),
    top_up: a.topUp.toString(),
  });
}

export function emitUpdateParams(em: EventManager, authority: string): void {
  em.emit(EventTypeUpdateParams, { module: "slashing", authority });
}
