/**
 * gRPC/ABCI query handlers of x/challenge (`inferchain.challenge.v1.Query`); one handler serves
 * both. `Disputes` walks the narrowest index its filters allow (job, else validator, else
 * status, else every dispute) and checks the other filters by index membership (a `has` per
 * key), so only the disputes on the page are decoded. `Audits` walks the audit index newest
 * first (`reverse` asks for oldest first). Cosmos pagination (base/pagination.ts): `next_key`
 * is the next match's 20-digit id, `total` (with count_total) the number of matches.
 */
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
} from "../../gen/inferchain/challenge/v1/query";
import type { QueryHandler } from "../../base/module";
import { paginate, type PageRequestLike } from "../../base/pagination";
import { decodeRequest, encodeResponse, invalidArgument, notFound } from "../../base/query";
import { trailingNumber } from "../../base/store/keys";
import type { KVReader } from "../../base/store/kv";
import { Bech32Prefix, parseAddress } from "../../base/types/address";
import type { ChallengeKeeper } from "./keeper";
import { AUDITS_PREFIX, DA_DUE_PREFIX, DISPUTES_PREFIX, daPartyPrefix, disputeByPartyKey, disputeByStatusKey, jobPrefix, partyPrefix, statusPrefix } from "./keys";
import { paramsToWire } from "./params";
import { DisputeStatus, dataRequestToWire, disputeToWire, type DataRequest, type Dispute } from "./types";

const SERVICE = "/inferchain.challenge.v1.Query/";

export interface DisputeFilter {
  /** 0: any. */
  readonly jobId: bigint;
  /** DISPUTE_STATUS_UNSPECIFIED: any. */
  readonly status: DisputeStatus;
  /** "": any; else an operator (infervaloper1…) or worker key (infer1…) of the job or of a drawn verifier. */
  readonly validator: string;
}

export interface DisputePage {
  readonly disputes: Dispute[];
  readonly nextKey: Uint8Array;
  readonly total: bigint;
}

function load(k: ChallengeKeeper, s: KVReader, key: string): Dispute {
  const d = k.getDispute(s, trailingNumber(key));
  if (!d) throw new Error(`challenge: index entry ${key} names a missing dispute`);
  return d;
}

/** One page of the disputes matching `f`, in id order (descending with `reverse`). */
export function disputesPage(k: ChallengeKeeper, s: KVReader, f: DisputeFilter, req: PageRequestLike | undefined): DisputePage {
  const anyStatus = f.status === DisputeStatus.DISPUTE_STATUS_UNSPECIFIED;
  const byJob = f.jobId !== 0n;
  const byParty = !byJob && f.validator !== "";
  const prefix = byJob ? jobPrefix(f.jobId) : byParty ? partyPrefix(f.validator) : !anyStatus ? statusPrefix(f.status) : DISPUTES_PREFIX;
  // The filters the walked index does not answer, checked in the other indexes.
  const checks: Array<(id: bigint) => boolean> = [];
  if (f.validator !== "" && !byParty) checks.push((id) => s.has(disputeByPartyKey(f.validator, id)));
  if (!anyStatus && (byJob || byParty)) checks.push((id) => s.has(disputeByStatusKey(f.status, id)));
  const accept = checks.length === 0 ? undefined : (key: string): boolean => checks.every((c) => c(trailingNumber(key)));
  const page = paginate(s, prefix, req, (key) => load(k, s, key), { accept });
  return { disputes: page.items, nextKey: page.pagination.nextKey, total: page.pagination.total };
}

/** The audits decided, newest first (oldest first with `reverse`). */
export function auditsPage(k: ChallengeKeeper, s: KVReader, req: PageRequestLike | undefined): DisputePage {
  const flipped: PageRequestLike = {
    key: req?.key ?? new Uint8Array(),
    offset: req?.offset ?? 0n,
    limit: req?.limit ?? 0n,
    countTotal: req?.countTotal ?? false,
    reverse: !(req?.reverse ?? false),
  };
  const page = paginate(s, AUDITS_PREFIX, flipped, (key) => load(k, s, key));
  return { disputes: page.items, nextKey: page.pagination.nextKey, total: page.pagination.total };
}

/**
 * One page of the open data requests: every one by deadline then job id, or one validator's
 * (its operator or worker key) by job id.
 */
export function dataRequestsPage(k: ChallengeKeeper, s: KVReader, validator: string, req: PageRequestLike | undefined): { requests: DataRequest[]; nextKey: Uint8Array; total: bigint } {
  const prefix = validator === "" ? DA_DUE_PREFIX : daPartyPrefix(validator);
  const page = paginate(s, prefix, req, (key) => {
    const r = k.getDataRequest(s, trailingNumber(key));
    if (!r) throw new Error(`challenge: index entry ${key} names a missing data request`);
    return r;
  });
  return { requests: page.items, nextKey: page.pagination.nextKey, total: page.pagination.total };
}

function checkValidator(addr: string): void {
  if (addr === "") return;
  for (const prefix of [Bech32Prefix.account, Bech32Prefix.operator]) {
    try {
      parseAddress(addr, prefix, "validator");
      return;
    } catch {
      // try the other prefix
    }
  }
  throw invalidArgument(`validator ${JSON.stringify(addr)} is neither an infer1… nor an infervaloper1… address`);
}

export function challengeQueries(k: ChallengeKeeper): QueryHandler[] {
  return [
    {
      path: SERVICE + "Dispute",
      handle(ctx, data) {
        const req = decodeRequest(QueryDisputeRequest, data);
        const d = req.id === 0n ? undefined : k.getDispute(ctx.store, req.id);
        if (!d) throw notFound(`dispute ${req.id}`);
        return encodeResponse(QueryDisputeResponse, { dispute: disputeToWire(d) });
      },
    },
    {
      path: SERVICE + "Disputes",
      handle(ctx, data) {
        const req = decodeRequest(QueryDisputesRequest, data);
        if (!Number.isInteger(req.status) || req.status < DisputeStatus.DISPUTE_STATUS_UNSPECIFIED || req.status > DisputeStatus.DISPUTE_STATUS_FINAL_OK) {
          throw invalidArgument(`unknown dispute status ${req.status}`);
        }
        checkValidator(req.validator);
        const page = disputesPage(k, ctx.store, { jobId: req.jobId, status: req.status, validator: req.validator }, req.pagination);
        return encodeResponse(QueryDisputesResponse, { disputes: page.disputes.map(disputeToWire), pagination: { nextKey: page.nextKey, total: page.total } });
      },
    },
    {
      path: SERVICE + "Audits",
      handle(ctx, data) {
        const req = decodeRequest(QueryAuditsRequest, data);
        const page = auditsPage(k, ctx.store, req.pagination);
        return encodeResponse(QueryAuditsResponse, { disputes: page.disputes.map(disputeToWire), pagination: { nextKey: page.nextKey, total: page.total } });
      },
    },
    {
      path: SERVICE + "DataRequest",
      handle(ctx, data) {
        const req = decodeRequest(QueryDataRequestRequest, data);
        const r = req.jobId === 0n ? undefined : k.getDataRequest(ctx.store, req.jobId);
        if (!r) throw notFound(`no open data request for job ${req.jobId}`);
        return encodeResponse(QueryDataRequestResponse, { request: dataRequestToWire(r) });
      },
    },
    {
      path: SERVICE + "DataRequests",
      handle(ctx, data) {
        const req = decodeRequest(QueryDataRequestsRequest, data);
        checkValidator(req.validator);
        const page = dataRequestsPage(k, ctx.store, req.validator, req.pagination);
        return encodeResponse(QueryDataRequestsResponse, { requests: page.requests.map(dataRequestToWire), pagination: { nextKey: page.nextKey, total: page.total } });
      },
    },
    {
      path: SERVICE + "DaIncidents",
      handle(ctx, data) {
        const req = decodeRequest(QueryDaIncidentsRequest, data);
        try {
          parseAddress(req.validator, Bech32Prefix.operator, "validator");
        } catch {
          throw invalidArgument(`validator ${JSON.stringify(req.validator)} is not an infervaloper1… address`);
        }
        return encodeResponse(QueryDaIncidentsResponse, { count: k.getDaIncidents(ctx.store, req.validator), maxDaIncidents: k.getParams(ctx.store).maxDaIncidents });
      },
    },
    {
      path: SERVICE + "Params",
      handle(ctx, data) {
        decodeRequest(QueryParamsRequest, data);
        return encodeResponse(QueryParamsResponse, { params: paramsToWire(k.getParams(ctx.store)) });
      },
    },
  ];
}
