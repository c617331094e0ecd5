/**
 * Events of x/challenge. Types and attribute keys are public: sidecars subscribe to them
 * (`tm.event='NewBlock' AND verifiers_drawn.workers CONTAINS 'infer1…'`, `dispute_phase.phase =
 * 'open' AND dispute_phase.worker = 'infer1…'`) and indexers query them. Handlers and block
 * hooks emit only through these constructors. Amounts are Cosmos coin strings (`1000uinf`),
 * heights, ids and counts decimal, booleans `true`/`false`, lists comma-separated.
 * (`result_opened` is x/inference's: the worker's MsgOpenResult.)
 */
import type { EventManager } from "../../base/events";

export const EventTypeDisputeOpened = "dispute_opened";
export const EventTypeAuditSelected = "audit_selected";
export const EventTypeVerifiersDrawn = "verifiers_drawn";
export const EventTypeDisputePhase = "dispute_phase";
export const EventTypeVerificationCommitted = "verification_committed";
export const EventTypeVerificationRevealed = "verification_revealed";
export const EventTypeNoQuorum = "no_quorum";
export const EventTypeVerdict = "verdict";
export const EventTypeAppeal = "appeal";
export const EventTypeDisputeFinal = "dispute_final";
export const EventTypeDisputePayout = "dispute_payout";
export const EventTypeDisputeError = "dispute_error";
export const EventTypeUpdateParams = "update_params";
export const EventTypeDataRequested = "data_requested";
export const EventTypeDataProvided = "data_provided";
export const EventTypeDataUnavailable = "data_unavailable";
export const EventTypeDataRequestError = "data_request_error";

export const AttributeKeyDisputeId = "dispute_id";
export const AttributeKeyJobId = "job_id";
export const AttributeKeyKind = "kind";
export const AttributeKeyChallenger = "challenger";
export const AttributeKeyBond = "bond";
export const AttributeKeyOperator = "operator";
export const AttributeKeyWorker = "worker";
export const AttributeKeyModelId = "model_id";
export const AttributeKeyDrawHeight = "draw_height";
export const AttributeKeyResultHeight = "result_height";
export const AttributeKeyRound = "round";
export const AttributeKeyRequested = "requested";
export const AttributeKeyVerifiers = "verifiers";
export const AttributeKeyWorkers = "workers";
export const AttributeKeyCommitEndHeight = "commit_end_height";
export const AttributeKeyRevealEndHeight = "reveal_end_height";
export const AttributeKeyOpenEndHeight = "open_end_height";
export const AttributeKeyPhase = "phase";
export const AttributeKeyEndHeight = "end_height";
export const AttributeKeyVerifier = "verifier";
export const AttributeKeyCannotRun = "cannot_run";
export const AttributeKeyReveals = "reveals";
export const AttributeKeyQuorum = "quorum";
export const AttributeKeyDrawn = "drawn";
export const AttributeKeyRetry = "retry";
export const AttributeKeyVerdict = "verdict";
export const AttributeKeyReason = "reason";
export const AttributeKeyAgree = "agree";
export const AttributeKeyDiverge = "diverge";
export const AttributeKeyAppellant = "appellant";
export const AttributeKeyBondsReturned = "bonds_returned";
export const AttributeKeyBondsForfeited = "bonds_forfeited";
export const AttributeKeyAuditRewards = "audit_rewards";
export const AttributeKeyRecipient = "recipient";
export const AttributeKeyAmount = "amount";
export const AttributeKeyStep = "step";
export const AttributeKeyError = "error";
export const AttributeKeyRequester = "requester";
export const AttributeKeyInputUri = "input_uri";
export const AttributeKeyInputSha256 = "input_sha256";
export const AttributeKeyDeadlineHeight = "deadline_height";
export const AttributeKeyBytes = "bytes";
export const AttributeKeyIncidents = "incidents";
export const AttributeKeyJailed = "jailed";
export const AttributeKeySlashed = "slashed";

/** The phase a dispute entered (`dispute_phase.phase`). */
export type Phase = "reveal" | "open" | "appealable";

/** Why a verdict is what it is: the worker opened its result (reveals were compared), or it did not (FAULT regardless). */
export type VerdictReason = "compared" | "not_opened";

/**
 * Why a dispute became final (`dispute_final.reason`): the appeal window closed, the last
 * allowed round decided, nobody was eligible to verify, quorum failed too often, or its
 * handling threw (`dispute_error` comes first).
 */
export type FinalReason = "appeal_window_closed" | "max_rounds" | "no_verifiers" | "no_quorum" | "error";

/** What a payout is (`dispute_payout.kind`). */
export type PayoutKind = "bond_return" | "bond_share" | "audit_reward";

/** The block step of a dispute whose handling threw (`dispute_error.step`). */
export type DisputeStep = "audit" | "draw" | "commit_end" | "reveal_end" | "open_end" | "appeal_end" | "slash" | "park";

const id = (n: bigint): string => n.toString();

export function emitDisputeOpened(
  em: EventManager,
  a: { disputeId: bigint; jobId: bigint; kind: string; challenger: string; bond: string; operator: string; worker: string; modelId: string; drawHeight: bigint },
): void {
  em.emit(EventTypeDisputeOpened, {
    [AttributeKeyDisputeId]: id(a.disputeId),
    [AttributeKeyJobId]: id(a.jobId),
    [AttributeKeyKind]: a.kind,
    [AttributeKeyChallenger]: a.challenger,
    [AttributeKeyBond]: a.bond,
    [AttributeKeyOperator]: a.operator,
    [AttributeKeyWorker]: a.worker,
    [AttributeKeyModelId]: a.modelId,
    [AttributeKeyDrawHeight]: id(a.drawHeight),
  });
}

/** The result of `job_id` (included at `result_height`) was drawn for a random audit; `dispute_opened` comes first. */
export function emitAuditSelected(em: EventManager, a: { jobId: bigint; disputeId: bigint; resultHeight: bigint }): void {
  em.emit(EventTypeAuditSelected, {
    [AttributeKeyJobId]: id(a.jobId),
    [AttributeKeyDisputeId]: id(a.disputeId),
    [AttributeKeyResultHeight]: id(a.resultHeight),
  });
}

/** A round's committee (operators and their worker keys, in draw order); its commit phase runs to `commit_end_height`. */
export function emitVerifiersDrawn(
  em: EventManager,
  a: { disputeId: bigint; jobId: bigint; round: number; requested: number; operators: readonly string[]; workers: readonly string[]; commitEndHeight: bigint; revealEndHeight: bigint; openEndHeight: bigint },
): void {
  em.emit(EventTypeVerifiersDrawn, {
    [AttributeKeyDisputeId]: id(a.disputeId),
    [AttributeKeyJobId]: id(a.jobId),
    [AttributeKeyRound]: a.round.toString(),
    [AttributeKeyRequested]: a.requested.toString(),
    [AttributeKeyDrawn]: a.operators.length.toString(),
    [AttributeKeyVerifiers]: a.operators.join(","),
    [AttributeKeyWorkers]: a.workers.join(","),
    [AttributeKeyCommitEndHeight]: id(a.commitEndHeight),
    [AttributeKeyRevealEndHeight]: id(a.revealEndHeight),
    [AttributeKeyOpenEndHeight]: id(a.openEndHeight),
  });
}

/** The dispute entered `phase`, which ends at `end_height`; `worker` is the job's worker (it opens in `open`). */
export function emitDisputePhase(em: EventManager, a: { disputeId: bigint; jobId: bigint; round: number; phase: Phase; endHeight: bigint; worker: string }): void {
  em.emit(EventTypeDisputePhase, {
    [AttributeKeyDisputeId]: id(a.disputeId),
    [AttributeKeyJobId]: id(a.jobId),
    [AttributeKeyRound]: a.round.toString(),
    [AttributeKeyPhase]: a.phase,
    [AttributeKeyEndHeight]: id(a.endHeight),
    [AttributeKeyWorker]: a.worker,
  });
}

export function emitVerificationCommitted(em: EventManager, a: { disputeId: bigint; round: number; verifier: string; operator: string }): void {
  em.emit(EventTypeVerificationCommitted, {
    [AttributeKeyDisputeId]: id(a.disputeId),
    [AttributeKeyRound]: a.round.toString(),
    [AttributeKeyVerifier]: a.verifier,
    [AttributeKeyOperator]: a.operator,
  });
}

export function emitVerificationRevealed(em: EventManager, a: { disputeId: bigint; round: number; verifier: string; operator: string; cannotRun: boolean }): void {
  em.emit(EventTypeVerificationRevealed, {
    [AttributeKeyDisputeId]: id(a.disputeId),
    [AttributeKeyRound]: a.round.toString(),
    [AttributeKeyVerifier]: a.verifier,
    [AttributeKeyOperator]: a.operator,
    [AttributeKeyCannotRun]: String(a.cannotRun),
  });
}

/** Fewer than `quorum` of the `drawn` verifiers revealed; `retry`: a fresh round is drawn next block (else the dispute ends). */
export function emitNoQuorum(em: EventManager, a: { disputeId: bigint; jobId: bigint; round: number; drawn: number; reveals: number; quorum: number; retry: boolean }): void {
  em.emit(EventTypeNoQuorum, {
    [AttributeKeyDisputeId]: id(a.disputeId),
    [AttributeKeyJobId]: id(a.jobId),
    [AttributeKeyRound]: a.round.toString(),
    [AttributeKeyDrawn]: a.drawn.toString(),
    [AttributeKeyReveals]: a.reveals.toString(),
    [AttributeKeyQuorum]: a.quorum.toString(),
    [AttributeKeyRetry]: String(a.retry),
  });
}

export function emitVerdict(
  em: EventManager,
  a: { disputeId: bigint; jobId: bigint; round: number; verdict: string; reason: VerdictReason; reveals: number; agree: number; diverge: number },
): void {
  em.emit(EventTypeVerdict, {
    [AttributeKeyDisputeId]: id(a.disputeId),
    [AttributeKeyJobId]: id(a.jobId),
    [AttributeKeyRound]: a.round.toString(),
    [AttributeKeyVerdict]: a.verdict,
    [AttributeKeyReason]: a.reason,
    [AttributeKeyReveals]: a.reveals.toString(),
    [AttributeKeyAgree]: a.agree.toString(),
    [AttributeKeyDiverge]: a.diverge.toString(),
  });
}

export function emitAppeal(em: EventManager, a: { disputeId: bigint; jobId: bigint; round: number; appellant: string; bond: string }): void {
  em.emit(EventTypeAppeal, {
    [AttributeKeyDisputeId]: id(a.disputeId),
    [AttributeKeyJobId]: id(a.jobId),
    [AttributeKeyRound]: a.round.toString(),
    [AttributeKeyAppellant]: a.appellant,
    [AttributeKeyBond]: a.bond,
  });
}

/** Terminal: the job was settled (FAULT: refunded; OK: finalized), bonds paid back or shared, audit verifiers paid. */
export function emitDisputeFinal(
  em: EventManager,
  a: { disputeId: bigint; jobId: bigint; verdict: string; reason: FinalReason; bondsReturned: string; bondsForfeited: string; auditRewards: string },
): void {
  em.emit(EventTypeDisputeFinal, {
    [AttributeKeyDisputeId]: id(a.disputeId),
    [AttributeKeyJobId]: id(a.jobId),
    [AttributeKeyVerdict]: a.verdict,
    [AttributeKeyReason]: a.reason,
    [AttributeKeyBondsReturned]: a.bondsReturned,
    [AttributeKeyBondsForfeited]: a.bondsForfeited,
    [AttributeKeyAuditRewards]: a.auditRewards,
  });
}

export function emitDisputePayout(em: EventManager, a: { disputeId: bigint; recipient: string; amount: string; kind: PayoutKind }): void {
  em.emit(EventTypeDisputePayout, {
    [AttributeKeyDisputeId]: id(a.disputeId),
    [AttributeKeyRecipient]: a.recipient,
    [AttributeKeyAmount]: a.amount,
    [AttributeKeyKind]: a.kind,
  });
}

/**
 * Handling one dispute (or one slash of its settlement) in EndBlock threw (bad data in that
 * dispute, not a broken invariant): its branch was dropped; the chain goes on (see abci.ts).
 */
export function emitDisputeError(em: EventManager, a: { disputeId: bigint; step: DisputeStep; error: string }): void {
  em.emit(EventTypeDisputeError, {
    [AttributeKeyDisputeId]: id(a.disputeId),
    [AttributeKeyStep]: a.step,
    [AttributeKeyError]: a.error,
  });
}

export function emitUpdateParams(em: EventManager, authority: string): void {
  em.emit(EventTypeUpdateParams, { module: "challenge", authority });
}

// ---------------------------------------------------------------- data availability

/**
 * Someone asked for a job's input by URI to be posted on chain: the job's `worker` must answer
 * with MsgProvideData by `deadline_height` (what a sidecar subscribes to).
 */
export function emitDataRequested(
  em: EventManager,
  a: { jobId: bigint; requester: string; bond: string; operator: string; worker: string; inputUri: string; inputSha256: string; deadlineHeight: bigint },
): void {
  em.emit(EventTypeDataRequested, {
    [AttributeKeyJobId]: id(a.jobId),
    [AttributeKeyRequester]: a.requester,
    [AttributeKeyBond]: a.bond,
    [AttributeKeyOperator]: a.operator,
    [AttributeKeyWorker]: a.worker,
    [AttributeKeyInputUri]: a.inputUri,
    [AttributeKeyInputSha256]: a.inputSha256,
    [AttributeKeyDeadlineHeight]: id(a.deadlineHeight),
  });
}

/** The worker posted the input (`bytes` long, now the job's on-chain input); the bond went to it. */
export function emitDataProvided(em: EventManager, a: { jobId: bigint; worker: string; requester: string; bond: string; bytes: number }): void {
  em.emit(EventTypeDataProvided, {
    [AttributeKeyJobId]: id(a.jobId),
    [AttributeKeyWorker]: a.worker,
    [AttributeKeyRequester]: a.requester,
    [AttributeKeyBond]: a.bond,
    [AttributeKeyBytes]: a.bytes.toString(),
  });
}

/**
 * A data request expired: the bond went back to the requester; `slashed` (the validator was cut
 * `slash_fraction_unavailable_ppm`, one more incident, `jailed` at max_da_incidents) unless the
 * job was gone by then (`reason`).
 */
export function emitDataUnavailable(
  em: EventManager,
  a: { jobId: bigint; operator: string; worker: string; requester: string; slashed: boolean; incidents: bigint; jailed: boolean; reason: string },
): void {
  em.emit(EventTypeDataUnavailable, {
    [AttributeKeyJobId]: id(a.jobId),
    [AttributeKeyOperator]: a.operator,
    [AttributeKeyWorker]: a.worker,
    [AttributeKeyRequester]: a.requester,
    [AttributeKeySlashed]: String(a.slashed),
    [AttributeKeyIncidents]: id(a.incidents),
    [AttributeKeyJailed]: String(a.jailed),
    [AttributeKeyReason]: a.reason,
  });
}

/** Settling an expired data request (or its slash) threw: its branch was dropped and the request taken off the queue (its bond stays held). */
export function emitDataRequestError(em: EventManager, a: { jobId: bigint; step: "expire" | "slash"; error: string }): void {
  em.emit(EventTypeDataRequestError, {
    [AttributeKeyJobId]: id(a.jobId),
    [AttributeKeyStep]: a.step,
    [AttributeKeyError]: a.error,
  });
}
