/**
 * Running a registered model on quantized tensors, the way a sidecar does for a job: check the
 * input against the model's spec, dequantize it, run onnxruntime, quantize every output in
 * spec order and check it against the output spec. The chain only ever sees the integers.
 */
import * as ort from "onnxruntime-node";
import { checkInputAgainstSpec, checkOutputAgainstSpec, type QuantizedTensor } from "../../x/models/tensor";
import type { DTypeName, Model } from "../../x/models/types";
import { InputDecoder, OutputEncoder, type HostAllocator } from "../tensorCodec";
import { allocate, dequantizeTensors, quantizeTensor, type HostData, type HostTensor } from "../tensors";

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

/** onnxruntime's outputs as host tensors in spec order; throws when one is missing or of another type. */
function hostOutputs(model: Pick<Model, "id" | "outputs">, result: ort.InferenceSession.OnnxValueMapType): HostTensor[] {
  return model.outputs.map((spec) => {
    const out = result[spec.name];
    if (!out) throw new Error(`model ${model.id}: onnxruntime gave no output ${spec.name}`);
    if (out.type !== ORT_TYPE[spec.dtype]) throw new Error(`model ${model.id}: output ${spec.name} is ${out.type}, the registry says ${spec.dtype}`);
    return { name: spec.name, dtype: spec.dtype, dims: out.dims, data: out.data as HostData };
  });
}

/** Runs host tensors (in spec order) and returns the outputs as host tensors in spec order. */
export async function runHost(session: ort.InferenceSession, model: Pick<Model, "id" | "outputs">, inputs: readonly HostTensor[]): Promise<HostTensor[]> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const t of inputs) feeds[t.name] = toOrt(t);
  return hostOutputs(model, await session.run(feeds));
}

/** An input tensor a QuantizedSession keeps between runs: onnxruntime's wrapper over `data`. */
interface Pooled {
  readonly tensor: ort.Tensor;
  readonly data: HostData;
  readonly dims: readonly number[];
}

/** Free input tensors kept per model input (a few shapes: a fixed-shape model needs one). */
const MAX_FREE = 8;

const sameDims = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * A model's session as the sidecar runs a job: canonical input bytes → decode and input check
 * → session.run → quantize and output check → canonical result bytes, the bytes and errors of
 * encodeFromHost(runHost(decodeToHost(…))) (lib/tensorCodec.ts) with less work per job: the
 * codec's spec work is done once, and the input tensors (typed arrays and their ort.Tensor
 * wrappers) are reused from job to job. A tensor is taken from the pool for one job's decode
 * and comes back after its result is encoded, so jobs that overlap (the sidecar runs several
 * at once) never share one.
 */
export class QuantizedSession {
  private readonly decoder: InputDecoder;
  private readonly encoder: OutputEncoder;
  private readonly free: Pooled[][];
  /** The tensors the decode under way has taken (decoding is synchronous: one at a time). */
  private taking: Pooled[] = [];
  private readonly alloc: HostAllocator = (i, spec, dims, count) => {
    const p = this.take(i, spec.dtype, dims, count);
    this.taking.push(p);
    return p.data;
  };

  constructor(
    readonly session: ort.InferenceSession,
    readonly model: Pick<Model, "id" | "inputs" | "outputs" | "maxInputBytes" | "quantScaleBits">,
  ) {
    this.decoder = new InputDecoder(model);
    this.encoder = new OutputEncoder(model);
    this.free = model.inputs.map(() => []);
  }

  /** Result bytes (MsgSubmitResult.output); throws the chain's error when the input or output breaks the spec. */
  async run(input: Uint8Array): Promise<Uint8Array> {
    const taken: Pooled[] = (this.taking = []);
    try {
      const host = this.decoder.decode(input, this.alloc);
      const feeds: Record<string, ort.Tensor> = {};
      for (let i = 0; i < host.length; i++) {
        const t = host[i];
        // The decoder's fallback (a spec error it leaves to the chain's checks) gives fresh arrays.
        feeds[t.name] = taken[i]?.data === t.data ? taken[i].tensor : toOrt(t);
      }
      return this.encoder.encode(hostOutputs(this.model, await this.session.run(feeds)));
    } finally {
      for (let i = 0; i < taken.length; i++) this.give(i, taken[i]);
    }
  }

  private take(i: number, dtype: DTypeName, dims: readonly number[], count: number): Pooled {
    const free = this.free[i];
    for (let k = free.length - 1; k >= 0; k--) {
      const p = free[k];
      if (sameDims(p.dims, dims)) {
        free[k] = free[free.length - 1];
        free.pop();
        return p;
      }
    }
    const data = allocate(dtype, count);
    const own = [...dims];
    return { tensor: new ort.Tensor(ORT_TYPE[dtype], data as never, own), data, dims: own };
  }

  private give(i: number, p: Pooled): void {
    const free = this.free[i];
    if (free.length === MAX_FREE) free.shift();
    free.push(p);
  }
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
