import { AppError } from "../../base/errors";
import { ErrInvalidParams } from "./errors";
import { defaultParams, fromCosmos, minSignedPerWindow, toCosmos, validateParams, type SlashingParams } from "./params";

describe("params", () => {
  test("the defaults are valid and match the documented localnet values", () => {
    const p = defaultParams();
    expect(() => validateParams(p)).not.toThrow();
    expect(p).toMatchObject({
      signedBlocksWindow: 20n,
      minSignedPerWindowPpm: 500_000n,
      downtimeJailBlocks: 20n,
      slashFractionDowntimePpm: 100n,
      slashFractionDoubleSignPpm: 1_000_000n,
      correlationMultiplier: 3n,
    });
  });

  test.each<[string, Partial<SlashingParams>]>([
    ["min signed above 100%", { minSignedPerWindowPpm: 1_000_001n }],
    ["downtime fraction above 100%", { slashFractionDowntimePpm: 1_000_001n }],
    ["zero jail", { downtimeJailBlocks: 0n }],
    ["zero evidence age", { maxEvidenceAgeBlocks: 0n }],
    ["a huge multiplier", { correlationMultiplier: 1_001n }],
    ["a window past the bound", { signedBlocksWindow: 1_000_001n }],
    ["a correlation window past the bound", { correlationWindowBlocks: 1_000_001n }],
    ["a jail past the bound", { downtimeJailBlocks: 1_000_000_001n }],
    ["an evidence age past the bound", { maxEvidenceAgeBlocks: 1_000_000_001n }],
    ["a jail of 2^64 - 1", { downtimeJailBlocks: (1n << 64n) - 1n }],
    ["an exempt kind twice", { correlationExemptKinds: ["downtime", "downtime"] }],
  ])("refused: %s", (_name, over) => {
    let err: unknown;
    try {
      validateParams({ ...defaultParams(), ...over });
    } catch (e) {
      err = e;
    }
    expect((err as AppError).is(ErrInvalidParams)).toBe(true);
  });

  test("the bounds themselves are accepted", () => {
    expect(() => validateParams({ ...defaultParams(), signedBlocksWindow: 1_000_000n, correlationWindowBlocks: 1_000_000n, downtimeJailBlocks: 1_000_000_000n, maxEvidenceAgeBlocks: 1_000_000_000n })).not.toThrow();
  });

  test("the default evidence age is below staking's default unbonding period (100 blocks)", () => {
    expect(defaultParams().maxEvidenceAgeBlocks).toBeLessThan(100n);
  });

  test("min signed per window rounds half to even, like Cosmos's RoundInt64", () => {
    const at = (window: bigint, ppm: bigint): bigint => minSignedPerWindow({ ...defaultParams(), signedBlocksWindow: window, minSignedPerWindowPpm: ppm });
    expect(at(20n, 500_000n)).toBe(10n);
    expect(at(5n, 500_000n)).toBe(2n); // 2.5 → 2
    expect(at(7n, 500_000n)).toBe(4n); // 3.5 → 4
    expect(at(3n, 400_000n)).toBe(1n); // 1.2 → 1
    expect(at(3n, 600_000n)).toBe(2n); // 1.8 → 2
    expect(at(100n, 1_000_000n)).toBe(100n);
  });

  test("the Cosmos form round-trips exactly", () => {
    const p = { ...defaultParams(), minSignedPerWindowPpm: 123_456n, slashFractionDowntimePpm: 1n };
    expect(fromCosmos(toCosmos(p))).toEqual({
      signedBlocksWindow: p.signedBlocksWindow,
      minSignedPerWindowPpm: 123_456n,
      downtimeJailBlocks: p.downtimeJailBlocks,
      slashFractionDoubleSignPpm: p.slashFractionDoubleSignPpm,
      slashFractionDowntimePpm: 1n,
    });
  });
});
