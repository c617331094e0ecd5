/**
 * The verification commitment (SPEC §4 "challenge"): a verifier commits to
 * `sha256(output ‖ salt ‖ verifier_addr20)` before anyone reveals, where `output` is the
 * canonical QuantizedTensorList it computed (empty when it cannot run the input), `salt` 32
 * random bytes and `verifier_addr20` the 20 address bytes of its worker key, so a commitment can
 * be neither guessed from the output nor copied by another verifier. The sidecar uses the same
 * function.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { parseAddress } from "../../base/types/address";

export const SALT_BYTES = 32;
export const COMMITMENT_BYTES = 32;

export function verificationCommitment(output: Uint8Array, salt: Uint8Array, verifier: string): Uint8Array {
  const addr = parseAddress(verifier, undefined, "verifier");
  const msg = new Uint8Array(output.length + salt.length + addr.length);
  msg.set(output, 0);
  msg.set(salt, output.length);
  msg.set(addr, output.length + salt.length);
  return sha256(msg);
}
