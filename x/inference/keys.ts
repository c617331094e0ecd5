/**
 * Store layout of x/inference (keys are public API: changing one is a migration). Numbers in
 * keys are zero-padded to 20 digits so that key order is numeric order (job ids, heights).
 *
 *   inference/params                                   → inferchain.inference.v1.Params
 *   inference/next_job_id                              → uint64, decimal ASCII (ids start at 1)
 *   inference/jobs/<id>                                → inferchain.inference.v1.Job
 *   inference/jobs_by_status/<status>/<id>             → 0x01 (status = the JobStatus number;
 *                                                        status 1, PENDING, is the assignment queue)
 *   inference/jobs_by_client/<client infer1…>/<id>     → 0x01
 *   inference/jobs_by_worker/<worker infer1…>/<id>     → 0x01 (the current or last assignee)
 *   inference/deadline_queue/<height>/<id>             → 0x01 (ASSIGNED jobs by hard deadline)
 *   inference/finalize_queue/<height>/<id>             → 0x01 (RESULT_POSTED jobs by challenge end)
 *   inference/prune_queue/<height>/<id>                → 0x01 (FINALIZED / FAILED jobs by prune height:
 *                                                        drop the bytes, later the compact record)
 *   inference/results_by_height/<height>/<id>          → 0x01 (RESULT_POSTED / DISPUTED jobs by the height
 *                                                        their result was included at: what x/challenge
 *                                                        audits; gone once the job finishes)
 *
 * Every index and queue entry is derived from the job record alone (`jobIndexKeys`), so the
 * keeper keeps them in step by diffing a job's keys before and after each write.
 */
import { JobStatus } from "../../gen/inferchain/inference/v1/inference";
import { pad20, queueKey } from "../../base/store/keys";

export const PARAMS_KEY = "inference/params";
export const NEXT_JOB_ID_KEY = "inference/next_job_id";

export const JOBS_PREFIX = "inference/jobs/";
export const jobKey = (id: bigint): string => JOBS_PREFIX + pad20(id);

export const JOBS_BY_STATUS_PREFIX = "inference/jobs_by_status/";
export const statusPrefix = (status: number): string => `${JOBS_BY_STATUS_PREFIX}${status}/`;
export const jobByStatusKey = (status: number, id: bigint): string => statusPrefix(status) + pad20(id);

export const JOBS_BY_CLIENT_PREFIX = "inference/jobs_by_client/";
export const clientPrefix = (client: string): string => `${JOBS_BY_CLIENT_PREFIX}${client}/`;
export const jobByClientKey = (client: string, id: bigint): string => clientPrefix(client) + pad20(id);

export const JOBS_BY_WORKER_PREFIX = "inference/jobs_by_worker/";
export const workerPrefix = (worker: string): string => `${JOBS_BY_WORKER_PREFIX}${worker}/`;
export const jobByWorkerKey = (worker: string, id: bigint): string => workerPrefix(worker) + pad20(id);

export const DEADLINE_QUEUE_PREFIX = "inference/deadline_queue/";
export const deadlineQueueKey = (height: bigint, id: bigint): string => queueKey(DEADLINE_QUEUE_PREFIX, height, id);

export const FINALIZE_QUEUE_PREFIX = "inference/finalize_queue/";
export const finalizeQueueKey = (height: bigint, id: bigint): string => queueKey(FINALIZE_QUEUE_PREFIX, height, id);

export const PRUNE_QUEUE_PREFIX = "inference/prune_queue/";
export const pruneQueueKey = (height: bigint, id: bigint): string => queueKey(PRUNE_QUEUE_PREFIX, height, id);

export const RESULTS_BY_HEIGHT_PREFIX = "inference/results_by_height/";
export const resultsAtPrefix = (height: bigint): string => `${RESULTS_BY_HEIGHT_PREFIX}${pad20(height)}/`;
export const resultByHeightKey = (height: bigint, id: bigint): string => queueKey(RESULTS_BY_HEIGHT_PREFIX, height, id);

/** The job fields its index and queue keys derive from. */
export interface IndexedJob {
  readonly id: bigint;
  readonly status: JobStatus;
  readonly client: string;
  readonly worker: string;
  readonly hardDeadlineHeight: bigint;
  readonly challengeEndHeight: bigint;
  readonly pruneHeight: bigint;
  readonly resultHeight: bigint;
}

/**
 * Every index and queue key a job has in this state: by status, by client, by worker (once
 * assigned), and the deadline queue while ASSIGNED, the finalize queue while RESULT_POSTED, or
 * the prune queue once finished (with a prune height); by result height while its result is
 * posted and not settled (RESULT_POSTED or DISPUTED). A DISPUTED job is on no queue: it waits
 * for its dispute to settle it.
 */
export function jobIndexKeys(j: IndexedJob): string[] {
  const out = [jobByStatusKey(j.status, j.id), jobByClientKey(j.client, j.id)];
  if (j.worker !== "") out.push(jobByWorkerKey(j.worker, j.id));
  if (j.status === JobStatus.JOB_STATUS_ASSIGNED) out.push(deadlineQueueKey(j.hardDeadlineHeight, j.id));
  if (j.status === JobStatus.JOB_STATUS_RESULT_POSTED) out.push(finalizeQueueKey(j.challengeEndHeight, j.id));
  if (j.status === JobStatus.JOB_STATUS_RESULT_POSTED || j.status === JobStatus.JOB_STATUS_DISPUTED) out.push(resultByHeightKey(j.resultHeight, j.id));
  const finished = j.status === JobStatus.JOB_STATUS_FINALIZED || j.status === JobStatus.JOB_STATUS_FAILED;
  if (finished && j.pruneHeight > 0n) out.push(pruneQueueKey(j.pruneHeight, j.id));
  return out;
}
