/**
 * The sidecar's hot path between canonical tensor bytes and host tensors, on the chain's own
 * reader and writer (x/models/tensorWire.ts) and without a bigint per value:
 *
 *   decodeToHost(model, bytes)   ≡ dequantizeTensors(decodeInput(model, bytes), inputs, bits)
 *   encodeFromHost(model, host)  ≡ encodeTensorList(quantizeTensors(host, bits)), with the
 *                                   output spec checked (checkOutputAgainstSpec)
 *
 * byte for byte and value for value (tensorCodec.test.ts checks both on random tensors, NaN,
 * ±Inf, saturation and 64-bit values included). Values stay doubles while they fit 7 varint
 * bytes (|q| < 2^48) and are bigints above. Bytes the reader refuses, and tensors that break
 * the model's spec, go through decodeInput / checkOutputAgainstSpec, so errors are the chain's.
 */
import { checkOutputAgainstSpec, decodeInput, encodeTensorList } from "../x/models/tensor";
import { BIG, NonCanonical, TensorListReader, TensorListWriter } from "../x/models/tensorWire";
import { dtypeRange, type Model, type TensorSpec } from "../x/models/types";
import { QUANT_MAX, QUANT_MIN, QUANT_NAN, roundHalfEven } from "./quant";
import { allocate, dequantizeTensors, quantizeTensors, type HostTensor } from "./tensors";

const TWO_52 = 2 ** 52;
const TWO_63 = 2 ** 63;

/** Valid canonical bytes that the fast path leaves to the chain's checks (a spec mismatch). */
class Fallback extends Error {}

/** UTF-8 bytes of the spec's tensor names (a model's names are few and fixed). */
const names = new Map<string, Uint8Array>();
const utf8 = new TextEncoder();
function nameBytes(name: string): Uint8Array {
  let b = names.get(name);
  if (!b) names.set(name, (b = utf8.encode(name)));
  return b;
}

// ---------------------------------------------------------------- decoding

/** The reader's current tensor as a host tensor of `spec`; Fallback where it breaks the spec. */
function readTensor(r: TensorListReader, spec: TensorSpec, scale: number): HostTensor {
  const dims = r.dims;
  if (!r.nameIs(nameBytes(spec.name)) || dims.length !== spec.shape.length) throw new Fallback();
  // Spec dims are below 2^31, and dims read as numbers are exact below 2^49.
  for (let j = 0; j < dims.length; j++) if (spec.shape[j] !== -1n && dims[j] !== Number(spec.shape[j])) throw new Fallback();
  const n = r.count;
  const data = allocate(spec.dtype, n);
  if (data instanceof Float32Array || data instanceof Float64Array) {
    for (let i = 0; i < n; i++) {
      const q = r.value();
      data[i] = q !== BIG ? q / scale : r.big === QUANT_NAN ? Number.NaN : Number(r.big) / scale;
    }
  } else if (data instanceof BigInt64Array) {
    for (let i = 0; i < n; i++) data[i] = r.bigValue();
  } else {
    const { min, max } = dtypeRange(spec.dtype);
    const lo = Number(min);
    const hi = Number(max);
    for (let i = 0; i < n; i++) {
      const q = r.value();
      if (q < lo || q > hi) throw new Fallback(); // BIG included
      data[i] = q;
    }
  }
  return { name: spec.name, dtype: spec.dtype, dims, data };
}

/**
 * Job input bytes → host tensors in spec order (what the reference path gives); throws the
 * chain's own error for anything the chain would refuse.
 */
export function decodeToHost(model: Pick<Model, "inputs" | "maxInputBytes" | "quantScaleBits">, bytes: Uint8Array): HostTensor[] {
  if (bytes.length <= Number(model.maxInputBytes)) {
    try {
      return readInputs(model, bytes);
    } catch (e) {
      if (!(e instanceof Fallback || e instanceof NonCanonical)) throw e;
    }
  }
  return dequantizeTensors(decodeInput(model, bytes), model.inputs, model.quantScaleBits);
}

function readInputs(model: Pick<Model, "inputs" | "quantScaleBits">, bytes: Uint8Array): HostTensor[] {
  const scale = 2 ** model.quantScaleBits;
  const r = new TensorListReader(bytes);
  const out: HostTensor[] = [];
  while (r.nextTensor()) {
    if (out.length === model.inputs.length) throw new Fallback();
    out.push(readTensor(r, model.inputs[out.length], scale));
  }
  if (out.length !== model.inputs.length) throw new Fallback();
  return out;
}

// ---------------------------------------------------------------- encoding

const writer = new TensorListWriter();

/** One float value, as quantizeValue gives it (NaN, ±Inf and out-of-range values saturate). */
function writeFloat(w: TensorListWriter, x: number, scale: number): void {
  const y = x * scale;
  if (y > -TWO_52 && y < TWO_52) {
    w.value(roundHalfEven(y));
    return;
  }
  if (Number.isNaN(y)) w.bigValue(QUANT_NAN);
  else if (y >= TWO_63) w.bigValue(QUANT_MAX);
  else if (y <= -TWO_63) w.bigValue(QUANT_MIN);
  else w.bigValue(BigInt(y)); // |y| ≥ 2^52: already an integer
}

/**
 * Model outputs (host tensors in spec order) → canonical result bytes, quantized with the
 * model's quant_scale_bits; throws the chain's error when they break the output spec.
 */
export function encodeFromHost(model: Pick<Model, "outputs" | "quantScaleBits">, host: readonly HostTensor[]): Uint8Array {
  // Float outputs whose names and shapes fit the spec always encode (values saturate); anything
  // else (integer outputs' range checks, a spec error to report) takes the reference path.
  const fits =
    host.length === model.outputs.length &&
    host.every((t, i) => {
      const spec = model.outputs[i];
      return (
        (t.data instanceof Float32Array || t.data instanceof Float64Array) &&
        t.name === spec.name &&
        t.dims.length === spec.shape.length &&
        spec.shape.every((d, j) => d === -1n || BigInt(t.dims[j]) === d)
      );
    });
  if (!fits) {
    const q = quantizeTensors(host, model.quantScaleBits);
    const err = checkOutputAgainstSpec(model, q);
    if (err) throw err;
    return encodeTensorList(q);
  }
  const scale = 2 ** model.quantScaleBits;
  writer.reset();
  for (const t of host) {
    const count = t.dims.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`${t.name}: dims [${t.dims.join(",")}] hold ${count} values, got ${t.data.length}`);
    writer.beginTensor(nameBytes(t.name));
    for (const d of t.dims) writer.dim(d);
    // A copy on the JS heap: onnxruntime's outputs live in external buffers, slower to read element by element.
    const data = t.data instanceof Float32Array ? new Float32Array(t.data) : new Float64Array(t.data as Float64Array);
    for (let i = 0; i < data.length; i++) writeFloat(writer, data[i], scale);
    writer.endTensor();
  }
  return writer.finish();
}
