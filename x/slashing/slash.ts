/**
 * THE ONE SLASH PATH. Every slash on the chain — double sign, downtime, the inference and
 * challenge modules' faults, correlation top-ups — goes through `slash()`:
 *
 *   1. checks, before any write (an AppError here leaves state untouched);
 *   2. cuts, on a branch of the caller's state that is written only if everything succeeds:
 *      first each unbonding entry of the validator created at or after the infraction height
 *      and not matured, by min(initial balance × fraction, balance), then the validator's
 *      bonded tokens by what is left — never more in total than fraction × stake at risk
 *      (no over-slashing), and undelegating after the fault does not escape it (no evasion);
 *   3. pays `reporter_reward_ppm` of the cut equally to the named reporters and the rest
 *      (with the split's dust) to the treasury, or burns it (`burn_slashed`);
 *   4. jails and tombstones as asked, records a `SlashEvent`, and queues the slash for its
 *      correlation penalty (`correlation.ts`).
 *
 * `compensate()` is the same path for a debt rather than a fault fraction: it cuts an exact
 * uinf amount (a fee refund the inference module owes a client from the worker's stake) and
 * pays all of it to one beneficiary instead of reporters and the treasury; no jail, and no
 * correlation penalty (a refund is not a fault share).
 */
import { onBranch, type Context } from "../../base/context";
import { InvariantError } from "../../base/errors";
import type { KVReader, KVStore } from "../../base/store/kv";
import { Bech32Prefix, parseAddress } from "../../base/types/address";
import { formatCoins, type Coin } from "../../base/types/coins";
import { PPM, mulPpm } from "../../base/types/math";
import { POWER_REDUCTION } from "../../base/types/staking";
import { ErrInvalidSlash, ErrNoValidatorForAddress } from "./errors";
import { emitJail, emitSlash, emitSlashCompensation, emitSlashProceeds, emitSlashReward, emitTombstone } from "./events";
import type { BankKeeper, StakingKeeper, UnbondingEntryRef, ValidatorView } from "./expectedKeepers";
import { KIND_CORRELATION, MAX_JAIL_BLOCKS, isValidKind, type SlashingParams } from "./params";
import {
  consAddressString,
  newSigningInfo,
  type CompensateArgs,
  type CorrelationRecord,
  type SlashArgs,
  type SlashEvent,
  type ValidatorSigningInfo,
} from "./types";

/**
 * What the slash path uses of x/slashing's keeper: the other modules' keepers and the state it
 * writes. keeper.ts implements it (and calls into this file), so this file never imports it.
 */
export interface SlashPathKeeper {
  readonly staking: StakingKeeper;
  readonly bank: BankKeeper;
  readonly denom: string;
  readonly moduleAccount: string;
  readonly treasury: string;
  getParams(s: KVReader): SlashingParams;
  getNextEventId(s: KVReader): bigint;
  setNextEventId(s: KVStore, id: bigint): void;
  getSigningInfo(s: KVReader, consAddress: string): ValidatorSigningInfo | undefined;
  setSigningInfo(s: KVStore, info: ValidatorSigningInfo): void;
  setSlashEvent(s: KVStore, e: SlashEvent): void;
  setCorrelation(s: KVStore, r: CorrelationRecord): void;
  enqueueCorrelation(s: KVStore, dueHeight: bigint, slashId: bigint): void;
}

/** MsgUnjail is refused before this height for a tombstoned validator (Cosmos's DoubleSignJailEndTime, 9999-12-31, in seconds). */
export const TOMBSTONE_JAILED_UNTIL = 253_402_300_799n;

const MAX_REASON = 256;

/** A checked slash, ready to apply. */
interface Plan {
  readonly validator: ValidatorView;
  readonly entries: readonly UnbondingEntryRef[];
  readonly infractionHeight: bigint;
  readonly fractionPpm: bigint;
  readonly stakeAtRisk: bigint;
  /** Most that may be cut, in total. */
  readonly amount: bigint;
  readonly kind: string;
  readonly reporters: readonly string[];
  readonly jail: boolean;
  readonly tombstone: boolean;
  readonly jailBlocks: bigint;
  readonly reason: string;
  /** Set for a compensation: the whole cut goes here, and the slash is not correlated. */
  readonly beneficiary?: string;
}

/**
 * The validator's unbonding entries a slash for a fault at `infractionHeight` may cut: created
 * at or after it and not matured (an entry completing at this height counts as matured, as in
 * Cosmos), by id. Staking promises both; they are checked again here because a matured entry
 * cut, or a late one missed, is exactly the bug this path exists to prevent.
 */
export function slashableEntries(k: SlashPathKeeper, ctx: Context, operator: string, infractionHeight: bigint): UnbondingEntryRef[] {
  return k.staking
    .unbondingEntriesSince(ctx.store, operator, infractionHeight)
    .filter((e) => e.operator === operator && e.creationHeight >= infractionHeight && e.completionHeight > ctx.block.height && e.balance > 0n);
}

/** Runs `f` on a branch of `ctx` that is written, with its events, only if `f` returns; otherwise rethrows. */
function atomically<T>(ctx: Context, f: (c: Context) => T): T {
  const out = onBranch(ctx, f);
  if (!out.ok) throw out.error;
  return out.value;
}

function checkCommon(ctx: Context, a: { readonly kind: string; readonly infractionHeight: bigint; readonly reason?: string; readonly operator: string }): void {
  if (!isValidKind(a.kind)) throw ErrInvalidSlash.wrap(`kind ${JSON.stringify(a.kind)} must match [a-z][a-z0-9_]{0,31}`);
  if (a.kind === KIND_CORRELATION) throw ErrInvalidSlash.wrap("kind correlation is reserved for correlation top-ups");
  if (a.infractionHeight < 0n || a.infractionHeight > ctx.block.height) {
    throw ErrInvalidSlash.wrap(`infraction height ${a.infractionHeight} is outside 0..${ctx.block.height} (the current height)`);
  }
  if ((a.reason ?? "").length > MAX_REASON) throw ErrInvalidSlash.wrap(`reason longer than ${MAX_REASON} characters`);
  parseAddress(a.operator, Bech32Prefix.operator, "operator");
}

function checkArgs(ctx: Context, a: SlashArgs): void {
  checkCommon(ctx, a);
  if (a.fractionPpm < 0n || a.fractionPpm > PPM) throw ErrInvalidSlash.wrap(`fraction ${a.fractionPpm} ppm is outside 0..1000000`);
  if (a.basePower !== undefined && a.basePower < 0n) throw ErrInvalidSlash.wrap(`negative base power ${a.basePower}`);
  if (a.jailBlocks !== undefined && (a.jailBlocks < 0n || a.jailBlocks > MAX_JAIL_BLOCKS)) {
    throw ErrInvalidSlash.wrap(`jail length ${a.jailBlocks} is outside 0..${MAX_JAIL_BLOCKS}`);
  }
  if (a.tombstone && !a.jail) throw ErrInvalidSlash.wrap("a tombstoned validator must be jailed too");
  const seen = new Set<string>();
  for (const r of a.reporters) {
    parseAddress(r, Bech32Prefix.account, "reporter");
    if (seen.has(r)) throw ErrInvalidSlash.wrap(`reporter ${r} named twice`);
    seen.add(r);
  }
}

/**
 * Slashes `operator` for a fault of `kind` at `infractionHeight`; see the file header. All or
 * nothing: it throws an AppError before any write when the request is invalid, and runs on its
 * own branch so that a failure part-way leaves the caller's state as it was.
 */
export function slash(k: SlashPathKeeper, ctx: Context, args: SlashArgs): SlashEvent {
  checkArgs(ctx, args);
  const params = k.getParams(ctx.store);
  const validator = k.staking.validator(ctx.store, args.operator);
  if (!validator) throw ErrNoValidatorForAddress.wrap(`no validator ${args.operator}`);
  const entries = slashableEntries(k, ctx, args.operator, args.infractionHeight);
  const stakeAtRisk =
    args.basePower !== undefined ? args.basePower * POWER_REDUCTION : entries.reduce((sum, e) => sum + e.balance, validator.tokens);
  return atomically(ctx, (c) =>
    applySlash(k, c, params, {
      validator,
      entries,
      infractionHeight: args.infractionHeight,
      fractionPpm: args.fractionPpm,
      stakeAtRisk,
      amount: mulPpm(stakeAtRisk, args.fractionPpm),
      kind: args.kind,
      reporters: args.reporters,
      jail: args.jail,
      tombstone: args.tombstone,
      jailBlocks: args.jailBlocks ?? params.downtimeJailBlocks,
      reason: args.reason ?? "",
    }),
  );
}

/**
 * Cuts `amount` uinf (or the whole stake at risk, if smaller) from `operator` through the same
 * cut and record as `slash`, and pays all of it to `beneficiary`: the fraction recorded is the
 * amount's share of the stake at risk, rounded up, so each unbonding entry created since the
 * infraction pays its pro-rata part and the validator's tokens the rest. Returns the event;
 * its `amount` is what the beneficiary got. All or nothing, like `slash`.
 */
export function compensate(k: SlashPathKeeper, ctx: Context, args: CompensateArgs): SlashEvent {
  checkCommon(ctx, args);
  if (args.amount < 0n) throw ErrInvalidSlash.wrap(`negative compensation ${args.amount}`);
  parseAddress(args.beneficiary, Bech32Prefix.account, "beneficiary");
  const params = k.getParams(ctx.store);
  const validator = k.staking.validator(ctx.store, args.operator);
  if (!validator) throw ErrNoValidatorForAddress.wrap(`no validator ${args.operator}`);
  const entries = slashableEntries(k, ctx, args.operator, args.infractionHeight);
  const stakeAtRisk = entries.reduce((sum, e) => sum + e.balance, validator.tokens);
  const amount = args.amount < stakeAtRisk ? args.amount : stakeAtRisk;
  const fractionPpm = stakeAtRisk === 0n ? 0n : (amount * PPM + stakeAtRisk - 1n) / stakeAtRisk;
  return atomically(ctx, (c) =>
    applySlash(k, c, params, {
      validator,
      entries,
      infractionHeight: args.infractionHeight,
      fractionPpm,
      stakeAtRisk,
      amount,
      kind: args.kind,
      reporters: [],
      jail: false,
      tombstone: false,
      jailBlocks: 0n,
      reason: args.reason ?? "",
      beneficiary: args.beneficiary,
    }),
  );
}

/**
 * A correlation top-up: cuts up to `amount` (already bounded by the stake still at risk) for a
 * fault at `infractionHeight`, through the same cut, payout and record as every slash. Runs on
 * its own branch, like `slash`.
 */
export function slashCorrelation(
  k: SlashPathKeeper,
  ctx: Context,
  p: { readonly validator: ValidatorView; readonly entries: readonly UnbondingEntryRef[]; readonly infractionHeight: bigint; readonly stakeAtRisk: bigint; readonly amount: bigint; readonly reason: string },
): SlashEvent {
  const params = k.getParams(ctx.store);
  // The fraction caps each unbonding entry's share; rounded up so the entries carry theirs.
  const fractionPpm = p.stakeAtRisk === 0n ? 0n : (p.amount * PPM + p.stakeAtRisk - 1n) / p.stakeAtRisk;
  return atomically(ctx, (c) =>
    applySlash(k, c, params, {
      ...p,
      fractionPpm: fractionPpm > PPM ? PPM : fractionPpm,
      kind: KIND_CORRELATION,
      reporters: [],
      jail: false,
      tombstone: false,
      jailBlocks: 0n,
    }),
  );
}

function coins(denom: string, amount: bigint): Coin[] {
  return [{ denom, amount }];
}

function applySlash(k: SlashPathKeeper, ctx: Context, params: SlashingParams, plan: Plan): SlashEvent {
  const { validator, fractionPpm } = plan;
  const operator = validator.operator;
  const height = ctx.block.height;

  // Unbonding entries first: stake that left after the fault pays its share.
  let remaining = plan.amount;
  let unbondingAmount = 0n;
  for (const e of plan.entries) {
    if (remaining === 0n) break;
    let want = mulPpm(e.initialBalance, fractionPpm);
    if (want > e.balance) want = e.balance;
    if (want > remaining) want = remaining;
    if (want === 0n) continue;
    const got = k.staking.slashUnbondingEntry(ctx, e, want, k.moduleAccount);
    if (got < 0n || got > want) throw new InvariantError(`staking cut ${got} from unbonding entry ${e.id}, asked for at most ${want}`);
    unbondingAmount += got;
    remaining -= got;
  }
  // Then the validator's tokens, by what is left of the amount.
  let validatorAmount = 0n;
  const want = remaining < validator.tokens ? remaining : validator.tokens;
  if (want > 0n) {
    validatorAmount = k.staking.slashValidatorTokens(ctx, operator, want, k.moduleAccount);
    if (validatorAmount < 0n || validatorAmount > want) throw new InvariantError(`staking cut ${validatorAmount} from ${operator}, asked for at most ${want}`);
  }
  const amount = unbondingAmount + validatorAmount;

  // Payout: a compensation's beneficiary takes it all; otherwise reporters' equal shares, the
  // rest (with the split's dust) to the treasury or burned.
  const id = k.getNextEventId(ctx.store);
  k.setNextEventId(ctx.store, id + 1n);
  const rewards: { address: string; amount: bigint }[] = [];
  let rest = amount;
  if (plan.beneficiary !== undefined) {
    rewards.push({ address: plan.beneficiary, amount });
    rest = 0n;
    if (amount > 0n) {
      k.bank.sendCoinsFromModuleToAccount(ctx, k.moduleAccount, plan.beneficiary, coins(k.denom, amount));
      emitSlashCompensation(ctx.events, id, plan.beneficiary, formatCoins(coins(k.denom, amount)));
    }
  } else if (plan.reporters.length > 0 && amount > 0n) {
    const each = mulPpm(amount, params.reporterRewardPpm) / BigInt(plan.reporters.length);
    for (const r of plan.reporters) {
      rewards.push({ address: r, amount: each });
      rest -= each;
      if (each > 0n) {
        k.bank.sendCoinsFromModuleToAccount(ctx, k.moduleAccount, r, coins(k.denom, each));
        emitSlashReward(ctx.events, id, r, formatCoins(coins(k.denom, each)));
      }
    }
  }
  let treasuryAmount = 0n;
  let burnedAmount = 0n;
  if (rest > 0n) {
    if (params.burnSlashed) {
      k.bank.burnCoins(ctx, k.moduleAccount, coins(k.denom, rest));
      burnedAmount = rest;
    } else {
      k.bank.sendCoinsFromModuleToModule(ctx, k.moduleAccount, k.treasury, coins(k.denom, rest));
      treasuryAmount = rest;
    }
    emitSlashProceeds(ctx.events, id, params.burnSlashed ? "burned" : "treasury", formatCoins(coins(k.denom, rest)));
  }

  // Jail and tombstone, on the signing info of the validator's consensus key.
  const cons = consAddressString(validator.consAddress);
  const info = k.getSigningInfo(ctx.store, cons) ?? newSigningInfo(cons, height);
  let jailedUntil = info.jailedUntilHeight;
  if (plan.jail) {
    if (!validator.jailed) k.staking.jail(ctx, operator);
    const until = plan.tombstone ? TOMBSTONE_JAILED_UNTIL : height + plan.jailBlocks;
    if (until > jailedUntil) jailedUntil = until;
    emitJail(ctx.events, operator, jailedUntil, plan.kind);
  }
  if (plan.tombstone && !info.tombstoned) emitTombstone(ctx.events, operator, cons);
  if (plan.jail || plan.tombstone) {
    k.setSigningInfo(ctx.store, { ...info, jailedUntilHeight: jailedUntil, tombstoned: info.tombstoned || plan.tombstone });
  }

  const event: SlashEvent = {
    id,
    validator: operator,
    infractionHeight: plan.infractionHeight,
    height,
    kind: plan.kind,
    fractionPpm,
    stakeAtRisk: plan.stakeAtRisk,
    amount,
    validatorAmount,
    unbondingAmount,
    reporters: rewards,
    treasuryAmount,
    burnedAmount,
    jailed: plan.jail,
    tombstoned: plan.tombstone,
    reason: plan.reason,
  };
  k.setSlashEvent(ctx.store, event);
  emitSlash(ctx.events, {
    id,
    validator: operator,
    consAddress: cons,
    infractionHeight: plan.infractionHeight,
    kind: plan.kind,
    fractionPpm,
    amount: formatCoins(coins(k.denom, amount)),
    reason: plan.reason,
    jailed: plan.jail,
    tombstoned: plan.tombstone,
  });

  // Queue it for the correlation penalty, unless it is a compensation, the kind is exempt or
  // correlation is off.
  if (
    plan.beneficiary === undefined &&
    plan.kind !== KIND_CORRELATION &&
    fractionPpm > 0n &&
    plan.stakeAtRisk > 0n &&
    params.correlationMultiplier > 0n &&
    !params.correlationExemptKinds.includes(plan.kind)
  ) {
    const dueHeight = height + params.correlationWindowBlocks;
    k.setCorrelation(ctx.store, {
      slashId: id,
      validator: operator,
      kind: plan.kind,
      height,
      infractionHeight: plan.infractionHeight,
      stake: plan.stakeAtRisk,
      amount,
      topUp: 0n,
      dueHeight,
      done: false,
    });
    k.enqueueCorrelation(ctx.store, dueHeight, id);
  }
  return event;
}
