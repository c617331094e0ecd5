/** Integer fee arithmetic: the finalization split and the SLA penalties. */
import { mulPpm } from "../../base/types/math";
import type { InferenceParams } from "./params";

export interface FeeSplit {
  /** To the verification pool: ⌊fee × verification_share_ppm / 10^6⌋. */
  readonly verification: bigint;
  /** To the treasury: ⌊fee × protocol_share_ppm / 10^6⌋. */
  readonly protocol: bigint;
  /** To the worker's operator account: the rest, so the three always add up to the fee. */
  readonly worker: bigint;
}

/** Both shares round down and the worker takes the remainder: no uinf is created or lost. */
export function splitFee(fee: bigint, p: Pick<InferenceParams, "verificationSharePpm" | "protocolSharePpm">): FeeSplit {
  const verification = mulPpm(fee, p.verificationSharePpm);
  const protocol = mulPpm(fee, p.protocolSharePpm);
  return { verification, protocol, worker: fee - verification - protocol };
}

/** What a late worker refunds the client from its stake: ⌊fee × late_penalty_ppm / 10^6⌋. */
export function latePenalty(fee: bigint, p: Pick<InferenceParams, "latePenaltyPpm">): bigint {
  return mulPpm(fee, p.latePenaltyPpm);
}

/** A result at `height` is on time iff height ≤ deadline, accepted iff height ≤ hard deadline. */
export function resultTiming(height: bigint, job: { readonly deadlineHeight: bigint; readonly hardDeadlineHeight: bigint }): "on_time" | "late" | "too_late" {
  if (height <= job.deadlineHeight) return "on_time";
  if (height <= job.hardDeadlineHeight) return "late";
  return "too_late";
}

/**
 * What a worker that posts nothing by the hard deadline pays from its stake to the treasury:
 * `no_response_penalty_ppm` of the fee, at least `no_response_penalty_min`, at most
 * `no_response_penalty_max` (SPEC slash table: sized by the job, never by the whole stake).
 */
export function noResponsePenalty(fee: bigint, p: Pick<InferenceParams, "noResponsePenaltyPpm" | "noResponsePenaltyMin" | "noResponsePenaltyMax">): bigint {
  const v = mulPpm(fee, p.noResponsePenaltyPpm);
  if (v < p.noResponsePenaltyMin) return p.noResponsePenaltyMin;
  if (v > p.noResponsePenaltyMax) return p.noResponsePenaltyMax;
  return v;
}

/** What may still be paid to the client for a job: fee − refunded (never below 0), so refunded ≤ fee. */
export function refundRoom(job: { readonly fee: bigint; readonly refunded: bigint }): bigint {
  return job.refunded >= job.fee ? 0n : job.fee - job.refunded;
}

/** `amount` capped so that the client's total refunds stay ≤ the fee. */
export function capRefund(amount: bigint, job: { readonly fee: bigint; readonly refunded: bigint }): bigint {
  const room = refundRoom(job);
  return amount < room ? amount : room;
}
