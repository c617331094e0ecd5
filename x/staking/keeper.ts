/**
 * Validators, delegations as shares, unbonding entries, the active set and worker keys.
 *
 * Reads take any store view; effects take the Context (store, events, height). The effects
 * here are the state transitions that keep staking's invariants (shares ↔ tokens, tokens ↔
 * pools, indexes); message checks live in msgServer.ts. Invariant: the bonded pool holds
 * exactly the tokens of BONDED validators; the not-bonded pool holds the tokens of the others
 * plus every unbonding entry's balance.
 *
 * Share math is integer math with 18 implied decimals (Cosmos Dec atomics):
 *   first delegation: shares = amount × 10^18
 *   later:            shares = amount × totalShares / tokens          (floor)
 *   redeeming:        tokens = shares × tokens / totalShares          (floor)
 * A slash lowers tokens and leaves shares alone, so every delegator loses pro rata.
 */
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { sha256 } from "@noble/hashes/sha2.js";
import type { ValidatorUpdate } from "cosmjs-types/tendermint/abci/types";
import {
  BondStatus,
  UnbondingEntry as StoredUnbondingEntry,
  Validator as StoredValidator,
  Worker as StoredWorker,
} from "../../gen/inferchain/staking/v1/staking";
import type { Context } from "../../base/context";
import { InvariantError } from "../../base/errors";
import type { KVReader, KVStore } from "../../base/store/kv";
import { dueQueueEntries, getCounter, setCounter } from "../../base/store/keys";
import { Bech32Prefix, moduleAddress, operatorAccount, parseAddress } from "../../base/types/address";
import { DEC_ONE } from "../../base/types/math";
import { POWER_REDUCTION } from "../../base/types/staking";
import {
  ErrDelegationTooSmall,
  ErrInsufficientShares,
  ErrInvalidExchangeRate,
  ErrNoDelegation,
  ErrNoValidator,
  ErrTooManyUnbondingEntries,
} from "./errors";
import { emitCompleteUnbonding, emitJail, emitUnbond } from "./events";
import type { BankKeeper } from "./expectedKeepers";
import * as keys from "./keys";
import { Params, defaultParams, fromStored, toStored, type StakingParams } from "./params";

export { BondStatus };

/** Module accounts holding staked coins (both must be blocked from receiving MsgSend). */
export const BONDED_POOL = "bonded_tokens_pool";
export const NOT_BONDED_POOL = "not_bonded_tokens_pool";

const enc = new TextEncoder();
const dec = new TextDecoder();
const ONE = new Uint8Array([1]);
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

export interface Description {
  readonly moniker: string;
  readonly identity: string;
  readonly website: string;
  readonly securityContact: string;
  readonly details: string;
}

export interface CommissionRates {
  readonly ratePpm: number;
  readonly maxRatePpm: number;
  readonly maxChangeRatePpm: number;
}

export interface Validator {
  /** infervaloper1… */
  readonly operator: string;
  /** ed25519 public key (32 bytes). */
  readonly consPubkey: Uint8Array;
  readonly jailed: boolean;
  readonly status: BondStatus;
  readonly tokens: bigint;
  /** 18 implied decimals. */
  readonly delegatorShares: bigint;
  readonly description: Description;
  readonly commission: CommissionRates;
  /** The validator's own minimum; the enforced one is this or the param, whichever is higher (effectiveMinSelfDelegation). */
  readonly minSelfDelegation: bigint;
  readonly unbondingHeight: bigint;
  readonly unbondingCompletionHeight: bigint;
}

export interface Delegation {
  readonly delegator: string;
  readonly operator: string;
  /** 18 implied decimals. */
  readonly shares: bigint;
}

/** Undelegated stake waiting out `unbonding_blocks`; slashable until it completes. */
export interface UnbondingEntry {
  readonly delegator: string;
  readonly operator: string;
  /** Stable id, unique on the chain. */
  readonly id: bigint;
  readonly creationHeight: bigint;
  readonly completionHeight: bigint;
  /** What was undelegated; a slash cuts its fraction of this, at most the balance. */
  readonly initialBalance: bigint;
  readonly balance: bigint;
}

export interface Worker {
  /** infervaloper1… */
  readonly operator: string;
  /** infer1… */
  readonly worker: string;
  readonly modelIds: readonly string[];
}

/** A validator able to take jobs for a model (bonded, unjailed, its worker serves the model). */
export interface ModelWorker {
  readonly operator: string;
  /** The operator's account (infer1…). */
  readonly account: string;
  readonly worker: string;
  readonly tokens: bigint;
}

/**
 * A validator as other modules see it (x/slashing's ValidatorView matches it; app/app.ts wires
 * the two). `minSelfDelegation` is the enforced (effective) minimum.
 */
export interface StakingValidatorView {
  /** infervaloper1… */
  readonly operator: string;
  /** The operator's account (infer1…, the same bytes). */
  readonly account: string;
  /** CometBFT's address of the consensus key: sha256(ed25519 pubkey)[:20]. */
  readonly consAddress: Uint8Array;
  readonly tokens: bigint;
  readonly jailed: boolean;
  /** In the set CometBFT has. */
  readonly bonded: boolean;
  readonly status: BondStatus;
  /** What the operator's own delegation is worth (uinf). */
  readonly selfDelegation: bigint;
  readonly minSelfDelegation: bigint;
}

export interface Pool {
  readonly bonded: bigint;
  readonly notBonded: bigint;
}

export interface Unbonded {
  readonly id: bigint;
  readonly amount: bigint;
  readonly completionHeight: bigint;
}

// ---------------------------------------------------------------- addresses and math

export function operatorBytes(operator: string): Uint8Array {
  return parseAddress(operator, Bech32Prefix.operator, "validator address");
}
/** CometBFT's address of an ed25519 key: sha256(pubkey)[:20]. */
export function consAddress(pubkey: Uint8Array): Uint8Array {
  return sha256(pubkey).slice(0, 20);
}
export function powerOf(tokens: bigint): bigint {
  return tokens / POWER_REDUCTION;
}

/** Shares issued for `amount` delegated to a validator holding `tokens` for `totalShares`. */
export function sharesForAmount(tokens: bigint, totalShares: bigint, amount: bigint): bigint {
  if (totalShares === 0n) return amount * DEC_ONE;
  if (tokens === 0n) throw ErrInvalidExchangeRate.wrap("cannot delegate to a validator with no tokens");
  return (amount * totalShares) / tokens;
}

/** Tokens that `shares` redeem. */
export function tokensForShares(tokens: bigint, totalShares: bigint, shares: bigint): bigint {
  return totalShares === 0n ? 0n : (shares * tokens) / totalShares;
}

/**
 * Shares to burn for undelegating `amount` tokens out of a delegation of `held` shares:
 * rounded up so the delegator never takes more than they asked for, capped at `held` when
 * only rounding separates the two; more than the delegation is worth is refused.
 */
export function sharesToUnbond(tokens: bigint, totalShares: bigint, amount: bigint, held: bigint): bigint {
  if (tokens === 0n) throw ErrInvalidExchangeRate.wrap("the validator has no tokens left to undelegate");
  const floor = (amount * totalShares) / tokens;
  if (floor > held) {
    throw ErrInsufficientShares.wrap(`undelegating ${amount} needs ${floor} shares, the delegation has ${held} (worth ${tokensForShares(tokens, totalShares, held)})`);
  }
  const ceil = (amount * totalShares + tokens - 1n) / tokens;
  return ceil > held ? held : ceil;
}

// ---------------------------------------------------------------- encoding

function encodeValidator(v: Validator): Uint8Array {
  return StoredValidator.encode({
    operatorAddress: v.operator,
    consensusPubkey: v.consPubkey,
    jailed: v.jailed,
    status: v.status,
    tokens: v.tokens.toString(),
    delegatorShares: v.delegatorShares.toString(),
    description: { ...v.description },
    commission: { ...v.commission },
    minSelfDelegation: v.minSelfDelegation.toString(),
    unbondingHeight: v.unbondingHeight,
    unbondingCompletionHeight: v.unbondingCompletionHeight,
  }).finish();
}

function decodeValidator(raw: Uint8Array): Validator {
  const v = StoredValidator.decode(raw);
  const d = v.description;
  const c = v.commission;
  return {
    operator: v.operatorAddress,
    consPubkey: v.consensusPubkey,
    jailed: v.jailed,
    status: v.status,
    tokens: BigInt(v.tokens),
    delegatorShares: BigInt(v.delegatorShares),
    description: { moniker: d?.moniker ?? "", identity: d?.identity ?? "", website: d?.website ?? "", securityContact: d?.securityContact ?? "", details: d?.details ?? "" },
    commission: { ratePpm: c?.ratePpm ?? 0, maxRatePpm: c?.maxRatePpm ?? 0, maxChangeRatePpm: c?.maxChangeRatePpm ?? 0 },
    minSelfDelegation: BigInt(v.minSelfDelegation),
    unbondingHeight: v.unbondingHeight,
    unbondingCompletionHeight: v.unbondingCompletionHeight,
  };
}

/**
 * `jailed` and `status` of a stored Validator, without decoding the rest: the per-block paths
 * (liveness for every vote, the set update for every bonded validator) need no more. Reads the
 * same wire fields as `StoredValidator.decode` (3: bool, 4: enum) and skips the others.
 */
function validatorFlags(raw: Uint8Array): { readonly jailed: boolean; readonly status: BondStatus } {
  const r = new BinaryReader(raw);
  let jailed = false;
  let status: BondStatus = BondStatus.BOND_STATUS_UNSPECIFIED;
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === 24) jailed = r.bool();
    else if (tag === 32) status = r.int32() as BondStatus;
    else r.skip(tag & 7);
  }
  return { jailed, status };
}

/** The stored (and queried) form of an entry. */
export function entryToWire(e: UnbondingEntry): StoredUnbondingEntry {
  return {
    id: e.id,
    delegatorAddress: e.delegator,
    validatorAddress: e.operator,
    creationHeight: e.creationHeight,
    completionHeight: e.completionHeight,
    initialBalance: e.initialBalance.toString(),
    balance: e.balance.toString(),
  };
}

function encodeEntry(e: UnbondingEntry): Uint8Array {
  return StoredUnbondingEntry.encode(entryToWire(e)).finish();
}

function decodeEntry(raw: Uint8Array): UnbondingEntry {
  const e = StoredUnbondingEntry.decode(raw);
  return {
    id: e.id,
    delegator: e.delegatorAddress,
    operator: e.validatorAddress,
    creationHeight: e.creationHeight,
    completionHeight: e.completionHeight,
    initialBalance: BigInt(e.initialBalance),
    balance: BigInt(e.balance),
  };
}

const encodeAmount = (n: bigint): Uint8Array => enc.encode(n.toString());
const decodeAmount = (b: Uint8Array): bigint => BigInt(dec.decode(b));

/** The power-index key of a validator, or undefined when it cannot join the active set. */
function candidateKey(v: Validator): string | undefined {
  const power = powerOf(v.tokens);
  if (v.jailed || power < 1n) return undefined;
  return keys.powerKey(power, hex(operatorBytes(v.operator)));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export class StakingKeeper {
  constructor(private readonly bank: BankKeeper) {}

  // ---------------------------------------------------------------- params

  getParams(s: KVReader): StakingParams {
    const raw = s.get(keys.PARAMS_KEY);
    return raw ? fromStored(Params.decode(raw)) : defaultParams();
  }

  setParams(s: KVStore, p: StakingParams): void {
    s.set(keys.PARAMS_KEY, Params.encode(toStored(p)).finish());
  }

  /** x/slashing's view: how long undelegated stake stays slashable. */
  unbondingBlocks(s: KVReader): bigint {
    return this.getParams(s).unbondingBlocks;
  }

  /** CometBFT's evidence.max_age_num_blocks from InitChain, if it gave consensus params. */
  getConsensusEvidenceMaxAge(s: KVReader): bigint | undefined {
    const raw = s.get(keys.CONSENSUS_EVIDENCE_MAX_AGE_KEY);
    return raw ? BigInt(dec.decode(raw)) : undefined;
  }

  setConsensusEvidenceMaxAge(s: KVStore, blocks: bigint): void {
    s.set(keys.CONSENSUS_EVIDENCE_MAX_AGE_KEY, enc.encode(blocks.toString()));
  }

  // ---------------------------------------------------------------- validators

  getValidator(s: KVReader, operator: string): Validator | undefined {
    const raw = s.get(keys.validatorKey(operator));
    return raw ? decodeValidator(raw) : undefined;
  }

  /** Writes a validator and keeps the consensus-address and power indexes in step. */
  setValidator(s: KVStore, v: Validator): void {
    const old = this.getValidator(s, v.operator);
    const oldKey = old ? candidateKey(old) : undefined;
    const newKey = candidateKey(v);
    if (oldKey !== undefined && oldKey !== newKey) s.delete(oldKey);
    if (newKey !== undefined && newKey !== oldKey) s.set(newKey, enc.encode(v.operator));
    if (!old) s.set(keys.validatorByConsKey(hex(consAddress(v.consPubkey))), enc.encode(v.operator));
    s.set(keys.validatorKey(v.operator), encodeValidator(v));
  }

  getValidatorByConsAddress(s: KVReader, cons: Uint8Array): Validator | undefined {
    const op = s.get(keys.validatorByConsKey(hex(cons)));
    return op ? this.getValidator(s, dec.decode(op)) : undefined;
  }

  /** Every validator, in operator-address key order. */
  *validators(s: KVReader): IterableIterator<Validator> {
    for (const [, v] of s.iterate(keys.VALIDATORS_PREFIX)) yield decodeValidator(v);
  }

  /** The set CometBFT has (as last sent): operator → power, in operator key order. */
  lastPowers(s: KVReader): Map<string, bigint> {
    const out = new Map<string, bigint>();
    for (const [k, v] of s.iterate(keys.LAST_POWER_PREFIX)) out.set(k.slice(keys.LAST_POWER_PREFIX.length), decodeAmount(v));
    return out;
  }

  setLastPower(s: KVStore, operator: string, power: bigint): void {
    s.set(keys.lastPowerKey(operator), encodeAmount(power));
  }

  // ---------------------------------------------------------------- delegations

  getDelegation(s: KVReader, delegator: string, operator: string): Delegation | undefined {
    const raw = s.get(keys.delegationKey(delegator, operator));
    return raw ? { delegator, operator, shares: decodeAmount(raw) } : undefined;
  }

  /** Writes a delegation (deleting it at zero shares) and its by-validator index. */
  setDelegation(s: KVStore, d: Delegation): void {
    if (d.shares === 0n) {
      s.delete(keys.delegationKey(d.delegator, d.operator));
      s.delete(keys.delegationByValidatorKey(d.operator, d.delegator));
      return;
    }
    s.set(keys.delegationKey(d.delegator, d.operator), encodeAmount(d.shares));
    s.set(keys.delegationByValidatorKey(d.operator, d.delegator), ONE);
  }

  *delegatorDelegations(s: KVReader, delegator: string): IterableIterator<Delegation> {
    const prefix = keys.delegatorDelegationsPrefix(delegator);
    for (const [k, v] of s.iterate(prefix)) yield { delegator, operator: k.slice(prefix.length), shares: decodeAmount(v) };
  }

  *validatorDelegations(s: KVReader, operator: string): IterableIterator<Delegation> {
    const prefix = keys.validatorDelegationsPrefix(operator);
    for (const [k] of s.iterate(prefix)) {
      const d = this.getDelegation(s, k.slice(prefix.length), operator);
      if (d) yield d;
    }
  }

  /** Every delegation, delegator-major (genesis export). */
  *allDelegations(s: KVReader): IterableIterator<Delegation> {
    for (const [k, v] of s.iterate(keys.DELEGATIONS_PREFIX)) {
      const [delegator, operator] = k.slice(keys.DELEGATIONS_PREFIX.length).split("/");
      yield { delegator, operator, shares: decodeAmount(v) };
    }
  }

  /** The least self-delegation a validator must keep: its own minimum or the chain-wide floor, whichever is higher. */
  effectiveMinSelfDelegation(s: KVReader, v: Validator): bigint {
    const floor = this.getParams(s).minSelfDelegation;
    return v.minSelfDelegation > floor ? v.minSelfDelegation : floor;
  }

  /** What a delegation is worth now, in tokens. */
  delegationValue(v: Validator, d: Delegation | undefined): bigint {
    return d ? tokensForShares(v.tokens, v.delegatorShares, d.shares) : 0n;
  }

  // ---------------------------------------------------------------- unbonding entries

  getUnbondingEntry(s: KVReader, id: bigint): UnbondingEntry | undefined {
    const raw = s.get(keys.unbondingKey(id));
    return raw ? decodeEntry(raw) : undefined;
  }

  private *entriesByIndex(s: KVReader, prefix: string): IterableIterator<UnbondingEntry> {
    for (const [k] of s.iterate(prefix)) {
      const e = this.getUnbondingEntry(s, BigInt(k.slice(k.lastIndexOf("/") + 1)));
      if (e) yield e;
    }
  }

  /** A delegation's pending entries, by id. */
  delegationUnbondingEntries(s: KVReader, delegator: string, operator: string): UnbondingEntry[] {
    return [...this.entriesByIndex(s, keys.delegationUnbondingPrefix(delegator, operator))];
  }

  /** A delegator's pending entries, by validator then id. */
  delegatorUnbondingEntries(s: KVReader, delegator: string): UnbondingEntry[] {
    return [...this.entriesByIndex(s, keys.delegatorUnbondingPrefix(delegator))];
  }

  /** Pending entries towards a validator, by id. */
  validatorUnbondingEntries(s: KVReader, operator: string): UnbondingEntry[] {
    return [...this.entriesByIndex(s, keys.validatorUnbondingPrefix(operator))];
  }

  *allUnbondingEntries(s: KVReader): IterableIterator<UnbondingEntry> {
    for (const [, v] of s.iterate(keys.UNBONDING_PREFIX)) yield decodeEntry(v);
  }

  getNextUnbondingId(s: KVReader): bigint {
    return getCounter(s, keys.NEXT_UNBONDING_ID_KEY);
  }

  setNextUnbondingId(s: KVStore, id: bigint): void {
    setCounter(s, keys.NEXT_UNBONDING_ID_KEY, id);
  }

  /** Writes an entry and its three indexes (a new entry, or one restored from genesis). */
  insertUnbondingEntry(s: KVStore, e: UnbondingEntry): void {
    s.set(keys.unbondingKey(e.id), encodeEntry(e));
    s.set(keys.unbondingByDelegatorKey(e.delegator, e.operator, e.id), ONE);
    s.set(keys.unbondingByValidatorKey(e.operator, e.id), ONE);
    s.set(keys.unbondingQueueKey(e.completionHeight, e.id), ONE);
  }

  private removeUnbondingEntry(s: KVStore, e: UnbondingEntry): void {
    s.delete(keys.unbondingKey(e.id));
    s.delete(keys.unbondingByDelegatorKey(e.delegator, e.operator, e.id));
    s.delete(keys.unbondingByValidatorKey(e.operator, e.id));
    s.delete(keys.unbondingQueueKey(e.completionHeight, e.id));
  }

  // ---------------------------------------------------------------- workers

  getWorker(s: KVReader, operator: string): Worker | undefined {
    const raw = s.get(keys.workerKey(operator));
    if (!raw) return undefined;
    const w = StoredWorker.decode(raw);
    return { operator: w.operatorAddress, worker: w.workerAddress, modelIds: w.modelIds };
  }

  /** The worker key (infer1…) authorised by a validator operator, if any. */
  workerOf(s: KVReader, operator: string): string | undefined {
    return this.getWorker(s, operator)?.worker;
  }

  /** The operator (infervaloper1…) a worker key acts for, if any. */
  operatorOfWorker(s: KVReader, worker: string): string | undefined {
    const raw = s.get(keys.workerOperatorKey(worker));
    return raw ? dec.decode(raw) : undefined;
  }

  /** Bonded, unjailed validators whose worker serves `modelId`, in operator key order. */
  workersForModel(s: KVReader, modelId: string): ModelWorker[] {
    // Only registered model ids (x/models' rule: no `/`) are ever stored; any other id finds nothing.
    const prefix = keys.modelWorkersPrefix(modelId);
    const out: ModelWorker[] = [];
    for (const [k] of s.iterate(prefix)) {
      const operator = k.slice(prefix.length);
      const v = this.getValidator(s, operator);
      const w = this.getWorker(s, operator);
      if (!v || !w || v.jailed || v.status !== BondStatus.BOND_STATUS_BONDED) continue;
      out.push({ operator, account: operatorAccount(operator), worker: w.worker, tokens: v.tokens });
    }
    return out;
  }

  *workers(s: KVReader): IterableIterator<Worker> {
    for (const [k] of s.iterate(keys.WORKERS_PREFIX)) {
      const w = this.getWorker(s, k.slice(keys.WORKERS_PREFIX.length));
      if (w) yield w;
    }
  }

  /** Replaces the operator's worker (and the models it serves) with `w`. */
  setWorker(s: KVStore, w: Worker): void {
    const old = this.getWorker(s, w.operator);
    if (old) {
      s.delete(keys.workerOperatorKey(old.worker));
      for (const m of old.modelIds) s.delete(keys.modelWorkerKey(m, old.operator));
    }
    s.set(keys.workerKey(w.operator), StoredWorker.encode({ operatorAddress: w.operator, workerAddress: w.worker, modelIds: [...w.modelIds] }).finish());
    s.set(keys.workerOperatorKey(w.worker), enc.encode(w.operator));
    for (const m of w.modelIds) s.set(keys.modelWorkerKey(m, w.operator), ONE);
  }

  // ---------------------------------------------------------------- pools

  poolOf(v: Validator): string {
    return v.status === BondStatus.BOND_STATUS_BONDED ? BONDED_POOL : NOT_BONDED_POOL;
  }

  pool(s: KVReader): Pool {
    const denom = this.getParams(s).bondDenom;
    return { bonded: this.bank.getBalance(s, moduleAddress(BONDED_POOL), denom), notBonded: this.bank.getBalance(s, moduleAddress(NOT_BONDED_POOL), denom) };
  }

  private movePool(ctx: Context, from: string, to: string, amount: bigint, denom: string): void {
    if (amount > 0n && from !== to) this.bank.sendCoinsFromModuleToModule(ctx, from, to, [{ denom, amount }]);
  }

  // ---------------------------------------------------------------- effects

  /** Creates an empty, unbonded validator (the caller then self-delegates; EndBlock may bond it). */
  createValidator(s: KVStore, v: Omit<Validator, "jailed" | "status" | "tokens" | "delegatorShares" | "unbondingHeight" | "unbondingCompletionHeight">): Validator {
    const created: Validator = { ...v, jailed: false, status: BondStatus.BOND_STATUS_UNBONDED, tokens: 0n, delegatorShares: 0n, unbondingHeight: 0n, unbondingCompletionHeight: 0n };
    this.setValidator(s, created);
    return created;
  }

  /** Moves `amount` bond-denom coins from the delegator into the validator's pool and issues shares. Returns the shares. */
  delegate(ctx: Context, delegator: string, operator: string, amount: bigint): bigint {
    const v = this.getValidator(ctx.store, operator);
    if (!v) throw ErrNoValidator.wrap(operator);
    const shares = sharesForAmount(v.tokens, v.delegatorShares, amount);
    if (shares <= 0n) throw ErrDelegationTooSmall.wrap(`${amount} buys no shares`);
    const denom = this.getParams(ctx.store).bondDenom;
    this.bank.sendCoinsFromAccountToModule(ctx, delegator, this.poolOf(v), [{ denom, amount }]);
    this.setValidator(ctx.store, { ...v, tokens: v.tokens + amount, delegatorShares: v.delegatorShares + shares });
    const d = this.getDelegation(ctx.store, delegator, operator);
    this.setDelegation(ctx.store, { delegator, operator, shares: (d?.shares ?? 0n) + shares });
    return shares;
  }

  /**
   * Burns the shares worth `amount` and starts an unbonding entry that pays out at
   * height + unbonding_blocks. The operator undelegating below its minimum self-delegation
   * jails the validator (Cosmos semantics).
   */
  undelegate(ctx: Context, delegator: string, operator: string, amount: bigint): Unbonded {
    const s = ctx.store;
    const v = this.getValidator(s, operator);
    if (!v) throw ErrNoValidator.wrap(operator);
    const d = this.getDelegation(s, delegator, operator);
    if (!d) throw ErrNoDelegation.wrap(`${delegator} has no delegation to ${operator}`);
    const params = this.getParams(s);
    const pending = [...s.iterate(keys.delegationUnbondingPrefix(delegator, operator))].length;
    if (pending >= params.maxEntries) throw ErrTooManyUnbondingEntries.wrap(`${pending} pending, max_entries ${params.maxEntries}`);

    const shares = sharesToUnbond(v.tokens, v.delegatorShares, amount, d.shares);
    const out = tokensForShares(v.tokens, v.delegatorShares, shares);
    const remaining = d.shares - shares;
    this.setDelegation(s, { delegator, operator, shares: remaining });
    let next: Validator = { ...v, tokens: v.tokens - out, delegatorShares: v.delegatorShares - shares };
    if (v.status === BondStatus.BOND_STATUS_BONDED) this.movePool(ctx, BONDED_POOL, NOT_BONDED_POOL, out, params.bondDenom);
    if (delegator === operatorAccount(operator) && !next.jailed && tokensForShares(next.tokens, next.delegatorShares, remaining) < this.effectiveMinSelfDelegation(s, next)) {
      next = { ...next, jailed: true };
      emitJail(ctx.events, operator, "self_delegation_below_minimum");
    }
    this.setValidator(s, next);

    const id = this.getNextUnbondingId(s);
    this.setNextUnbondingId(s, id + 1n);
    const completionHeight = ctx.block.height + params.unbondingBlocks;
    this.insertUnbondingEntry(s, { id, delegator, operator, creationHeight: ctx.block.height, completionHeight, initialBalance: out, balance: out });
    emitUnbond(ctx.events, operator, delegator, out, params.bondDenom, completionHeight, id);
    return { id, amount: out, completionHeight };
  }

  /**
   * The active set: the top max_validators unjailed validators with power ≥ 1 (power desc,
   * then operator bytes). Returns CometBFT updates against the set last sent (power 0 for a
   * validator that left) and moves the tokens of validators entering or leaving between the
   * pools. A validator that leaves starts unbonding (UNBONDED after unbonding_blocks).
   */
  applyValidatorSetUpdates(ctx: Context): ValidatorUpdate[] {
    const s = ctx.store;
    const params = this.getParams(s);
    const next: Array<{ operator: string; power: bigint }> = [];
    const maxU64 = (1n << 64n) - 1n;
    for (const [k, op] of s.iterate(keys.POWER_PREFIX)) {
      if (next.length >= params.maxValidators) break;
      next.push({ operator: dec.decode(op), power: maxU64 - BigInt(k.slice(keys.POWER_PREFIX.length, keys.POWER_PREFIX.length + 20)) });
    }
    const last = this.lastPowers(s);
    const updates: ValidatorUpdate[] = [];
    for (const { operator, power } of next) {
      const raw = s.get(keys.validatorKey(operator));
      if (!raw) throw new InvariantError(`staking: power index names missing validator ${operator}`);
      const bonded = validatorFlags(raw).status === BondStatus.BOND_STATUS_BONDED;
      const changed = last.get(operator) !== power;
      last.delete(operator);
      // The steady state (bonded, same power): nothing to write, so nothing to decode.
      if (bonded && !changed) continue;
      let v = decodeValidator(raw);
      if (!bonded) {
        this.movePool(ctx, NOT_BONDED_POOL, BONDED_POOL, v.tokens, params.bondDenom);
        if (v.status === BondStatus.BOND_STATUS_UNBONDING) s.delete(keys.validatorQueueKey(v.unbondingCompletionHeight, operator));
        v = { ...v, status: BondStatus.BOND_STATUS_BONDED, unbondingCompletionHeight: 0n };
        this.setValidator(s, v);
      }
      if (changed) {
        updates.push({ pubKey: { ed25519: v.consPubkey }, power });
        this.setLastPower(s, operator, power);
      }
    }
    for (const operator of last.keys()) {
      const v = this.getValidator(s, operator);
      if (!v) throw new InvariantError(`staking: last validator set names missing validator ${operator}`);
      this.movePool(ctx, BONDED_POOL, NOT_BONDED_POOL, v.tokens, params.bondDenom);
      const completion = ctx.block.height + params.unbondingBlocks;
      const leaving: Validator = { ...v, status: BondStatus.BOND_STATUS_UNBONDING, unbondingHeight: ctx.block.height, unbondingCompletionHeight: completion };
      this.setValidator(s, leaving);
      this.queueValidatorUnbonding(s, leaving);
      s.delete(keys.lastPowerKey(operator));
      updates.push({ pubKey: { ed25519: v.consPubkey }, power: 0n });
    }
    return updates;
  }

  /** Queues an UNBONDING validator to become UNBONDED at its completion height. */
  queueValidatorUnbonding(s: KVStore, v: Validator): void {
    s.set(keys.validatorQueueKey(v.unbondingCompletionHeight, v.operator), ONE);
  }

  /** Validators whose unbonding period ends at or before this height become UNBONDED. */
  completeValidatorUnbondings(ctx: Context): void {
    const s = ctx.store;
    const due: string[] = [];
    for (const [k] of s.iterate(keys.VALIDATOR_QUEUE_PREFIX)) {
      if (keys.queueHeight(keys.VALIDATOR_QUEUE_PREFIX, k) > ctx.block.height) break;
      due.push(k);
    }
    for (const k of due) {
      s.delete(k);
      const operator = k.slice(keys.VALIDATOR_QUEUE_PREFIX.length + 21);
      const v = this.getValidator(s, operator);
      if (v && v.status === BondStatus.BOND_STATUS_UNBONDING) this.setValidator(s, { ...v, status: BondStatus.BOND_STATUS_UNBONDED });
    }
  }

  /** Pays every unbonding entry whose completion height is ≤ this height, in queue key order. */
  completeUnbondings(ctx: Context): void {
    const s = ctx.store;
    const due = dueQueueEntries(s, keys.UNBONDING_QUEUE_PREFIX, ctx.block.height);
    const denom = this.getParams(s).bondDenom;
    for (const [, id] of due) {
      const e = this.getUnbondingEntry(s, id);
      if (!e) throw new InvariantError(`staking: unbonding queue names missing entry ${id}`);
      this.removeUnbondingEntry(s, e);
      if (e.balance > 0n) this.bank.sendCoinsFromModuleToAccount(ctx, NOT_BONDED_POOL, e.delegator, [{ denom, amount: e.balance }]);
      emitCompleteUnbonding(ctx.events, e.operator, e.delegator, e.balance, denom, e.id);
    }
  }

  // ---------------------------------------------------------------- for x/slashing (its expectedKeepers.ts StakingKeeper)

  private view(s: KVReader, v: Validator): StakingValidatorView {
    const account = operatorAccount(v.operator);
    return {
      operator: v.operator,
      account,
      consAddress: consAddress(v.consPubkey),
      tokens: v.tokens,
      jailed: v.jailed,
      bonded: v.status === BondStatus.BOND_STATUS_BONDED,
      selfDelegation: this.delegationValue(v, this.getDelegation(s, account, v.operator)),
      status: v.status,
      minSelfDelegation: this.effectiveMinSelfDelegation(s, v),
    };
  }

  validator(s: KVReader, operator: string): StakingValidatorView | undefined {
    const v = this.getValidator(s, operator);
    return v ? this.view(s, v) : undefined;
  }

  validatorByConsAddress(s: KVReader, cons: Uint8Array): StakingValidatorView | undefined {
    const v = this.getValidatorByConsAddress(s, cons);
    return v ? this.view(s, v) : undefined;
  }

  /**
   * Operator and jailed flag of the validator with this consensus address: what x/slashing's
   * liveness reads for every vote of every block, so no account address or delegation.
   */
  consensusSigner(s: KVReader, cons: Uint8Array): { operator: string; jailed: boolean } | undefined {
    const op = s.get(keys.validatorByConsKey(hex(cons)));
    if (!op) return undefined;
    const operator = dec.decode(op);
    const raw = s.get(keys.validatorKey(operator));
    return raw ? { operator, jailed: validatorFlags(raw).jailed } : undefined;
  }

  /** The set CometBFT has, highest power first (ties: operator bytes ascending). */
  bondedValidators(s: KVReader): StakingValidatorView[] {
    const rows: Array<{ v: Validator; power: bigint; bytes: Uint8Array }> = [];
    for (const [operator, power] of this.lastPowers(s)) {
      const v = this.getValidator(s, operator);
      if (v) rows.push({ v, power, bytes: operatorBytes(operator) });
    }
    rows.sort((a, b) => (a.power !== b.power ? (a.power > b.power ? -1 : 1) : compareBytes(a.bytes, b.bytes)));
    return rows.map((r) => this.view(s, r.v));
  }

  totalBondedTokens(s: KVReader): bigint {
    let total = 0n;
    for (const operator of this.lastPowers(s).keys()) total += this.getValidator(s, operator)?.tokens ?? 0n;
    return total;
  }

  /**
   * Entries towards `operator` created at or after `minCreationHeight` and not yet paid out, by
   * id. One whose completion height is the current height is paid at this block's EndBlock, so
   * a caller earlier in that block should count it as matured (completionHeight ≤ height).
   */
  unbondingEntriesSince(s: KVReader, operator: string, minCreationHeight: bigint): UnbondingEntry[] {
    return this.validatorUnbondingEntries(s, operator).filter((e) => e.creationHeight >= minCreationHeight);
  }

  slashValidatorTokens(ctx: Context, operator: string, amount: bigint, toModule: string): bigint {
    const v = this.getValidator(ctx.store, operator);
    if (!v) throw ErrNoValidator.wrap(operator);
    const cut = amount <= 0n ? 0n : amount < v.tokens ? amount : v.tokens;
    if (cut === 0n) return 0n;
    this.setValidator(ctx.store, { ...v, tokens: v.tokens - cut });
    this.movePool(ctx, this.poolOf(v), toModule, cut, this.getParams(ctx.store).bondDenom);
    return cut;
  }

  slashUnbondingEntry(ctx: Context, entry: UnbondingEntry, amount: bigint, toModule: string): bigint {
    const e = this.getUnbondingEntry(ctx.store, entry.id);
    if (!e) return 0n;
    const cut = amount <= 0n ? 0n : amount < e.balance ? amount : e.balance;
    if (cut === 0n) return 0n;
    ctx.store.set(keys.unbondingKey(e.id), encodeEntry({ ...e, balance: e.balance - cut }));
    this.movePool(ctx, NOT_BONDED_POOL, toModule, cut, this.getParams(ctx.store).bondDenom);
    return cut;
  }

  jail(ctx: Context, operator: string): void {
    const v = this.getValidator(ctx.store, operator);
    if (!v) throw ErrNoValidator.wrap(operator);
    if (!v.jailed) this.setValidator(ctx.store, { ...v, jailed: true });
  }

  unjail(ctx: Context, operator: string): void {
    const v = this.getValidator(ctx.store, operator);
    if (!v) throw ErrNoValidator.wrap(operator);
    if (v.jailed) this.setValidator(ctx.store, { ...v, jailed: false });
  }
}
