/**
 * gRPC/ABCI query handlers of x/inference (`inferchain.inference.v1.Query`); one handler serves
 * both. `Jobs` walks the narrowest index its filters allow (client, else worker, else status,
 * else every job) and checks the other filters by index membership (a `has` per key), so only
 * the jobs on the page are decoded. Cosmos pagination (base/pagination.ts): `next_key` is the
 * next matching job's 20-digit id, `total` (with count_total) the number of matches.
 */
import {
  QueryJobRequest,
  QueryJobResponse,
  QueryJobsRequest,
  QueryJobsResponse,
  QueryParamsRequest,
  QueryParamsResponse,
} from "../../gen/inferchain/inference/v1/query";
import type { QueryHandler } from "../../base/module";
import { paginate, type PageRequestLike } from "../../base/pagination";
import { addressArgument, decodeRequest, encodeResponse, invalidArgument, notFound } from "../../base/query";
import type { KVReader } from "../../base/store/kv";
import { trailingNumber } from "../../base/store/keys";
import { Bech32Prefix } from "../../base/types/address";
import type { InferenceKeeper } from "./keeper";
import { paramsToWire } from "./params";
import { JOBS_PREFIX, clientPrefix, jobByClientKey, jobByStatusKey, jobByWorkerKey, statusPrefix, workerPrefix } from "./keys";
import { JobStatus, jobToWire, type Job } from "./types";

const SERVICE = "/inferchain.inference.v1.Query/";

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

/** One page of the jobs matching `f`, in id order (descending with `reverse`). */
export function jobsPage(k: InferenceKeeper, s: KVReader, f: JobFilter, req: PageRequestLike | undefined): JobPage {
  const anyStatus = f.status === JobStatus.JOB_STATUS_UNSPECIFIED;
  const [prefix, byClient, byWorker] =
    f.client !== "" ? [clientPrefix(f.client), true, false] : f.worker !== "" ? [workerPrefix(f.worker), false, true] : !anyStatus ? [statusPrefix(f.status), false, false] : [JOBS_PREFIX, false, false];
  // The filters the walked index does not answer, checked in the other indexes.
  const checks: Array<(id: bigint) => boolean> = [];
  if (f.worker !== "" && !byWorker) checks.push((id) => s.has(jobByWorkerKey(f.worker, id)));
  if (!anyStatus && (byClient || byWorker)) checks.push((id) => s.has(jobByStatusKey(f.status, id)));
  if (f.client !== "" && !byClient) checks.push((id) => s.has(jobByClientKey(f.client, id)));
  const accept = checks.length === 0 ? undefined : (key: string): boolean => checks.every((c) => c(trailingNumber(key)));
  const page = paginate(
    s,
    prefix,
    req,
    (key) => {
      const job = k.getJob(s, trailingNumber(key));
      if (!job) throw new Error(`inference: index entry ${key} names a missing job`);
      return job;
    },
    { accept },
  );
  return { jobs: page.items, nextKey: page.pagination.nextKey, total: page.pagination.total };
}

export function inferenceQueries(k: InferenceKeeper): QueryHandler[] {
  return [
    {
      path: SERVICE + "Job",
      handle(ctx, data) {
        const req = decodeRequest(QueryJobRequest, data);
        const job = req.id === 0n ? undefined : k.getJob(ctx.store, req.id);
        if (!job) throw notFound(req.id > 0n && req.id < k.getNextJobId(ctx.store) ? `job ${req.id} (finished and pruned after its retention window)` : `job ${req.id}`);
        return encodeResponse(QueryJobResponse, { job: jobToWire(job) });
      },
    },
    {
      path: SERVICE + "Jobs",
      handle(ctx, data) {
        const req = decodeRequest(QueryJobsRequest, data);
        if (!Number.isInteger(req.status) || req.status < JobStatus.JOB_STATUS_UNSPECIFIED || req.status > JobStatus.JOB_STATUS_DISPUTED) {
          throw invalidArgument(`unknown job status ${req.status}`);
        }
        if (req.client !== "") addressArgument(req.client, Bech32Prefix.account, "client");
        if (req.worker !== "") addressArgument(req.worker, Bech32Prefix.account, "worker");
        const page = jobsPage(k, ctx.store, { status: req.status, client: req.client, worker: req.worker }, req.pagination);
        return encodeResponse(QueryJobsResponse, { jobs: page.jobs.map(jobToWire), pagination: { nextKey: page.nextKey, total: page.total } });
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
