/**
 * Float ↔ integer quantization (SPEC §4 "models"): a float x crosses the chain as
 * q = round_half_even(x × 2^scaleBits), an int64. This file holds the only floating-point
 * arithmetic of the scheme, and runs in the sidecar and the CLI, never in the state machine
 * (which is why it lives in lib/, outside the determinism lint of app/ and x/). The chain
 * compares the integers (x/models/divergence.ts) and never sees a float.
 *
 * Quantization is total, so an honest worker can always post a result — a client cannot
 * grief a worker with an input that drives the model to NaN or ±Inf:
 *   - NaN                      → QUANT_NAN (= −2^63, the one int64 no finite value maps to)
 *   - x × 2^s ≥ 2^63, or +Inf   → QUANT_MAX (= 2^63 − 1)
 *   - x × 2^s ≤ −2^63, or −Inf  → QUANT_MIN (= −(2^63 − 1))
 * The metrics then treat them as the extreme integers they are (NaN agrees only with NaN
 * under EXACT/MAX_ABS_DIFF with a finite threshold).
 *
 * Every step is exact in IEEE-754 double arithmetic (scaling by a power of two, floor,
 * subtracting the floor), so every node quantizes the same float to the same integer.
 */

export const MAX_SCALE_BITS = 32;
export const QUANT_NAN = -(1n << 63n);
export const QUANT_MAX = (1n << 63n) - 1n;
export const QUANT_MIN = -QUANT_MAX;
const TWO_63 = 2 ** 63;

function scaleOf(scaleBits: number): number {
  if (!Number.isInteger(scaleBits) || scaleBits < 0 || scaleBits > MAX_SCALE_BITS) {
    throw new RangeError(`scaleBits must be an integer in 0..${MAX_SCALE_BITS}, got ${scaleBits}`);
  }
  return 2 ** scaleBits;
}

const TWO_51 = 2 ** 51;
/** 1.5 × 2^52: adding it to |y| < 2^51 lands in [2^52, 2^53), where doubles are the integers. */
const ROUNDER = 1.5 * 2 ** 52;

/**
 * Round to the nearest integer, ties to even (IEEE "roundTiesToEven"); y must be finite. For
 * |y| < 2^51 the addition of 1.5 × 2^52 rounds (the FPU's own ties-to-even, ROUNDER being
 * even) and the subtraction is exact, with no branch on the fraction that a CPU would
 * mispredict on random values; above, by floor. −0 comes back as +0 on the first path (the
 * callers write integers, where the two are one).
 */
export function roundHalfEven(y: number): number {
  if (y > -TWO_51 && y < TWO_51) return y + ROUNDER - ROUNDER;
  return roundHalfEvenByFloor(y);
}

/** roundHalfEven by floor and the fraction (exact for every finite y; the reference the tests compare with). */
export function roundHalfEvenByFloor(y: number): number {
  const f = Math.floor(y);
  const frac = y - f; // exact: y and floor(y) are within 1 of each other
  if (frac < 0.5) return f;
  if (frac > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** One value; see the file comment for NaN, ±Inf and out-of-range values. */
export function quantizeValue(x: number, scaleBits: number): bigint {
  const scale = scaleOf(scaleBits);
  if (Number.isNaN(x)) return QUANT_NAN;
  const y = x * scale;
  if (y >= TWO_63) return QUANT_MAX;
  if (y <= -TWO_63) return QUANT_MIN;
  // Normalise −0 to 0: BigInt(-0) is 0n anyway, but keep the intent visible.
  return BigInt(roundHalfEven(y) + 0);
}

/** q_i = round_half_even(x_i × 2^scaleBits) as int64, for every value. */
export function quantize(values: ArrayLike<number>, scaleBits: number): bigint[] {
  scaleOf(scaleBits);
  const out = new Array<bigint>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = quantizeValue(values[i], scaleBits);
  return out;
}

/** q / 2^scaleBits as doubles (QUANT_NAN → NaN); within half a step of the value quantized. */
export function dequantize(values: readonly bigint[], scaleBits: number): number[] {
  const scale = scaleOf(scaleBits);
  return values.map((q) => (q === QUANT_NAN ? Number.NaN : Number(q) / scale));
}
