/**
 * Sidecars and jobs for integration tests: `inferd sidecar` (built dist/) as a child process
 * of a test home, the home's worker registration, and CosmJS helpers that sign inference
 * messages and read their result codes whichever stage (CheckTx or the block) refuses them.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { OfflineDirectSigner } from "@cosmjs/proto-signing";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { GasPrice, SigningStargateClient, StargateClient } from "@cosmjs/stargate";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { broadcastTxSync, waitForTx } from "../../client/broadcast";
import { connectQueryClient, JobStatus, type InferchainQueryClient, type Job } from "../../client/queries";
import { inferchainRegistry, msgSubmitJob, msgSubmitResult } from "../../client/registry";
import { openKeyring } from "../../client/keyring";
import { ensureWorkerRegistered } from "../../client/worker";
import { resultCommitment, sealOutput } from "../../x/inference/seal";
import { INFERD, REPO_ROOT, sleep } from "./node";

export { ensureWorkerRegistered };

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of live) {
    try {
      process.kill(-c.pid!, "SIGKILL");
    } catch {
      // gone
    }
  }
});

export class TestSidecar {
  private exited: Promise<number | string>;

  constructor(
    readonly child: ChildProcess,
    readonly logFile: string,
    readonly metricsAddress: string,
  ) {
    live.add(child);
    this.exited = new Promise((r) => child.once("exit", (code, sig) => r(code ?? sig ?? "unknown")));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until /metrics answers (models loaded, subscribed soon after). */
  async ready(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`sidecar exited\n${this.logTail()}`);
      const ok = await fetch(`http://${this.metricsAddress}/metrics`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
      if (ok && /subscribed to new blocks/.test(this.log())) return;
      if (Date.now() > deadline) throw new Error(`sidecar not ready in ${timeoutMs} ms\n${this.logTail()}`);
      await sleep(200);
    }
  }

  async metrics(): Promise<string> {
    return (await fetch(`http://${this.metricsAddress}/metrics`)).text();
  }

  log(): string {
    return fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, "utf8") : "";
  }

  logTail(lines = 30): string {
    return `--- last lines of ${this.logFile} ---\n${this.log().split("\n").slice(-lines).join("\n")}`;
  }

  async stop(): Promise<void> {
    if (this.running) {
      this.child.kill("SIGTERM");
      const t = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
      await this.exited;
      clearTimeout(t);
    }
    live.delete(this.child);
  }
}

/** `inferd sidecar --home H …` in its own process group, output in `logFile`. */
export function spawnSidecar(home: string, o: { metricsAddress: string; logFile: string; args?: readonly string[] }): TestSidecar {
  const fd = fs.openSync(o.logFile, "a");
  const child = spawn(process.execPath, [INFERD, "sidecar", "--home", home, "--metrics-address", o.metricsAddress, ...(o.args ?? [])], {
    cwd: REPO_ROOT,
    stdio: ["ignore", fd, fd],
    detached: true,
  });
  fs.closeSync(fd);
  return new TestSidecar(child, o.logFile, o.metricsAddress);
}

export async function homeSigner(home: string, key: string): Promise<{ address: string; signer: OfflineDirectSigner }> {
  const kr = await openKeyring({ home, backend: "test" });
  const info = await kr.show(key);
  return { address: info.address, signer: await kr.signer(info.name) };
}

export interface TxOutcome {
  readonly code: number;
  readonly codespace: string;
  readonly log: string;
  readonly height?: number;
  readonly hash: string;
  readonly events: ReadonlyArray<{ type: string; attributes: ReadonlyArray<{ key: string; value: string }> }>;
}

/** Signs with a fixed gas, broadcasts and waits: the code of CheckTx if it refused, else of the block. */
export async function sendTx(rpcUrl: string, s: { address: string; signer: OfflineDirectSigner }, messages: Parameters<SigningStargateClient["sign"]>[1], gas = 400_000): Promise<TxOutcome> {
  const client = await SigningStargateClient.connectWithSigner(rpcUrl, s.signer, { registry: inferchainRegistry(), gasPrice: GasPrice.fromString("0.025uinf") });
  try {
    const raw = await client.sign(s.address, messages, { amount: [{ denom: "uinf", amount: String(Math.ceil(gas * 0.025)) }], gas: String(gas) }, "");
    const r = await broadcastTxSync(rpcUrl, TxRaw.encode(raw).finish());
    if (r.code !== 0) return { code: r.code, codespace: r.codespace, log: r.log, hash: r.hash, events: [] };
    const tx = await waitForTx(client, r.hash, 30_000);
    if (!tx) throw new Error(`tx ${r.hash} not included`);
    const raw2 = (await (await fetch(`${rpcUrl}/tx?hash=0x${r.hash}`)).json()) as { result?: { tx_result?: { codespace?: string } } };
    const codespace = raw2.result?.tx_result?.codespace ?? "";
    return { code: tx.code, codespace, log: tx.rawLog, height: tx.height, hash: r.hash, events: tx.events };
  } finally {
    client.disconnect();
  }
}

export function submitJobMsg(client: string, modelId: string, input: Uint8Array, fee: bigint) {
  return msgSubmitJob({ client, modelId, input, inputUri: "", inputSha256: "", fee: fee.toString() });
}

/** MsgSubmitResult as a worker posts it: `output` sealed to `job.clientPubkey` with a fresh ephemeral key and salt. */
export function submitResultMsg(worker: string, job: { readonly id: bigint; readonly clientPubkey: Uint8Array }, output: Uint8Array, cannotRun = false, reason = "") {
  const salt = new Uint8Array(randomBytes(32));
  const commitment = resultCommitment(job.id, worker, output, salt);
  return msgSubmitResult({ worker, jobId: job.id, commitment, sealedOutput: sealOutput(job.id, job.clientPubkey, output, salt, secp256k1.utils.randomSecretKey()), cannotRun, reason });
}

export function jobIdFromEvents(events: TxOutcome["events"]): bigint {
  const e = events.find((x) => x.type === "job_submitted");
  const v = e?.attributes.find((a) => a.key === "job_id")?.value;
  if (!v) throw new Error("no job_submitted event");
  return BigInt(v);
}

/** Polls the Job query until `pred` holds. */
export async function waitForJob(q: InferchainQueryClient, id: bigint, pred: (j: Job) => boolean, timeoutMs = 60_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  let last: Job | undefined;
  for (;;) {
    last = await q.inferchain.inference.job(id).catch(() => undefined);
    if (last && pred(last)) return last;
    if (Date.now() > deadline) throw new Error(`job ${id}: condition not met in ${timeoutMs} ms; last status ${last ? JobStatus[last.status] : "none"}`);
    await sleep(150);
  }
}

export async function queryClient(rpcUrl: string): Promise<{ q: InferchainQueryClient; close: () => void }> {
  const { comet, query } = await connectQueryClient(rpcUrl);
  return { q: query, close: () => comet.disconnect() };
}

export async function balance(rpcUrl: string, address: string): Promise<bigint> {
  const c = await StargateClient.connect(rpcUrl);
  try {
    return BigInt((await c.getBalance(address, "uinf")).amount);
  } finally {
    c.disconnect();
  }
}

export const sidecarLogFile = (dir: string, name = "sidecar.log"): string => path.join(dir, name);
