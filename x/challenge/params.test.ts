import { AppError } from "../../base/errors";
import { ErrInvalidParams } from "./errors";
import { DEFAULT_PARAMS_AUTHORITY, defaultParams, fromWire, paramsToWire, validateParams, type ChallengeParams } from "./params";

describe("challenge params", () => {
  test("defaults: SPEC's numbers (5% audits, 3 then 7 verifiers, 100% and 1% slashes), and they validate", () => {
    expect(defaultParams()).toEqual({
      auditRatePpm: 50_000n,
      minChallengeBond: 1_000_000n,
      verifiersPerRound: 3,
      appealVerifiers: 7,
      commitBlocks: 5n,
      revealBlocks: 5n,
      openBlocks: 5n,
      appealWindowBlocks: 10n,
      appealBondMultiplier: 2n,
      maxRounds: 3,
      maxQuorumRetries: 2,
      slashFractionInvalidResultPpm: 1_000_000n,
      slashFractionBadVerificationPpm: 10_000n,
      auditVerifierReward: 500n,
      paramsAuthority: DEFAULT_PARAMS_AUTHORITY,
      maxDisputesPerBlock: 100,
      safetyFactorPpm: 2_000_000n,
      maxAuditRatePpm: 250_000n,
      daResponseBlocks: 10n,
      slashFractionUnavailablePpm: 1_000n,
      maxDaIncidents: 10,
      dataRequestBond: 100_000n,
      daJailBlocks: 100n,
      maxDaExpiriesPerBlock: 100,
    });
    expect(() => validateParams(defaultParams())).not.toThrow();
    expect(fromWire(paramsToWire(defaultParams()))).toEqual(defaultParams());
    expect(paramsToWire(defaultParams())).toMatchObject({ minChallengeBond: "1000000", auditVerifierReward: "500" });
  });

  test.each<[string, Partial<ChallengeParams>]>([
    ["audit rate 0 (faking an unchallenged result would pay)", { auditRatePpm: 0n }],
    ["audit rate above 100%", { auditRatePpm: 1_000_001n }],
    ["zero challenge bond (free griefing)", { minChallengeBond: 0n }],
    ["challenge bond of 10^30", { minChallengeBond: 10n ** 30n }],
    ["no verifiers", { verifiersPerRound: 0 }],
    ["more than 100 verifiers", { verifiersPerRound: 101, appealVerifiers: 101 }],
    ["an appeal committee smaller than the first", { verifiersPerRound: 5, appealVerifiers: 4 }],
    ["a fractional committee", { verifiersPerRound: 2.5 }],
    ["commit_blocks 0", { commitBlocks: 0n }],
    ["reveal_blocks 0", { revealBlocks: 0n }],
    ["open_blocks 0", { openBlocks: 0n }],
    ["appeal_window_blocks 0", { appealWindowBlocks: 0n }],
    ["a phase of 2^62 blocks (would overflow a height)", { commitBlocks: 1n << 62n }],
    ["a phase above 10^6 blocks", { revealBlocks: 1_000_001n }],
    ["appeal bond multiplier 0", { appealBondMultiplier: 0n }],
    ["appeal bond multiplier above 1000", { appealBondMultiplier: 1_001n }],
    ["max_rounds 0", { maxRounds: 0 }],
    ["max_rounds above 10", { maxRounds: 11 }],
    ["max_quorum_retries above 10", { maxQuorumRetries: 11 }],
    ["negative max_quorum_retries", { maxQuorumRetries: -1 }],
    ["zero invalid-result slash (SPEC: faking must never pay)", { slashFractionInvalidResultPpm: 0n }],
    ["invalid-result slash above 100%", { slashFractionInvalidResultPpm: 1_000_001n }],
    ["bad-verification slash above 100%", { slashFractionBadVerificationPpm: 1_000_001n }],
    ["negative audit reward", { auditVerifierReward: -1n }],
    ["audit reward of 10^30", { auditVerifierReward: 10n ** 30n }],
    ["max_disputes_per_block 0", { maxDisputesPerBlock: 0 }],
    ["max_disputes_per_block above 10000", { maxDisputesPerBlock: 10_001 }],
    ["a params authority that is not an address", { paramsAuthority: "gov" }],
    // Per-job economic security: params under which faking a job could pay.
    ["safety factor below 1× (faking could pay up to the fee)", { safetyFactorPpm: 999_999n }],
    ["safety factor 0", { safetyFactorPpm: 0n }],
    ["safety factor above 1000×", { safetyFactorPpm: 1_000_000_001n }],
    ["max audit rate below the base rate (no job could get a rate)", { auditRatePpm: 100_000n, maxAuditRatePpm: 99_999n }],
    ["max audit rate 0", { maxAuditRatePpm: 0n }],
    ["max audit rate above 100%", { maxAuditRatePpm: 1_000_001n }],
  ])("refused: %s", (_name, over) => {
    const p = { ...defaultParams(), ...over };
    let err: unknown;
    try {
      validateParams(p);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).is(ErrInvalidParams)).toBe(true);
  });

  test("the bounds themselves are allowed", () => {
    const edge: ChallengeParams = {
      ...defaultParams(),
      auditRatePpm: 1_000_000n,
      maxAuditRatePpm: 1_000_000n,
      safetyFactorPpm: 1_000_000_000n,
      verifiersPerRound: 100,
      appealVerifiers: 100,
      commitBlocks: 1_000_000n,
      maxRounds: 10,
      maxQuorumRetries: 0,
      slashFractionBadVerificationPpm: 0n,
      auditVerifierReward: 0n,
      maxDisputesPerBlock: 10_000,
    };
    expect(() => validateParams(edge)).not.toThrow();
    expect(fromWire(paramsToWire(edge))).toEqual(edge);
  });

  test("wire amounts must be decimal integers; missing params are refused", () => {
    expect(() => fromWire({ ...paramsToWire(defaultParams()), minChallengeBond: "1e6" })).toThrow(/min_challenge_bond/);
    expect(() => fromWire({ ...paramsToWire(defaultParams()), auditVerifierReward: "" })).toThrow(/audit_verifier_reward/);
    expect(() => fromWire(undefined)).toThrow(/params missing/);
  });
});
