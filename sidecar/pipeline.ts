/**
 * A job's work between the chain and onnxruntime, with no chain in it (the benchmark runs it
 * as it is): input bytes → canonical decode and input-spec check → dequantize → session.run →
 * quantize with the model's quant_scale_bits → output-spec check → canonical bytes. That is
 * lib/models/onnx.ts's QuantizedSession, one per loaded model (kept here, so a LoadedModel
 * stays a plain record): one pass each way on the chain's reader and writer
 * (x/models/tensorWire.ts, through lib/tensorCodec.ts), the bytes, values and errors of
 * lib/tensors + x/models/tensor without a bigint per value, and input tensors reused from job
 * to job.
 */
import type * as ort from "onnxruntime-node";
import { decodeInput, encodeTensorList } from "../x/models/tensor";
import type { Model } from "../x/models/types";
import { QuantizedSession } from "../lib/models/onnx";
import { fakeOutputs, type FaultMode } from "./faults";

export interface LoadedModel {
  readonly model: Model;
  readonly session: ort.InferenceSession;
  /** Size of the ONNX file. */
  readonly fileBytes: number;
}

const sessions = new WeakMap<LoadedModel, QuantizedSession>();

function sessionFor(m: LoadedModel): QuantizedSession {
  let s = sessions.get(m);
  if (s === undefined || s.session !== m.session || s.model !== m.model) sessions.set(m, (s = new QuantizedSession(m.session, m.model)));
  return s;
}

async function runFault(m: LoadedModel, input: Uint8Array, fault: "lazy" | "random", random?: () => number): Promise<Uint8Array> {
  return encodeTensorList(fakeOutputs(fault, m.model, decodeInput(m.model, input), random));
}

/**
 * A job's result bytes (MsgSubmitResult.output); rejects when the input breaks the model's
 * spec. Not itself async: the honest path returns QuantizedSession.run's promise as it is,
 * one promise and one microtask per job fewer.
 */
export function runJob(m: LoadedModel, input: Uint8Array, fault?: FaultMode, random?: () => number): Promise<Uint8Array> {
  if (fault === "lazy" || fault === "random") return runFault(m, input, fault, random);
  return sessionFor(m).run(input);
}
