import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { argmaxRows, diverges, maxAbsDiff, sumSquaredDiff } from "./divergence";
import { encodeTensorList, type QuantizedTensor } from "./tensor";
import { METRICS, type MetricName } from "./types";

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

const t = (values: bigint[], shape: bigint[] = [BigInt(values.length)], name = "y"): QuantizedTensor => ({ name, shape, values });

/** A tensor list's structure (names and shapes) and a value generator for it. */
const structure = fc.array(
  fc.record({ name: fc.constantFrom("a", "b", "y"), shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }) }),
  { maxLength: 3 },
);
const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
const anyValue = fc.oneof(fc.bigInt({ min: -50n, max: 50n }), fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), fc.constantFrom(INT64_MIN, INT64_MAX, 0n));
const valuesFor = (s: { name: string; shape: number[] }[]): fc.Arbitrary<QuantizedTensor[]> =>
  fc.tuple(...s.map((x) => fc.array(anyValue, { minLength: size(x.shape), maxLength: size(x.shape) }))).map((vs) =>
    s.map((x, i) => ({ name: x.name, shape: x.shape.map(BigInt), values: vs[i] })),
  );
/** Two tensor lists with the same structure. */
const samePair = structure.chain((s) => fc.tuple(valuesFor(s), valuesFor(s)));
const metric = fc.constantFrom<MetricName>(...METRICS);
const threshold = fc.oneof(fc.bigInt({ min: 0n, max: 100n }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));

describe("divergence metrics: properties", () => {
  test("every metric is symmetric", () => {
    fc.assert(fc.property(metric, threshold, samePair, (m, th, [a, b]) => diverges(m, th, a, b) === diverges(m, th, b, a)));
  });

  test("a result never diverges from itself, whatever the threshold", () => {
    fc.assert(fc.property(metric, threshold, structure.chain(valuesFor), (m, th, a) => !diverges(m, th, a, a)));
  });

  test("a structural mismatch diverges under every metric and threshold", () => {
    const mismatch = structure.chain((s) =>
      fc.tuple(valuesFor(s), fc.constantFrom("drop", "rename", "reshape", "extra")).chain(([a, how]) => {
        let b: QuantizedTensor[];
        if (how === "extra" || a.length === 0) b = [...a, t([1n], [1n], "extra")];
        else if (how === "drop") b = a.slice(1);
        else if (how === "rename") b = [{ ...a[0], name: a[0].name + "_" }, ...a.slice(1)];
        else b = [{ ...a[0], shape: [...a[0].shape, 1n] }, ...a.slice(1)];
        return fc.constant([a, b] as const);
      }),
    );
    fc.assert(fc.property(metric, threshold, mismatch, (m, th, [a, b]) => diverges(m, th, a, b) && diverges(m, th, b, a)));
  });

  test("EXACT agrees exactly when the canonical encodings are byte-equal", () => {
    fc.assert(
      fc.property(samePair, ([a, b]) => {
        const equalBytes = Buffer.from(encodeTensorList(a)).equals(Buffer.from(encodeTensorList(b)));
        return diverges("EXACT", 0n, a, b) === !equalBytes;
      }),
    );
  });

  test("MAX_ABS_DIFF agrees iff the largest difference is within the threshold", () => {
    fc.assert(
      fc.property(samePair, ([a, b]) => {
        const d = maxAbsDiff(a, b);
        return !diverges("MAX_ABS_DIFF", d, a, b) && (d === 0n || diverges("MAX_ABS_DIFF", d - 1n, a, b));
      }),
    );
  });

  test("MEAN_SQUARED is monotone in the threshold", () => {
    fc.assert(
      fc.property(samePair, threshold, threshold, ([a, b], x, y) => {
        const [lo, hi] = x <= y ? [x, y] : [y, x];
        return !diverges("MEAN_SQUARED", lo, a, b) ? !diverges("MEAN_SQUARED", hi, a, b) : true;
      }),
    );
  });

  test("ARGMAX ignores any change that keeps every row's top-1 index", () => {
    // Adding the same constant to every value keeps the order; so does scaling by a positive integer.
    fc.assert(
      fc.property(structure.chain(valuesFor), fc.bigInt({ min: -1000n, max: 1000n }), fc.bigInt({ min: 1n, max: 1000n }), (a, shift, scale) => {
        const b = a.map((x) => ({ ...x, values: x.values.map((v) => v * scale + shift) }));
        return !diverges("ARGMAX", 0n, a, b);
      }),
    );
  });
});

describe("divergence metrics: boundary values", () => {
  test("MAX_ABS_DIFF: exactly at the threshold agrees, one above diverges", () => {
    const a = [t([0n, 10n, -5n])];
    const b = [t([3n, 10n, -5n])];
    expect(diverges("MAX_ABS_DIFF", 3n, a, b)).toBe(false);
    expect(diverges("MAX_ABS_DIFF", 2n, a, b)).toBe(true);
    expect(maxAbsDiff(a, b)).toBe(3n);
  });

  test("MAX_ABS_DIFF across the whole int64 range is exact (no float rounding)", () => {
    const a = [t([INT64_MIN])];
    const b = [t([INT64_MAX])];
    const span = (1n << 64n) - 1n;
    expect(maxAbsDiff(a, b)).toBe(span);
    expect(diverges("MAX_ABS_DIFF", span, a, b)).toBe(false);
    expect(diverges("MAX_ABS_DIFF", span - 1n, a, b)).toBe(true);
    // 2^53 + 1 and 2^53 are the same double; they must still differ by 1 here.
    const big = [t([(1n << 53n) + 1n])];
    const big2 = [t([1n << 53n])];
    expect(diverges("MAX_ABS_DIFF", 0n, big, big2)).toBe(true);
    expect(diverges("EXACT", 0n, big, big2)).toBe(true);
  });

  test("MEAN_SQUARED: Σ(a−b)² ≤ threshold × n, at the edge and across the int64 range", () => {
    const a = [t([0n, 0n, 0n, 0n])];
    const b = [t([2n, 2n, 0n, 0n])]; // Σ = 8, n = 4
    expect(sumSquaredDiff(a, b)).toEqual({ sum: 8n, n: 4n });
    expect(diverges("MEAN_SQUARED", 2n, a, b)).toBe(false);
    expect(diverges("MEAN_SQUARED", 1n, a, b)).toBe(true);
    const huge = sumSquaredDiff([t([INT64_MIN, INT64_MIN])], [t([INT64_MAX, INT64_MAX])]);
    expect(huge).toEqual({ sum: 2n * ((1n << 64n) - 1n) ** 2n, n: 2n });
    // Empty tensors: nothing to compare, nothing diverges.
    expect(diverges("MEAN_SQUARED", 0n, [t([], [0n])], [t([], [0n])])).toBe(false);
  });

  test("ARGMAX: ties go to the lowest index, per row of the last axis", () => {
    expect(argmaxRows(t([5n, 7n, 7n, 1n]))).toEqual([1]);
    expect(argmaxRows(t([3n, 3n, 3n]))).toEqual([0]);
    expect(argmaxRows(t([1n, 9n, 9n, 1n, 4n, 4n], [2n, 3n]))).toEqual([1, 1]);
    expect(argmaxRows(t([42n], []))).toEqual([0]);
    expect(argmaxRows(t([], [3n, 0n]))).toEqual([]);
    expect(argmaxRows(t([INT64_MIN, INT64_MAX, INT64_MAX - 1n]))).toEqual([1]);
    // Row 2 differs: [0, 9, 1] → 1 vs [9, 0, 1] → 0.
    const a = [t([1n, 2n, 3n, 0n, 9n, 1n], [2n, 3n])];
    const b = [t([1n, 2n, 30n, 9n, 0n, 1n], [2n, 3n])];
    expect(diverges("ARGMAX", 0n, a, b)).toBe(true);
    // A tie in one result and a strict maximum at the lowest tied index in the other agree.
    expect(diverges("ARGMAX", 0n, [t([7n, 7n])], [t([8n, 7n])])).toBe(false);
    expect(diverges("ARGMAX", 0n, [t([7n, 7n])], [t([7n, 8n])])).toBe(true);
  });

  test("EXACT: any single changed value, name or shape diverges", () => {
    const a = [t([1n, 2n, 3n, 4n], [2n, 2n])];
    expect(diverges("EXACT", 0n, a, [t([1n, 2n, 3n, 4n], [2n, 2n])])).toBe(false);
    expect(diverges("EXACT", 0n, a, [t([1n, 2n, 3n, 5n], [2n, 2n])])).toBe(true);
    expect(diverges("EXACT", 0n, a, [t([1n, 2n, 3n, 4n], [4n])])).toBe(true);
    expect(diverges("EXACT", 0n, a, [t([1n, 2n, 3n, 4n], [2n, 2n], "z")])).toBe(true);
    expect(diverges("EXACT", 0n, a, [])).toBe(true);
  });
});

describe("the chain-side metric code has no floating point", () => {
  // The determinism lint (test/determinism.test.ts) forbids float literals, parseFloat and
  // toFixed in x/; this also keeps out the other ways a float could slip into a verdict.
  const FLOAT_SIGNS: ReadonlyArray<readonly [RegExp, string]> = [
    [/\bMath\./, "Math.*"],
    [/\bFloat(32|64)Array\b/, "float typed arrays"],
    [/\bparseFloat\b/, "parseFloat"],
    [/\bNumber\.(EPSILON|MAX_VALUE|MIN_VALUE|NaN|POSITIVE_INFINITY|NEGATIVE_INFINITY)\b/, "float constants"],
    [/\b(Infinity|NaN)\b/, "Infinity/NaN"],
    [/\b[0-9]+\.[0-9]+\b|\b[0-9]+e[+-]?[0-9]+\b/, "float literals"],
    [/\bdequantize\b|\bquantize\(/, "the float quantizer (lib/quant.ts)"],
  ];
  for (const file of ["divergence.ts", "tensor.ts", "types.ts"]) {
    test(`${file}`, () => {
      const code = fs
        .readFileSync(path.join(__dirname, file), "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/\/\/.*$/gm, "");
      const found = FLOAT_SIGNS.filter(([re]) => re.test(code)).map(([, what]) => what);
      expect(found).toEqual([]);
    });
  }
});
