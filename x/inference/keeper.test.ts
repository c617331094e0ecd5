import { MemKV } from "../../base/store/kv";
import {
  DEADLINE_QUEUE_PREFIX,
  FINALIZE_QUEUE_PREFIX,
  JOBS_BY_CLIENT_PREFIX,
  JOBS_BY_STATUS_PREFIX,
  JOBS_BY_WORKER_PREFIX,
  jobKey,
} from "./keys";
import { MODEL, testAccount, testSetup, testValidatorAddrs, testWorker } from "./testutil";
import { JobStatus, newJob, type Job } from "./types";

const keysUnder = (s: MemKV, prefix: string): string[] => [...s.iterate(prefix)].map(([k]) => k.slice(prefix.length));

function pending(id: bigint, client = testAccount(1)): Job {
  return newJob({ id, client, modelId: MODEL.id, input: Uint8Array.of(1), fee: 1000n, height: 3n });
}

describe("job store and its indexes", () => {
  test("key order is id order (zero-padded), so iteration is numeric", () => {
    expect(jobKey(2n) < jobKey(10n)).toBe(true);
    expect(jobKey(10n)).toBe("inference/jobs/00000000000000000010");
  });

  test("a job round-trips through the store", () => {
    const { store, k } = testSetup();
    const j = { ...pending(7n), refunded: 5n, triedOperators: [testValidatorAddrs(1).operator] };
    k.setJob(store, j);
    expect(k.getJob(store, 7n)).toEqual(j);
    expect(k.getJob(store, 8n)).toBeUndefined();
  });

  test("every write moves the status, client and worker indexes and the queues with the job", () => {
    const { store, k } = testSetup();
    const op = testValidatorAddrs(0).operator;
    const j = pending(1n);
    k.setJob(store, j);
    expect(keysUnder(store, JOBS_BY_STATUS_PREFIX)).toEqual(["1/00000000000000000001"]);
    expect(keysUnder(store, JOBS_BY_CLIENT_PREFIX)).toEqual([`${testAccount(1)}/00000000000000000001`]);
    expect(keysUnder(store, JOBS_BY_WORKER_PREFIX)).toEqual([]);

    const assigned: Job = { ...j, status: JobStatus.JOB_STATUS_ASSIGNED, attempts: 1, operator: op, worker: testWorker(0), assignedHeight: 3n, deadlineHeight: 13n, hardDeadlineHeight: 23n, triedOperators: [op] };
    k.setJob(store, assigned);
    expect(keysUnder(store, JOBS_BY_STATUS_PREFIX)).toEqual(["2/00000000000000000001"]);
    expect(keysUnder(store, JOBS_BY_WORKER_PREFIX)).toEqual([`${testWorker(0)}/00000000000000000001`]);
    expect(keysUnder(store, DEADLINE_QUEUE_PREFIX)).toEqual(["00000000000000000023/00000000000000000001"]);

    const posted: Job = { ...assigned, status: JobStatus.JOB_STATUS_RESULT_POSTED, output: Uint8Array.of(1), resultHeight: 5n, challengeEndHeight: 15n };
    k.setJob(store, posted);
    expect(keysUnder(store, JOBS_BY_STATUS_PREFIX)).toEqual(["3/00000000000000000001"]);
    expect(keysUnder(store, DEADLINE_QUEUE_PREFIX)).toEqual([]);
    expect(keysUnder(store, FINALIZE_QUEUE_PREFIX)).toEqual(["00000000000000000015/00000000000000000001"]);

    // Reassigned to another worker: the worker index follows.
    const other = testValidatorAddrs(1).operator;
    k.setJob(store, { ...assigned, operator: other, worker: testWorker(1), hardDeadlineHeight: 40n, attempts: 2, triedOperators: [op, other] });
    expect(keysUnder(store, JOBS_BY_WORKER_PREFIX)).toEqual([`${testWorker(1)}/00000000000000000001`]);
    expect(keysUnder(store, FINALIZE_QUEUE_PREFIX)).toEqual([]);
    expect(keysUnder(store, DEADLINE_QUEUE_PREFIX)).toEqual(["00000000000000000040/00000000000000000001"]);

    k.setJob(store, { ...posted, status: JobStatus.JOB_STATUS_FINALIZED, finalizedHeight: 15n });
    expect(keysUnder(store, JOBS_BY_STATUS_PREFIX)).toEqual(["4/00000000000000000001"]);
    expect(keysUnder(store, DEADLINE_QUEUE_PREFIX)).toEqual([]);
    expect(keysUnder(store, FINALIZE_QUEUE_PREFIX)).toEqual([]);
  });

  test("pendingJobIds is the PENDING index in id order, capped", () => {
    const { store, k } = testSetup();
    for (const id of [12n, 3n, 7n, 100n]) k.setJob(store, pending(id));
    k.setJob(store, { ...pending(5n), status: JobStatus.JOB_STATUS_FAILED });
    expect(k.pendingJobIds(store, 10)).toEqual([3n, 7n, 12n, 100n]);
    expect(k.pendingJobIds(store, 2)).toEqual([3n, 7n]);
    expect(k.pendingJobIds(store, 0)).toEqual([]);
  });

  test("due queues return only entries at or below the height, in height then id order", () => {
    const { store, k } = testSetup();
    const op = testValidatorAddrs(0).operator;
    const at = (id: bigint, hard: bigint): Job => ({ ...pending(id), status: JobStatus.JOB_STATUS_ASSIGNED, attempts: 1, operator: op, worker: testWorker(0), assignedHeight: 1n, deadlineHeight: 2n, hardDeadlineHeight: hard, triedOperators: [op] });
    k.setJob(store, at(9n, 30n));
    k.setJob(store, at(2n, 30n));
    k.setJob(store, at(5n, 20n));
    k.setJob(store, at(1n, 31n));
    expect(k.dueDeadlines(store, 19n)).toEqual([]);
    expect(k.dueDeadlines(store, 20n)).toEqual([[20n, 5n]]);
    expect(k.dueDeadlines(store, 30n)).toEqual([[20n, 5n], [30n, 2n], [30n, 9n]]);
  });

  test("the id counter starts at 1", () => {
    const { store, k } = testSetup();
    expect(k.getNextJobId(store)).toBe(1n);
    k.setNextJobId(store, 42n);
    expect(k.getNextJobId(store)).toBe(42n);
  });
});
