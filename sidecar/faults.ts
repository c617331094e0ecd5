/**
 * Fault modes, for tests and scenarios (SPEC §5): a sidecar that misbehaves on purpose.
 *
 *   lazy     answers every job at once with zeros of the right shape, never running the model
 *            (a worker saving compute; audits and challenges should catch it)
 *   random   answers with random values of the right shape (a broken or malicious worker)
 *   offline  stays connected and watches the chain but never answers (SLA tests: the job
 *            times out, the worker refunds the fee from its stake, is slashed, and the job is
 *            reassigned or refunded)
 *   bad-seal runs the model and commits to the real output, but seals it to its own worker
 *            key instead of the job's client key: the chain takes the result (it cannot see
 *            inside a seal), the client cannot open it (and challenges), and the worker's own
 *            opening fails the chain's re-encryption check, so the dispute ends at FAULT
 *   withhold runs jobs by URI honestly but keeps their inputs to itself: its data server serves
 *            nothing and it never answers a MsgRequestData, so each request expires and its
 *            validator is slashed slash_fraction_unavailable (jailed at max_da_incidents)
 *
 * Fake outputs pass the chain's output-spec check, so they land and only verification can
 * tell them apart.
 *
 * A fault rate (`--fault-rate PPM`, parts per million, default all) makes the worker misbehave
 * on only that share of its jobs, as a cheater hoping to slip under the audits would: job j is
 * faked iff u64be(HMAC-SHA256(seed, "infer/fault-rate" ‖ u64be(j))[0..8]) < PPM × 2^64 / 10^6,
 * the seed derived from the worker's secret key. Nobody else can tell in advance which jobs it
 * fakes, and it cannot tell which of its results will be audited (the audit draw uses the hash
 * of the block after the result's), so the choice is as good as a coin per job.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { u64be } from "../base/types/bytes";
import type { QuantizedTensor } from "../x/models/tensor";
import { isFloatDType, dtypeRange, type Model } from "../x/models/types";
import { quantizeValue } from "../lib/quant";
import { FAULT_MODES, type FaultMode } from "./faultModes";

export { FAULT_MODES, type FaultMode };

export function parseFaultMode(s: string): FaultMode {
  const f = FAULT_MODES.find((x) => x === s.toLowerCase());
  if (!f) throw new Error(`--fault must be one of ${FAULT_MODES.join(", ")}, got ${JSON.stringify(s)}`);
  return f;
}

export const PPM = 1_000_000;
const FAULT_RATE_DOMAIN = new TextEncoder().encode("infer/fault-rate");

/** `--fault-rate`: an integer number of parts per million in 0..10^6 (10% is 100000). */
export function parseFaultRate(s: string): number {
  const n = Number(s);
  if (!/^[0-9]+$/.test(s.trim()) || !Number.isSafeInteger(n) || n > PPM) throw new Error(`--fault-rate must be an integer number of parts per million in 0..${PPM} (10% is 100000), got ${JSON.stringify(s)}`);
  return n;
}

/** The secret seed of a worker's per-job fault choice: derived from its worker key, so nobody else can predict it. */
export function faultSeed(workerSecretKey: Uint8Array): Uint8Array {
  return hmac(sha256, workerSecretKey, FAULT_RATE_DOMAIN);
}

/** Does a worker misbehaving at `ratePpm` fake job `jobId`? Keyed by `seed` (faultSeed), the same answer every time for a job. */
export function fakesJob(seed: Uint8Array, jobId: bigint, ratePpm: number): boolean {
  if (ratePpm >= PPM) return true;
  if (ratePpm <= 0) return false;
  const h = hmac(sha256, seed, new Uint8Array([...FAULT_RATE_DOMAIN, ...u64be(jobId)]));
  const draw = Buffer.from(h.subarray(0, 8)).readBigUInt64BE(0);
  return draw < (BigInt(ratePpm) << 64n) / BigInt(PPM);
}

/**
 * The key a worker in `fault` mode seals a result to: the job's client key, except under
 * `bad-seal`, where it is the worker's own public key (so nobody but the worker can open it,
 * and an opening re-encrypted by the chain to the client key never matches).
 */
export function sealingKey(fault: FaultMode | undefined, clientPubkey: Uint8Array, workerSecretKey: Uint8Array): Uint8Array {
  return fault === "bad-seal" ? secp256k1.getPublicKey(workerSecretKey, true) : clientPubkey;
}

/**
 * The shape an honest run would give each output: fixed dims as the spec says; a dynamic
 * dim (-1) takes the first input's size on the same axis (the batch axis, for the models
 * registered so far), or 1.
 */
export function outputShapes(model: Pick<Model, "outputs">, inputs: readonly QuantizedTensor[]): bigint[][] {
  const ref = inputs[0]?.shape ?? [];
  return model.outputs.map((spec) => spec.shape.map((d, i) => (d !== -1n ? d : (ref[i] ?? 1n))));
}

const count = (shape: readonly bigint[]): number => shape.reduce((n, d) => n * Number(d), 1);

/** Outputs of the right names and shapes, without running the model. */
export function fakeOutputs(mode: "lazy" | "random", model: Pick<Model, "outputs" | "quantScaleBits">, inputs: readonly QuantizedTensor[], random: () => number = Math.random): QuantizedTensor[] {
  const shapes = outputShapes(model, inputs);
  return model.outputs.map((spec, k) => {
    const n = count(shapes[k]);
    const values = new Array<bigint>(n);
    for (let i = 0; i < n; i++) {
      if (mode === "lazy") values[i] = 0n;
      else if (isFloatDType(spec.dtype)) values[i] = quantizeValue(random() * 2 - 1, model.quantScaleBits);
      else {
        const { min, max } = dtypeRange(spec.dtype);
        const lo = min < -1000n ? -1000n : min;
        const hi = max > 1000n ? 1000n : max;
        values[i] = lo + BigInt(Math.floor(random() * Number(hi - lo + 1n)));
      }
    }
    return { name: spec.name, shape: shapes[k], values };
  });
}
