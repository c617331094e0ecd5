/** What x/auth needs from other modules (the consumer declares it; app/app.ts wires it). */
import type { Context } from "../../base/context";
import type { Coin } from "../../base/types/coins";

export interface BankKeeper {
  /** Moves fees from the payer to a module account; throws ErrInsufficientFunds. */
  sendCoinsFromAccountToModule(ctx: Context, from: string, module: string, coins: readonly Coin[]): void;
}
