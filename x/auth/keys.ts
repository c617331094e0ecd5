/**
 * Store layout of x/auth (keys are public API: changing one is a migration).
 *
 *   auth/accounts/<bech32 address>  → cosmos.auth.v1beta1.BaseAccount | ModuleAccount (Any)
 *   auth/next_account_number        → uint64, big-endian
 *   auth/params                     → cosmos.auth.v1beta1.Params
 *   auth/fee_params                 → inferchain.auth.v1.FeeParams
 */
export const ACCOUNTS_PREFIX = "auth/accounts/";
export const accountKey = (address: string): string => ACCOUNTS_PREFIX + address;
export const NEXT_ACCOUNT_NUMBER_KEY = "auth/next_account_number";
export const PARAMS_KEY = "auth/params";
export const FEE_PARAMS_KEY = "auth/fee_params";
