/**
 * Quantized tensors: how a job's input and result cross the chain. A tensor list has one
 * canonical encoding, `inferchain.models.v1.QuantizedTensorList` as the generated encoder
 * writes it; `encodeTensorList` writes it and `decodeTensorList` accepts exactly those bytes,
 * so equal tensors are equal bytes and hashes over results are well defined. Both go through
 * tensorWire.ts, the one reader and writer of the format (the sidecar's typed-array path in
 * lib/tensorCodec.ts too). Integers only: this file runs in the state machine (the sidecar's
 * float side is lib/quant.ts).
 */
import { QuantizedTensorList } from "../../gen/inferchain/models/v1/models";
import type { AppError } from "../../base/errors";
import { ErrMalformedTensor, ErrTensorSpecMismatch, ErrTensorTooLarge } from "./errors";
import { elementCount, NonCanonical, TensorListReader, TensorListWriter } from "./tensorWire";
import { dtypeRange, isFloatDType, MAX_RANK, MAX_TENSORS, type Model, type TensorSpec } from "./types";

export interface QuantizedTensor {
  readonly name: string;
  /** Actual sizes, row-major; the product is `values.length`. `[]` is a scalar (one value). */
  readonly shape: readonly bigint[];
  /** int64 each: floats as round_half_even(x × 2^quant_scale_bits), integer dtypes as they are. */
  readonly values: readonly bigint[];
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const U64_MAX = (1n << 64n) - 1n;

export { elementCount };

function checkTensor(t: QuantizedTensor, i: number): void {
  if (t.shape.length > MAX_RANK) throw ErrMalformedTensor.wrap(`tensor ${i}: rank ${t.shape.length} above ${MAX_RANK}`);
  for (const d of t.shape) if (d < 0n || d > U64_MAX) throw ErrMalformedTensor.wrap(`tensor ${i}: dim ${d} out of range`);
  const n = elementCount(t.shape);
  if (n !== BigInt(t.values.length)) throw ErrMalformedTensor.wrap(`tensor ${i}: shape [${t.shape.join(",")}] holds ${n} values, got ${t.values.length}`);
  for (const v of t.values) if (v < INT64_MIN || v > INT64_MAX) throw ErrMalformedTensor.wrap(`tensor ${i}: value ${v} is not an int64`);
}

function checkList(ts: readonly QuantizedTensor[]): void {
  if (ts.length > MAX_TENSORS) throw ErrMalformedTensor.wrap(`${ts.length} tensors, at most ${MAX_TENSORS}`);
  ts.forEach(checkTensor);
}

const writer = new TensorListWriter();
const utf8 = new TextEncoder();

/** The canonical bytes of a tensor list; throws ErrMalformedTensor if a shape and its values disagree. */
export function encodeTensorList(ts: readonly QuantizedTensor[]): Uint8Array {
  checkList(ts);
  writer.reset();
  for (const t of ts) {
    writer.beginTensor(utf8.encode(t.name));
    for (const d of t.shape) writer.bigDim(d);
    for (const v of t.values) writer.bigValue(v);
    writer.endTensor();
  }
  return writer.finish();
}

/** Canonical bytes → tensors; throws ErrMalformedTensor on garbage or on any non-canonical encoding. */
export function decodeTensorList(bytes: Uint8Array): QuantizedTensor[] {
  const ts: QuantizedTensor[] = [];
  try {
    const r = new TensorListReader(bytes);
    while (r.nextTensor()) {
      const values = new Array<bigint>(r.count);
      for (let i = 0; i < values.length; i++) values[i] = r.bigValue();
      ts.push({ name: r.name(), shape: r.shape(), values });
    }
  } catch (e) {
    if (e instanceof NonCanonical) throw whyRefused(bytes);
    throw e;
  }
  return ts;
}

/**
 * Why the reader refused these bytes, in the words (and order) of the checks the chain has
 * always made: the protobuf decoder's error, then the list's limits and shapes, then "not in
 * canonical form". Only refused bytes come here.
 */
function whyRefused(bytes: Uint8Array): AppError {
  let list: QuantizedTensorList;
  try {
    list = QuantizedTensorList.decode(bytes);
  } catch (e) {
    return ErrMalformedTensor.wrap(`cannot decode: ${(e as Error).message}`);
  }
  try {
    checkList(list.tensors);
  } catch (e) {
    return e as AppError;
  }
  return ErrMalformedTensor.wrap("not in canonical form (unknown fields, unpacked or reordered fields, overlong varints)");
}

/**
 * Tensors against a list of specs: same count and order, names, ranks, fixed dims (dynamic
 * dims take any size ≥ 0), and every value in its dtype's range. Undefined when they match.
 */
export function checkTensorsAgainstSpecs(specs: readonly TensorSpec[], ts: readonly QuantizedTensor[], what = "tensors", quantScaleBits = 0): AppError | undefined {
  if (ts.length !== specs.length) return ErrTensorSpecMismatch.wrap(`${what}: want ${specs.length} tensors (${specs.map((s) => s.name).join(", ")}), got ${ts.length}`);
  for (const [i, spec] of specs.entries()) {
    const t = ts[i];
    const at = `${what}[${i}] (${spec.name})`;
    if (t.name !== spec.name) return ErrTensorSpecMismatch.wrap(`${what}[${i}]: want name ${spec.name}, got "${t.name}"`);
    if (t.shape.length !== spec.shape.length) return ErrTensorSpecMismatch.wrap(`${at}: want rank ${spec.shape.length}, got ${t.shape.length}`);
    for (const [j, d] of spec.shape.entries()) {
      if (d !== -1n && t.shape[j] !== d) return ErrTensorSpecMismatch.wrap(`${at}: dim ${j} must be ${d}, got ${t.shape[j]}`);
    }
    if (elementCount(t.shape) !== BigInt(t.values.length)) return ErrTensorSpecMismatch.wrap(`${at}: shape and value count disagree`);
    const { min, max } = dtypeRange(spec.dtype);
    for (const v of t.values) {
      if (v < min || v > max) return ErrTensorSpecMismatch.wrap(`${at}: value ${v} outside ${spec.dtype} range ${min}..${max}`);
    }
    const limit = quantizedBound(spec, quantScaleBits);
    if (limit !== undefined) {
      for (const v of t.values) {
        if (v > limit || v < -limit) return ErrTensorSpecMismatch.wrap(`${at}: value ${v} beyond max_abs ${spec.maxAbs} (${limit} quantized)`);
      }
    }
  }
  return undefined;
}

/** A spec's max_abs in the units its values arrive in (floats quantized); undefined when unbounded. */
export function quantizedBound(spec: TensorSpec, quantScaleBits: number): bigint | undefined {
  const maxAbs = spec.maxAbs ?? 0n;
  if (maxAbs === 0n) return undefined;
  return isFloatDType(spec.dtype) ? maxAbs << BigInt(quantScaleBits) : maxAbs;
}

/** A job result against the model's outputs; the inference module rejects MsgSubmitResult on an error. */
export function checkOutputAgainstSpec(model: Pick<Model, "outputs">, ts: readonly QuantizedTensor[]): AppError | undefined {
  return checkTensorsAgainstSpecs(model.outputs, ts, "outputs");
}

/** A job input against the model's inputs (incl. each input's max_abs). */
export function checkInputAgainstSpec(model: Pick<Model, "inputs" | "quantScaleBits">, ts: readonly QuantizedTensor[]): AppError | undefined {
  return checkTensorsAgainstSpecs(model.inputs, ts, "inputs", model.quantScaleBits);
}

function decodeChecked(bytes: Uint8Array, limit: bigint, specs: readonly TensorSpec[], what: string, quantScaleBits = 0): QuantizedTensor[] {
  if (BigInt(bytes.length) > limit) throw ErrTensorTooLarge.wrap(`${what}: ${bytes.length} bytes, limit ${limit}`);
  const ts = decodeTensorList(bytes);
  const err = checkTensorsAgainstSpecs(specs, ts, what, quantScaleBits);
  if (err) throw err;
  return ts;
}

/** Result bytes → tensors: size limit, canonical decoding and output spec, in that order; throws. */
export function decodeOutput(model: Pick<Model, "outputs" | "maxOutputBytes">, bytes: Uint8Array): QuantizedTensor[] {
  return decodeChecked(bytes, model.maxOutputBytes, model.outputs, "outputs");
}

/** Input bytes → tensors: size limit, canonical decoding and input spec, in that order; throws. */
export function decodeInput(model: Pick<Model, "inputs" | "maxInputBytes" | "quantScaleBits">, bytes: Uint8Array): QuantizedTensor[] {
  return decodeChecked(bytes, model.maxInputBytes, model.inputs, "inputs", model.quantScaleBits);
}
