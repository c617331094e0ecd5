/**
 * A bounded cache in two generations: entries go into `young`; when it holds half the bound,
 * `old` is dropped and `young` becomes `old`. A hit in `old` moves the entry back to `young`,
 * so what is used within the last half-bound of insertions stays. Every operation is O(1).
 *
 * (A Map used as an LRU, deleting its first key on every insert, is not: V8 leaves deleted
 * entries in place until it rehashes, so `keys().next()` walks them all; with 200,000 entries
 * a commit of a large block spent most of its time there.)
 */
export class GenerationalCache<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly half: number;

  /** At most `max` entries (≥ 2). */
  constructor(max: number) {
    if (!(max >= 2)) throw new Error("cache: max must be at least 2");
    this.half = Math.floor(max / 2);
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  get(k: K): V | undefined {
    const y = this.young.get(k);
    if (y !== undefined) return y;
    const o = this.old.get(k);
    if (o === undefined) return undefined;
    this.old.delete(k);
    this.insert(k, o);
    return o;
  }

  has(k: K): boolean {
    return this.young.has(k) || this.old.has(k);
  }

  set(k: K, v: V): void {
    this.old.delete(k);
    this.insert(k, v);
  }

  delete(k: K): void {
    this.young.delete(k);
    this.old.delete(k);
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }

  private insert(k: K, v: V): void {
    if (!this.young.has(k) && this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(k, v);
  }
}
