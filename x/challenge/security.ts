/**
 * Per-job economic security (SPEC §4 "Economic security check"), pure and integer-only.
 *
 * A worker that fakes a job with fee F gains at most F; if the result is audited (probability
 * p) it loses slash_fraction_invalid_result × S, S its validator's bonded tokens. Faking must
 * lose in expectation at least safety_factor × F:
 *
 *   (p / 10^6) × (slash / 10^6) × S ≥ (safety / 10^6) × F   ⇔   p × slash × S ≥ safety × F × 10^6
 *
 * (all three in ppm), so the job's audit rate is the least p ≥ audit_rate_ppm that satisfies it:
 *
 *   rate(F, S) = max(audit_rate_ppm, ⌈safety × F × 10^6 / (slash × S)⌉)
 *
 * and a validator whose rate would exceed max_audit_rate_ppm (or that has no stake) cannot
 * take the job: its stake is too small for the fee. The audit draw (draw.ts) compares a 64-bit
 * hash with ⌊p × 2^64 / 10^6⌋, so the realised probability is p/10^6 to within 2^-64.
 */
import { PPM } from "../../base/types/math";

/** The params the rule reads (x/challenge's ChallengeParams has them all). */
export interface SecurityParams {
  readonly auditRatePpm: bigint;
  readonly maxAuditRatePpm: bigint;
  readonly safetyFactorPpm: bigint;
  readonly slashFractionInvalidResultPpm: bigint;
}

const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;

/**
 * The audit rate (ppm) a job with fee `fee` needs when assigned to a validator with `stake`
 * bonded uinf; undefined when no rate up to max_audit_rate_ppm secures it (or `stake` ≤ 0).
 */
export function jobAuditRate(p: SecurityParams, fee: bigint, stake: bigint): bigint | undefined {
  if (stake <= 0n || p.slashFractionInvalidResultPpm <= 0n) return undefined;
  const needed = fee <= 0n ? 0n : ceilDiv(p.safetyFactorPpm * fee * PPM, p.slashFractionInvalidResultPpm * stake);
  const rate = needed > p.auditRatePpm ? needed : p.auditRatePpm;
  return rate <= p.maxAuditRatePpm ? rate : undefined;
}

/**
 * The rate a result is drawn for audit at: the job's own (fixed at assignment), never below the
 * current audit_rate_ppm (a job assigned before the rule has 0; a raised base rate applies to
 * results still open).
 */
export function auditRateOf(jobRatePpm: bigint, p: Pick<SecurityParams, "auditRatePpm">): bigint {
  return jobRatePpm > p.auditRatePpm ? jobRatePpm : p.auditRatePpm;
}

/**
 * The largest fee a validator with `stake` secures at audit rate `ratePpm`:
 * ⌊ratePpm × slash × S / (safety × 10^6)⌋. At audit_rate_ppm it is the largest fee audited at
 * the base rate; at max_audit_rate_ppm the largest fee it may be assigned at all.
 */
export function maxSecuredFee(p: SecurityParams, stake: bigint, ratePpm: bigint): bigint {
  if (stake <= 0n || ratePpm <= 0n || p.safetyFactorPpm <= 0n) return 0n;
  return (ratePpm * p.slashFractionInvalidResultPpm * stake) / (p.safetyFactorPpm * PPM);
}

/**
 * The smallest stake that secures `fee` at audit rate `ratePpm` (at max_audit_rate_ppm: the
 * least stake that may be assigned the job at all): ⌈safety × F × 10^6 / (ratePpm × slash)⌉,
 * at least 1; undefined when no stake does (a zero rate or slash).
 */
export function minSecuringStake(p: SecurityParams, fee: bigint, ratePpm: bigint): bigint | undefined {
  if (ratePpm <= 0n || p.slashFractionInvalidResultPpm <= 0n) return undefined;
  const s = ceilDiv(p.safetyFactorPpm * (fee > 0n ? fee : 0n) * PPM, ratePpm * p.slashFractionInvalidResultPpm);
  return s > 0n ? s : 1n;
}
