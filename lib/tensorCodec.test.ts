import fc from "fast-check";
import { parseGenesis } from "../x/models/genesis";
import { decodeInput, encodeTensorList } from "../x/models/tensor";
import { DTYPES, dtypeRange, isFloatDType, type DTypeName, type Model, type TensorSpec } from "../x/models/types";
import type { QuantizedTensor } from "../x/models/tensor";
import { builtinModels } from "./models/builtin";
import { QUANT_MAX, QUANT_MIN, QUANT_NAN } from "./quant";
import { dequantizeTensors, quantizeTensors, type HostTensor } from "./tensors";
import { decodeToHost, encodeFromHost } from "./tensorCodec";

const [mlp, silero] = parseGenesis({ models: builtinModels() }).models;
const special = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 1e30, -1e30, 2 ** 40, -(2 ** 40), 2 ** 47 + 0.5, 0.5 / 65536, 1.5 / 65536, -2.5 / 65536];
const float = fc.oneof(fc.double({ noNaN: false }), fc.constantFrom(...special), fc.double({ min: -4, max: 4, noNaN: true }));

/** The outcome of a decode: host tensors as plain arrays, or the error's codespace, code and message. */
function outcome(f: () => HostTensor[]): unknown {
  try {
    return f().map((t) => ({ name: t.name, dtype: t.dtype, dims: [...t.dims], type: t.data.constructor.name, data: Array.from(t.data as ArrayLike<number | bigint>) }));
  } catch (e) {
    const a = e as { codespace?: string; code?: number; message: string };
    return `${a.codespace}/${a.code}: ${a.message}`;
  }
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const specArb: fc.Arbitrary<TensorSpec> = fc.record({
  name: fc.constantFrom("x", "input", "sr", "h"),
  dtype: fc.constantFrom<DTypeName>(...DTYPES),
  shape: fc.array(fc.constantFrom(-1n, 1n, 2n, 3n), { maxLength: 3 }),
  // Unbounded mostly; else a max_abs from tiny to one past the values' 2^48 split at 16 bits.
  maxAbs: fc.oneof({ weight: 3, arbitrary: fc.constant(0n) }, { weight: 2, arbitrary: fc.constantFrom(1n, 2n, 100n, 1n << 20n, 1n << 32n, (1n << 32n) + 1n, (1n << 62n) - 1n) }),
});
/** Tensors for the specs: mostly fitting, sometimes with a wrong dim or a value out of the dtype's range. */
function tensorsFor(specs: readonly TensorSpec[]): fc.Arbitrary<QuantizedTensor[]> {
  return fc.tuple(
    ...specs.map((spec) =>
      fc.tuple(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: spec.shape.length, maxLength: spec.shape.length }), fc.nat(40)).chain(([dyn, wrong]) => {
        const shape = spec.shape.map((d, i) => (d === -1n ? BigInt(dyn[i]) : wrong === 0 ? d + 1n : d));
        const n = Number(shape.reduce((a, b) => a * b, 1n));
        const { min, max } = dtypeRange(spec.dtype);
        const value = isFloatDType(spec.dtype)
          ? fc.oneof(fc.bigInt({ min: -(1n << 20n), max: 1n << 20n }), fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), fc.constantFrom(QUANT_NAN, QUANT_MAX, QUANT_MIN, 1n << 48n, -(1n << 48n) - 1n))
          : fc.oneof({ weight: 20, arbitrary: fc.bigInt({ min, max }) }, { weight: 1, arbitrary: fc.constantFrom(...[min - 1n, max + 1n, INT64_MIN, INT64_MAX].filter((v) => v >= INT64_MIN && v <= INT64_MAX)) });
        return fc.array(value, { minLength: n, maxLength: n }).map((values) => ({ name: spec.name, shape, values }));
      }),
    ),
  );
}

function sameHost(a: readonly HostTensor[], b: readonly HostTensor[]): void {
  expect(a.map((t) => [t.name, t.dtype, t.dims])).toEqual(b.map((t) => [t.name, t.dtype, t.dims]));
  a.forEach((t, i) => expect(Array.from(t.data as ArrayLike<number | bigint>)).toEqual(Array.from(b[i].data as ArrayLike<number | bigint>)));
}

describe("fast tensor codec = the reference path", () => {
  test("encodeFromHost gives encodeTensorList(quantizeTensors(…)) byte for byte (mlp outputs, any batch, any floats)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.array(float, { minLength: 40, maxLength: 40 }), fc.integer({ min: 0, max: 32 }), (rows, pool, bits) => {
        const model: Model = { ...mlp, quantScaleBits: bits };
        const data = Float32Array.from({ length: rows * 8 }, (_, i) => pool[i % pool.length]);
        const host: HostTensor[] = [{ name: "y", dtype: "float32", dims: [rows, 8], data }];
        expect(Buffer.from(encodeFromHost(model, host))).toEqual(Buffer.from(encodeTensorList(quantizeTensors(host, bits))));
      }),
      { numRuns: 300 },
    );
  });

  test("decodeToHost gives dequantizeTensors(decodeInput(…)) value for value (silero inputs with an int64 scalar)", () => {
    fc.assert(
      fc.property(fc.array(float, { minLength: 768, maxLength: 768 }), fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (vals, sr) => {
        const host: HostTensor[] = [
          { name: "input", dtype: "float32", dims: [1, 512], data: Float32Array.from(vals.slice(0, 512)) },
          { name: "sr", dtype: "int64", dims: [], data: BigInt64Array.of(sr) },
          { name: "h", dtype: "float32", dims: [2, 1, 64], data: Float32Array.from(vals.slice(512, 640)) },
          { name: "c", dtype: "float32", dims: [2, 1, 64], data: Float32Array.from(vals.slice(640, 768)) },
        ];
        const bytes = encodeTensorList(quantizeTensors(host, silero.quantScaleBits));
        // Without silero's max_abs bounds, which would refuse most of these values (the next test has bounds).
        const model = { ...silero, maxInputBytes: 1n << 20n, inputs: silero.inputs.map(({ maxAbs: _, ...spec }) => spec) };
        sameHost(decodeToHost(model, bytes), dequantizeTensors(decodeInput(model, bytes), model.inputs, model.quantScaleBits));
      }),
      { numRuns: 100 },
    );
  });

  test("decodeToHost gives dequantizeTensors(decodeInput(…)), or the same error, for any specs, dtypes and bytes", () => {
    const edit = fc.option(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { freq: 4 });
    const caseArb = fc
      .record({ specs: fc.array(specArb, { minLength: 1, maxLength: 3 }), bits: fc.integer({ min: 0, max: 32 }) })
      .chain(({ specs, bits }) => fc.record({ specs: fc.constant(specs), bits: fc.constant(bits), ts: tensorsFor(specs), edit, drop: fc.nat(12) }));
    fc.assert(
      fc.property(caseArb, ({ specs, bits, ts, edit, drop }) => {
        const model = { inputs: specs, maxInputBytes: 1n << 20n, quantScaleBits: bits };
        const list = drop === 0 ? ts.slice(1) : drop === 1 ? [...ts, ts[0]] : ts;
        const bytes = encodeTensorList(list);
        if (edit && bytes.length > 0) bytes[edit[0] % bytes.length] = edit[1];
        expect(outcome(() => decodeToHost(model, bytes))).toEqual(outcome(() => dequantizeTensors(decodeInput(model, bytes), model.inputs, model.quantScaleBits)));
      }),
      { numRuns: 1000 },
    );
  });

  test("max_abs: values at, just inside and just beyond an input's bound are refused exactly where the chain refuses them", () => {
    const caseArb = fc.record({
      dtype: fc.constantFrom<DTypeName>(...DTYPES),
      maxAbs: fc.oneof(fc.bigInt({ min: 1n, max: 1n << 40n }), fc.constantFrom(1n, 127n, 128n, 255n, (1n << 31n) - 1n, 1n << 31n, (1n << 62n) - 1n, (1n << 63n) - 1n)),
      bits: fc.integer({ min: 0, max: 32 }),
      delta: fc.integer({ min: -2, max: 2 }),
      negative: fc.boolean(),
      others: fc.array(fc.integer({ min: -1, max: 1 }), { maxLength: 4 }),
    });
    fc.assert(
      fc.property(caseArb, ({ dtype, maxAbs, bits, delta, negative, others }) => {
        const model = { inputs: [{ name: "x", dtype, shape: [-1n], maxAbs }], maxInputBytes: 1n << 20n, quantScaleBits: bits };
        const bound = isFloatDType(dtype) ? maxAbs << BigInt(bits) : maxAbs;
        let v = (negative ? -1n : 1n) * (bound + BigInt(delta));
        v = v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : v;
        // The edge value among small ones, so it is the only value near the bound.
        const values = [...others.map((o) => BigInt(o)), v];
        const bytes = encodeTensorList([{ name: "x", shape: [BigInt(values.length)], values }]);
        expect(outcome(() => decodeToHost(model, bytes))).toEqual(outcome(() => dequantizeTensors(decodeInput(model, bytes), model.inputs, model.quantScaleBits)));
      }),
      { numRuns: 2000 },
    );
  });

  test("encodeFromHost gives encodeTensorList(quantizeTensors(…)) byte for byte (silero outputs, float32 and float64)", () => {
    fc.assert(
      fc.property(fc.array(float, { minLength: 257, maxLength: 257 }), fc.boolean(), fc.integer({ min: 0, max: 32 }), (vals, f64, bits) => {
        const model: Model = { ...silero, quantScaleBits: bits };
        const arr = (xs: number[]): Float32Array | Float64Array => (f64 ? Float64Array.from(xs) : Float32Array.from(xs));
        const host: HostTensor[] = [
          { name: "output", dtype: "float32", dims: [1, 1], data: arr(vals.slice(0, 1)) },
          { name: "hn", dtype: "float32", dims: [2, 1, 64], data: arr(vals.slice(1, 129)) },
          { name: "cn", dtype: "float32", dims: [2, 1, 64], data: arr(vals.slice(129, 257)) },
        ];
        expect(Buffer.from(encodeFromHost(model, host))).toEqual(Buffer.from(encodeTensorList(quantizeTensors(host, bits))));
      }),
      { numRuns: 100 },
    );
  });

  test("inputs the chain refuses are refused with the chain's error", () => {
    const bad = encodeTensorList([{ name: "x", shape: [1n, 15n], values: new Array<bigint>(15).fill(0n) }]);
    expect(() => decodeToHost(mlp, bad)).toThrow(/dim 1 must be 16/);
    expect(() => decodeToHost(mlp, new Uint8Array([10, 5, 1]))).toThrow();
    const wrongName = encodeTensorList([{ name: "z", shape: [1n, 16n], values: new Array<bigint>(16).fill(0n) }]);
    expect(() => decodeToHost(mlp, wrongName)).toThrow(/want name x/);
    // A non-canonical encoding (an overlong varint) is refused, as decodeTensorList does.
    const ok = encodeTensorList([{ name: "x", shape: [1n, 16n], values: new Array<bigint>(16).fill(1n) }]);
    const overlong = Uint8Array.from([...ok.slice(0, ok.length - 1), 0x82, 0x00]);
    overlong[1] += 1;
    expect(() => decodeToHost(mlp, overlong)).toThrow();
  });

  test("outputs that break the spec are refused with the chain's error", () => {
    expect(() => encodeFromHost(mlp, [{ name: "y", dtype: "float32", dims: [1, 7], data: new Float32Array(7) }])).toThrow(/dim 1 must be 8/);
  });
});
