/**
 * Host-side tensors (typed arrays, as onnxruntime takes and gives them) and their two
 * external forms: the chain's quantized tensors (x/models/tensor.ts) and the CLI's JSON,
 *
 *   {"x": {"dims": [1, 16], "data": [0.5, -1.25, …]}, "sr": {"dims": [], "data": [16000]}}
 *
 * one entry per tensor name. Float tensors are quantized with the model's quant_scale_bits;
 * integer tensors cross as they are. int64 data is written as JSON numbers when they are
 * exact and as decimal strings otherwise; non-finite floats as "NaN", "Infinity", "-Infinity".
 * Sidecar and CLI code: floats are fine here.
 */
import type { QuantizedTensor } from "../x/models/tensor";
import { dtypeRange, type DTypeName, type TensorSpec } from "../x/models/types";
import { dequantize, quantize } from "./quant";

export type HostData = Float32Array | Float64Array | BigInt64Array | Int32Array | Int8Array | Uint8Array;

export interface HostTensor {
  readonly name: string;
  readonly dtype: DTypeName;
  readonly dims: readonly number[];
  readonly data: HostData;
}

export class TensorFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TensorFormatError";
  }
}

const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** An empty typed array of the dtype's host type (bool is Uint8Array 0/1, as onnxruntime uses). */
export function allocate(dtype: DTypeName, n: number): HostData {
  switch (dtype) {
    case "float32":
      return new Float32Array(n);
    case "float64":
      return new Float64Array(n);
    case "int64":
      return new BigInt64Array(n);
    case "int32":
      return new Int32Array(n);
    case "int8":
      return new Int8Array(n);
    case "uint8":
    case "bool":
      return new Uint8Array(n);
  }
}

const isFloat = (d: DTypeName): boolean => d === "float32" || d === "float64";

/** Host tensor → the quantized tensor a job input or result carries. */
export function quantizeTensor(t: HostTensor, scaleBits: number): QuantizedTensor {
  if (product(t.dims) !== t.data.length) throw new TensorFormatError(`${t.name}: dims [${t.dims.join(",")}] hold ${product(t.dims)} values, got ${t.data.length}`);
  const values = isFloat(t.dtype)
    ? quantize(t.data as Float32Array | Float64Array, scaleBits)
    : Array.from(t.data as ArrayLike<number | bigint>, (v) => BigInt(v));
  return { name: t.name, shape: t.dims.map((d) => BigInt(d)), values };
}

/** Quantized tensor → host tensor of the spec's dtype (floats rounded to float32 for float32 specs). */
export function dequantizeTensor(q: QuantizedTensor, spec: TensorSpec, scaleBits: number): HostTensor {
  const n = q.values.length;
  const data = allocate(spec.dtype, n);
  if (isFloat(spec.dtype)) {
    (data as Float32Array | Float64Array).set(dequantize(q.values, scaleBits));
  } else if (data instanceof BigInt64Array) {
    data.set(q.values);
  } else {
    const { min, max } = dtypeRange(spec.dtype);
    for (let i = 0; i < n; i++) {
      const v = q.values[i];
      if (v < min || v > max) throw new TensorFormatError(`${q.name}: value ${v} outside ${spec.dtype}`);
      (data as Int32Array | Int8Array | Uint8Array)[i] = Number(v);
    }
  }
  return { name: q.name, dtype: spec.dtype, dims: q.shape.map((d) => Number(d)), data };
}

export function quantizeTensors(ts: readonly HostTensor[], scaleBits: number): QuantizedTensor[] {
  return ts.map((t) => quantizeTensor(t, scaleBits));
}

/** Quantized tensors (already checked against `specs`, in spec order) → host tensors. */
export function dequantizeTensors(qs: readonly QuantizedTensor[], specs: readonly TensorSpec[], scaleBits: number): HostTensor[] {
  if (qs.length !== specs.length) throw new TensorFormatError(`want ${specs.length} tensors, got ${qs.length}`);
  return qs.map((q, i) => dequantizeTensor(q, specs[i], scaleBits));
}

// ---------------------------------------------------------------- JSON

const NON_FINITE: Readonly<Record<string, number>> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, "-Infinity": Number.NEGATIVE_INFINITY };

function parseFloatValue(v: unknown, at: string): number {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v in NON_FINITE) return NON_FINITE[v];
  throw new TensorFormatError(`${at}: want a number, got ${JSON.stringify(v)}`);
}

function parseIntValue(v: unknown, dtype: DTypeName, at: string): bigint {
  let b: bigint;
  if (typeof v === "number" && Number.isSafeInteger(v)) b = BigInt(v);
  else if (typeof v === "string" && /^-?[0-9]{1,20}$/.test(v)) b = BigInt(v);
  else if (dtype === "bool" && typeof v === "boolean") b = v ? 1n : 0n;
  else throw new TensorFormatError(`${at}: want an integer (number or decimal string), got ${JSON.stringify(v)}`);
  const { min, max } = dtypeRange(dtype);
  if (b < min || b > max) throw new TensorFormatError(`${at}: ${b} outside ${dtype} range ${min}..${max}`);
  return b;
}

/**
 * CLI JSON → host tensors in spec order: every spec'd name present and no other, dims of the
 * spec's rank with the fixed dims it names, `data` (row-major, flat) as long as the dims say.
 */
export function parseTensorJson(json: string | unknown, specs: readonly TensorSpec[]): HostTensor[] {
  let doc: unknown = json;
  if (typeof json === "string") {
    try {
      doc = JSON.parse(json);
    } catch (e) {
      throw new TensorFormatError(`not JSON: ${(e as Error).message}`);
    }
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new TensorFormatError("want an object mapping tensor names to {dims, data}");
  const byName = doc as Record<string, unknown>;
  const extra = Object.keys(byName).filter((k) => !specs.some((s) => s.name === k));
  if (extra.length > 0) throw new TensorFormatError(`unknown tensor(s) ${extra.join(", ")}; the model takes ${specs.map((s) => s.name).join(", ")}`);
  return specs.map((spec) => {
    const raw = byName[spec.name];
    if (typeof raw !== "object" || raw === null) throw new TensorFormatError(`${spec.name}: missing, want {"dims": [...], "data": [...]}`);
    const { dims, data } = raw as { dims?: unknown; data?: unknown };
    if (!Array.isArray(dims) || !dims.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) throw new TensorFormatError(`${spec.name}: dims must be a list of integers ≥ 0`);
    if (!Array.isArray(data)) throw new TensorFormatError(`${spec.name}: data must be a flat list`);
    const ds = dims as number[];
    if (ds.length !== spec.shape.length) throw new TensorFormatError(`${spec.name}: want ${spec.shape.length} dims, got ${ds.length}`);
    spec.shape.forEach((want, i) => {
      if (want !== -1n && BigInt(ds[i]) !== want) throw new TensorFormatError(`${spec.name}: dim ${i} must be ${want}, got ${ds[i]}`);
    });
    if (product(ds) !== data.length) throw new TensorFormatError(`${spec.name}: dims [${ds.join(",")}] hold ${product(ds)} values, data has ${data.length}`);
    const out = allocate(spec.dtype, data.length);
    data.forEach((v, i) => {
      const at = `${spec.name}.data[${i}]`;
      if (out instanceof Float32Array || out instanceof Float64Array) out[i] = parseFloatValue(v, at);
      else if (out instanceof BigInt64Array) out[i] = parseIntValue(v, spec.dtype, at);
      else out[i] = Number(parseIntValue(v, spec.dtype, at));
    });
    return { name: spec.name, dtype: spec.dtype, dims: [...ds], data: out };
  });
}

function jsonValue(v: number | bigint): number | string {
  if (typeof v === "bigint") return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  return Number.isFinite(v) ? v : String(v);
}

/** Host tensors → the CLI's JSON (the same shape parseTensorJson reads). */
export function formatTensorJson(ts: readonly HostTensor[], indent?: number): string {
  const out: Record<string, { dims: number[]; data: Array<number | string> }> = {};
  for (const t of ts) out[t.name] = { dims: [...t.dims], data: Array.from(t.data as ArrayLike<number | bigint>, jsonValue) };
  return JSON.stringify(out, null, indent);
}
