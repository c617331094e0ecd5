/**
 * The key/value view every keeper works on. Keys are readable ASCII paths built only in each
 * module's `keys.ts` (`bank/balances/<addr>/<denom>`), so string order is byte order and
 * iteration is deterministic. Values are canonical protobuf bytes.
 */
import BTree from "sorted-btree";

export interface KVReader {
  get(key: string): Uint8Array | undefined;
  has(key: string): boolean;
  /** Entries whose key starts with `prefix`, in byte order (descending when `reverse`). */
  iterate(prefix: string, reverse?: boolean): IterableIterator<[string, Uint8Array]>;
}

export interface KVStore extends KVReader {
  set(key: string, value: Uint8Array): void;
  delete(key: string): void;
}

/** The largest code unit a key may hold; keys are ASCII so that string order is byte order. */
const MAX_KEY_CHAR = 0x7e;
export const PREFIX_END = "\u007f";

/** Values are never empty: the Merkle tree cannot prove an empty value. */
export function checkValue(key: string, value: Uint8Array): void {
  if (value.length === 0) throw new Error(`store: empty value for ${key}`);
}

export function checkKey(key: string): void {
  if (key.length === 0) throw new Error("store: empty key");
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x20 || c > MAX_KEY_CHAR) throw new Error(`store: key ${JSON.stringify(key)} is not printable ASCII`);
  }
}

/** An ordered in-memory map; the committed state and the Merkle tree's input. */
export class MemKV implements KVStore {
  private readonly tree = new BTree<string, Uint8Array>();

  get size(): number {
    return this.tree.size;
  }
  get(key: string): Uint8Array | undefined {
    return this.tree.get(key);
  }
  has(key: string): boolean {
    return this.tree.has(key);
  }
  set(key: string, value: Uint8Array): void {
    checkKey(key);
    checkValue(key, value);
    this.tree.set(key, value);
  }
  delete(key: string): void {
    this.tree.delete(key);
  }
  /** An entry read back from disk, where it was checked when written (opening the store). */
  load(key: string, value: Uint8Array): void {
    this.tree.set(key, value);
  }
  *iterate(prefix: string, reverse = false): IterableIterator<[string, Uint8Array]> {
    if (reverse) {
      for (const [k, v] of this.tree.entriesReversed(prefix + PREFIX_END)) {
        if (k >= prefix + PREFIX_END) continue;
        if (!k.startsWith(prefix)) return;
        yield [k, v];
      }
      return;
    }
    for (const [k, v] of this.tree.entries(prefix)) {
      if (!k.startsWith(prefix)) return;
      yield [k, v];
    }
  }
  /**
   * Entries under `prefix` from `start` (inclusive) on: keys ≥ start, or ≤ start when
   * `reverse`. A seek in the B-tree, so a page deep in a prefix costs O(log n), not a walk
   * (query pagination, base/pagination.ts).
   */
  *iterateFrom(prefix: string, start: string, reverse = false): IterableIterator<[string, Uint8Array]> {
    if (reverse) {
      const hi = start < prefix + PREFIX_END ? start : prefix + PREFIX_END;
      for (const [k, v] of this.tree.entriesReversed(hi)) {
        if (k > hi) continue;
        if (!k.startsWith(prefix)) return;
        yield [k, v];
      }
      return;
    }
    for (const [k, v] of this.tree.entries(start > prefix ? start : prefix)) {
      if (!k.startsWith(prefix)) return;
      yield [k, v];
    }
  }
}

/**
 * A write-back cache over a parent store: reads fall through, writes stay here until
 * `write()` pushes them down, or the branch is dropped (a failed tx or message).
 */
export class Branch implements KVStore {
  private readonly writes = new Map<string, Uint8Array | null>();

  constructor(private readonly parent: KVReader & Partial<Pick<KVStore, "set" | "delete">>) {}

  get(key: string): Uint8Array | undefined {
    const w = this.writes.get(key);
    if (w !== undefined) return w ?? undefined;
    return this.parent.get(key);
  }
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }
  set(key: string, value: Uint8Array): void {
    checkKey(key);
    checkValue(key, value);
    this.writes.set(key, value);
  }
  delete(key: string): void {
    this.writes.set(key, null);
  }

  *iterate(prefix: string, reverse = false): IterableIterator<[string, Uint8Array]> {
    const own = [...this.writes.keys()].filter((k) => k.startsWith(prefix)).sort();
    if (reverse) own.reverse();
    const before = (a: string, b: string): boolean => (reverse ? a > b : a < b);
    let i = 0;
    for (const [k, v] of this.parent.iterate(prefix, reverse)) {
      while (i < own.length && before(own[i], k)) {
        const w = this.writes.get(own[i]);
        if (w) yield [own[i], w];
        i++;
      }
      if (i < own.length && own[i] === k) {
        const w = this.writes.get(k);
        if (w) yield [k, w];
        i++;
        continue;
      }
      yield [k, v];
    }
    for (; i < own.length; i++) {
      const w = this.writes.get(own[i]);
      if (w) yield [own[i], w];
    }
  }

  /** The pending writes in key order (null = delete). */
  changes(): Array<[string, Uint8Array | null]> {
    return [...this.writes.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /** Pushes every write into the parent and empties the branch. */
  write(): void {
    if (!this.parent.set || !this.parent.delete) throw new Error("store: parent is read-only");
    for (const [k, v] of this.writes) {
      if (v === null) this.parent.delete(k);
      else this.parent.set(k, v);
    }
    this.writes.clear();
  }
}
