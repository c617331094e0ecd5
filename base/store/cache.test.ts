import { mulberry32 } from "../../test/support/rng";
import { GenerationalCache } from "./cache";

/** A seeded PRNG drawing integers below n. */
function rng(seed: number): (n: number) => number {
  const r = mulberry32(seed);
  return (n) => Math.floor(r() * n);
}

describe("GenerationalCache", () => {
  test("never holds more than its bound, and a hit is always the value last set", () => {
    const c = new GenerationalCache<number, number>(100);
    const truth = new Map<number, number>();
    const r = rng(3);
    for (let i = 0; i < 20_000; i++) {
      const k = r(1_000);
      const op = r(10);
      if (op < 5) {
        c.set(k, i);
        truth.set(k, i);
      } else if (op < 6) {
        c.delete(k);
        truth.delete(k);
      } else {
        const v = c.get(k);
        if (v !== undefined) expect(v).toBe(truth.get(k));
      }
      expect(c.size).toBeLessThanOrEqual(100);
    }
  });

  test("what was used within the last half-bound of insertions stays; what was not goes", () => {
    const c = new GenerationalCache<string, number>(10);
    c.set("hot", 1);
    for (let i = 0; i < 50; i++) {
      c.set(`cold-${i}`, i);
      expect(c.get("hot")).toBe(1);
    }
    expect(c.get("cold-0")).toBeUndefined();
    expect(c.get("cold-49")).toBe(49);
    c.clear();
    expect(c.size).toBe(0);
  });

  test("a bound under 2 is refused", () => {
    expect(() => new GenerationalCache(1)).toThrow(/at least 2/);
  });
});
