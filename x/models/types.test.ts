import fc from "fast-check";
import { DataType, Metric } from "../../gen/inferchain/models/v1/models";
import type { AppError } from "../../base/errors";
import * as errors from "./errors";
import { sampleModel, sampleSpec } from "./testutil";
import {
  MAX_SLA_BLOCKS,
  MAX_TENSOR_LIST_BYTES,
  DTYPES,
  METRICS,
  dtypeFromWire,
  dtypeToWire,
  isValidModelId,
  metricFromWire,
  metricToWire,
  modelFromWire,
  modelToWire,
  validateModelSpec,
  type ModelSpec,
} from "./types";

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    const a = e as AppError;
    return `${a.codespace}/${a.code}`;
  }
  return "ok";
}
const code = (e: AppError): string => `${e.codespace}/${e.code}`;
const check = (over: Partial<ModelSpec>): string => codeOf(() => validateModelSpec(sampleSpec(over)));

describe("model ids", () => {
  test.each(["ab", "mlp-16x8", "silero-vad", "a.b_c-d", "0x", "a".repeat(64)])("%s is valid", (id) => {
    expect(isValidModelId(id)).toBe(true);
  });
  test.each(["", "a", "A-model", "-ab", ".ab", "_ab", "a b", "a/b", "a:b", "a".repeat(65), "mlp\n"])("%j is invalid", (id) => {
    expect(isValidModelId(id)).toBe(false);
    expect(check({ id })).toBe(code(errors.ErrInvalidModelId));
  });
});

describe("validateModelSpec: each rule has its own error code", () => {
  test("the sample spec is valid", () => {
    expect(check({})).toBe("ok");
  });

  test.each<[string, Partial<ModelSpec>, AppError]>([
    ["short sha256", { onnxSha256: "ab".repeat(31) }, errors.ErrInvalidSha256],
    ["uppercase sha256", { onnxSha256: "AB".repeat(32) }, errors.ErrInvalidSha256],
    ["non-hex sha256", { onnxSha256: "zz".repeat(32) }, errors.ErrInvalidSha256],
    ["empty uri", { uri: "" }, errors.ErrInvalidUri],
    ["uri with a space", { uri: "file:a b.onnx" }, errors.ErrInvalidUri],
    ["uri too long", { uri: "x".repeat(513) }, errors.ErrInvalidUri],
    ["no inputs", { inputs: [] }, errors.ErrInvalidTensorSpec],
    ["no outputs", { outputs: [] }, errors.ErrInvalidTensorSpec],
    ["17 outputs", { outputs: Array.from({ length: 17 }, (_, i) => ({ name: `o${i}`, dtype: "float32" as const, shape: [1n] })) }, errors.ErrInvalidTensorSpec],
    ["duplicate input names", { inputs: [{ name: "x", dtype: "float32", shape: [1n] }, { name: "x", dtype: "int64", shape: [] }] }, errors.ErrInvalidTensorSpec],
    ["bad tensor name", { inputs: [{ name: "x y", dtype: "float32", shape: [1n] }] }, errors.ErrInvalidTensorSpec],
    ["max_abs on an output", { outputs: [{ name: "y", dtype: "float32", shape: [1n], maxAbs: 1n }] }, errors.ErrInvalidTensorSpec],
    ["negative max_abs", { inputs: [{ name: "x", dtype: "float32", shape: [1n], maxAbs: -1n }] }, errors.ErrInvalidTensorSpec],
    ["max_abs above int64", { inputs: [{ name: "x", dtype: "float32", shape: [1n], maxAbs: 1n << 63n }] }, errors.ErrInvalidTensorSpec],
    ["dim 0", { inputs: [{ name: "x", dtype: "float32", shape: [0n] }] }, errors.ErrInvalidTensorSpec],
    ["dim -2", { inputs: [{ name: "x", dtype: "float32", shape: [-2n] }] }, errors.ErrInvalidTensorSpec],
    ["dim 2^31", { inputs: [{ name: "x", dtype: "float32", shape: [1n << 31n] }] }, errors.ErrInvalidTensorSpec],
    ["rank 9", { inputs: [{ name: "x", dtype: "float32", shape: new Array<bigint>(9).fill(1n) }] }, errors.ErrInvalidTensorSpec],
    ["unknown dtype", { inputs: [{ name: "x", dtype: "float16" as never, shape: [1n] }] }, errors.ErrInvalidTensorSpec],
    ["unknown metric", { metric: "COSINE" as never }, errors.ErrInvalidMetric],
    ["negative threshold", { threshold: -1n }, errors.ErrInvalidThreshold],
    ["threshold above uint64", { threshold: 1n << 64n }, errors.ErrInvalidThreshold],
    ["EXACT with a threshold", { metric: "EXACT", threshold: 1n }, errors.ErrInvalidThreshold],
    ["ARGMAX with a threshold", { metric: "ARGMAX", threshold: 3n }, errors.ErrInvalidThreshold],
    ["quant_scale_bits 33", { quantScaleBits: 33 }, errors.ErrInvalidQuantScale],
    ["quant_scale_bits -1", { quantScaleBits: -1 }, errors.ErrInvalidQuantScale],
    ["fractional quant_scale_bits", { quantScaleBits: 16.5 }, errors.ErrInvalidQuantScale],
    ["negative min_fee", { minFee: -1n }, errors.ErrInvalidFee],
    ["max_input_bytes 0", { maxInputBytes: 0n }, errors.ErrInvalidSizeLimit],
    ["max_output_bytes 0", { maxOutputBytes: 0n }, errors.ErrInvalidSizeLimit],
    ["sla_blocks 0", { slaBlocks: 0n }, errors.ErrInvalidSla],
    // issue 7 finding 3: height + 2 × sla_blocks overflowed the int64 hard deadline in EndBlock.
    ["sla_blocks above 100000", { slaBlocks: MAX_SLA_BLOCKS + 1n }, errors.ErrInvalidSla],
    ["sla_blocks 2^62 (the old EndBlock overflow)", { slaBlocks: 1n << 62n }, errors.ErrInvalidSla],
    ["max_input_bytes above 16 MiB", { maxInputBytes: MAX_TENSOR_LIST_BYTES + 1n }, errors.ErrInvalidSizeLimit],
    ["max_output_bytes 2^64-1", { maxOutputBytes: (1n << 64n) - 1n }, errors.ErrInvalidSizeLimit],
  ])("%s", (_, over, err) => {
    expect(check(over)).toBe(code(err));
  });

  test("boundaries that are allowed", () => {
    expect(check({ quantScaleBits: 0 })).toBe("ok");
    expect(check({ quantScaleBits: 32 })).toBe("ok");
    expect(check({ threshold: 0n })).toBe("ok");
    expect(check({ threshold: (1n << 64n) - 1n, metric: "MEAN_SQUARED" })).toBe("ok");
    expect(check({ metric: "EXACT", threshold: 0n })).toBe("ok");
    expect(check({ minFee: 0n, maxInputBytes: 1n, maxOutputBytes: 1n, slaBlocks: 1n })).toBe("ok");
    expect(check({ maxInputBytes: MAX_TENSOR_LIST_BYTES, maxOutputBytes: MAX_TENSOR_LIST_BYTES, slaBlocks: MAX_SLA_BLOCKS })).toBe("ok");
    expect(check({ inputs: [{ name: "sr", dtype: "int64", shape: [] }] })).toBe("ok");
    expect(check({ inputs: [{ name: "x", dtype: "float32", shape: [0x7fff_ffffn, -1n] }] })).toBe("ok");
    expect(check({ outputs: Array.from({ length: 16 }, (_, i) => ({ name: `o${i}`, dtype: "float32" as const, shape: [1n] })) })).toBe("ok");
  });

  test("error codes are distinct and numbered from 2", () => {
    const all = Object.values(errors).filter((e): e is AppError => typeof e === "object" && e !== null && "code" in e);
    const codes = all.map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(Math.min(...codes)).toBe(2);
    expect(all.every((e) => e.codespace === "models")).toBe(true);
  });
});

describe("wire ↔ domain", () => {
  test("enums map one to one, and unknown wire values are refused", () => {
    for (const d of DTYPES) expect(dtypeFromWire(dtypeToWire(d))).toBe(d);
    for (const m of METRICS) expect(metricFromWire(metricToWire(m))).toBe(m);
    expect(codeOf(() => dtypeFromWire(DataType.DATA_TYPE_UNSPECIFIED))).toBe(code(errors.ErrInvalidTensorSpec));
    expect(codeOf(() => dtypeFromWire(99 as DataType))).toBe(code(errors.ErrInvalidTensorSpec));
    expect(codeOf(() => metricFromWire(Metric.METRIC_UNSPECIFIED))).toBe(code(errors.ErrInvalidMetric));
    expect(codeOf(() => metricFromWire(-1 as Metric))).toBe(code(errors.ErrInvalidMetric));
  });

  test("modelFromWire(modelToWire(m)) = m", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...METRICS),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.integer({ min: 0, max: 32 }),
        fc.bigInt({ min: 0n, max: 10n ** 30n - 1n }),
        fc.bigInt({ min: 0n, max: 10n ** 30n - 1n }),
        (metric, threshold, quantScaleBits, minFee, deposit) => {
          const m = sampleModel({ metric, threshold, quantScaleBits, minFee, deposit, owner: "infer1xyz", registeredHeight: 7n });
          expect(modelFromWire(modelToWire(m))).toEqual(m);
          const bounded = { ...m, inputs: [{ ...m.inputs[0], maxAbs: threshold % (1n << 63n) || 1n }] };
          expect(modelFromWire(modelToWire(bounded))).toEqual(bounded);
        },
      ),
    );
  });
});
