/**
 * Stake-weighted worker sampling (SPEC §4 "inference"), pure and integer-only.
 *
 *   seed  = BLAKE3("infer/assign" ‖ block_hash ‖ u64be(job_id))
 *   r     = the seed's first 16 bytes as a big-endian u128
 *   draw  = ⌊r × total / 2^128⌋                      (0 ≤ draw < total)
 *   pick  = the first candidate, in operator-address order, whose running stake sum > draw
 *
 * Candidates are the validators staking lists for the model (bonded, unjailed, worker serves
 * it) minus every operator already tried for this job (sampling without replacement across
 * attempts), minus any with no tokens, and minus any whose stake cannot secure the job's fee
 * (x/challenge's per-job economic security: `securingWorkers`; the stake weights are the same
 * bonded tokens, so among those that remain a larger stake is still proportionally likelier). The draw is a 128-bit multiply-and-shift rather than
 * `u64 mod total`: a modulo of a 64-bit number by a total of ~10^17 uinf would favour low
 * draws by up to total/2^64 ≈ 0.5%; the 128-bit product's bias is below total/2^128, and it
 * needs no rejection loop. The block hash is known to the proposer (see SPEC "Randomness
 * caveat"); the job id keeps draws within one block independent.
 */
import { u64be } from "../../base/types/bytes";
import { blake3 } from "@noble/hashes/blake3.js";
import type { ModelWorker } from "./expectedKeepers";

export const ASSIGN_DOMAIN = "infer/assign";
const TWO_128 = 1n << 128n;

export { u64be };

export function assignmentSeed(blockHash: Uint8Array, jobId: bigint): Uint8Array {
  const domain = new TextEncoder().encode(ASSIGN_DOMAIN);
  const msg = new Uint8Array(domain.length + blockHash.length + 8);
  msg.set(domain, 0);
  msg.set(blockHash, domain.length);
  msg.set(u64be(jobId), domain.length + blockHash.length);
  return blake3(msg);
}

/** ⌊u128be(seed[0..16]) × total / 2^128⌋: uniform on [0, total) up to total/2^128. */
export function drawBelow(seed: Uint8Array, total: bigint): bigint {
  if (seed.length < 16) throw new Error("drawBelow: seed shorter than 16 bytes");
  if (total <= 0n) throw new Error("drawBelow: total must be positive");
  let r = 0n;
  for (let i = 0; i < 16; i++) r = (r << 8n) | BigInt(seed[i]);
  return (r * total) / TWO_128;
}

/** Byte order of two ASCII strings (bech32 addresses), never locale order. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A worker able to secure a job, with the audit rate (ppm) the job would get on it. */
export interface SecuringWorker extends ModelWorker {
  readonly auditRatePpm: bigint;
}

/**
 * The workers that can secure a job: each with the rate `rateOf` gives it (x/challenge's
 * `jobAuditRate` for the job's fee and the worker's tokens); those it gives none are left out.
 */
export function securingWorkers(all: readonly ModelWorker[], rateOf: (w: ModelWorker) => bigint | undefined): SecuringWorker[] {
  const out: SecuringWorker[] = [];
  for (const w of all) {
    const auditRatePpm = rateOf(w);
    if (auditRatePpm !== undefined) out.push({ ...w, auditRatePpm });
  }
  return out;
}

/** The workers a job may be given: not tried before, with stake, in operator-address order. */
export function eligibleWorkers<W extends ModelWorker>(all: readonly W[], tried: readonly string[]): W[] {
  const skip = new Set(tried);
  return all.filter((w) => !skip.has(w.operator) && w.tokens > 0n).sort((a, b) => compare(a.operator, b.operator));
}

/** The candidate whose stake interval holds `draw`; `candidates` sorted, `draw` < their total. */
export function pickByStake<W extends ModelWorker>(candidates: readonly W[], draw: bigint): W {
  let cumulative = 0n;
  for (const c of candidates) {
    cumulative += c.tokens;
    if (draw < cumulative) return c;
  }
  throw new Error(`pickByStake: draw ${draw} is not below the total stake ${cumulative}`);
}

/** Draws the worker for `jobId` in the block with `blockHash`; undefined when nobody is eligible. */
export function sampleWorker<W extends ModelWorker>(blockHash: Uint8Array, jobId: bigint, all: readonly W[], tried: readonly string[]): W | undefined {
  const candidates = eligibleWorkers(all, tried);
  const total = candidates.reduce((sum, c) => sum + c.tokens, 0n);
  if (total === 0n) return undefined;
  return pickByStake(candidates, drawBelow(assignmentSeed(blockHash, jobId), total));
}
