/**
 * Sealed results (SPEC §4 "inference"): a worker posts a commitment to its result and the result
 * encrypted to the job's client, so no verifier or other worker can read (and copy) it before it
 * has committed its own. Pure and deterministic given its inputs: the chain, the client and the
 * sidecar all use these functions.
 *
 *   commitment    = sha256("infer/result" ‖ u64be(job_id) ‖ worker_addr20 ‖ output ‖ salt)
 *   shared        = x-coordinate of ECDH(eph_secret, client_pub)                (32 bytes)
 *   okm           = HKDF-SHA256(ikm = shared, salt = eph_pub33,
 *                               info = "inferchain/seal/v1" ‖ u64be(job_id), 44 bytes)
 *   key, nonce    = okm[0..32], okm[32..44]
 *   sealed_output = eph_pub33 ‖ AES-256-GCM(key, nonce, output ‖ salt)        (ciphertext ‖ 16-byte tag)
 *
 * `output` is the canonical QuantizedTensorList (empty for a cannot-run result) and `salt` 32
 * bytes. Each ephemeral key seals once, so the nonce can be derived rather than random; that is
 * what lets the chain re-encrypt from the revealed ephemeral secret key (MsgOpenResult) and
 * compare bytes with what the worker posted. Primitives: @noble/curves, @noble/hashes,
 * @noble/ciphers.
 */
import { gcm } from "@noble/ciphers/aes.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { Bech32Prefix, parseAddress } from "../../base/types/address";
import { u64be } from "../../base/types/bytes";

export const RESULT_DOMAIN = "infer/result";
export const SEAL_INFO = "inferchain/seal/v1";
export const SALT_BYTES = 32;
export const COMMITMENT_BYTES = 32;
/** A compressed secp256k1 public key (the client's, the ephemeral one). */
export const PUBKEY_BYTES = 33;
/** A secp256k1 secret key (MsgOpenResult.ephemeral_key). */
export const SECRET_KEY_BYTES = 32;
export const GCM_TAG_BYTES = 16;
const KEY_BYTES = 32;
const NONCE_BYTES = 12;

/** What sealing adds to an output: the ephemeral key, the salt and the tag (81 bytes). */
export const SEAL_OVERHEAD = PUBKEY_BYTES + SALT_BYTES + GCM_TAG_BYTES;

/** The sealed size of an output of `outputBytes` bytes (a cannot-run result seals to SEAL_OVERHEAD). */
export function sealedLength(outputBytes: bigint): bigint {
  return BigInt(SEAL_OVERHEAD) + outputBytes;
}

/** Opening failed: not sealed to this key, tampered with, or not a sealed output at all. */
export class SealError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SealError";
  }
}

export function resultCommitment(jobId: bigint, worker: string, output: Uint8Array, salt: Uint8Array): Uint8Array {
  if (salt.length !== SALT_BYTES) throw new SealError(`salt must be ${SALT_BYTES} bytes, got ${salt.length}`);
  return sha256(concatBytes(utf8ToBytes(RESULT_DOMAIN), u64be(jobId), parseAddress(worker, Bech32Prefix.account, "worker"), output, salt));
}

/** AES-256-GCM key and nonce of one sealed output. */
function cipherFor(jobId: bigint, shared: Uint8Array, ephemeralPubkey: Uint8Array): ReturnType<typeof gcm> {
  const okm = hkdf(sha256, shared, ephemeralPubkey, concatBytes(utf8ToBytes(SEAL_INFO), u64be(jobId)), KEY_BYTES + NONCE_BYTES);
  return gcm(okm.subarray(0, KEY_BYTES), okm.subarray(KEY_BYTES));
}

/** The x-coordinate of secret × public (the ECDH shared secret both sides compute). */
function ecdhX(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return secp256k1.getSharedSecret(secretKey, publicKey, true).subarray(1);
}

/** A compressed point on the curve (not just 33 bytes that start with 2 or 3). */
export function isValidPubkey(pubkey: Uint8Array): boolean {
  return pubkey.length === PUBKEY_BYTES && secp256k1.utils.isValidPublicKey(pubkey, true);
}

/** `output ‖ salt` sealed to `clientPubkey` with `ephemeralKey` (a secret key used for this one seal). */
export function sealOutput(jobId: bigint, clientPubkey: Uint8Array, output: Uint8Array, salt: Uint8Array, ephemeralKey: Uint8Array): Uint8Array {
  if (salt.length !== SALT_BYTES) throw new SealError(`salt must be ${SALT_BYTES} bytes, got ${salt.length}`);
  if (!isValidPubkey(clientPubkey)) throw new SealError("the client's public key is not a compressed secp256k1 key");
  if (ephemeralKey.length !== SECRET_KEY_BYTES || !secp256k1.utils.isValidSecretKey(ephemeralKey)) throw new SealError("the ephemeral key is not a secp256k1 secret key");
  const ephemeralPubkey = secp256k1.getPublicKey(ephemeralKey, true);
  const ciphertext = cipherFor(jobId, ecdhX(ephemeralKey, clientPubkey), ephemeralPubkey).encrypt(concatBytes(output, salt));
  return concatBytes(ephemeralPubkey, ciphertext);
}

/**
 * Why `sealed` cannot be a sealed output (too short, or not starting with a compressed public
 * key's prefix byte); undefined if it can. Only the prefix: checking that the point is on the
 * curve costs ~0.1 ms a result, and a worker that seals to no point only makes its own result
 * unopenable (the client challenges; the opening cannot re-encrypt to it: FAULT).
 */
export function sealedOutputProblem(sealed: Uint8Array): string | undefined {
  if (sealed.length < SEAL_OVERHEAD) return `${sealed.length} bytes; a sealed output has at least ${SEAL_OVERHEAD}`;
  if (sealed[0] !== 2 && sealed[0] !== 3) return "it does not start with a compressed secp256k1 public key (0x02 or 0x03)";
  return undefined;
}

/** Decrypts a sealed output with the client's secret key → the output and its salt; throws SealError. */
export function openSealedOutput(jobId: bigint, sealed: Uint8Array, clientSecretKey: Uint8Array): { output: Uint8Array; salt: Uint8Array } {
  const problem = sealedOutputProblem(sealed);
  if (problem !== undefined) throw new SealError(`not a sealed output: ${problem}`);
  const ephemeralPubkey = sealed.subarray(0, PUBKEY_BYTES);
  let plain: Uint8Array;
  try {
    plain = cipherFor(jobId, ecdhX(clientSecretKey, ephemeralPubkey), ephemeralPubkey).decrypt(sealed.subarray(PUBKEY_BYTES));
  } catch (e) {
    throw new SealError(`cannot decrypt the sealed output (not sealed to this key for job ${jobId}, or tampered with): ${(e as Error).message}`);
  }
  const cut = plain.length - SALT_BYTES;
  return { output: plain.slice(0, cut), salt: plain.slice(cut) };
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The chain's check of an opening: sealing `output ‖ salt` again with the revealed ephemeral key
 * gives exactly `sealed`. False for any bad argument (a key that is not a key, a wrong salt size).
 */
export function sealMatches(jobId: bigint, clientPubkey: Uint8Array, sealed: Uint8Array, output: Uint8Array, salt: Uint8Array, ephemeralKey: Uint8Array): boolean {
  if (sealed.length !== output.length + SEAL_OVERHEAD) return false;
  let again: Uint8Array;
  try {
    again = sealOutput(jobId, clientPubkey, output, salt, ephemeralKey);
  } catch (e) {
    if (e instanceof SealError) return false;
    throw e;
  }
  return sameBytes(again, sealed);
}

/** The opening matches the commitment posted with the result. */
export function commitmentMatches(commitment: Uint8Array, jobId: bigint, worker: string, output: Uint8Array, salt: Uint8Array): boolean {
  return salt.length === SALT_BYTES && sameBytes(resultCommitment(jobId, worker, output, salt), commitment);
}
