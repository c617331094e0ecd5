/**
 * Readers for a module's genesis JSON: each checks that one value has the JSON type (or is the
 * bech32 address) the module expects and otherwise throws the module's invalid-genesis error,
 * naming the field.
 */
import type { AppError } from "./errors";
import { parseAddress } from "./types/address";

export interface GenesisJsonReaders {
  str(v: unknown, what: string): string;
  bool(v: unknown, what: string): boolean;
  obj(v: unknown, what: string): Record<string, unknown>;
  /** A list; absent reads as empty. */
  list(v: unknown, what: string): unknown[];
  /** A string that `parseAddress` accepts with `prefix`. */
  address(v: unknown, prefix: string, what: string): string;
  /** Like `address`, but absent reads as "", and "" is accepted when `optional`. */
  addressOr(v: unknown, prefix: string, what: string, optional?: boolean): string;
  /** A non-negative integer given as a JSON number or a decimal string, at most `max` (default 2^64 − 1). */
  uint(v: unknown, what: string, max?: bigint): bigint;
  /** A uinf amount: a decimal string of at most 30 digits. */
  amount(v: unknown, what: string): bigint;
  /** Bytes as standard base64; absent reads as empty. */
  base64(v: unknown, what: string): Uint8Array;
}

export const U64_MAX = (1n << 64n) - 1n;
/** The largest height (CometBFT's heights are int64). */
export const INT64_MAX = (1n << 63n) - 1n;

/** The readers, throwing `invalidGenesis.wrap(…)` (a module's ErrInvalidGenesis). */
export function genesisJsonReaders(invalidGenesis: AppError): GenesisJsonReaders {
  const str = (v: unknown, what: string): string => {
    if (typeof v !== "string") throw invalidGenesis.wrap(`${what} must be a string`);
    return v;
  };
  const address = (v: unknown, prefix: string, what: string): string => {
    const s = str(v, what);
    try {
      parseAddress(s, prefix, what);
    } catch (e) {
      throw invalidGenesis.wrap((e as Error).message);
    }
    return s;
  };
  return {
    str,
    bool(v, what) {
      if (typeof v !== "boolean") throw invalidGenesis.wrap(`${what} must be true or false`);
      return v;
    },
    obj(v, what) {
      if (typeof v !== "object" || v === null || Array.isArray(v)) throw invalidGenesis.wrap(`${what} must be an object`);
      return v as Record<string, unknown>;
    },
    list(v, what) {
      if (v === undefined) return [];
      if (!Array.isArray(v)) throw invalidGenesis.wrap(`${what} must be a list`);
      return v;
    },
    address,
    addressOr(v, prefix, what, optional = false) {
      const s = str(v ?? "", what);
      return optional && s === "" ? s : address(s, prefix, what);
    },
    uint(v, what, max = U64_MAX) {
      let n: bigint;
      if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) n = BigInt(v);
      else if (typeof v === "string" && /^[0-9]{1,20}$/.test(v)) n = BigInt(v);
      else throw invalidGenesis.wrap(`${what} must be a non-negative integer (number or decimal string)`);
      if (n > max) throw invalidGenesis.wrap(`${what} exceeds ${max}`);
      return n;
    },
    amount(v, what) {
      if (typeof v !== "string" || !/^[0-9]{1,30}$/.test(v)) throw invalidGenesis.wrap(`${what} must be a decimal string`);
      return BigInt(v);
    },
    base64(v, what) {
      const s = str(v ?? "", what);
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw invalidGenesis.wrap(`${what} must be base64`);
      return new Uint8Array(Buffer.from(s, "base64"));
    },
  };
}
