/** Integer coin amounts (bigint in code, decimal strings on the wire). */
import type { Coin as WireCoin } from "cosmjs-types/cosmos/base/v1beta1/coin";
import { ErrInvalidCoins } from "../errors";

export interface Coin {
  readonly denom: string;
  readonly amount: bigint;
}

/** The chain's staking and fee denom. */
export const BASE_DENOM = "uinf";

const DENOM = /^[a-zA-Z][a-zA-Z0-9/:._-]{2,127}$/;
const AMOUNT = /^[0-9]{1,78}$/;

export function validateDenom(denom: string): void {
  if (!DENOM.test(denom)) throw ErrInvalidCoins.wrap(`invalid denom ${JSON.stringify(denom)}`);
}

export function parseAmount(s: string, what = "amount"): bigint {
  if (!AMOUNT.test(s)) throw ErrInvalidCoins.wrap(`invalid ${what} ${JSON.stringify(s)}`);
  return BigInt(s);
}

/** Wire coins → domain coins: valid denoms, sorted, no duplicates; zero amounts only if allowed. */
export function parseCoins(coins: readonly WireCoin[], opts: { allowZero?: boolean } = {}): Coin[] {
  const out: Coin[] = [];
  for (const c of coins) {
    validateDenom(c.denom);
    const amount = parseAmount(c.amount, `amount for ${c.denom}`);
    if (amount === 0n && !opts.allowZero) throw ErrInvalidCoins.wrap(`zero amount for ${c.denom}`);
    if (out.length > 0 && out[out.length - 1].denom >= c.denom) {
      throw ErrInvalidCoins.wrap("coins must be sorted by denom and unique");
    }
    out.push({ denom: c.denom, amount });
  }
  return out;
}

export function toWire(coins: readonly Coin[]): WireCoin[] {
  return coins.map((c) => ({ denom: c.denom, amount: c.amount.toString() }));
}

/** `100uinf,5foo`: the Cosmos string form used in events and CLI output. */
export function formatCoins(coins: readonly Coin[]): string {
  return coins.map((c) => `${c.amount}${c.denom}`).join(",");
}

/** Parses `100uinf,5foo` (CLI and config input). */
export function parseCoinsString(s: string): Coin[] {
  if (s.trim() === "") return [];
  const out: Coin[] = [];
  for (const part of s.split(",")) {
    const m = /^\s*([0-9]+)([a-zA-Z][a-zA-Z0-9/:._-]{2,127})\s*$/.exec(part);
    if (!m) throw ErrInvalidCoins.wrap(`invalid coin ${JSON.stringify(part)}`);
    out.push({ denom: m[2], amount: BigInt(m[1]) });
  }
  out.sort((a, b) => (a.denom < b.denom ? -1 : a.denom > b.denom ? 1 : 0));
  return parseCoins(toWire(out), { allowZero: true });
}
