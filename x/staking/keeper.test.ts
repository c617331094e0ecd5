/**
 * x/staking keeper and block hook, on a real in-memory store (MemKV under a Branch per block)
 * with a small fake bank whose balances live in the same store, so dropped branches drop
 * balance changes too.
 */
import { toBech32 } from "@cosmjs/encoding";
import { sha256 } from "@noble/hashes/sha2.js";
import type { ValidatorUpdate } from "cosmjs-types/tendermint/abci/types";
import type { Context } from "../../base/context";
import { AppError, ErrInsufficientFunds, InvariantError } from "../../base/errors";
import { EventManager } from "../../base/events";
import { GasMeter } from "../../base/gas";
import { Branch, MemKV, type KVReader, type KVStore } from "../../base/store/kv";
import { moduleAddress } from "../../base/types/address";
import type { Coin } from "../../base/types/coins";
import { DEC_ONE } from "../../base/types/math";
import { isValidModelId } from "../models";
import { endBlocker } from "./abci";
import * as errors from "./errors";
import * as keys from "./keys";
import type { BankKeeper, StakingDeps } from "./expectedKeepers";
import { exportGenesis, initGenesis } from "./genesis";
import { BONDED_POOL, BondStatus, NOT_BONDED_POOL, StakingKeeper, consAddress } from "./keeper";
import { createValidator, type CreateValidator } from "./msgServer";
import { defaultParams, type StakingParams } from "./params";

/** A registry holding model "m1"; x/slashing's evidence age below every unbonding period used here. */
const DEPS: StakingDeps = {
  models: { isValidModelId: isValidModelId, hasModel: (_s, id) => id === "m1" },
  evidence: { maxEvidenceAgeBlocks: () => 2n },
};

const INF = 1_000_000n;

/** Balances under `fakebank/<address>/<denom>` in the same store. */
class FakeBank implements BankKeeper {
  private key(address: string, denom: string): string {
    return `fakebank/${address}/${denom}`;
  }
  getBalance(s: KVReader, address: string, denom: string): bigint {
    const raw = s.get(this.key(address, denom));
    return raw ? BigInt(new TextDecoder().decode(raw)) : 0n;
  }
  set(s: KVStore, address: string, denom: string, amount: bigint): void {
    if (amount === 0n) s.delete(this.key(address, denom));
    else s.set(this.key(address, denom), new TextEncoder().encode(amount.toString()));
  }
  private send(s: KVStore, from: string, to: string, coins: readonly Coin[]): void {
    for (const c of coins) {
      if (c.amount <= 0n) throw new Error(`fake bank: non-positive amount ${c.amount}`);
      const have = this.getBalance(s, from, c.denom);
      if (have < c.amount) throw ErrInsufficientFunds.wrap(`${from} has ${have}${c.denom}, needs ${c.amount}`);
      this.set(s, from, c.denom, have - c.amount);
      this.set(s, to, c.denom, this.getBalance(s, to, c.denom) + c.amount);
    }
  }
  sendCoinsFromAccountToModule(ctx: Context, from: string, module: string, coins: readonly Coin[]): void {
    this.send(ctx.store, from, moduleAddress(module), coins);
  }
  sendCoinsFromModuleToAccount(ctx: Context, module: string, to: string, coins: readonly Coin[]): void {
    this.send(ctx.store, moduleAddress(module), to, coins);
  }
  sendCoinsFromModuleToModule(ctx: Context, from: string, to: string, coins: readonly Coin[]): void {
    this.send(ctx.store, moduleAddress(from), moduleAddress(to), coins);
  }
}

interface Actor {
  readonly account: string;
  readonly operator: string;
  readonly consPubkey: Uint8Array;
}

/** Deterministic actor: address bytes = sha256(name)[:20]; `byteFirst` forces the first address byte (to order ties). */
function actor(name: string, byteFirst?: number): Actor {
  const bytes = sha256(new TextEncoder().encode(name)).slice(0, 20);
  if (byteFirst !== undefined) bytes[0] = byteFirst;
  return { account: toBech32("infer", bytes), operator: toBech32("infervaloper", bytes), consPubkey: sha256(new TextEncoder().encode(`cons/${name}`)) };
}

function ctxAt(store: KVStore, height: bigint, events = new EventManager()): Context {
  return { store, gas: new GasMeter(undefined), events, block: { chainId: "test-1", height, timeSeconds: 0n, hash: new Uint8Array(32), proposer: new Uint8Array(20) }, mode: "finalize" };
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof AppError) return `${e.codespace}/${e.code}`;
    throw e;
  }
  return "no error";
}
const code = (e: AppError): string => `${e.codespace}/${e.code}`;

const powerOfUpdate = (u: ValidatorUpdate): string => `${Buffer.from(u.pubKey.ed25519!).toString("hex").slice(0, 8)}=${u.power}`;
const upd = (a: Actor, power: bigint): string => `${Buffer.from(a.consPubkey).toString("hex").slice(0, 8)}=${power}`;

class Harness {
  readonly root = new MemKV();
  readonly bank = new FakeBank();
  readonly staking = new StakingKeeper(this.bank);
  height = 1n;

  constructor(params: Partial<StakingParams> = {}) {
    this.staking.setParams(this.root, { ...defaultParams(), unbondingBlocks: 10n, ...params });
  }

  fund(address: string, amount: bigint): void {
    this.bank.set(this.root, address, "uinf", this.bank.getBalance(this.root, address, "uinf") + amount);
  }
  balance(address: string): bigint {
    return this.bank.getBalance(this.root, address, "uinf");
  }
  pool(name: string): bigint {
    return this.balance(moduleAddress(name));
  }

  /** Runs `f` in the current block (its own branch, written only if it returns). */
  tx<T>(f: (ctx: Context) => T, events?: EventManager): T {
    const b = new Branch(this.root);
    const out = f(ctxAt(b, this.height, events));
    b.write();
    return out;
  }

  /** EndBlock of the current height, then moves to the next. */
  endBlock(events?: EventManager): string[] {
    const updates = this.tx((ctx) => endBlocker(this.staking, ctx), events);
    this.height++;
    return updates.map(powerOfUpdate);
  }

  createValidator(a: Actor, amount: bigint, extra: Partial<CreateValidator> = {}): void {
    this.tx((ctx) =>
      createValidator(this.staking, ctx, {
        operator: a.operator,
        delegatorAddress: "",
        consPubkey: a.consPubkey,
        value: { denom: "uinf", amount },
        commission: { ratePpm: 100_000, maxRatePpm: 200_000, maxChangeRatePpm: 10_000 },
        minSelfDelegation: 1n,
        description: { moniker: a.operator.slice(0, 20), identity: "", website: "", securityContact: "", details: "" },
        ...extra,
      }),
    );
  }

  /** Bonded pool = Σ tokens of BONDED validators; not-bonded pool = Σ other tokens + Σ entry balances. */
  checkPoolInvariant(): void {
    let bonded = 0n;
    let notBonded = 0n;
    for (const v of this.staking.validators(this.root)) {
      if (v.status === BondStatus.BOND_STATUS_BONDED) bonded += v.tokens;
      else notBonded += v.tokens;
    }
    for (const e of this.staking.allUnbondingEntries(this.root)) notBonded += e.balance;
    expect({ bonded: this.pool(BONDED_POOL), notBonded: this.pool(NOT_BONDED_POOL) }).toEqual({ bonded, notBonded });
  }
}

describe("create validator", () => {
  test("self-delegation moves to the not-bonded pool, shares = amount × 10^18, and EndBlock bonds it", () => {
    const h = new Harness();
    const a = actor("alice");
    h.fund(a.account, 50n * INF);
    h.createValidator(a, 10n * INF);

    const v = h.staking.getValidator(h.root, a.operator)!;
    expect(v.status).toBe(BondStatus.BOND_STATUS_UNBONDED);
    expect(v.tokens).toBe(10n * INF);
    expect(v.delegatorShares).toBe(10n * INF * DEC_ONE);
    expect(h.staking.getDelegation(h.root, a.account, a.operator)?.shares).toBe(10n * INF * DEC_ONE);
    expect(h.balance(a.account)).toBe(40n * INF);
    expect(h.pool(NOT_BONDED_POOL)).toBe(10n * INF);
    expect(h.staking.getValidatorByConsAddress(h.root, consAddress(a.consPubkey))?.operator).toBe(a.operator);

    expect(h.endBlock()).toEqual([upd(a, 10n)]);
    expect(h.staking.getValidator(h.root, a.operator)!.status).toBe(BondStatus.BOND_STATUS_BONDED);
    expect(h.pool(BONDED_POOL)).toBe(10n * INF);
    expect(h.pool(NOT_BONDED_POOL)).toBe(0n);
    expect(h.staking.totalBondedTokens(h.root)).toBe(10n * INF);
    h.checkPoolInvariant();
  });

  test("a second validator with the same operator or the same consensus key is refused with its own code", () => {
    const h = new Harness();
    const a = actor("alice");
    const b = actor("bob");
    h.fund(a.account, 50n * INF);
    h.fund(b.account, 50n * INF);
    h.createValidator(a, 2n * INF);
    expect(codeOf(() => h.createValidator(a, 2n * INF, { consPubkey: b.consPubkey }))).toBe(code(errors.ErrValidatorExists));
    expect(codeOf(() => h.createValidator(b, 2n * INF, { consPubkey: a.consPubkey }))).toBe(code(errors.ErrConsensusKeyInUse));
    expect(h.balance(b.account)).toBe(50n * INF);
  });

  test("self-delegation below the chain minimum (1 INF) or the validator's own minimum is refused", () => {
    const h = new Harness();
    const a = actor("alice");
    h.fund(a.account, 50n * INF);
    expect(codeOf(() => h.createValidator(a, INF - 1n))).toBe(code(errors.ErrSelfDelegationBelowMinimum));
    expect(codeOf(() => h.createValidator(a, 2n * INF, { minSelfDelegation: 3n * INF }))).toBe(code(errors.ErrSelfDelegationBelowMinimum));
    expect(h.staking.getValidator(h.root, a.operator)).toBeUndefined();
    h.createValidator(a, INF);
    expect(h.staking.getValidator(h.root, a.operator)?.tokens).toBe(INF);
  });

  test("commission below the min_commission_rate param is refused", () => {
    const h = new Harness({ minCommissionRatePpm: 50_000 });
    const a = actor("alice");
    h.fund(a.account, 5n * INF);
    expect(codeOf(() => h.createValidator(a, INF, { commission: { ratePpm: 40_000, maxRatePpm: 100_000, maxChangeRatePpm: 1 } }))).toBe(code(errors.ErrBadCommission));
    h.createValidator(a, INF, { commission: { ratePpm: 50_000, maxRatePpm: 100_000, maxChangeRatePpm: 1 } });
  });
});

describe("delegation share math", () => {
  test("delegate at par, slash, then shares keep their count while their value drops pro rata", () => {
    const h = new Harness();
    const a = actor("alice");
    const d = actor("dave");
    const e = actor("erin");
    h.fund(a.account, 100n * INF);
    h.fund(d.account, 100n * INF);
    h.fund(e.account, 100n * INF);
    h.createValidator(a, 10n * INF);
    h.endBlock();

    const issued = h.tx((ctx) => h.staking.delegate(ctx, d.account, a.operator, 30n * INF));
    expect(issued).toBe(30n * INF * DEC_ONE);
    expect(h.pool(BONDED_POOL)).toBe(40n * INF);

    // Slash a quarter of the tokens: 40 INF → 30 INF, shares untouched.
    const cut = h.tx((ctx) => h.staking.slashValidatorTokens(ctx, a.operator, 10n * INF, "slash_sink"));
    expect(cut).toBe(10n * INF);
    expect(h.pool("slash_sink")).toBe(10n * INF);
    const v = h.staking.getValidator(h.root, a.operator)!;
    expect(v.tokens).toBe(30n * INF);
    expect(v.delegatorShares).toBe(40n * INF * DEC_ONE);
    expect(h.staking.getDelegation(h.root, d.account, a.operator)!.shares).toBe(30n * INF * DEC_ONE);
    expect(h.staking.delegationValue(v, h.staking.getDelegation(h.root, d.account, a.operator))).toBe(22_500_000n);
    expect(h.staking.delegationValue(v, h.staking.getDelegation(h.root, a.account, a.operator))).toBe(7_500_000n);

    // After the slash a token buys 4/3 shares: 3 INF → 4 INF worth of shares (floor).
    const later = h.tx((ctx) => h.staking.delegate(ctx, e.account, a.operator, 3n * INF));
    expect(later).toBe((3n * INF * 40n * INF * DEC_ONE) / (30n * INF));
    expect(later).toBe(4n * INF * DEC_ONE);
    const v2 = h.staking.getValidator(h.root, a.operator)!;
    expect(h.staking.delegationValue(v2, h.staking.getDelegation(h.root, e.account, a.operator))).toBe(3n * INF);

    // Undelegating everything dave holds pays what it is worth now (floor), not what he put in.
    const out = h.tx((ctx) => h.staking.undelegate(ctx, d.account, a.operator, 22_500_000n));
    expect(out.amount).toBe(22_500_000n);
    expect(h.staking.getDelegation(h.root, d.account, a.operator)).toBeUndefined();
    expect(h.staking.getValidator(h.root, a.operator)!.tokens).toBe(33n * INF - 22_500_000n);
    h.checkPoolInvariant();
  });

  test("floor rounding never pays more than the shares are worth", () => {
    const h = new Harness();
    const a = actor("alice");
    const d = actor("dave");
    h.fund(a.account, 100n * INF);
    h.fund(d.account, 100n * INF);
    h.createValidator(a, 3n * INF);
    h.tx((ctx) => h.staking.delegate(ctx, d.account, a.operator, INF));
    // 4 INF of tokens over 4·10^24 shares, slashed by 1 uinf: every share is worth a little less than 10^-18.
    h.tx((ctx) => h.staking.slashValidatorTokens(ctx, a.operator, 1n, "slash_sink"));
    const v = h.staking.getValidator(h.root, a.operator)!;
    const value = h.staking.delegationValue(v, h.staking.getDelegation(h.root, d.account, a.operator));
    expect(value).toBe(999_999n); // 10^6 × (4·10^6 − 1) / (4·10^6), floored
    // The full 1 INF is more than the shares are worth now: refused.
    expect(codeOf(() => h.tx((ctx) => h.staking.undelegate(ctx, d.account, a.operator, INF)))).toBe(code(errors.ErrInsufficientShares));
    // What they are worth (floored) is paid exactly; the shares burned are rounded up, so no more leaves the validator.
    const before = h.staking.getValidator(h.root, a.operator)!;
    const out = h.tx((ctx) => h.staking.undelegate(ctx, d.account, a.operator, value));
    expect(out.amount).toBe(999_999n);
    const after = h.staking.getValidator(h.root, a.operator)!;
    const burned = before.delegatorShares - after.delegatorShares;
    expect(burned).toBe((value * before.delegatorShares + before.tokens - 1n) / before.tokens);
    expect(after.tokens).toBe(before.tokens - 999_999n);
    // The dust left is worth less than 1 uinf.
    expect(h.staking.delegationValue(after, h.staking.getDelegation(h.root, d.account, a.operator))).toBe(0n);
    const [entry] = h.staking.delegatorUnbondingEntries(h.root, d.account);
    expect(entry.balance).toBe(999_999n);
    h.checkPoolInvariant();
  });

  test("undelegating more than delegated is refused with its code and changes nothing", () => {
    const h = new Harness();
    const a = actor("alice");
    const d = actor("dave");
    h.fund(a.account, 100n * INF);
    h.fund(d.account, 100n * INF);
    h.createValidator(a, 10n * INF);
    h.tx((ctx) => h.staking.delegate(ctx, d.account, a.operator, 5n * INF));
    expect(codeOf(() => h.tx((ctx) => h.staking.undelegate(ctx, d.account, a.operator, 5n * INF + 1n)))).toBe(code(errors.ErrInsufficientShares));
    expect(codeOf(() => h.tx((ctx) => h.staking.undelegate(ctx, actor("nobody").account, a.operator, 1n)))).toBe(code(errors.ErrNoDelegation));
    expect(codeOf(() => h.tx((ctx) => h.staking.undelegate(ctx, d.account, actor("nobody").operator, 1n)))).toBe(code(errors.ErrNoValidator));
    expect(h.staking.getDelegation(h.root, d.account, a.operator)!.shares).toBe(5n * INF * DEC_ONE);
    expect(h.staking.delegatorUnbondingEntries(h.root, d.account)).toEqual([]);
  });

  test("delegating to a validator slashed to zero tokens is refused (no exchange rate)", () => {
    const h = new Harness();
    const a = actor("alice");
    const d = actor("dave");
    h.fund(a.account, 100n * INF);
    h.fund(d.account, 100n * INF);
    h.createValidator(a, 10n * INF);
    h.tx((ctx) => h.staking.slashValidatorTokens(ctx, a.operator, 11n * INF, "slash_sink"));
    expect(h.staking.getValidator(h.root, a.operator)!.tokens).toBe(0n);
    expect(h.pool("slash_sink")).toBe(10n * INF);
    expect(codeOf(() => h.tx((ctx) => h.staking.delegate(ctx, d.account, a.operator, INF)))).toBe(code(errors.ErrInvalidExchangeRate));
  });

  test("max_entries pending unbondings per (delegator, validator); the next is refused", () => {
    const h = new Harness({ maxEntries: 2 });
    const a = actor("alice");
    const d = actor("dave");
    h.fund(a.account, 100n * INF);
    h.fund(d.account, 100n * INF);
    h.createValidator(a, 10n * INF);
    h.tx((ctx) => h.staking.delegate(ctx, d.account, a.operator, 5n * INF));
    h.tx((ctx) => h.staking.undelegate(ctx, d.account, a.operator, INF));
    h.tx((ctx) => h.staking.undelegate(ctx, d.account, a.operator, INF));
    expect(codeOf(() => h.tx((ctx) => h.staking.undelegate(ctx, d.account, a.operator, INF)))).toBe(code(errors.ErrTooManyUnbondingEntries));
  });

  test("the operator undelegating below its minimum self-delegation jails the validator", () => {
    const h = new Harness();
    const a = actor("alice");
    h.fund(a.account, 100n * INF);
    h.createValidator(a, 5n * INF, { minSelfDelegation: 2n * INF });
    h.endBlock();
    h.tx((ctx) => h.staking.undelegate(ctx, a.account, a.operator, 3n * INF));
    expect(h.staking.getValidator(h.root, a.operator)!.jailed).toBe(false);
    const events = new EventManager();
    h.tx((ctx) => h.staking.undelegate(ctx, a.account, a.operator, 1n), events);
    expect(h.staking.getValidator(h.root, a.operator)!.jailed).toBe(true);
    expect(events.events().map((e) => e.type)).toContain("staking_jail");
    expect(h.endBlock()).toEqual([upd(a, 0n)]);
  });
});

describe("unbonding entries", () => {
  test("an entry matures exactly unbonding_blocks after creation and pays the delegator then", () => {
    const h = new Harness({ unbondingBlocks: 5n });
    const a = actor("alice");
    const d = actor("dave");
    h.fund(a.account, 100n * INF);
    h.fund(d.account, 100n * INF);
    h.createValidator(a, 10n * INF);
    h.endBlock(); // height 1
    h.tx((ctx) => h.staking.delegate(ctx, d.account, a.operator, 4n * INF));
    h.endBlock(); // 2
    h.height = 10n;
    const events = new EventManager();
    const out = h.tx((ctx) => h.staking.undelegate(ctx, d.account, a.operator, 3n * INF), events);
    expect(out).toEqual({ id: 1n, amount: 3n * INF, completionHeight: 15n });
    const unbond = events.events().find((e) => e.type === "unbond")!;
    expect(Object.fromEntries(unbond.attributes.map((x) => [x.key, x.value]))).toEqual({
      validator: a.operator,
      delegator: d.account,
      amount: "3000000uinf",
      completion_height: "15",
      unbonding_id: "1",
    });
    expect(h.balance(d.account)).toBe(96n * INF);
    expect(h.pool(NOT_BONDED_POOL)).toBe(3n * INF);
    h.checkPoolInvariant();

    for (let i = 0; i < 4; i++) h.endBlock(); // heights 10..13
    expect(h.height).toBe(14n);
    h.endBlock(); // 14: not yet
    expect(h.balance(d.account)).toBe(96n * INF);
    expect(h.staking.delegatorUnbondingEntries(h.root, d.account)).toHaveLength(1);

    const done = new EventManager();
    h.endBlock(done); // 15: paid
    expect(h.balance(d.account)).toBe(99n * INF);
    expect(h.staking.delegatorUnbondingEntries(h.root, d.account)).toEqual([]);
    expect(h.pool(NOT_BONDED_POOL)).toBe(0n);
    expect(done.events().filter((e) => e.type === "complete_unbonding")).toHaveLength(1);
    h.checkPoolInvariant();
  });

  test("entries mature in queue order (height, then id), each once", () => {
    const h = new Harness({ unbondingBlocks: 3n });
    const a = actor("alice");
    const d = actor("dave");
    const e = actor("erin");
    h.fund(a.account, 100n * INF);
    h.fund(d.account, 100n * INF);
    h.fund(e.account, 100n * INF);
    h.createValidator(a, 10n * INF);
    h.tx((ctx) => h.staking.delegate(ctx, d.account, a.operator, 5n * INF));
    h.tx((ctx) => h.staking.delegate(ctx, e.account, a.operator, 5n * INF));
    h.tx((ctx) => h.staking.undelegate(ctx, e.account, a.operator, INF)); // id 1, matures 4
    h.tx((ctx) => h.staking.undelegate(ctx, d.account, a.operator, 2n * INF)); // id 2, matures 4
    h.endBlock();
    h.tx((ctx) => h.staking.undelegate(ctx, d.account, a.operator, INF)); // id 3, matures 5
    h.endBlock();
    h.endBlock();
    const events = new EventManager();
    h.endBlock(events); // height 4
    expect(events.events().filter((x) => x.type === "complete_unbonding").map((x) => x.attributes.find((y) => y.key === "unbonding_id")!.value)).toEqual(["1", "2"]);
    expect(h.balance(d.account)).toBe(97n * INF);
    h.endBlock(); // 5
    expect(h.balance(d.account)).toBe(98n * INF);
    expect(h.balance(e.account)).toBe(96n * INF);
    h.endBlock();
    expect(h.balance(d.account)).toBe(98n * INF);
  });

  test("unbondingEntriesSince: created at or after h, not yet matured, by id", () => {
    const h = new Harness({ unbondingBlocks: 10n });
    const a = actor("alice");
    const b = actor("bob");
    const d = actor("dave");
    h.fund(a.account, 100n * INF);
    h.fund(b.account, 100n * INF);
    h.fund(d.account, 100n * INF);
    h.createValidator(a, 10n * INF);
    h.createValidator(b, 10n * INF);
    h.tx((ctx) => h.staking.delegate(ctx, d.account, a.operator, 10n * INF));
    h.tx((ctx) => h.staking.delegate(ctx, d.account, b.operator, 10n * INF));
    const at = (height: bigint, op: string): void => {
      h.height = height;
      h.tx((ctx) => h.staking.undelegate(ctx, d.account, op, INF));
    };
    at(5n, a.operator); // id 1
    at(8n, a.operator); // id 2
    at(8n, b.operator); // id 3 (other validator)
    at(12n, a.operator); // id 4
    const ids = (since: bigint): bigint[] => h.staking.unbondingEntriesSince(h.root, a.operator, since).map((e) => e.id);
    expect(ids(0n)).toEqual([1n, 2n, 4n]);
    expect(ids(6n)).toEqual([2n, 4n]);
    expect(ids(8n)).toEqual([2n, 4n]);
    expect(ids(9n)).toEqual([4n]);
    expect(ids(13n)).toEqual([]);
    // Entry 1 matures at 15: afterwards it is gone from the list.
    h.height = 15n;
    h.endBlock();
    expect(ids(0n)).toEqual([2n, 4n]);
    expect(h.staking.unbondingEntriesSince(h.root, b.operator, 0n).map((e) => e.id)).toEqual([3n]);
  });

  test("slash evasion: an entry created after the infraction is cut, and pays out only what is left", () => {
    const h = new Harness({ unbondingBlocks: 10n });
    const a = actor("alice");
    const d = actor("dave");
    h.fund(a.account, 100n * INF);
    h.fund(d.account, 100n * INF);
    h.createValidator(a, 10n * INF);
    h.tx((ctx) => h.staking.delegate(ctx, d.account, a.operator, 10n * INF));
    h.endBlock(); // 1
    h.height = 3n; // fault at height 3; dave runs at height 4
    h.endBlock();
    h.tx((ctx) => h.staking.undelegate(ctx, d.account, a.operator, 10n * INF));
    const [entry] = h.staking.unbondingEntriesSince(h.root, a.operator, 3n);
    expect(entry.balance).toBe(10n * INF);
    const cut = h.tx((ctx) => h.staking.slashUnbondingEntry(ctx, entry, 4n * INF, "slash_sink"));
    expect(cut).toBe(4n * INF);
    expect(h.staking.getUnbondingEntry(h.root, entry.id)).toMatchObject({ initialBalance: 10n * INF, balance: 6n * INF });
    expect(h.tx((ctx) => h.staking.slashUnbondingEntry(ctx, entry, 100n * INF, "slash_sink"))).toBe(6n * INF);
    expect(h.pool("slash_sink")).toBe(10n * INF);
    h.checkPoolInvariant();
    h.height = entry.completionHeight;
    h.endBlock();
    expect(h.balance(d.account)).toBe(90n * INF);
    expect(h.staking.getUnbondingEntry(h.root, entry.id)).toBeUndefined();
    h.checkPoolInvariant();
  });
});

describe("validator set", () => {
  function setup(maxValidators: number): { h: Harness; a: Actor; b: Actor; c: Actor } {
    const h = new Harness({ maxValidators });
    const a = actor("alice");
    const b = actor("bob");
    const c = actor("carol");
    for (const x of [a, b, c]) h.fund(x.account, 1000n * INF);
    h.createValidator(a, 30n * INF);
    h.createValidator(b, 20n * INF);
    h.createValidator(c, 10n * INF);
    return { h, a, b, c };
  }

  test("top max_validators by power; nothing changed → no updates; power change → one update", () => {
    const { h, a, b, c } = setup(2);
    expect(h.endBlock()).toEqual([upd(a, 30n), upd(b, 20n)]);
    expect(h.staking.getValidator(h.root, c.operator)!.status).toBe(BondStatus.BOND_STATUS_UNBONDED);
    expect(h.pool(BONDED_POOL)).toBe(50n * INF);
    expect(h.pool(NOT_BONDED_POOL)).toBe(10n * INF);
    expect(h.staking.bondedValidators(h.root).map((v) => v.operator)).toEqual([a.operator, b.operator]);
    expect(h.endBlock()).toEqual([]);

    // Tokens that do not change the power (less than 1 INF) send nothing either.
    h.tx((ctx) => h.staking.delegate(ctx, a.account, a.operator, INF - 1n));
    expect(h.endBlock()).toEqual([]);
    h.tx((ctx) => h.staking.delegate(ctx, a.account, a.operator, 1n));
    expect(h.endBlock()).toEqual([upd(a, 31n)]);
    h.checkPoolInvariant();
  });

  test("a challenger with more power replaces the weakest: power 0 for it, tokens change pools", () => {
    const { h, a, b, c } = setup(2);
    h.endBlock();
    h.tx((ctx) => h.staking.delegate(ctx, c.account, c.operator, 15n * INF)); // carol 25 > bob 20
    expect(h.endBlock()).toEqual([upd(c, 25n), upd(b, 0n)]);
    const bob = h.staking.getValidator(h.root, b.operator)!;
    expect(bob.status).toBe(BondStatus.BOND_STATUS_UNBONDING);
    expect(bob.unbondingCompletionHeight).toBe(bob.unbondingHeight + 10n);
    expect(h.pool(BONDED_POOL)).toBe(55n * INF);
    expect(h.pool(NOT_BONDED_POOL)).toBe(20n * INF);
    h.checkPoolInvariant();
    expect(h.staking.bondedValidators(h.root).map((v) => v.operator)).toEqual([a.operator, c.operator]);
    void a;
    // Bob finishes unbonding after unbonding_blocks.
    h.height = bob.unbondingCompletionHeight - 1n;
    h.endBlock();
    expect(h.staking.getValidator(h.root, b.operator)!.status).toBe(BondStatus.BOND_STATUS_UNBONDING);
    h.endBlock();
    expect(h.staking.getValidator(h.root, b.operator)!.status).toBe(BondStatus.BOND_STATUS_UNBONDED);
  });

  test("equal power: the lower operator address bytes win the last seat", () => {
    const h = new Harness({ maxValidators: 1 });
    const hi = actor("high", 0xf0);
    const lo = actor("low", 0x01);
    h.fund(hi.account, 100n * INF);
    h.fund(lo.account, 100n * INF);
    h.createValidator(hi, 5n * INF);
    h.createValidator(lo, 5n * INF);
    expect(h.endBlock()).toEqual([upd(lo, 5n)]);
  });

  test("jail: removed at the next EndBlock with power 0 and the next in line enters; unjail brings it back", () => {
    const { h, a, b, c } = setup(2);
    h.endBlock();
    h.tx((ctx) => h.staking.jail(ctx, a.operator));
    // Still bonded until EndBlock.
    expect(h.staking.validator(h.root, a.operator)).toMatchObject({ jailed: true, bonded: true });
    expect(h.endBlock()).toEqual([upd(c, 10n), upd(a, 0n)]); // bob keeps his power: no update for him
    void b;
    expect(h.staking.validator(h.root, a.operator)).toMatchObject({ jailed: true, bonded: false });
    expect(h.endBlock()).toEqual([]);
    h.checkPoolInvariant();
    h.tx((ctx) => h.staking.unjail(ctx, a.operator));
    expect(h.endBlock()).toEqual([upd(a, 30n), upd(c, 0n)]);
    h.checkPoolInvariant();
  });

  test("validators under 1 power never join; a slash below 1 power removes one", () => {
    const h = new Harness({ minSelfDelegation: 1n });
    const a = actor("alice");
    const b = actor("bob");
    h.fund(a.account, 100n * INF);
    h.fund(b.account, 100n * INF);
    h.createValidator(a, INF - 1n);
    h.createValidator(b, 2n * INF);
    expect(h.endBlock()).toEqual([upd(b, 2n)]);
    h.tx((ctx) => h.staking.slashValidatorTokens(ctx, b.operator, INF + 1n, "slash_sink"));
    expect(h.endBlock()).toEqual([upd(b, 0n)]);
    h.checkPoolInvariant();
  });

  test("slashing an unbonded validator takes the coins from the not-bonded pool", () => {
    const { h, c } = setup(2);
    h.endBlock();
    expect(h.tx((ctx) => h.staking.slashValidatorTokens(ctx, c.operator, INF, "slash_sink"))).toBe(INF);
    expect(h.pool(NOT_BONDED_POOL)).toBe(9n * INF);
    h.checkPoolInvariant();
  });

  test("validatorByConsAddress, bondedValidators and totalBondedTokens read the active set", () => {
    const { h, a, b, c } = setup(2);
    h.endBlock();
    const v = h.staking.validatorByConsAddress(h.root, consAddress(b.consPubkey))!;
    expect(v).toMatchObject({ operator: b.operator, account: b.account, tokens: 20n * INF, jailed: false, bonded: true, selfDelegation: 20n * INF, minSelfDelegation: INF });
    expect(h.staking.validatorByConsAddress(h.root, new Uint8Array(20))).toBeUndefined();
    expect(h.staking.validator(h.root, c.operator)).toMatchObject({ bonded: false });
    expect(h.staking.totalBondedTokens(h.root)).toBe(50n * INF);
    expect(h.staking.bondedValidators(h.root).map((x) => x.operator)).toEqual([a.operator, b.operator]);
  });

  test("consensusSigner reads the operator and jailed flag that validatorByConsAddress reports", () => {
    const { h, a, c } = setup(2);
    h.endBlock();
    h.tx((ctx) => h.staking.jail(ctx, c.operator));
    for (const x of [a, c]) {
      const full = h.staking.validatorByConsAddress(h.root, consAddress(x.consPubkey))!;
      expect(h.staking.consensusSigner(h.root, consAddress(x.consPubkey))).toEqual({ operator: full.operator, jailed: full.jailed });
    }
    expect(h.staking.consensusSigner(h.root, consAddress(c.consPubkey))?.jailed).toBe(true);
    expect(h.staking.consensusSigner(h.root, new Uint8Array(20))).toBeUndefined();
  });
});

describe("workers", () => {
  test("register, replace, and look up in both directions; workersForModel lists bonded, unjailed ones in key order", () => {
    const { h, a, b, c } = (() => {
      const h = new Harness({ maxValidators: 2 });
      const a = actor("alice");
      const b = actor("bob");
      const c = actor("carol");
      for (const x of [a, b, c]) h.fund(x.account, 100n * INF);
      h.createValidator(a, 30n * INF);
      h.createValidator(b, 20n * INF);
      h.createValidator(c, 10n * INF);
      h.endBlock();
      return { h, a, b, c };
    })();
    const w1 = actor("w1").account;
    const w2 = actor("w2").account;
    const w3 = actor("w3").account;
    h.tx((ctx) => h.staking.setWorker(ctx.store, { operator: a.operator, worker: w1, modelIds: ["resnet", "bert"] }));
    h.tx((ctx) => h.staking.setWorker(ctx.store, { operator: b.operator, worker: w2, modelIds: ["resnet"] }));
    h.tx((ctx) => h.staking.setWorker(ctx.store, { operator: c.operator, worker: w3, modelIds: ["resnet"] }));
    expect(h.staking.workerOf(h.root, a.operator)).toBe(w1);
    expect(h.staking.operatorOfWorker(h.root, w2)).toBe(b.operator);
    const sorted = [a.operator, b.operator].sort();
    expect(h.staking.workersForModel(h.root, "resnet").map((x) => x.operator)).toEqual(sorted); // carol is not bonded
    expect(h.staking.workersForModel(h.root, "resnet").find((x) => x.operator === a.operator)).toEqual({ operator: a.operator, account: a.account, worker: w1, tokens: 30n * INF });

    // Replacing alice's worker drops the old key and the old models.
    const w4 = actor("w4").account;
    h.tx((ctx) => h.staking.setWorker(ctx.store, { operator: a.operator, worker: w4, modelIds: ["bert"] }));
    expect(h.staking.operatorOfWorker(h.root, w1)).toBeUndefined();
    expect(h.staking.operatorOfWorker(h.root, w4)).toBe(a.operator);
    expect(h.staking.workersForModel(h.root, "resnet").map((x) => x.operator)).toEqual([b.operator]);
    expect(h.staking.workersForModel(h.root, "bert").map((x) => x.worker)).toEqual([w4]);

    // Jailed validators drop out at once.
    h.tx((ctx) => h.staking.jail(ctx, b.operator));
    expect(h.staking.workersForModel(h.root, "resnet")).toEqual([]);
    expect(h.staking.workersForModel(h.root, "bad/id")).toEqual([]);
  });
});

describe("genesis", () => {
  test("an index naming a missing validator is a broken invariant: EndBlock throws InvariantError (the node stops rather than forks)", () => {
    const h = new Harness();
    h.root.set(keys.powerKey(5n, "00".repeat(20)), new TextEncoder().encode(actor("ghost").operator));
    expect(() => h.endBlock()).toThrow(InvariantError);
  });

  test("validators are created from the operators' genesis balances and the initial set is returned; export → import restores it", () => {
    const h = new Harness();
    const a = actor("alice");
    const b = actor("bob");
    const d = actor("dave");
    h.fund(a.account, 100n * INF);
    h.fund(b.account, 100n * INF);
    h.fund(d.account, 100n * INF);
    const b64 = (x: Uint8Array): string => Buffer.from(x).toString("base64");
    const updates = h.tx((ctx) =>
      initGenesis(h.staking, DEPS, ctx, {
        params: { unbonding_blocks: "20", max_validators: 1 },
        validators: [
          { operator_address: a.operator, consensus_pubkey: b64(a.consPubkey), self_delegation: "10000000", moniker: "node0", commission_rate_ppm: 100000 },
          { operator_address: b.operator, consensus_pubkey: b64(b.consPubkey), self_delegation: "20000000", moniker: "node1", commission_rate_ppm: "50000" },
        ],
      }),
    );
    expect(updates.map(powerOfUpdate)).toEqual([upd(b, 20n)]);
    expect(h.staking.getParams(h.root)).toMatchObject({ unbondingBlocks: 20n, maxValidators: 1, bondDenom: "uinf" });
    expect(h.balance(a.account)).toBe(90n * INF);
    expect(h.pool(BONDED_POOL)).toBe(20n * INF);
    expect(h.pool(NOT_BONDED_POOL)).toBe(10n * INF);
    expect(h.endBlock()).toEqual([]);

    // Some history: a delegation, an unbonding entry, a worker.
    h.tx((ctx) => h.staking.delegate(ctx, d.account, a.operator, 5n * INF));
    h.tx((ctx) => h.staking.undelegate(ctx, d.account, a.operator, 2n * INF));
    h.tx((ctx) => h.staking.setWorker(ctx.store, { operator: b.operator, worker: actor("w").account, modelIds: ["m1"] }));
    h.tx((ctx) => h.staking.jail(ctx, b.operator)); // b leaves (UNBONDING, queued), a takes the seat
    expect(h.endBlock()).toEqual([upd(a, 13n), upd(b, 0n)]);
    const exported = exportGenesis(h.staking, { store: h.root, height: h.height });
    expect(exported.validators).toEqual([]);

    // A fresh store with the same pool balances (x/bank's export) imports it.
    const h2 = new Harness();
    for (const [k, v] of h.root.iterate("fakebank/")) h2.root.set(k, v);
    const updates2 = h2.tx((ctx) => initGenesis(h2.staking, DEPS, ctx, JSON.parse(JSON.stringify(exported))));
    expect(updates2.map(powerOfUpdate)).toEqual([upd(a, 13n)]);
    expect(h2.staking.getValidator(h2.root, b.operator)).toMatchObject({ status: BondStatus.BOND_STATUS_UNBONDING, jailed: true });
    expect(exportGenesis(h2.staking, { store: h2.root, height: h.height })).toEqual(exported);
    const stakingKeys = (s: MemKV): Array<[string, string]> => [...s.iterate("staking/")].map(([k, v]) => [k, Buffer.from(v).toString("hex")]);
    expect(stakingKeys(h2.root)).toEqual(stakingKeys(h.root));

    // Ids and heights past 2^63 − 1 are refused (a later + 1 or + unbonding_blocks would leave uint64).
    for (const over of [{ next_unbonding_id: ((1n << 64n) - 1n).toString() }, { next_unbonding_id: (1n << 63n).toString() }]) {
      const h4 = new Harness();
      for (const [k, v] of h.root.iterate("fakebank/")) h4.root.set(k, v);
      const g = JSON.parse(JSON.stringify(exported));
      g.state = { ...g.state, ...over };
      expect(codeOf(() => h4.tx((ctx) => initGenesis(h4.staking, DEPS, ctx, g)))).toBe(code(errors.ErrInvalidGenesis));
    }

    // A state whose pools do not match the bank is refused.
    const h3 = new Harness();
    expect(codeOf(() => h3.tx((ctx) => initGenesis(h3.staking, DEPS, ctx, JSON.parse(JSON.stringify(exported)))))).toBe(code(errors.ErrInvalidGenesis));
  });

  test("a genesis validator whose operator cannot pay the self-delegation, or with a bad key, is refused", () => {
    const h = new Harness();
    const a = actor("alice");
    h.fund(a.account, 5n * INF);
    const g = (self: string, key: string): unknown => ({ validators: [{ operator_address: a.operator, consensus_pubkey: key, self_delegation: self, moniker: "n", commission_rate_ppm: 0 }] });
    const key = Buffer.from(a.consPubkey).toString("base64");
    expect(codeOf(() => h.tx((ctx) => initGenesis(h.staking, DEPS, ctx, g("6000000", key))))).toBe(code(errors.ErrInvalidGenesis));
    expect(codeOf(() => h.tx((ctx) => initGenesis(h.staking, DEPS, ctx, g("1000000", Buffer.alloc(31).toString("base64")))))).toBe(code(errors.ErrInvalidGenesis));
    expect(codeOf(() => h.tx((ctx) => initGenesis(h.staking, DEPS, ctx, { params: { max_validators: 0 } })))).toBe(code(errors.ErrInvalidGenesis));
    expect(h.tx((ctx) => initGenesis(h.staking, DEPS, ctx, g("5000000", key))).length).toBe(1);
  });

  test("no validators in genesis → no initial set (CometBFT keeps genesis.json's)", () => {
    const h = new Harness();
    expect(h.tx((ctx) => initGenesis(h.staking, DEPS, ctx, undefined))).toEqual([]);
    expect(h.staking.getParams(h.root)).toEqual(defaultParams());
  });
});
