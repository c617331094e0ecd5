/** Integer fee arithmetic: the finalization split and the SLA penalties. */
import { PPM, type InferenceParams } from "./params";

export interface FeeSplit {
  /** To the verification pool: ⌊fee × verification_share_ppm / 10^6⌋. */
  readonly verification: bigint;
  /** To the treasury: ⌊fee × protocol_share_ppm / 10^6⌋. */
  readonly protocol: bigint;
  /** To the worker's operator account: the rest, so the three always add up to the fee. */
  readonly worker: bigint;
}

export function mulPpm(amount: bigint, ppm: bigint): bigint {
  return (amount * ppm) / PPM;
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
