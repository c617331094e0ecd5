/** @jest-environment ./test/support/onnxruntimeEnvironment.js */
/**
 * The sidecar seals its results (issue 9): MsgSubmitResult carries a commitment and the output
 * sealed to the job's client; the output is kept under the sidecar's home before it is
 * broadcast, a retry posts the kept result again (never a second, different one), and
 * `openResult` reveals exactly what was sealed — also from a restarted sidecar — as a
 * MsgOpenResult the chain's checks accept.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import type * as ort from "onnxruntime-node";
import { Tensor } from "onnxruntime-node";
import { JobStatus, type Job } from "../gen/inferchain/inference/v1/inference";
import type { MsgOpenResult, MsgSubmitResult } from "../gen/inferchain/inference/v1/tx";
import { commitmentMatches, openSealedOutput, sealMatches } from "../x/inference/seal";
import { jobToWire, newJob } from "../x/inference/types";
import { MODEL, sampleInput, testAccount, testPubkey, testSecretKey, testWorker } from "../x/inference/testutil";
import { decodeTensorList } from "../x/models/tensor";
import { Collusion } from "./collusion";
import { fakesJob, faultSeed } from "./faults";
import { SidecarMetrics } from "./metrics";
import type { LoadedModel } from "./pipeline";
import { ResultStore } from "./resultStore";
import { Sidecar, type SidecarConfig } from "./sidecar";

const WORKER = testWorker(3);
const CLIENT = testAccount(4);

function assigned(id: bigint): Job {
  const job = newJob({ id, client: CLIENT, modelId: MODEL.id, input: sampleInput(), fee: 1000n, height: 1n, clientPubkey: testPubkey(CLIENT) });
  return { ...jobToWire(job), status: JobStatus.JOB_STATUS_ASSIGNED, attempts: 1, worker: WORKER, operator: "infervaloper1x", assignedHeight: 2n, deadlineHeight: 30n, hardDeadlineHeight: 40n };
}

interface Harness {
  readonly sidecar: Sidecar;
  readonly sent: Array<{ typeUrl: string; value: MsgSubmitResult | MsgOpenResult }>;
  readonly runs: () => number;
  /** The jobs the fake chain answers queries with (a test moves them along). */
  readonly jobs: Job[];
}

/** A sidecar over a fake chain whose model answers run n with outputs filled with n; `failFirst` broadcasts fail once. */
function harness(dir: string, jobs: Job[], o: { failFirst?: number; fault?: SidecarConfig["fault"]; faultRatePpm?: number; collude?: string } = {}): Harness {
  const sent: Harness["sent"] = [];
  let runs = 0;
  const run = async (): Promise<Record<string, ort.Tensor>> => {
    runs++;
    return { y: new Tensor("float32", new Float32Array(8).fill(runs / 8), [1, 8]) };
  };
  const session = { run, release: async () => undefined } as unknown as ort.InferenceSession;
  const models = new Map<string, LoadedModel>([[MODEL.id, { model: MODEL, session, fileBytes: 1 }]]);
  const query = { inferchain: { inference: { jobs: async () => jobs.filter((j) => j.status === JobStatus.JOB_STATUS_ASSIGNED), job: async (id: bigint) => jobs.find((j) => j.id === id) } } };
  let fail = o.failFirst ?? 0;
  let n = 0;
  const signer = {
    simulate: async () => 100_000,
    submit: async (msgs: Harness["sent"]) => {
      if (fail-- > 0) throw new Error("rpc error: connection refused");
      sent.push(msgs[0]);
      return { txhash: `TX${n++}`, sequence: BigInt(n) };
    },
  };
  const cfg = { log: pino({ level: "silent" }), maxConcurrent: 1, warn: () => undefined, progress: () => undefined, fault: o.fault, faultRatePpm: o.faultRatePpm, collude: o.collude } as unknown as SidecarConfig;
  const sealing = { secretKey: testSecretKey(WORKER), results: new ResultStore(dir) };
  const sidecar = new Sidecar(cfg, { address: WORKER, operator: "infervaloper1x" }, models, { requested: "cpu", used: "cpu" } as never, new SidecarMetrics(), query as never, signer as never, undefined, sealing);
  return { sidecar, sent, runs: () => runs, jobs };
}

async function until(f: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !f(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(f()).toBe(true);
}

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-sealing-"));

/** The fake chain takes a MsgSubmitResult: the job now carries its commitment and sealed output. */
function posted(job: Job, m: MsgSubmitResult): Job {
  return { ...job, status: JobStatus.JOB_STATUS_DISPUTED, commitment: m.commitment, sealedOutput: m.sealedOutput, cannotRun: m.cannotRun };
}

describe("sidecar: sealed results", () => {
  test("the result is sealed to the client and kept under the home before it is broadcast", async () => {
    const dir = tmp();
    const h = harness(dir, [assigned(11n)]);
    await h.sidecar.resume("test");
    await until(() => h.sent.length === 1);
    const m = h.sent[0].value as MsgSubmitResult;
    expect(h.sent[0].typeUrl).toBe("/inferchain.inference.v1.MsgSubmitResult");
    expect(m.commitment.length).toBe(32);
    const { output, salt } = openSealedOutput(11n, m.sealedOutput, testSecretKey(CLIENT));
    expect(commitmentMatches(m.commitment, 11n, WORKER, output, salt)).toBe(true);
    const kept = fs.readdirSync(dir);
    expect(kept).toEqual([expect.stringMatching(/^11-[0-9a-f]{16}\.bin$/)]);
    expect(Buffer.from(fs.readFileSync(path.join(dir, kept[0])))).toEqual(Buffer.from(output));
  });

  test("a result whose broadcast failed is posted again as it was: the model does not run twice", async () => {
    const h = harness(tmp(), [assigned(12n)], { failFirst: 1 });
    await h.sidecar.resume("test");
    await until(() => h.runs() === 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(h.sent).toHaveLength(0);
    await h.sidecar.resume("test");
    await until(() => h.sent.length === 1);
    expect(h.runs()).toBe(1);
    const m = h.sent[0].value as MsgSubmitResult;
    // The output of run 1 (values 1/8), not of a second run.
    const out = openSealedOutput(12n, m.sealedOutput, testSecretKey(CLIENT)).output;
    const again = harness(tmp(), [assigned(12n)]);
    await again.sidecar.resume("test");
    await until(() => again.sent.length === 1);
    expect(Buffer.from(openSealedOutput(12n, (again.sent[0].value as MsgSubmitResult).sealedOutput, testSecretKey(CLIENT)).output)).toEqual(Buffer.from(out));
  });

  test("openResult: a MsgOpenResult the chain accepts, from this sidecar or a restarted one with the same home and key", async () => {
    const dir = tmp();
    const h = harness(dir, [assigned(13n)]);
    await h.sidecar.resume("test");
    await until(() => h.sent.length === 1);
    const onChain = posted(h.jobs[0], h.sent[0].value as MsgSubmitResult);
    h.jobs[0] = onChain;

    const check = (o: MsgOpenResult): void => {
      expect(o).toMatchObject({ worker: WORKER, jobId: 13n });
      expect(commitmentMatches(onChain.commitment, 13n, WORKER, o.output, o.salt)).toBe(true);
      expect(sealMatches(13n, onChain.clientPubkey, onChain.sealedOutput, o.output, o.salt, o.ephemeralKey)).toBe(true);
    };
    expect(await h.sidecar.openResult(13n)).toBe("TX1");
    expect(h.sent[1].typeUrl).toBe("/inferchain.inference.v1.MsgOpenResult");
    check(h.sent[1].value as MsgOpenResult);

    const restarted = harness(dir, [onChain]);
    await restarted.sidecar.openResult(13n);
    check(restarted.sent[0].value as MsgOpenResult);
    expect(restarted.runs()).toBe(0);
  });

  test("openResult refuses a job that is not ours, one it kept nothing for, and an unknown one", async () => {
    const other = { ...assigned(14n), worker: testWorker(4) };
    const h = harness(tmp(), [other, assigned(15n)]);
    await expect(h.sidecar.openResult(14n)).rejects.toThrow(/not ours/);
    await expect(h.sidecar.openResult(15n)).rejects.toThrow(/no kept result/);
    await expect(h.sidecar.openResult(99n)).rejects.toThrow(/not found/);
    expect(h.sent).toHaveLength(0);
  });

  test("--fault bad-seal: the real output committed and kept, sealed so that neither the client nor the worker's opening can use it", async () => {
    const h = harness(tmp(), [assigned(16n)], { fault: "bad-seal" });
    await h.sidecar.resume("test");
    await until(() => h.sent.length === 1);
    const m = h.sent[0].value as MsgSubmitResult;
    expect(() => openSealedOutput(16n, m.sealedOutput, testSecretKey(CLIENT))).toThrow();
    const onChain = posted(h.jobs[0], m);
    h.jobs[0] = onChain;
    await h.sidecar.openResult(16n);
    const o = h.sent[1].value as MsgOpenResult;
    expect(Buffer.from(o.output)).toEqual(Buffer.from(openSealedOutput(16n, m.sealedOutput, testSecretKey(WORKER)).output));
    expect(commitmentMatches(onChain.commitment, 16n, WORKER, o.output, o.salt)).toBe(true);
    expect(sealMatches(16n, onChain.clientPubkey, onChain.sealedOutput, o.output, o.salt, o.ephemeralKey)).toBe(false);
  });
});

describe("sidecar: --fault-rate and --collude", () => {
  test("lazy on half the jobs: exactly the jobs fakesJob picks are zeros, the rest real; every posted output is shared with the group", async () => {
    const group = tmp();
    const jobs = Array.from({ length: 16 }, (_, i) => assigned(BigInt(100 + i)));
    const h = harness(tmp(), jobs, { fault: "lazy", faultRatePpm: 500_000, collude: group });
    await h.sidecar.resume("test");
    await until(() => h.sent.length === jobs.length);
    const seed = faultSeed(testSecretKey(WORKER));
    const zeros = new Map<bigint, boolean>();
    for (const { value } of h.sent) {
      const m = value as MsgSubmitResult;
      const { output } = openSealedOutput(m.jobId, m.sealedOutput, testSecretKey(CLIENT));
      zeros.set(m.jobId, decodeTensorList(output)[0].values.every((v) => v === 0n));
      expect(Buffer.from(new Collusion(group).outputFor(WORKER, m.jobId)!)).toEqual(Buffer.from(output));
    }
    const expected = new Map(jobs.map((j) => [j.id, fakesJob(seed, j.id, 500_000)]));
    expect(zeros).toEqual(expected);
    expect(h.sidecar.faultFor(jobs[0])).toBe(expected.get(jobs[0].id) ? "lazy" : undefined);
    // Both kinds happened (16 jobs at 50%), and only the honest ones ran the model.
    const faked = [...expected.values()].filter(Boolean).length;
    expect(faked).toBeGreaterThan(0);
    expect(faked).toBeLessThan(jobs.length);
    expect(h.runs()).toBe(jobs.length - faked);
  });
});
