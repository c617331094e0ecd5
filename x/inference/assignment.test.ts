import { blake3 } from "@noble/hashes/blake3.js";
import { assignmentSeed, drawBelow, eligibleWorkers, pickByStake, sampleWorker, u64be } from "./assignment";
import type { ModelWorker } from "./expectedKeepers";
import { testValidatorAddrs, testWorker } from "./testutil";

const M = 1_000_000n;

function worker(i: number, tokens: bigint): ModelWorker {
  return { operator: testValidatorAddrs(i).operator, worker: testWorker(i), tokens };
}

const hashOf = (n: number): Uint8Array => blake3(new TextEncoder().encode(`block ${n}`));

describe("assignment seed and draw", () => {
  test("seed = BLAKE3(\"infer/assign\" ‖ block_hash ‖ u64be(job_id))", () => {
    const hash = hashOf(1);
    const want = blake3(new Uint8Array([...new TextEncoder().encode("infer/assign"), ...hash, 0, 0, 0, 0, 0, 0, 0x01, 0x02]));
    expect(Buffer.from(assignmentSeed(hash, 0x0102n)).toString("hex")).toBe(Buffer.from(want).toString("hex"));
    expect(assignmentSeed(hash, 1n)).not.toEqual(assignmentSeed(hash, 2n));
    expect(assignmentSeed(hash, 1n)).not.toEqual(assignmentSeed(hashOf(2), 1n));
  });

  test("u64be is 8 big-endian bytes and refuses what is not a u64", () => {
    expect([...u64be(1n)]).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect([...u64be((1n << 64n) - 1n)]).toEqual([255, 255, 255, 255, 255, 255, 255, 255]);
    expect(() => u64be(1n << 64n)).toThrow();
    expect(() => u64be(-1n)).toThrow();
  });

  test("the draw is ⌊u128(seed[0..16]) × total / 2^128⌋: the extremes map to 0 and total − 1", () => {
    expect(drawBelow(new Uint8Array(32), 1000n)).toBe(0n);
    expect(drawBelow(new Uint8Array(32).fill(0xff), 1000n)).toBe(999n);
    // Exactly half way: 0x80 00 … → total / 2.
    const half = new Uint8Array(32);
    half[0] = 0x80;
    expect(drawBelow(half, 1000n)).toBe(500n);
    // Bytes past the 16th do not matter.
    const a = new Uint8Array(32).fill(7);
    const b = Uint8Array.from(a);
    b[20] = 9;
    expect(drawBelow(a, 123_456_789n)).toBe(drawBelow(b, 123_456_789n));
    // No modulo: a u64-mod draw would give 0x0707…07 mod 3 = 2 here; the product gives ⌊3 × 0.027…⌋ = 0.
    expect(drawBelow(a, 3n)).toBe(0n);
    expect(() => drawBelow(a, 0n)).toThrow();
  });
});

describe("stake-weighted sampling", () => {
  const stakes = [1n, 2n, 3n, 4n].map((s) => s * 1000n * M);
  const all = stakes.map((s, i) => worker(i, s));
  const total = stakes.reduce((a, b) => a + b, 0n);

  test("over 2000 seeded draws each validator's share is within 3 points of its stake share", () => {
    const counts = new Map<string, number>();
    const hash = hashOf(42);
    for (let id = 1; id <= 2000; id++) {
      const w = sampleWorker(hash, BigInt(id), all, []);
      counts.set(w!.operator, (counts.get(w!.operator) ?? 0) + 1);
    }
    for (const [i, w] of all.entries()) {
      const share = (counts.get(w.operator) ?? 0) / 2000;
      const want = Number(stakes[i]) / Number(total);
      expect(Math.abs(share - want)).toBeLessThan(0.03);
    }
  });

  test("deterministic: the same block hash and job id give the same pick, whatever order staking lists workers in", () => {
    const hash = hashOf(7);
    for (let id = 1n; id <= 50n; id++) {
      const a = sampleWorker(hash, id, all, []);
      const b = sampleWorker(hash, id, [...all].reverse(), []);
      expect(b).toEqual(a);
      expect(sampleWorker(hash, id, all, [])).toEqual(a);
    }
  });

  test("the walk is in operator-address order: the draw lands in the stake interval of the sorted list", () => {
    const sorted = eligibleWorkers(all, []);
    expect(sorted.map((w) => w.operator)).toEqual([...all.map((w) => w.operator)].sort());
    const t = sorted.reduce((s, w) => s + w.tokens, 0n);
    // A draw just below the first worker's stake picks it; at its stake, the next.
    expect(pickByStake(sorted, sorted[0].tokens - 1n)).toEqual(sorted[0]);
    expect(pickByStake(sorted, sorted[0].tokens)).toEqual(sorted[1]);
    expect(pickByStake(sorted, t - 1n)).toEqual(sorted[sorted.length - 1]);
    expect(() => pickByStake(sorted, t)).toThrow();
  });

  test("never an operator already tried; the rest keep their relative weights", () => {
    const hash = hashOf(9);
    const tried = [all[3].operator, all[1].operator];
    const counts = new Map<string, number>();
    for (let id = 1; id <= 1000; id++) {
      const w = sampleWorker(hash, BigInt(id), all, tried)!;
      expect(tried).not.toContain(w.operator);
      counts.set(w.operator, (counts.get(w.operator) ?? 0) + 1);
    }
    // Left: stakes 1 and 3 → shares 25% / 75%.
    expect(Math.abs((counts.get(all[0].operator) ?? 0) / 1000 - 0.25)).toBeLessThan(0.04);
    expect(Math.abs((counts.get(all[2].operator) ?? 0) / 1000 - 0.75)).toBeLessThan(0.04);
  });

  test("nobody eligible: no workers, all tried, or no stake → undefined", () => {
    const hash = hashOf(3);
    expect(sampleWorker(hash, 1n, [], [])).toBeUndefined();
    expect(sampleWorker(hash, 1n, all, all.map((w) => w.operator))).toBeUndefined();
    expect(sampleWorker(hash, 1n, [worker(0, 0n), worker(1, 0n)], [])).toBeUndefined();
    // A zero-stake worker is never drawn next to one with stake.
    for (let id = 1n; id <= 20n; id++) expect(sampleWorker(hash, id, [worker(0, 0n), worker(1, 5n)], [])?.operator).toBe(all[1].operator);
  });
});
