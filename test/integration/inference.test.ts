/** @jest-environment ./test/support/onnxruntimeEnvironment.js */
/**
 * Jobs end to end on a real node (`inferd start`, CometBFT) with a real sidecar (`inferd
 * sidecar`): results, sealed to the client and opened with its key, equal onnxruntime run
 * here on the same model and input (within one quantization step), `inferd infer --wait`
 * opens and prints them, and MsgSubmitResult is refused with its own code for an unknown job,
 * a key that is not the assigned worker, a bad commitment or sealed output, an empty output,
 * and a job that already has its result or is finalized.
 */
import fs from "node:fs";
import path from "node:path";
import { Bip39, EnglishMnemonic, Slip10, Slip10Curve, sha256 } from "@cosmjs/crypto";
import { DirectSecp256k1HdWallet, makeCosmoshubPath } from "@cosmjs/proto-signing";
import { encodeTensorList, type QuantizedTensor } from "../../x/models/tensor";
import type { Model } from "../../x/models/types";
import { defaultModelsDir } from "../../lib/models/builtin";
import { DETERMINISTIC_SESSION_OPTIONS, openSession, runQuantized } from "../../lib/models/onnx";
import { loadModelFile } from "../../lib/models/resolve";
import { parseTensorJson, quantizeTensors } from "../../lib/tensors";
import { JobStatus, type InferchainQueryClient } from "../../client/queries";
import { msgSubmitResult } from "../../client/registry";
import { openSealedResult } from "../../client/results";
import { cleanupNode, inferd, REPO_ROOT, startTestNode, withNodeLogs, type TestNode } from "../support/node";
import {
  ensureWorkerRegistered,
  homeSigner,
  jobIdFromEvents,
  queryClient,
  sendTx,
  spawnSidecar,
  submitJobMsg,
  submitResultMsg,
  waitForJob,
  type TestSidecar,
} from "../support/sidecar";

jest.setTimeout(120_000);

const mnemonic = (seed: string): string => Bip39.encode(sha256(new TextEncoder().encode(seed)).slice(0, 32)).toString();
const FUNDS = 1_000_000_000n;

/** onnxruntime here, with the sidecar's session options, on the job's quantized input. */
async function runLocally(model: Model, input: readonly QuantizedTensor[]): Promise<QuantizedTensor[]> {
  const session = await openSession(await loadModelFile(model, defaultModelsDir()), DETERMINISTIC_SESSION_OPTIONS);
  try {
    return await runQuantized(session, model, input);
  } finally {
    await session.release();
  }
}

function expectWithinOneStep(got: readonly QuantizedTensor[], want: readonly QuantizedTensor[]): void {
  expect(got.map((t) => [t.name, t.shape])).toEqual(want.map((t) => [t.name, t.shape]));
  got.forEach((t, i) => {
    t.values.forEach((v, j) => {
      const d = v - want[i].values[j];
      expect(d >= -1n && d <= 1n).toBe(true);
    });
  });
}

function inputFile(name: string): string {
  return path.join(REPO_ROOT, "examples", name);
}

describe("inference jobs on a node with a sidecar", () => {
  let node: TestNode | undefined;
  let sidecar: TestSidecar | undefined;
  let q: InferchainQueryClient;
  let closeQuery = (): void => undefined;
  const failures = { count: 0 };
  const logged = (fn: () => Promise<void>): (() => Promise<void>) =>
    withNodeLogs(
      () => node,
      async () => {
        try {
          await fn();
        } catch (e) {
          if (sidecar && e instanceof Error) e.message += `\n\n${sidecar.logTail()}`;
          throw e;
        }
      },
      failures,
    );
  let client: { address: string; signer: DirectSecp256k1HdWallet; privkey: Uint8Array };
  let stranger: { address: string; signer: DirectSecp256k1HdWallet };
  let worker: Awaited<ReturnType<typeof homeSigner>>;
  let mlp: Model;
  let silero: Model;

  beforeAll(async () => {
    const w1 = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic("inferchain-it-inference-client"), { prefix: "infer" });
    const w2 = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic("inferchain-it-inference-stranger"), { prefix: "infer" });
    // The client's secret key (the wallet's own derivation), to open its sealed results.
    const seed = await Bip39.mnemonicToSeed(new EnglishMnemonic(mnemonic("inferchain-it-inference-client")));
    client = { address: (await w1.getAccounts())[0].address, signer: w1, privkey: Slip10.derivePath(Slip10Curve.Secp256k1, seed, makeCosmoshubPath(0)).privkey };
    stranger = { address: (await w2.getAccounts())[0].address, signer: w2 };
    node = await startTestNode({ index: 26, minHeight: 2, accounts: [{ address: client.address, amount: FUNDS }, { address: stranger.address, amount: FUNDS }] });
    await ensureWorkerRegistered(node.h.home, { rpcUrl: node.h.rpcUrl });
    worker = await homeSigner(node.h.home, "worker");
    ({ q, close: closeQuery } = await queryClient(node.h.rpcUrl));
    mlp = (await q.inferchain.models.model("mlp-16x8"))!;
    silero = (await q.inferchain.models.model("silero-vad"))!;
  }, 120_000);

  afterAll(async () => {
    closeQuery();
    await sidecar?.stop();
    await cleanupNode(node, failures.count > 0);
  });

  test("MsgSubmitResult refusals, each with its own code (no sidecar running yet)", logged(async () => {
    const rpc = node!.h.rpcUrl;
    const input = quantizeTensors(parseTensorJson(fs.readFileSync(inputFile("mlp-input.json"), "utf8"), mlp.inputs), mlp.quantScaleBits);
    const sub = await sendTx(rpc, client, [submitJobMsg(client.address, mlp.id, encodeTensorList(input), 1000n)]);
    expect(sub.code).toBe(0);
    const id = jobIdFromEvents(sub.events);
    const job = await waitForJob(q, id, (j) => j.status === JobStatus.JOB_STATUS_ASSIGNED);
    expect(job.worker).toBe(worker.address);
    const good = encodeTensorList(await runLocally(mlp, input));

    // Sealed to the client's account key, which the job recorded at submission.
    expect(job.clientPubkey.length).toBe(33);

    const unknown = await sendTx(rpc, worker, [submitResultMsg(worker.address, { ...job, id: 999_999n }, good)]);
    expect([unknown.codespace, unknown.code]).toEqual(["inference", 7]);
    const notAssigned = await sendTx(rpc, stranger, [submitResultMsg(stranger.address, job, good)]);
    expect([notAssigned.codespace, notAssigned.code]).toEqual(["inference", 8]);
    // The chain cannot read a sealed output; it refuses what it can tell without: an empty
    // output that is not a cannot-run result, one above max_output_bytes, a bad commitment.
    const empty = await sendTx(rpc, worker, [submitResultMsg(worker.address, job, new Uint8Array())]);
    expect([empty.codespace, empty.code]).toEqual(["inference", 10]);
    const tooBig = await sendTx(rpc, worker, [submitResultMsg(worker.address, job, new Uint8Array(Number(mlp.maxOutputBytes) + 1))]);
    expect([tooBig.codespace, tooBig.code]).toEqual(["inference", 18]);
    const sealed = submitResultMsg(worker.address, job, good);
    const shortCommitment = await sendTx(rpc, worker, [msgSubmitResult({ ...sealed.value, commitment: sealed.value.commitment.subarray(1) })]);
    expect([shortCommitment.codespace, shortCommitment.code]).toEqual(["inference", 17]);
    const cannotWithOutput = await sendTx(rpc, worker, [submitResultMsg(worker.address, job, good, true, "x")]);
    expect([cannotWithOutput.codespace, cannotWithOutput.code]).toEqual(["inference", 15]);

    const ok = await sendTx(rpc, worker, [sealed]);
    expect(ok.code).toBe(0);
    const posted = await waitForJob(q, id, (j) => j.status === JobStatus.JOB_STATUS_RESULT_POSTED);
    expect(posted.output.length).toBe(0);
    expect(Buffer.from(openSealedResult(posted, mlp, client.privkey).output)).toEqual(Buffer.from(good));
    const twice = await sendTx(rpc, worker, [submitResultMsg(worker.address, job, good)]);
    expect([twice.codespace, twice.code]).toEqual(["inference", 9]);

    await waitForJob(q, id, (j) => j.status === JobStatus.JOB_STATUS_FINALIZED);
    const afterFinal = await sendTx(rpc, worker, [submitResultMsg(worker.address, job, good)]);
    expect([afterFinal.codespace, afterFinal.code]).toEqual(["inference", 9]);

    // A signed cannot-run result (issue 7): checked like any result, the fee back in full at finalization.
    const sub2 = await sendTx(rpc, client, [submitJobMsg(client.address, mlp.id, encodeTensorList(input), 1000n)]);
    expect(sub2.code).toBe(0);
    const id2 = jobIdFromEvents(sub2.events);
    const job2 = await waitForJob(q, id2, (j) => j.status === JobStatus.JOB_STATUS_ASSIGNED);
    expect(job2.assignedHeight).toBeGreaterThan(job2.submittedHeight); // never drawn in its own block
    const cannot = await sendTx(rpc, worker, [submitResultMsg(worker.address, job2, new Uint8Array(), true, "test: cannot run")]);
    expect(cannot.code).toBe(0);
    const refunded = await waitForJob(q, id2, (j) => j.status === JobStatus.JOB_STATUS_FINALIZED);
    expect(refunded).toMatchObject({ cannotRun: true, cannotRunReason: "test: cannot run", refunded: "1000" });
  }));

  test("the sidecar answers jobs; each on-chain result equals onnxruntime run here within one quantization step", logged(async () => {
    const rpc = node!.h.rpcUrl;
    sidecar = spawnSidecar(node!.h.home, { metricsAddress: `127.0.0.1:${node!.h.ports.sidecarMetrics}`, logFile: path.join(node!.h.dir, "sidecar.log") });
    await sidecar.ready();

    const cases: Array<[Model, string]> = [
      [mlp, "mlp-input.json"],
      [mlp, "mlp-batch-input.json"],
      [silero, "silero-input.json"],
    ];
    for (const [model, file] of cases) {
      const input = quantizeTensors(parseTensorJson(fs.readFileSync(inputFile(file), "utf8"), model.inputs), model.quantScaleBits);
      const sub = await sendTx(rpc, client, [submitJobMsg(client.address, model.id, encodeTensorList(input), model.minFee)]);
      expect(sub.code).toBe(0);
      const job = await waitForJob(q, jobIdFromEvents(sub.events), (j) => j.status === JobStatus.JOB_STATUS_RESULT_POSTED || j.status === JobStatus.JOB_STATUS_FAILED);
      expect(JobStatus[job.status]).toBe("JOB_STATUS_RESULT_POSTED");
      expect(job.worker).toBe(worker.address);
      expect(job.late).toBe(false);
      expectWithinOneStep(openSealedResult(job, model, client.privkey).tensors, await runLocally(model, input));
    }
    const metrics = await sidecar.metrics();
    expect(metrics).toMatch(/inferchain_sidecar_inferences_total\{model="mlp-16x8"\} 2/);
    expect(metrics).toMatch(/inferchain_sidecar_inferences_total\{model="silero-vad"\} 1/);
    expect(metrics).toMatch(/inferchain_sidecar_execution_provider_info\{requested="cpu",provider="cpu"\} 1/);
  }));

  test("`inferd infer --wait` prints the job's worker, status, heights and the dequantized output", logged(async () => {
    const home = node!.h.home;
    const r = await inferd(["infer", "--model", "mlp-16x8", "--input", inputFile("mlp-input.json"), "--from", "validator", "--wait", "--home", home, "--output", "json"], { timeoutMs: 90_000 });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { job_id: string; status: string; worker: string; submitted_height: string; result_height: string; output: { y: { dims: number[]; data: number[] } } };
    expect(out.status).toBe("JOB_STATUS_RESULT_POSTED");
    expect(out.worker).toBe(worker.address);
    expect(Number(out.result_height)).toBeGreaterThan(Number(out.submitted_height));
    const input = quantizeTensors(parseTensorJson(fs.readFileSync(inputFile("mlp-input.json"), "utf8"), mlp.inputs), mlp.quantScaleBits);
    const [want] = await runLocally(mlp, input);
    expect(out.output.y.dims).toEqual([1, 8]);
    out.output.y.data.forEach((v, i) => expect(Math.abs(v - Number(want.values[i]) / 2 ** 16)).toBeLessThanOrEqual(2 ** -16));

    const text = await inferd(["infer", "--model", "mlp-16x8", "--input", inputFile("mlp-input.json"), "--from", "validator", "--wait", "--home", home], { timeoutMs: 90_000 });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^status: JOB_STATUS_RESULT_POSTED$/m);
    expect(text.stdout).toMatch(/^output:\n\{\n {2}"y": \{"dims":\[1,8\],"data":\[/m);

    // The job as anyone sees it: a commitment and a sealed size; with the client's key, the result.
    const sealed = await inferd(["query", "inference", "job", out.job_id, "--home", home, "--output", "json"]);
    expect(sealed.code).toBe(0);
    const plain = (JSON.parse(sealed.stdout) as { job: { commitment: string; sealed_output_bytes: number; result?: unknown } }).job;
    expect(plain.commitment).toMatch(/^[0-9a-f]{64}$/);
    expect(plain.sealed_output_bytes).toBeGreaterThan(81);
    expect(plain.result).toBeUndefined();
    // Per-job economic security: a min_fee job on a 10 INF stake is audited at the base 5%.
    expect((plain as { audit_rate_ppm?: string }).audit_rate_ppm).toBe("50000");
    const opened = await inferd(["query", "inference", "job", out.job_id, "--from", "validator", "--home", home, "--output", "json"]);
    expect(opened.code).toBe(0);
    expect((JSON.parse(opened.stdout) as { job: { result: { y: { dims: number[] } } } }).job.result.y.dims).toEqual([1, 8]);
  }));

  test("`inferd query models list --output json` gives ids, sha256, URIs and tensor specs", logged(async () => {
    const r = await inferd(["query", "models", "list", "--home", node!.h.home, "--output", "json"]);
    expect(r.code).toBe(0);
    const { models } = JSON.parse(r.stdout) as { models: Array<{ id: string; onnxSha256: string; uri: string; inputs: unknown[]; outputs: unknown[] }> };
    expect(models.map((m) => m.id)).toEqual(["mlp-16x8", "silero-vad"]);
    expect(models[0]).toMatchObject({ onnxSha256: mlp.onnxSha256, uri: "file:mlp-16x8.onnx", inputs: [{ name: "x", dtype: "float32", shape: [-1, 16] }], outputs: [{ name: "y", dtype: "float32", shape: [-1, 8] }] });
    const jobs = await inferd(["query", "inference", "jobs", "--status", "result_posted", "--worker", worker.address, "--home", node!.h.home, "--output", "json"]);
    expect(jobs.code).toBe(0);
    expect((JSON.parse(jobs.stdout) as { jobs: unknown[] }).jobs.length).toBeGreaterThanOrEqual(0);
  }));

  test("`inferd params check`: per model the serving stake, the largest fee it secures, the min_fee job's audit rate and detection after 1, 10, 100 faked jobs", logged(async () => {
    const r = await inferd(["params", "check", "--home", node!.h.home, "--output", "json"]);
    expect(r.code).toBe(0);
    type Row = { model_id: string; min_fee: string; serving_validators: number; smallest_stake: string; max_fee_at_base_rate: string; max_fee_secured: string; min_fee_audit_rate_ppm: string; detection: Record<string, number> };
    const out = JSON.parse(r.stdout) as { params: Record<string, string>; models: Row[] };
    expect(out.params).toEqual({ audit_rate_ppm: "50000", max_audit_rate_ppm: "250000", safety_factor_ppm: "2000000", slash_fraction_invalid_result_ppm: "1000000" });
    expect(out.models.map((m) => m.model_id)).toEqual(["mlp-16x8", "silero-vad"]);
    // One validator (10 INF) serves both: fees up to 10 INF / 40 at 5%, up to 10 INF / 8 at all.
    for (const m of out.models) {
      expect(m).toMatchObject({ serving_validators: 1, smallest_stake: "10000000", max_fee_at_base_rate: "250000", max_fee_secured: "1250000", min_fee_audit_rate_ppm: "50000" });
      expect(m.detection["10"]).toBeCloseTo(1 - 0.95 ** 10, 9);
    }
    const text = await inferd(["params", "check", "--model", "mlp-16x8", "--home", node!.h.home]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^audit rate 5% \(raised per job up to 25%\)/);
    expect(text.stdout).toMatch(/^mlp-16x8\s+1\s+10000000uinf\s+250000uinf\s+1250000uinf\s+\d+uinf\s+5%\s+5\.0%\s+40\.1%\s+99\.4%$/m);
    // A fee above what any serving stake secures is refused before it is escrowed (inference code 29).
    const big = await inferd(["infer", "--model", "mlp-16x8", "--input", inputFile("mlp-input.json"), "--fee", "1250001uinf", "--from", "validator", "--home", node!.h.home]);
    expect(big.code).not.toBe(0);
    expect(big.stdout + big.stderr).toMatch(/inference.*29|fee 1250001uinf: the largest stake serving mlp-16x8 is 10000000uinf/);
  }));
});
