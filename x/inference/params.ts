/**
 * Inference params: defaults, validation and the stored wire type. Fractions are ppm, windows
 * blocks (SPEC §3); every number is a governance parameter changed by `MsgUpdateParams` from
 * `params_authority`.
 */
import { Params } from "../../gen/inferchain/inference/v1/inference";
import { moduleAddress, parseAddress } from "../../app/types/address";
import { ErrInvalidParams } from "./errors";

export { Params };

/** 10^6: fractions are parts per million. */
export const PPM = 1_000_000n;

/** Params as keepers use them: the generated message, read-only. */
export type InferenceParams = Readonly<Params>;

/** No gov module yet: by default nobody holds the authority's key, so params change only by genesis. */
export const DEFAULT_PARAMS_AUTHORITY = moduleAddress("gov");

/**
 * SPEC's slash table (late result: 50% of the fee from stake; no response: 1% and a full
 * refund), three attempts, a 10-block challenge window (localnets: 1-second blocks), 10% of
 * each fee to the verification pool and 5% to the treasury.
 */
export function defaultParams(): InferenceParams {
  return {
    maxAttempts: 3,
    latePenaltyPpm: 500_000n,
    slashFractionNoResponsePpm: 10_000n,
    challengeWindowBlocks: 10n,
    verificationSharePpm: 100_000n,
    protocolSharePpm: 50_000n,
    paramsAuthority: DEFAULT_PARAMS_AUTHORITY,
    maxAssignmentsPerBlock: 100,
  };
}

export const MAX_ATTEMPTS = 100;
export const MAX_CHALLENGE_WINDOW = 1_000_000n;
export const MAX_ASSIGNMENTS_PER_BLOCK = 10_000;

function ppm(name: string, v: bigint): void {
  if (v < 0n || v > PPM) throw ErrInvalidParams.wrap(`${name} must be in 0..1000000 ppm, got ${v}`);
}

export function validateParams(p: InferenceParams): void {
  if (!Number.isInteger(p.maxAttempts) || p.maxAttempts < 1 || p.maxAttempts > MAX_ATTEMPTS) {
    throw ErrInvalidParams.wrap(`max_attempts must be in 1..${MAX_ATTEMPTS}, got ${p.maxAttempts}`);
  }
  ppm("late_penalty_ppm", p.latePenaltyPpm);
  ppm("slash_fraction_no_response_ppm", p.slashFractionNoResponsePpm);
  // At least one block, so a challenge can land after the result's block and before the split.
  if (p.challengeWindowBlocks < 1n || p.challengeWindowBlocks > MAX_CHALLENGE_WINDOW) {
    throw ErrInvalidParams.wrap(`challenge_window_blocks must be in 1..${MAX_CHALLENGE_WINDOW}, got ${p.challengeWindowBlocks}`);
  }
  ppm("verification_share_ppm", p.verificationSharePpm);
  ppm("protocol_share_ppm", p.protocolSharePpm);
  if (p.verificationSharePpm + p.protocolSharePpm > PPM) {
    throw ErrInvalidParams.wrap(`verification_share_ppm + protocol_share_ppm must not exceed 1000000, got ${p.verificationSharePpm + p.protocolSharePpm}`);
  }
  if (!Number.isInteger(p.maxAssignmentsPerBlock) || p.maxAssignmentsPerBlock < 1 || p.maxAssignmentsPerBlock > MAX_ASSIGNMENTS_PER_BLOCK) {
    throw ErrInvalidParams.wrap(`max_assignments_per_block must be in 1..${MAX_ASSIGNMENTS_PER_BLOCK}, got ${p.maxAssignmentsPerBlock}`);
  }
  try {
    parseAddress(p.paramsAuthority, undefined, "params_authority");
  } catch (e) {
    throw ErrInvalidParams.wrap((e as Error).message);
  }
}

/** Wire params (from a message or the store) → checked params. */
export function fromWire(p: Params | undefined): InferenceParams {
  if (!p) throw ErrInvalidParams.wrap("params missing");
  validateParams(p);
  return p;
}
