/**
 * gRPC/ABCI query handlers of x/inference (`inferchain.inference.v1.Query`); one handler serves
 * both. `Jobs` walks the narrowest index its filters allow (client, else worker, else status,
 * else every job), checks the other filters on each job, and pages with Cosmos pagination:
 * `next_key` is the next matching job's 20-digit id, `total` (with count_total) the number of
 * matches.
 */
import {
  QueryJobRequest,
  QueryJobResponse,
  QueryJobsRequest,
  QueryJobsResponse,
  QueryParamsRequest,
  QueryParamsResponse,
} from "../../gen/inferchain/inference/v1/query";
import type { PageRequest } from "../../gen/cosmos/base/query/v1beta1/pagination";
import type { QueryHandler } from "../../app/module";
import { decodeRequest, encodeResponse, invalidArgument, notFound } from "../../app/query";
import type { KVReader } from "../../app/store/kv";
import { Bech32Prefix, parseAddress } from "../../app/types/address";
import type { InferenceKeeper } from "./keeper";
import { JOBS_PREFIX, clientPrefix, statusPrefix, trailingId, workerPrefix } from "./keys";
import { JobStatus, jobToWire, type Job } from "./types";

const SERVICE = "/inferchain.inference.v1.Query/";
export const DEFAULT_PAGE_LIMIT = 100n;
export const MAX_PAGE_LIMIT = 1000n;

export interface JobFilter {
  /** JOB_STATUS_UNSPECIFIED: any. */
  readonly status: JobStatus;
  /** "": any. */
  readonly client: string;
  /** "": any. */
  readonly worker: string;
}

export interface JobPage {
  readonly jobs: Job[];
  readonly nextKey: Uint8Array;
  readonly total: bigint;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function checkAddress(addr: string, what: string): void {
  if (addr === "") return;
  try {
    parseAddress(addr, Bech32Prefix.account, what);
  } catch (e) {
    throw invalidArgument((e as Error).message);
  }
}

function matches(j: Job, f: JobFilter): boolean {
  return (
    (f.status === JobStatus.JOB_STATUS_UNSPECIFIED || j.status === f.status) &&
    (f.client === "" || j.client === f.client) &&
    (f.worker === "" || j.worker === f.worker)
  );
}

/** One page of the jobs matching `f`, in id order (descending with `reverse`). */
export function jobsPage(k: InferenceKeeper, s: KVReader, f: JobFilter, req: PageRequest | undefined): JobPage {
  const prefix =
    f.client !== "" ? clientPrefix(f.client) : f.worker !== "" ? workerPrefix(f.worker) : f.status !== JobStatus.JOB_STATUS_UNSPECIFIED ? statusPrefix(f.status) : JOBS_PREFIX;
  const key = req?.key ?? new Uint8Array();
  const offset = req?.offset ?? 0n;
  if (key.length > 0 && offset > 0n) throw invalidArgument("pagination: use either key or offset, not both");
  const limit = req && req.limit > 0n ? (req.limit < MAX_PAGE_LIMIT ? req.limit : MAX_PAGE_LIMIT) : DEFAULT_PAGE_LIMIT;
  const reverse = req?.reverse ?? false;
  const countTotal = req?.countTotal ?? false;
  const from = dec.decode(key);

  const jobs: Job[] = [];
  let nextKey = new Uint8Array();
  let skipped = 0n;
  let total = 0n;
  for (const [k2] of s.iterate(prefix, reverse)) {
    const suffix = k2.slice(prefix.length);
    const beforeFrom = from !== "" && (reverse ? suffix > from : suffix < from);
    if (beforeFrom && !countTotal) continue;
    const job = k.getJob(s, trailingId(k2));
    if (!job) throw new Error(`inference: index entry ${k2} names a missing job`);
    if (!matches(job, f)) continue;
    total++;
    if (beforeFrom) continue;
    if (skipped < offset) {
      skipped++;
      continue;
    }
    if (BigInt(jobs.length) < limit) {
      jobs.push(job);
      continue;
    }
    if (nextKey.length === 0) nextKey = enc.encode(suffix);
    if (!countTotal) break;
  }
  return { jobs, nextKey, total: countTotal ? total : 0n };
}

export function inferenceQueries(k: InferenceKeeper): QueryHandler[] {
  return [
    {
      path: SERVICE + "Job",
      handle(ctx, data) {
        const req = decodeRequest(QueryJobRequest, data);
        const job = req.id === 0n ? undefined : k.getJob(ctx.store, req.id);
        if (!job) throw notFound(`job ${req.id}`);
        return encodeResponse(QueryJobResponse, { job: jobToWire(job) });
      },
    },
    {
      path: SERVICE + "Jobs",
      handle(ctx, data) {
        const req = decodeRequest(QueryJobsRequest, data);
        if (!Number.isInteger(req.status) || req.status < JobStatus.JOB_STATUS_UNSPECIFIED || req.status > JobStatus.JOB_STATUS_FAILED) {
          throw invalidArgument(`unknown job status ${req.status}`);
        }
        checkAddress(req.client, "client");
        checkAddress(req.worker, "worker");
        const page = jobsPage(k, ctx.store, { status: req.status, client: req.client, worker: req.worker }, req.pagination);
        return encodeResponse(QueryJobsResponse, { jobs: page.jobs.map(jobToWire), pagination: { nextKey: page.nextKey, total: page.total } });
      },
    },
    {
      path: SERVICE + "Params",
      handle(ctx, data) {
        decodeRequest(QueryParamsRequest, data);
        return encodeResponse(QueryParamsResponse, { params: { ...k.getParams(ctx.store) } });
      },
    },
  ];
}
