import { mulberry32 } from "../../test/support/rng";
import { createHash } from "node:crypto";
import { createMPT } from "@ethereumjs/mpt";
import { BatchMPT, decodeNode } from "./mpt";

const sha256 = (b: Uint8Array): Uint8Array => createHash("sha256").update(b).digest();
const enc = new TextEncoder();
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** A seeded PRNG drawing integers below n. */
function rng(seed: number): (n: number) => number {
  const r = mulberry32(seed);
  return (n) => Math.floor(r() * n);
}

/**
 * The reference: @ethereumjs/mpt as the store configured it before BatchMPT (SHA-256 keys and
 * nodes, raw values), one key at a time. Every batch's root must be its root.
 */
async function compare(seed: number, rounds: number, keySpace: number, maxBatch: number): Promise<void> {
  const ref = await createMPT({ useKeyHashing: true, useKeyHashingFunction: sha256 });
  const nodes = new Map<string, Uint8Array>();
  const mpt = new BatchMPT((h) => {
    const n = nodes.get(h);
    if (!n) throw new Error(`missing node ${h}`);
    return n;
  });
  const r = rng(seed);
  let root = BatchMPT.EMPTY_ROOT_HEX;
  for (let round = 0; round < rounds; round++) {
    const batch = new Map<string, Uint8Array | null>();
    const n = r(maxBatch + 1);
    for (let i = 0; i < n; i++) {
      // Values of 1 byte (< 0x80 encodes as itself), short and ≥ 56 bytes (long RLP strings):
      // leaves both under and over 32 bytes.
      const len = [1, 1 + r(20), 56 + r(100)][r(3)];
      batch.set(`k/${r(keySpace)}`, r(3) === 0 ? null : new Uint8Array(len).fill(r(256)));
    }
    for (const [k, v] of batch) {
      if (v === null) await ref.del(enc.encode(k));
      else await ref.put(enc.encode(k), v);
    }
    const writes = [...batch].map(([k, v]) => ({ key: BatchMPT.hashKey(enc.encode(k)), value: v }));
    root = hex(mpt.update(root, writes, (h, node) => nodes.set(h, node)));
    expect(root).toBe(hex(ref.root()));
  }
}

describe("BatchMPT", () => {
  test("an empty trie has @ethereumjs/mpt's empty root", async () => {
    const ref = await createMPT({ useKeyHashing: true, useKeyHashingFunction: sha256 });
    expect(hex(BatchMPT.EMPTY_ROOT)).toBe(hex(ref.EMPTY_TRIE_ROOT));
  });

  test("roots equal @ethereumjs/mpt's after every batch of random puts and deletes (small key space: deep collapses)", async () => {
    await compare(1, 400, 40, 12);
  });

  test("roots equal @ethereumjs/mpt's with large batches over a larger key space", async () => {
    await compare(7, 60, 3000, 400);
  });

  test("deleting every key returns the empty root; nodes it hands out decode back", async () => {
    const nodes = new Map<string, Uint8Array>();
    const mpt = new BatchMPT((h) => nodes.get(h)!);
    const keys = Array.from({ length: 50 }, (_, i) => BatchMPT.hashKey(enc.encode(`x/${i}`)));
    const root = hex(mpt.update(BatchMPT.EMPTY_ROOT_HEX, keys.map((key) => ({ key, value: Uint8Array.of(1, 2, 3) })), (h, n) => nodes.set(h, n)));
    for (const [h, n] of nodes) {
      expect(hex(sha256(n))).toBe(h);
      expect(() => decodeNode(n)).not.toThrow();
    }
    expect(hex(mpt.update(root, keys.map((key) => ({ key, value: null })), () => undefined))).toBe(BatchMPT.EMPTY_ROOT_HEX);
  });

  test("a key twice in one batch is refused", () => {
    const mpt = new BatchMPT(() => {
      throw new Error("no nodes");
    });
    const key = BatchMPT.hashKey(enc.encode("a"));
    expect(() => mpt.update(BatchMPT.EMPTY_ROOT_HEX, [{ key, value: Uint8Array.of(1) }, { key, value: null }], () => undefined)).toThrow(/twice/);
  });
});
