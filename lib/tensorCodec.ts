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
 *
 * The sidecar keeps one InputDecoder and one OutputEncoder per model (lib/models/onnx.ts
 * QuantizedSession): the spec's names, dims and scale are worked out once, the encoder's
 * buffers are reused, and the decoder writes into arrays the caller hands it (a pool), so a
 * job allocates no typed array of its own. decodeToHost / encodeFromHost are the same with
 * fresh ones.
 */
import { checkOutputAgainstSpec, decodeInput, encodeTensorList, quantizedBound } from "../x/models/tensor";
import { BIG, NonCanonical, TensorListReader, TensorListWriter } from "../x/models/tensorWire";
import { dtypeRange, type Model, type TensorSpec } from "../x/models/types";
import { QUANT_MAX, QUANT_MIN, QUANT_NAN, roundHalfEven } from "./quant";
import { allocate, dequantizeTensors, quantizeTensors, type HostData, type HostTensor } from "./tensors";

const TWO_52 = 2 ** 52;
const TWO_63 = 2 ** 63;
const utf8 = new TextEncoder();

/** Valid canonical bytes that the fast path leaves to the chain's checks (a spec mismatch). */
class Fallback extends Error {}

/** A spec as the fast paths compare it: its name's UTF-8 bytes and its dims as numbers (−1 free). */
interface SpecInfo {
  readonly spec: TensorSpec;
  readonly name: Uint8Array;
  readonly dims: readonly number[];
  /** An input's max_abs in the units its values arrive in (quantizedBound), exactly; undefined when unbounded. */
  readonly bound: bigint | undefined;
  /** The same as a number for the value loops (Infinity when unbounded): values read as numbers are below 2^48, where the comparison is exact. */
  readonly limit: number;
}

// Spec dims are below 2^31, so numbers compare them exactly.
function specInfo(spec: TensorSpec, quantScaleBits: number): SpecInfo {
  const bound = quantizedBound(spec, quantScaleBits);
  return { spec, name: utf8.encode(spec.name), dims: spec.shape.map((d) => Number(d)), bound, limit: bound === undefined ? Infinity : Number(bound) };
}

function dimsFit(want: readonly number[], dims: readonly number[]): boolean {
  if (want.length !== dims.length) return false;
  for (let j = 0; j < want.length; j++) if (want[j] !== -1 && dims[j] !== want[j]) return false;
  return true;
}

// ---------------------------------------------------------------- decoding

/**
 * Where the decoder puts input `index`'s values: a typed array of `spec.dtype` holding exactly
 * `count` values (fresh, or one of a pool's for these dims). The decoder overwrites all of them.
 */
export type HostAllocator = (index: number, spec: TensorSpec, dims: readonly number[], count: number) => HostData;

const fresh: HostAllocator = (_index, spec, _dims, count) => allocate(spec.dtype, count);

/** Job input bytes → host tensors for one model. */
export class InputDecoder {
  private readonly specs: readonly SpecInfo[];
  /** 2^−quant_scale_bits: q × step is q / 2^bits exactly (a power of two, |q| < 2^64, bits ≤ 32), and a multiply is cheaper than a divide. */
  private readonly step: number;
  private readonly maxBytes: number;

  constructor(private readonly model: Pick<Model, "inputs" | "maxInputBytes" | "quantScaleBits">) {
    this.specs = model.inputs.map((spec) => specInfo(spec, model.quantScaleBits));
    this.step = 2 ** -model.quantScaleBits;
    // Input limits are far below 2^53; a larger one only means every input is read.
    this.maxBytes = Number(model.maxInputBytes);
  }

  /**
   * Host tensors in spec order (what the reference path gives); throws the chain's own error
   * for anything the chain would refuse. On the fast path every tensor's data comes from
   * `alloc`, in spec order; where it falls back they are fresh arrays.
   */
  decode(bytes: Uint8Array, alloc: HostAllocator = fresh): HostTensor[] {
    if (bytes.length <= this.maxBytes) {
      try {
        return this.read(bytes, alloc);
      } catch (e) {
        if (!(e instanceof Fallback || e instanceof NonCanonical)) throw e;
      }
    }
    const m = this.model;
    return dequantizeTensors(decodeInput(m, bytes), m.inputs, m.quantScaleBits);
  }

  private read(bytes: Uint8Array, alloc: HostAllocator): HostTensor[] {
    const specs = this.specs;
    const r = new TensorListReader(bytes);
    const out: HostTensor[] = [];
    while (r.nextTensor()) {
      if (out.length === specs.length) throw new Fallback();
      out.push(this.tensor(r, out.length, alloc));
    }
    if (out.length !== specs.length) throw new Fallback();
    return out;
  }

  /**
   * The reader's current tensor as input `index`; Fallback where it breaks the spec (a name,
   * a dim, a value outside the dtype or beyond max_abs).
   */
  private tensor(r: TensorListReader, index: number, alloc: HostAllocator): HostTensor {
    const { spec, name, dims: want, bound, limit } = this.specs[index];
    const dims = r.dims;
    if (!r.nameIs(name) || !dimsFit(want, dims)) throw new Fallback();
    const n = r.count;
    const data = alloc(index, spec, dims, n);
    if (data instanceof Float32Array || data instanceof Float64Array) {
      const step = this.step;
      for (let i = 0; i < n; i++) {
        const q = r.value();
        if (q !== BIG) {
          if (q > limit || q < -limit) throw new Fallback();
          data[i] = q * step;
        } else {
          if (bound !== undefined && (r.big > bound || r.big < -bound)) throw new Fallback(); // NaN (−2^63) included
          data[i] = r.big === QUANT_NAN ? Number.NaN : Number(r.big) * step;
        }
      }
    } else if (data instanceof BigInt64Array) {
      for (let i = 0; i < n; i++) {
        const v = r.bigValue();
        if (bound !== undefined && (v > bound || v < -bound)) throw new Fallback();
        data[i] = v;
      }
    } else {
      const { min, max } = dtypeRange(spec.dtype);
      const lo = Math.max(Number(min), -limit);
      const hi = Math.min(Number(max), limit);
      for (let i = 0; i < n; i++) {
        const q = r.value();
        if (q < lo || q > hi) throw new Fallback(); // BIG included
        data[i] = q;
      }
    }
    return { name: spec.name, dtype: spec.dtype, dims, data };
  }
}

/**
 * Job input bytes → host tensors in spec order (what the reference path gives); throws the
 * chain's own error for anything the chain would refuse.
 */
export function decodeToHost(model: Pick<Model, "inputs" | "maxInputBytes" | "quantScaleBits">, bytes: Uint8Array): HostTensor[] {
  return new InputDecoder(model).decode(bytes);
}

// ---------------------------------------------------------------- encoding

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

/** Model outputs → canonical result bytes for one model; keep one per model (its buffers are reused). */
export class OutputEncoder {
  private readonly specs: readonly SpecInfo[];
  private readonly scale: number;
  private readonly writer = new TensorListWriter();

  constructor(private readonly model: Pick<Model, "outputs" | "quantScaleBits">) {
    this.specs = model.outputs.map((spec) => specInfo(spec, model.quantScaleBits));
    this.scale = 2 ** model.quantScaleBits;
  }

  /** Float outputs whose names and shapes fit the spec always encode (values saturate). */
  private fits(host: readonly HostTensor[]): boolean {
    const specs = this.specs;
    if (host.length !== specs.length) return false;
    for (let i = 0; i < specs.length; i++) {
      const t = host[i];
      if (!(t.data instanceof Float32Array || t.data instanceof Float64Array) || t.name !== specs[i].spec.name || !dimsFit(specs[i].dims, t.dims)) return false;
    }
    return true;
  }

  /**
   * Host tensors in spec order → canonical result bytes, quantized with the model's
   * quant_scale_bits; throws the chain's error when they break the output spec (anything but
   * float outputs of the spec's names and shapes takes the reference path for it).
   */
  encode(host: readonly HostTensor[]): Uint8Array {
    if (!this.fits(host)) {
      const m = this.model;
      const q = quantizeTensors(host, m.quantScaleBits);
      const err = checkOutputAgainstSpec(m, q);
      if (err) throw err;
      return encodeTensorList(q);
    }
    const { scale, writer } = this;
    writer.reset();
    for (let k = 0; k < host.length; k++) {
      const t = host[k];
      const dims = t.dims;
      const n = t.data.length;
      let count = 1;
      for (let j = 0; j < dims.length; j++) count *= dims[j];
      if (count !== n) throw new Error(`${t.name}: dims [${dims.join(",")}] hold ${count} values, got ${n}`);
      writer.beginTensor(this.specs[k].name);
      for (let j = 0; j < dims.length; j++) writer.dim(dims[j]);
      // Read where onnxruntime left them (its external buffer reads as fast as any typed
      // array; a copy first cost more than it saved).
      const data = t.data as Float32Array | Float64Array;
      for (let i = 0; i < n; i++) writeFloat(writer, data[i], scale);
      writer.endTensor();
    }
    return writer.finish();
  }
}

/**
 * Model outputs (host tensors in spec order) → canonical result bytes, quantized with the
 * model's quant_scale_bits; throws the chain's error when they break the output spec.
 */
export function encodeFromHost(model: Pick<Model, "outputs" | "quantScaleBits">, host: readonly HostTensor[]): Uint8Array {
  return new OutputEncoder(model).encode(host);
}
