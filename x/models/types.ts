/**
 * The registry's domain types and their checks. Wire messages (gen/inferchain/models/v1) are
 * turned into these at the boundary (`modelFromWire`, `specFromWire`): enums become names,
 * decimal strings become bigint, and everything is validated once; keepers and the inference
 * module work only with these.
 */
import {
  DataType,
  Metric,
  type Model as WireModel,
  type TensorSpec as WireTensorSpec,
} from "../../gen/inferchain/models/v1/models";
import type { AppError } from "../../base/errors";
import { parseAddress } from "../../base/types/address";
import {
  ErrInvalidFee,
  ErrInvalidGenesis,
  ErrInvalidMetric,
  ErrInvalidModelId,
  ErrInvalidQuantScale,
  ErrInvalidSha256,
  ErrInvalidSizeLimit,
  ErrInvalidSla,
  ErrInvalidTensorSpec,
  ErrInvalidThreshold,
  ErrInvalidUri,
} from "./errors";

export const DTYPES = ["float32", "float64", "int64", "int32", "int8", "uint8", "bool"] as const;
export type DTypeName = (typeof DTYPES)[number];

export const METRICS = ["EXACT", "MAX_ABS_DIFF", "MEAN_SQUARED", "ARGMAX"] as const;
export type MetricName = (typeof METRICS)[number];

/** One input or output: a fixed size ≥ 1 per axis, or -1 for a dynamic axis; `[]` is a scalar. */
export interface TensorSpec {
  readonly name: string;
  readonly dtype: DTypeName;
  readonly shape: readonly bigint[];
  /**
   * Inputs only: the largest |value| a job may send, in the tensor's own units (floats are
   * checked quantized: |q| ≤ maxAbs × 2^quantScaleBits). Absent or 0: the dtype's range only.
   * Float drift between honest workers grows with the values' magnitude, so a bound is what
   * keeps it under an absolute threshold (docs/SECURITY.md, honest noise calibration).
   */
  readonly maxAbs?: bigint;
}

/** What a registrant chooses (MsgRegisterModel, genesis). */
export interface ModelSpec {
  readonly id: string;
  readonly onnxSha256: string;
  readonly uri: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly metric: MetricName;
  /** Quantized units (squared units for MEAN_SQUARED); 0 for EXACT and ARGMAX. */
  readonly threshold: bigint;
  /** 0..32: floats become round_half_even(x × 2^quantScaleBits). */
  readonly quantScaleBits: number;
  readonly minFee: bigint;
  readonly maxInputBytes: bigint;
  readonly maxOutputBytes: bigint;
  readonly slaBlocks: bigint;
}

/** A registered model. */
export interface Model extends ModelSpec {
  /** infer1…, or "" for a model listed in genesis without an owner. */
  readonly owner: string;
  /** uinf escrowed in the "models" module account. */
  readonly deposit: bigint;
  readonly registeredHeight: bigint;
}

export const MODEL_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{1,63}$/;
export const isValidModelId = (id: string): boolean => MODEL_ID_PATTERN.test(id);

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Printable ASCII without spaces; scheme and resolution are the sidecar's business. */
const URI = /^[\x21-\x7e]{1,512}$/;
/** ONNX value names as exporters write them (`input`, `x.1`, `onnx::Gemm_0`, `encoder/out:0`). */
const TENSOR_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,127}$/;
export const MAX_TENSORS = 16;
export const MAX_RANK = 8;
export const MAX_DIM = 0x7fff_ffffn;
/** The largest max_abs a tensor spec may set (int64's largest value). */
export const MAX_ABS_BOUND = (1n << 63n) - 1n;
export const MAX_QUANT_SCALE_BITS = 32;
const U64_MAX = (1n << 64n) - 1n;
const MAX_AMOUNT = 10n ** 30n;
/**
 * Most blocks a job may take: jobs get `height + 2 × sla_blocks` as their hard deadline, an
 * int64 on the wire, so an unbounded value overflowed the encoder inside EndBlock (issue 7).
 */
export const MAX_SLA_BLOCKS = 100_000n;
/** Most bytes of a job's input or output (16 MiB); each is gas-charged per byte and held in state. */
export const MAX_TENSOR_LIST_BYTES = 16n * 1024n * 1024n;

export const isFloatDType = (d: DTypeName): boolean => d === "float32" || d === "float64";

/** The integer range a value of an integer dtype must lie in (floats: the quantized int64 range). */
export function dtypeRange(d: DTypeName): { readonly min: bigint; readonly max: bigint } {
  switch (d) {
    case "int32":
      return { min: -(1n << 31n), max: (1n << 31n) - 1n };
    case "int8":
      return { min: -128n, max: 127n };
    case "uint8":
      return { min: 0n, max: 255n };
    case "bool":
      return { min: 0n, max: 1n };
    default:
      return { min: -(1n << 63n), max: (1n << 63n) - 1n };
  }
}

// ---------------------------------------------------------------- enums at the edge

const DTYPE_TO_WIRE: Readonly<Record<DTypeName, DataType>> = {
  float32: DataType.DATA_TYPE_FLOAT32,
  float64: DataType.DATA_TYPE_FLOAT64,
  int64: DataType.DATA_TYPE_INT64,
  int32: DataType.DATA_TYPE_INT32,
  int8: DataType.DATA_TYPE_INT8,
  uint8: DataType.DATA_TYPE_UINT8,
  bool: DataType.DATA_TYPE_BOOL,
};

const METRIC_TO_WIRE: Readonly<Record<MetricName, Metric>> = {
  EXACT: Metric.METRIC_EXACT,
  MAX_ABS_DIFF: Metric.METRIC_MAX_ABS_DIFF,
  MEAN_SQUARED: Metric.METRIC_MEAN_SQUARED,
  ARGMAX: Metric.METRIC_ARGMAX,
};

export const dtypeToWire = (d: DTypeName): DataType => DTYPE_TO_WIRE[d];
export const metricToWire = (m: MetricName): Metric => METRIC_TO_WIRE[m];

export function dtypeFromWire(d: DataType): DTypeName {
  const name = DTYPES.find((n) => DTYPE_TO_WIRE[n] === d);
  if (name === undefined) throw ErrInvalidTensorSpec.wrap(`unknown dtype ${d}`);
  return name;
}

export function metricFromWire(m: Metric): MetricName {
  const name = METRICS.find((n) => METRIC_TO_WIRE[n] === m);
  if (name === undefined) throw ErrInvalidMetric.wrap(`unknown metric ${m}`);
  return name;
}

export function parseDTypeName(s: unknown): DTypeName {
  const name = DTYPES.find((n) => n === s);
  if (name === undefined) throw ErrInvalidTensorSpec.wrap(`dtype must be one of ${DTYPES.join(", ")}`);
  return name;
}

export function parseMetricName(s: unknown): MetricName {
  const name = METRICS.find((n) => n === s);
  if (name === undefined) throw ErrInvalidMetric.wrap(`metric must be one of ${METRICS.join(", ")}`);
  return name;
}

// ---------------------------------------------------------------- validation

function validateTensorSpecs(specs: readonly TensorSpec[], what: "inputs" | "outputs"): void {
  if (specs.length < 1 || specs.length > MAX_TENSORS) throw ErrInvalidTensorSpec.wrap(`${what}: between 1 and ${MAX_TENSORS} tensors`);
  const seen = new Set<string>();
  for (const [i, s] of specs.entries()) {
    const at = `${what}[${i}]`;
    if (!TENSOR_NAME.test(s.name)) throw ErrInvalidTensorSpec.wrap(`${at}: name must match ${TENSOR_NAME.source}`);
    if (seen.has(s.name)) throw ErrInvalidTensorSpec.wrap(`${at}: duplicate name ${s.name}`);
    seen.add(s.name);
    parseDTypeName(s.dtype);
    if (s.shape.length > MAX_RANK) throw ErrInvalidTensorSpec.wrap(`${at}: rank ${s.shape.length} above ${MAX_RANK}`);
    for (const [j, d] of s.shape.entries()) {
      if (d !== -1n && (d < 1n || d > MAX_DIM)) throw ErrInvalidTensorSpec.wrap(`${at}: dim ${j} is ${d}; want -1 (dynamic) or 1..${MAX_DIM}`);
    }
    const maxAbs = s.maxAbs ?? 0n;
    if (maxAbs !== 0n && what === "outputs") throw ErrInvalidTensorSpec.wrap(`${at}: max_abs bounds inputs only`);
    if (maxAbs < 0n || maxAbs > MAX_ABS_BOUND) throw ErrInvalidTensorSpec.wrap(`${at}: max_abs must be in 0..${MAX_ABS_BOUND}, got ${maxAbs}`);
  }
}

function bounded(n: bigint, max: bigint, err: AppError, what: string): void {
  if (n < 1n || n > max) throw err.wrap(`${what} must be in 1..${max}, got ${n}`);
}


/** Every stateless rule on a model a registrant chooses; throws the rule's own error code. */
export function validateModelSpec(m: ModelSpec): void {
  if (!isValidModelId(m.id)) throw ErrInvalidModelId.wrap(`id ${JSON.stringify(m.id)} must match ${MODEL_ID_PATTERN.source}`);
  if (!SHA256_HEX.test(m.onnxSha256)) throw ErrInvalidSha256.wrap("onnx_sha256 must be 64 lowercase hex digits");
  if (!URI.test(m.uri)) throw ErrInvalidUri.wrap("uri must be 1..512 printable ASCII characters without spaces");
  validateTensorSpecs(m.inputs, "inputs");
  validateTensorSpecs(m.outputs, "outputs");
  parseMetricName(m.metric);
  if (m.threshold < 0n || m.threshold > U64_MAX) throw ErrInvalidThreshold.wrap(`threshold must be in 0..2^64-1, got ${m.threshold}`);
  if ((m.metric === "EXACT" || m.metric === "ARGMAX") && m.threshold !== 0n) {
    throw ErrInvalidThreshold.wrap(`${m.metric} takes no threshold; set it to 0`);
  }
  if (!Number.isInteger(m.quantScaleBits) || m.quantScaleBits < 0 || m.quantScaleBits > MAX_QUANT_SCALE_BITS) {
    throw ErrInvalidQuantScale.wrap(`quant_scale_bits must be in 0..${MAX_QUANT_SCALE_BITS}, got ${m.quantScaleBits}`);
  }
  if (m.minFee < 0n || m.minFee >= MAX_AMOUNT) throw ErrInvalidFee.wrap("min_fee must be in 0..10^30");
  bounded(m.maxInputBytes, MAX_TENSOR_LIST_BYTES, ErrInvalidSizeLimit, "max_input_bytes");
  bounded(m.maxOutputBytes, MAX_TENSOR_LIST_BYTES, ErrInvalidSizeLimit, "max_output_bytes");
  bounded(m.slaBlocks, MAX_SLA_BLOCKS, ErrInvalidSla, "sla_blocks");
}

/** A registered model: its spec plus owner (an address, or "" only at genesis) and deposit. */
export function validateModel(m: Model): void {
  validateModelSpec(m);
  if (m.owner !== "") parseAddress(m.owner, undefined, "owner");
  if (m.deposit < 0n || m.deposit >= MAX_AMOUNT) throw ErrInvalidGenesis.wrap("deposit must be in 0..10^30");
  if (m.registeredHeight < 0n || m.registeredHeight > U64_MAX) throw ErrInvalidGenesis.wrap("registered_height out of range");
}

// ---------------------------------------------------------------- wire ↔ domain

const DECIMAL = /^[0-9]{1,30}$/;

/** A decimal uinf amount from the wire; `err` says which field was wrong. */
export function parseDecimal(s: string, err: AppError, what: string): bigint {
  if (!DECIMAL.test(s)) throw err.wrap(`${what} must be a decimal integer, got ${JSON.stringify(s)}`);
  return BigInt(s);
}

export function tensorSpecFromWire(t: WireTensorSpec): TensorSpec {
  const spec = { name: t.name, dtype: dtypeFromWire(t.dtype), shape: [...t.shape] };
  return t.maxAbs === 0n ? spec : { ...spec, maxAbs: t.maxAbs };
}

export function tensorSpecToWire(t: TensorSpec): WireTensorSpec {
  return { name: t.name, dtype: dtypeToWire(t.dtype), shape: [...t.shape], maxAbs: t.maxAbs ?? 0n };
}

/** The spec fields shared by Model and MsgRegisterModel, from the wire (unchecked beyond types). */
export interface WireModelSpec {
  readonly id: string;
  readonly onnxSha256: string;
  readonly uri: string;
  readonly inputs: readonly WireTensorSpec[];
  readonly outputs: readonly WireTensorSpec[];
  readonly metric: Metric;
  readonly threshold: bigint;
  readonly quantScaleBits: number;
  readonly minFee: string;
  readonly maxInputBytes: bigint;
  readonly maxOutputBytes: bigint;
  readonly slaBlocks: bigint;
}

export function specFromWire(w: WireModelSpec): ModelSpec {
  return {
    id: w.id,
    onnxSha256: w.onnxSha256,
    uri: w.uri,
    inputs: w.inputs.map(tensorSpecFromWire),
    outputs: w.outputs.map(tensorSpecFromWire),
    metric: metricFromWire(w.metric),
    threshold: w.threshold,
    quantScaleBits: w.quantScaleBits,
    minFee: parseDecimal(w.minFee, ErrInvalidFee, "min_fee"),
    maxInputBytes: w.maxInputBytes,
    maxOutputBytes: w.maxOutputBytes,
    slaBlocks: w.slaBlocks,
  };
}

export function modelFromWire(w: WireModel): Model {
  return {
    ...specFromWire(w),
    owner: w.owner,
    deposit: parseDecimal(w.deposit, ErrInvalidGenesis, "deposit"),
    registeredHeight: w.registeredHeight,
  };
}

export function modelToWire(m: Model): WireModel {
  return {
    id: m.id,
    onnxSha256: m.onnxSha256,
    uri: m.uri,
    inputs: m.inputs.map(tensorSpecToWire),
    outputs: m.outputs.map(tensorSpecToWire),
    metric: metricToWire(m.metric),
    threshold: m.threshold,
    quantScaleBits: m.quantScaleBits,
    minFee: m.minFee.toString(),
    maxInputBytes: m.maxInputBytes,
    maxOutputBytes: m.maxOutputBytes,
    slaBlocks: m.slaBlocks,
    owner: m.owner,
    deposit: m.deposit.toString(),
    registeredHeight: m.registeredHeight,
  };
}
