/**
 * Client side of inferchain's own queries, as a CosmJS QueryClient extension (the CLI and the
 * sidecar compose it onto one QueryClient): the model registry, workers, and jobs. Wire
 * messages become checked domain types here (models through x/models' `modelFromWire`); a
 * NotFound answer becomes `undefined`, any other failure throws.
 */
import { QueryClient, createProtobufRpcClient } from "@cosmjs/stargate";
import { connectComet, type CometClient } from "@cosmjs/tendermint-rpc";
import { JobStatus, type Job, type Params as InferenceParams } from "../gen/inferchain/inference/v1/inference";
import {
  QueryJobRequest,
  QueryJobResponse,
  QueryJobsRequest,
  QueryJobsResponse,
  QueryParamsRequest as InferenceParamsRequest,
  QueryParamsResponse as InferenceParamsResponse,
} from "../gen/inferchain/inference/v1/query";
import { QueryModelRequest, QueryModelResponse, QueryModelsRequest, QueryModelsResponse } from "../gen/inferchain/models/v1/query";
import { QueryWorkerRequest, QueryWorkerResponse, QueryWorkersForModelRequest, QueryWorkersForModelResponse, type ModelWorker } from "../gen/inferchain/staking/v1/query";
import type { Worker } from "../gen/inferchain/staking/v1/staking";
import { modelFromWire } from "../x/models/types";
import type { Model } from "../x/models";

export type { Job, ModelWorker, Worker };
export { JobStatus };

/** `JOB_STATUS_ASSIGNED` → "ASSIGNED". */
export function jobStatusName(s: JobStatus): string {
  const name = JobStatus[s] as string | undefined;
  return name === undefined ? `UNKNOWN(${s})` : name.replace(/^JOB_STATUS_/, "");
}

/** "assigned", "ASSIGNED", "JOB_STATUS_ASSIGNED" or "2" → the enum; throws on anything else. */
export function parseJobStatus(s: string): JobStatus {
  const up = s.trim().toUpperCase();
  const key = up.startsWith("JOB_STATUS_") ? up : `JOB_STATUS_${up}`;
  const byName = (JobStatus as unknown as Record<string, number>)[key];
  if (typeof byName === "number" && byName > 0) return byName;
  if (/^[1-6]$/.test(up)) return Number(up);
  throw new Error(`unknown job status ${JSON.stringify(s)}; want one of pending, assigned, result_posted, finalized, failed, disputed`);
}

export interface JobsFilter {
  readonly status?: JobStatus;
  readonly client?: string;
  readonly worker?: string;
  /** Stop after this many jobs (all pages otherwise). */
  readonly limit?: number;
}

export interface InferchainExtension {
  readonly inferchain: {
    readonly models: {
      model(id: string): Promise<Model | undefined>;
      /** Every registered model, following pages. */
      all(): Promise<Model[]>;
    };
    readonly staking: {
      workerByAddress(worker: string): Promise<Worker | undefined>;
      workerOfOperator(operator: string): Promise<Worker | undefined>;
      /** The bonded, unjailed validators whose worker serves `modelId`, with their tokens (uinf), following pages. */
      workersForModel(modelId: string): Promise<ModelWorker[]>;
    };
    readonly inference: {
      job(id: bigint): Promise<Job | undefined>;
      /** Jobs matching the filter in id order, following pages up to `limit`. */
      jobs(filter?: JobsFilter): Promise<Job[]>;
      params(): Promise<InferenceParams | undefined>;
    };
  };
}

const PAGE = 100n;

/** True for the error CosmJS raises when a query answers NotFound. */
export function isNotFound(e: unknown): boolean {
  const m = e instanceof Error ? e.message : String(e);
  return /code = NotFound|key not found/.test(m);
}

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

export function setupInferchainExtension(base: QueryClient): InferchainExtension {
  const rpc = createProtobufRpcClient(base);
  const call = async <Req, Res>(service: string, method: string, req: { encode(m: Req): { finish(): Uint8Array } }, res: { decode(b: Uint8Array): Res }, msg: Req): Promise<Res> =>
    res.decode(await rpc.request(service, method, req.encode(msg).finish()));
  const MODELS = "inferchain.models.v1.Query";
  const STAKING = "inferchain.staking.v1.Query";
  const INFERENCE = "inferchain.inference.v1.Query";

  const worker = async (req: QueryWorkerRequest): Promise<Worker | undefined> =>
    (await orUndefined(call(STAKING, "Worker", QueryWorkerRequest, QueryWorkerResponse, req)))?.worker;

  return {
    inferchain: {
      models: {
        async model(id) {
          const r = await orUndefined(call(MODELS, "Model", QueryModelRequest, QueryModelResponse, { id }));
          return r?.model ? modelFromWire(r.model) : undefined;
        },
        async all() {
          const out: Model[] = [];
          let startId = "";
          for (;;) {
            const r = await call(MODELS, "Models", QueryModelsRequest, QueryModelsResponse, { startId, limit: 0 });
            out.push(...r.models.map(modelFromWire));
            if (r.nextId === "") return out;
            startId = r.nextId;
          }
        },
      },
      staking: {
        workerByAddress: (w) => worker({ operatorAddress: "", workerAddress: w }),
        workerOfOperator: (op) => worker({ operatorAddress: op, workerAddress: "" }),
        async workersForModel(modelId) {
          const out: ModelWorker[] = [];
          let key: Uint8Array = new Uint8Array();
          for (;;) {
            const r = await call(STAKING, "WorkersForModel", QueryWorkersForModelRequest, QueryWorkersForModelResponse, {
              modelId,
              pagination: { key, offset: 0n, limit: 1000n, countTotal: false, reverse: false },
            });
            out.push(...r.workers);
            const next = r.pagination?.nextKey ?? new Uint8Array();
            if (next.length === 0) return out;
            key = next;
          }
        },
      },
      inference: {
        async job(id) {
          return (await orUndefined(call(INFERENCE, "Job", QueryJobRequest, QueryJobResponse, { id })))?.job;
        },
        async jobs(f = {}) {
          const out: Job[] = [];
          let key: Uint8Array = new Uint8Array();
          for (;;) {
            const want = f.limit === undefined ? PAGE : BigInt(Math.min(Number(PAGE), f.limit - out.length));
            const r = await call(INFERENCE, "Jobs", QueryJobsRequest, QueryJobsResponse, {
              status: f.status ?? JobStatus.JOB_STATUS_UNSPECIFIED,
              client: f.client ?? "",
              worker: f.worker ?? "",
              pagination: { key, offset: 0n, limit: want, countTotal: false, reverse: false },
            });
            out.push(...r.jobs);
            const next = r.pagination?.nextKey ?? new Uint8Array();
            // A page may be short, even empty, with a next_key: a sparse filter ends a page after
            // a bounded walk (base/pagination.ts). Only an empty next_key ends the list.
            if (next.length === 0 || (f.limit !== undefined && out.length >= f.limit)) return out;
            key = next;
          }
        },
        async params() {
          return (await call(INFERENCE, "Params", InferenceParamsRequest, InferenceParamsResponse, {})).params;
        },
      },
    },
  };
}

export type InferchainQueryClient = QueryClient & InferchainExtension;

/** One CometBFT RPC connection (HTTP) and a QueryClient with the inferchain extension on it. */
export async function connectQueryClient(rpcUrl: string): Promise<{ comet: CometClient; query: InferchainQueryClient }> {
  const comet = await connectComet(rpcUrl);
  return { comet, query: QueryClient.withExtensions(comet, setupInferchainExtension) };
}
