/**
 * The sidecar's hot path between canonical tensor bytes and host tensors, in one pass and
 * without a bigint per value:
 *
 *   decodeToHost(model, bytes)   ≡ dequantizeTensors(decodeInput(model, bytes), inputs, bits)
 *   encodeFromHost(model, host)  ≡ encodeTensorList(quantizeTensors(host, bits)), with the
 *                                   output spec checked (checkOutputAgainstSpec)
 *
 * byte for byte and value for value (tensorCodec.test.ts checks both against the reference
 * path on random tensors, NaN, ±Inf, saturation and 64-bit values included). The reference
 * path builds a bigint per value and re-encodes the input to check it is canonical, which
 * costs more than running a small model; values here stay doubles while they are below 2^52
 * and fall back to bigint above. Any input the fast decoder does not recognise (non-canonical
 * field order, unknown fields, a spec mismatch) goes through the reference path, so errors
 * are the same as the chain's.
 *
 * Wire format (inferchain.models.v1): QuantizedTensorList { repeated QuantizedTensor tensors = 1 }
 * QuantizedTensor { string name = 1; repeated uint64 shape = 2 (packed); repeated sint64 values = 3 (packed) }.
 */
import { checkOutputAgainstSpec, decodeInput } from "../x/models/tensor";
import { dtypeRange, type Model, type TensorSpec } from "../x/models/types";
import { QUANT_MAX, QUANT_MIN, QUANT_NAN, roundHalfEven } from "./quant";
import { allocate, dequantizeTensors, quantizeTensors, type HostTensor } from "./tensors";
import { encodeTensorList } from "../x/models/tensor";

const TWO_52 = 2 ** 52;
const TWO_63 = 2 ** 63;
const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf8e = new TextEncoder();

class Fallback extends Error {}

// ---------------------------------------------------------------- decoding

class Reader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    readonly end: number,
  ) {}

  /** A varint as a double when it has ≤ 7 bytes (< 2^49); -1 when longer (then use bigVarint). */
  varint(): number {
    const b = this.buf;
    const end = this.end;
    let p = this.pos;
    if (p >= end) throw new Fallback();
    let byte = b[p++];
    if (byte < 0x80) {
      this.pos = p;
      return byte;
    }
    // Up to four bytes with 32-bit integer arithmetic (28 bits), then doubles.
    let result = byte & 0x7f;
    for (let shift = 7; shift < 28; shift += 7) {
      if (p >= end) throw new Fallback();
      byte = b[p++];
      result |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        if (byte === 0) throw new Fallback(); // overlong
        this.pos = p;
        return result;
      }
    }
    let mul = 2 ** 28;
    for (let i = 4; i < 7; i++) {
      if (p >= end) throw new Fallback();
      byte = b[p++];
      result += (byte & 0x7f) * mul;
      if (byte < 0x80) {
        if (byte === 0) throw new Fallback();
        this.pos = p;
        return result;
      }
      mul *= 128;
    }
    return -1;
  }

  bigVarint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Fallback();
      const byte = this.buf[this.pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) {
        if (byte === 0 && i > 0) throw new Fallback();
        if (result >= 1n << 64n) throw new Fallback();
        return result;
      }
      shift += 7n;
    }
    throw new Fallback();
  }

  length(): number {
    const n = this.varint();
    if (n < 0 || this.pos + n > this.end) throw new Fallback();
    return n;
  }
}

const nameCache = new Map<string, Uint8Array>();
function nameBytes(name: string): Uint8Array {
  let b = nameCache.get(name);
  if (!b) nameCache.set(name, (b = new TextEncoder().encode(name)));
  return b;
}

function sameBytes(buf: Uint8Array, start: number, end: number, want: Uint8Array): boolean {
  if (end - start !== want.length) return false;
  for (let i = 0; i < want.length; i++) if (buf[start + i] !== want[i]) return false;
  return true;
}

const unzigzag = (u: bigint): bigint => ((u & 1n) === 0n ? u >> 1n : -(u >> 1n) - 1n);

function decodeTensor(r: Reader, spec: TensorSpec, scale: number): HostTensor {
  let name = "";
  const shape: number[] = [];
  let valuesStart = -1;
  let valuesEnd = -1;
  let lastField = 0;
  while (r.pos < r.end) {
    const tag = r.varint();
    const field = tag >>> 3;
    if ((tag & 7) !== 2 || field <= lastField || field > 3) throw new Fallback();
    lastField = field;
    const len = r.length();
    const end = r.pos + len;
    if (len === 0) throw new Fallback(); // proto3 omits empty fields
    if (field === 1) name = sameBytes(r.buf, r.pos, end, nameBytes(spec.name)) ? spec.name : utf8.decode(r.buf.subarray(r.pos, end));
    else if (field === 2) {
      const sr = new Reader(r.buf, end);
      sr.pos = r.pos;
      while (sr.pos < end) {
        const d = sr.varint();
        if (d < 0) throw new Fallback();
        shape.push(d);
      }
    } else {
      valuesStart = r.pos;
      valuesEnd = end;
    }
    r.pos = end;
  }
  if (name !== spec.name || shape.length !== spec.shape.length) throw new Fallback();
  spec.shape.forEach((d, i) => {
    if (d !== -1n && BigInt(shape[i]) !== d) throw new Fallback();
  });
  const n = shape.reduce((a, b) => a * b, 1);
  const data = allocate(spec.dtype, n);
  const vr = new Reader(r.buf, valuesEnd < 0 ? 0 : valuesEnd);
  vr.pos = valuesStart < 0 ? 0 : valuesStart;
  const float = data instanceof Float32Array || data instanceof Float64Array;
  const { min, max } = dtypeRange(spec.dtype);
  const buf = vr.buf;
  for (let i = 0; i < n; i++) {
    // Up to three bytes inline (|q| < 2^20 covers most values at 2^16); longer ones through the reader.
    let u: number;
    const p = vr.pos;
    const b0 = p < vr.end ? buf[p] : 0x80;
    if (b0 < 0x80) {
      u = b0;
      vr.pos = p + 1;
    } else if (p + 1 < vr.end && buf[p + 1] < 0x80 && buf[p + 1] !== 0) {
      u = (b0 & 0x7f) | (buf[p + 1] << 7);
      vr.pos = p + 2;
    } else if (p + 2 < vr.end && buf[p + 1] >= 0x80 && buf[p + 2] < 0x80 && buf[p + 2] !== 0) {
      u = (b0 & 0x7f) | ((buf[p + 1] & 0x7f) << 7) | (buf[p + 2] << 14);
      vr.pos = p + 3;
    } else {
      u = vr.varint();
    }
    if (u >= 0) {
      const q = u % 2 === 0 ? u / 2 : -(u + 1) / 2;
      if (float) (data as Float32Array)[i] = q / scale;
      else if (data instanceof BigInt64Array) data[i] = BigInt(q);
      else {
        if (q < Number(min) || q > Number(max)) throw new Fallback();
        (data as Int32Array)[i] = q;
      }
    } else {
      const q = unzigzag(vr.bigVarint());
      if (data instanceof BigInt64Array) data[i] = q;
      else if (float) (data as Float32Array)[i] = q === QUANT_NAN ? Number.NaN : Number(q) / scale;
      else throw new Fallback();
    }
  }
  if (vr.pos !== vr.end) throw new Fallback();
  return { name, dtype: spec.dtype, dims: shape, data };
}

/**
 * Job input bytes → host tensors in spec order (what the reference path gives); throws the
 * chain's own error for anything the chain would refuse.
 */
export function decodeToHost(model: Pick<Model, "inputs" | "maxInputBytes" | "quantScaleBits">, bytes: Uint8Array): HostTensor[] {
  const reference = (): HostTensor[] => dequantizeTensors(decodeInput(model, bytes), model.inputs, model.quantScaleBits);
  if (BigInt(bytes.length) > model.maxInputBytes) return reference();
  try {
    const scale = 2 ** model.quantScaleBits;
    const r = new Reader(bytes, bytes.length);
    const out: HostTensor[] = [];
    while (r.pos < r.end) {
      if (r.varint() !== 10 || out.length >= model.inputs.length) throw new Fallback();
      const len = r.length();
      const tr = new Reader(bytes, r.pos + len);
      tr.pos = r.pos;
      out.push(decodeTensor(tr, model.inputs[out.length], scale));
      r.pos += len;
    }
    if (out.length !== model.inputs.length) throw new Fallback();
    return out;
  } catch (e) {
    if (e instanceof Fallback || e instanceof TypeError) return reference();
    throw e;
  }
}

// ---------------------------------------------------------------- encoding

/** A growable byte buffer; the encoder keeps two and reuses them across calls. */
class Writer {
  buf = new Uint8Array(1024);
  pos = 0;

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** A varint of a non-negative double below 2^53. */
  varint(v: number): void {
    this.ensure(8);
    while (v >= 128) {
      this.buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  bigVarint(v: bigint): void {
    this.ensure(10);
    while (v >= 128n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Field `field`, length-delimited, holding `body`'s bytes; omitted when empty, as proto3 does. */
  field(field: number, body: Uint8Array): void {
    if (body.length === 0) return;
    this.varint((field << 3) | 2);
    this.varint(body.length);
    this.bytes(body);
  }
}

const varintSize = (v: number): number => (v < 128 ? 1 : v < 16384 ? 2 : v < 2097152 ? 3 : v < 268435456 ? 4 : 5);
const fieldSize = (len: number): number => (len === 0 ? 0 : 1 + varintSize(len) + len);
const values = new Writer();
const shapes = new Writer();
const names = new Map<string, Uint8Array>();

const zigzag = (q: bigint): bigint => (q >= 0n ? q << 1n : (-q << 1n) - 1n);

/** One float value's sint64 varint, as quantizeValue + the protobuf writer would write it. */
function writeFloat(w: Writer, x: number, scale: number): void {
  const y = x * scale;
  if (y > -TWO_52 && y < TWO_52) {
    const q = roundHalfEven(y);
    w.varint(q >= 0 ? q * 2 : -q * 2 - 1);
    return;
  }
  let q: bigint;
  if (Number.isNaN(y)) q = QUANT_NAN;
  else if (y >= TWO_63) q = QUANT_MAX;
  else if (y <= -TWO_63) q = QUANT_MIN;
  else q = BigInt(roundHalfEven(y));
  w.bigVarint(zigzag(q));
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
  const out = new Writer();
  for (const t of host) {
    const count = t.dims.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`${t.name}: dims [${t.dims.join(",")}] hold ${count} values, got ${t.data.length}`);
    let name = names.get(t.name);
    if (!name) names.set(t.name, (name = utf8e.encode(t.name)));
    shapes.pos = 0;
    for (const d of t.dims) shapes.varint(d);
    values.pos = 0;
    // A copy on the JS heap: onnxruntime's outputs live in external buffers, slower to read element by element.
    const data = t.data instanceof Float32Array ? new Float32Array(t.data) : new Float64Array(t.data as Float64Array);
    for (let i = 0; i < data.length; i++) writeFloat(values, data[i], scale);
    const shapeBytes = shapes.buf.subarray(0, shapes.pos);
    const valueBytes = values.buf.subarray(0, values.pos);
    out.varint((1 << 3) | 2);
    out.varint(fieldSize(name.length) + fieldSize(shapeBytes.length) + fieldSize(valueBytes.length));
    out.field(1, name);
    out.field(2, shapeBytes);
    out.field(3, valueBytes);
  }
  return out.buf.slice(0, out.pos);
}
