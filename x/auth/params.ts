/** Auth params: the Cosmos ones (memo, signature limits and costs) plus inferchain's fee params. */
import { Params } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { FeeParams } from "../../gen/inferchain/auth/v1/auth";
import { ErrInvalidParams } from "./errors";

export { Params, FeeParams };

export function defaultParams(): Params {
  return {
    maxMemoCharacters: 256n,
    txSigLimit: 7n,
    txSizeCostPerByte: 10n,
    sigVerifyCostEd25519: 590n,
    sigVerifyCostSecp256k1: 1000n,
  };
}

/** Localnet default 0.025uinf/gas; max tx 256 KiB (below CometBFT's 1 MiB mempool limit). */
export function defaultFeeParams(): FeeParams {
  return { minGasPrice: "0.025", maxTxBytes: 262_144n };
}

export function validateParams(p: Params): void {
  if (p.maxMemoCharacters <= 0n) throw ErrInvalidParams.wrap("max_memo_characters must be positive");
  if (p.txSigLimit <= 0n) throw ErrInvalidParams.wrap("tx_sig_limit must be positive");
  if (p.txSizeCostPerByte <= 0n) throw ErrInvalidParams.wrap("tx_size_cost_per_byte must be positive");
  if (p.sigVerifyCostSecp256k1 <= 0n) throw ErrInvalidParams.wrap("sig_verify_cost_secp256k1 must be positive");
}

/** A decimal gas price as an exact fraction: "0.025" → 25/1000. */
export interface GasPrice {
  readonly num: bigint;
  readonly den: bigint;
}

export function parseGasPrice(s: string): GasPrice {
  const m = /^([0-9]{1,30})(?:\.([0-9]{1,18}))?$/.exec(s);
  if (!m) throw ErrInvalidParams.wrap(`invalid gas price ${JSON.stringify(s)}`);
  const frac = m[2] ?? "";
  return { num: BigInt(m[1] + frac), den: 10n ** BigInt(frac.length) };
}

/** The smallest fee (rounded up) that pays `gasLimit` at `price`. */
export function requiredFee(gasLimit: bigint, price: GasPrice): bigint {
  return (gasLimit * price.num + price.den - 1n) / price.den;
}

export function validateFeeParams(p: FeeParams): void {
  parseGasPrice(p.minGasPrice);
  if (p.maxTxBytes < 256n) throw ErrInvalidParams.wrap("max_tx_bytes must be at least 256");
}
