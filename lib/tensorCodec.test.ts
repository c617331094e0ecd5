import fc from "fast-check";
import { parseGenesis } from "../x/models/genesis";
import { decodeInput, encodeTensorList } from "../x/models/tensor";
import type { Model } from "../x/models/types";
import { builtinModels } from "./models/builtin";
import { dequantizeTensors, quantizeTensors, type HostTensor } from "./tensors";
import { decodeToHost, encodeFromHost } from "./tensorCodec";

const [mlp, silero] = parseGenesis({ models: builtinModels() }).models;
const special = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 1e30, -1e30, 2 ** 40, -(2 ** 40), 2 ** 47 + 0.5, 0.5 / 65536, 1.5 / 65536, -2.5 / 65536];
const float = fc.oneof(fc.double({ noNaN: false }), fc.constantFrom(...special), fc.double({ min: -4, max: 4, noNaN: true }));

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
        const model = { ...silero, maxInputBytes: 1n << 20n };
        sameHost(decodeToHost(model, bytes), dequantizeTensors(decodeInput(model, bytes), model.inputs, model.quantScaleBits));
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
