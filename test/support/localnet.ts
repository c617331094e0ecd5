/**
 * A localnet as users make it, for integration tests: `inferd localnet init` (the built CLI) in
 * a temp dir on free port indexes, funded keys in node0's keyring and genesis edits (params) made
 * before the first start and copied to every home, then `inferd localnet start --detach
 * --sidecar-fault I=MODE`. A test may stop a node's sidecar and start it again in another mode
 * (`inferd sidecar --fault`, same home, same log file), and read blocks' events, balances,
 * validators and slash records. Everything binds to 127.0.0.1; every process the localnet or
 * the test started is killed if the test process exits without stopping it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { QueryClient, createProtobufRpcClient, setupStakingExtension, type StakingExtension } from "@cosmjs/stargate";
import { connectComet, type CometClient } from "@cosmjs/tendermint-rpc";
import { QuerySlashEventsRequest, QuerySlashEventsResponse } from "../../gen/inferchain/slashing/v1/query";
import type { SlashEvent } from "../../gen/inferchain/slashing/v1/slashing";
import { paths, portsFor } from "../../client/home";
import { openKeyring } from "../../client/keyring";
import { setupChallengeExtension, type ChallengeExtension } from "../../client/challenge";
import { setupInferchainExtension, type InferchainExtension } from "../../client/queries";
import { accountOf, freeOffset, waitUntil } from "./network";
import { groupAlive, inferd, inferdOk, rpc, sleep } from "./node";
import { homeSigner, spawnSidecar, type TestSidecar } from "./sidecar";

export type { SlashEvent };

type Json = Record<string, unknown>;

export interface LocalnetOptions {
  readonly validators: number;
  /** Port indexes this localnet may take (see NetworkOptions.portRange for who uses which). */
  readonly portRange: readonly [number, number];
  /** Keys added to node0's keyring (test backend) and funded in genesis: name → uinf. */
  readonly accounts?: Readonly<Record<string, bigint>>;
  /** Edits genesis `app_state` (params) before the first start; every home gets the same genesis. */
  readonly appState?: (appState: Record<string, Json>) => void;
  /** `--sidecar-fault I=MODE` for `localnet start`. */
  readonly faults?: Readonly<Record<number, string>>;
  /** `--sidecar-fault-rate I=PPM`: node i fakes only that share of its jobs (with a worker fault mode). */
  readonly faultRates?: Readonly<Record<number, number>>;
  /** Nodes whose sidecars collude in one group (`--sidecar-collude I=<dir>/collude`, the group's directory inside the localnet's). */
  readonly collude?: readonly number[];
  readonly timeoutCommit?: string;
}

/** A genesis validator of the localnet, by node index. */
export interface LocalnetValidator {
  readonly index: number;
  /** infervaloper1… */
  readonly operator: string;
  /** infer1… (key "validator" in the node's home) */
  readonly account: string;
  /** infer1… the sidecar's hot key (key "worker") */
  readonly worker: string;
}

/** A block's events (its txs' and FinalizeBlock's), attributes as a map. */
export interface BlockEvent {
  readonly type: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export type LocalnetQueryClient = QueryClient & InferchainExtension & ChallengeExtension & StakingExtension;

interface StateFile {
  nodes: Array<{ index: number; pid: number; sidecarPid?: number; sidecarMetrics?: string }>;
}

const STATE_FILE = "localnet.json";
const DIR_PREFIX = "inferchain-ln";

function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // gone
  }
}

/** Localnet dirs whose processes this test process owns: killed on exit unless stopped first. */
const running = new Set<string>();
process.on("exit", () => {
  for (const dir of running) {
    try {
      const s = JSON.parse(fs.readFileSync(path.join(dir, STATE_FILE), "utf8")) as StateFile;
      for (const n of s.nodes) {
        killGroup(n.sidecarPid, "SIGKILL");
        killGroup(n.pid, "SIGKILL");
      }
    } catch {
      // never started, or stopped
    }
  }
});

export class Localnet {
  /** Sidecars this test started in place of the localnet's (node index → process). */
  private readonly replaced = new Map<number, TestSidecar>();
  /** The fault mode each node's sidecar runs in now ("" honest). */
  private readonly modes = new Map<number, string>();

  private constructor(
    readonly dir: string,
    readonly chainId: string,
    readonly offset: number,
    readonly validators: readonly LocalnetValidator[],
    /** Funded keys in node0's keyring: name → address. */
    readonly accounts: Readonly<Record<string, string>>,
  ) {}

  /** init, keys and genesis edits, `localnet start --detach`; resolves once every sidecar serves metrics. */
  static async start(o: LocalnetOptions): Promise<Localnet> {
    const offset = await freeOffset(o.validators, o.portRange);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${DIR_PREFIX}${offset}-`));
    const out = path.join(dir, "localnet");
    const chainId = `ln-${offset}`;
    await inferdOk(["localnet", "init", "--validators", String(o.validators), "--output", out, "--chain-id", chainId, "--timeout-commit", o.timeoutCommit ?? "300ms", "--port-offset", String(offset)], {
      timeoutMs: 120_000,
    });
    const homes = Array.from({ length: o.validators }, (_, i) => path.join(out, `node${i}`));
    const kr = await openKeyring({ home: homes[0], backend: "test" });
    const genesis = JSON.parse(fs.readFileSync(paths(homes[0]).genesis, "utf8")) as { app_state: Record<string, Json> };
    const accounts: Record<string, string> = {};
    const bank = genesis.app_state.bank as { balances: Array<{ address: string; coins: Array<{ denom: string; amount: string }> }> };
    for (const [name, amount] of Object.entries(o.accounts ?? {})) {
      const { info } = await kr.add(name);
      accounts[name] = info.address;
      bank.balances.push({ address: info.address, coins: [{ denom: "uinf", amount: amount.toString() }] });
    }
    o.appState?.(genesis.app_state);
    const text = JSON.stringify(genesis, null, 2) + "\n";
    for (const h of homes) fs.writeFileSync(paths(h).genesis, text);

    const staking = genesis.app_state.staking as { validators: Array<{ operator_address: string }> };
    const validators: LocalnetValidator[] = [];
    for (const [i, h] of homes.entries()) {
      const account = (await homeSigner(h, "validator")).address;
      const operator = staking.validators.find((v) => accountOf(v.operator_address) === account)?.operator_address;
      if (!operator) throw new Error(`node${i}'s validator key ${account} is not a genesis validator`);
      validators.push({ index: i, operator, account, worker: (await homeSigner(h, "worker")).address });
    }
    const net = new Localnet(out, chainId, offset, validators, accounts);
    const args = ["localnet", "start", "--output", out, "--detach", "--timeout", "150"];
    for (const [i, mode] of Object.entries(o.faults ?? {})) {
      args.push("--sidecar-fault", `${i}=${mode}`);
      net.modes.set(Number(i), mode);
    }
    for (const [i, ppm] of Object.entries(o.faultRates ?? {})) args.push("--sidecar-fault-rate", `${i}=${ppm}`);
    for (const i of o.collude ?? []) args.push("--sidecar-collude", `${i}=${net.collusionDir}`);
    running.add(out);
    const r = await inferd(args, { timeoutMs: 240_000 });
    if (r.code !== 0) {
      await net.stop(true);
      throw new Error(`localnet start failed\n${r.stdout}\n${r.stderr}`);
    }
    return net;
  }

  /** The directory of the localnet's colluding group (LocalnetOptions.collude). */
  get collusionDir(): string {
    return path.join(this.dir, "collude");
  }

  home(i: number): string {
    return path.join(this.dir, `node${i}`);
  }

  rpcUrl(i = 0): string {
    return `http://127.0.0.1:${portsFor(this.offset + i).rpc}`;
  }

  sidecarLogFile(i: number): string {
    return path.join(this.home(i), "sidecar.log");
  }

  sidecarLog(i: number): string {
    return fs.existsSync(this.sidecarLogFile(i)) ? fs.readFileSync(this.sidecarLogFile(i), "utf8") : "";
  }

  /** The node index of a validator by operator address. */
  indexOf(operator: string): number {
    const v = this.validators.find((x) => x.operator === operator);
    if (!v) throw new Error(`${operator} is not a validator of this localnet`);
    return v.index;
  }

  /** The mode node i's sidecar runs in ("" when honest). */
  mode(i: number): string {
    return this.modes.get(i) ?? "";
  }

  private state(): StateFile {
    return JSON.parse(fs.readFileSync(path.join(this.dir, STATE_FILE), "utf8")) as StateFile;
  }

  /** Stops node i's sidecar (the localnet's, or one this test started), waiting until it has exited. */
  async stopSidecar(i: number): Promise<void> {
    const mine = this.replaced.get(i);
    if (mine) {
      await mine.stop();
      this.replaced.delete(i);
      return;
    }
    const pid = this.state().nodes.find((n) => n.index === i)?.sidecarPid;
    // Each of the localnet's processes leads its own process group.
    if (pid === undefined || !groupAlive(pid)) return;
    killGroup(pid, "SIGTERM");
    const deadline = Date.now() + 15_000;
    while (groupAlive(pid) && Date.now() < deadline) await sleep(100);
    if (groupAlive(pid)) killGroup(pid, "SIGKILL");
  }

  /** Starts node i's sidecar again (its home, metrics port and log file), in `mode` or honest (and `extraArgs`, e.g. --collude); resolves once it is subscribed. */
  async startSidecar(i: number, mode = "", extraArgs: readonly string[] = []): Promise<TestSidecar> {
    await this.stopSidecar(i);
    const metricsAddress = `127.0.0.1:${portsFor(this.offset + i).metrics + 1}`;
    const s = spawnSidecar(this.home(i), { metricsAddress, logFile: this.sidecarLogFile(i), args: [...(mode ? ["--fault", mode] : []), ...extraArgs] });
    this.replaced.set(i, s);
    this.modes.set(i, mode);
    const before = this.sidecarLog(i).length;
    const deadline = Date.now() + 60_000;
    // Ready once this process (not the one before it in the same log) says it is subscribed.
    while (!/subscribed to new blocks/.test(this.sidecarLog(i).slice(before))) {
      if (!s.running) throw new Error(`node${i}'s sidecar exited\n${s.logTail()}`);
      if (Date.now() > deadline) throw new Error(`node${i}'s sidecar not subscribed in 60 s\n${s.logTail()}`);
      await sleep(150);
    }
    return s;
  }

  /** `inferd localnet stop`, then the sidecars this test started; the directory is removed unless `keep`. */
  async stop(keep = false): Promise<void> {
    for (const s of this.replaced.values()) await s.stop();
    this.replaced.clear();
    await inferd(["localnet", "stop", "--output", this.dir], { timeoutMs: 60_000 }).catch(() => undefined);
    running.delete(this.dir);
    const root = path.dirname(this.dir);
    if (keep || process.env.INFERCHAIN_KEEP_TEST_HOMES) process.stderr.write(`kept ${root} (logs: ${this.dir}/node*/{inferd,sidecar}.log)\n`);
    else fs.rmSync(root, { recursive: true, force: true });
  }

  /** A query client on node `via` with the inferchain, challenge and Cosmos staking extensions. */
  async connect(via = 0): Promise<{ q: LocalnetQueryClient; comet: CometClient }> {
    const comet = await connectComet(this.rpcUrl(via));
    const q = QueryClient.withExtensions(comet, setupInferchainExtension, setupChallengeExtension, setupStakingExtension);
    return { q, comet };
  }

  /** For a failing test's message: the last lines of every node's sidecar log that are warnings or errors. */
  sidecarTails(lines = 6): string {
    return this.validators
      .map((v) => {
        const notable = this.sidecarLog(v.index)
          .split("\n")
          .filter((l) => /"level":(40|50|60)/.test(l));
        return `--- node${v.index} sidecar (${this.mode(v.index) || "honest"}) ---\n${notable.slice(-lines).join("\n")}`;
      })
      .join("\n");
  }
}

// ---------------------------------------------------------------------------- reading the chain

/** Every event of block `height`: its txs' (successful or not) and FinalizeBlock's. */
export async function blockEvents(rpcUrl: string, height: bigint | number): Promise<BlockEvent[]> {
  type Ev = { type: string; attributes?: Array<{ key: string; value: string }> };
  const r = await rpc<{ txs_results: Array<{ events?: Ev[] }> | null; finalize_block_events?: Ev[] | null }>(rpcUrl, "block_results", { height: String(height) }, 15_000);
  const all = [...(r.txs_results ?? []).flatMap((t) => t.events ?? []), ...(r.finalize_block_events ?? [])];
  return all.map((e) => ({ type: e.type, attributes: Object.fromEntries((e.attributes ?? []).map((a) => [a.key, a.value])) }));
}

/** x/slashing's records of `operator` (every slash, oldest first). */
export async function slashEvents(q: QueryClient, operator: string): Promise<SlashEvent[]> {
  const r = createProtobufRpcClient(q);
  const res = QuerySlashEventsResponse.decode(
    await r.request("inferchain.slashing.v1.Query", "SlashEvents", QuerySlashEventsRequest.encode({ validator: operator, pagination: { key: new Uint8Array(), offset: 0n, limit: 1000n, countTotal: false, reverse: false } }).finish()),
  );
  return res.events;
}

/** A validator's bonded tokens and jailed flag (Cosmos staking query). */
export async function validatorState(q: StakingExtension, operator: string): Promise<{ tokens: bigint; jailed: boolean }> {
  const v = (await q.staking.validator(operator)).validator!;
  return { tokens: BigInt(v.tokens), jailed: v.jailed };
}

/** Polls `check` every `intervalMs` until it returns something other than undefined. */
export function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 120_000, intervalMs = 250): Promise<T> {
  return waitUntil(what, check, timeoutMs, intervalMs);
}
