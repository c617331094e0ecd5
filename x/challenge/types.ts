/**
 * The domain dispute and its wire form. `inferchain.challenge.v1.Dispute` carries bonds as
 * decimal strings; the keeper and handlers work with these types (bigint bonds), converted once
 * at the store and query edges. Plain types and pure functions: other layers may import them.
 */
import {
  DataRequest as WireDataRequest,
  Dispute as WireDispute,
  DisputeKind,
  DisputeStatus,
  Round as WireRound,
  Verdict,
  disputeKindToJSON,
  disputeStatusToJSON,
  verdictToJSON,
  type Verifier,
} from "../../gen/inferchain/challenge/v1/challenge";

export { DisputeKind, DisputeStatus, Verdict, type Verifier };

/** One verification round; `bond` is what its requester posted (0: an audit's first round, a repeat for lack of quorum). */
export interface Round extends Readonly<Omit<WireRound, "bond" | "verifiers">> {
  readonly bond: bigint;
  readonly verifiers: readonly Readonly<Verifier>[];
}

export interface Dispute extends Readonly<Omit<WireDispute, "rounds">> {
  readonly rounds: readonly Round[];
}

/** Statuses a dispute never leaves. */
export function isFinal(status: DisputeStatus): boolean {
  return status === DisputeStatus.DISPUTE_STATUS_FINAL_FAULT || status === DisputeStatus.DISPUTE_STATUS_FINAL_OK;
}

/** `DISPUTE_STATUS_COMMIT` → `commit`, for events and messages. */
export function statusName(status: DisputeStatus): string {
  return disputeStatusToJSON(status).replace(/^DISPUTE_STATUS_/, "").toLowerCase();
}

/** `DISPUTE_KIND_AUDIT` → `audit`. */
export function kindName(kind: DisputeKind): string {
  return disputeKindToJSON(kind).replace(/^DISPUTE_KIND_/, "").toLowerCase();
}

/** `VERDICT_FAULT` → `fault`; `none` for no verdict. */
export function verdictName(v: Verdict): string {
  return v === Verdict.VERDICT_UNSPECIFIED ? "none" : verdictToJSON(v).replace(/^VERDICT_/, "").toLowerCase();
}

/** The round in progress (or the last one). */
export function currentRound(d: Dispute): Round {
  const r = d.rounds[d.rounds.length - 1];
  if (!r) throw new Error(`dispute ${d.id} has no round`);
  return r;
}

/** `d` with its last round replaced by `f(last)`. */
export function withCurrentRound(d: Dispute, f: (r: Round) => Round): Dispute {
  return { ...d, rounds: [...d.rounds.slice(0, -1), f(currentRound(d))] };
}

export function newVerifier(operator: string, worker: string): Verifier {
  return { operator, worker, commitment: new Uint8Array(), output: new Uint8Array(), revealed: false, cannotRun: false, agrees: false };
}

/** A round waiting for its committee, drawn at the end of block `drawHeight`. */
export function newRound(number: number, requester: string, bond: bigint, drawHeight: bigint): Round {
  return {
    number,
    requester,
    bond,
    drawnHeight: drawHeight,
    commitEndHeight: 0n,
    revealEndHeight: 0n,
    openEndHeight: 0n,
    verifiers: [],
    verdict: Verdict.VERDICT_UNSPECIFIED,
    noQuorum: false,
  };
}

export function disputeToWire(d: Dispute): WireDispute {
  return {
    ...d,
    rounds: d.rounds.map((r) => ({ ...r, bond: r.bond.toString(), verifiers: r.verifiers.map((v) => ({ ...v })) })),
  };
}

const DECIMAL = /^[0-9]{1,78}$/;

/** Stored or genesis wire dispute → domain dispute; bonds must be decimal integers. */
export function disputeFromWire(w: WireDispute): Dispute {
  return {
    ...w,
    rounds: w.rounds.map((r) => {
      const bond = r.bond === "" ? "0" : r.bond;
      if (!DECIMAL.test(bond)) throw new Error(`dispute ${w.id} round ${r.number}: bond ${r.bond} is not a decimal integer`);
      return { ...r, bond: BigInt(bond) };
    }),
  };
}

/** An open data request (MsgRequestData); `bond` is held by the challenge module account. */
export interface DataRequest extends Readonly<Omit<WireDataRequest, "bond">> {
  readonly bond: bigint;
}

export function dataRequestToWire(r: DataRequest): WireDataRequest {
  return { ...r, bond: r.bond.toString() };
}

/** Stored wire data request → domain; the bond must be a decimal integer. */
export function dataRequestFromWire(w: WireDataRequest): DataRequest {
  if (!DECIMAL.test(w.bond)) throw new Error(`data request of job ${w.jobId}: bond ${w.bond} is not a decimal integer`);
  return { ...w, bond: BigInt(w.bond) };
}
