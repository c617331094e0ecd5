/**
 * Balances and supply. Offered in layers so a module gets only what it should:
 * `BankViewKeeper` ⊂ `BankSendKeeper` ⊂ `BankKeeper` (mint/burn). Effects take the Context
 * for its store and events; reads take any store view.
 */
import { Params } from "cosmjs-types/cosmos/bank/v1beta1/bank";
import type { Context } from "../../base/context";
import { ErrInsufficientFunds, ErrInvalidCoins } from "../../base/errors";
import type { KVReader, KVStore } from "../../base/store/kv";
import { moduleAddress } from "../../base/types/address";
import type { Coin } from "../../base/types/coins";
import { emitBurn, emitMint, emitTransfer } from "./events";
import type { AccountKeeper } from "./expectedKeepers";
import { BALANCES_PREFIX, PARAMS_KEY, SUPPLY_PREFIX, balanceKey, balancesPrefix, supplyKey } from "./keys";

const enc = new TextEncoder();
const dec = new TextDecoder();
const encodeAmount = (n: bigint): Uint8Array => enc.encode(n.toString());
const decodeAmount = (b: Uint8Array): bigint => BigInt(dec.decode(b));

export interface BankViewKeeper {
  getBalance(s: KVReader, address: string, denom: string): bigint;
  getAllBalances(s: KVReader, address: string): Coin[];
}

export interface BankSendKeeper extends BankViewKeeper {
  sendCoins(ctx: Context, from: string, to: string, coins: readonly Coin[]): void;
  sendCoinsFromAccountToModule(ctx: Context, from: string, module: string, coins: readonly Coin[]): void;
  sendCoinsFromModuleToAccount(ctx: Context, module: string, to: string, coins: readonly Coin[]): void;
}

export interface BankModuleKeeper extends BankSendKeeper {
  sendCoinsFromModuleToModule(ctx: Context, from: string, to: string, coins: readonly Coin[]): void;
}

export interface BankMintKeeper extends BankModuleKeeper {
  mintCoins(ctx: Context, module: string, coins: readonly Coin[]): void;
  burnCoins(ctx: Context, module: string, coins: readonly Coin[]): void;
}

export class BankKeeper implements BankMintKeeper {
  constructor(private readonly accounts: AccountKeeper) {}

  getBalance(s: KVReader, address: string, denom: string): bigint {
    const raw = s.get(balanceKey(address, denom));
    return raw ? decodeAmount(raw) : 0n;
  }

  getAllBalances(s: KVReader, address: string): Coin[] {
    const prefix = balancesPrefix(address);
    const out: Coin[] = [];
    for (const [k, v] of s.iterate(prefix)) out.push({ denom: k.slice(prefix.length), amount: decodeAmount(v) });
    return out;
  }

  /** Every (address, coins) with a balance, in address order (genesis export). */
  *allBalances(s: KVReader): IterableIterator<{ address: string; coins: Coin[] }> {
    let cur: { address: string; coins: Coin[] } | undefined;
    for (const [k, v] of s.iterate(BALANCES_PREFIX)) {
      const rest = k.slice(BALANCES_PREFIX.length);
      const slash = rest.indexOf("/");
      const address = rest.slice(0, slash);
      if (cur && cur.address !== address) {
        yield cur;
        cur = undefined;
      }
      cur ??= { address, coins: [] };
      cur.coins.push({ denom: rest.slice(slash + 1), amount: decodeAmount(v) });
    }
    if (cur) yield cur;
  }

  getSupply(s: KVReader, denom: string): bigint {
    const raw = s.get(supplyKey(denom));
    return raw ? decodeAmount(raw) : 0n;
  }

  totalSupply(s: KVReader): Coin[] {
    const out: Coin[] = [];
    for (const [k, v] of s.iterate(SUPPLY_PREFIX)) out.push({ denom: k.slice(SUPPLY_PREFIX.length), amount: decodeAmount(v) });
    return out;
  }

  getParams(s: KVReader): Params {
    const raw = s.get(PARAMS_KEY);
    // Stored behind a one-byte version tag: an all-default Params encodes to no bytes at all.
    return raw ? Params.decode(raw.subarray(1)) : Params.fromPartial({ defaultSendEnabled: true });
  }

  setParams(s: KVStore, p: Params): void {
    s.set(PARAMS_KEY, Buffer.concat([Buffer.from([1]), Params.encode(p).finish()]));
  }

  private setBalance(s: KVStore, address: string, denom: string, amount: bigint): void {
    if (amount === 0n) s.delete(balanceKey(address, denom));
    else s.set(balanceKey(address, denom), encodeAmount(amount));
  }

  private setSupply(s: KVStore, denom: string, amount: bigint): void {
    if (amount === 0n) s.delete(supplyKey(denom));
    else s.set(supplyKey(denom), encodeAmount(amount));
  }

  private subtract(s: KVStore, address: string, coins: readonly Coin[]): void {
    for (const c of coins) {
      if (c.amount < 0n) throw ErrInvalidCoins.wrap(`negative amount ${c.amount}${c.denom}`);
      const have = this.getBalance(s, address, c.denom);
      if (have < c.amount) throw ErrInsufficientFunds.wrap(`spendable balance ${have}${c.denom} is smaller than ${c.amount}${c.denom}`);
      this.setBalance(s, address, c.denom, have - c.amount);
    }
  }

  private add(s: KVStore, address: string, coins: readonly Coin[]): void {
    for (const c of coins) {
      if (c.amount < 0n) throw ErrInvalidCoins.wrap(`negative amount ${c.amount}${c.denom}`);
      this.setBalance(s, address, c.denom, this.getBalance(s, address, c.denom) + c.amount);
    }
    // Cosmos semantics: receiving funds creates the account.
    if (!this.accounts.getAccount(s, address)) this.accounts.newAccount(s, address);
  }

  sendCoins(ctx: Context, from: string, to: string, coins: readonly Coin[]): void {
    this.subtract(ctx.store, from, coins);
    this.add(ctx.store, to, coins);
    emitTransfer(ctx.events, from, to, coins);
  }

  sendCoinsFromAccountToModule(ctx: Context, from: string, module: string, coins: readonly Coin[]): void {
    const to = this.accounts.getOrCreateModuleAccount(ctx.store, module).address;
    this.sendCoins(ctx, from, to, coins);
  }

  sendCoinsFromModuleToAccount(ctx: Context, module: string, to: string, coins: readonly Coin[]): void {
    this.sendCoins(ctx, moduleAddress(module), to, coins);
  }

  sendCoinsFromModuleToModule(ctx: Context, from: string, to: string, coins: readonly Coin[]): void {
    const toAddr = this.accounts.getOrCreateModuleAccount(ctx.store, to).address;
    this.sendCoins(ctx, moduleAddress(from), toAddr, coins);
  }

  /** Sets a genesis balance and counts it into the supply. */
  initBalance(s: KVStore, address: string, coins: readonly Coin[]): void {
    if (!this.accounts.getAccount(s, address)) this.accounts.newAccount(s, address);
    for (const c of coins) {
      this.setBalance(s, address, c.denom, this.getBalance(s, address, c.denom) + c.amount);
      this.setSupply(s, c.denom, this.getSupply(s, c.denom) + c.amount);
    }
  }

  mintCoins(ctx: Context, module: string, coins: readonly Coin[]): void {
    const addr = this.accounts.getOrCreateModuleAccount(ctx.store, module).address;
    this.add(ctx.store, addr, coins);
    for (const c of coins) this.setSupply(ctx.store, c.denom, this.getSupply(ctx.store, c.denom) + c.amount);
    emitMint(ctx.events, addr, coins);
  }

  burnCoins(ctx: Context, module: string, coins: readonly Coin[]): void {
    const addr = moduleAddress(module);
    this.subtract(ctx.store, addr, coins);
    for (const c of coins) this.setSupply(ctx.store, c.denom, this.getSupply(ctx.store, c.denom) - c.amount);
    emitBurn(ctx.events, addr, coins);
  }
}
