/** @jest-environment ./test/support/onnxruntimeEnvironment.js */
/**
 * Data availability end to end (SPEC §4, issue 10 item 2) on a real node (`inferd start`,
 * CometBFT) with a real sidecar (`inferd sidecar --data-address`): a client serves an input on
 * a loopback HTTP server and submits the job by URI and hash; the worker's sidecar fetches it,
 * checks the hash, runs it and answers (the sealed result opens to what onnxruntime computes
 * here), serves the bytes by hash, and answers a MsgRequestData with MsgProvideData in time (the
 * bytes become the job's on-chain input, the bond goes to the worker). Then the same validator's
 * sidecar under `--fault withhold` answers jobs but serves nothing and never provides: its
 * request expires after da_response_blocks, the bond comes back to the requester, and the
 * validator is slashed exactly slash_fraction_unavailable (0.1%) with one incident counted.
 * Port index 3 (no other test file uses it).
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Bip39, EnglishMnemonic, Slip10, Slip10Curve, sha256 } from "@cosmjs/crypto";
import { DirectSecp256k1HdWallet, makeCosmoshubPath } from "@cosmjs/proto-signing";
import { msgRequestData, setupChallengeExtension, type ChallengeExtension } from "../../client/challenge";
import { dataUrl, sha256Hex } from "../../client/inputData";
import { JobStatus, type InferchainQueryClient } from "../../client/queries";
import { msgSubmitJob } from "../../client/registry";
import { openSealedResult } from "../../client/results";
import { paths } from "../../client/home";
import { defaultModelsDir } from "../../lib/models/builtin";
import { DETERMINISTIC_SESSION_OPTIONS, openSession, runQuantized } from "../../lib/models/onnx";
import { loadModelFile } from "../../lib/models/resolve";
import { parseTensorJson, quantizeTensors } from "../../lib/tensors";
import { decodeTensorList, encodeTensorList } from "../../x/models/tensor";
import type { Model } from "../../x/models/types";
import { moduleAddress } from "../../base/types/address";
import { TestNode, cleanupNode, createHome, inferd, inferdOk, sleep, withNodeLogs } from "../support/node";
import { balance, ensureWorkerRegistered, homeSigner, jobIdFromEvents, queryClient, sendTx, spawnSidecar, waitForJob, type TestSidecar } from "../support/sidecar";

jest.setTimeout(180_000);

const mnemonic = (seed: string): string => Bip39.encode(sha256(new TextEncoder().encode(seed)).slice(0, 32)).toString();
const FUNDS = 1_000_000_000n;
const BOND = 100_000n;
const CHALLENGE_ACCOUNT = "challenge";

interface SlashEventJson {
  readonly validator: string;
  readonly kind: string;
  readonly fraction: string;
  readonly amount: string;
  readonly stake_at_risk: string;
  readonly jailed: boolean;
  readonly tombstoned: boolean;
  readonly reason: string;
}

describe("data availability: jobs by URI, data requests, a withholding worker", () => {
  let node: TestNode | undefined;
  let sidecar: TestSidecar | undefined;
  let origin: http.Server | undefined;
  let q: InferchainQueryClient & ChallengeExtension;
  let closeQuery = (): void => undefined;
  const failures = { count: 0 };
  const logged = (fn: () => Promise<void>): (() => Promise<void>) =>
    withNodeLogs(
      () => node,
      async () => {
        try {
          await fn();
        } catch (e) {
          if (sidecar && e instanceof Error) e.message += `\n\n${sidecar.logTail(40)}`;
          throw e;
        }
      },
      failures,
    );
  let client: { address: string; signer: DirectSecp256k1HdWallet; privkey: Uint8Array };
  let requester: { address: string; signer: DirectSecp256k1HdWallet };
  let worker: Awaited<ReturnType<typeof homeSigner>>;
  let operator: string;
  let mlp: Model;
  let dataAddress: string;
  /** What the client's origin serves, by path. */
  const served = new Map<string, Uint8Array>();
  let originUrl: string;

  const query = async <T>(...args: string[]): Promise<T> => JSON.parse(await inferdOk(["query", ...args, "--home", node!.h.home, "--output", "json"])) as T;
  const tokens = async (): Promise<bigint> => BigInt((await query<{ tokens: string }>("staking", "validator", operator)).tokens);

  /** A batch of `rows` rows of the MLP's input, quantized and encoded: the bytes a job by URI points at. */
  const inputBytes = (rows: number, seed: number): Uint8Array => {
    const data = Array.from({ length: rows * 16 }, (_, i) => Math.sin(i + seed) * 2);
    return encodeTensorList(quantizeTensors(parseTensorJson(JSON.stringify({ x: { dims: [rows, 16], data } }), mlp.inputs), mlp.quantScaleBits));
  };

  /** Serves `bytes` at a fresh path of the client's origin; submits a job by its URI and hash. */
  const submitByUri = async (bytes: Uint8Array, name: string): Promise<bigint> => {
    served.set(`/${name}`, bytes);
    const sub = await sendTx(node!.h.rpcUrl, client, [msgSubmitJob({ client: client.address, modelId: mlp.id, input: new Uint8Array(), inputUri: `${originUrl}/${name}`, inputSha256: sha256Hex(bytes), fee: "1000" })]);
    if (sub.code !== 0) throw new Error(`submit-job by URI refused: ${sub.codespace} ${sub.code} ${sub.log}`);
    return jobIdFromEvents(sub.events);
  };

  beforeAll(async () => {
    const w1 = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic("inferchain-it-da-client"), { prefix: "infer" });
    const w2 = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic("inferchain-it-da-requester"), { prefix: "infer" });
    const seed = await Bip39.mnemonicToSeed(new EnglishMnemonic(mnemonic("inferchain-it-da-client")));
    client = { address: (await w1.getAccounts())[0].address, signer: w1, privkey: Slip10.derivePath(Slip10Curve.Secp256k1, seed, makeCosmoshubPath(0)).privkey };
    requester = { address: (await w2.getAccounts())[0].address, signer: w2 };

    origin = http.createServer((req, res) => {
      const b = served.get(req.url ?? "");
      if (!b) res.writeHead(404).end();
      else res.writeHead(200, { "content-type": "application/octet-stream" }).end(Buffer.from(b));
    });
    await new Promise<void>((r) => origin!.listen(0, "127.0.0.1", () => r()));
    originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;

    const h = await createHome({ index: 3, accounts: [{ address: client.address, amount: FUNDS }, { address: requester.address, amount: FUNDS }] });
    // No random audits (a lone validator has nobody to verify: an audit would settle the job at
    // once and close its data-request window), and a long challenge window for the requests.
    const g = JSON.parse(fs.readFileSync(paths(h.home).genesis, "utf8")) as { app_state: Record<string, { params: Record<string, unknown> }> };
    Object.assign(g.app_state.challenge.params, { audit_rate_ppm: "1" });
    Object.assign(g.app_state.inference.params, { challenge_window_blocks: "60" });
    fs.writeFileSync(paths(h.home).genesis, JSON.stringify(g, null, 2));
    node = new TestNode(h);
    await node.start({ minHeight: 2 });
    await ensureWorkerRegistered(h.home, { rpcUrl: h.rpcUrl });
    worker = await homeSigner(h.home, "worker");
    const conn = await queryClient(h.rpcUrl);
    q = Object.assign(conn.q, setupChallengeExtension(conn.q));
    closeQuery = conn.close;
    mlp = (await q.inferchain.models.model("mlp-16x8"))!;
    operator = (await q.inferchain.staking.workerByAddress(worker.address))!.operatorAddress;
    dataAddress = `127.0.0.1:${h.ports.sidecarMetrics + 1}`;
  }, 180_000);

  afterAll(async () => {
    closeQuery();
    await sidecar?.stop();
    await new Promise<void>((r) => (origin ? origin.close(() => r()) : r()));
    await cleanupNode(node, failures.count > 0);
  });

  test("an honest worker fetches the input by URI, answers, serves it by hash, and provides it when asked", logged(async () => {
    sidecar = spawnSidecar(node!.h.home, { metricsAddress: `127.0.0.1:${node!.h.ports.sidecarMetrics}`, logFile: path.join(node!.h.dir, "sidecar.log"), args: ["--data-address", dataAddress] });
    await sidecar.ready();
    const bytes = inputBytes(20, 1);
    const id = await submitByUri(bytes, "honest.bin");
    const job = await waitForJob(q, id, (j) => j.status === JobStatus.JOB_STATUS_RESULT_POSTED, 60_000);
    expect(job).toMatchObject({ inputUri: `${originUrl}/honest.bin`, inputSha256: sha256Hex(bytes), cannotRun: false });
    expect(job.input.length).toBe(0);
    // The sealed result opens to what onnxruntime computes here on the same bytes.
    const opened = openSealedResult(job, mlp, client.privkey);
    const session = await openSession(await loadModelFile(mlp, defaultModelsDir()), DETERMINISTIC_SESSION_OPTIONS);
    try {
      const want = await runQuantized(session, mlp, decodeTensorList(bytes));
      expect(decodeTensorList(opened.output).map((t) => t.values)).toEqual(want.map((t) => t.values));
    } finally {
      await session.release();
    }
    // The worker keeps and serves the bytes by hash; nothing else.
    const got = await fetch(dataUrl(dataAddress, sha256Hex(bytes)));
    expect(got.status).toBe(200);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(bytes);
    expect((await fetch(dataUrl(dataAddress, "00".repeat(32)))).status).toBe(404);

    // Asked for the data: the sidecar posts it within da_response_blocks.
    const before = await tokens();
    // Spam: two requests for one job in one tx; the second is refused (one open request per
    // job), so the whole tx is, and nothing stays open or escrowed.
    const twice = await sendTx(node!.h.rpcUrl, client, [msgRequestData({ requester: client.address, jobId: id, bond: BOND }), msgRequestData({ requester: client.address, jobId: id, bond: BOND })]);
    expect([twice.codespace, twice.code]).toEqual(["challenge", 43]);
    expect(await q.challenge.dataRequest(id)).toBeUndefined();
    // Below data_request_bond: refused.
    const cheap = await sendTx(node!.h.rpcUrl, client, [msgRequestData({ requester: client.address, jobId: id, bond: BOND - 1n })]);
    expect([cheap.codespace, cheap.code]).toEqual(["challenge", 6]);
    const req = await sendTx(node!.h.rpcUrl, requester, [msgRequestData({ requester: requester.address, jobId: id, bond: BOND })]);
    expect([req.codespace, req.code]).toEqual(["", 0]);
    const dataRequested = req.events.find((e) => e.type === "data_requested");
    expect(Object.fromEntries(dataRequested!.attributes.map((a) => [a.key, a.value]))).toMatchObject({ worker: worker.address, operator, input_sha256: sha256Hex(bytes) });
    const provided = await waitForJob(q, id, (j) => j.input.length > 0, 30_000);
    expect(provided.input).toEqual(bytes);
    expect(await q.challenge.dataRequest(id)).toBeUndefined();
    // The bond went to the worker: nothing is left in the challenge account; nobody was slashed.
    expect(await balance(node!.h.rpcUrl, moduleAddress(CHALLENGE_ACCOUNT))).toBe(0n);
    expect(await tokens()).toBe(before);
    expect((await q.challenge.daIncidents(operator)).count).toBe(0n);
    expect(sidecar.log()).toMatch(/data request answered/);
    // Requesting data of a job whose input is on chain now is refused.
    const onChain = await sendTx(node!.h.rpcUrl, requester, [msgRequestData({ requester: requester.address, jobId: id, bond: BOND })]);
    expect([onChain.codespace, onChain.code]).toEqual(["challenge", 42]);
  }));

  test("the CLI: query models encode-input, infer --input-uri --wait, tx challenge request-data, query challenge da-incidents", logged(async () => {
    const home = node!.h.home;
    const file = path.join(node!.h.dir, "cli-input.bin");
    const enc = JSON.parse(await inferdOk(["query", "models", "encode-input", "--model", mlp.id, "--input", "examples/mlp-input.json", "--out", file, "--home", home, "--output", "json"])) as { sha256: string; bytes: number };
    const bytes = new Uint8Array(fs.readFileSync(file));
    expect(enc).toMatchObject({ sha256: sha256Hex(bytes), bytes: bytes.length });
    served.set("/cli.bin", bytes);
    // No --input-sha256: the CLI downloads, hashes and checks the bytes against the model.
    const out = JSON.parse(await inferdOk(["infer", "--model", mlp.id, "--input-uri", `${originUrl}/cli.bin`, "--from", "validator", "--wait", "--home", home, "--output", "json"], { timeoutMs: 120_000 })) as {
      job_id: string;
      status: string;
      output: unknown;
    };
    expect(out.status).toBe("JOB_STATUS_RESULT_POSTED");
    expect(out.output).not.toBeNull();
    const id = BigInt(out.job_id);
    expect((await q.inferchain.inference.job(id))!.inputSha256).toBe(sha256Hex(bytes));
    // A URI serving something else than a model input is refused before anything is paid.
    served.set("/junk.bin", new TextEncoder().encode("junk"));
    const junk = await inferd(["infer", "--model", mlp.id, "--input-uri", `${originUrl}/junk.bin`, "--from", "validator", "--home", home]);
    expect(junk.code).not.toBe(0);
    expect(junk.stderr).toMatch(/are not an input of mlp-16x8/);
    const tx = await inferd(["tx", "challenge", "request-data", id.toString(), "--from", "validator", "--yes", "--gas", "400000", "--fees", "10000uinf", "--home", home]);
    expect(tx.code).toBe(0);
    expect((await waitForJob(q, id, (j) => j.input.length > 0, 30_000)).input).toEqual(bytes);
    const inc = JSON.parse(await inferdOk(["query", "challenge", "da-incidents", operator, "--home", home, "--output", "json"])) as { incidents: string; max_da_incidents: number };
    expect(inc).toEqual({ validator: operator, incidents: "0", max_da_incidents: 10 });
  }));

  test("--fault withhold: runs the job, serves nothing, never provides; slashed 0.1% after da_response_blocks, the bond back", logged(async () => {
    await sidecar?.stop();
    sidecar = spawnSidecar(node!.h.home, {
      metricsAddress: `127.0.0.1:${node!.h.ports.sidecarMetrics}`,
      logFile: path.join(node!.h.dir, "sidecar-withhold.log"),
      args: ["--data-address", dataAddress, "--fault", "withhold"],
    });
    await sidecar.ready();
    const bytes = inputBytes(4, 2);
    const id = await submitByUri(bytes, "withheld.bin");
    await waitForJob(q, id, (j) => j.status === JobStatus.JOB_STATUS_RESULT_POSTED, 60_000);
    expect((await fetch(dataUrl(dataAddress, sha256Hex(bytes)))).status).toBe(404);

    const before = await tokens();
    const requesterBefore = await balance(node!.h.rpcUrl, requester.address);
    const req = await sendTx(node!.h.rpcUrl, requester, [msgRequestData({ requester: requester.address, jobId: id, bond: BOND })]);
    expect([req.codespace, req.code]).toEqual(["", 0]);
    const r = (await q.challenge.dataRequest(id))!;
    expect(r.deadlineHeight - r.requestedHeight).toBe(10n);
    // Expires at the end of its deadline block.
    const deadline = Date.now() + 60_000;
    while ((await q.challenge.dataRequest(id)) !== undefined) {
      if (Date.now() > deadline) throw new Error("the data request did not expire");
      await sleep(300);
    }
    const { events } = await query<{ events: SlashEventJson[] }>("slashing", "slash-events", "--validator", operator);
    const da = events.filter((e) => e.kind === "data_unavailable");
    expect(da).toHaveLength(1);
    expect(da[0]).toMatchObject({ validator: operator, jailed: false, tombstoned: false });
    expect(BigInt(da[0].amount)).toBe(BigInt(da[0].stake_at_risk) / 1000n);
    expect(await tokens()).toBe(before - before / 1000n);
    expect((await q.challenge.daIncidents(operator)).count).toBe(1n);
    // The requester got its bond back, plus the reporter reward, minus the request's fee.
    const requesterAfter = await balance(node!.h.rpcUrl, requester.address);
    const fee = 10_000n; // sendTx: 400000 gas × 0.025
    expect(requesterAfter).toBe(requesterBefore - fee + BigInt(da[0].amount) / 10n);
    expect(sidecar.log()).toMatch(/fault withhold: not providing the input/);
    // The job itself was answered as usual (withhold runs jobs).
    expect((await q.inferchain.inference.job(id))!.cannotRun).toBe(false);
  }));
});
