/**
 * Honest noise calibration (issue 10 item 3): how far apart can two honest workers' quantized
 * results for the same job be? A battery of inputs (deterministic from a seed, within the
 * model's input spec) runs under a reference setting (the sidecar's own path) and under every
 * onnxruntime setting a real fleet could have (threads, graph optimisation, execution mode,
 * memory arena, execution providers, batching); each result is quantized exactly as the
 * sidecar quantizes it (lib/tensors, lib/quant) and compared with the reference under the
 * model's registered metric (x/models/divergence.ts: the chain's own functions and verdict).
 * A setting whose largest divergence exceeds the registered threshold means an honest worker
 * can be slashed: a bug in the threshold, not in the worker.
 *
 * The figures are in the metric's own units: max |a − b| for MAX_ABS_DIFF, Σ(a − b)²/n for
 * MEAN_SQUARED, the number of jobs that disagree for EXACT and ARGMAX. bench/calibrate.ts is
 * the command (`npm run calibrate`).
 */
import type * as ort from "onnxruntime-node";
import { diverges, maxAbsDiff, sumSquaredDiff } from "../x/models/divergence";
import { checkInputAgainstSpec, type QuantizedTensor } from "../x/models/tensor";
import { dtypeRange, isFloatDType, type MetricName, type Model, type TensorSpec } from "../x/models/types";
import { mlpReference, MLP_IN, MLP_OUT } from "./models/mlp";
import { openSession, runHost, runQuantized, type SessionOptions } from "./models/onnx";
import { SILERO_CHUNK, SILERO_MODEL_ID, SILERO_SAMPLE_RATE, MLP_MODEL_ID } from "./models/builtin";
import { QUANT_MAX } from "./quant";
import { mulberry32 } from "./rng";
import { allocate, dequantizeTensors, quantizeTensor, quantizeTensors, type HostTensor } from "./tensors";

/** One job's tensors, in spec order. */
export type Job = readonly QuantizedTensor[];

export interface BatteryItem {
  /** What kind of input this is (the table names the category of the worst job). */
  readonly category: string;
  readonly inputs: Job;
  /**
   * A stream carrying state (silero's LSTM): these inputs are replaced by the previous item's
   * reference outputs ([output name, input name]), as a client feeds the state it got back.
   */
  readonly carry?: ReadonlyArray<readonly [string, string]>;
}

// ---------------------------------------------------------------- the battery

/** Irwin–Hall: the sum of 12 uniforms minus 6, mean 0 and σ 1, within ±6, with no transcendental function. */
function normalish(r: () => number): number {
  let s = 0;
  for (let i = 0; i < 12; i++) s += r();
  return s - 6;
}

type Rand = () => number;
/** The k-th value of a tensor of n values; `hot` is one index drawn per tensor. */
type ValueFn = (r: Rand, k: number, hot: number, step: number) => number;

/**
 * Float inputs for a model without a battery of its own (mlp-16x8): the bulk of ordinary
 * values, the documented range (mlp-16x8's limits are sized for |x| ≤ 128), the edges of that
 * range, zeros, values of a few quantization steps, and values drawn far outside that range and
 * clamped to the input's max_abs (the chain refuses more: a griefer sends exactly the bound).
 */
const FLOAT_CATEGORIES: ReadonlyArray<readonly [string, ValueFn]> = [
  ["normal", (r) => normalish(r)],
  ["normal-x8", (r) => 8 * normalish(r)],
  ["uniform-128", (r) => 256 * r() - 128],
  ["zeros", () => 0],
  ["edge-128", (r) => (r() < 0.5 ? -128 : 128)],
  ["one-hot-128", (r, k, hot) => (k === hot ? (r() < 0.5 ? -128 : 128) : 0)],
  ["tiny-steps", (r, _k, _h, step) => (Math.floor(9 * r()) - 4) * step],
  ["normal", (r) => normalish(r)],
  ["saturated", (r) => 32768 * r() - 16384],
];

function genericTensor(spec: TensorSpec, fn: ValueFn, r: Rand, step: number): HostTensor {
  const dims = spec.shape.map((d) => (d === -1n ? 1 : Number(d)));
  const n = dims.reduce((a, b) => a * b, 1);
  const data = allocate(spec.dtype, n);
  const hot = Math.floor(r() * n);
  if (isFloatDType(spec.dtype)) {
    const bound = spec.maxAbs === undefined || spec.maxAbs === 0n ? Infinity : Number(spec.maxAbs);
    for (let k = 0; k < n; k++) (data as Float32Array | Float64Array)[k] = Math.max(-bound, Math.min(bound, fn(r, k, hot, step)));
  } else {
    // Integer inputs: small values inside the dtype's range (0/1 for bool and unsigned).
    const { min, max } = dtypeRange(spec.dtype);
    const lo = min < -8n ? -8 : Number(min);
    const hi = max > 8n ? 8 : Number(max);
    for (let k = 0; k < n; k++) {
      const v = lo + Math.floor(r() * (hi - lo + 1));
      if (data instanceof BigInt64Array) data[k] = BigInt(v);
      else (data as Int32Array | Int8Array | Uint8Array)[k] = v;
    }
  }
  return { name: spec.name, dtype: spec.dtype, dims, data };
}

function genericBattery(model: Model, n: number, r: Rand): BatteryItem[] {
  const step = 2 ** -model.quantScaleBits;
  const items: BatteryItem[] = [];
  for (let i = 0; i < n; i++) {
    const [category, fn] = FLOAT_CATEGORIES[i % FLOAT_CATEGORIES.length];
    items.push({ category, inputs: quantizeTensors(model.inputs.map((s) => genericTensor(s, fn, r, step)), model.quantScaleBits) });
  }
  return items;
}

/** Chunks per stream: a stream's first chunk starts from a zero state, the others carry it. */
export const SILERO_STREAM = 16;
const SILERO_CARRY: ReadonlyArray<readonly [string, string]> = [
  ["hn", "h"],
  ["cn", "c"],
];

interface AudioKind {
  readonly name: string;
  /** true: a stream of `chunks` chunks carrying the state; false: independent chunks with a drawn state. */
  readonly stream: boolean;
  /** Chunks in a block of this kind (SILERO_STREAM unless set). */
  readonly chunks?: number;
  readonly sr: number;
  /** A stream's (or chunk's) parameters, drawn once. */
  readonly init: (r: Rand) => (t: number, r: Rand) => number;
  /**
   * An independent chunk's state: h uniform in ±h (an LSTM's h = o·tanh(c) stays in (−1, 1)),
   * c normal-ish with σ = c, clamped to ±200; streams start from zeros.
   */
  readonly state?: { readonly h: number; readonly c: number };
}

/** Voiced-speech-like: a harmonic series on a gliding f0 under a 3–6 Hz syllable envelope, plus breath noise. */
function speechLike(sr: number): AudioKind["init"] {
  return (r) => {
    const f0 = 90 + 160 * r();
    const glide = (r() - 0.5) * 40;
    const syll = 3 + 3 * r();
    const amp = 0.05 + 0.75 * r();
    const harmonics = Array.from({ length: 8 }, (_, k) => (0.6 + 0.4 * r()) / (k + 1));
    return (t, rr) => {
      const s = t / sr;
      const f = f0 + glide * Math.sin(2 * Math.PI * 0.7 * s);
      let v = 0;
      for (let k = 0; k < harmonics.length; k++) v += harmonics[k] * Math.sin(2 * Math.PI * f * (k + 1) * s);
      const env = Math.max(0, Math.sin(Math.PI * syll * s));
      return Math.max(-1, Math.min(1, amp * env * v * 0.5 + 0.01 * normalish(rr)));
    };
  };
}

const AUDIO_KINDS: readonly AudioKind[] = [
  { name: "speech-stream", stream: true, sr: SILERO_SAMPLE_RATE, init: speechLike(SILERO_SAMPLE_RATE) },
  // 3 s of speech: the state a long stream builds up.
  { name: "speech-long-stream", stream: true, chunks: 96, sr: SILERO_SAMPLE_RATE, init: speechLike(SILERO_SAMPLE_RATE) },
  {
    name: "noise-stream",
    stream: true,
    sr: SILERO_SAMPLE_RATE,
    init: (r) => {
      const level = 10 ** (-3 * r());
      return (_t, rr) => Math.max(-1, Math.min(1, (level * normalish(rr)) / 3));
    },
  },
  {
    name: "music-stream",
    stream: true,
    sr: SILERO_SAMPLE_RATE,
    init: (r) => {
      // A major triad on a root from 110 Hz up two octaves.
      const root = 110 * 2 ** (Math.floor(24 * r()) / 12);
      const chord = [1, 2 ** (4 / 12), 2 ** (7 / 12)].map((k) => k * root);
      const amp = 0.1 + 0.5 * r();
      return (t) => (amp / 3) * chord.reduce((v, f) => v + Math.sin((2 * Math.PI * f * t) / SILERO_SAMPLE_RATE), 0);
    },
  },
  { name: "speech-8k-stream", stream: true, sr: 8000, init: speechLike(8000) },
  { name: "silence", stream: false, sr: SILERO_SAMPLE_RATE, init: () => () => 0, state: { h: 0, c: 0 } },
  {
    name: "clipped-square",
    stream: false,
    sr: SILERO_SAMPLE_RATE,
    init: (r) => {
      const period = 8 + Math.floor(120 * r());
      return (t) => (Math.floor(t / period) % 2 === 0 ? 1 : -1);
    },
    state: { h: 1, c: 10 },
  },
  { name: "impulses", stream: false, sr: SILERO_SAMPLE_RATE, init: () => (_t, rr) => (rr() < 0.01 ? (rr() < 0.5 ? -1 : 1) : 0), state: { h: 1, c: 10 } },
  { name: "tiny-steps", stream: false, sr: SILERO_SAMPLE_RATE, init: () => (_t, rr) => (Math.floor(9 * rr()) - 4) / 65536, state: { h: 1, c: 1 } },
  { name: "random-state-c200", stream: false, sr: SILERO_SAMPLE_RATE, init: () => (_t, rr) => Math.max(-1, Math.min(1, 0.3 * normalish(rr))), state: { h: 1, c: 70 } },
];

function sileroChunk(model: Model, sr: number, samples: Float32Array, h: Float32Array, c: Float32Array): Job {
  return quantizeTensors(
    [
      { name: "input", dtype: "float32", dims: [1, SILERO_CHUNK], data: samples },
      { name: "sr", dtype: "int64", dims: [], data: BigInt64Array.from([BigInt(sr)]) },
      { name: "h", dtype: "float32", dims: [2, 1, 64], data: h },
      { name: "c", dtype: "float32", dims: [2, 1, 64], data: c },
    ],
    model.quantScaleBits,
  );
}

/**
 * Silero: realistic audio chunks (speech-like, noise, music, 8 kHz speech) as streams whose
 * LSTM state is carried chunk to chunk, and independent edge chunks (silence, clipping,
 * impulses, a few quantization steps, a drawn state with cell values up to ±200).
 */
function sileroBattery(model: Model, n: number, r: Rand): BatteryItem[] {
  const items: BatteryItem[] = [];
  for (let block = 0; items.length < n; block++) {
    const kind = AUDIO_KINDS[block % AUDIO_KINDS.length];
    let wave = kind.init(r);
    for (let j = 0; j < (kind.chunks ?? SILERO_STREAM) && items.length < n; j++) {
      if (!kind.stream) wave = kind.init(r);
      const t0 = kind.stream ? j * SILERO_CHUNK : 0;
      const samples = Float32Array.from({ length: SILERO_CHUNK }, (_, i) => wave(t0 + i, r));
      const st = kind.state ?? { h: 0, c: 0 };
      const h = Float32Array.from({ length: 128 }, () => st.h * (2 * r() - 1));
      const c = Float32Array.from({ length: 128 }, () => Math.max(-200, Math.min(200, st.c * normalish(r))));
      const carry = kind.stream && j > 0 ? SILERO_CARRY : undefined;
      items.push({ category: kind.name, inputs: sileroChunk(model, kind.sr, samples, h, c), ...(carry ? { carry } : {}) });
    }
  }
  return items;
}

/**
 * `n` jobs for `model`, the same for the same seed: silero-vad gets audio; any other model
 * float values of several kinds on its input spec (a dynamic dim of 1).
 */
export function generateBattery(model: Model, n: number, seed: number): BatteryItem[] {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`the battery needs at least one input, got ${n}`);
  const r = mulberry32(seed);
  return model.id === SILERO_MODEL_ID ? sileroBattery(model, n, r) : genericBattery(model, n, r);
}

/** An item's inputs with the carried tensors taken from the previous item's reference outputs. */
export function materialize(item: BatteryItem, previous: Job | undefined): Job {
  if (!item.carry) return item.inputs;
  if (!previous) throw new Error(`${item.category}: a carried state needs the previous job's outputs`);
  return item.inputs.map((t) => {
    const from = item.carry!.find(([, to]) => to === t.name);
    if (!from) return t;
    const out = previous.find((o) => o.name === from[0]);
    if (!out) throw new Error(`${item.category}: the previous outputs have no ${from[0]}`);
    return { ...out, name: t.name };
  });
}

// ---------------------------------------------------------------- batching

function strides(shape: readonly bigint[], axis: number): { outer: number; inner: number } {
  let outer = 1;
  let inner = 1;
  shape.forEach((d, i) => {
    if (i < axis) outer *= Number(d);
    if (i > axis) inner *= Number(d);
  });
  return { outer, inner };
}

/** Tensors of the same shape but along `axis`, joined along it (row-major). */
export function concatAlong(ts: readonly QuantizedTensor[], axis: number): QuantizedTensor {
  const { outer, inner } = strides(ts[0].shape, axis);
  const values: bigint[] = [];
  for (let o = 0; o < outer; o++) {
    for (const t of ts) {
      const len = Number(t.shape[axis]) * inner;
      for (let k = o * len; k < (o + 1) * len; k++) values.push(t.values[k]);
    }
  }
  const total = ts.reduce((a, t) => a + t.shape[axis], 0n);
  return { name: ts[0].name, shape: ts[0].shape.map((d, i) => (i === axis ? total : d)), values };
}

/** The inverse of concatAlong: `t` cut along `axis` into pieces of `sizes`. */
export function splitAlong(t: QuantizedTensor, axis: number, sizes: readonly number[]): QuantizedTensor[] {
  const { outer, inner } = strides(t.shape, axis);
  const total = Number(t.shape[axis]);
  if (sizes.reduce((a, b) => a + b, 0) !== total) throw new RangeError(`${t.name}: sizes ${sizes.join("+")} do not add up to ${total}`);
  let start = 0;
  return sizes.map((size) => {
    const values: bigint[] = [];
    for (let o = 0; o < outer; o++) {
      const base = (o * total + start) * inner;
      for (let k = base; k < base + size * inner; k++) values.push(t.values[k]);
    }
    start += size;
    return { name: t.name, shape: t.shape.map((d, i) => (i === axis ? BigInt(size) : d)), values };
  });
}

/**
 * Where each input and output of the file has its batch dimension: the first symbolic dim of
 * the first input ("batch" in both built-in models); −1 for a tensor shared by the whole batch
 * (silero's sample rate). Throws when an output has none: the model cannot batch jobs.
 */
export function batchAxes(session: ort.InferenceSession): { inputs: Map<string, number>; outputs: Map<string, number> } {
  const first = session.inputMetadata[0];
  const symbol = first?.isTensor ? first.shape.find((d) => typeof d === "string") : undefined;
  if (symbol === undefined) throw new Error("the model's first input has no symbolic (batch) dimension");
  const axes = (md: readonly ort.InferenceSession.ValueMetadata[]): Map<string, number> => new Map(md.map((m) => [m.name, m.isTensor ? m.shape.indexOf(symbol) : -1]));
  const outputs = axes(session.outputMetadata);
  for (const [name, axis] of outputs) if (axis < 0) throw new Error(`output ${name} has no ${symbol} dimension`);
  return { inputs: axes(session.inputMetadata), outputs };
}

const sameValues = (a: QuantizedTensor, b: QuantizedTensor): boolean => a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]) && a.values.every((v, i) => v === b.values[i]);

/**
 * Jobs run `batch` at a time as one session.run, the way a sidecar batching its queue would,
 * and cut back into one result per job; consecutive jobs are batched only while their shared
 * tensors (no batch dim) are equal.
 */
async function runBatched(session: ort.InferenceSession, model: Model, jobs: readonly Job[], batch: number): Promise<Job[]> {
  const { inputs: inAxes, outputs: outAxes } = batchAxes(session);
  const out: Job[] = [];
  for (let i = 0; i < jobs.length; ) {
    const group: Job[] = [jobs[i++]];
    const fits = (j: Job): boolean => model.inputs.every((s, k) => (inAxes.get(s.name) ?? -1) >= 0 || sameValues(j[k], group[0][k]));
    while (group.length < batch && i < jobs.length && fits(jobs[i])) group.push(jobs[i++]);
    const joined = model.inputs.map((s, k) => {
      const axis = inAxes.get(s.name) ?? -1;
      return axis < 0 ? group[0][k] : concatAlong(group.map((j) => j[k]), axis);
    });
    const axis0 = inAxes.get(model.inputs[0].name)!;
    const sizes = group.map((j) => Number(j[0].shape[axis0]));
    const host = await runHost(session, model, dequantizeTensors(joined, model.inputs, model.quantScaleBits));
    const pieces = host.map((t) => splitAlong(quantizeTensor(t, model.quantScaleBits), outAxes.get(t.name)!, sizes));
    group.forEach((_, g) => out.push(pieces.map((p) => p[g])));
  }
  return out;
}

// ---------------------------------------------------------------- settings

/** A way to run jobs; `run` returns one quantized result per job, in order. */
export interface Runner {
  readonly run: (jobs: readonly Job[]) => Promise<Job[]>;
  readonly close: () => Promise<void>;
}

export interface Setting {
  readonly name: string;
  /**
   * A proxy is no worker's configuration but stands in for hardware that is not here (exact
   * float64 arithmetic); it is reported and feeds the suggested threshold, but does not fail
   * the run.
   */
  readonly proxy?: boolean;
  /** Throws (the reason) when the setting is unavailable on this machine. */
  readonly open: () => Promise<Runner>;
}

export interface SessionSettingOptions {
  readonly batch?: number;
  /** Why this setting cannot run here, checked before opening a session (CUDA's missing libraries). */
  readonly precheck?: () => string | undefined;
}

/** onnxruntime's first error line, without its source-path prefix. */
function firstLine(e: unknown): string {
  const line = (e instanceof Error ? e.message : String(e)).split("\n").find((l) => l.trim() !== "") ?? "unknown error";
  return line.replace(/^\/onnxruntime_src\/\S+\s*/, "").trim();
}

/** An onnxruntime session on `bytes` with `options`, running jobs through runQuantized (or batched). */
export function sessionSetting(name: string, model: Model, bytes: Uint8Array, options: SessionOptions, o: SessionSettingOptions = {}): Setting {
  const batch = o.batch ?? 1;
  return {
    name,
    open: async () => {
      const missing = o.precheck?.();
      if (missing !== undefined) throw new Error(missing);
      let session: ort.InferenceSession;
      try {
        session = await openSession(bytes, { logSeverityLevel: 3, ...options });
      } catch (e) {
        throw new Error(firstLine(e));
      }
      if (batch > 1) batchAxes(session);
      return {
        run: async (jobs) => {
          if (batch > 1) return runBatched(session, model, jobs, batch);
          const out: Job[] = [];
          for (const j of jobs) out.push(await runQuantized(session, model, j));
          return out;
        },
        close: () => session.release(),
      };
    },
  };
}

/**
 * mlp-16x8 in exact float64 from its own weights (lib/models/mlp.ts mlpReference): how far
 * onnxruntime's float32 is from the exact value, the scale of rounding that other hardware
 * (another CPU's kernels, a GPU) may land on the other side of.
 */
export function mlpFloat64Setting(model: Model): Setting {
  return {
    name: "proxy: float64 exact (mlpReference)",
    proxy: true,
    open: async () => ({
      run: async (jobs) =>
        jobs.map((j) => {
          const [x] = dequantizeTensors(j, model.inputs, model.quantScaleBits);
          const rows = x.dims[0];
          const y = mlpReference(x.data as Float32Array, rows);
          return [quantizeTensor({ name: model.outputs[0].name, dtype: "float64", dims: [rows, MLP_OUT], data: y }, model.quantScaleBits)];
        }),
      close: async () => undefined,
    }),
  };
}

/**
 * Every onnxruntime configuration a fleet of honest sidecars could plausibly run, on the CPU
 * unless the name says otherwise: thread counts, execution mode, graph optimisation levels,
 * memory arena, onnxruntime's own defaults, a throughput-tuned node, batching (where the file
 * has a batch dimension), and the other execution providers onnxruntime-node offers.
 * `base` is the sidecar's options (DETERMINISTIC_SESSION_OPTIONS).
 */
export function fleetSettings(model: Model, bytes: Uint8Array, base: SessionOptions, precheck: (ep: string) => string | undefined = () => undefined): Setting[] {
  const s = (name: string, options: SessionOptions, o?: SessionSettingOptions): Setting => sessionSetting(name, model, bytes, options, o);
  const settings: Setting[] = [
    s("lib runQuantized, sidecar options", base),
    s("intra-op 2", { ...base, intraOpNumThreads: 2 }),
    s("intra-op 4", { ...base, intraOpNumThreads: 4 }),
    s("inter-op 2, parallel", { ...base, interOpNumThreads: 2, executionMode: "parallel" }),
    s("inter-op 4, parallel, intra-op 2", { ...base, interOpNumThreads: 4, intraOpNumThreads: 2, executionMode: "parallel" }),
    s("graph disabled", { ...base, graphOptimizationLevel: "disabled" }),
    s("graph extended", { ...base, graphOptimizationLevel: "extended" }),
    s("graph all", { ...base, graphOptimizationLevel: "all" }),
    s("cpu arena + mem pattern", { ...base, enableCpuMemArena: true, enableMemPattern: true }),
    s("onnxruntime defaults", {}),
    s("tuned: all, intra 4, inter 2, parallel, arena", { graphOptimizationLevel: "all", intraOpNumThreads: 4, interOpNumThreads: 2, executionMode: "parallel", enableCpuMemArena: true, enableMemPattern: true }),
    s("batch 8", base, { batch: 8 }),
    s("batch 64", base, { batch: 64 }),
    s("batch 64, graph all, intra-op 4", { ...base, graphOptimizationLevel: "all", intraOpNumThreads: 4 }, { batch: 64 }),
  ];
  for (const ep of ["cuda", "webgpu"]) {
    settings.push(s(`ep ${ep}`, { ...base, executionProviders: [ep] }, { precheck: () => precheck(ep) }));
    settings.push(s(`ep ${ep}, graph all`, { ...base, graphOptimizationLevel: "all", executionProviders: [ep] }, { precheck: () => precheck(ep) }));
  }
  if (model.id === MLP_MODEL_ID && model.inputs[0].shape[1] === BigInt(MLP_IN)) settings.push(mlpFloat64Setting(model));
  return settings;
}

// ---------------------------------------------------------------- bookkeeping

export interface Worst {
  readonly job: number;
  readonly category: string;
}

/**
 * One setting's divergences from the reference under the model's metric: the chain's verdict
 * per job (x/models/divergence.ts `diverges`), the largest max |a − b| and the largest
 * Σ(a − b)²/n over jobs, and which job was worst in the metric's own units.
 */
export class DivergenceTally {
  jobs = 0;
  /** Jobs the chain would call diverged (structure mismatches included). */
  diverged = 0;
  structureMismatches = 0;
  maxAbs = 0n;
  /** The largest per-job mean of squares, as Σ and n. */
  worstSq: { sum: bigint; n: bigint } = { sum: 0n, n: 1n };
  worst: Worst | undefined;
  /** The largest max |a − b| per battery category and per output tensor. */
  readonly byCategory = new Map<string, bigint>();
  readonly byOutput = new Map<string, bigint>();

  constructor(
    readonly metric: MetricName,
    readonly threshold: bigint,
  ) {}

  add(job: number, category: string, reference: Job, result: Job): void {
    this.jobs++;
    const bad = diverges(this.metric, this.threshold, reference, result);
    // No two int64s are 2^65 apart: only a structure mismatch diverges at that threshold.
    if (diverges("MAX_ABS_DIFF", 1n << 65n, reference, result)) {
      this.structureMismatches++;
      this.diverged++;
      this.worst ??= { job, category };
      return;
    }
    if (bad) this.diverged++;
    const abs = maxAbsDiff(reference, result);
    const sq = sumSquaredDiff(reference, result);
    const n = sq.n === 0n ? 1n : sq.n;
    const worseAbs = abs > this.maxAbs;
    const worseSq = sq.sum * this.worstSq.n > this.worstSq.sum * n;
    if (abs > (this.byCategory.get(category) ?? -1n)) this.byCategory.set(category, abs);
    reference.forEach((t, i) => {
      const d = maxAbsDiff([t], [result[i]]);
      if (d > (this.byOutput.get(t.name) ?? -1n)) this.byOutput.set(t.name, d);
    });
    if (worseAbs) this.maxAbs = abs;
    if (worseSq) this.worstSq = { sum: sq.sum, n };
    const worse = this.metric === "MEAN_SQUARED" ? worseSq : this.metric === "MAX_ABS_DIFF" ? worseAbs : bad && this.diverged === 1;
    if (worse) this.worst = { job, category };
  }

  /** The largest divergence in the metric's own units, as printed. */
  figure(): string {
    switch (this.metric) {
      case "MAX_ABS_DIFF":
        return this.maxAbs.toString();
      case "MEAN_SQUARED":
        return formatRatio(this.worstSq.sum, this.worstSq.n);
      case "EXACT":
      case "ARGMAX":
        return `${this.diverged} mismatches`;
    }
  }

  verdict(): "within threshold" | "EXCEEDS" {
    return this.diverged === 0 ? "within threshold" : "EXCEEDS";
  }
}

/** a/b with three decimals, rounded up (a bound, not an estimate). */
export function formatRatio(a: bigint, b: bigint): string {
  const milli = (a * 1000n + b - 1n) / b;
  const frac = (milli % 1000n).toString().padStart(3, "0");
  return `${milli / 1000n}.${frac}`;
}

// ---------------------------------------------------------------- the threshold rule

export const SAFETY_MULTIPLE = 4n;

function pow2Ceil(v: bigint): bigint {
  let p = 1n;
  while (p < v) p <<= 1n;
  return p;
}

export interface Suggestion {
  /** The suggested threshold in the metric's units; undefined for EXACT and ARGMAX, which take none. */
  readonly threshold: bigint | undefined;
  readonly rule: string;
}

/**
 * One unit in the last place of a float32 whose quantized value is q, in quantization steps,
 * at least 1: a float32 holds 24 significant bits, so a q of bit length b has an ulp of
 * 2^(b − 24) steps whatever quant_scale_bits is. Two honest machines whose kernels round one
 * operation differently are that far apart at that output, so no threshold below it is safe.
 */
export function float32UlpSteps(q: bigint): bigint {
  const bits = (q < 0n ? -q : q).toString(2).length;
  return bits > 24 ? 1n << BigInt(bits - 24) : 1n;
}

/**
 * SAFETY_MULTIPLE × the larger of the largest divergence seen over every setting (proxies
 * included) and one float32 ulp at the largest output seen (`ulp`, float32UlpSteps), rounded
 * up to a power of two: room for hardware this machine does not have, which one CPU's settings
 * (often bit-identical) cannot show. EXACT and ARGMAX take no threshold: they hold only with
 * zero mismatches, else the model needs MAX_ABS_DIFF at the threshold the same rule gives.
 */
export function suggestThreshold(metric: MetricName, tallies: readonly DivergenceTally[], ulp = 1n): Suggestion {
  const seen = tallies.reduce((m, t) => (t.maxAbs > m ? t.maxAbs : m), 0n);
  const maxAbs = seen > ulp ? seen : ulp;
  const rule = `${SAFETY_MULTIPLE} × max(largest divergence seen over every setting, proxies included; one float32 ulp at the largest output seen = ${ulp}), rounded up to a power of two`;
  switch (metric) {
    case "MAX_ABS_DIFF":
      return { threshold: pow2Ceil(SAFETY_MULTIPLE * maxAbs), rule };
    case "MEAN_SQUARED": {
      const seenSq = tallies.reduce((w, t) => (t.worstSq.sum * w.n > w.sum * t.worstSq.n ? t.worstSq : w), { sum: 0n, n: 1n });
      const worst = seenSq.sum > ulp * ulp * seenSq.n ? seenSq : { sum: ulp * ulp, n: 1n };
      return { threshold: pow2Ceil((SAFETY_MULTIPLE * worst.sum + worst.n - 1n) / worst.n), rule: rule.replace("= ", "squared, from ") };
    }
    case "EXACT":
    case "ARGMAX": {
      const mismatches = tallies.reduce((a, t) => a + t.diverged, 0);
      if (mismatches === 0) return { threshold: undefined, rule: `${metric} holds: no setting disagreed on any job` };
      return { threshold: undefined, rule: `${metric} cannot hold (${mismatches} mismatched jobs): use MAX_ABS_DIFF with threshold ${pow2Ceil(SAFETY_MULTIPLE * maxAbs)} (${rule})` };
    }
  }
}

// ---------------------------------------------------------------- the run

export interface SettingRow {
  readonly name: string;
  readonly proxy: boolean;
  /** Undefined when the setting could not run here (then `unavailable` says why). */
  readonly tally?: DivergenceTally;
  readonly unavailable?: string;
}

export interface Calibration {
  readonly model: Model;
  readonly inputs: number;
  readonly categories: ReadonlyMap<string, number>;
  readonly reference: string;
  readonly rows: readonly SettingRow[];
  /** The largest |q| of a float32 output of the reference (saturated values left out), overall and per category. */
  readonly largestOutput: bigint;
  readonly largestOutputByCategory: ReadonlyMap<string, bigint>;
  readonly suggestion: Suggestion;
  /** A non-proxy setting diverged from the reference on some job under the registered threshold. */
  readonly exceeded: boolean;
}

/**
 * Runs the battery under `reference` (one job at a time, carrying state), then every setting
 * on the same jobs, and tallies each against the reference. A setting that cannot open or run
 * here is a row marked unavailable with the reason, never silently left out.
 */
export async function calibrate(model: Model, battery: readonly BatteryItem[], reference: Setting, settings: readonly Setting[], progress: (line: string) => void = () => undefined): Promise<Calibration> {
  const ref = await reference.open();
  const jobs: Job[] = [];
  const refOut: Job[] = [];
  try {
    for (const item of battery) {
      const job = materialize(item, refOut[refOut.length - 1]);
      const err = checkInputAgainstSpec(model, job);
      if (err) throw err;
      jobs.push(job);
      refOut.push((await ref.run([job]))[0]);
    }
  } finally {
    await ref.close();
  }
  const rows: SettingRow[] = [];
  for (const setting of settings) {
    const started = performance.now();
    let runner: Runner | undefined;
    try {
      runner = await setting.open();
      const out = await runner.run(jobs);
      const tally = new DivergenceTally(model.metric, model.threshold);
      out.forEach((o, i) => tally.add(i, battery[i].category, refOut[i], o));
      rows.push({ name: setting.name, proxy: setting.proxy ?? false, tally });
      progress(`${model.id}: ${setting.name}: ${tally.figure()} (${Math.round(performance.now() - started)} ms)`);
    } catch (e) {
      rows.push({ name: setting.name, proxy: setting.proxy ?? false, unavailable: firstLine(e) });
      progress(`${model.id}: ${setting.name}: unavailable: ${firstLine(e)}`);
    } finally {
      await runner?.close();
    }
  }
  const tallies = rows.flatMap((r) => (r.tally ? [r.tally] : []));
  const categories = new Map<string, number>();
  const largestOutputByCategory = new Map<string, bigint>();
  let largestOutput = 0n;
  battery.forEach((item, i) => {
    categories.set(item.category, (categories.get(item.category) ?? 0) + 1);
    let big = largestOutputByCategory.get(item.category) ?? 0n;
    model.outputs.forEach((spec, k) => {
      if (spec.dtype !== "float32") return;
      for (const q of refOut[i][k].values) {
        const a = q < 0n ? -q : q;
        if (a < QUANT_MAX && a > big) big = a;
      }
    });
    largestOutputByCategory.set(item.category, big);
    if (big > largestOutput) largestOutput = big;
  });
  return {
    model,
    inputs: battery.length,
    categories,
    reference: reference.name,
    rows,
    largestOutput,
    largestOutputByCategory,
    suggestion: suggestThreshold(model.metric, tallies, float32UlpSteps(largestOutput)),
    exceeded: rows.some((r) => !r.proxy && r.tally !== undefined && r.tally.diverged > 0),
  };
}

/** The table: one line per setting with its largest divergence, the worst job and the verdict. */
export function formatCalibration(c: Calibration): string {
  const unit = c.model.metric === "MAX_ABS_DIFF" ? "max |a−b|" : c.model.metric === "MEAN_SQUARED" ? "max Σ(a−b)²/n" : "mismatched jobs";
  const lines = [
    `${c.model.id}: ${c.inputs} inputs (${[...c.categories].map(([k, v]) => `${k} ${v}`).join(", ")})`,
    `metric ${c.model.metric}, registered threshold ${c.model.threshold} (quant_scale_bits ${c.model.quantScaleBits}); reference: ${c.reference}`,
    "",
    `| setting | ${unit} | max abs (steps) | jobs diverged | worst job | verdict |`,
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of c.rows) {
    if (!r.tally) {
      const why = r.unavailable!.replace(/^.* was false\. /, "");
      lines.push(`| ${r.name} | – | – | – | – | unavailable: ${why.length > 110 ? why.slice(0, 109) + "…" : why} |`);
      continue;
    }
    const t = r.tally;
    const worst = t.worst ? `#${t.worst.job} ${t.worst.category}` : "–";
    lines.push(`| ${r.name} | ${t.figure()} | ${t.maxAbs} | ${t.diverged}/${t.jobs} | ${worst} | ${t.verdict()}${r.proxy ? " (proxy)" : ""} |`);
  }
  lines.push("");
  // Where the divergence is, for every setting that has any.
  for (const r of c.rows) {
    if (!r.tally || r.tally.maxAbs === 0n) continue;
    const list = (m: ReadonlyMap<string, bigint>): string => [...m].map(([k, v]) => `${k} ${v}`).join(", ");
    lines.push(`${r.name}: max |a−b| by category: ${list(r.tally.byCategory)}; by output: ${list(r.tally.byOutput)}`);
  }
  const value = (q: bigint): string => (Number(q) / 2 ** c.model.quantScaleBits).toPrecision(4);
  lines.push(
    `largest |float32 output| of the reference: ${value(c.largestOutput)} (one float32 ulp there = ${float32UlpSteps(c.largestOutput)} steps); by category: ` +
      [...c.largestOutputByCategory].map(([k, q]) => `${k} ${value(q)} (ulp ${float32UlpSteps(q)})`).join(", "),
  );
  lines.push(`suggested threshold: ${c.suggestion.threshold ?? "none"} (rule: ${c.suggestion.rule})`);
  return lines.join("\n");
}

/** The JSON summary (the command's last line): integers as numbers, quantized amounts as strings. */
export function calibrationJson(c: Calibration): Record<string, unknown> {
  return {
    model: c.model.id,
    metric: c.model.metric,
    threshold: c.model.threshold.toString(),
    inputs: c.inputs,
    settings: c.rows.map((r) =>
      r.tally
        ? {
            name: r.name,
            proxy: r.proxy,
            max_divergence: r.tally.figure(),
            max_abs_diff: r.tally.maxAbs.toString(),
            diverged_jobs: r.tally.diverged,
            verdict: r.tally.verdict(),
            max_abs_by_category: Object.fromEntries([...r.tally.byCategory].map(([k, v]) => [k, v.toString()])),
          }
        : { name: r.name, proxy: r.proxy, verdict: "unavailable", reason: r.unavailable },
    ),
    largest_output_ulp_steps: float32UlpSteps(c.largestOutput).toString(),
    suggested_threshold: c.suggestion.threshold?.toString() ?? null,
    exceeded: c.exceeded,
  };
}
