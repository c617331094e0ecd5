/**
 * The domain job and its wire form. `inferchain.inference.v1.Job` carries amounts as decimal
 * strings; the keeper and handlers work with this type (bigint amounts), converted once at
 * the store and query edges.
 */
import { Job as WireJob, JobStatus, jobStatusToJSON } from "../../gen/inferchain/inference/v1/inference";

export { JobStatus };

export interface Job {
  readonly id: bigint;
  /** infer1… that paid the fee and gets refunds. */
  readonly client: string;
  readonly modelId: string;
  /** Canonical QuantizedTensorList, checked against the model's inputs at submission. */
  readonly input: Uint8Array;
  readonly inputUri: string;
  readonly inputSha256: string;
  /** uinf held in the job escrow until the job finalizes or fails. */
  readonly fee: bigint;
  readonly status: JobStatus;
  readonly submittedHeight: bigint;
  /** Assignments so far (1 after the first). */
  readonly attempts: number;
  /** Current (or last) assignee: operator infervaloper1… and its worker key infer1…. */
  readonly operator: string;
  readonly worker: string;
  readonly assignedHeight: bigint;
  /** A result at a height ≤ this is on time. */
  readonly deadlineHeight: bigint;
  /** A result at a height ≤ this is accepted (late after deadlineHeight); none by then times out. */
  readonly hardDeadlineHeight: bigint;
  /** Operators assigned so far, in attempt order (never drawn again for this job). */
  readonly triedOperators: readonly string[];
  /** The opened result (MsgOpenResult), public once `opened`; empty before (results are sealed). */
  readonly output: Uint8Array;
  readonly resultHeight: bigint;
  readonly late: boolean;
  /** The job finalizes at the end of this block unless disputed first. */
  readonly challengeEndHeight: bigint;
  readonly finalizedHeight: bigint;
  /** uinf the client got back: escrow refunds plus penalties paid from workers' stake; never more than `fee`. */
  readonly refunded: bigint;
  /** The worker signed that it cannot run the input (output empty): the fee goes back at finalization. */
  readonly cannotRun: boolean;
  readonly cannotRunReason: string;
  /** Hex sha256 of the dropped output once `pruned` (`inputSha256` holds the input's). */
  readonly outputSha256: string;
  /** Height of the next prune step of a finished job (0: none yet). */
  readonly pruneHeight: bigint;
  /** Input and output bytes dropped; only the compact record and hashes remain. */
  readonly pruned: boolean;
  /** The worker's 32-byte commitment to its result (seal.ts `resultCommitment`); empty before a result. */
  readonly commitment: Uint8Array;
  /** The result sealed to `clientPubkey` (seal.ts); empty before a result and once pruned. */
  readonly sealedOutput: Uint8Array;
  /** The client's compressed secp256k1 key (33 bytes) from x/auth at submission: results are sealed to it. */
  readonly clientPubkey: Uint8Array;
  /** The dispute that holds (or held) the job; 0 if never disputed. */
  readonly disputeId: bigint;
  /** The worker opened its result: `output` holds it. */
  readonly opened: boolean;
  /**
   * Audit rate (ppm) fixed at assignment from the fee and the assignee's bonded tokens
   * (x/challenge's per-job economic security); 0 while unassigned, and for jobs assigned with no
   * challenge keeper wired (audited at the base rate).
   */
  readonly auditRatePpm: bigint;
}

/** A job as a dispute sees it (x/challenge's expectedKeepers declares the same shape). */
export interface DisputableJob {
  readonly id: bigint;
  readonly client: string;
  readonly modelId: string;
  readonly operator: string;
  readonly worker: string;
  readonly fee: bigint;
  /** Height the current worker was assigned the job at. */
  readonly assignedHeight: bigint;
  /** Height the result was included at (0 before a result). */
  readonly resultHeight: bigint;
  readonly challengeEndHeight: bigint;
  /** `statusName`: `result_posted`, `disputed`, `finalized`, … */
  readonly status: string;
  readonly cannotRun: boolean;
  readonly opened: boolean;
  /** The opened output; empty until opened. */
  readonly output: Uint8Array;
  /** Inline input, or a job by URI's provided bytes (empty until provided, and once pruned). */
  readonly input: Uint8Array;
  /** The job's audit rate (ppm) from its assignment; 0: the base rate. */
  readonly auditRatePpm: bigint;
  /** A job by URI: its http(s) URI and hex sha256 (both empty for an inline input). */
  readonly inputUri: string;
  readonly inputSha256: string;
  readonly pruned: boolean;
}

/** Statuses a job never leaves (its fee was paid out or refunded). */
export function isFinished(status: JobStatus): boolean {
  return status === JobStatus.JOB_STATUS_FINALIZED || status === JobStatus.JOB_STATUS_FAILED;
}

/** Statuses whose fee is still in escrow. */
export function isOpen(status: JobStatus): boolean {
  return (
    status === JobStatus.JOB_STATUS_PENDING ||
    status === JobStatus.JOB_STATUS_ASSIGNED ||
    status === JobStatus.JOB_STATUS_RESULT_POSTED ||
    status === JobStatus.JOB_STATUS_DISPUTED
  );
}

/** Statuses that carry a posted result (commitment and sealed output). */
export function hasResult(status: JobStatus): boolean {
  return status === JobStatus.JOB_STATUS_RESULT_POSTED || status === JobStatus.JOB_STATUS_DISPUTED || status === JobStatus.JOB_STATUS_FINALIZED;
}

/** `JOB_STATUS_ASSIGNED` → `assigned`, for messages. */
export function statusName(status: JobStatus): string {
  return jobStatusToJSON(status).replace(/^JOB_STATUS_/, "").toLowerCase();
}

/** A new job as MsgSubmitJob creates it (`clientPubkey`: the client's account key, empty in tests that never seal). */
export function newJob(p: { id: bigint; client: string; modelId: string; input: Uint8Array; fee: bigint; height: bigint; clientPubkey?: Uint8Array }): Job {
  return {
    id: p.id,
    client: p.client,
    modelId: p.modelId,
    input: p.input,
    inputUri: "",
    inputSha256: "",
    fee: p.fee,
    status: JobStatus.JOB_STATUS_PENDING,
    submittedHeight: p.height,
    attempts: 0,
    operator: "",
    worker: "",
    assignedHeight: 0n,
    deadlineHeight: 0n,
    hardDeadlineHeight: 0n,
    triedOperators: [],
    output: new Uint8Array(),
    resultHeight: 0n,
    late: false,
    challengeEndHeight: 0n,
    finalizedHeight: 0n,
    refunded: 0n,
    cannotRun: false,
    cannotRunReason: "",
    outputSha256: "",
    pruneHeight: 0n,
    pruned: false,
    commitment: new Uint8Array(),
    sealedOutput: new Uint8Array(),
    clientPubkey: p.clientPubkey ?? new Uint8Array(),
    disputeId: 0n,
    opened: false,
    auditRatePpm: 0n,
  };
}

export function jobToWire(j: Job): WireJob {
  return { ...j, triedOperators: [...j.triedOperators], fee: j.fee.toString(), refunded: j.refunded.toString() };
}

const DECIMAL = /^[0-9]{1,78}$/;

/** Stored or genesis wire job → domain job; amounts must be decimal integers. */
export function jobFromWire(w: WireJob): Job {
  if (!DECIMAL.test(w.fee)) throw new Error(`job ${w.id}: fee ${w.fee} is not a decimal integer`);
  const refunded = w.refunded === "" ? "0" : w.refunded;
  if (!DECIMAL.test(refunded)) throw new Error(`job ${w.id}: refunded ${w.refunded} is not a decimal integer`);
  return { ...w, fee: BigInt(w.fee), refunded: BigInt(refunded) };
}
