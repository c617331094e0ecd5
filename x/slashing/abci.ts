/**
 * Block hooks of x/slashing. BeginBlock (which must run before staking's EndBlock computes the
 * validator set, so jailing takes effect this block) handles CometBFT's evidence, then liveness
 * from `decided_last_commit`; EndBlock decides the correlation windows that close.
 */
import type { BlockHookInfo, Context, Misbehavior, VoteInfo } from "../../base/context";
import { processCorrelations } from "./correlation";
import { emitEvidenceIgnored, emitLiveness } from "./events";
import type { SlashingKeeper } from "./keeper";
import { KIND_DOUBLE_SIGN, KIND_DOWNTIME, minSignedPerWindow, type SlashingParams } from "./params";
import { slash } from "./slash";
import { consAddressString, newSigningInfo } from "./types";

export function beginBlocker(k: SlashingKeeper, ctx: Context, info: BlockHookInfo): void {
  const params = k.getParams(ctx.store);
  for (const m of info.misbehavior) handleEvidence(k, ctx, params, m);
  for (const v of info.lastCommit) handleVote(k, ctx, params, v);
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
 * Liveness, with Cosmos semantics: one bitmap slot per block the validator is in the commit;
 * past start_height + window, more than window − min_signed misses slash
 * `slash_fraction_downtime` of its power (infraction height = height − 2, Cosmos's
 * distribution height), jail it for `downtime_jail_blocks` and start its window over. Jailed
 * and unknown validators are skipped; one back in the commit after an absence (it left the set
 * and re-bonded) gets a fresh start height, as Cosmos's AfterValidatorBonded hook gives it.
 */
export function handleVote(k: SlashingKeeper, ctx: Context, params: SlashingParams, vote: VoteInfo): void {
  const validator = k.staking.validatorByConsAddress(ctx.store, vote.validatorAddress);
  if (!validator || validator.jailed) return;
  const height = ctx.block.height;
  const cons = consAddressString(vote.validatorAddress);
  const prior = k.getSigningInfo(ctx.store, cons) ?? newSigningInfo(cons, height);
  const rebonded = prior.lastSeenHeight > 0n && prior.lastSeenHeight + 1n < height;
  const info = { ...prior, startHeight: rebonded ? height : prior.startHeight, lastSeenHeight: height };

  const window = params.signedBlocksWindow;
  const index = info.indexOffset % window;
  info.indexOffset += 1n;
  const wasMissed = k.isMissed(ctx.store, cons, index);
  const missed = !vote.signed;
  if (missed !== wasMissed) {
    k.setMissed(ctx.store, cons, index, missed);
    info.missedBlocksCounter += missed ? 1n : -1n;
  }
  if (missed) emitLiveness(ctx.events, cons, info.missedBlocksCounter, height);
  k.setSigningInfo(ctx.store, info);

  const maxMissed = window - minSignedPerWindow(params);
  if (height > info.startHeight + window && info.missedBlocksCounter > maxMissed) {
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
