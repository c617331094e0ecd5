/**
 * Running a registered model on quantized tensors, the way a sidecar does for a job: check the
 * input against the model's spec, dequantize it, run onnxruntime, quantize every output in
 * spec order and check it against the output spec. The chain only ever sees the integers.
 */
import * as ort from "onnxruntime-node";
import { checkInputAgainstSpec, checkOutputAgainstSpec, type QuantizedTensor } from "../../x/models/tensor";
import type { DTypeName, Model } from "../../x/models/types";
import { dequantizeTensors, quantizeTensor, type HostData, type HostTensor } from "../tensors";

export type ModelRunSpec = Pick<Model, "id" | "inputs" | "outputs" | "quantScaleBits">;

export interface SessionOptions {
  readonly executionProviders?: readonly string[];
  readonly graphOptimizationLevel?: "disabled" | "basic" | "extended" | "all";
  readonly intraOpNumThreads?: number;
  readonly interOpNumThreads?: number;
  readonly executionMode?: "sequential" | "parallel";
  readonly enableCpuMemArena?: boolean;
  readonly enableMemPattern?: boolean;
  /** onnxruntime's own log threshold: 0 verbose … 3 error, 4 fatal. */
  readonly logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

/**
 * What a sidecar runs every model with, chosen so that one machine always computes the same
 * floats for the same input and different machines differ only by their kernels' arithmetic:
 *   - one intra-op and one inter-op thread, sequential execution: no work split whose partition
 *     (and so summation order) depends on the core count or on scheduling;
 *   - graph optimisation "basic": only hardware-independent rewrites (constant folding,
 *     redundant-node elimination); "extended"/"all" add fusions and CPU-specific layouts
 *     (NCHWc) that change rounding between machines;
 *   - no CPU memory arena and no memory-pattern planning: buffers come fresh from the
 *     allocator, so a run never depends on what earlier runs left in a reused arena.
 * The models are small; one thread is also what leaves the node's other cores to CometBFT.
 */
export const DETERMINISTIC_SESSION_OPTIONS: SessionOptions = {
  graphOptimizationLevel: "basic",
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: "sequential",
  enableCpuMemArena: false,
  enableMemPattern: false,
};

/** One onnxruntime session per model file (the sidecar keeps it for the node's lifetime). */
export async function openSession(bytes: Uint8Array, opts: SessionOptions = {}): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [...(opts.executionProviders ?? ["cpu"])],
    graphOptimizationLevel: opts.graphOptimizationLevel ?? "all",
  };
  // onnxruntime-node rejects an explicit undefined here.
  if (opts.intraOpNumThreads !== undefined) options.intraOpNumThreads = opts.intraOpNumThreads;
  if (opts.interOpNumThreads !== undefined) options.interOpNumThreads = opts.interOpNumThreads;
  if (opts.executionMode !== undefined) options.executionMode = opts.executionMode;
  if (opts.enableCpuMemArena !== undefined) options.enableCpuMemArena = opts.enableCpuMemArena;
  if (opts.enableMemPattern !== undefined) options.enableMemPattern = opts.enableMemPattern;
  if (opts.logSeverityLevel !== undefined) options.logSeverityLevel = opts.logSeverityLevel;
  return ort.InferenceSession.create(bytes, options);
}

const ORT_TYPE: Readonly<Record<DTypeName, ort.Tensor.Type>> = {
  float32: "float32",
  float64: "float64",
  int64: "int64",
  int32: "int32",
  int8: "int8",
  uint8: "uint8",
  bool: "bool",
};

function toOrt(t: HostTensor): ort.Tensor {
  return new ort.Tensor(ORT_TYPE[t.dtype], t.data as never, [...t.dims]);
}

/** Runs host tensors (in spec order) and returns the outputs as host tensors in spec order. */
export async function runHost(session: ort.InferenceSession, model: Pick<Model, "id" | "outputs">, inputs: readonly HostTensor[]): Promise<HostTensor[]> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const t of inputs) feeds[t.name] = toOrt(t);
  const result = await session.run(feeds);
  return model.outputs.map((spec) => {
    const out = result[spec.name];
    if (!out) throw new Error(`model ${model.id}: onnxruntime gave no output ${spec.name}`);
    if (out.type !== ORT_TYPE[spec.dtype]) throw new Error(`model ${model.id}: output ${spec.name} is ${out.type}, the registry says ${spec.dtype}`);
    return { name: spec.name, dtype: spec.dtype, dims: [...out.dims], data: out.data as HostData };
  });
}

/** A job's quantized input → its quantized result; throws if either side breaks the model's spec. */
export async function runQuantized(session: ort.InferenceSession, model: ModelRunSpec, inputs: readonly QuantizedTensor[]): Promise<QuantizedTensor[]> {
  const inErr = checkInputAgainstSpec(model, inputs);
  if (inErr) throw inErr;
  const host = await runHost(session, model, dequantizeTensors(inputs, model.inputs, model.quantScaleBits));
  const outputs = host.map((t) => quantizeTensor(t, model.quantScaleBits));
  const outErr = checkOutputAgainstSpec(model, outputs);
  if (outErr) throw outErr;
  return outputs;
}
