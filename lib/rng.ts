/**
 * mulberry32: a small, fast seeded PRNG for tests, fuzzers, benchmarks and the calibration
 * battery (lib/calibrate.ts), so a run can be repeated from its printed seed; 32-bit integer
 * steps, the same sequence on every machine. Never used by the chain (state-machine code has
 * no randomness). test/support/rng.ts re-exports it for the tests.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
