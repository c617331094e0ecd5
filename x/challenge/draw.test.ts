import { blake3 } from "@noble/hashes/blake3.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { fromBech32 } from "@cosmjs/encoding";
import { accountAddress, operatorAccount } from "../../base/types/address";
import { verificationCommitment } from "./commitment";
import { auditSeed, auditThreshold, drawVerifiers, eligibleVerifiers, isAudited, u32be, u64be, verifySeed } from "./draw";
import type { ModelWorker } from "./expectedKeepers";
import { testAccount, testValidatorAddrs } from "../slashing/testutil";

const M = 1_000_000n;
const enc = new TextEncoder();
const hashOf = (n: number): Uint8Array => blake3(enc.encode(`block ${n}`));
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const testWorker = (i: number): string => testAccount(100 + i);

function worker(i: number, tokens: bigint): ModelWorker {
  return { operator: testValidatorAddrs(i).operator, worker: testWorker(i), tokens };
}

describe("audit selection", () => {
  test("seed = BLAKE3(\"infer/audit\" ‖ block_hash ‖ u64be(job_id)); audited iff its first 8 bytes < rate × 2^64 / 10^6", () => {
    const hash = hashOf(1);
    const want = blake3(new Uint8Array([...enc.encode("infer/audit"), ...hash, 0, 0, 0, 0, 0, 0, 0x01, 0x02]));
    expect(hex(auditSeed(hash, 0x0102n))).toBe(hex(want));
    expect(auditThreshold(1_000_000n)).toBe(1n << 64n);
    expect(auditThreshold(500_000n)).toBe(1n << 63n);
    expect(auditThreshold(0n)).toBe(0n);
    for (let id = 1n; id <= 50n; id++) {
      const draw = BigInt("0x" + hex(auditSeed(hash, id).slice(0, 8)));
      expect(isAudited(hash, id, 500_000n)).toBe(draw < 1n << 63n);
      expect(isAudited(hash, id, 1_000_000n)).toBe(true);
      expect(isAudited(hash, id, 0n)).toBe(false);
    }
  });

  test("over 20000 results the audited share is within 0.5 points of the rate (5%)", () => {
    let audited = 0;
    const n = 20_000;
    for (let id = 1; id <= n; id++) if (isAudited(hashOf(id % 97), BigInt(id), 50_000n)) audited++;
    expect(Math.abs(audited / n - 0.05)).toBeLessThan(0.005);
  });

  test("which results are audited depends on the deciding block's hash: a worker cannot know it when it submits", () => {
    const ids = Array.from({ length: 400 }, (_, i) => BigInt(i + 1));
    const under = (h: Uint8Array): string => ids.filter((id) => isAudited(h, id, 100_000n)).join(",");
    expect(under(hashOf(1))).not.toBe(under(hashOf(2)));
    expect(under(hashOf(1))).toBe(under(hashOf(1)));
  });
});

describe("verifier draw", () => {
  const stakes = [1n, 2n, 3n, 4n, 5n].map((s) => s * 1000n * M);
  const all = stakes.map((s, i) => worker(i, s));

  test("seed = BLAKE3(\"infer/verify\" ‖ block_hash ‖ u64be(dispute_id) ‖ u32be(round))", () => {
    const hash = hashOf(3);
    const want = blake3(new Uint8Array([...enc.encode("infer/verify"), ...hash, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 2]));
    expect(hex(verifySeed(hash, 7n, 2))).toBe(hex(want));
    expect(hex(verifySeed(hash, 7n, 1))).not.toBe(hex(verifySeed(hash, 7n, 2)));
    expect(hex(verifySeed(hash, 7n, 1))).not.toBe(hex(verifySeed(hash, 8n, 1)));
    expect([...u64be(1n)]).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect([...u32be(0x01020304)]).toEqual([1, 2, 3, 4]);
    expect(() => u32be(-1)).toThrow();
    expect(() => u64be(1n << 64n)).toThrow();
  });

  test("deterministic, without replacement, in operator order whatever the input order", () => {
    const seed = verifySeed(hashOf(5), 1n, 1);
    const sorted = eligibleVerifiers(all, new Set(), operatorAccount);
    const shuffled = eligibleVerifiers([...all].reverse(), new Set(), operatorAccount);
    expect(shuffled).toEqual(sorted);
    const a = drawVerifiers(seed, sorted, 3);
    expect(a).toEqual(drawVerifiers(seed, sorted, 3));
    expect(new Set(a.map((w) => w.operator)).size).toBe(3);
    // A different round draws from a different seed.
    const draws = new Set<string>();
    for (let r = 1; r <= 20; r++) draws.add(drawVerifiers(verifySeed(hashOf(5), 1n, r), sorted, 3).map((w) => w.operator).join(","));
    expect(draws.size).toBeGreaterThan(1);
  });

  test("the j-th seat takes u128be(BLAKE3(seed ‖ u32be(j))[0..16]) × remaining stake / 2^128", () => {
    const seed = verifySeed(hashOf(9), 4n, 1);
    const sorted = eligibleVerifiers(all, new Set(), operatorAccount);
    const [first] = drawVerifiers(seed, sorted, 1);
    const r = BigInt("0x" + hex(blake3(new Uint8Array([...seed, 0, 0, 0, 0])).slice(0, 16)));
    const total = stakes.reduce((a, b) => a + b, 0n);
    const draw = (r * total) / (1n << 128n);
    let cum = 0n;
    const want = sorted.find((w) => (cum += w.tokens) > draw);
    expect(first).toEqual(want);
  });

  test("fewer candidates than seats: every candidate is drawn; none: nobody", () => {
    const seed = verifySeed(hashOf(1), 1n, 1);
    const two = eligibleVerifiers(all.slice(0, 2), new Set(), operatorAccount);
    expect(drawVerifiers(seed, two, 7).map((w) => w.operator).sort()).toEqual(two.map((w) => w.operator).sort());
    expect(drawVerifiers(seed, [], 3)).toEqual([]);
  });

  test("exclusions name an operator, its account or its worker key; validators without stake are never drawn", () => {
    const ex = new Set([all[0].operator, operatorAccount(all[1].operator), all[2].worker]);
    const left = eligibleVerifiers([...all, worker(9, 0n)], ex, operatorAccount).map((w) => w.operator);
    expect(left.sort()).toEqual([all[3].operator, all[4].operator].sort());
    // A client account unrelated to any validator excludes nobody.
    expect(eligibleVerifiers(all, new Set([testAccount(1)]), operatorAccount)).toHaveLength(5);
  });

  test("stake-weighted: over 3000 first seats each validator's share is within 3 points of its stake share", () => {
    const sorted = eligibleVerifiers(all, new Set(), operatorAccount);
    const total = stakes.reduce((a, b) => a + b, 0n);
    const counts = new Map<string, number>();
    for (let id = 1; id <= 3000; id++) {
      const [w] = drawVerifiers(verifySeed(hashOf(id % 13), BigInt(id), 1), sorted, 1);
      counts.set(w.operator, (counts.get(w.operator) ?? 0) + 1);
    }
    for (const [i, w] of all.entries()) {
      const share = (counts.get(w.operator) ?? 0) / 3000;
      expect(Math.abs(share - Number(stakes[i]) / Number(total))).toBeLessThan(0.03);
    }
  });

  test("without replacement, a big validator takes one seat only; the others fill the rest", () => {
    const skewed = [worker(0, 1000n * M), worker(1, M), worker(2, M), worker(3, M)];
    const sorted = eligibleVerifiers(skewed, new Set(), operatorAccount);
    for (let id = 1n; id <= 50n; id++) {
      const got = drawVerifiers(verifySeed(hashOf(1), id, 1), sorted, 3).map((w) => w.operator);
      expect(new Set(got).size).toBe(3);
      expect(got).toContain(skewed[0].operator);
    }
  });
});

describe("verification commitment", () => {
  const output = enc.encode("output bytes");
  const salt = new Uint8Array(32).fill(3);
  const v1 = testWorker(1);
  const v2 = testWorker(2);

  test("is sha256(output ‖ salt ‖ verifier address bytes)", () => {
    const addr = fromBech32(v1).data;
    expect(hex(verificationCommitment(output, salt, v1))).toBe(hex(sha256(new Uint8Array([...output, ...salt, ...addr]))));
    expect(accountAddress(addr)).toBe(v1);
  });

  test("binds the output, the salt and the verifier", () => {
    const c = hex(verificationCommitment(output, salt, v1));
    expect(hex(verificationCommitment(enc.encode("output bytez"), salt, v1))).not.toBe(c);
    expect(hex(verificationCommitment(output, new Uint8Array(32).fill(4), v1))).not.toBe(c);
    // Another verifier copying the commitment cannot reveal against it with its own address.
    expect(hex(verificationCommitment(output, salt, v2))).not.toBe(c);
    // A cannot-run commitment (empty output) is a commitment too.
    expect(verificationCommitment(new Uint8Array(), salt, v1)).toHaveLength(32);
  });
});
