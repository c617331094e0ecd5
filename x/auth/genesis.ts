/**
 * x/auth genesis, Cosmos-shaped JSON:
 * `{"params": {...}, "fee_params": {"min_gas_price": "0.025", "max_tx_bytes": "262144"},
 *   "accounts": [{"address": "infer1…", "account_number": "0", "sequence": "0"}]}`.
 * Accounts listed only in bank balances are created there, numbered after these.
 */
import type { Context, QueryContext } from "../../base/context";
import { parseAddress } from "../../base/types/address";
import { ErrInvalidGenesis } from "./errors";
import type { AuthKeeper } from "./keeper";
import { defaultFeeParams, defaultParams, validateFeeParams, validateParams, type FeeParams, type Params as AuthParams } from "./params";

export interface AuthGenesis {
  readonly params: {
    readonly max_memo_characters: string;
    readonly tx_sig_limit: string;
    readonly tx_size_cost_per_byte: string;
    readonly sig_verify_cost_ed25519: string;
    readonly sig_verify_cost_secp256k1: string;
  };
  readonly fee_params: { readonly min_gas_price: string; readonly max_tx_bytes: string };
  readonly accounts: ReadonlyArray<{ readonly address: string; readonly account_number?: string; readonly sequence?: string }>;
}

function paramsToJson(p: AuthParams, f: FeeParams): Pick<AuthGenesis, "params" | "fee_params"> {
  return {
    params: {
      max_memo_characters: p.maxMemoCharacters.toString(),
      tx_sig_limit: p.txSigLimit.toString(),
      tx_size_cost_per_byte: p.txSizeCostPerByte.toString(),
      sig_verify_cost_ed25519: p.sigVerifyCostEd25519.toString(),
      sig_verify_cost_secp256k1: p.sigVerifyCostSecp256k1.toString(),
    },
    fee_params: { min_gas_price: f.minGasPrice, max_tx_bytes: f.maxTxBytes.toString() },
  };
}

export function defaultGenesis(): AuthGenesis {
  return { ...paramsToJson(defaultParams(), defaultFeeParams()), accounts: [] };
}

function uint(s: unknown, what: string): bigint {
  if (typeof s !== "string" || !/^[0-9]{1,20}$/.test(s)) throw ErrInvalidGenesis.wrap(`${what} must be a decimal string`);
  return BigInt(s);
}

export function initGenesis(auth: AuthKeeper, ctx: Context, raw: unknown): void {
  const d = defaultGenesis();
  const g = { ...d, ...((raw ?? {}) as Partial<AuthGenesis>) };
  const p = { ...d.params, ...g.params };
  const params = {
    maxMemoCharacters: uint(p.max_memo_characters, "max_memo_characters"),
    txSigLimit: uint(p.tx_sig_limit, "tx_sig_limit"),
    txSizeCostPerByte: uint(p.tx_size_cost_per_byte, "tx_size_cost_per_byte"),
    sigVerifyCostEd25519: uint(p.sig_verify_cost_ed25519, "sig_verify_cost_ed25519"),
    sigVerifyCostSecp256k1: uint(p.sig_verify_cost_secp256k1, "sig_verify_cost_secp256k1"),
  };
  validateParams(params);
  auth.setParams(ctx.store, params);
  const f = { ...d.fee_params, ...g.fee_params };
  const feeParams = { minGasPrice: f.min_gas_price, maxTxBytes: uint(f.max_tx_bytes, "max_tx_bytes") };
  validateFeeParams(feeParams);
  auth.setFeeParams(ctx.store, feeParams);
  if (!Array.isArray(g.accounts)) throw ErrInvalidGenesis.wrap("accounts must be a list");
  for (const [i, a] of g.accounts.entries()) {
    parseAddress(a.address);
    if (auth.getAccount(ctx.store, a.address)) throw ErrInvalidGenesis.wrap(`accounts[${i}]: duplicate ${a.address}`);
    const acc = auth.newAccount(ctx.store, a.address);
    if (a.sequence !== undefined) auth.setAccount(ctx.store, { ...acc, sequence: uint(a.sequence, "sequence") });
  }
}

export function exportGenesis(auth: AuthKeeper, ctx: QueryContext): AuthGenesis {
  return {
    ...paramsToJson(auth.getParams(ctx.store), auth.getFeeParams(ctx.store)),
    accounts: [...auth.accounts(ctx.store)]
      .filter((a) => a.moduleName === undefined)
      .map((a) => ({ address: a.address, account_number: a.accountNumber.toString(), sequence: a.sequence.toString() })),
  };
}
