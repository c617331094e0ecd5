/**
 * Challenge params: defaults, validation and the stored wire type. Fractions are ppm, windows
 * blocks, amounts uinf (decimal strings on the wire, bigint here) (SPEC §3); every number is a
 * governance parameter changed by `MsgUpdateParams` from `params_authority`. Every number that
 * ends up in a height, a count, a loop or an amount has a bound, checked here, so no params
 * change can overflow an int64 height in a block hook or make one block's work unbounded.
 */
import { paramChecks } from "../../base/paramChecks";
import { Params } from "../../gen/inferchain/challenge/v1/challenge";
import { moduleAddress, parseAddress } from "../../base/types/address";
import { ErrInvalidParams } from "./errors";

export { Params };

/** Params as keepers use them: the wire message with amounts as bigint. */
export interface ChallengeParams {
  /** Share of results audited (ppm; ≥ 1: with no audit, faking an unchallenged result would pay). */
  readonly auditRatePpm: bigint;
  readonly minChallengeBond: bigint;
  readonly verifiersPerRound: number;
  readonly appealVerifiers: number;
  readonly commitBlocks: bigint;
  readonly revealBlocks: bigint;
  readonly openBlocks: bigint;
  readonly appealWindowBlocks: bigint;
  readonly appealBondMultiplier: bigint;
  readonly maxRounds: number;
  readonly maxQuorumRetries: number;
  readonly slashFractionInvalidResultPpm: bigint;
  readonly slashFractionBadVerificationPpm: bigint;
  readonly auditVerifierReward: bigint;
  readonly paramsAuthority: string;
  readonly maxDisputesPerBlock: number;
  /**
   * Per-job economic security (security.ts): faking a job must lose in expectation at least this
   * multiple (ppm, ≥ 10^6) of its fee; a job's audit rate is raised up to `maxAuditRatePpm` to
   * make it so, and a validator that would need more is not assigned the job.
   */
  readonly safetyFactorPpm: bigint;
  readonly maxAuditRatePpm: bigint;
  /** Data availability: blocks a worker has to answer MsgRequestData with MsgProvideData. */
  readonly daResponseBlocks: bigint;
  /** Slash of a worker's validator per expired data request (ppm). */
  readonly slashFractionUnavailablePpm: bigint;
  /** Expired data requests after which the validator is jailed (and its count starts again). */
  readonly maxDaIncidents: number;
  /** Least bond of MsgRequestData (uinf). */
  readonly dataRequestBond: bigint;
  /** Jail length at max_da_incidents (blocks); MsgUnjail after it. */
  readonly daJailBlocks: bigint;
  /** Most expired data requests one block settles. */
  readonly maxDaExpiriesPerBlock: number;
}

/** No gov module yet: by default nobody holds the authority's key, so params change only by genesis. */
export const DEFAULT_PARAMS_AUTHORITY = moduleAddress("gov");

/**
 * SPEC's numbers: 5% of results audited, 3 verifiers (7 on appeal), invalid result 100% (with
 * jail and tombstone), bad verification 1%. Phases of 5 blocks and a 10-block appeal window
 * (localnets: 1-second blocks); a challenge bond of 1 INF (1000× the sample model's min fee),
 * doubled on each appeal; the first verdict plus up to two appeals; two repeats for lack of a
 * quorum; 500uinf per audit verifier on the winning side (the verification pool gets 10% of
 * each fee, so ~20 finalized 1000uinf jobs fund one 5%-rate audit of three verifiers). Faking
 * a job must lose twice its fee in expectation, with a job's audit rate raised up to 25% for
 * that: at 5% and a 100% slash a validator secures fees up to 2.5% of its stake at the base rate
 * and up to 12.5% at all. Data availability (SPEC's slash table): 10 blocks to provide, 0.1%
 * per expired request, jailed at the 10th (100 blocks); a request bond of 0.1 INF, enough that
 * asking for every job's data costs a griefer 100× the sample model's min fee per job when the
 * data is there.
 */
export function defaultParams(): ChallengeParams {
  return {
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
  };
}

/** Heights stay far below 2^62: a dispute lives at most max_rounds × (max_quorum_retries + 1) × 4 phases of ≤ 10^6 blocks. */
export const MAX_PHASE_BLOCKS = 1_000_000n;
export const MAX_VERIFIERS = 100;
export const MAX_ROUNDS = 10;
export const MAX_QUORUM_RETRIES = 10;
export const MAX_BOND_MULTIPLIER = 1_000n;
export const MAX_DISPUTES_PER_BLOCK = 10_000;
export const MAX_DA_INCIDENTS = 1_000;
/** Amounts below 10^30 uinf, like every other amount param. */
export const MAX_AMOUNT = 10n ** 30n;
/** The safety factor is at least 1× (faking never pays) and at most 1000×. */
export const MIN_SAFETY_FACTOR_PPM = 1_000_000n;
export const MAX_SAFETY_FACTOR_PPM = 1_000_000_000n;


const { ppm, count, range, amount } = paramChecks(ErrInvalidParams);

export function validateParams(p: ChallengeParams): void {
  ppm("audit_rate_ppm", p.auditRatePpm, 1n);
  range("min_challenge_bond", p.minChallengeBond, 1n, MAX_AMOUNT - 1n);
  count("verifiers_per_round", p.verifiersPerRound, 1, MAX_VERIFIERS);
  // An appeal asks a larger committee (SPEC "Appeal"), never a smaller one.
  count("appeal_verifiers", p.appealVerifiers, p.verifiersPerRound, MAX_VERIFIERS);
  range("commit_blocks", p.commitBlocks, 1n, MAX_PHASE_BLOCKS);
  range("reveal_blocks", p.revealBlocks, 1n, MAX_PHASE_BLOCKS);
  range("open_blocks", p.openBlocks, 1n, MAX_PHASE_BLOCKS);
  range("appeal_window_blocks", p.appealWindowBlocks, 1n, MAX_PHASE_BLOCKS);
  range("appeal_bond_multiplier", p.appealBondMultiplier, 1n, MAX_BOND_MULTIPLIER);
  count("max_rounds", p.maxRounds, 1, MAX_ROUNDS);
  count("max_quorum_retries", p.maxQuorumRetries, 0, MAX_QUORUM_RETRIES);
  // A zero invalid-result slash would make faking free (SPEC "Economic security check").
  ppm("slash_fraction_invalid_result_ppm", p.slashFractionInvalidResultPpm, 1n);
  ppm("slash_fraction_bad_verification_ppm", p.slashFractionBadVerificationPpm);
  range("audit_verifier_reward", p.auditVerifierReward, 0n, MAX_AMOUNT - 1n);
  count("max_disputes_per_block", p.maxDisputesPerBlock, 1, MAX_DISPUTES_PER_BLOCK);
  // With these three (and the slash above ≥ 1), every job assigned has an audit rate p with
  // p × slash × stake ≥ safety × fee × 10^6 (security.ts): below 1× faking could pay, and a
  // max below the base rate would leave no rate to give any job.
  range("safety_factor_ppm", p.safetyFactorPpm, MIN_SAFETY_FACTOR_PPM, MAX_SAFETY_FACTOR_PPM);
  ppm("max_audit_rate_ppm", p.maxAuditRatePpm, p.auditRatePpm);
  range("da_response_blocks", p.daResponseBlocks, 1n, MAX_PHASE_BLOCKS);
  ppm("slash_fraction_unavailable_ppm", p.slashFractionUnavailablePpm);
  count("max_da_incidents", p.maxDaIncidents, 1, MAX_DA_INCIDENTS);
  // A zero bond would let anyone make every worker post every input for free.
  range("data_request_bond", p.dataRequestBond, 1n, MAX_AMOUNT - 1n);
  range("da_jail_blocks", p.daJailBlocks, 1n, MAX_PHASE_BLOCKS);
  count("max_da_expiries_per_block", p.maxDaExpiriesPerBlock, 1, MAX_DISPUTES_PER_BLOCK);
  try {
    parseAddress(p.paramsAuthority, undefined, "params_authority");
  } catch (e) {
    throw ErrInvalidParams.wrap((e as Error).message);
  }
}


/** Checked params → the stored / wire message. */
export function paramsToWire(p: ChallengeParams): Params {
  return { ...p, minChallengeBond: p.minChallengeBond.toString(), auditVerifierReward: p.auditVerifierReward.toString(), dataRequestBond: p.dataRequestBond.toString() };
}

/** Wire params (from a message or the store) → checked params. */
export function fromWire(p: Params | undefined): ChallengeParams {
  if (!p) throw ErrInvalidParams.wrap("params missing");
  const out: ChallengeParams = {
    auditRatePpm: p.auditRatePpm,
    minChallengeBond: amount(p.minChallengeBond, "min_challenge_bond"),
    verifiersPerRound: p.verifiersPerRound,
    appealVerifiers: p.appealVerifiers,
    commitBlocks: p.commitBlocks,
    revealBlocks: p.revealBlocks,
    openBlocks: p.openBlocks,
    appealWindowBlocks: p.appealWindowBlocks,
    appealBondMultiplier: p.appealBondMultiplier,
    maxRounds: p.maxRounds,
    maxQuorumRetries: p.maxQuorumRetries,
    slashFractionInvalidResultPpm: p.slashFractionInvalidResultPpm,
    slashFractionBadVerificationPpm: p.slashFractionBadVerificationPpm,
    auditVerifierReward: amount(p.auditVerifierReward, "audit_verifier_reward"),
    paramsAuthority: p.paramsAuthority,
    maxDisputesPerBlock: p.maxDisputesPerBlock,
    safetyFactorPpm: p.safetyFactorPpm,
    maxAuditRatePpm: p.maxAuditRatePpm,
    daResponseBlocks: p.daResponseBlocks,
    slashFractionUnavailablePpm: p.slashFractionUnavailablePpm,
    maxDaIncidents: p.maxDaIncidents,
    dataRequestBond: amount(p.dataRequestBond, "data_request_bond"),
    daJailBlocks: p.daJailBlocks,
    maxDaExpiriesPerBlock: p.maxDaExpiriesPerBlock,
  };
  validateParams(out);
  return out;
}
