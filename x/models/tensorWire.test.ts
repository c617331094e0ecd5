import fc from "fast-check";
import { QuantizedTensorList } from "../../gen/inferchain/models/v1/models";
import type { AppError } from "../../base/errors";
import { ErrMalformedTensor } from "./errors";
import { decodeTensorList, encodeTensorList, type QuantizedTensor } from "./tensor";
import { BIG, TensorListReader, TensorListWriter } from "./tensorWire";
import { MAX_RANK, MAX_TENSORS } from "./types";

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const QUANT_NAN = INT64_MIN;

// ---------------------------------------------------------------- arbitraries

const nameArb = fc.oneof(
  fc.constant(""),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: "binary", maxLength: 6 }), // lone surrogates included: written as U+FFFD
  fc.string({ unit: "grapheme", maxLength: 4 }),
  fc.constantFrom("x", "input", "\uFEFFbom", "é", "💡", "a".repeat(40), "é".repeat(30)),
);
/** Values around every length boundary of the varints and of the reader's and writer's number paths. */
const edges = [0n, 1n, -1n, 63n, -64n, 64n, -65n, 8191n, -8192n, 8192n, (1n << 20n) - 1n, -(1n << 20n), 1n << 20n, (1n << 48n) - 1n, -(1n << 48n), 1n << 48n, -(1n << 48n) - 1n, 1n << 52n, -(1n << 52n), (1n << 52n) + 1n, INT64_MAX, INT64_MIN, INT64_MIN + 1n];
const valueArb = fc.oneof(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), fc.constantFrom(...edges), fc.bigInt({ min: -(1n << 20n), max: 1n << 20n }), fc.bigInt({ min: -64n, max: 63n }));
const dimsArb = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }).map((ds) => ds.map(BigInt)) },
  // A zero dim lets any other dim be as large as uint64 goes, with no values.
  { weight: 1, arbitrary: fc.tuple(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.boolean()).map(([d, first]) => (first ? [0n, d] : [d, 0n])) },
);
const tensorArb: fc.Arbitrary<QuantizedTensor> = fc.record({ name: nameArb, shape: dimsArb }).chain(({ name, shape }) => {
  const n = Number(shape.reduce((a, b) => a * b, 1n));
  return fc.array(valueArb, { minLength: n, maxLength: n }).map((values) => ({ name, shape, values }));
});
const listArb = fc.array(tensorArb, { maxLength: 4 });

const generated = (ts: readonly QuantizedTensor[]): Uint8Array => QuantizedTensorList.encode({ tensors: ts.map((t) => ({ name: t.name, shape: [...t.shape], values: [...t.values] })) }).finish();
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
/** What a name is after a trip through UTF-8 (lone surrogates become U+FFFD). */
const utf8Name = (s: string): string => new TextDecoder("utf-8", { ignoreBOM: true }).decode(new TextEncoder().encode(s));

/**
 * The chain's rule from before the one codec, stated with the generated code: the bytes
 * decode, the list keeps the limits and every shape holds its values, and the generated
 * encoder gives the same bytes back.
 */
function acceptedByGeneratedRule(bytes: Uint8Array): QuantizedTensor[] | undefined {
  let ts: QuantizedTensor[];
  try {
    ts = QuantizedTensorList.decode(bytes).tensors;
  } catch {
    return undefined;
  }
  if (ts.length > MAX_TENSORS) return undefined;
  for (const t of ts) {
    if (t.shape.length > MAX_RANK || t.shape.reduce((a, b) => a * b, 1n) !== BigInt(t.values.length)) return undefined;
  }
  return hex(generated(ts)) === hex(bytes) ? ts : undefined;
}

function decodeOrCode(bytes: Uint8Array): QuantizedTensor[] | string {
  try {
    return decodeTensorList(bytes);
  } catch (e) {
    const a = e as AppError;
    return `${a.codespace}/${a.code}`;
  }
}
const MALFORMED = `${ErrMalformedTensor.codespace}/${ErrMalformedTensor.code}`;

function agreesWithGeneratedRule(bytes: Uint8Array): void {
  const want = acceptedByGeneratedRule(bytes);
  const got = decodeOrCode(bytes);
  if (want === undefined) expect(got).toBe(MALFORMED);
  else expect(got).toEqual(want);
}

// ---------------------------------------------------------------- hand-made wire bytes

/** A varint, `overlong` bytes longer than it needs to be. */
function varint(v: bigint, overlong = 0): number[] {
  const out: number[] = [];
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  for (let i = 0; i < overlong; i++) {
    out[out.length - 1] |= 0x80;
    out.push(0);
  }
  return out;
}
const zigzag = (q: bigint): bigint => (q >= 0n ? q << 1n : (-q << 1n) - 1n);
const field = (tag: number, body: number[], overlong = 0): number[] => [tag, ...varint(BigInt(body.length), overlong), ...body];
const nameField = (s: string): number[] => field(10, [...new TextEncoder().encode(s)]);
const shapeField = (ds: readonly bigint[]): number[] => field(18, ds.flatMap((d) => varint(d)));
const valuesField = (vs: readonly bigint[]): number[] => field(26, vs.flatMap((v) => varint(zigzag(v))));
const list = (...tensors: number[][]): Uint8Array => Uint8Array.from(tensors.flatMap((t) => field(10, t)));

/** Ways to write the same tensors that protobuf accepts and canonical form does not (or, by chance, does). */
interface Variant {
  readonly order: readonly (1 | 2 | 3)[];
  readonly unpackShape: boolean;
  readonly unpackValues: boolean;
  readonly splitValues: boolean;
  readonly emptyFields: boolean;
  readonly unknown: "none" | "tensor" | "list";
  readonly overlong: "none" | "tensor length" | "name length" | "dim" | "value" | "value by 2";
  readonly trailing: "none" | "zero" | "byte";
}
const canonical: Variant = { order: [1, 2, 3], unpackShape: false, unpackValues: false, splitValues: false, emptyFields: false, unknown: "none", overlong: "none", trailing: "none" };
const variantArb: fc.Arbitrary<Variant> = fc.oneof(
  // One deviation at a time (most of the runs), or several at once.
  {
    weight: 4,
    arbitrary: fc.constantFrom<Partial<Variant>>(
      {},
      { order: [2, 1, 3] },
      { order: [1, 3, 2] },
      { order: [3, 2, 1] },
      { unpackShape: true },
      { unpackValues: true },
      { splitValues: true },
      { emptyFields: true },
      { unknown: "tensor" },
      { unknown: "list" },
      { overlong: "tensor length" },
      { overlong: "name length" },
      { overlong: "dim" },
      { overlong: "value" },
      { overlong: "value by 2" },
      { trailing: "zero" },
      { trailing: "byte" },
    ).map((d) => ({ ...canonical, ...d })),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      order: fc.constantFrom<(1 | 2 | 3)[]>([1, 2, 3], [2, 1, 3], [1, 3, 2], [3, 2, 1]),
      unpackShape: fc.boolean(),
      unpackValues: fc.boolean(),
      splitValues: fc.boolean(),
      emptyFields: fc.boolean(),
      unknown: fc.constantFrom("none", "tensor", "list"),
      overlong: fc.constantFrom("none", "tensor length", "name length", "dim", "value", "value by 2"),
      trailing: fc.constantFrom("none", "zero", "byte"),
    }),
  },
);

function writeVariant(ts: readonly QuantizedTensor[], v: Variant): Uint8Array {
  const out: number[] = [];
  ts.forEach((t, i) => {
    const name = [...new TextEncoder().encode(t.name)];
    const parts: Record<1 | 2 | 3, number[]> = { 1: [], 2: [], 3: [] };
    if (name.length > 0 || v.emptyFields) parts[1] = field(10, name, v.overlong === "name length" && i === 0 ? 1 : 0);
    // Overlong varints: all dims of the first tensor, or its first value (later values take other paths in the reader).
    const dim = (d: bigint): number[] => varint(d, v.overlong === "dim" && i === 0 ? 1 : 0);
    if (v.unpackShape) parts[2] = t.shape.flatMap((d) => [16, ...dim(d)]);
    else if (t.shape.length > 0 || v.emptyFields) parts[2] = field(18, t.shape.flatMap(dim));
    const val = (q: bigint, j: number): number[] => varint(zigzag(q), i > 0 || j > 0 ? 0 : v.overlong === "value" ? 1 : v.overlong === "value by 2" ? 2 : 0);
    if (v.unpackValues) parts[3] = t.values.flatMap((q, j) => [24, ...val(q, j)]);
    else if (v.splitValues && t.values.length > 1) {
      const half = t.values.length >> 1;
      parts[3] = [...field(26, t.values.slice(0, half).flatMap(val)), ...field(26, t.values.slice(half).flatMap((q, j) => val(q, j + half)))];
    } else if (t.values.length > 0 || v.emptyFields) parts[3] = field(26, t.values.flatMap(val));
    const body = v.order.flatMap((f) => parts[f]);
    if (v.unknown === "tensor" && i === 0) body.push(0x20, 0x01); // field 4, varint
    out.push(...field(10, body, v.overlong === "tensor length" && i === 0 ? 1 : 0));
  });
  if (v.unknown === "list") out.push(0x12, 0x00); // field 2, empty bytes
  if (v.trailing === "zero") out.push(0);
  if (v.trailing === "byte") out.push(0x0a);
  return Uint8Array.from(out);
}

// ---------------------------------------------------------------- properties

describe("the writer is the generated encoder", () => {
  test("encodeTensorList = QuantizedTensorList.encode byte for byte (empty and unicode names, scalars, empty and huge dims, int64 extremes, QUANT_NAN)", () => {
    fc.assert(
      fc.property(listArb, (ts) => {
        expect(hex(encodeTensorList(ts))).toBe(hex(generated(ts)));
      }),
      { numRuns: 500 },
    );
  });

  test("TensorListWriter.value (numbers) and bigValue write the same bytes", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), { maxLength: 20 }), (qs) => {
        const a = new TensorListWriter();
        const b = new TensorListWriter();
        for (const w of [a, b]) {
          w.beginTensor(new TextEncoder().encode("v"));
          w.dim(qs.length);
        }
        for (const q of qs) a.value(q);
        for (const q of qs) b.bigValue(BigInt(q));
        a.endTensor();
        b.endTensor();
        const want = generated([{ name: "v", shape: [BigInt(qs.length)], values: qs.map(BigInt) }]);
        expect(hex(a.finish())).toBe(hex(want));
        expect(hex(b.finish())).toBe(hex(want));
      }),
    );
  });

  test("the value -0 is written as 0", () => {
    const w = new TensorListWriter();
    w.beginTensor(new Uint8Array());
    w.value(-0);
    w.endTensor();
    expect(hex(w.finish())).toBe(hex(generated([{ name: "", shape: [], values: [0n] }])));
  });
});

describe("the reader accepts exactly the canonical bytes of valid lists", () => {
  test("decode of a generated encoding gives the tensors back", () => {
    fc.assert(
      fc.property(listArb, (ts) => {
        expect(decodeTensorList(generated(ts))).toEqual(ts.map((t) => ({ name: utf8Name(t.name), shape: [...t.shape], values: [...t.values] })));
      }),
      { numRuns: 500 },
    );
  });

  test("value() gives numbers up to 7 varint bytes and BIG with the exact bigint beyond", () => {
    fc.assert(
      fc.property(fc.array(valueArb, { minLength: 1, maxLength: 20 }), (vs) => {
        const r = new TensorListReader(generated([{ name: "v", shape: [BigInt(vs.length)], values: vs }]));
        expect(r.nextTensor()).toBe(true);
        for (const v of vs) {
          const q = r.value();
          if (v >= -(1n << 48n) && v < 1n << 48n) expect(q).toBe(Number(v));
          else expect([q, r.big]).toEqual([BIG, v]);
        }
        expect(r.nextTensor()).toBe(false);
      }),
    );
  });

  test("same verdict as the generated decoder + re-encode on other ways of writing the same tensors", () => {
    fc.assert(
      fc.property(listArb, variantArb, (ts, v) => agreesWithGeneratedRule(writeVariant(ts, v))),
      { numRuns: 1000 },
    );
  });

  test("same verdict as the generated decoder + re-encode on canonical bytes with one byte changed, inserted or removed", () => {
    const edit = fc.record({ kind: fc.constantFrom("set", "insert", "delete", "truncate"), at: fc.nat(), byte: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 0x80, 0x0a, 0x12, 0x1a, 0xff)) });
    fc.assert(
      fc.property(listArb, fc.array(edit, { minLength: 1, maxLength: 3 }), (ts, edits) => {
        const b = [...generated(ts)];
        for (const e of edits) {
          const at = b.length === 0 ? 0 : e.at % (b.length + (e.kind === "insert" ? 1 : 0));
          if (e.kind === "set" && b.length > 0) b[at] = e.byte;
          else if (e.kind === "insert") b.splice(at, 0, e.byte);
          else if (e.kind === "delete") b.splice(at, 1);
          else b.length = at;
        }
        agreesWithGeneratedRule(Uint8Array.from(b));
      }),
      { numRuns: 2000 },
    );
  });

  test("same verdict as the generated decoder + re-encode on random bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 48 }), (bytes) => agreesWithGeneratedRule(bytes)), { numRuns: 2000 });
  });

  const y = (): number[] => [...nameField("y"), ...shapeField([2n]), ...valuesField([5n, -5n])];
  test.each<[string, Uint8Array]>([
    ["fields out of order", list([...shapeField([2n]), ...nameField("y"), ...valuesField([5n, -5n])])],
    ["a field twice", list([...nameField("y"), ...nameField("y"), ...shapeField([2n]), ...valuesField([5n, -5n])])],
    ["values split over two packed fields", list([...nameField("y"), ...shapeField([2n]), ...valuesField([5n]), ...valuesField([-5n])])],
    ["values unpacked", list([...nameField("y"), ...shapeField([2n]), 24, 10, 24, 9])],
    ["shape unpacked", list([...nameField("y"), 16, 2, ...valuesField([5n, -5n])])],
    ["an empty name written out", list([...field(10, []), ...shapeField([2n]), ...valuesField([5n, -5n])])],
    ["an empty shape written out", list([...nameField("y"), ...field(18, []), ...valuesField([1n])])],
    ["an unknown field in a tensor", list([...y(), 0x20, 0x01])],
    ["an unknown field in the list", Uint8Array.from([...list(y()), 0x12, 0x00])],
    ["a trailing zero byte", Uint8Array.from([...list(y()), 0])],
    ["a truncated tensor", list(y()).subarray(0, 9)],
    ["an overlong tensor length", Uint8Array.from([10, ...varint(BigInt(y().length), 1), ...y()])],
    ["an overlong value", list([...nameField("y"), ...shapeField([2n]), ...field(26, [...varint(10n, 1), 9])])],
    ["an overlong value, by two bytes", list([...nameField("y"), ...shapeField([2n]), ...field(26, [...varint(10n, 2), 9])])],
    ["an overlong dim", list([...nameField("y"), ...field(18, varint(2n, 1)), ...valuesField([5n, -5n])])],
    ["an overlong tag", Uint8Array.from([0x8a, 0x00, ...varint(BigInt(y().length)), ...y()])],
    ["a varint of 11 bytes", list([...nameField("y"), ...shapeField([1n]), ...field(26, [...new Array<number>(10).fill(0xff), 0x01])])],
    ["a varint above 2^64", list([...nameField("y"), ...shapeField([1n]), ...field(26, [...new Array<number>(9).fill(0xff), 0x02])])],
    ["a name that is not UTF-8", list([...field(10, [0xc3, 0x28]), ...shapeField([1n]), ...valuesField([1n])])],
    ["a name with an encoded surrogate", list([...field(10, [0xed, 0xa0, 0x80]), ...shapeField([1n]), ...valuesField([1n])])],
    ["a shape holding more values than given", list([...nameField("y"), ...shapeField([3n]), ...valuesField([1n])])],
    ["a shape holding fewer values than given", list([...nameField("y"), ...shapeField([1n]), ...valuesField([1n, 2n])])],
    ["values beside an empty axis", list([...nameField("y"), ...shapeField([0n]), ...valuesField([1n])])],
    ["a scalar without its value", list([...nameField("y")])],
    ["an empty tensor", list([])],
    [`${MAX_TENSORS + 1} tensors`, list(...new Array<number[]>(MAX_TENSORS + 1).fill(y()))],
    [`rank ${MAX_RANK + 1}`, list([...nameField("y"), ...shapeField(new Array<bigint>(MAX_RANK + 1).fill(1n)), ...valuesField([1n])])],
  ])("refused, as before: %s", (_, bytes) => {
    expect(acceptedByGeneratedRule(bytes)).toBeUndefined();
    expect(decodeOrCode(bytes)).toBe(MALFORMED);
  });

  test.each<[string, QuantizedTensor[]]>([
    ["no tensors (empty bytes)", []],
    ["a name starting with U+FEFF (text, not a byte-order mark)", [{ name: "\uFEFFy", shape: [1n], values: [1n] }]],
    [`${MAX_TENSORS} tensors`, new Array<QuantizedTensor>(MAX_TENSORS).fill({ name: "y", shape: [], values: [1n] })],
    [`rank ${MAX_RANK}`, [{ name: "y", shape: new Array<bigint>(MAX_RANK).fill(1n), values: [1n] }]],
    ["a uint64-max dim beside a zero dim", [{ name: "", shape: [(1n << 64n) - 1n, 0n], values: [] }]],
    ["QUANT_NAN and int64 extremes", [{ name: "v", shape: [3n], values: [QUANT_NAN, INT64_MAX, INT64_MIN + 1n] }]],
  ])("accepted, as before: %s", (_, ts) => {
    const bytes = generated(ts);
    expect(acceptedByGeneratedRule(bytes)).toEqual(ts);
    expect(decodeTensorList(bytes)).toEqual(ts);
  });
});
