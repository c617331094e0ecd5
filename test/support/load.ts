/**
 * Mixed load for multi-node runs (the chaos benchmark and the determinism tests): a 4-validator
 * localnet with a sidecar per validator, and "lanes" (funded genesis keys) that each send one
 * signed tx at a time (bank sends, delegations, undelegations, inference jobs) to a random live
 * node and wait for it in a block. Every tx a lane saw in a block (its hash and height) is
 * recorded: those are the txs the audits (./chaos) require on every node at that height.
 *
 * Lanes send one tx at a time and never spend coins they received in the same block, so the
 * load has no same-block dependent txs (issue 7, finding 1 has its own property test).
 */
import fs from "node:fs";
import path from "node:path";
import { sha256 } from "@cosmjs/crypto";
import type { EncodeObject } from "@cosmjs/proto-signing";
import { BaseAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { QueryAccountRequest, QueryAccountResponse } from "cosmjs-types/cosmos/auth/v1beta1/query";
import { paths } from "../../client/home";
import { MsgSubmitJob } from "../../gen/inferchain/inference/v1/tx";
import { encodeTensorList } from "../../x/models/tensor";
import type { Model } from "../../x/models/types";
import { inferchainRegistry, MSG_SUBMIT_JOB } from "../../client/registry";
import { parseTensorJson, quantizeTensors } from "../../lib/tensors";
import { broadcastTxSync } from "../../client/broadcast";
import { TestNetwork, type NetworkOptions } from "./network";
import { REPO_ROOT, rpc, sleep } from "./node";
import { ensureWorkerRegistered, queryClient, spawnSidecar, type TestSidecar } from "./sidecar";
import { signTxFast, testKey, type TestKey } from "./txs";
import { mulberry32 } from "./rng";

export const DENOM = "uinf";
export const MSG_SEND = "/cosmos.bank.v1beta1.MsgSend";
export const MSG_DELEGATE = "/cosmos.staking.v1beta1.MsgDelegate";
export const MSG_UNDELEGATE = "/cosmos.staking.v1beta1.MsgUndelegate";
export { MSG_SUBMIT_JOB };
export const MSG_SUBMIT_RESULT = "/inferchain.inference.v1.MsgSubmitResult";

export type LoadKind = "send" | "delegate" | "undelegate" | "job";
export const LOAD_KINDS: readonly LoadKind[] = ["send", "delegate", "undelegate", "job"];


// ---------------------------------------------------------------------------- the network

export interface LoadNetworkOptions {
  readonly portRange: readonly [number, number];
  /** Lanes (funded genesis keys), one tx in flight each. */
  readonly lanes: number;
  readonly timeoutCommit?: string;
  /** CometBFT timeout_propose: a dead proposer costs this much before round 1. */
  readonly timeoutPropose?: string;
  /** Key seeds are laneSeedBase + i (distinct per test file so parallel runs never share keys). */
  readonly laneSeedBase: number;
  readonly sidecars?: boolean;
  /**
   * Slashing's liveness window: the default (20 blocks) jails a validator that is down for a
   * few seconds of 150 ms blocks; a chaos run kills validators on purpose and wants to see
   * consensus and state under faults, not a shrinking validator set.
   */
  readonly signedBlocksWindow?: number;
  readonly log?: (msg: string) => void;
}

export interface LoadNetwork {
  readonly net: TestNetwork;
  readonly lanes: readonly TestKey[];
  /** Sidecar of validator i (or undefined without sidecars). */
  readonly sidecars: Array<TestSidecar | undefined>;
  readonly model: Model;
  readonly jobInput: Uint8Array;
  stop(keep: boolean): Promise<void>;
}

const LANE_FUNDS = 1_000_000_000_000n;

/** `localnet init` (4 validators), lanes funded in genesis, liveness window widened, nodes and sidecars started. */
export async function startLoadNetwork(o: LoadNetworkOptions): Promise<LoadNetwork> {
  const log = o.log ?? ((): void => undefined);
  const lanes = await Promise.all(Array.from({ length: o.lanes }, (_, i) => testKey(o.laneSeedBase + i)));
  const opts: NetworkOptions = {
    validators: 4,
    portRange: o.portRange,
    timeoutCommit: o.timeoutCommit ?? "150ms",
    accounts: lanes.map((k) => ({ address: k.address, amount: LANE_FUNDS })),
    cometConfig: {
      "consensus.timeout_propose": o.timeoutPropose ?? "1s",
      "consensus.timeout_propose_delta": "200ms",
      // The default mempool recheck and broadcast are kept; the lanes' txs are small.
    },
  };
  const net = await TestNetwork.create(opts);
  const sidecars: Array<TestSidecar | undefined> = [];
  try {
    const window = BigInt(o.signedBlocksWindow ?? 2000);
    for (const node of net.nodes) {
      const file = paths(node.h.home).genesis;
      const g = JSON.parse(fs.readFileSync(file, "utf8")) as { app_state: { slashing: { params: Record<string, unknown> } } };
      g.app_state.slashing.params.signed_blocks_window = window.toString();
      fs.writeFileSync(file, JSON.stringify(g, null, 2) + "\n");
    }
    log(`localnet in ${net.dir} (chain ${net.chainId}); starting 4 validators`);
    await net.start([0, 1, 2, 3], 2, 180_000);
    const { q, close } = await queryClient(net.rpcUrl(0));
    let model: Model;
    try {
      model = (await q.inferchain.models.model("mlp-16x8"))!;
    } finally {
      close();
    }
    const json = fs.readFileSync(path.join(REPO_ROOT, "examples", "mlp-input.json"), "utf8");
    const jobInput = encodeTensorList(quantizeTensors(parseTensorJson(json, model.inputs), model.quantScaleBits));
    if (o.sidecars ?? true) {
      for (const [i, node] of net.nodes.entries()) {
        await ensureWorkerRegistered(node.h.home, { rpcUrl: node.h.rpcUrl });
        sidecars[i] = spawnSidecar(node.h.home, { metricsAddress: `127.0.0.1:${node.h.ports.sidecarMetrics}`, logFile: path.join(node.h.home, "sidecar.log") });
      }
      await Promise.all(sidecars.map((s) => s?.ready(120_000)));
      log("4 sidecars ready");
    }
    return {
      net,
      lanes,
      sidecars,
      model,
      jobInput,
      async stop(keep: boolean): Promise<void> {
        await Promise.all(sidecars.map((s) => s?.stop()));
        await net.stop(keep);
      },
    };
  } catch (e) {
    await Promise.all(sidecars.map((s) => s?.stop()));
    await net.stop(true);
    throw e;
  }
}

// ---------------------------------------------------------------------------- the load

/** A tx a lane saw in a block: it must be at that height on every node from then on. */
export interface CommittedTx {
  readonly hash: string;
  readonly height: number;
  readonly kind: LoadKind;
  readonly code: number;
  readonly codespace: string;
  readonly log: string;
}

export interface LoadStats {
  /** Broadcasts CheckTx accepted, by kind. */
  readonly accepted: Record<LoadKind, number>;
  /** In a block with code 0, by kind. */
  readonly ok: Record<LoadKind, number>;
  /** In a block with a non-zero code: "kind codespace/code: log" → count. */
  readonly failed: Map<string, number>;
  /** Refused by CheckTx: "kind codespace/code" → count. */
  readonly refused: Map<string, number>;
  /** Accepted by CheckTx but not seen in a block within the wait (the node died with it in its mempool, or it was evicted). */
  unconfirmed: number;
  /** Transport errors (node down) on broadcast. */
  transportErrors: number;
}

export interface MixedLoadOptions {
  readonly chainId: string;
  /** RPC URLs of the nodes that are up now (called before every broadcast and lookup). */
  readonly liveRpcUrls: () => readonly string[];
  readonly lanes: readonly TestKey[];
  /** Operator addresses to delegate to. */
  readonly validators: readonly string[];
  readonly model: Pick<Model, "id" | "minFee">;
  readonly jobInput: Uint8Array;
  readonly seed: number;
  /** How long a lane waits for its tx in a block before re-reading its sequence. */
  readonly inclusionTimeoutMs?: number;
  readonly log?: (msg: string) => void;
}

const GAS = 400_000n;
const FEE = 10_000n; // GAS × 0.025

const emptyCounts = (): Record<LoadKind, number> => ({ send: 0, delegate: 0, undelegate: 0, job: 0 });

async function abciAccount(rpcUrl: string, address: string): Promise<{ accountNumber: bigint; sequence: bigint }> {
  const r = await rpc<{ response: { code: number; log: string; value: string | null } }>(
    rpcUrl,
    "abci_query",
    { path: "/cosmos.auth.v1beta1.Query/Account", data: Buffer.from(QueryAccountRequest.encode({ address }).finish()).toString("hex"), prove: false },
    3000,
  );
  if (r.response.code !== 0) throw new Error(`account ${address}: code ${r.response.code} ${r.response.log}`);
  const acc = BaseAccount.decode(QueryAccountResponse.decode(Buffer.from(r.response.value ?? "", "base64")).account!.value);
  return { accountNumber: acc.accountNumber, sequence: acc.sequence };
}

/** The tx at `hash` (upper-case hex) as the node's indexer has it, or undefined. */
async function lookupTx(rpcUrl: string, hash: string): Promise<{ height: number; code: number; codespace: string; log: string } | undefined> {
  try {
    const r = await rpc<{ height: string; tx_result: { code: number; codespace?: string; log?: string } }>(rpcUrl, "tx", { hash: Buffer.from(hash, "hex").toString("base64") }, 3000);
    return { height: Number(r.height), code: r.tx_result.code, codespace: r.tx_result.codespace ?? "", log: r.tx_result.log ?? "" };
  } catch {
    return undefined;
  }
}

/**
 * The lanes of a mixed load. `start()` runs them until `stop()`; `committed` grows as txs land.
 * Each lane cycles send → delegate → job → send → undelegate → job (from a random offset), to a
 * random live node, so every kind is in flight all the time.
 */
export class MixedLoad {
  readonly committed: CommittedTx[] = [];
  readonly stats: LoadStats = { accepted: emptyCounts(), ok: emptyCounts(), failed: new Map(), refused: new Map(), unconfirmed: 0, transportErrors: 0 };
  private stopped = false;
  private running: Promise<void>[] = [];
  private readonly rand: () => number;
  private readonly registry = inferchainRegistry();

  constructor(readonly o: MixedLoadOptions) {
    this.rand = mulberry32(o.seed);
  }

  start(): void {
    this.stopped = false;
    this.running = this.o.lanes.map((k, i) => this.lane(k, i));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.running);
  }

  /** Committed txs with code 0, by kind. */
  okCounts(): Record<LoadKind, number> {
    return { ...this.stats.ok };
  }

  summary(): string {
    const s = this.stats;
    const kinds = LOAD_KINDS.map((k) => `${k} ${s.ok[k]}/${s.accepted[k]}`).join(", ");
    const top = (m: Map<string, number>): string =>
      [...m.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([k, n]) => `${n}× ${k}`)
        .join("; ") || "none";
    return `committed ok/accepted: ${kinds}; failed in block: ${top(s.failed)}; refused by CheckTx: ${top(s.refused)}; unconfirmed ${s.unconfirmed}; transport errors ${s.transportErrors}`;
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rand() * xs.length)];
  }

  private liveUrl(): string | undefined {
    const urls = this.o.liveRpcUrls();
    return urls.length === 0 ? undefined : this.pick(urls);
  }

  private async account(address: string): Promise<{ accountNumber: bigint; sequence: bigint } | undefined> {
    for (let tries = 0; tries < 20 && !this.stopped; tries++) {
      const url = this.liveUrl();
      if (url) {
        try {
          return await abciAccount(url, address);
        } catch {
          // that node is going down or catching up
        }
      }
      await sleep(300);
    }
    return undefined;
  }

  private async lane(key: TestKey, laneIndex: number): Promise<void> {
    const plan: LoadKind[] = ["send", "delegate", "job", "send", "undelegate", "job"];
    let step = laneIndex;
    /** uinf this lane has delegated (committed, code 0) per validator. */
    const delegated = new Map<string, bigint>();
    let acct = await this.account(key.address);
    while (!this.stopped) {
      if (!acct) {
        acct = await this.account(key.address);
        continue;
      }
      let kind = plan[step++ % plan.length];
      const withStake = [...delegated.entries()].filter(([, a]) => a >= 2_000n);
      if (kind === "undelegate" && withStake.length === 0) kind = "delegate";
      let msg: EncodeObject;
      let onOk: () => void = () => undefined;
      if (kind === "send") {
        const to = this.pick(this.o.lanes).address;
        msg = { typeUrl: MSG_SEND, value: { fromAddress: key.address, toAddress: to, amount: [{ denom: DENOM, amount: String(1 + Math.floor(this.rand() * 1000)) }] } };
      } else if (kind === "delegate") {
        const v = this.pick(this.o.validators);
        const amount = BigInt(10_000 + Math.floor(this.rand() * 90_000));
        msg = { typeUrl: MSG_DELEGATE, value: { delegatorAddress: key.address, validatorAddress: v, amount: { denom: DENOM, amount: amount.toString() } } };
        onOk = () => delegated.set(v, (delegated.get(v) ?? 0n) + amount);
      } else if (kind === "undelegate") {
        const [v, have] = this.pick(withStake);
        const amount = have / 2n;
        msg = { typeUrl: MSG_UNDELEGATE, value: { delegatorAddress: key.address, validatorAddress: v, amount: { denom: DENOM, amount: amount.toString() } } };
        onOk = () => delegated.set(v, have - amount);
      } else {
        const fee = this.o.model.minFee + BigInt(Math.floor(this.rand() * 1000));
        msg = { typeUrl: MSG_SUBMIT_JOB, value: MsgSubmitJob.fromPartial({ client: key.address, modelId: this.o.model.id, input: this.o.jobInput, fee: fee.toString() }) };
      }
      const tx = await signTxFast(key, [this.registry.encodeAsAny(msg)], { chainId: this.o.chainId, accountNumber: acct.accountNumber, sequence: acct.sequence, gas: GAS, fee: FEE });
      const hash = Buffer.from(sha256(tx)).toString("hex").toUpperCase();
      const url = this.liveUrl();
      if (!url) {
        await sleep(300);
        continue;
      }
      let check;
      try {
        check = await broadcastTxSync(url, tx, 5000);
      } catch {
        this.stats.transportErrors++;
        await sleep(200);
        acct = await this.account(key.address);
        continue;
      }
      if (check.code !== 0) {
        const k = `${kind} ${check.codespace}/${check.code}`;
        this.stats.refused.set(k, (this.stats.refused.get(k) ?? 0) + 1);
        await sleep(200);
        acct = await this.account(key.address);
        continue;
      }
      this.stats.accepted[kind]++;
      const found = await this.waitForBlock(hash);
      if (!found) {
        this.stats.unconfirmed++;
        acct = await this.account(key.address);
        continue;
      }
      this.committed.push({ hash, height: found.height, kind, code: found.code, codespace: found.codespace, log: found.log });
      if (found.code === 0) {
        this.stats.ok[kind]++;
        onOk();
      } else {
        const k = `${kind} ${found.codespace}/${found.code}: ${found.log.slice(0, 120)}`;
        this.stats.failed.set(k, (this.stats.failed.get(k) ?? 0) + 1);
      }
      acct = { accountNumber: acct.accountNumber, sequence: acct.sequence + 1n };
    }
  }

  /** Polls live nodes' tx index for `hash`; undefined after the inclusion timeout (or on stop, after a last grace period). */
  private async waitForBlock(hash: string): Promise<{ height: number; code: number; codespace: string; log: string } | undefined> {
    const deadline = Date.now() + (this.o.inclusionTimeoutMs ?? 20_000);
    let stopDeadline: number | undefined;
    for (;;) {
      const url = this.liveUrl();
      if (url) {
        const r = await lookupTx(url, hash);
        if (r) return r;
      }
      if (this.stopped) stopDeadline ??= Date.now() + 3000;
      if (Date.now() > deadline || (stopDeadline !== undefined && Date.now() > stopDeadline)) return undefined;
      await sleep(250);
    }
  }
}
