/**
 * The rules of an input by reference (SPEC §4 "Data availability"): a job names an http(s) URI
 * and the hex sha256 of the canonical QuantizedTensorList found there instead of carrying the
 * bytes. Stateless and pure, so MsgSubmitJob's validateBasic, genesis, the CLI and the sidecar
 * apply the same rules. The chain never fetches the URI: the hash is what binds the job to its
 * input, and the assigned worker must post bytes matching it when asked (x/challenge).
 */
import { createHash } from "node:crypto";

/** Longest input_uri (bytes); a URI is ASCII, so characters. */
export const MAX_INPUT_URI_BYTES = 512;

/**
 * `http://` or `https://`, a non-empty host, then only printable ASCII without spaces (no
 * control characters to smuggle into logs or HTTP requests; non-ASCII must be percent-encoded).
 */
const URI = /^https?:\/\/[A-Za-z0-9._~%!$&'()*+,;=:@[\]-]+(?:[/?#][\x21-\x7e]*)?$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Why `uri` is not a valid input_uri, or undefined. */
export function inputUriProblem(uri: string): string | undefined {
  if (uri.length > MAX_INPUT_URI_BYTES) return `input_uri is ${uri.length} characters; at most ${MAX_INPUT_URI_BYTES}`;
  if (!URI.test(uri)) return `input_uri must be an http:// or https:// URI of printable ASCII with a host, got "${uri.slice(0, 80)}"`;
  return undefined;
}

/** Why `hex` is not a valid input_sha256 (64 lowercase hex digits), or undefined. */
export function inputSha256Problem(hex: string): string | undefined {
  return SHA256_HEX.test(hex) ? undefined : `input_sha256 must be 64 lowercase hex digits, got "${hex.slice(0, 80)}"`;
}

/** Lowercase hex sha256 of `bytes` (the form input_sha256 and output_sha256 take). */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
