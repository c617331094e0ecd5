import { AppError } from "../../app/errors";
import { ErrInvalidParams } from "./errors";
import { DEFAULT_PARAMS_AUTHORITY, defaultParams, fromWire, validateParams, type InferenceParams } from "./params";

describe("inference params", () => {
  test("defaults: the SPEC's slash table and the brief's numbers, and they validate", () => {
    expect(defaultParams()).toEqual({
      maxAttempts: 3,
      latePenaltyPpm: 500_000n,
      slashFractionNoResponsePpm: 10_000n,
      challengeWindowBlocks: 10n,
      verificationSharePpm: 100_000n,
      protocolSharePpm: 50_000n,
      paramsAuthority: DEFAULT_PARAMS_AUTHORITY,
      maxAssignmentsPerBlock: 100,
    });
    expect(() => validateParams(defaultParams())).not.toThrow();
    expect(fromWire({ ...defaultParams() })).toEqual(defaultParams());
  });

  test.each<[string, Partial<InferenceParams>]>([
    ["max_attempts 0", { maxAttempts: 0 }],
    ["max_attempts above 100", { maxAttempts: 101 }],
    ["late penalty above 100%", { latePenaltyPpm: 1_000_001n }],
    ["no-response slash above 100%", { slashFractionNoResponsePpm: 1_000_001n }],
    ["challenge window 0", { challengeWindowBlocks: 0n }],
    ["negative challenge window", { challengeWindowBlocks: -5n }],
    ["shares above 100% together", { verificationSharePpm: 600_000n, protocolSharePpm: 400_001n }],
    ["max_assignments_per_block 0", { maxAssignmentsPerBlock: 0 }],
    ["bad authority", { paramsAuthority: "nobody" }],
  ])("refused: %s", (_name, over) => {
    let err: unknown;
    try {
      validateParams({ ...defaultParams(), ...over });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).is(ErrInvalidParams)).toBe(true);
  });

  test("shares may add up to exactly 100% (the worker then gets nothing)", () => {
    expect(() => validateParams({ ...defaultParams(), verificationSharePpm: 600_000n, protocolSharePpm: 400_000n })).not.toThrow();
  });
});
