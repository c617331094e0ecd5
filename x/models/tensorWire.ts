/**
 * The one reader and the one writer of quantized tensor bytes, for the chain (tensor.ts:
 * bigint values) and the sidecar (lib/tensorCodec.ts: typed arrays) alike. Wire format
 * (proto/inferchain/models/v1/models.proto):
 *
 *   QuantizedTensorList { repeated QuantizedTensor tensors = 1; }
 *   QuantizedTensor     { string name = 1; repeated uint64 shape = 2; repeated sint64 values = 3; }
 *
 * Canonical form is what the generated encoder (QuantizedTensorList.encode) writes: fields in
 * number order, each at most once, empty ones omitted, repeated fields packed, every varint
 * minimal, nothing else. The writer writes exactly those bytes (tensorWire.test.ts checks it
 * against the generated encoder on random lists); the reader accepts exactly the canonical
 * encodings of valid lists (at most MAX_TENSORS tensors of rank at most MAX_RANK, as many
 * values as the shape holds) and throws NonCanonical on anything else, unknown fields,
 * unpacked or reordered fields, overlong varints, trailing bytes and invalid UTF-8 included.
 *
 * Integers only (this runs in the state machine): a varint of up to 7 bytes (< 2^49) is read
 * and written as a number, whose integer arithmetic is exact below 2^53; longer ones as bigint.
 */
import { MAX_RANK, MAX_TENSORS } from "./types";

/** Bytes the reader refuses; tensor.ts turns it into ErrMalformedTensor with the reason the protobuf decoder gives. */
export class NonCanonical extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NonCanonical";
  }
}

/** What `TensorListReader.value()` returns for a value that does not fit 7 varint bytes; the value is in `big`. */
export const BIG = 2 ** 53;

const TAG_TENSOR = 10; // field 1, length-delimited: a tensor in the list
const TAG_NAME = 10; // field 1, length-delimited: a tensor's name
const TAG_SHAPE = 18; // field 2, length-delimited (packed)
const TAG_VALUES = 26; // field 3, length-delimited (packed)
const U64_MAX = (1n << 64n) - 1n;
/** The writer takes values and dims up to this magnitude as numbers (their varints stay below 2^53). */
const SAFE = 2n ** 52n;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The number of values a shape holds (1 for a scalar). */
export function elementCount(shape: readonly bigint[]): bigint {
  let n = 1n;
  for (const d of shape) n *= d;
  return n;
}

const unzigzag = (u: bigint): bigint => ((u & 1n) === 0n ? u >> 1n : -(u >> 1n) - 1n);

/**
 * Reads canonical tensor list bytes front to back:
 *
 *   const r = new TensorListReader(bytes);
 *   while (r.nextTensor()) { r.name(); r.shape(); for (let i = 0; i < r.count; i++) r.value(); }
 *
 * Each tensor's `count` values must all be read before the next `nextTensor()`.
 */
export class TensorListReader {
  private pos = 0;
  private tensorEnd = 0;
  private nameStart = 0;
  private nameEnd = 0;
  private tensors = 0;
  /**
   * The current tensor's dims as numbers: exact below 2^49; a longer dim (only possible beside
   * a 0 dim) is rounded as Number() rounds it, and kept exactly in `longDims`.
   */
  dims: number[] = [];
  private longDims: bigint[] | undefined;
  /** The current tensor's number of values (the product of its shape; at most the bytes left). */
  count = 0;
  /** The last value `value()` returned as BIG, or the last long varint read. */
  big = 0n;

  constructor(private readonly buf: Uint8Array) {}

  /**
   * A minimal varint (≤ 10 bytes, < 2^64) ending before `end`: a number when it has at most
   * 7 bytes, else -1 with the value in `big`.
   */
  private varint(end: number): number {
    const buf = this.buf;
    let p = this.pos;
    if (p >= end) throw new NonCanonical("truncated varint");
    let b = buf[p++];
    if (b < 0x80) {
      this.pos = p;
      return b;
    }
    let result = b & 0x7f;
    let mul = 0x80;
    for (let i = 1; i < 7; i++) {
      if (p >= end) throw new NonCanonical("truncated varint");
      b = buf[p++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (b === 0) throw new NonCanonical("overlong varint");
        this.pos = p;
        return result;
      }
      mul *= 0x80;
    }
    let big = BigInt(result);
    for (let shift = 49n; shift < 70n; shift += 7n) {
      if (p >= end) throw new NonCanonical("truncated varint");
      b = buf[p++];
      big |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) {
        if (b === 0) throw new NonCanonical("overlong varint");
        if (big > U64_MAX) throw new NonCanonical("varint above 2^64");
        this.pos = p;
        this.big = big;
        return -1;
      }
    }
    throw new NonCanonical("varint longer than 10 bytes");
  }

  /** A length prefix; the field it announces must be non-empty (proto3 omits empty ones) and end by `end`. */
  private length(end: number): number {
    const n = this.varint(end);
    if (n === 0) throw new NonCanonical("empty field");
    if (n < 0 || n > end - this.pos) throw new NonCanonical("length past the end");
    return n;
  }

  /**
   * Moves to the next tensor and reads its name and shape; false after the last one. Throws
   * NonCanonical when the previous tensor's values were not exactly `count`, or on bytes that
   * are not the canonical encoding of a valid list.
   */
  nextTensor(): boolean {
    const buf = this.buf;
    if (this.pos !== this.tensorEnd) throw new NonCanonical("values left over or missing");
    if (this.pos >= buf.length) return false;
    if (++this.tensors > MAX_TENSORS) throw new NonCanonical("too many tensors");
    if (buf[this.pos++] !== TAG_TENSOR) throw new NonCanonical("not a tensor field");
    // A tensor cannot be empty (a scalar holds one value), so its length is at least 1.
    const len = this.length(buf.length);
    const end = this.pos + len;
    this.tensorEnd = end;
    this.nameStart = this.nameEnd = this.pos;
    this.dims = [];
    this.longDims = undefined;
    if (this.pos < end && buf[this.pos] === TAG_NAME) {
      this.pos++;
      const n = this.length(end);
      this.nameStart = this.pos;
      this.nameEnd = this.pos += n;
    }
    let zero = false;
    if (this.pos < end && buf[this.pos] === TAG_SHAPE) {
      this.pos++;
      const n = this.length(end);
      const shapeEnd = this.pos + n;
      while (this.pos < shapeEnd) {
        if (this.dims.length === MAX_RANK) throw new NonCanonical("rank above MAX_RANK");
        const d = this.varint(shapeEnd);
        if (d >= 0) {
          zero ||= d === 0;
          this.dims.push(d);
        } else {
          (this.longDims ??= [])[this.dims.length] = this.big;
          this.dims.push(Number(this.big));
        }
      }
    }
    let valueBytes = 0;
    if (this.pos < end) {
      if (buf[this.pos++] !== TAG_VALUES) throw new NonCanonical("unknown, repeated or reordered field");
      valueBytes = this.length(end);
      if (this.pos + valueBytes !== end) throw new NonCanonical("bytes after the values");
    }
    // Every value takes at least one byte: a shape holding more values than there are bytes
    // is refused before anything is allocated for them. Below 2^26 bytes the running product
    // (≤ 2^26 × 2^26) is exact in doubles; above, it is counted in bigint.
    let count = 0;
    if (!zero && valueBytes < 0x4000000) {
      count = 1;
      for (const d of this.dims) {
        count = d > valueBytes ? valueBytes + 1 : count * d;
        if (count > valueBytes) break;
      }
    } else if (!zero) {
      const n = elementCount(this.shape());
      count = n > BigInt(valueBytes) ? valueBytes + 1 : Number(n);
    }
    if (count > valueBytes) throw new NonCanonical("shape holds more values than given");
    this.count = count;
    for (let i = this.nameStart; i < this.nameEnd; i++) {
      if (buf[i] >= 0x80) {
        this.utf8Name(); // valid UTF-8, or NonCanonical
        break;
      }
    }
    return true;
  }

  /** The current tensor's shape, exactly (dims up to 2^64 − 1). */
  shape(): bigint[] {
    const long = this.longDims;
    return this.dims.map((d, i) => long?.[i] ?? BigInt(d));
  }

  /** The current tensor's name. */
  name(): string {
    const { buf, nameStart, nameEnd } = this;
    if (nameEnd - nameStart <= 32) {
      let ascii = "";
      for (let i = nameStart; i < nameEnd; i++) {
        if (buf[i] >= 0x80) return this.utf8Name();
        ascii += String.fromCharCode(buf[i]);
      }
      return ascii;
    }
    return this.utf8Name();
  }

  private utf8Name(): string {
    try {
      return utf8.decode(this.buf.subarray(this.nameStart, this.nameEnd));
    } catch {
      throw new NonCanonical("name is not UTF-8");
    }
  }

  /** Whether the current tensor's name is these UTF-8 bytes (no decoding). */
  nameIs(bytes: Uint8Array): boolean {
    if (this.nameEnd - this.nameStart !== bytes.length) return false;
    for (let i = 0; i < bytes.length; i++) if (this.buf[this.nameStart + i] !== bytes[i]) return false;
    return true;
  }

  /**
   * The current tensor's next value: a number when its varint has at most 7 bytes
   * (−2^48 ≤ q < 2^48), else BIG with the value in `big`. Varints of up to three bytes
   * (|q| < 2^20, most values at 16 scale bits) are read inline.
   */
  value(): number {
    const buf = this.buf;
    const end = this.tensorEnd;
    const p = this.pos;
    if (p + 2 < end) {
      const b0 = buf[p];
      if (b0 < 0x80) {
        this.pos = p + 1;
        return (b0 >>> 1) ^ -(b0 & 1);
      }
      const b1 = buf[p + 1];
      if (b1 < 0x80) {
        if (b1 === 0) throw new NonCanonical("overlong varint");
        const u = (b0 & 0x7f) | (b1 << 7);
        this.pos = p + 2;
        return (u >>> 1) ^ -(u & 1);
      }
      const b2 = buf[p + 2];
      if (b2 < 0x80) {
        if (b2 === 0) throw new NonCanonical("overlong varint");
        const u = (b0 & 0x7f) | ((b1 & 0x7f) << 7) | (b2 << 14);
        this.pos = p + 3;
        return (u >>> 1) ^ -(u & 1);
      }
    }
    // Longer varints, and the last bytes of the field.
    const u = this.varint(end);
    if (u < 0) {
      this.big = unzigzag(this.big);
      return BIG;
    }
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2; // u < 2^49: exact
  }

  /** The current tensor's next value as a bigint. */
  bigValue(): bigint {
    const q = this.value();
    return q === BIG ? this.big : BigInt(q);
  }
}

/** A growable byte buffer. */
class Bytes {
  buf = new Uint8Array(256);
  pos = 0;

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** A varint of an integer 0 ≤ v ≤ 2^53 (exact in doubles). */
  varint(v: number): void {
    this.ensure(8);
    const buf = this.buf;
    let p = this.pos;
    while (v > 0x7f) {
      buf[p++] = (v % 0x80) | 0x80;
      v = (v - (v % 0x80)) / 0x80;
    }
    buf[p++] = v;
    this.pos = p;
  }

  bigVarint(v: bigint): void {
    this.ensure(10);
    while (v > 0x7fn) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  /** A length-delimited field, left out when empty (proto3). */
  field(tag: number, body: Uint8Array): void {
    if (body.length === 0) return;
    this.ensure(body.length + 6);
    this.buf[this.pos++] = tag;
    this.varint(body.length);
    this.buf.set(body, this.pos);
    this.pos += body.length;
  }
}

const varintSize = (v: number): number => (v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5);
const fieldSize = (len: number): number => (len === 0 ? 0 : 1 + varintSize(len) + len);

/**
 * Writes canonical tensor list bytes, tensor by tensor:
 *
 *   w.beginTensor(nameBytes); w.dim(…)…; w.value(…)…; w.endTensor(); … w.finish()
 *
 * It checks nothing: callers give at most MAX_TENSORS tensors, dims < 2^64, int64 values and
 * as many as the shape holds (tensor.ts checks them; lib/tensorCodec.ts has them by construction).
 * Keep one writer per caller: its buffers are reused from list to list.
 */
export class TensorListWriter {
  private readonly out = new Bytes();
  private readonly dims = new Bytes();
  private readonly values = new Bytes();
  private name: Uint8Array = new Uint8Array();

  /** Starts a tensor named by these UTF-8 bytes (TextEncoder's, as the generated encoder writes). */
  beginTensor(name: Uint8Array): void {
    this.name = name;
    this.dims.pos = 0;
    this.values.pos = 0;
  }

  /** A dim, an integer 0 ≤ d ≤ 2^53. */
  dim(d: number): void {
    this.dims.varint(d);
  }

  bigDim(d: bigint): void {
    if (d <= SAFE) this.dims.varint(Number(d));
    else this.dims.bigVarint(d);
  }

  /** A value, an integer with |q| ≤ 2^52 (zig-zag, as sint64); up to three bytes inline. */
  value(q: number): void {
    const u = q >= 0 ? q * 2 : -q * 2 - 1;
    const v = this.values;
    if (v.pos + 8 > v.buf.length) v.ensure(8);
    const buf = v.buf;
    const p = v.pos;
    if (u < 0x80) {
      buf[p] = u;
      v.pos = p + 1;
    } else if (u < 0x4000) {
      buf[p] = (u & 0x7f) | 0x80;
      buf[p + 1] = u >>> 7;
      v.pos = p + 2;
    } else if (u < 0x200000) {
      buf[p] = (u & 0x7f) | 0x80;
      buf[p + 1] = ((u >>> 7) & 0x7f) | 0x80;
      buf[p + 2] = u >>> 14;
      v.pos = p + 3;
    } else v.varint(u);
  }

  /** A value, an int64. */
  bigValue(q: bigint): void {
    if (q >= -SAFE && q <= SAFE) this.value(Number(q));
    else this.values.bigVarint(q >= 0n ? q << 1n : (-q << 1n) - 1n);
  }

  endTensor(): void {
    const name = this.name;
    const dims = this.dims.buf.subarray(0, this.dims.pos);
    const values = this.values.buf.subarray(0, this.values.pos);
    const out = this.out;
    out.ensure(6);
    out.buf[out.pos++] = TAG_TENSOR;
    out.varint(fieldSize(name.length) + fieldSize(dims.length) + fieldSize(values.length));
    out.field(TAG_NAME, name);
    out.field(TAG_SHAPE, dims);
    out.field(TAG_VALUES, values);
  }

  /** The list's bytes (a copy); the writer is then empty again. */
  finish(): Uint8Array {
    const bytes = this.out.buf.slice(0, this.out.pos);
    this.reset();
    return bytes;
  }

  /** Drops whatever was written (after an error part way through a list). */
  reset(): void {
    this.out.pos = 0;
    this.dims.pos = 0;
    this.values.pos = 0;
  }
}
