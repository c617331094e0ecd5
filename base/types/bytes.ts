/** Fixed-width big-endian integers, as the chain's hash and seed inputs encode them. */

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 0xffff_ffff;

/** `n` as `len` big-endian bytes (n must fit). */
function be(n: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let v = n;
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** u64 big-endian (ids, heights); throws outside 0..2^64 − 1. */
export function u64be(n: bigint): Uint8Array {
  if (n < 0n || n > U64_MAX) throw new Error(`u64be: ${n} out of range`);
  return be(n, 8);
}

/** u32 big-endian (rounds, seats); throws outside 0..2^32 − 1. */
export function u32be(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > U32_MAX) throw new Error(`u32be: ${n} out of range`);
  return be(BigInt(n), 4);
}
