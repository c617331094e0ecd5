/**
 * Client side of x/challenge: its queries as a CosmJS QueryClient extension (composable with
 * client/queries.ts's: `QueryClient.withExtensions(comet, setupInferchainExtension,
 * setupChallengeExtension)`, or `setupChallengeExtension(query)` on a client that exists), its
 * messages as encode objects for any signer built on client/registry.ts, and the verification
 * commitment a verifier posts (x/challenge's own function, so the chain and every client hash
 * the same bytes). Disputes become x/challenge's domain type (bonds as bigint) and params its
 * checked params; a NotFound answer becomes `undefined`, any other failure throws.
 */
import { randomBytes } from "node:crypto";
import { QueryClient, createProtobufRpcClient } from "@cosmjs/stargate";
import type { MsgAppeal, MsgChallenge, MsgCommitVerification, MsgProvideData, MsgRequestData, MsgRevealVerification } from "../gen/inferchain/challenge/v1/tx";
import {
  QueryDaIncidentsRequest,
  QueryDaIncidentsResponse,
  QueryDataRequestRequest,
  QueryDataRequestResponse,
  QueryDataRequestsRequest,
  QueryDataRequestsResponse,
  QueryAuditsRequest,
  QueryAuditsResponse,
  QueryDisputeRequest,
  QueryDisputeResponse,
  QueryDisputesRequest,
  QueryDisputesResponse,
  QueryParamsRequest,
  QueryParamsResponse,
} from "../gen/inferchain/challenge/v1/query";
import { SALT_BYTES, verificationCommitment } from "../x/challenge/commitment";
import { fromWire as paramsFromWire, type ChallengeParams } from "../x/challenge/params";
import { DisputeStatus, dataRequestFromWire, disputeFromWire, type DataRequest, type Dispute, type Round, type Verifier } from "../x/challenge/types";
import { MSG_APPEAL, MSG_CHALLENGE, MSG_COMMIT_VERIFICATION, MSG_PROVIDE_DATA, MSG_REQUEST_DATA, MSG_REVEAL_VERIFICATION } from "./registry";
import { isNotFound } from "./queries";

export type { ChallengeParams, DataRequest, Dispute, Round, Verifier };
export { DisputeStatus, SALT_BYTES, verificationCommitment };

// ---------------------------------------------------------------------------- statuses

const STATUS_NAMES = ["drawing", "commit", "reveal", "open", "appealable", "final_fault", "final_ok"] as const;

/** "commit", "COMMIT", "DISPUTE_STATUS_COMMIT" or "2" → the enum; throws on anything else. */
export function parseDisputeStatus(s: string): DisputeStatus {
  const up = s.trim().toUpperCase();
  const key = up.startsWith("DISPUTE_STATUS_") ? up : `DISPUTE_STATUS_${up}`;
  const byName = (DisputeStatus as unknown as Record<string, number>)[key];
  if (typeof byName === "number" && byName > 0) return byName;
  if (/^[1-7]$/.test(up)) return Number(up);
  throw new Error(`unknown dispute status ${JSON.stringify(s)}; want one of ${STATUS_NAMES.join(", ")}`);
}

/** The round in progress (or the last one); undefined for a dispute with none. */
export function latestRound(d: Dispute): Round | undefined {
  return d.rounds[d.rounds.length - 1];
}

/** `worker`'s seat (by worker key) in the dispute's latest round, if it was drawn there. */
export function seatOf(d: Dispute, worker: string): Verifier | undefined {
  return latestRound(d)?.verifiers.find((v) => v.worker === worker);
}

// ---------------------------------------------------------------------------- queries

export interface DisputesFilter {
  /** Disputes of this job. */
  readonly jobId?: bigint;
  readonly status?: DisputeStatus;
  /** An operator (infervaloper1…) or worker key (infer1…) of the job or of a drawn verifier. */
  readonly validator?: string;
  /** Stop after this many disputes (all pages otherwise). */
  readonly limit?: number;
}

export interface ChallengeExtension {
  readonly challenge: {
    dispute(id: bigint): Promise<Dispute | undefined>;
    /** Disputes matching the filter in id order, following pages up to `limit`. */
    disputes(filter?: DisputesFilter): Promise<Dispute[]>;
    /** Audits decided, newest first, up to `limit` (all otherwise). */
    audits(limit?: number): Promise<Dispute[]>;
    params(): Promise<ChallengeParams | undefined>;
    /** The job's open data request (MsgRequestData), if any. */
    dataRequest(jobId: bigint): Promise<DataRequest | undefined>;
    /** Open data requests (of one validator's jobs, by operator or worker key, when given). */
    dataRequests(validator?: string): Promise<DataRequest[]>;
    /** A validator's expired data requests since it was last jailed for them, and the jailing count. */
    daIncidents(operator: string): Promise<{ count: bigint; max: number }>;
  };
}

const PAGE = 100;
const SERVICE = "inferchain.challenge.v1.Query";

export function setupChallengeExtension(base: QueryClient): ChallengeExtension {
  const rpc = createProtobufRpcClient(base);
  const call = async <Req, Res>(method: string, req: { encode(m: Req): { finish(): Uint8Array } }, res: { decode(b: Uint8Array): Res }, msg: Req): Promise<Res> =>
    res.decode(await rpc.request(SERVICE, method, req.encode(msg).finish()));

  /** Every page of a paginated query up to `limit`; a short (even empty) page with a next_key is not the end. */
  const pages = async (limit: number | undefined, page: (key: Uint8Array, want: bigint) => Promise<{ disputes: Dispute[]; nextKey: Uint8Array }>): Promise<Dispute[]> => {
    const out: Dispute[] = [];
    let key: Uint8Array = new Uint8Array();
    for (;;) {
      const r = await page(key, BigInt(limit === undefined ? PAGE : Math.min(PAGE, limit - out.length)));
      out.push(...r.disputes);
      if (r.nextKey.length === 0 || (limit !== undefined && out.length >= limit)) return limit === undefined ? out : out.slice(0, limit);
      key = r.nextKey;
    }
  };
  const pageRequest = (key: Uint8Array, limit: bigint) => ({ key, offset: 0n, limit, countTotal: false, reverse: false });

  return {
    challenge: {
      async dispute(id) {
        try {
          const r = await call("Dispute", QueryDisputeRequest, QueryDisputeResponse, { id });
          return r.dispute ? disputeFromWire(r.dispute) : undefined;
        } catch (e) {
          if (isNotFound(e)) return undefined;
          throw e;
        }
      },
      disputes(f = {}) {
        return pages(f.limit, async (key, want) => {
          const r = await call("Disputes", QueryDisputesRequest, QueryDisputesResponse, {
            jobId: f.jobId ?? 0n,
            status: f.status ?? DisputeStatus.DISPUTE_STATUS_UNSPECIFIED,
            validator: f.validator ?? "",
            pagination: pageRequest(key, want),
          });
          return { disputes: r.disputes.map(disputeFromWire), nextKey: r.pagination?.nextKey ?? new Uint8Array() };
        });
      },
      audits(limit) {
        return pages(limit, async (key, want) => {
          const r = await call("Audits", QueryAuditsRequest, QueryAuditsResponse, { pagination: pageRequest(key, want) });
          return { disputes: r.disputes.map(disputeFromWire), nextKey: r.pagination?.nextKey ?? new Uint8Array() };
        });
      },
      async params() {
        const p = (await call("Params", QueryParamsRequest, QueryParamsResponse, {})).params;
        return p ? paramsFromWire(p) : undefined;
      },
      async dataRequest(jobId) {
        try {
          const r = await call("DataRequest", QueryDataRequestRequest, QueryDataRequestResponse, { jobId });
          return r.request ? dataRequestFromWire(r.request) : undefined;
        } catch (e) {
          if (isNotFound(e)) return undefined;
          throw e;
        }
      },
      async dataRequests(validator = "") {
        const out: DataRequest[] = [];
        let key: Uint8Array = new Uint8Array();
        for (;;) {
          const r = await call("DataRequests", QueryDataRequestsRequest, QueryDataRequestsResponse, { validator, pagination: pageRequest(key, BigInt(PAGE)) });
          out.push(...r.requests.map(dataRequestFromWire));
          key = r.pagination?.nextKey ?? new Uint8Array();
          if (key.length === 0) return out;
        }
      },
      async daIncidents(operator) {
        const r = await call("DaIncidents", QueryDaIncidentsRequest, QueryDaIncidentsResponse, { validator: operator });
        return { count: r.count, max: r.maxDaIncidents };
      },
    },
  };
}

// ---------------------------------------------------------------------------- messages

export interface MsgChallengeEncodeObject {
  readonly typeUrl: typeof MSG_CHALLENGE;
  readonly value: MsgChallenge;
}

export interface MsgAppealEncodeObject {
  readonly typeUrl: typeof MSG_APPEAL;
  readonly value: MsgAppeal;
}

export interface MsgCommitVerificationEncodeObject {
  readonly typeUrl: typeof MSG_COMMIT_VERIFICATION;
  readonly value: MsgCommitVerification;
}

export interface MsgRevealVerificationEncodeObject {
  readonly typeUrl: typeof MSG_REVEAL_VERIFICATION;
  readonly value: MsgRevealVerification;
}

/** Disputes a posted result; `bond` in uinf. */
export function msgChallenge(v: { challenger: string; jobId: bigint; bond: bigint }): MsgChallengeEncodeObject {
  return { typeUrl: MSG_CHALLENGE, value: { challenger: v.challenger, jobId: v.jobId, bond: v.bond.toString() } };
}

/** Appeals the standing verdict of a dispute; `bond` in uinf. */
export function msgAppeal(v: { appellant: string; disputeId: bigint; bond: bigint }): MsgAppealEncodeObject {
  return { typeUrl: MSG_APPEAL, value: { appellant: v.appellant, disputeId: v.disputeId, bond: v.bond.toString() } };
}

export interface MsgRequestDataEncodeObject {
  readonly typeUrl: typeof MSG_REQUEST_DATA;
  readonly value: MsgRequestData;
}

export interface MsgProvideDataEncodeObject {
  readonly typeUrl: typeof MSG_PROVIDE_DATA;
  readonly value: MsgProvideData;
}

/** Asks the worker of a job by URI to post its input on chain; `bond` in uinf (≥ data_request_bond). */
export function msgRequestData(v: { requester: string; jobId: bigint; bond: bigint }): MsgRequestDataEncodeObject {
  return { typeUrl: MSG_REQUEST_DATA, value: { requester: v.requester, jobId: v.jobId, bond: v.bond.toString() } };
}

/** A worker's answer to a data request: the job's input bytes. */
export function msgProvideData(v: MsgProvideData): MsgProvideDataEncodeObject {
  return { typeUrl: MSG_PROVIDE_DATA, value: v };
}

export function msgCommitVerification(v: MsgCommitVerification): MsgCommitVerificationEncodeObject {
  return { typeUrl: MSG_COMMIT_VERIFICATION, value: v };
}

export function msgRevealVerification(v: MsgRevealVerification): MsgRevealVerificationEncodeObject {
  return { typeUrl: MSG_REVEAL_VERIFICATION, value: v };
}

// ---------------------------------------------------------------------------- commitments

/** A fresh random salt for a verification commitment. */
export function newVerificationSalt(): Uint8Array {
  return new Uint8Array(randomBytes(SALT_BYTES));
}
