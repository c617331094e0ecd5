import { AppError } from "../../base/errors";
import { ErrInvalidParams } from "./errors";
import { DEFAULT_PARAMS_AUTHORITY, defaultParams, fromWire, paramsToWire, validateParams, type InferenceParams } from "./params";

describe("inference params", () => {
  test("defaults: the SPEC's slash table and the brief's numbers, and they validate", () => {
    expect(defaultParams()).toEqual({
      maxAttempts: 3,
      latePenaltyPpm: 500_000n,
      challengeWindowBlocks: 10n,
      verificationSharePpm: 100_000n,
      protocolSharePpm: 50_000n,
      paramsAuthority: DEFAULT_PARAMS_AUTHORITY,
      maxAssignmentsPerBlock: 100,
      noResponsePenaltyPpm: 1_000_000n,
      noResponsePenaltyMin: 1_000n,
      noResponsePenaltyMax: 1_000_000_000_000n,
      jobRetentionBlocks: 1_000n,
      jobRecordRetentionBlocks: 100_000n,
      maxPrunesPerBlock: 100,
      maxUriInputBytes: 65_536n,
    });
    expect(() => validateParams(defaultParams())).not.toThrow();
    expect(fromWire(paramsToWire(defaultParams()))).toEqual(defaultParams());
    expect(paramsToWire(defaultParams())).toMatchObject({ noResponsePenaltyMin: "1000", noResponsePenaltyMax: "1000000000000" });
  });

  test.each<[string, Partial<InferenceParams>]>([
    ["max_attempts 0", { maxAttempts: 0 }],
    ["max_attempts above 100", { maxAttempts: 101 }],
    ["late penalty above 100%", { latePenaltyPpm: 1_000_001n }],
    // issue 7: every number that feeds a height, a count or an amount is bounded.
    ["no-response penalty above 100× the fee", { noResponsePenaltyPpm: 100_000_001n }],
    ["negative no-response floor", { noResponsePenaltyMin: -1n }],
    ["no-response cap below the floor", { noResponsePenaltyMin: 10n, noResponsePenaltyMax: 9n }],
    ["no-response cap of 10^30", { noResponsePenaltyMax: 10n ** 30n }],
    ["challenge window above 10^6", { challengeWindowBlocks: 1_000_001n }],
    ["challenge window of 2^62 (would overflow result height + window)", { challengeWindowBlocks: 1n << 62n }],
    ["max_assignments_per_block above 10000", { maxAssignmentsPerBlock: 10_001 }],
    ["job_retention_blocks 0", { jobRetentionBlocks: 0n }],
    ["job_retention_blocks above 10^7", { jobRetentionBlocks: 10_000_001n }],
    ["job_record_retention_blocks 0", { jobRecordRetentionBlocks: 0n }],
    ["job_record_retention_blocks 2^63-1", { jobRecordRetentionBlocks: (1n << 63n) - 1n }],
    ["max_prunes_per_block 0", { maxPrunesPerBlock: 0 }],
    ["max_prunes_per_block above 10000", { maxPrunesPerBlock: 10_001 }],
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

  test("amounts on the wire are decimal strings; anything else is refused", () => {
    for (const bad of ["", "-1", "1.5", "1e3", "1".repeat(31)]) {
      expect(() => fromWire({ ...paramsToWire(defaultParams()), noResponsePenaltyMin: bad })).toThrow(/no_response_penalty_min/);
    }
  });

  test("shares may add up to exactly 100% (the worker then gets nothing)", () => {
    expect(() => validateParams({ ...defaultParams(), verificationSharePpm: 600_000n, protocolSharePpm: 400_000n })).not.toThrow();
  });
});
