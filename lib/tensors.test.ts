import fc from "fast-check";
import type { TensorSpec } from "../x/models/types";
import { checkInputAgainstSpec } from "../x/models/tensor";
import { QUANT_NAN } from "./quant";
import { TensorFormatError, dequantizeTensors, formatTensorJson, parseTensorJson, quantizeTensors, type HostTensor } from "./tensors";

const silero: TensorSpec[] = [
  { name: "input", dtype: "float32", shape: [1n, 4n] },
  { name: "sr", dtype: "int64", shape: [] },
];
const mlp: TensorSpec[] = [{ name: "x", dtype: "float32", shape: [-1n, 2n] }];

describe("tensor JSON", () => {
  test("parses in spec order with the spec's dtypes, whatever the key order", () => {
    const ts = parseTensorJson('{"sr": {"dims": [], "data": [16000]}, "input": {"dims": [1, 4], "data": [0.5, -1, 0.25, 0]}}', silero);
    expect(ts.map((t) => t.name)).toEqual(["input", "sr"]);
    expect(ts[0].data).toEqual(Float32Array.from([0.5, -1, 0.25, 0]));
    expect(ts[1].data).toEqual(BigInt64Array.from([16000n]));
    expect(ts[1].dims).toEqual([]);
  });

  test("format then parse gives the same tensors, float64 and int64 extremes included", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double().map((x) => (Object.is(x, -0) ? 0 : x)), { maxLength: 6 }), // JSON has no -0
        fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
        (xs, big) => {
          const specs: TensorSpec[] = [
            { name: "f", dtype: "float64", shape: [-1n] },
            { name: "i", dtype: "int64", shape: [1n] },
          ];
          const ts: HostTensor[] = [
            { name: "f", dtype: "float64", dims: [xs.length], data: Float64Array.from(xs) },
            { name: "i", dtype: "int64", dims: [1], data: BigInt64Array.from([big]) },
          ];
          const back = parseTensorJson(formatTensorJson(ts), specs);
          expect(back).toEqual(ts);
        },
      ),
    );
  });

  test("writes int64 beyond 2^53 as strings and non-finite floats by name", () => {
    const json = formatTensorJson([
      { name: "i", dtype: "int64", dims: [2], data: BigInt64Array.from([(1n << 60n) + 1n, 5n]) },
      { name: "f", dtype: "float32", dims: [3], data: Float32Array.from([Number.NaN, Infinity, 1.5]) },
    ]);
    expect(JSON.parse(json)).toEqual({ i: { dims: [2], data: ["1152921504606846977", 5] }, f: { dims: [3], data: ["NaN", "Infinity", 1.5] } });
  });

  test.each([
    ["not JSON", "{", silero],
    ["an array", "[]", silero],
    ["a missing tensor", '{"input": {"dims": [1, 4], "data": [0, 0, 0, 0]}}', silero],
    ["an unknown tensor", '{"x": {"dims": [1, 2], "data": [0, 0]}, "z": {"dims": [], "data": [1]}}', mlp],
    ["a wrong fixed dim", '{"x": {"dims": [1, 3], "data": [0, 0, 0]}}', mlp],
    ["a wrong rank", '{"x": {"dims": [2], "data": [0, 0]}}', mlp],
    ["data of the wrong length", '{"x": {"dims": [2, 2], "data": [0, 0, 0]}}', mlp],
    ["nested data", '{"x": {"dims": [1, 2], "data": [[0, 0]]}}', mlp],
    ["a string float", '{"x": {"dims": [1, 2], "data": ["1.5", 0]}}', mlp],
    ["a fractional int", '{"sr": {"dims": [], "data": [1.5]}, "input": {"dims": [1, 4], "data": [0, 0, 0, 0]}}', silero],
    ["negative dims", '{"x": {"dims": [-1, 2], "data": []}}', mlp],
  ])("refuses %s", (_, json, specs) => {
    expect(() => parseTensorJson(json, specs)).toThrow(TensorFormatError);
  });

  test("integer dtypes are range-checked", () => {
    const spec = (dtype: TensorSpec["dtype"]): TensorSpec[] => [{ name: "v", dtype, shape: [1n] }];
    expect(() => parseTensorJson('{"v": {"dims": [1], "data": [128]}}', spec("int8"))).toThrow(TensorFormatError);
    expect(parseTensorJson('{"v": {"dims": [1], "data": [-128]}}', spec("int8"))[0].data).toEqual(Int8Array.from([-128]));
    expect(parseTensorJson('{"v": {"dims": [1], "data": [true]}}', spec("bool"))[0].data).toEqual(Uint8Array.from([1]));
    expect(() => parseTensorJson('{"v": {"dims": [1], "data": [2]}}', spec("bool"))).toThrow(TensorFormatError);
    expect(() => parseTensorJson('{"v": {"dims": [1], "data": ["9223372036854775808"]}}', spec("int64"))).toThrow(TensorFormatError);
  });
});

describe("host ↔ quantized tensors", () => {
  test("JSON input → quantized tensors that pass the chain's input check → back within half a step", () => {
    const host = parseTensorJson({ input: { dims: [1, 4], data: [0.1, -0.7, 1e-9, 3] }, sr: { dims: [], data: [16000] } }, silero);
    const q = quantizeTensors(host, 16);
    expect(checkInputAgainstSpec({ inputs: silero }, q)).toBeUndefined();
    expect(q[1]).toEqual({ name: "sr", shape: [], values: [16000n] }); // integers are not scaled
    expect(q[0].values).toEqual([6554n, -45875n, 0n, 196608n]);
    const back = dequantizeTensors(q, silero, 16);
    (back[0].data as Float32Array).forEach((v, i) => expect(Math.abs(v - (host[0].data as Float32Array)[i])).toBeLessThanOrEqual(2 ** -17 + 1e-7));
    expect(back[1].data).toEqual(BigInt64Array.from([16000n]));
  });

  test("dequantized NaN sentinel is NaN again; narrow integer dtypes refuse out-of-range values", () => {
    const specs: TensorSpec[] = [
      { name: "f", dtype: "float32", shape: [1n] },
      { name: "b", dtype: "uint8", shape: [1n] },
    ];
    const back = dequantizeTensors(
      [
        { name: "f", shape: [1n], values: [QUANT_NAN] },
        { name: "b", shape: [1n], values: [255n] },
      ],
      specs,
      8,
    );
    expect(back[0].data[0]).toBeNaN();
    expect(back[1].data).toEqual(Uint8Array.from([255]));
    expect(() => dequantizeTensors([{ name: "f", shape: [1n], values: [0n] }, { name: "b", shape: [1n], values: [256n] }], specs, 8)).toThrow(TensorFormatError);
  });

  test("quantize refuses a host tensor whose dims and data disagree", () => {
    expect(() => quantizeTensors([{ name: "x", dtype: "float32", dims: [2, 2], data: new Float32Array(3) }], 16)).toThrow(TensorFormatError);
  });
});
