/**
 * Store layout of x/challenge (keys are public API: changing one is a migration). Ids and
 * heights are zero-padded to 20 digits (base/store/keys.ts) so that key order is numeric order.
 *
 *   challenge/params                              → inferchain.challenge.v1.Params
 *   challenge/next_dispute_id                     → uint64, decimal ASCII (ids start at 1)
 *   challenge/disputes/<id>                       → inferchain.challenge.v1.Dispute
 *   challenge/by_job/<job id>/<id>                → 0x01
 *   challenge/by_status/<status>/<id>             → 0x01 (status = the DisputeStatus number)
 *   challenge/by_party/<address>/<id>             → 0x01 (the job's operator and worker, and every
 *                                                   drawn verifier's operator and worker key)
 *   challenge/audits/<id>                         → 0x01 (disputes of kind AUDIT)
 *   challenge/due/<height>/<id>                   → 0x01 (open disputes by the height of their next
 *                                                   step: the draw, a phase's end, the appeal
 *                                                   window's end)
 *   challenge/data_requests/<job id>              → inferchain.challenge.v1.DataRequest (open ones)
 *   challenge/da_due/<deadline>/<job id>          → 0x01 (open data requests by deadline height)
 *   challenge/da_by_party/<address>/<job id>      → 0x01 (the request's operator and worker key)
 *   challenge/da_incidents/<operator>             → uint64, decimal ASCII (absent: 0)
 *
 * Every index and queue entry is derived from the dispute record alone (`disputeIndexKeys`), so
 * the keeper keeps them in step by diffing a dispute's keys before and after each write.
 */
import { pad20, queueKey } from "../../base/store/keys";
import { DisputeKind, DisputeStatus, currentRound, isFinal, type DataRequest, type Dispute } from "./types";

export const PARAMS_KEY = "challenge/params";
export const NEXT_DISPUTE_ID_KEY = "challenge/next_dispute_id";

export const DISPUTES_PREFIX = "challenge/disputes/";
export const disputeKey = (id: bigint): string => DISPUTES_PREFIX + pad20(id);

export const BY_JOB_PREFIX = "challenge/by_job/";
export const jobPrefix = (jobId: bigint): string => `${BY_JOB_PREFIX}${pad20(jobId)}/`;
export const disputeByJobKey = (jobId: bigint, id: bigint): string => jobPrefix(jobId) + pad20(id);

export const BY_STATUS_PREFIX = "challenge/by_status/";
export const statusPrefix = (status: DisputeStatus): string => `${BY_STATUS_PREFIX}${status}/`;
export const disputeByStatusKey = (status: DisputeStatus, id: bigint): string => statusPrefix(status) + pad20(id);

export const BY_PARTY_PREFIX = "challenge/by_party/";
export const partyPrefix = (address: string): string => `${BY_PARTY_PREFIX}${address}/`;
export const disputeByPartyKey = (address: string, id: bigint): string => partyPrefix(address) + pad20(id);

export const AUDITS_PREFIX = "challenge/audits/";
export const auditKey = (id: bigint): string => AUDITS_PREFIX + pad20(id);

export const DUE_PREFIX = "challenge/due/";
export const dueKey = (height: bigint, id: bigint): string => queueKey(DUE_PREFIX, height, id);

/**
 * The height of an open dispute's next step: the current round's draw height (DRAWING), the end
 * of its commit, reveal or open phase, or the appeal window's end. Undefined once final.
 */
export function dueHeight(d: Dispute): bigint | undefined {
  switch (d.status) {
    case DisputeStatus.DISPUTE_STATUS_DRAWING:
      return currentRound(d).drawnHeight;
    case DisputeStatus.DISPUTE_STATUS_COMMIT:
      return currentRound(d).commitEndHeight;
    case DisputeStatus.DISPUTE_STATUS_REVEAL:
      return currentRound(d).revealEndHeight;
    case DisputeStatus.DISPUTE_STATUS_OPEN:
      return currentRound(d).openEndHeight;
    case DisputeStatus.DISPUTE_STATUS_APPEALABLE:
      return d.appealEndHeight;
    default:
      if (isFinal(d.status)) return undefined;
      throw new Error(`dispute ${d.id} has status ${d.status}`);
  }
}

/** Every address a dispute is indexed under for the `validator` filter. */
export function disputeParties(d: Dispute): string[] {
  const out = new Set<string>([d.operator, d.worker]);
  for (const r of d.rounds) for (const v of r.verifiers) out.add(v.operator).add(v.worker);
  return [...out];
}

/** Every index and queue key a dispute has in this state. */
export function disputeIndexKeys(d: Dispute): string[] {
  const out = [disputeByJobKey(d.jobId, d.id), disputeByStatusKey(d.status, d.id)];
  for (const p of disputeParties(d)) out.push(disputeByPartyKey(p, d.id));
  if (d.kind === DisputeKind.DISPUTE_KIND_AUDIT) out.push(auditKey(d.id));
  const due = dueHeight(d);
  if (due !== undefined) out.push(dueKey(due, d.id));
  return out;
}

// ---------------------------------------------------------------- data availability

export const DATA_REQUESTS_PREFIX = "challenge/data_requests/";
export const dataRequestKey = (jobId: bigint): string => DATA_REQUESTS_PREFIX + pad20(jobId);

export const DA_DUE_PREFIX = "challenge/da_due/";
export const daDueKey = (deadline: bigint, jobId: bigint): string => queueKey(DA_DUE_PREFIX, deadline, jobId);

export const DA_BY_PARTY_PREFIX = "challenge/da_by_party/";
export const daPartyPrefix = (address: string): string => `${DA_BY_PARTY_PREFIX}${address}/`;
export const daByPartyKey = (address: string, jobId: bigint): string => daPartyPrefix(address) + pad20(jobId);

export const DA_INCIDENTS_PREFIX = "challenge/da_incidents/";
export const daIncidentsKey = (operator: string): string => DA_INCIDENTS_PREFIX + operator;

/** Every index and queue key an open data request has. */
export function dataRequestIndexKeys(r: DataRequest): string[] {
  return [daDueKey(r.deadlineHeight, r.jobId), daByPartyKey(r.operator, r.jobId), daByPartyKey(r.worker, r.jobId)];
}
