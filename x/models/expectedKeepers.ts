/** What x/models needs from other modules (the consumer declares it; app/app.ts wires it). */
import type { Context } from "../../base/context";
import type { Coin } from "../../base/types/coins";

export interface BankKeeper {
  /** Escrows a registration deposit in the "models" module account; throws ErrInsufficientFunds. */
  sendCoinsFromAccountToModule(ctx: Context, from: string, module: string, coins: readonly Coin[]): void;
}
