/**
 * The correlation penalty (SPEC §4, after Ethereum's proportional slashing): many validators
 * cheating together lose more than one alone. Each slash at height h (of a kind not exempt) is
 * recorded with the stake it put at risk. At the end of block h + window:
 *
 *   share  = Σ stake of the validators slashed for the same kind in [h − window, h + window]
 *            / the stake at risk: bonded stake now, with those offenders counted at their
 *              stake when slashed instead of what is left of it (so jailing or cutting them
 *              does not inflate the share);
 *   target = min(1, correlation_multiplier × share);
 *
 * and if the validator lost less than target × its stake for this kind in the window (its own
 * slashes plus earlier top-ups), it is cut the difference through the one slash path (kind
 * `correlation`, no reporters, reaching unbonding entries created since the infraction),
 * never more than it still has at risk. Everything is integer ppm.
 */
import type { Context } from "../../base/context";
import { PPM, mulPpm } from "../../base/types/math";
import { emitCorrelation } from "./events";
import type { SlashingKeeper } from "./keeper";
import type { SlashingParams } from "./params";
import { slashCorrelation, slashableEntries } from "./slash";
import type { CorrelationRecord } from "./types";

/** End-block hook: decides every correlation window that closes at (or before) this height. */
export function processCorrelations(k: SlashingKeeper, ctx: Context): void {
  const params = k.getParams(ctx.store);
  for (const [due, id] of k.dueCorrelations(ctx.store, ctx.block.height)) {
    k.dequeueCorrelation(ctx.store, due, id);
    const rec = k.getCorrelation(ctx.store, id);
    if (rec && !rec.done) topUp(k, ctx, params, rec);
  }
  prune(k, ctx, params);
}

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

function topUp(k: SlashingKeeper, ctx: Context, params: SlashingParams, rec: CorrelationRecord): void {
  const w = params.correlationWindowBlocks;
  const lo = rec.height > w ? rec.height - w : 0n;
  const hi = rec.height + w;
  const inWindow = [...k.correlations(ctx.store)].filter((r) => r.height >= lo && r.height <= hi);

  // Each offender counts once, at the largest stake it had at risk in the window.
  const sameKind = new Map<string, bigint>();
  const anyKind = new Map<string, bigint>();
  for (const r of inWindow) {
    anyKind.set(r.validator, max(anyKind.get(r.validator) ?? 0n, r.stake));
    if (r.kind === rec.kind) sameKind.set(r.validator, max(sameKind.get(r.validator) ?? 0n, r.stake));
  }
  let slashed = 0n;
  for (const s of sameKind.values()) slashed += s;
  let atRisk = k.staking.totalBondedTokens(ctx.store);
  for (const [operator, stake] of anyKind) {
    const v = k.staking.validator(ctx.store, operator);
    if (v?.bonded) atRisk -= v.tokens;
    atRisk += stake;
  }
  if (atRisk < slashed) atRisk = slashed;
  const sharePpm = atRisk === 0n ? 0n : (slashed * PPM) / atRisk;
  const targetPpm = min(PPM, params.correlationMultiplier * sharePpm);

  let lost = 0n;
  for (const r of inWindow) if (r.validator === rec.validator && r.kind === rec.kind) lost += r.amount + r.topUp;
  const goal = mulPpm(sameKind.get(rec.validator) ?? rec.stake, targetPpm);

  let cut = 0n;
  const validator = k.staking.validator(ctx.store, rec.validator);
  if (params.correlationMultiplier > 0n && goal > lost && validator) {
    const entries = slashableEntries(k, ctx, rec.validator, rec.infractionHeight);
    const stillAtRisk = entries.reduce((sum, e) => sum + e.balance, validator.tokens);
    const amount = min(goal - lost, stillAtRisk);
    if (amount > 0n) {
      const ev = slashCorrelation(k, ctx, {
        validator,
        entries,
        infractionHeight: rec.infractionHeight,
        stakeAtRisk: stillAtRisk,
        amount,
        reason: `slash #${rec.slashId}: ${rec.kind} slashes in blocks ${lo}..${hi} hit ${sharePpm} ppm of the stake at risk; target ${targetPpm} ppm`,
      });
      cut = ev.amount;
    }
  }
  k.setCorrelation(ctx.store, { ...rec, topUp: rec.topUp + cut, done: true });
  emitCorrelation(ctx.events, { slashId: rec.slashId, validator: rec.validator, kind: rec.kind, slashedSharePpm: sharePpm, targetPpm, topUp: cut });
}

/** Drops decided records no window can reach any more (older than two windows). */
function prune(k: SlashingKeeper, ctx: Context, params: SlashingParams): void {
  const horizon = 2n * params.correlationWindowBlocks;
  const stale: bigint[] = [];
  for (const r of k.correlations(ctx.store)) {
    if (r.height + horizon >= ctx.block.height) break;
    if (r.done) stale.push(r.slashId);
  }
  for (const id of stale) k.deleteCorrelation(ctx.store, id);
}
