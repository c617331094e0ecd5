/**
 * Inference params: defaults, validation and the stored wire type. Fractions are ppm, windows
 * blocks, amounts uinf (decimal strings on the wire, bigint here) (SPEC §3); every number is a
 * governance parameter changed by `MsgUpdateParams` from `params_authority`. Every number that
 * ends up in a height, a count or an amount has a bound, checked here, so no params change can
 * make a block hook overflow an int64 height or loop without end.
 */
import { paramChecks } from "../../base/paramChecks";
import { Params } from "../../gen/inferchain/inference/v1/inference";
import { moduleAddress, parseAddress } from "../../base/types/address";
import { PPM } from "../../base/types/math";
import { ErrInvalidParams } from "./errors";

export { Params };

/** Params as keepers use them: the wire message with amounts as bigint. */
export interface InferenceParams {
  readonly maxAttempts: number;
  readonly latePenaltyPpm: bigint;
  readonly challengeWindowBlocks: bigint;
  readonly verificationSharePpm: bigint;
  readonly protocolSharePpm: bigint;
  readonly paramsAuthority: string;
  readonly maxAssignmentsPerBlock: number;
  /** No-response penalty: this share of the fee, clamped to [min, max] uinf, to the treasury. */
  readonly noResponsePenaltyPpm: bigint;
  readonly noResponsePenaltyMin: bigint;
  readonly noResponsePenaltyMax: bigint;
  /** Blocks a finished job keeps its input and output bytes. */
  readonly jobRetentionBlocks: bigint;
  /** Blocks the compact record of a pruned job is kept after that. */
  readonly jobRecordRetentionBlocks: bigint;
  readonly maxPrunesPerBlock: number;
  /** Largest input of a job by URI (bytes): its worker must be able to post it in one tx (x/challenge MsgProvideData). */
  readonly maxUriInputBytes: bigint;
}

/** No gov module yet: by default nobody holds the authority's key, so params change only by genesis. */
export const DEFAULT_PARAMS_AUTHORITY = moduleAddress("gov");

/**
 * SPEC's slash table (late result: 50% of the fee from stake; no response: a multiple of the
 * fee, 1× here, at least 1000uinf and at most 10^12 uinf, to the treasury), three attempts, a
 * 10-block challenge window (localnets: 1-second blocks), 10% of each fee to the verification
 * pool and 5% to the treasury; finished jobs keep their bytes 1000 blocks and their compact
 * record 100000 more; inputs by URI up to 64 KiB (a quarter of x/auth's default max_tx_bytes, so
 * the worker's MsgProvideData always fits in a tx).
 */
export function defaultParams(): InferenceParams {
  return {
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
  };
}

export const MAX_ATTEMPTS = 100;
export const MAX_CHALLENGE_WINDOW = 1_000_000n;
export const MAX_ASSIGNMENTS_PER_BLOCK = 10_000;
/** At most 100× the fee. */
export const MAX_NO_RESPONSE_PENALTY_PPM = 100n * PPM;
/** Amounts below 10^30 uinf, like every other amount param. */
export const MAX_AMOUNT = 10n ** 30n;
export const MAX_RETENTION_BLOCKS = 10_000_000n;
export const MAX_PRUNES_PER_BLOCK = 10_000;
/** CometBFT's default max tx size: a larger URI input could never be provided on chain. */
export const MAX_URI_INPUT_BYTES = 1_048_576n;


const { ppm, count, range: blocks, amount } = paramChecks(ErrInvalidParams);

export function validateParams(p: InferenceParams): void {
  count("max_attempts", p.maxAttempts, 1, MAX_ATTEMPTS);
  ppm("late_penalty_ppm", p.latePenaltyPpm);
  // At least one block, so a challenge can land after the result's block and before the split.
  blocks("challenge_window_blocks", p.challengeWindowBlocks, 1n, MAX_CHALLENGE_WINDOW);
  ppm("verification_share_ppm", p.verificationSharePpm);
  ppm("protocol_share_ppm", p.protocolSharePpm);
  if (p.verificationSharePpm + p.protocolSharePpm > PPM) {
    throw ErrInvalidParams.wrap(`verification_share_ppm + protocol_share_ppm must not exceed 1000000, got ${p.verificationSharePpm + p.protocolSharePpm}`);
  }
  count("max_assignments_per_block", p.maxAssignmentsPerBlock, 1, MAX_ASSIGNMENTS_PER_BLOCK);
  ppm("no_response_penalty_ppm", p.noResponsePenaltyPpm, 0n, MAX_NO_RESPONSE_PENALTY_PPM);
  if (p.noResponsePenaltyMin < 0n || p.noResponsePenaltyMin >= MAX_AMOUNT) throw ErrInvalidParams.wrap(`no_response_penalty_min must be in 0..10^30, got ${p.noResponsePenaltyMin}`);
  if (p.noResponsePenaltyMax < p.noResponsePenaltyMin || p.noResponsePenaltyMax >= MAX_AMOUNT) {
    throw ErrInvalidParams.wrap(`no_response_penalty_max must be in no_response_penalty_min..10^30, got ${p.noResponsePenaltyMax}`);
  }
  // At least one block after the challenge window's end, so a finished job is never pruned
  // in the block that finishes it.
  blocks("job_retention_blocks", p.jobRetentionBlocks, 1n, MAX_RETENTION_BLOCKS);
  blocks("job_record_retention_blocks", p.jobRecordRetentionBlocks, 1n, MAX_RETENTION_BLOCKS);
  count("max_prunes_per_block", p.maxPrunesPerBlock, 1, MAX_PRUNES_PER_BLOCK);
  blocks("max_uri_input_bytes", p.maxUriInputBytes, 1n, MAX_URI_INPUT_BYTES);
  try {
    parseAddress(p.paramsAuthority, undefined, "params_authority");
  } catch (e) {
    throw ErrInvalidParams.wrap((e as Error).message);
  }
}


/** Checked params → the stored / wire message. */
export function paramsToWire(p: InferenceParams): Params {
  return { ...p, noResponsePenaltyMin: p.noResponsePenaltyMin.toString(), noResponsePenaltyMax: p.noResponsePenaltyMax.toString() };
}

/** Wire params (from a message or the store) → checked params. */
export function fromWire(p: Params | undefined): InferenceParams {
  if (!p) throw ErrInvalidParams.wrap("params missing");
  const out: InferenceParams = {
    maxAttempts: p.maxAttempts,
    latePenaltyPpm: p.latePenaltyPpm,
    challengeWindowBlocks: p.challengeWindowBlocks,
    verificationSharePpm: p.verificationSharePpm,
    protocolSharePpm: p.protocolSharePpm,
    paramsAuthority: p.paramsAuthority,
    maxAssignmentsPerBlock: p.maxAssignmentsPerBlock,
    noResponsePenaltyPpm: p.noResponsePenaltyPpm,
    noResponsePenaltyMin: amount(p.noResponsePenaltyMin, "no_response_penalty_min"),
    noResponsePenaltyMax: amount(p.noResponsePenaltyMax, "no_response_penalty_max"),
    jobRetentionBlocks: p.jobRetentionBlocks,
    jobRecordRetentionBlocks: p.jobRecordRetentionBlocks,
    maxPrunesPerBlock: p.maxPrunesPerBlock,
    maxUriInputBytes: p.maxUriInputBytes,
  };
  validateParams(out);
  return out;
}
