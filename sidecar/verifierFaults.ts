/**
 * Verifier fault modes, for tests and scenarios (SPEC §5): a sidecar that verifies badly on
 * purpose when its validator is drawn to verify a disputed result. Its own jobs it answers as
 * usual (the worker modes are in faults.ts).
 *
 *   lazy-verifier    commits and reveals zeros of the right names and shapes without running
 *                    the model (it cannot copy the worker: the result is sealed)
 *   random-verifier  commits and reveals random values of the right shapes
 *   no-show          never commits (so never reveals): penalised as a no-show, and the round
 *                    is drawn again when too few reveal
 *
 * The fake outputs pass the chain's output-spec check, so they land, and only the verdict
 * (the verifier on the losing side) tells them apart.
 */
import { decodeInput, encodeTensorList } from "../x/models/tensor";
import type { Model } from "../x/models/types";
import { fakeOutputs } from "./faults";
import { VERIFIER_FAULT_MODES, type VerifierFaultMode } from "./faultModes";

export { VERIFIER_FAULT_MODES, type VerifierFaultMode };

export function isVerifierFaultMode(s: string): s is VerifierFaultMode {
  return (VERIFIER_FAULT_MODES as readonly string[]).includes(s);
}

/** What a faulty verifier reveals for `input`, without running the model; undefined for `no-show` (it posts nothing). */
export function fakeVerification(mode: VerifierFaultMode, model: Model, input: Uint8Array, random?: () => number): Uint8Array | undefined {
  if (mode === "no-show") return undefined;
  return encodeTensorList(fakeOutputs(mode === "lazy-verifier" ? "lazy" : "random", model, decodeInput(model, input), random));
}
