/**
 * A job's work between the chain and onnxruntime, with no chain in it (the benchmark runs it
 * as it is): input bytes → canonical decode and input-spec check → dequantize → session.run →
 * quantize with the model's quant_scale_bits → output-spec check → canonical bytes. The
 * decode/dequantize and quantize/encode steps are lib/tensorCodec.ts's, one pass each on the
 * chain's reader and writer (x/models/tensorWire.ts): the bytes, values and errors of
 * lib/tensors + x/models/tensor without a bigint per value.
 */
import type * as ort from "onnxruntime-node";
import { decodeInput, encodeTensorList } from "../x/models/tensor";
import { decodeToHost, encodeFromHost } from "../lib/tensorCodec";
import type { Model } from "../x/models/types";
import { runHost } from "../lib/models/onnx";
import { fakeOutputs, type FaultMode } from "./faults";

export interface LoadedModel {
  readonly model: Model;
  readonly session: ort.InferenceSession;
  /** Size of the ONNX file. */
  readonly fileBytes: number;
}

/** A job's result bytes (MsgSubmitResult.output); throws when the input breaks the model's spec. */
export async function runJob(m: LoadedModel, input: Uint8Array, fault?: FaultMode, random?: () => number): Promise<Uint8Array> {
  if (fault === "lazy" || fault === "random") return encodeTensorList(fakeOutputs(fault, m.model, decodeInput(m.model, input), random));
  return encodeFromHost(m.model, await runHost(m.session, m.model, decodeToHost(m.model, input)));
}
