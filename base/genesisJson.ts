/**
 * Readers for a module's genesis JSON: each checks that one value has the JSON type (or is the
 * bech32 address) the module expects and otherwise throws the module's invalid-genesis error,
 * naming the field. Numbers stay with each module: their forms and bounds differ.
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
}

/** The readers, throwing `invalidGenesis.wrap(…)` (a module's ErrInvalidGenesis). */
export function genesisJsonReaders(invalidGenesis: AppError): GenesisJsonReaders {
  const str = (v: unknown, what: string): string => {
    if (typeof v !== "string") throw invalidGenesis.wrap(`${what} must be a string`);
    return v;
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
    address(v, prefix, what) {
      const s = str(v, what);
      try {
        parseAddress(s, prefix, what);
      } catch (e) {
        throw invalidGenesis.wrap((e as Error).message);
      }
      return s;
    },
  };
}
