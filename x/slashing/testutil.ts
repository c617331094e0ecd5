/**
 * Small fakes of `expectedKeepers.ts` for x/slashing's unit tests (and any module testing
 * against the slash path). Their state lives in the KV store under `fake/…`, so a dropped
 * branch rolls it back exactly like real keeper state: an all-or-nothing test means something.
 * Pools are plain module-account balances, so a test can assert where every coin went.
 */
import { toBech32 } from "@cosmjs/encoding";
import type { Context } from "../../base/context";
import { ErrInsufficientFunds } from "../../base/errors";
import { EventManager } from "../../base/events";
import { GasMeter } from "../../base/gas";
import { MemKV, type KVReader, type KVStore } from "../../base/store/kv";
import { Bech32Prefix, moduleAddress } from "../../base/types/address";
import { BASE_DENOM, type Coin } from "../../base/types/coins";
import type { BankKeeper, ConsensusSigner, StakingKeeper, UnbondingEntryRef, ValidatorView } from "./expectedKeepers";
import { SlashingKeeper } from "./keeper";
import { defaultParams, type Params } from "./params";

export const BONDED_POOL = "bonded_tokens_pool";
export const NOT_BONDED_POOL = "not_bonded_tokens_pool";

const enc = new TextEncoder();
const dec = new TextDecoder();
const pad = (n: bigint): string => n.toString().padStart(20, "0");
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

export function testContext(store: KVStore, height: bigint): Context {
  return {
    store,
    gas: new GasMeter(undefined),
    events: new EventManager(),
    block: { chainId: "test", height, timeSeconds: 0n, hash: new Uint8Array(32), proposer: new Uint8Array(20) },
    mode: "finalize",
  };
}

/** Addresses of test validator `i`: operator and account share bytes; the consensus key differs. */
export function testValidatorAddrs(i: number): { operator: string; account: string; cons: Uint8Array } {
  const bytes = new Uint8Array(20).fill(i + 1);
  const cons = new Uint8Array(20).fill(i + 101);
  return { operator: toBech32(Bech32Prefix.operator, bytes), account: toBech32(Bech32Prefix.account, bytes), cons };
}

export function testAccount(i: number): string {
  return toBech32(Bech32Prefix.account, new Uint8Array(20).fill(200 - i));
}

function single(coins: readonly Coin[]): bigint {
  if (coins.length !== 1 || coins[0].denom !== BASE_DENOM) throw new Error("fake bank: one uinf coin at a time");
  return coins[0].amount;
}

export class FakeBank implements BankKeeper {
  /** Makes burnCoins fail, to test that a slash is all or nothing. */
  failBurn = false;

  balance(s: KVReader, address: string): bigint {
    const raw = s.get(`fake/bank/${address}`);
    return raw ? BigInt(dec.decode(raw)) : 0n;
  }
  moduleBalance(s: KVReader, name: string): bigint {
    return this.balance(s, moduleAddress(name));
  }
  supply(s: KVReader): bigint {
    const raw = s.get("fake/supply");
    return raw ? BigInt(dec.decode(raw)) : 0n;
  }
  private set(s: KVStore, address: string, amount: bigint): void {
    if (amount === 0n) s.delete(`fake/bank/${address}`);
    else s.set(`fake/bank/${address}`, enc.encode(amount.toString()));
  }
  mint(s: KVStore, address: string, amount: bigint): void {
    this.set(s, address, this.balance(s, address) + amount);
    s.set("fake/supply", enc.encode((this.supply(s) + amount).toString()));
  }
  send(s: KVStore, from: string, to: string, amount: bigint): void {
    if (amount < 0n) throw new Error("fake bank: negative amount");
    const have = this.balance(s, from);
    if (have < amount) throw ErrInsufficientFunds.wrap(`${from} has ${have}, needs ${amount}`);
    this.set(s, from, have - amount);
    this.set(s, to, this.balance(s, to) + amount);
  }
  sendModule(s: KVStore, from: string, to: string, amount: bigint): void {
    this.send(s, moduleAddress(from), moduleAddress(to), amount);
  }
  sendCoinsFromModuleToAccount(ctx: Context, module: string, to: string, coins: readonly Coin[]): void {
    this.send(ctx.store, moduleAddress(module), to, single(coins));
  }
  sendCoinsFromModuleToModule(ctx: Context, from: string, to: string, coins: readonly Coin[]): void {
    this.sendModule(ctx.store, from, to, single(coins));
  }
  burnCoins(ctx: Context, module: string, coins: readonly Coin[]): void {
    if (this.failBurn) throw ErrInsufficientFunds.wrap("fake bank: burning disabled");
    const amount = single(coins);
    const addr = moduleAddress(module);
    const have = this.balance(ctx.store, addr);
    if (have < amount) throw ErrInsufficientFunds.wrap(`${module} has ${have}, burns ${amount}`);
    this.set(ctx.store, addr, have - amount);
    ctx.store.set("fake/supply", enc.encode((this.supply(ctx.store) - amount).toString()));
  }
}

export interface FakeValidatorInit {
  readonly index: number;
  readonly tokens: bigint;
  readonly selfDelegation?: bigint;
  readonly minSelfDelegation?: bigint;
  readonly jailed?: boolean;
  readonly bonded?: boolean;
}

/** Validators, their bonded tokens and unbonding entries, with the pools kept in FakeBank. */
export class FakeStaking implements StakingKeeper {
  /** Staking's `unbonding_blocks` as slashing sees it (tests may change it). */
  unbonding = 100_000n;

  constructor(readonly bank: FakeBank) {}

  unbondingBlocks(): bigint {
    return this.unbonding;
  }

  private valKey(operator: string): string {
    return `fake/staking/val/${operator}`;
  }
  private put(s: KVStore, v: ValidatorView): void {
    const fields = [v.operator, v.account, hex(v.consAddress), v.tokens, v.jailed ? 1 : 0, v.bonded ? 1 : 0, v.selfDelegation, v.minSelfDelegation ?? ""];
    s.set(this.valKey(v.operator), enc.encode(fields.join("|")));
  }
  private static load(raw: Uint8Array): ValidatorView {
    const [operator, account, cons, tokens, jailed, bonded, self, min] = dec.decode(raw).split("|");
    return {
      operator,
      account,
      consAddress: Uint8Array.from(Buffer.from(cons, "hex")),
      tokens: BigInt(tokens),
      jailed: jailed === "1",
      bonded: bonded === "1",
      selfDelegation: BigInt(self),
      minSelfDelegation: min === "" ? undefined : BigInt(min),
    };
  }

  /** Creates a validator with its tokens minted into the pool its status says. */
  addValidator(s: KVStore, init: FakeValidatorInit): ValidatorView {
    const a = testValidatorAddrs(init.index);
    const v: ValidatorView = {
      operator: a.operator,
      account: a.account,
      consAddress: a.cons,
      tokens: init.tokens,
      jailed: init.jailed ?? false,
      bonded: init.bonded ?? !(init.jailed ?? false),
      selfDelegation: init.selfDelegation ?? init.tokens,
      minSelfDelegation: init.minSelfDelegation,
    };
    this.put(s, v);
    this.bank.mint(s, moduleAddress(v.bonded ? BONDED_POOL : NOT_BONDED_POOL), init.tokens);
    return v;
  }

  update(s: KVStore, operator: string, f: (v: ValidatorView) => ValidatorView): void {
    const v = this.validator(s, operator);
    if (!v) throw new Error(`fake staking: no validator ${operator}`);
    this.put(s, f(v));
  }

  validator(s: KVReader, operator: string): ValidatorView | undefined {
    const raw = s.get(this.valKey(operator));
    return raw ? FakeStaking.load(raw) : undefined;
  }
  validatorByConsAddress(s: KVReader, consAddress: Uint8Array): ValidatorView | undefined {
    for (const [, raw] of s.iterate("fake/staking/val/")) {
      const v = FakeStaking.load(raw);
      if (hex(v.consAddress) === hex(consAddress)) return v;
    }
    return undefined;
  }
  consensusSigner(s: KVReader, consAddress: Uint8Array): ConsensusSigner | undefined {
    const v = this.validatorByConsAddress(s, consAddress);
    return v && { operator: v.operator, jailed: v.jailed };
  }
  bondedValidators(s: KVReader): ValidatorView[] {
    const out: ValidatorView[] = [];
    for (const [, raw] of s.iterate("fake/staking/val/")) {
      const v = FakeStaking.load(raw);
      if (v.bonded) out.push(v);
    }
    return out.sort((a, b) => (a.tokens > b.tokens ? -1 : a.tokens < b.tokens ? 1 : 0));
  }
  totalBondedTokens(s: KVReader): bigint {
    return this.bondedValidators(s).reduce((sum, v) => sum + v.tokens, 0n);
  }

  // --- unbonding entries

  private entryKey(id: bigint): string {
    return `fake/staking/ubd/${pad(id)}`;
  }
  private putEntry(s: KVStore, e: UnbondingEntryRef): void {
    const fields = [e.delegator, e.operator, e.id, e.creationHeight, e.completionHeight, e.initialBalance, e.balance];
    s.set(this.entryKey(e.id), enc.encode(fields.join("|")));
  }
  private static loadEntry(raw: Uint8Array): UnbondingEntryRef {
    const [delegator, operator, id, creation, completion, initial, balance] = dec.decode(raw).split("|");
    return {
      delegator,
      operator,
      id: BigInt(id),
      creationHeight: BigInt(creation),
      completionHeight: BigInt(completion),
      initialBalance: BigInt(initial),
      balance: BigInt(balance),
    };
  }
  entry(s: KVReader, id: bigint): UnbondingEntryRef | undefined {
    const raw = s.get(this.entryKey(id));
    return raw ? FakeStaking.loadEntry(raw) : undefined;
  }
  entries(s: KVReader): UnbondingEntryRef[] {
    return [...s.iterate("fake/staking/ubd/")].map(([, raw]) => FakeStaking.loadEntry(raw));
  }

  /** `delegator` undelegates `amount` from `operator` at the context's height; matures at `completionHeight`. */
  undelegate(ctx: Context, operator: string, delegator: string, amount: bigint, completionHeight: bigint): UnbondingEntryRef {
    const v = this.validator(ctx.store, operator);
    if (!v || v.tokens < amount) throw new Error("fake staking: cannot undelegate");
    this.put(ctx.store, { ...v, tokens: v.tokens - amount, selfDelegation: delegator === v.account ? v.selfDelegation - amount : v.selfDelegation });
    this.bank.sendModule(ctx.store, v.bonded ? BONDED_POOL : NOT_BONDED_POOL, NOT_BONDED_POOL, amount);
    const raw = ctx.store.get("fake/staking/next_ubd");
    const id = raw ? BigInt(dec.decode(raw)) : 1n;
    ctx.store.set("fake/staking/next_ubd", enc.encode((id + 1n).toString()));
    const e: UnbondingEntryRef = { delegator, operator, id, creationHeight: ctx.block.height, completionHeight, initialBalance: amount, balance: amount };
    this.putEntry(ctx.store, e);
    return e;
  }

  /** Pays out (and removes) every entry whose completion height has come. */
  matureEntries(ctx: Context): void {
    for (const e of this.entries(ctx.store)) {
      if (e.completionHeight > ctx.block.height) continue;
      this.bank.send(ctx.store, moduleAddress(NOT_BONDED_POOL), e.delegator, e.balance);
      ctx.store.delete(this.entryKey(e.id));
    }
  }

  unbondingEntriesSince(s: KVReader, operator: string, minCreationHeight: bigint): UnbondingEntryRef[] {
    return this.entries(s).filter((e) => e.operator === operator && e.creationHeight >= minCreationHeight);
  }

  slashValidatorTokens(ctx: Context, operator: string, amount: bigint, toModule: string): bigint {
    const v = this.validator(ctx.store, operator);
    if (!v) throw new Error(`fake staking: no validator ${operator}`);
    const cut = amount < v.tokens ? amount : v.tokens;
    const tokens = v.tokens - cut;
    // Delegators (the operator among them) lose in proportion to their share.
    const self = v.tokens === 0n ? 0n : (v.selfDelegation * tokens) / v.tokens;
    this.put(ctx.store, { ...v, tokens, selfDelegation: self });
    this.bank.sendModule(ctx.store, v.bonded ? BONDED_POOL : NOT_BONDED_POOL, toModule, cut);
    return cut;
  }

  slashUnbondingEntry(ctx: Context, entry: UnbondingEntryRef, amount: bigint, toModule: string): bigint {
    const e = this.entry(ctx.store, entry.id);
    if (!e) return 0n;
    const cut = amount < e.balance ? amount : e.balance;
    this.putEntry(ctx.store, { ...e, balance: e.balance - cut });
    this.bank.sendModule(ctx.store, NOT_BONDED_POOL, toModule, cut);
    return cut;
  }

  /** Jailing takes the validator out of the set at once (the real one does at the end of the block). */
  jail(ctx: Context, operator: string): void {
    const v = this.validator(ctx.store, operator);
    if (!v) throw new Error(`fake staking: no validator ${operator}`);
    if (v.bonded) this.bank.sendModule(ctx.store, BONDED_POOL, NOT_BONDED_POOL, v.tokens);
    this.put(ctx.store, { ...v, jailed: true, bonded: false });
  }

  unjail(ctx: Context, operator: string): void {
    const v = this.validator(ctx.store, operator);
    if (!v) throw new Error(`fake staking: no validator ${operator}`);
    if (!v.bonded) this.bank.sendModule(ctx.store, NOT_BONDED_POOL, BONDED_POOL, v.tokens);
    this.put(ctx.store, { ...v, jailed: false, bonded: true });
  }
}

/** Everything a slashing unit test needs: a store, the fakes, and a keeper with `params` over the defaults. */
export function testSetup(params: Partial<Params> = {}): { store: MemKV; bank: FakeBank; staking: FakeStaking; k: SlashingKeeper } {
  const store = new MemKV();
  const bank = new FakeBank();
  const staking = new FakeStaking(bank);
  const k = new SlashingKeeper({ staking, bank });
  k.setParams(store, { ...defaultParams(), ...params });
  return { store, bank, staking, k };
}

/** Every key and value in the store, for before/after comparisons. */
export function snapshot(s: KVReader): Array<[string, string]> {
  return [...s.iterate("")].map(([k, v]) => [k, Buffer.from(v).toString("hex")]);
}
