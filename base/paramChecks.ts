/**
 * Bounds checks for module params, each refusing with the module's ErrInvalidParams and a
 * message that names the param, its range and the value.
 */
import { PPM } from "./types/math";

export interface ParamChecks {
  /** A fraction in parts per million, in min..max (default 0..10^6). */
  ppm(name: string, v: bigint, min?: bigint, max?: bigint): void;
  /** A small count (a JS number), an integer in min..max. */
  count(name: string, v: number, min: number, max: number): void;
  /** A bigint (heights, blocks, amounts) in min..max. */
  range(name: string, v: bigint, min: bigint, max: bigint): void;
  /** A uinf amount written as a decimal string (at most 30 digits) → bigint. */
  amount(s: string, what: string): bigint;
}

const AMOUNT = /^[0-9]{1,30}$/;

export function paramChecks(invalid: { wrap(detail: string): Error }): ParamChecks {
  return {
    ppm(name, v, min = 0n, max = PPM) {
      if (v < min || v > max) throw invalid.wrap(`${name} must be in ${min}..${max} ppm, got ${v}`);
    },
    count(name, v, min, max) {
      if (!Number.isInteger(v) || v < min || v > max) throw invalid.wrap(`${name} must be in ${min}..${max}, got ${v}`);
    },
    range(name, v, min, max) {
      if (v < min || v > max) throw invalid.wrap(`${name} must be in ${min}..${max}, got ${v}`);
    },
    amount(s, what) {
      if (!AMOUNT.test(s)) throw invalid.wrap(`${what} must be a decimal integer of uinf, got ${JSON.stringify(s)}`);
      return BigInt(s);
    },
  };
}
