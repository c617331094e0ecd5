/**
 * Runs a localnet written by `inferd localnet init`: one `inferd start` per home, each with
 * its own log file, natively (no containers), and once blocks are made one `inferd sidecar`
 * per validator (its worker registered first, log DIR/nodeI/sidecar.log). The pids go to
 * DIR/localnet.json so that `inferd localnet stop` can end a network started elsewhere or
 * with --detach; every process runs in its own process group, stopped whole.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parse as parseToml } from "smol-toml";
import { CliError } from "../client/errors";
import { VALIDATOR_KEY } from "../client/home";
import { paths, portsFor, readClientConfig, setTomlValues, type Ports } from "../client/home";
import { initHome, readGenesis, runCometbft, writeGenesis } from "../server/home";
import { openKeyring } from "../client/keyring";
import { ensureWorkerRegistered } from "../client/worker";
import { defaultSidecarMetricsAddress } from "./commands/sidecar";

export interface LocalnetNode {
  readonly index: number;
  readonly home: string;
  readonly pid: number;
  readonly log: string;
  readonly rpc: string;
  sidecarPid?: number;
  sidecarLog?: string;
  sidecarMetrics?: string;
}

const STATE_FILE = "localnet.json";
const INFERD = path.join(__dirname, "inferd.js");

export function localnetHomes(dir: string): string[] {
  if (!fs.existsSync(dir)) throw new CliError(`${dir} does not exist: run \`inferd localnet init --output ${dir}\` first`);
  const homes = fs
    .readdirSync(dir)
    .filter((d) => /^node[0-9]+$/.test(d))
    .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)))
    .map((d) => path.join(dir, d));
  if (homes.length === 0) throw new CliError(`no node homes in ${dir}`);
  return homes;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function runningNodes(dir: string): LocalnetNode[] {
  const file = path.join(dir, STATE_FILE);
  if (!fs.existsSync(file)) return [];
  const nodes = (JSON.parse(fs.readFileSync(file, "utf8")) as { nodes: LocalnetNode[] }).nodes;
  return nodes.filter((n) => alive(n.pid));
}

async function height(rpc: string): Promise<bigint> {
  try {
    const res = await fetch(`${rpc}/status`, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { result?: { sync_info?: { latest_block_height?: string } } };
    return BigInt(body.result?.sync_info?.latest_block_height ?? "0");
  } catch {
    return -1n;
  }
}

/** Starts every node detached from this terminal's process group, so stop() can end each group whole. */
export function startLocalnet(dir: string): LocalnetNode[] {
  if (runningNodes(dir).length > 0) throw new CliError(`a localnet is already running from ${dir} (inferd localnet stop --output ${dir})`);
  const nodes = localnetHomes(dir).map((home, index) => {
    const log = path.join(home, "inferd.log");
    const pid = spawnDetached(["start", "--home", home], log);
    const rpc = (readClientConfig(home)?.node ?? `tcp://127.0.0.1:${portsFor(index).rpc}`).replace(/^tcp:\/\//, "http://");
    return { index, home, pid, log, rpc };
  });
  writeState(dir, nodes);
  return nodes;
}

/** Waits until every node has committed `minHeight` blocks. */
export async function waitForBlocks(nodes: readonly LocalnetNode[], minHeight: bigint, timeoutMs: number): Promise<bigint[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const heights = await Promise.all(nodes.map((n) => height(n.rpc)));
    if (heights.every((h) => h >= minHeight)) return heights;
    const dead = nodes.filter((n) => !alive(n.pid));
    if (dead.length > 0) throw new CliError(`node${dead[0].index} exited; see ${dead[0].log}`);
    if (Date.now() > deadline) throw new CliError(`no blocks after ${timeoutMs / 1000}s (heights ${heights.join(", ")}); see ${nodes[0].log}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function writeState(dir: string, nodes: readonly LocalnetNode[]): void {
  fs.writeFileSync(path.join(dir, STATE_FILE), JSON.stringify({ nodes }, null, 2) + "\n");
}

/** Spawns `inferd <args>` detached in its own process group, output appended to `log`. */
function spawnDetached(args: string[], log: string): number {
  const fd = fs.openSync(log, "a");
  const child = spawn(process.execPath, [INFERD, ...args], { stdio: ["ignore", fd, fd], detached: true });
  fs.closeSync(fd);
  child.unref();
  return child.pid!;
}

function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return `(no ${file})`;
  }
}

/**
 * Registers each node's worker key (when genesis did not) and starts its sidecar; waits until
 * every sidecar serves metrics, which it does once its models are loaded.
 */
/** Homes made by `localnet add-node` are full nodes without a worker key: no sidecar for them. */
export function hasWorkerKey(home: string): boolean {
  return fs.existsSync(path.join(home, "keyring-test", "worker.json"));
}

export async function startSidecars(dir: string, all: LocalnetNode[], o: { extraArgs?: (n: LocalnetNode) => string[]; timeoutMs?: number } = {}): Promise<void> {
  const nodes = all.filter((n) => hasWorkerKey(n.home));
  await Promise.all(nodes.map((n) => ensureWorkerRegistered(n.home, { rpcUrl: n.rpc })));
  for (const n of nodes) {
    n.sidecarLog = path.join(n.home, "sidecar.log");
    n.sidecarMetrics = defaultSidecarMetricsAddress(n.home);
    n.sidecarPid = spawnDetached(["sidecar", "--home", n.home, "--metrics-address", n.sidecarMetrics, ...(o.extraArgs?.(n) ?? [])], n.sidecarLog);
  }
  writeState(dir, nodes);
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  for (const n of nodes) {
    for (;;) {
      const ok = await fetch(`http://${n.sidecarMetrics}/metrics`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
      if (ok) break;
      if (!alive(n.sidecarPid!)) throw new CliError(`node${n.index}'s sidecar exited; see ${n.sidecarLog}:\n${tail(n.sidecarLog!)}`);
      if (Date.now() > deadline) throw new CliError(`node${n.index}'s sidecar not ready; see ${n.sidecarLog}:\n${tail(n.sidecarLog!)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function signalGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}

/** SIGTERM to each sidecar's and node's process group (inferd and its cometbft), SIGKILL after a grace period. */
export async function stopLocalnet(dir: string, graceMs = 10_000): Promise<number> {
  const file = path.join(dir, STATE_FILE);
  const all = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as { nodes: LocalnetNode[] }).nodes : [];
  const pids = all.flatMap((n) => [n.sidecarPid, n.pid]).filter((p): p is number => p !== undefined && alive(p));
  for (const n of all) signalGroup(n.sidecarPid, "SIGTERM");
  for (const n of all) signalGroup(n.pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  for (const p of pids.filter(alive)) signalGroup(p, "SIGKILL");
  fs.rmSync(file, { force: true });
  return all.filter((n) => pids.includes(n.pid)).length;
}

/** The port index of a home (its RPC port is 26657 + 100·index), read from its config.toml. */
export function portIndexOf(home: string): number {
  const cfg = parseToml(fs.readFileSync(paths(home).cometConfig, "utf8")) as { rpc?: { laddr?: unknown } };
  const rpc = /:([0-9]+)$/.exec(String(cfg.rpc?.laddr ?? ""));
  if (!rpc) throw new CliError(`cannot read the RPC address of ${home}`);
  const off = Number(rpc[1]) - portsFor(0).rpc;
  if (off < 0 || off % 100 !== 0) throw new CliError(`${home}: RPC port ${rpc[1]} is not on the localnet port layout`);
  return off / 100;
}

export interface AddNodeOptions {
  readonly moniker?: string;
  /**
   * A priv_validator_key.json to sign with instead of the node's own fresh key. Another running
   * node with the same key makes the two double-sign: for slashing tests only.
   */
  readonly privValidatorKey?: string;
  readonly timeoutCommit?: string;
}

export interface AddedNode {
  readonly home: string;
  readonly index: number;
  readonly nodeId: string;
  readonly ports: Ports;
  /** The new home's operator key `validator` (not funded: send it coins, then `tx staking create-validator`). */
  readonly account: string;
}

/**
 * A full node (not a validator) for an existing localnet: home DIR/nodeN with the network's
 * genesis, every existing node as a persistent peer, the next port index, and an operator key
 * `validator` in its test keyring (mnemonic beside it) so it can become a validator later with
 * `inferd tx staking create-validator`.
 */
export async function addLocalnetNode(dir: string, o: AddNodeOptions = {}): Promise<AddedNode> {
  const homes = localnetHomes(dir);
  const n = homes.length;
  const home = path.join(dir, `node${n}`);
  const index = Math.max(...homes.map(portIndexOf)) + 1;
  const genesis = readGenesis(homes[0]);
  const { nodeId } = initHome({ home, moniker: o.moniker ?? `node${n}`, chainId: genesis.chain_id, index, timeoutCommit: o.timeoutCommit ?? readTimeoutCommit(homes[0]) });
  writeGenesis(home, genesis);
  const peers = homes.map((h) => `${runCometbft(["show-node-id", "--home", h]).trim()}@127.0.0.1:${portsFor(portIndexOf(h)).p2p}`).join(",");
  const file = paths(home).cometConfig;
  fs.writeFileSync(file, setTomlValues(fs.readFileSync(file, "utf8"), { "p2p.persistent_peers": peers }));
  if (o.privValidatorKey) {
    const key = JSON.parse(fs.readFileSync(o.privValidatorKey, "utf8")) as { pub_key?: { value?: string }; priv_key?: { value?: string } };
    if (!key.pub_key?.value || !key.priv_key?.value) throw new CliError(`${o.privValidatorKey} is not a priv_validator_key.json`);
    fs.copyFileSync(o.privValidatorKey, paths(home).privValidatorKey);
  }
  const keyring = await openKeyring({ home, backend: "test" });
  const { info, mnemonic } = await keyring.add(VALIDATOR_KEY, { overwrite: true });
  fs.writeFileSync(path.join(home, "keyring-test", `${VALIDATOR_KEY}.mnemonic`), mnemonic + "\n", { mode: 0o600 });
  return { home, index, nodeId, ports: portsFor(index), account: info.address };
}

function readTimeoutCommit(home: string): string {
  const cfg = parseToml(fs.readFileSync(paths(home).cometConfig, "utf8")) as { consensus?: { timeout_commit?: unknown } };
  return typeof cfg.consensus?.timeout_commit === "string" ? cfg.consensus.timeout_commit : "1s";
}
