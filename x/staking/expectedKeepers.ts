/** What x/staking needs from other modules (the consumer declares it; app/app.ts wires it). */
import type { Context } from "../../app/context";
import type { KVReader } from "../../app/store/kv";
import type { Coin } from "../../app/types/coins";

export interface BankKeeper {
  /** Pool balances for the Pool query. */
  getBalance(s: KVReader, address: string, denom: string): bigint;
  /** Delegating: the delegator's coins into a pool; throws ErrInsufficientFunds. */
  sendCoinsFromAccountToModule(ctx: Context, from: string, module: string, coins: readonly Coin[]): void;
  /** Paying out a matured unbonding entry. */
  sendCoinsFromModuleToAccount(ctx: Context, module: string, to: string, coins: readonly Coin[]): void;
  /** Moving tokens between the bonded and not-bonded pools, and slashed coins to their destination. */
  sendCoinsFromModuleToModule(ctx: Context, from: string, to: string, coins: readonly Coin[]): void;
}
