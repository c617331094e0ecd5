import fc from "fast-check";
import { QUANT_MAX, QUANT_MIN, QUANT_NAN, dequantize, quantize, quantizeValue, roundHalfEven, roundHalfEvenByFloor } from "./quant";

const bits = fc.integer({ min: 0, max: 32 });
/** Finite doubles whose scaled value stays inside int64. */
const inRange = (b: number): fc.Arbitrary<number> =>
  fc.oneof(
    fc.double({ min: -1e3, max: 1e3, noNaN: true, noDefaultInfinity: true }),
    fc.double({ min: -(2 ** 62) / 2 ** b, max: 2 ** 62 / 2 ** b, noNaN: true, noDefaultInfinity: true }),
    fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
  );

describe("quantize", () => {
  test("dequantize(quantize(x)) is within half a step of x", () => {
    fc.assert(
      fc.property(bits.chain((b) => fc.tuple(fc.constant(b), inRange(b))), ([b, x]) => {
        const back = dequantize(quantize([x], b), b)[0];
        return Math.abs(back - x) <= 2 ** -b / 2;
      }),
    );
  });

  test("quantize(dequantize(q)) = q for every q a double holds exactly", () => {
    fc.assert(
      fc.property(bits, fc.bigInt({ min: -(1n << 53n), max: 1n << 53n }), (b, q) => quantize(dequantize([q], b), b)[0] === q),
    );
  });

  test("exact halves round to even", () => {
    fc.assert(
      fc.property(bits, fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), (b, k) => {
        // (k + 0.5) / 2^b scales to exactly k + 0.5.
        const x = (k + 0.5) / 2 ** b;
        const q = quantizeValue(x, b);
        const even = k % 2 === 0 ? BigInt(k) : BigInt(k) + 1n;
        return q === even;
      }),
    );
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5].map((x) => quantizeValue(x, 0))).toEqual([0n, 2n, 2n, 0n, -2n, -2n, 4n]);
    expect(quantizeValue(0.75, 1)).toBe(2n); // 1.5 → 2
    expect(quantizeValue(1.25, 1)).toBe(2n); // 2.5 → 2
    expect(quantizeValue(2 ** -17, 16)).toBe(0n); // 0.5 → 0
    expect(quantizeValue(3 * 2 ** -17, 16)).toBe(2n); // 1.5 → 2
  });

  test("values off the half round to the nearest integer", () => {
    expect(quantizeValue(0.49999999999999994, 0)).toBe(0n);
    expect(quantizeValue(0.5000000000000001, 0)).toBe(1n);
    expect(quantizeValue(-0.5000000000000001, 0)).toBe(-1n);
    expect(quantizeValue(-0, 16)).toBe(0n);
    expect(roundHalfEven(2 ** 52 + 1)).toBe(2 ** 52 + 1);
  });

  test("roundHalfEven (1.5 × 2^52 added and taken away below 2^51) = the floor-and-fraction rounding, for every finite double", () => {
    // === : the same double, +0 and −0 being one integer.
    const same = (y: number): boolean => roundHalfEven(y) === roundHalfEvenByFloor(y);
    const edges = [2 ** 51, 2 ** 52, 2 ** 53].flatMap((e) => [e - 1, e - 0.5, e, e + 0.5, e + 1, e - 1.5, e - 2].flatMap((v) => [v, -v]));
    for (const y of [...edges, 0, -0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999999999999994, -0.49999999999999994, 0.5000000000000001, 2 ** 51 - 0.75, -(2 ** 51) + 0.25]) {
      expect([y, same(y)]).toEqual([y, true]);
    }
    const halves = fc.integer({ min: -(2 ** 50), max: 2 ** 50 }).map((k) => k + 0.5);
    const small = fc.double({ min: -(2 ** 20), max: 2 ** 20, noNaN: true, noDefaultInfinity: true });
    const any = fc.double({ noNaN: true, noDefaultInfinity: true });
    const near51 = fc.tuple(fc.integer({ min: -8, max: 8 }), fc.boolean()).map(([k, neg]) => (neg ? -1 : 1) * (2 ** 51 + k / 4));
    fc.assert(fc.property(fc.oneof(halves, small, any, near51), same), { numRuns: 20_000 });
  });

  test("quantize is monotone", () => {
    fc.assert(
      fc.property(bits, fc.double({ noNaN: true }), fc.double({ noNaN: true }), (b, x, y) => {
        const [lo, hi] = x <= y ? [x, y] : [y, x];
        return quantizeValue(lo, b) <= quantizeValue(hi, b);
      }),
    );
  });

  test("NaN, ±Inf and out-of-range values saturate (total, so an honest worker can always answer)", () => {
    expect(quantize([Number.NaN, Infinity, -Infinity], 16)).toEqual([QUANT_NAN, QUANT_MAX, QUANT_MIN]);
    expect(quantizeValue(2 ** 63, 0)).toBe(QUANT_MAX);
    expect(quantizeValue(-(2 ** 63), 0)).toBe(QUANT_MIN);
    expect(quantizeValue(2 ** 31, 32)).toBe(QUANT_MAX);
    expect(quantizeValue(2 ** 63 - 1024, 0)).toBe((1n << 63n) - 1024n); // the largest double below 2^63
    expect(quantizeValue(-(2 ** 63) + 1024, 0)).toBe(-(1n << 63n) + 1024n);
    expect(QUANT_NAN).toBe(-(1n << 63n));
    expect(QUANT_MIN).toBe(QUANT_NAN + 1n);
    expect(dequantize([QUANT_NAN], 16)[0]).toBeNaN();
  });

  test("float32 inputs are read exactly (the sidecar hands over Float32Array)", () => {
    const f = Float32Array.from([0.1, -0.2, 1 / 3]);
    const q = quantize(f, 24);
    // 0.1f is 13421773 × 2^-27: at 24 bits that is 1677721.625 → 1677722.
    expect(q[0]).toBe(1677722n);
    expect(q).toEqual(Array.from(f, (x) => BigInt(Math.round(x * 2 ** 24))));
  });

  test("scale bits outside 0..32 are refused", () => {
    expect(() => quantize([1], 33)).toThrow(RangeError);
    expect(() => quantize([1], -1)).toThrow(RangeError);
    expect(() => quantize([1], 1.5)).toThrow(RangeError);
    expect(() => dequantize([1n], 40)).toThrow(RangeError);
  });
});
