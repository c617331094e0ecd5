import fc from "fast-check";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { QuantizedTensorList } from "../../gen/inferchain/models/v1/models";
import { ErrMalformedTensor, ErrTensorSpecMismatch, ErrTensorTooLarge } from "./errors";
import {
  checkInputAgainstSpec,
  checkOutputAgainstSpec,
  decodeInput,
  decodeOutput,
  decodeTensorList,
  elementCount,
  encodeTensorList,
  type QuantizedTensor,
} from "./tensor";
import { sampleModel } from "./testutil";
import type { AppError } from "../../base/errors";
import type { TensorSpec } from "./types";

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

const tensorArb: fc.Arbitrary<QuantizedTensor> = fc
  .record({ name: fc.string({ maxLength: 12 }), shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }) })
  .chain(({ name, shape }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return fc
      .array(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), { minLength: n, maxLength: n })
      .map((values) => ({ name, shape: shape.map(BigInt), values }));
  });
const listArb = fc.array(tensorArb, { maxLength: 4 });

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    const a = e as AppError;
    return `${a.codespace}/${a.code}`;
  }
  return "no error";
}
const code = (e: AppError): string => `${e.codespace}/${e.code}`;

describe("canonical tensor list encoding", () => {
  test("decode(encode(x)) = x, and encode is a function of the tensors only", () => {
    fc.assert(
      fc.property(listArb, (ts) => {
        const bytes = encodeTensorList(ts);
        const back = decodeTensorList(bytes);
        expect(back).toEqual(ts.map((t) => ({ name: t.name, shape: [...t.shape], values: [...t.values] })));
        expect(Buffer.from(encodeTensorList(back)).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  test("int64 extremes survive (sint64 zig-zag)", () => {
    const ts = [{ name: "v", shape: [3n], values: [INT64_MIN, INT64_MAX, -1n] }];
    expect(decodeTensorList(encodeTensorList(ts))[0].values).toEqual([INT64_MIN, INT64_MAX, -1n]);
  });

  test("a scalar is shape [] with one value; an empty axis holds none", () => {
    expect(elementCount([])).toBe(1n);
    expect(elementCount([3n, 0n, 2n])).toBe(0n);
    const ts = [
      { name: "sr", shape: [], values: [16000n] },
      { name: "e", shape: [2n, 0n], values: [] },
    ];
    expect(decodeTensorList(encodeTensorList(ts))).toEqual(ts);
  });

  test("encode refuses tensors whose shape and values disagree, or values outside int64", () => {
    expect(codeOf(() => encodeTensorList([{ name: "a", shape: [2n], values: [1n] }]))).toBe(code(ErrMalformedTensor));
    expect(codeOf(() => encodeTensorList([{ name: "a", shape: [], values: [] }]))).toBe(code(ErrMalformedTensor));
    expect(codeOf(() => encodeTensorList([{ name: "a", shape: [1n], values: [INT64_MAX + 1n] }]))).toBe(code(ErrMalformedTensor));
    expect(codeOf(() => encodeTensorList([{ name: "a", shape: [-1n], values: [] }]))).toBe(code(ErrMalformedTensor));
  });

  test("decode refuses garbage and every non-canonical form of valid tensors", () => {
    const ts = [{ name: "y", shape: [2n], values: [5n, -5n] }];
    const canonical = encodeTensorList(ts);
    expect(decodeTensorList(canonical)).toEqual(ts);

    // Same tensors, values unpacked (one tag per value): valid protobuf, not canonical.
    const w = new BinaryWriter();
    w.uint32(10).fork();
    w.uint32(10).string("y");
    w.uint32(18).fork().uint64(2n).join();
    w.uint32(24).sint64(5n);
    w.uint32(24).sint64(-5n);
    w.join();
    const unpacked = w.finish();
    expect(QuantizedTensorList.decode(unpacked).tensors[0].values).toEqual([5n, -5n]);
    expect(codeOf(() => decodeTensorList(unpacked))).toBe(code(ErrMalformedTensor));

    // An unknown field appended.
    const unknown = Buffer.concat([canonical, Buffer.from([0x10, 0x01])]);
    expect(codeOf(() => decodeTensorList(unknown))).toBe(code(ErrMalformedTensor));
    // Truncated and random bytes.
    expect(codeOf(() => decodeTensorList(canonical.subarray(0, canonical.length - 1)))).toBe(code(ErrMalformedTensor));
    expect(codeOf(() => decodeTensorList(Uint8Array.from([0xff, 0xff, 0xff])))).toBe(code(ErrMalformedTensor));
    // Shape that does not match the value count, encoded by hand.
    const bad = QuantizedTensorList.encode({ tensors: [{ name: "y", shape: [3n], values: [1n] }] }).finish();
    expect(codeOf(() => decodeTensorList(bad))).toBe(code(ErrMalformedTensor));
  });

  test("decode never throws anything but ErrMalformedTensor on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const c = codeOf(() => decodeTensorList(bytes));
        return c === "no error" || c === code(ErrMalformedTensor);
      }),
    );
  });
});

describe("tensors against a model's spec", () => {
  const silero: { inputs: TensorSpec[]; outputs: TensorSpec[] } = {
    inputs: [
      { name: "input", dtype: "float32", shape: [1n, 512n] },
      { name: "sr", dtype: "int64", shape: [] },
    ],
    outputs: [
      { name: "output", dtype: "float32", shape: [1n, 1n] },
      { name: "hn", dtype: "float32", shape: [2n, 1n, 64n] },
    ],
  };
  const out = (over: Partial<Record<"output" | "hn", QuantizedTensor>> = {}): QuantizedTensor[] => [
    over.output ?? { name: "output", shape: [1n, 1n], values: [123n] },
    over.hn ?? { name: "hn", shape: [2n, 1n, 64n], values: Array.from({ length: 128 }, (_, i) => BigInt(i - 64)) },
  ];

  test("a matching result passes", () => {
    expect(checkOutputAgainstSpec(silero, out())).toBeUndefined();
    expect(checkInputAgainstSpec(silero, [{ name: "input", shape: [1n, 512n], values: new Array<bigint>(512).fill(0n) }, { name: "sr", shape: [], values: [16000n] }])).toBeUndefined();
  });

  test.each([
    ["a missing tensor", out().slice(0, 1)],
    ["an extra tensor", [...out(), { name: "cn", shape: [1n], values: [0n] }]],
    ["tensors out of order", out().reverse()],
    ["a wrong name", out({ output: { name: "prob", shape: [1n, 1n], values: [1n] } })],
    ["a wrong rank", out({ output: { name: "output", shape: [1n], values: [1n] } })],
    ["a wrong fixed dim", out({ output: { name: "output", shape: [1n, 2n], values: [1n, 2n] } })],
    ["shape and values disagreeing", out({ output: { name: "output", shape: [1n, 1n], values: [1n, 2n] } })],
  ])("%s is a spec mismatch", (_, ts) => {
    const err = checkOutputAgainstSpec(silero, ts);
    expect(err && code(err)).toBe(code(ErrTensorSpecMismatch));
  });

  test("dynamic dims take any size, fixed ones only theirs", () => {
    const m = sampleModel();
    const y = (rows: number): QuantizedTensor[] => [{ name: "y", shape: [BigInt(rows), 8n], values: new Array<bigint>(rows * 8).fill(1n) }];
    expect(checkOutputAgainstSpec(m, y(0))).toBeUndefined();
    expect(checkOutputAgainstSpec(m, y(1))).toBeUndefined();
    expect(checkOutputAgainstSpec(m, y(37))).toBeUndefined();
    expect(checkOutputAgainstSpec(m, [{ name: "y", shape: [1n, 7n], values: new Array<bigint>(7).fill(1n) }])).toBeDefined();
  });

  test("integer dtypes are range-checked at their bounds", () => {
    const spec = (dtype: TensorSpec["dtype"]): { outputs: TensorSpec[] } => ({ outputs: [{ name: "v", dtype, shape: [1n] }] });
    const v = (x: bigint): QuantizedTensor[] => [{ name: "v", shape: [1n], values: [x] }];
    const cases: Array<[TensorSpec["dtype"], bigint, bigint]> = [
      ["int8", -128n, 127n],
      ["uint8", 0n, 255n],
      ["bool", 0n, 1n],
      ["int32", -(1n << 31n), (1n << 31n) - 1n],
      ["int64", INT64_MIN, INT64_MAX],
      ["float32", INT64_MIN, INT64_MAX],
    ];
    for (const [dtype, min, max] of cases) {
      expect(checkOutputAgainstSpec(spec(dtype), v(min))).toBeUndefined();
      expect(checkOutputAgainstSpec(spec(dtype), v(max))).toBeUndefined();
      if (dtype !== "int64" && dtype !== "float32") {
        expect(checkOutputAgainstSpec(spec(dtype), v(min - 1n))).toBeDefined();
        expect(checkOutputAgainstSpec(spec(dtype), v(max + 1n))).toBeDefined();
      }
    }
  });

  test("decodeOutput checks the size limit first, then the encoding, then the spec", () => {
    const m = sampleModel({ maxOutputBytes: 40n });
    const ok = encodeTensorList([{ name: "y", shape: [1n, 8n], values: [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n] }]);
    expect(decodeOutput(m, ok)[0].values).toHaveLength(8);
    const tooBig = encodeTensorList([{ name: "y", shape: [4n, 8n], values: new Array<bigint>(32).fill(1n << 40n) }]);
    expect(codeOf(() => decodeOutput(m, tooBig))).toBe(code(ErrTensorTooLarge));
    expect(codeOf(() => decodeOutput(m, Uint8Array.from([0xff])))).toBe(code(ErrMalformedTensor));
    expect(codeOf(() => decodeOutput(m, encodeTensorList([{ name: "x", shape: [1n, 8n], values: new Array<bigint>(8).fill(0n) }])))).toBe(code(ErrTensorSpecMismatch));
    expect(BigInt(ok.length) <= 40n).toBe(true);
    expect(codeOf(() => decodeOutput(sampleModel({ maxOutputBytes: BigInt(ok.length) }), ok))).toBe("no error");
    expect(codeOf(() => decodeOutput(sampleModel({ maxOutputBytes: BigInt(ok.length - 1) }), ok))).toBe(code(ErrTensorTooLarge));
  });

  test("decodeInput checks against the inputs and max_input_bytes", () => {
    const m = sampleModel();
    const x = encodeTensorList([{ name: "x", shape: [1n, 16n], values: new Array<bigint>(16).fill(-3n) }]);
    expect(decodeInput(m, x)[0].name).toBe("x");
    expect(codeOf(() => decodeInput(sampleModel({ maxInputBytes: 5n }), x))).toBe(code(ErrTensorTooLarge));
    expect(codeOf(() => decodeInput(m, encodeTensorList([{ name: "y", shape: [1n, 8n], values: new Array<bigint>(8).fill(0n) }])))).toBe(code(ErrTensorSpecMismatch));
  });

  test("an input's max_abs bounds |value| in quantized units for floats, as is for integers", () => {
    // x is float32 at quant_scale_bits 16 (the sample model): max_abs 128 allows |q| ≤ 128 × 2^16.
    const bounded = sampleModel({ inputs: [{ name: "x", dtype: "float32", shape: [1n, 16n], maxAbs: 128n }] });
    const limit = 128n << BigInt(bounded.quantScaleBits);
    const row = (v: bigint) => encodeTensorList([{ name: "x", shape: [1n, 16n], values: [...new Array<bigint>(15).fill(0n), v] }]);
    expect(decodeInput(bounded, row(limit))[0].values[15]).toBe(limit);
    expect(decodeInput(bounded, row(-limit))[0].values[15]).toBe(-limit);
    expect(codeOf(() => decodeInput(bounded, row(limit + 1n)))).toBe(code(ErrTensorSpecMismatch));
    expect(codeOf(() => decodeInput(bounded, row(-limit - 1n)))).toBe(code(ErrTensorSpecMismatch));
    // The same values pass without a bound (the dtype range only).
    expect(decodeInput(sampleModel(), row(limit + 1n))[0].values[15]).toBe(limit + 1n);
    // An integer input's bound is in its own units, whatever the scale.
    const ints = sampleModel({ inputs: [{ name: "sr", dtype: "int64", shape: [], maxAbs: 16000n }] });
    const sr = (v: bigint) => encodeTensorList([{ name: "sr", shape: [], values: [v] }]);
    expect(decodeInput(ints, sr(16000n))[0].values[0]).toBe(16000n);
    expect(codeOf(() => decodeInput(ints, sr(16001n)))).toBe(code(ErrTensorSpecMismatch));
    // Outputs are not bounded by it (validateModelSpec refuses max_abs on outputs).
    expect(checkOutputAgainstSpec(sampleModel(), decodeOutput(sampleModel(), encodeTensorList([{ name: "y", shape: [1n, 8n], values: new Array<bigint>(8).fill(limit * 4n) }])))).toBeUndefined();
  });
});
