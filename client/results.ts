/**
 * Sealed results, off chain (SPEC §4 "inference"; the format is x/inference/seal.ts). A worker
 * posts a commitment and its output sealed to the job's client key; the client opens it here
 * and checks it against the commitment and the model's output spec (the chain cannot: it never
 * sees the output unless a dispute has it opened). The sidecar seals here too, with an
 * ephemeral key and salt derived from its worker key, so a restarted sidecar can open exactly
 * what it posted without keeping secrets on disk.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { AppError } from "../base/errors";
import type { Job } from "../gen/inferchain/inference/v1/inference";
import type { MsgOpenResult } from "../gen/inferchain/inference/v1/tx";
import { u64be } from "../base/types/bytes";
import { SealError, commitmentMatches, openSealedOutput, resultCommitment, sameBytes, sealOutput } from "../x/inference/seal";
import { decodeOutput, type QuantizedTensor } from "../x/models/tensor";
import type { Model } from "../x/models/types";

/** Why a sealed result did not open (a client that sees one of the last three may challenge the job). */
export type SealedResultProblem = "no_result" | "not_client" | "cannot_decrypt" | "commitment_mismatch" | "output_spec";

export class SealedResultError extends Error {
  constructor(
    readonly jobId: bigint,
    readonly problem: SealedResultProblem,
    message: string,
  ) {
    super(`job ${jobId}: ${message}`);
    this.name = "SealedResultError";
  }

  /** The result itself is bad (not the caller's key or the job's state): grounds for a challenge. */
  get challengeable(): boolean {
    return this.problem === "cannot_decrypt" || this.problem === "commitment_mismatch" || this.problem === "output_spec";
  }
}

export interface OpenedResult {
  /** The canonical QuantizedTensorList (empty for a cannot-run result). */
  readonly output: Uint8Array;
  readonly salt: Uint8Array;
  readonly cannotRun: boolean;
  /** `output` decoded and checked against the model's outputs (empty for a cannot-run result). */
  readonly tensors: QuantizedTensor[];
}

/**
 * Opens a job's sealed result with the client's secret key and checks it: it decrypts, it
 * matches the worker's commitment, and (unless cannot-run) it fits the model's output spec.
 * Throws SealedResultError.
 */
export function openSealedResult(job: Pick<Job, "id" | "worker" | "clientPubkey" | "commitment" | "sealedOutput" | "cannotRun">, model: Model, clientSecretKey: Uint8Array): OpenedResult {
  if (job.sealedOutput.length === 0 || job.commitment.length === 0) throw new SealedResultError(job.id, "no_result", "no sealed result on chain (not answered yet, or pruned)");
  let pub: Uint8Array;
  try {
    pub = secp256k1.getPublicKey(clientSecretKey, true);
  } catch (e) {
    throw new SealedResultError(job.id, "not_client", `not a secp256k1 secret key: ${(e as Error).message}`);
  }
  if (!sameBytes(pub, job.clientPubkey)) throw new SealedResultError(job.id, "not_client", "this key is not the job's client key; only the client can open its result");
  let opened: { output: Uint8Array; salt: Uint8Array };
  try {
    opened = openSealedOutput(job.id, job.sealedOutput, clientSecretKey);
  } catch (e) {
    if (e instanceof SealError) throw new SealedResultError(job.id, "cannot_decrypt", `the worker's sealed output does not open: ${e.message}`);
    throw e;
  }
  if (!commitmentMatches(job.commitment, job.id, job.worker, opened.output, opened.salt)) {
    throw new SealedResultError(job.id, "commitment_mismatch", "the sealed output does not match the worker's commitment");
  }
  if (job.cannotRun) {
    if (opened.output.length > 0) throw new SealedResultError(job.id, "output_spec", "a cannot-run result with an output");
    return { output: opened.output, salt: opened.salt, cannotRun: true, tensors: [] };
  }
  let tensors: QuantizedTensor[];
  try {
    tensors = decodeOutput(model, opened.output);
  } catch (e) {
    if (e instanceof AppError) throw new SealedResultError(job.id, "output_spec", `the output does not fit ${model.id}'s output spec: ${e.message}`);
    throw e;
  }
  return { output: opened.output, salt: opened.salt, cannotRun: false, tensors };
}

const SECRETS_INFO = "inferchain/seal-secrets/v1";

/**
 * The ephemeral key and salt a worker seals job `jobId`'s `output` with: HKDF-SHA256 of its
 * worker secret key, over the job id and the output's sha256. Deterministic, so a restarted
 * sidecar derives them again to open; bound to the output, so two different outputs for one
 * job (a retry after a fault) never share a key and nonce.
 */
export function deriveSealSecrets(workerSecretKey: Uint8Array, jobId: bigint, output: Uint8Array): { ephemeralKey: Uint8Array; salt: Uint8Array } {
  for (let counter = 0; ; counter++) {
    const okm = hkdf(sha256, workerSecretKey, utf8ToBytes(SECRETS_INFO), concatBytes(u64be(jobId), sha256(output), Uint8Array.of(counter)), 64);
    const ephemeralKey = okm.slice(0, 32);
    // A 32-byte string is a valid secret key unless it is 0 or ≥ the group order (~2^-128).
    if (secp256k1.utils.isValidSecretKey(ephemeralKey)) return { ephemeralKey, salt: okm.slice(32) };
  }
}

export interface SealedResult {
  readonly commitment: Uint8Array;
  readonly sealedOutput: Uint8Array;
  readonly salt: Uint8Array;
  readonly ephemeralKey: Uint8Array;
}

/** Seals `output` (empty for cannot-run) for `job`'s client, as `job.worker`, whose secret key is `workerSecretKey`. */
export function sealResult(job: Pick<Job, "id" | "worker" | "clientPubkey">, output: Uint8Array, workerSecretKey: Uint8Array): SealedResult {
  const { ephemeralKey, salt } = deriveSealSecrets(workerSecretKey, job.id, output);
  return { commitment: resultCommitment(job.id, job.worker, output, salt), sealedOutput: sealOutput(job.id, job.clientPubkey, output, salt, ephemeralKey), salt, ephemeralKey };
}

/**
 * MsgOpenResult for what `sealResult` sealed: the same derivation again. Throws if it would not
 * match the commitment on chain (the output is not the one posted), so a sidecar never pays for
 * an opening the chain refuses.
 */
export function openingFor(job: Pick<Job, "id" | "worker" | "commitment">, output: Uint8Array, workerSecretKey: Uint8Array): MsgOpenResult {
  const { ephemeralKey, salt } = deriveSealSecrets(workerSecretKey, job.id, output);
  if (!commitmentMatches(job.commitment, job.id, job.worker, output, salt)) throw new Error(`job ${job.id}: this output is not the one committed to on chain`);
  return { worker: job.worker, jobId: job.id, output, salt, ephemeralKey };
}
