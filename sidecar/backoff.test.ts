import { Backoff } from "./backoff";

describe("Backoff", () => {
  test("doubles from the initial delay up to the cap; with random()=0 there is no jitter", () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0.5, random: () => 0 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(b.attempts).toBe(6);
  });

  test("jitter takes up to `jitter` of the delay off, never more, never below zero", () => {
    const lowest = new Backoff({ initialMs: 1000, maxMs: 1000, jitter: 0.5, random: () => 0.999999 });
    expect(lowest.next()).toBe(500);
    const draws = new Backoff({ initialMs: 1000, maxMs: 1000, jitter: 0.5 });
    for (let i = 0; i < 200; i++) {
      const d = draws.next();
      expect(d).toBeGreaterThanOrEqual(500);
      expect(d).toBeLessThanOrEqual(1000);
    }
  });

  test("two sidecars with different draws do not retry in lockstep", () => {
    let seed = 1;
    const a = new Backoff({ initialMs: 1000, random: () => 0.1 });
    const b = new Backoff({ initialMs: 1000, random: () => ((seed = (seed * 48271) % 2147483647) / 2147483647) });
    expect(a.next()).not.toBe(b.next());
  });

  test("reset() starts over after a success", () => {
    const b = new Backoff({ initialMs: 100, random: () => 0 });
    b.next();
    b.next();
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(100);
  });

  test("refuses nonsense settings", () => {
    expect(() => new Backoff({ initialMs: 0 })).toThrow(RangeError);
    expect(() => new Backoff({ initialMs: 10, maxMs: 5 })).toThrow(RangeError);
    expect(() => new Backoff({ jitter: 2 })).toThrow(RangeError);
  });
});
