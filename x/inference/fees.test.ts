import fc from "fast-check";
import { latePenalty, resultTiming, splitFee } from "./fees";
import { defaultParams } from "./params";

describe("fee arithmetic", () => {
  test("the default split: 10% verification, 5% protocol, the worker the rest, remainder to the worker", () => {
    expect(splitFee(1_000_000n, defaultParams())).toEqual({ verification: 100_000n, protocol: 50_000n, worker: 850_000n });
    expect(splitFee(19n, defaultParams())).toEqual({ verification: 1n, protocol: 0n, worker: 18n });
    expect(splitFee(1n, defaultParams())).toEqual({ verification: 0n, protocol: 0n, worker: 1n });
  });

  test("for any fee and shares the parts are non-negative, round down, and add up to the fee exactly", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.bigInt({ min: 0n, max: 1_000_000n }), fc.bigInt({ min: 0n, max: 1_000_000n }), (fee, v, p) => {
        fc.pre(v + p <= 1_000_000n);
        const s = splitFee(fee, { verificationSharePpm: v, protocolSharePpm: p });
        expect(s.verification + s.protocol + s.worker).toBe(fee);
        expect(s.verification).toBe((fee * v) / 1_000_000n);
        expect(s.protocol).toBe((fee * p) / 1_000_000n);
        expect(s.worker >= 0n).toBe(true);
      }),
    );
  });

  test("late penalty: ⌊fee × late_penalty_ppm / 10^6⌋", () => {
    expect(latePenalty(10_001n, { latePenaltyPpm: 500_000n })).toBe(5_000n);
    expect(latePenalty(10_001n, { latePenaltyPpm: 1_000_000n })).toBe(10_001n);
    expect(latePenalty(10_001n, { latePenaltyPpm: 0n })).toBe(0n);
  });

  test("timing boundaries: ≤ deadline on time, ≤ hard deadline late, after it too late", () => {
    const j = { deadlineHeight: 20n, hardDeadlineHeight: 30n };
    expect(resultTiming(11n, j)).toBe("on_time");
    expect(resultTiming(20n, j)).toBe("on_time");
    expect(resultTiming(21n, j)).toBe("late");
    expect(resultTiming(30n, j)).toBe("late");
    expect(resultTiming(31n, j)).toBe("too_late");
  });
});
