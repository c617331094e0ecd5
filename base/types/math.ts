/**
 * Fixed-point fractions (cosmossdk.io/math's role here). State code keeps fractions as integer
 * parts per million (SPEC §3) and rounds down; the Cosmos wire carries a `Dec` as integer
 * "atomics" with 18 implied decimals.
 */

/** 10^6: fractions are parts per million. */
export const PPM = 1_000_000n;

/** ⌊amount × ppm / 10^6⌋. */
export function mulPpm(amount: bigint, ppm: bigint): bigint {
  return (amount * ppm) / PPM;
}

/** 10^18: one in Cosmos `Dec` atomics (also the share unit of a first delegation). */
export const DEC_ONE = 10n ** 18n;
/** 10^12: a Cosmos `Dec`'s atomics per ppm. */
export const ATOMICS_PER_PPM = DEC_ONE / PPM;

export function ppmToAtomics(ppm: bigint): bigint {
  return ppm * ATOMICS_PER_PPM;
}

/** A Cosmos Dec wire string (atomics) → ppm; undefined unless it is a decimal integer that ppm represents exactly. */
export function atomicsToPpm(atomics: string): bigint | undefined {
  if (!/^[0-9]{1,40}$/.test(atomics)) return undefined;
  const a = BigInt(atomics);
  return a % ATOMICS_PER_PPM === 0n ? a / ATOMICS_PER_PPM : undefined;
}
