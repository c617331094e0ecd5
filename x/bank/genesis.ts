/**
 * x/bank genesis, in the Cosmos JSON shape:
 * `{"params": {"default_send_enabled": true}, "balances": [{"address": "infer1…", "coins": [{"denom": "uinf", "amount": "1000"}]}]}`.
 * The supply is computed from the balances.
 */
import type { Context, QueryContext } from "../../base/context";
import { parseAddress } from "../../base/types/address";
import { parseCoins, toWire, type Coin } from "../../base/types/coins";
import { ErrInvalidGenesis } from "./errors";
import type { BankKeeper } from "./keeper";

export interface BankGenesis {
  readonly params: { readonly default_send_enabled: boolean };
  readonly balances: ReadonlyArray<{ readonly address: string; readonly coins: ReadonlyArray<{ denom: string; amount: string }> }>;
}

export function defaultGenesis(): BankGenesis {
  return { params: { default_send_enabled: true }, balances: [] };
}

export function parseGenesis(raw: unknown): { defaultSendEnabled: boolean; balances: Array<{ address: string; coins: Coin[] }> } {
  const g = (raw ?? defaultGenesis()) as Partial<BankGenesis>;
  if (!Array.isArray(g.balances)) throw ErrInvalidGenesis.wrap("balances must be a list");
  const seen = new Set<string>();
  const balances = g.balances.map((b, i) => {
    if (typeof b?.address !== "string" || !Array.isArray(b.coins)) throw ErrInvalidGenesis.wrap(`balances[${i}] needs address and coins`);
    parseAddress(b.address);
    if (seen.has(b.address)) throw ErrInvalidGenesis.wrap(`duplicate balance for ${b.address}`);
    seen.add(b.address);
    return { address: b.address, coins: parseCoins(b.coins) };
  });
  return { defaultSendEnabled: g.params?.default_send_enabled ?? true, balances };
}

export function initGenesis(bank: BankKeeper, ctx: Context, raw: unknown): void {
  const g = parseGenesis(raw);
  bank.setParams(ctx.store, { sendEnabled: [], defaultSendEnabled: g.defaultSendEnabled });
  for (const b of g.balances) bank.initBalance(ctx.store, b.address, b.coins);
}

export function exportGenesis(bank: BankKeeper, ctx: QueryContext): BankGenesis {
  const balances = [...bank.allBalances(ctx.store)].map((b) => ({ address: b.address, coins: toWire(b.coins) }));
  return { params: { default_send_enabled: bank.getParams(ctx.store).defaultSendEnabled }, balances };
}
