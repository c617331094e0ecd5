/**
 * Events of x/inference. Types and attribute keys are public: the sidecar subscribes to them
 * (`tm.event='NewBlock' AND job_assigned.worker='infer1…'`) and indexers query them. Handlers
 * and block hooks emit only through these constructors. Amounts are Cosmos coin strings
 * (`1000uinf`), heights and ids decimal, booleans `true`/`false`.
 */
import type { EventManager } from "../../base/events";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

export const EventTypeJobSubmitted = "job_submitted";
export const EventTypeJobAssigned = "job_assigned";
export const EventTypeJobUnassignable = "job_unassignable";
export const EventTypeResultSubmitted = "result_submitted";
export const EventTypeJobTimeout = "job_timeout";
export const EventTypeJobReassigned = "job_reassigned";
export const EventTypeJobFailed = "job_failed";
export const EventTypeJobFinalized = "job_finalized";
export const EventTypeUpdateParams = "update_params";
export const EventTypeJobError = "job_error";
export const EventTypeJobDisputed = "job_disputed";
export const EventTypeResultOpened = "result_opened";

export const AttributeKeyJobId = "job_id";
export const AttributeKeyClient = "client";
export const AttributeKeyModelId = "model_id";
export const AttributeKeyFee = "fee";
export const AttributeKeyOperator = "operator";
export const AttributeKeyWorker = "worker";
export const AttributeKeyAttempt = "attempt";
export const AttributeKeyDeadlineHeight = "deadline_height";
export const AttributeKeyHardDeadlineHeight = "hard_deadline_height";
export const AttributeKeyTried = "tried";
export const AttributeKeyLate = "late";
export const AttributeKeyResultHeight = "result_height";
export const AttributeKeyChallengeEndHeight = "challenge_end_height";
export const AttributeKeyPenalty = "penalty";
export const AttributeKeyRefund = "refund";
export const AttributeKeySlashed = "slashed";
export const AttributeKeyReason = "reason";
export const AttributeKeyRecipient = "recipient";
export const AttributeKeyWorkerAmount = "worker_amount";
export const AttributeKeyVerificationAmount = "verification_amount";
export const AttributeKeyProtocolAmount = "protocol_amount";
export const AttributeKeyCannotRun = "cannot_run";
export const AttributeKeyStep = "step";
export const AttributeKeyError = "error";
export const AttributeKeyTreasuryAmount = "treasury_amount";
export const AttributeKeyCommitment = "commitment";
export const AttributeKeyDisputeId = "dispute_id";
export const AttributeKeyAuditRatePpm = "audit_rate_ppm";
export const AttributeKeyUnsecured = "unsecured";

/** Why a job failed (`job_failed.reason`); `invalid_result`: a dispute found its result at FAULT. */
export type FailReason = "no_eligible_worker" | "max_attempts" | "error" | "invalid_result";

/** The end-block step of a job whose handling threw (`job_error.step`); `park` when even failing it threw. */
export type JobStep = "timeout" | "finalize" | "assign" | "prune" | "park";

export function emitJobSubmitted(em: EventManager, a: { jobId: bigint; client: string; modelId: string; fee: string }): void {
  em.emit(EventTypeJobSubmitted, {
    [AttributeKeyJobId]: a.jobId.toString(),
    [AttributeKeyClient]: a.client,
    [AttributeKeyModelId]: a.modelId,
    [AttributeKeyFee]: a.fee,
  });
}

/** A worker must now run the job: what the sidecar of `worker` waits for. */
export function emitJobAssigned(
  em: EventManager,
  a: { jobId: bigint; modelId: string; client: string; operator: string; worker: string; attempt: number; deadlineHeight: bigint; hardDeadlineHeight: bigint; auditRatePpm: bigint },
): void {
  em.emit(EventTypeJobAssigned, {
    [AttributeKeyJobId]: a.jobId.toString(),
    [AttributeKeyModelId]: a.modelId,
    [AttributeKeyClient]: a.client,
    [AttributeKeyOperator]: a.operator,
    [AttributeKeyWorker]: a.worker,
    [AttributeKeyAttempt]: a.attempt.toString(),
    [AttributeKeyDeadlineHeight]: a.deadlineHeight.toString(),
    [AttributeKeyHardDeadlineHeight]: a.hardDeadlineHeight.toString(),
    [AttributeKeyAuditRatePpm]: a.auditRatePpm.toString(),
  });
}

/**
 * No bonded, unjailed validator not tried before serves the model and secures the fee
 * (`unsecured`: how many untried ones were left out because their stake cannot); `job_failed`
 * follows.
 */
export function emitJobUnassignable(em: EventManager, a: { jobId: bigint; modelId: string; tried: number; unsecured: number }): void {
  em.emit(EventTypeJobUnassignable, {
    [AttributeKeyJobId]: a.jobId.toString(),
    [AttributeKeyModelId]: a.modelId,
    [AttributeKeyTried]: a.tried.toString(),
    [AttributeKeyUnsecured]: a.unsecured.toString(),
  });
}

/**
 * `penalty`: refunded to the client from the worker's stake for a late result (0uinf on time or
 * for a cannot-run result); `cannot_run` with the worker's `reason`; `commitment` in hex (the
 * result itself is sealed to the client).
 */
export function emitResultSubmitted(
  em: EventManager,
  a: { jobId: bigint; operator: string; worker: string; late: boolean; cannotRun: boolean; reason: string; resultHeight: bigint; challengeEndHeight: bigint; penalty: string; commitment: Uint8Array },
): void {
  em.emit(EventTypeResultSubmitted, {
    [AttributeKeyJobId]: a.jobId.toString(),
    [AttributeKeyCommitment]: hex(a.commitment),
    [AttributeKeyOperator]: a.operator,
    [AttributeKeyWorker]: a.worker,
    [AttributeKeyLate]: String(a.late),
    [AttributeKeyCannotRun]: String(a.cannotRun),
    [AttributeKeyReason]: a.reason,
    [AttributeKeyResultHeight]: a.resultHeight.toString(),
    [AttributeKeyChallengeEndHeight]: a.challengeEndHeight.toString(),
    [AttributeKeyPenalty]: a.penalty,
  });
}

/** No result by the hard deadline: `penalty` (sized by the fee) was cut from the worker's stake to the treasury. */
export function emitJobTimeout(em: EventManager, a: { jobId: bigint; operator: string; worker: string; attempt: number; penalty: string }): void {
  em.emit(EventTypeJobTimeout, {
    [AttributeKeyJobId]: a.jobId.toString(),
    [AttributeKeyOperator]: a.operator,
    [AttributeKeyWorker]: a.worker,
    [AttributeKeyAttempt]: a.attempt.toString(),
    [AttributeKeyPenalty]: a.penalty,
  });
}

/** Back in the assignment queue after a timeout; `job_assigned` follows when a worker is drawn. */
export function emitJobReassigned(em: EventManager, a: { jobId: bigint; operator: string; worker: string; attempt: number }): void {
  em.emit(EventTypeJobReassigned, {
    [AttributeKeyJobId]: a.jobId.toString(),
    [AttributeKeyOperator]: a.operator,
    [AttributeKeyWorker]: a.worker,
    [AttributeKeyAttempt]: a.attempt.toString(),
  });
}

/**
 * Terminal: the escrowed fee went back to the client (`refund`), less what it already got
 * (late penalties), which goes to the treasury (`treasury_amount`): refunds never exceed the fee.
 */
export function emitJobFailed(em: EventManager, a: { jobId: bigint; client: string; reason: FailReason; refund: string; treasuryAmount: string }): void {
  em.emit(EventTypeJobFailed, {
    [AttributeKeyJobId]: a.jobId.toString(),
    [AttributeKeyClient]: a.client,
    [AttributeKeyReason]: a.reason,
    [AttributeKeyRefund]: a.refund,
    [AttributeKeyTreasuryAmount]: a.treasuryAmount,
  });
}

/**
 * Handling one job in EndBlock threw (bad data in that job, not a broken invariant): its branch
 * was dropped and the job taken off the queue that named it (failed with its fee refunded, or
 * parked when even that threw: `step = park`). The chain goes on.
 */
export function emitJobError(em: EventManager, a: { jobId: bigint; step: JobStep; error: string }): void {
  em.emit(EventTypeJobError, {
    [AttributeKeyJobId]: a.jobId.toString(),
    [AttributeKeyStep]: a.step,
    [AttributeKeyError]: a.error,
  });
}

/**
 * Terminal: the fee was split; `recipient` is the worker's operator account. For a cannot-run
 * result (`cannot_run = true`) the fee went back to the client instead (`refund`; the amounts
 * of the split are 0uinf).
 */
export function emitJobFinalized(
  em: EventManager,
  a: { jobId: bigint; operator: string; worker: string; recipient: string; fee: string; workerAmount: string; verificationAmount: string; protocolAmount: string; cannotRun: boolean; refund: string },
): void {
  em.emit(EventTypeJobFinalized, {
    [AttributeKeyJobId]: a.jobId.toString(),
    [AttributeKeyOperator]: a.operator,
    [AttributeKeyWorker]: a.worker,
    [AttributeKeyCannotRun]: String(a.cannotRun),
    [AttributeKeyRefund]: a.refund,
    [AttributeKeyRecipient]: a.recipient,
    [AttributeKeyFee]: a.fee,
    [AttributeKeyWorkerAmount]: a.workerAmount,
    [AttributeKeyVerificationAmount]: a.verificationAmount,
    [AttributeKeyProtocolAmount]: a.protocolAmount,
  });
}

/** A dispute holds the job (x/challenge): it does not finalize, its fee stays in escrow until the dispute settles it. */
export function emitJobDisputed(em: EventManager, a: { jobId: bigint; disputeId: bigint; operator: string; worker: string }): void {
  em.emit(EventTypeJobDisputed, {
    [AttributeKeyJobId]: a.jobId.toString(),
    [AttributeKeyDisputeId]: a.disputeId.toString(),
    [AttributeKeyOperator]: a.operator,
    [AttributeKeyWorker]: a.worker,
  });
}

/** The worker opened its sealed result (MsgOpenResult, checked against commitment and sealed output); the job's output is public from now on. */
export function emitResultOpened(em: EventManager, a: { jobId: bigint; disputeId: bigint; worker: string; cannotRun: boolean }): void {
  em.emit(EventTypeResultOpened, {
    [AttributeKeyJobId]: a.jobId.toString(),
    [AttributeKeyDisputeId]: a.disputeId.toString(),
    [AttributeKeyWorker]: a.worker,
    [AttributeKeyCannotRun]: String(a.cannotRun),
  });
}

export function emitUpdateParams(em: EventManager, authority: string): void {
  em.emit(EventTypeUpdateParams, { module: "inference", authority });
}
