/**
 * Building blocks for readable store keys with numbers in them, and for the values every module
 * stores the same way. Each module's `keys.ts` still builds its own keys (keys are public API);
 * these only keep the number encoding one thing.
 *
 *   <prefix><pad20 id>                   an id-ordered record or index entry
 *   <prefix><pad20 height>/<pad20 id>    a height queue: what is due at a height, by id
 */
import type { KVReader, KVStore } from "./kv";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Zero-padded to 20 digits (2^64 − 1 has 20), so that key order is numeric order. */
export const pad20 = (n: bigint): string => n.toString().padStart(20, "0");

/** The number that ends a key built with pad20 (an id or an index). */
export const trailingNumber = (key: string): bigint => BigInt(key.slice(key.length - 20));

/** A height queue's key: `<prefix><height>/<id>`. */
export const queueKey = (prefix: string, height: bigint, id: bigint): string => `${prefix}${pad20(height)}/${pad20(id)}`;

/** `<prefix><height>/<id>` → [height, id]. */
export function parseQueueKey(prefix: string, key: string): [bigint, bigint] {
  const rest = key.slice(prefix.length);
  return [BigInt(rest.slice(0, 20)), BigInt(rest.slice(21, 41))];
}

/**
 * A height queue's entries with height ≤ `height` (at most `limit`), as [height, id] in key
 * order; the walk stops at the first later entry, so only what is due is read.
 */
export function dueQueueEntries(s: KVReader, prefix: string, height: bigint, limit = Infinity): Array<[bigint, bigint]> {
  const out: Array<[bigint, bigint]> = [];
  if (limit <= 0) return out;
  for (const [k] of s.iterate(prefix)) {
    const [h, id] = parseQueueKey(prefix, k);
    if (h > height) break;
    out.push([h, id]);
    if (out.length >= limit) break;
  }
  return out;
}

/** A counter (the next id) stored as decimal ASCII; absent, it reads 1 (ids start at 1). */
export function getCounter(s: KVReader, key: string): bigint {
  const raw = s.get(key);
  return raw ? BigInt(dec.decode(raw)) : 1n;
}

export function setCounter(s: KVStore, key: string, value: bigint): void {
  s.set(key, enc.encode(value.toString()));
}
