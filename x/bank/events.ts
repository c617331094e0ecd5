/** Events of x/bank, with the Cosmos SDK's names and attributes. */
import type { EventManager } from "../../base/events";
import { formatCoins, type Coin } from "../../base/types/coins";

export const EventTypeTransfer = "transfer";
export const EventTypeCoinSpent = "coin_spent";
export const EventTypeCoinReceived = "coin_received";
export const EventTypeCoinbase = "coinbase";
export const EventTypeBurn = "burn";
export const EventTypeMessage = "message";

export function emitTransfer(em: EventManager, from: string, to: string, coins: readonly Coin[]): void {
  const amount = formatCoins(coins);
  em.emit(EventTypeCoinSpent, { spender: from, amount });
  em.emit(EventTypeCoinReceived, { receiver: to, amount });
  em.emit(EventTypeTransfer, { recipient: to, sender: from, amount });
  em.emit(EventTypeMessage, { sender: from });
}

export function emitMint(em: EventManager, to: string, coins: readonly Coin[]): void {
  const amount = formatCoins(coins);
  em.emit(EventTypeCoinReceived, { receiver: to, amount });
  em.emit(EventTypeCoinbase, { minter: to, amount });
}

export function emitBurn(em: EventManager, from: string, coins: readonly Coin[]): void {
  const amount = formatCoins(coins);
  em.emit(EventTypeCoinSpent, { spender: from, amount });
  em.emit(EventTypeBurn, { burner: from, amount });
}
