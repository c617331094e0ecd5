/**
 * Store layout of x/bank (keys are public API: changing one is a migration).
 *
 *   bank/balances/<bech32 address>/<denom> → amount, decimal ASCII (absent = 0)
 *   bank/supply/<denom>                    → total supply, decimal ASCII
 *   bank/params                            → cosmos.bank.v1beta1.Params
 */
export const BALANCES_PREFIX = "bank/balances/";
export const balancesPrefix = (address: string): string => `${BALANCES_PREFIX}${address}/`;
export const balanceKey = (address: string, denom: string): string => `${BALANCES_PREFIX}${address}/${denom}`;
export const SUPPLY_PREFIX = "bank/supply/";
export const supplyKey = (denom: string): string => SUPPLY_PREFIX + denom;
export const PARAMS_KEY = "bank/params";
