/**
 * Block hooks of x/slashing. BeginBlock (which must run before staking's EndBlock computes the
 * validator set, so jailing takes effect this block) handles CometBFT's evidence, then liveness
 * from `decided_last_commit`; EndBlock decides the correlation windows that close.
 */
import type { BlockHookInfo, Context, Misbehavior, VoteInfo } from "../../base/context";
import { InvariantError } from "../../base/errors";
import { processCorrelations } from "./correlation";
import { emitEvidenceIgnored, emitLiveness } from "./events";
import { sameAddressAt, type Liveness, type SlashingKeeper } from "./keeper";
import { KIND_DOUBLE_SIGN, KIND_DOWNTIME, minSignedPerWindow, type SlashingParams } from "./params";
import { slash } from "./slash";
import { CONS_ADDRESS_LENGTH, consAddressString, newSigningInfo, signingInfoAt, type ValidatorSigningInfo } from "./types";

export function beginBlocker(k: SlashingKeeper, ctx: Context, info: BlockHookInfo): void {
  const params = k.getParams(ctx.store);
  for (const m of info.misbehavior) handleEvidence(k, ctx, params, m);
  countCommit(k, ctx, params, info.lastCommit);
}

export function endBlocker(k: SlashingKeeper, ctx: Context): void {
  processCorrelations(k, ctx);
}

/**
 * Double sign / light-client attack: slash `slash_fraction_double_sign` of the power the
 * validator had at the infraction, jail, tombstone. Evidence for an unknown or already
 * tombstoned validator, older than `max_evidence_age_blocks`, or as old as staking's
 * `unbonding_blocks` (the stake undelegated since may have left: params keep the evidence age
 * below it, this is the last line), is ignored with an event, as Cosmos ignores evidence
 * past its max age.
 * Unbonding entries are cut from one block before the evidence height (Cosmos's distribution
 * height): CometBFT applies a power change two blocks after the block that made it, so stake
 * undelegated at h − 1 still counted in the power that signed at h.
 */
export function handleEvidence(k: SlashingKeeper, ctx: Context, params: SlashingParams, m: Misbehavior): void {
  const cons = consAddressString(m.validatorAddress);
  const validator = k.staking.validatorByConsAddress(ctx.store, m.validatorAddress);
  if (!validator) return emitEvidenceIgnored(ctx.events, cons, m.height, "unknown_validator");
  if (k.getSigningInfo(ctx.store, cons)?.tombstoned) return emitEvidenceIgnored(ctx.events, cons, m.height, "tombstoned");
  if (m.height > ctx.block.height || ctx.block.height - m.height > params.maxEvidenceAgeBlocks) {
    return emitEvidenceIgnored(ctx.events, cons, m.height, "too_old");
  }
  if (ctx.block.height - m.height >= k.staking.unbondingBlocks(ctx.store)) {
    return emitEvidenceIgnored(ctx.events, cons, m.height, "older_than_unbonding");
  }
  slash(k, ctx, {
    operator: validator.operator,
    infractionHeight: m.height > 0n ? m.height - 1n : 0n,
    fractionPpm: params.slashFractionDoubleSignPpm,
    kind: KIND_DOUBLE_SIGN,
    reporters: [],
    jail: true,
    tombstone: true,
    basePower: m.power,
    reason: `${m.kind} at height ${m.height}`,
  });
}

/**
 * One liveness pass over `decided_last_commit` (see handleVote for the rules). What it writes
 * is what changed: a validator counted in the last pass and again now whose missed counter and
 * start height stay put keeps its stored record (keys.ts: it is brought forward when read),
 * so a block in which everyone signs writes only `slashing/liveness/height`. A validator counted
 * last time and not now (jailed, or out of the set) gets its record as of the last pass
 * written, so that it stops moving.
 */
export function countCommit(k: SlashingKeeper, ctx: Context, params: SlashingParams, votes: readonly VoteInfo[]): void {
  const prev = k.getLiveness(ctx.store);
  const pass = new LivenessPass(prev, ctx.block.height);
  for (const v of votes) handleVote(k, ctx, params, v, pass);
  for (const addr of pass.dropped()) {
    const stored = k.getStoredSigningInfo(ctx.store, consAddressString(addr));
    if (stored && prev.height > stored.lastSeenHeight) k.setSigningInfo(ctx.store, signingInfoAt(stored, prev.height));
  }
  k.setLiveness(ctx.store, prev, { height: ctx.block.height, counted: pass.counted() });
}

/**
 * The validators counted so far in this block's pass, against the last pass's list. Commits
 * list the set in the same order block after block, so membership is first checked at the
 * same position, and by name only when the set has changed.
 */
class LivenessPass {
  private readonly now: Uint8Array[] = [];
  private readonly names = new Set<string>();
  private prevNames?: Set<string>;
  /** Every validator counted so far sits where it sat in the last pass. */
  private aligned = true;

  constructor(
    private readonly prev: Liveness,
    private readonly height: bigint,
  ) {}

  /** The signing info of a validator about to be counted, as of the block before this one. */
  prior(stored: ValidatorSigningInfo, consAddress: Uint8Array, name: string): ValidatorSigningInfo {
    // A second vote for it in this commit: it was counted at this height already.
    if (this.names.has(name)) return signingInfoAt(stored, this.height);
    if (this.prev.height > stored.lastSeenHeight && this.wasCounted(consAddress, name)) return signingInfoAt(stored, this.prev.height);
    return stored;
  }

  count(consAddress: Uint8Array, name: string): void {
    if (this.names.has(name)) return;
    if (consAddress.length !== CONS_ADDRESS_LENGTH) throw new InvariantError(`slashing: consensus address of ${consAddress.length} bytes`);
    if (this.aligned && !sameAddressAt(this.prev.counted, this.now.length * CONS_ADDRESS_LENGTH, consAddress)) this.aligned = false;
    this.now.push(consAddress);
    this.names.add(name);
  }

  /** Counted in the last pass, not in this one. */
  dropped(): Uint8Array[] {
    if (this.aligned && this.now.length * CONS_ADDRESS_LENGTH === this.prev.counted.length) return [];
    return this.previous().filter((a) => !this.names.has(consAddressString(a)));
  }

  /** This pass's list, for `slashing/liveness/counted`. */
  counted(): Uint8Array {
    if (this.aligned && this.now.length * CONS_ADDRESS_LENGTH === this.prev.counted.length) return this.prev.counted;
    const out = new Uint8Array(this.now.length * CONS_ADDRESS_LENGTH);
    this.now.forEach((a, i) => out.set(a, i * CONS_ADDRESS_LENGTH));
    return out;
  }

  private wasCounted(consAddress: Uint8Array, name: string): boolean {
    if (sameAddressAt(this.prev.counted, this.now.length * CONS_ADDRESS_LENGTH, consAddress)) return true;
    this.prevNames ??= new Set(this.previous().map(consAddressString));
    return this.prevNames.has(name);
  }

  private previous(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let at = 0; at < this.prev.counted.length; at += CONS_ADDRESS_LENGTH) out.push(this.prev.counted.subarray(at, at + CONS_ADDRESS_LENGTH));
    return out;
  }
}

/** Whether `next`, as a counted validator's record at `height`, is what `stored` already says (keys.ts). */
function storedIsCurrent(stored: ValidatorSigningInfo, next: ValidatorSigningInfo, height: bigint): boolean {
  const at = signingInfoAt(stored, height);
  return (
    at.startHeight === next.startHeight &&
    at.indexOffset === next.indexOffset &&
    at.lastSeenHeight === next.lastSeenHeight &&
    at.missedBlocksCounter === next.missedBlocksCounter &&
    at.jailedUntilHeight === next.jailedUntilHeight &&
    at.tombstoned === next.tombstoned
  );
}

/**
 * Liveness, with Cosmos semantics: one bitmap slot per block the validator is in the commit;
 * past start_height + window, more than window − min_signed misses slash
 * `slash_fraction_downtime` of its power (infraction height = height − 2, Cosmos's
 * distribution height), jail it for `downtime_jail_blocks` and start its window over. Jailed
 * and unknown validators are skipped; one back in the commit after an absence (it left the set
 * and re-bonded) gets a fresh start height, as Cosmos's AfterValidatorBonded hook gives it.
 * A signed vote over a slot that is not marked changes nothing stored; with a zero counter no
 * slot is marked, so the bitmap is not even read.
 */
function handleVote(k: SlashingKeeper, ctx: Context, params: SlashingParams, vote: VoteInfo, pass: LivenessPass): void {
  const validator = k.staking.consensusSigner(ctx.store, vote.validatorAddress);
  if (!validator || validator.jailed) return;
  const height = ctx.block.height;
  const cons = consAddressString(vote.validatorAddress);
  const stored = k.getStoredSigningInfo(ctx.store, cons);
  const prior = stored ? pass.prior(stored, vote.validatorAddress, cons) : newSigningInfo(cons, height);
  pass.count(vote.validatorAddress, cons);
  const rebonded = prior.lastSeenHeight > 0n && prior.lastSeenHeight + 1n < height;
  const info = { ...prior, startHeight: rebonded ? height : prior.startHeight, lastSeenHeight: height };

  const window = params.signedBlocksWindow;
  const index = info.indexOffset % window;
  info.indexOffset += 1n;
  // The counter is the number of marked slots: none marked, nothing to read.
  const wasMissed = info.missedBlocksCounter > 0n && k.isMissed(ctx.store, cons, index);
  const missed = !vote.signed;
  if (missed !== wasMissed) {
    k.setMissed(ctx.store, cons, index, missed);
    info.missedBlocksCounter += missed ? 1n : -1n;
  }
  if (missed) emitLiveness(ctx.events, cons, info.missedBlocksCounter, height);

  const maxMissed = window - minSignedPerWindow(params);
  const down = height > info.startHeight + window && info.missedBlocksCounter > maxMissed;
  // The slash path reads the record: it must be this block's.
  if (!stored || down || !storedIsCurrent(stored, info, height)) k.setSigningInfo(ctx.store, info);
  if (down) {
    slash(k, ctx, {
      operator: validator.operator,
      infractionHeight: height > 2n ? height - 2n : 0n,
      fractionPpm: params.slashFractionDowntimePpm,
      kind: KIND_DOWNTIME,
      reporters: [],
      jail: true,
      tombstone: false,
      basePower: vote.power,
      jailBlocks: params.downtimeJailBlocks,
      reason: `missed ${info.missedBlocksCounter} of the last ${window} blocks`,
    });
    // The slash set jailed_until; the window starts over when the validator is back.
    const after = k.getSigningInfo(ctx.store, cons) ?? info;
    k.setSigningInfo(ctx.store, { ...after, missedBlocksCounter: 0n, indexOffset: 0n });
    k.clearMissed(ctx.store, cons);
  }
}
