/**
 * A deterministic block workload for the commit store's tests (test-only): the writes of block
 * `height` are a pure function of the height, so a test can replay the state a killed process
 * committed. Small value pools make keys go back to earlier values (the trie recreates nodes
 * that an older version had), and deletes and re-creations churn the trie's shape.
 */
const enc = new TextEncoder();

function rng(seed: number): () => number {
  let x = (seed * 2654435761) >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

export const WORKLOAD_KEYS = 200;

/** The writes of one block, in key order, one per key (null = delete). */
export function blockWrites(height: number, keys = WORKLOAD_KEYS, perBlock = 30): Array<[string, Uint8Array | null]> {
  const r = rng(height);
  const out = new Map<string, Uint8Array | null>();
  for (let i = 0; i < perBlock; i++) {
    const k = `k/${(r() % keys).toString().padStart(4, "0")}`;
    const pick = r() % 8;
    out.set(k, pick === 0 ? null : enc.encode(`value-${pick % 3}`.repeat(1 + (pick % 2) * 10)));
  }
  return [...out.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** The state after blocks 1..height. */
export function stateAfter(height: number): Map<string, Uint8Array> {
  const s = new Map<string, Uint8Array>();
  for (let h = 1; h <= height; h++) {
    for (const [k, v] of blockWrites(h)) {
      if (v === null) s.delete(k);
      else s.set(k, v);
    }
  }
  return s;
}
