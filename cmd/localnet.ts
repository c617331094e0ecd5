/**
 * Runs a localnet written by `inferd localnet init`: one `inferd start` per home, each with
 * its own log file, natively (no containers). The pids go to DIR/localnet.json so that
 * `inferd localnet stop` can end a network started elsewhere or with --detach.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { CliError } from "./errors";
import { portsFor, readClientConfig } from "./home";

export interface LocalnetNode {
  readonly index: number;
  readonly home: string;
  readonly pid: number;
  readonly log: string;
  readonly rpc: string;
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
    const fd = fs.openSync(log, "a");
    const child = spawn(process.execPath, [INFERD, "start", "--home", home], { stdio: ["ignore", fd, fd], detached: true });
    fs.closeSync(fd);
    child.unref();
    const rpc = (readClientConfig(home)?.node ?? `tcp://127.0.0.1:${portsFor(index).rpc}`).replace(/^tcp:\/\//, "http://");
    return { index, home, pid: child.pid!, log, rpc };
  });
  fs.writeFileSync(path.join(dir, STATE_FILE), JSON.stringify({ nodes }, null, 2) + "\n");
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

/** SIGTERM to each node's process group (inferd and its cometbft), SIGKILL after a grace period. */
export async function stopLocalnet(dir: string, graceMs = 10_000): Promise<number> {
  const nodes = runningNodes(dir);
  for (const n of nodes) {
    try {
      process.kill(-n.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + graceMs;
  while (nodes.some((n) => alive(n.pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  for (const n of nodes.filter((x) => alive(x.pid))) {
    try {
      process.kill(-n.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  fs.rmSync(path.join(dir, STATE_FILE), { force: true });
  return nodes.length;
}
