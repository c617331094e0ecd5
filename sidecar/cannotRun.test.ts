/** @jest-environment ./test/support/onnxruntimeEnvironment.js */
/**
 * The sidecar posts a signed cannot-run result (issue 7) when onnxruntime throws on a job's
 * input or the output does not fit the model's output spec, instead of letting the job time
 * out; and it runs up to --max-concurrent jobs at once, earliest hard deadline first.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import type * as ort from "onnxruntime-node";
import { Tensor } from "onnxruntime-node";
import { JobStatus, type Job } from "../gen/inferchain/inference/v1/inference";
import { jobToWire, newJob } from "../x/inference/types";
import { openSealedOutput } from "../x/inference/seal";
import { MODEL, sampleInput, testAccount, testPubkey, testSecretKey, testWorker } from "../x/inference/testutil";
import { SidecarMetrics } from "./metrics";
import type { LoadedModel } from "./pipeline";
import { ResultStore } from "./resultStore";
import { Sidecar, type SidecarConfig } from "./sidecar";

// Real addresses: the result's commitment binds the worker's address bytes.
const WORKER = testWorker(1);
const CLIENT = testAccount(1);

function assigned(id: bigint, hard: bigint): Job {
  const job = newJob({ id, client: CLIENT, modelId: MODEL.id, input: sampleInput(), fee: 1000n, height: 1n, clientPubkey: testPubkey(CLIENT) });
  return { ...jobToWire(job), status: JobStatus.JOB_STATUS_ASSIGNED, attempts: 1, worker: WORKER, operator: "infervaloper1x", assignedHeight: 2n, deadlineHeight: hard - 10n, hardDeadlineHeight: hard };
}

interface Sent {
  readonly jobId: bigint;
  readonly sealedOutput: Uint8Array;
  readonly cannotRun: boolean;
  readonly reason: string;
}

/** What the client reads from a posted result (it is sealed to the client's key). */
const opened = (s: Sent): Uint8Array => openSealedOutput(s.jobId, s.sealedOutput, testSecretKey(CLIENT)).output;

function sidecarWith(run: (feeds: Record<string, ort.Tensor>) => Promise<Record<string, ort.Tensor>>, jobs: Job[], maxConcurrent = 4): { sidecar: Sidecar; sent: Sent[] } {
  const sent: Sent[] = [];
  const session = { run, release: async () => undefined } as unknown as ort.InferenceSession;
  const models = new Map<string, LoadedModel>([[MODEL.id, { model: MODEL, session, fileBytes: 1 }]]);
  const query = { inferchain: { inference: { jobs: async () => jobs, job: async (id: bigint) => jobs.find((j) => j.id === id) } } };
  let n = 0;
  const signer = {
    simulate: async () => 100_000,
    submit: async (msgs: Array<{ value: Sent }>) => {
      sent.push(msgs[0].value);
      return { txhash: `TX${n++}`, sequence: BigInt(n) };
    },
  };
  const cfg = { log: pino({ level: "silent" }), maxConcurrent, warn: () => undefined, progress: () => undefined } as unknown as SidecarConfig;
  const results = new ResultStore(fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-sidecar-results-")));
  const sealing = { secretKey: testSecretKey(WORKER), results };
  const sidecar = new Sidecar(cfg, { address: WORKER, operator: "infervaloper1x" }, models, { requested: "cpu", used: "cpu" } as never, new SidecarMetrics(), query as never, signer as never, undefined, sealing);
  return { sidecar, sent };
}

async function until(f: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(f()).toBe(true);
}

describe("sidecar: cannot-run results and concurrency", () => {
  test("onnxruntime throws on the input: a cannot-run result with the error as reason and no output", async () => {
    const { sidecar, sent } = sidecarWith(async () => {
      throw new Error("Non-zero status code returned while running Gemm node. Name:'/fc/Gemm'");
    }, [assigned(7n, 40n)]);
    await sidecar.resume("test");
    await until(() => sent.length === 1);
    expect(sent[0]).toMatchObject({ jobId: 7n, cannotRun: true, reason: expect.stringContaining("running Gemm node") });
    expect(opened(sent[0]).length).toBe(0);
  });

  test("the output does not fit the model's output spec: a cannot-run result", async () => {
    const { sidecar, sent } = sidecarWith(async () => ({ y: new Tensor("float32", new Float32Array(7), [1, 7]) }), [assigned(8n, 40n)]);
    await sidecar.resume("test");
    await until(() => sent.length === 1);
    expect(sent[0]).toMatchObject({ jobId: 8n, cannotRun: true });
    expect(sent[0].reason.length).toBeGreaterThan(0);
  });

  test("a good output is posted as a plain result", async () => {
    const { sidecar, sent } = sidecarWith(async () => ({ y: new Tensor("float32", new Float32Array(8).fill(0.5), [1, 8]) }), [assigned(9n, 40n)]);
    await sidecar.resume("test");
    await until(() => sent.length === 1);
    expect(sent[0]).toMatchObject({ jobId: 9n, cannotRun: false, reason: "" });
    expect(opened(sent[0]).length).toBeGreaterThan(0);
  });

  test("at most --max-concurrent jobs run at once, the waiting ones by earliest hard deadline", async () => {
    const started: number[] = [];
    const release: Array<() => void> = [];
    let active = 0;
    let most = 0;
    const run = async (feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> => {
      active++;
      most = Math.max(most, active);
      started.push(Number((feeds.x.data as Float32Array)[0]));
      await new Promise<void>((r) => release.push(r));
      active--;
      return { y: new Tensor("float32", new Float32Array(8), [1, 8]) };
    };
    // Inputs tagged by their first value so the run order can be read back; hard deadlines 90, 80, 30, 20, 50.
    const jobs = [90n, 80n, 30n, 20n, 50n].map((hard, i) => ({ ...assigned(BigInt(i + 1), hard), input: sampleInput(1, BigInt(i + 1) << 16n) }));
    const { sidecar, sent } = sidecarWith(run, jobs, 2);
    await sidecar.resume("test");
    await until(() => started.length === 2);
    // A resume queues the most urgent first: deadlines 20 and 30 start, 50, 80, 90 wait.
    expect(sidecar.queueDepth).toBe(3);
    for (let k = 0; k < 5; k++) {
      await until(() => release.length > 0);
      release.shift()!();
      await until(() => sent.length === k + 1);
    }
    expect(most).toBe(2);
    expect(sent.map((s) => s.jobId)).toEqual([4n, 3n, 5n, 2n, 1n]);
  });
});
