/**
 * The chain's randomness for disputes (SPEC §4 "challenge"), pure and integer-only.
 *
 * Audits. A result included at height h is audited iff
 *   u64be(BLAKE3("infer/audit" ‖ block_hash(h+1) ‖ u64be(job_id))[0..8]) < rate × 2^64 / 10^6
 * where rate is the job's own audit rate (security.ts: raised above audit_rate_ppm for a fee
 * large against its worker's stake, fixed at assignment), decided in the EndBlock of h+1: the hash of h+1 did not exist when the worker submitted, so it
 * cannot fake only the results that will not be audited. (The threshold is floored; at 10^6 ppm
 * it is 2^64 and every result is audited.)
 *
 * Verifiers. Round `round` of dispute `dispute_id` is drawn in the EndBlock after the block that
 * opened it (or the appeal, or the failed round), from
 *   seed = BLAKE3("infer/verify" ‖ block_hash ‖ u64be(dispute_id) ‖ u32be(round))
 * stake-weighted without replacement: the j-th pick (j = 0, 1, …) takes
 *   r_j  = u128be(BLAKE3(seed ‖ u32be(j))[0..16]),  draw_j = ⌊r_j × remaining_stake / 2^128⌋
 * and the first remaining candidate, in operator-address order, whose running stake sum exceeds
 * draw_j — x/inference's assignment rule (a 128-bit multiply-shift, no modulo bias worth the
 * name) applied once per seat, each pick removed before the next. Candidates are the validators
 * staking lists for the model (bonded, unjailed, worker serves it) with stake, minus the
 * excluded ones (abci.ts: the job's worker and client, the challenger and every appellant, and
 * every earlier round's verifiers). Fewer candidates than seats: all are drawn.
 */
import { u32be, u64be } from "../../base/types/bytes";
import { blake3 } from "@noble/hashes/blake3.js";
import { PPM } from "../../base/types/math";
import type { ModelWorker } from "./expectedKeepers";

export const AUDIT_DOMAIN = "infer/audit";
export const VERIFY_DOMAIN = "infer/verify";
const TWO_128 = 1n << 128n;
const enc = new TextEncoder();

export { u32be, u64be };

function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The first `n` bytes as a big-endian unsigned integer. */
function uintBe(b: Uint8Array, n: number): bigint {
  let r = 0n;
  for (let i = 0; i < n; i++) r = (r << 8n) | BigInt(b[i]);
  return r;
}

// ---------------------------------------------------------------- audits

export function auditSeed(blockHash: Uint8Array, jobId: bigint): Uint8Array {
  return blake3(concat(enc.encode(AUDIT_DOMAIN), blockHash, u64be(jobId)));
}

/** ⌊audit_rate_ppm × 2^64 / 10^6⌋: a result is audited iff its 64-bit draw is below this. */
export function auditThreshold(auditRatePpm: bigint): bigint {
  return (auditRatePpm << 64n) / PPM;
}

/** Is the result of `jobId` audited, in the block with hash `blockHash` (the block after the result's)? */
export function isAudited(blockHash: Uint8Array, jobId: bigint, auditRatePpm: bigint): boolean {
  return uintBe(auditSeed(blockHash, jobId), 8) < auditThreshold(auditRatePpm);
}

// ---------------------------------------------------------------- verifiers

export function verifySeed(blockHash: Uint8Array, disputeId: bigint, round: number): Uint8Array {
  return blake3(concat(enc.encode(VERIFY_DOMAIN), blockHash, u64be(disputeId), u32be(round)));
}

/** Byte order of two ASCII strings (bech32 addresses), never locale order. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The validators a round may draw: with stake, not excluded (an excluded address may name the
 * operator, its account — same bytes — or its worker key; `accountOf` maps an operator to its
 * account), in operator-address order.
 */
export function eligibleVerifiers(all: readonly ModelWorker[], excluded: ReadonlySet<string>, accountOf: (operator: string) => string): ModelWorker[] {
  return all
    .filter((w) => w.tokens > 0n && !excluded.has(w.operator) && !excluded.has(w.worker) && !excluded.has(accountOf(w.operator)))
    .sort((a, b) => compare(a.operator, b.operator));
}

/** Draws up to `seats` of `candidates` (sorted, as `eligibleVerifiers` returns them) from `seed`, in draw order. */
export function drawVerifiers(seed: Uint8Array, candidates: readonly ModelWorker[], seats: number): ModelWorker[] {
  const left = [...candidates];
  let total = left.reduce((sum, c) => sum + c.tokens, 0n);
  const out: ModelWorker[] = [];
  for (let j = 0; j < seats && left.length > 0 && total > 0n; j++) {
    const draw = (uintBe(blake3(concat(seed, u32be(j))), 16) * total) / TWO_128;
    let cumulative = 0n;
    let i = 0;
    for (; i < left.length; i++) {
      cumulative += left[i].tokens;
      if (draw < cumulative) break;
    }
    if (i === left.length) throw new Error(`drawVerifiers: draw ${draw} is not below the total stake ${total}`);
    const [picked] = left.splice(i, 1);
    total -= picked.tokens;
    out.push(picked);
  }
  return out;
}
