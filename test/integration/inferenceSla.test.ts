/**
 * The SLA with real sidecars: a sidecar that never answers (`--fault offline`) makes its
 * validator pay. With one validator the job fails and the client gets its escrowed fee back
 * (exactly the fee: issue 7); with two, the job is reassigned to the honest one, which answers.
 * Either way the offline validator pays the no-response penalty, sized by the fee (1× the fee,
 * at least 1000uinf, by default) to the treasury, never a share of its whole stake.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { QueryClient, setupStakingExtension } from "@cosmjs/stargate";
import { connectComet } from "@cosmjs/tendermint-rpc";
import { encodeTensorList } from "../../x/models/tensor";
import { portsFor } from "../../client/home";
import { parseTensorJson, quantizeTensors } from "../../lib/tensors";
import { JobStatus, type InferchainQueryClient } from "../../client/queries";
import { freeOffset } from "../support/network";
import { cleanupNode, inferd, inferdOk, REPO_ROOT, sleep, startTestNode, withNodeLogs, type TestNode } from "../support/node";
import { balance, ensureWorkerRegistered, homeSigner, jobIdFromEvents, queryClient, sendTx, spawnSidecar, submitJobMsg, waitForJob, type TestSidecar } from "../support/sidecar";

jest.setTimeout(180_000);

/** The two-validator localnet's port indexes: two free ones in 70..79, apart from the other test files'. */
const PORT_RANGE = [44, 45] as const;

async function validatorTokens(rpcUrl: string, operator: string): Promise<bigint> {
  const comet = await connectComet(rpcUrl);
  try {
    const q = QueryClient.withExtensions(comet, setupStakingExtension);
    return BigInt((await q.staking.validator(operator)).validator!.tokens);
  } finally {
    comet.disconnect();
  }
}

function mlpInput(model: Parameters<typeof parseTensorJson>[1], bits: number): Uint8Array {
  const json = fs.readFileSync(path.join(REPO_ROOT, "examples", "mlp-input.json"), "utf8");
  return encodeTensorList(quantizeTensors(parseTensorJson(json, model), bits));
}

describe("an offline sidecar on a single validator: no result, the job fails, the client is refunded", () => {
  let node: TestNode | undefined;
  let sidecar: TestSidecar | undefined;
  let q: InferchainQueryClient;
  let close = (): void => undefined;
  const failures = { count: 0 };

  beforeAll(async () => {
    node = await startTestNode({ index: 27, minHeight: 2 });
    await ensureWorkerRegistered(node.h.home, { rpcUrl: node.h.rpcUrl });
    sidecar = spawnSidecar(node.h.home, { metricsAddress: `127.0.0.1:${node.h.ports.sidecarMetrics}`, logFile: path.join(node.h.dir, "sidecar.log"), args: ["--fault", "offline"] });
    await sidecar.ready();
    ({ q, close } = await queryClient(node.h.rpcUrl));
  }, 120_000);

  afterAll(async () => {
    close();
    await sidecar?.stop();
    await cleanupNode(node, failures.count > 0);
  });

  test("the escrow back to the client (exactly the fee), a fee-sized penalty from the validator's stake", withNodeLogs(() => node, async () => {
    const rpc = node!.h.rpcUrl;
    const client = await homeSigner(node!.h.home, "validator");
    const operator = (await q.inferchain.staking.workerByAddress((await homeSigner(node!.h.home, "worker")).address))!.operatorAddress;
    const mlp = (await q.inferchain.models.model("mlp-16x8"))!;
    const fee = 5000n;
    const tokensBefore = await validatorTokens(rpc, operator);
    const sub = await sendTx(rpc, client, [submitJobMsg(client.address, mlp.id, mlpInput(mlp.inputs, mlp.quantScaleBits), fee)]);
    expect(sub.code).toBe(0);
    const balanceAfterSubmit = await balance(rpc, client.address);
    const id = jobIdFromEvents(sub.events);
    const job = await waitForJob(q, id, (j) => j.status === JobStatus.JOB_STATUS_FAILED, 90_000);
    expect(job.resultHeight).toBe(0n);
    expect(job.attempts).toBe(1);
    // Only the escrowed fee went back to the client: refunds never exceed what it paid.
    expect(BigInt(job.refunded)).toBe(fee);
    expect(await balance(rpc, client.address)).toBe(balanceAfterSubmit + fee);
    // The no-response penalty: 1× the fee (default no_response_penalty_ppm), not 1% of the stake.
    const tokensAfter = await validatorTokens(rpc, operator);
    expect(tokensBefore - tokensAfter).toBe(fee);
    expect(sidecar!.log()).toMatch(new RegExp(`"job":"${id}".*fault offline: not answering`));
  }, failures));
});

describe("an offline sidecar on one of two validators: the job is reassigned to the honest one", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-it-sla2-"));
  const out = path.join(dir, "localnet");
  let q: InferchainQueryClient;
  let close = (): void => undefined;
  let failed = false;
  let RPC = "";

  beforeAll(async () => {
    const offset = await freeOffset(2, PORT_RANGE);
    RPC = `http://127.0.0.1:${portsFor(offset).rpc}`;
    await inferdOk(["localnet", "init", "--validators", "2", "--output", out, "--timeout-commit", "300ms", "--port-offset", String(offset)]);
    const r = await inferd(["localnet", "start", "--output", out, "--detach", "--sidecar-fault", "1=offline", "--timeout", "90"], { timeoutMs: 170_000 });
    if (r.code !== 0) throw new Error(`localnet start failed\n${r.stdout}\n${r.stderr}`);
    ({ q, close } = await queryClient(RPC));
  }, 180_000);

  afterAll(async () => {
    close();
    await inferd(["localnet", "stop", "--output", out]);
    if (failed || process.env.INFERCHAIN_KEEP_TEST_HOMES) process.stderr.write(`kept ${dir}\n`);
    else fs.rmSync(dir, { recursive: true, force: true });
  });

  test("timeout on the offline worker, fee-sized penalty, reassignment, result from the honest worker", async () => {
    try {
      const rpc = RPC;
      const client = await homeSigner(path.join(out, "node0"), "validator");
      const honest = (await homeSigner(path.join(out, "node0"), "worker")).address;
      const offline = (await homeSigner(path.join(out, "node1"), "worker")).address;
      const offlineOperator = (await q.inferchain.staking.workerByAddress(offline))!.operatorAddress;
      const mlp = (await q.inferchain.models.model("mlp-16x8"))!;
      const tokensBefore = await validatorTokens(rpc, offlineOperator);
      // Assignment is stake-weighted at random: submit until a job lands on the offline worker.
      let id: bigint | undefined;
      for (let i = 0; i < 12 && id === undefined; i++) {
        const sub = await sendTx(rpc, client, [submitJobMsg(client.address, mlp.id, mlpInput(mlp.inputs, mlp.quantScaleBits), 1000n)]);
        expect(sub.code).toBe(0);
        const job = await waitForJob(q, jobIdFromEvents(sub.events), (j) => j.status !== JobStatus.JOB_STATUS_PENDING);
        if (job.worker === offline && job.status === JobStatus.JOB_STATUS_ASSIGNED) id = job.id;
        await sleep(100);
      }
      expect(id).toBeDefined();
      const job = await waitForJob(q, id!, (j) => j.status === JobStatus.JOB_STATUS_RESULT_POSTED || j.status === JobStatus.JOB_STATUS_FAILED, 120_000);
      expect(JobStatus[job.status]).toBe("JOB_STATUS_RESULT_POSTED");
      expect(job.attempts).toBe(2);
      expect(job.worker).toBe(honest);
      expect(job.triedOperators).toContain(offlineOperator);
      expect(BigInt(job.refunded)).toBe(0n); // the client is not paid from the offline worker's stake
      // The penalty (1× the 1000uinf fee) went from the offline validator's stake to the treasury.
      expect(await validatorTokens(rpc, offlineOperator)).toBeLessThanOrEqual(tokensBefore - 1000n);
    } catch (e) {
      failed = true;
      if (e instanceof Error) {
        for (const i of [0, 1]) {
          const log = path.join(out, `node${i}`, "sidecar.log");
          if (fs.existsSync(log)) e.message += `\n--- node${i}/sidecar.log ---\n${fs.readFileSync(log, "utf8").split("\n").slice(-15).join("\n")}`;
        }
      }
      throw e;
    }
  });
});
