/** Option parsing the benchmarks share (commander's argParser). */
import { InvalidArgumentError } from "commander";

/** A non-negative integer option value; commander reports the error with the option's name. */
export function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`not a non-negative integer: ${v}`);
  return n;
}
