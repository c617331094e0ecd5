/**
 * Real nodes for integration tests: a fresh home made with the built CLI (`node dist/cmd/inferd.js
 * init`, `genesis add-account`), then `inferd start` as a child process (which runs CometBFT as
 * its own child), exactly as a user runs it. Each test file passes its own port index (20..40:
 * every port is the default + 100·index, see client/home.ts portsFor) so files can run in parallel.
 *
 * Every node is started in its own process group, so a crash test can SIGKILL `inferd start`
 * and its cometbft child together, and whatever a failing test leaves running is killed when
 * the test process exits. Everything binds to 127.0.0.1.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { paths, portsFor, setTomlValues, writeClientConfig, type Ports } from "../../client/home";
import { writeAppConfig } from "../../server/home";

/** The repository root, from the TypeScript sources (jest) or from their build in dist/ (benchmarks). */
const UP2 = path.resolve(__dirname, "..", "..");
export const REPO_ROOT = path.basename(UP2) === "dist" ? path.dirname(UP2) : UP2;
/** The built CLI; run `npx tsc -p tsconfig.json` (or `npm run build`) first. */
export const INFERD = path.join(REPO_ROOT, "dist", "cmd", "inferd.js");

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------- the CLI

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node dist/cmd/inferd.js ...args`; resolves with its exit code and output (never rejects on a non-zero exit). */
export function inferd(args: readonly string[], o: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  if (!fs.existsSync(INFERD)) throw new Error(`${INFERD} not found: build first with \`npx tsc -p tsconfig.json\``);
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [INFERD, ...args],
      { cwd: REPO_ROOT, timeout: o.timeoutMs ?? 60_000, env: { ...process.env, ...o.env }, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== "number") {
          reject(new Error(`inferd ${args.join(" ")} failed to run: ${err.message}\n${stderr}`));
          return;
        }
        resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
    if (o.input !== undefined) child.stdin!.end(o.input);
    else child.stdin!.end();
  });
}

/** Like `inferd`, but throws with the output unless the command exits 0. */
export async function inferdOk(args: readonly string[], o: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await inferd(args, o);
  if (r.code !== 0) throw new Error(`inferd ${args.join(" ")} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

// ---------------------------------------------------------------------------- homes

export interface GenesisAccount {
  readonly address: string;
  /** uinf */
  readonly amount: bigint;
}

export interface HomeOptions {
  /** Port index: every port is the default + 100·index. Use a distinct one (20..27, 35) per test file; see NetworkOptions.portRange for the map. */
  readonly index: number;
  readonly chainId?: string;
  readonly moniker?: string;
  /** CometBFT timeout_commit; short blocks keep tests fast. */
  readonly timeoutCommit?: string;
  readonly accounts?: readonly GenesisAccount[];
}

export interface TestHome {
  /** The temp dir that holds the home and the node's log (removed by `cleanup`). */
  readonly dir: string;
  readonly home: string;
  readonly index: number;
  readonly ports: Ports;
  readonly chainId: string;
  /** http://127.0.0.1:<rpc> */
  readonly rpcUrl: string;
  /** 127.0.0.1:<grpc> */
  readonly grpcAddress: string;
  /** `inferd start`'s stdout and stderr (CometBFT's log is in it too), appended across restarts. */
  readonly logFile: string;
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host: "127.0.0.1", exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

function allPorts(p: Ports): number[] {
  return [p.p2p, p.rpc, p.abci, p.grpc, p.metrics, p.cometMetrics];
}

/** The first index from `preferred` (up to 40) whose ports are all free, so a leftover node elsewhere does not fail the suite. */
export async function freeIndex(preferred: number): Promise<number> {
  for (let i = preferred; i <= 40; i++) {
    const free = await Promise.all(allPorts(portsFor(i)).map(portFree));
    if (free.every(Boolean)) return i;
  }
  throw new Error(`no free port index in ${preferred}..40`);
}

/**
 * `inferd init` in a fresh temp dir, moved to the ports of `index` (init itself writes index 0's),
 * then `inferd genesis add-account` for each account.
 */
export async function createHome(o: HomeOptions): Promise<TestHome> {
  reapStaleNodes();
  const index = await freeIndex(o.index);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `inferchain-it${index}-`));
  const home = path.join(dir, "home");
  const chainId = o.chainId ?? `it-${index}`;
  await inferdOk(["init", o.moniker ?? `it${index}`, "--chain-id", chainId, "--home", home, "--timeout-commit", o.timeoutCommit ?? "200ms"]);

  const ports = portsFor(index);
  const p = paths(home);
  fs.writeFileSync(
    p.cometConfig,
    setTomlValues(fs.readFileSync(p.cometConfig, "utf8"), {
      proxy_app: `tcp://127.0.0.1:${ports.abci}`,
      "rpc.laddr": `tcp://127.0.0.1:${ports.rpc}`,
      "p2p.laddr": `tcp://127.0.0.1:${ports.p2p}`,
      "instrumentation.prometheus_listen_addr": `127.0.0.1:${ports.cometMetrics}`,
      // A lone validator: don't wait for peers, and don't dial anything.
      "p2p.pex": false,
    }),
  );
  writeAppConfig(home, ports);
  writeClientConfig(home, { chainId, node: `tcp://127.0.0.1:${ports.rpc}`, keyringBackend: "test", output: "text", gasPrices: "0.025uinf" });

  for (const a of o.accounts ?? []) {
    await inferdOk(["genesis", "add-account", a.address, `${a.amount}uinf`, "--home", home]);
  }
  return { dir, home, index, ports, chainId, rpcUrl: `http://127.0.0.1:${ports.rpc}`, grpcAddress: `127.0.0.1:${ports.grpc}`, logFile: path.join(dir, "inferd.log") };
}

// ---------------------------------------------------------------------------- RPC

export interface RpcError extends Error {
  readonly rpcError?: unknown;
}

let rpcId = 0;

/** One CometBFT JSON-RPC call (POST); throws on a transport error or a JSON-RPC error. */
export async function rpc<T = Record<string, unknown>>(rpcUrl: string, method: string, params: Record<string, unknown> = {}, timeoutMs = 5000): Promise<T> {
  const res = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: ++rpcId, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await res.json()) as { result?: T; error?: unknown };
  if (body.error !== undefined || body.result === undefined) {
    const e: RpcError = Object.assign(new Error(`${method}: ${JSON.stringify(body.error)}`), { rpcError: body.error });
    throw e;
  }
  return body.result;
}

export interface Status {
  readonly node_info: { network: string; id: string };
  readonly sync_info: { latest_block_height: string; latest_app_hash: string; latest_block_hash: string; catching_up: boolean };
}

/** CometBFT's latest block height, or -1 when the RPC does not answer. */
export async function latestHeight(rpcUrl: string): Promise<number> {
  try {
    const s = await rpc<Status>(rpcUrl, "status", {}, 2000);
    return Number(s.sync_info.latest_block_height);
  } catch {
    return -1;
  }
}

// ---------------------------------------------------------------------------- nodes

/** Process groups of every node still running, killed if the test process exits without stopping them. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = (): void => {
    for (const pgid of liveGroups) {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    liveGroups.clear();
  };
  process.on("exit", killAll);
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      killAll();
      process.kill(process.pid, sig);
    });
  }
}

const PID_FILE = "node.pid";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Kills nodes left behind by test processes that died without cleaning up (a jest worker
 * killed with SIGKILL runs no exit hook, and the nodes are detached). Only groups whose
 * owning test process is gone are touched, so parallel runs keep theirs.
 */
function reapStaleNodes(): void {
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!name.startsWith("inferchain-it")) continue;
    const file = path.join(os.tmpdir(), name, PID_FILE);
    try {
      const { pgid, owner } = JSON.parse(fs.readFileSync(file, "utf8")) as { pgid: number; owner: number };
      if (alive(owner) || !groupAlive(pgid)) continue;
      process.kill(-pgid, "SIGKILL");
      fs.rmSync(file, { force: true });
    } catch {
      // no pid file, unreadable, or already gone
    }
  }
}

/** Whether any process of process group `pgid` is still alive. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface StartOptions {
  /** How long to wait for block 1 (or `minHeight`). */
  readonly timeoutMs?: number;
  readonly minHeight?: number;
  readonly logLevel?: string;
}

/** One `inferd start --home H` process (and, in its process group, its cometbft child). */
export class TestNode {
  private child: ChildProcess | undefined;
  private exited: Promise<number | string> | undefined;
  /** How many times `start` has been called (restarts included). */
  starts = 0;

  constructor(readonly h: TestHome) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Spawns `inferd start` detached (its own process group), output appended to the log file; waits for a block. */
  async start(o: StartOptions = {}): Promise<void> {
    if (this.running) throw new Error("node already running");
    installExitHook();
    const fd = fs.openSync(this.h.logFile, "a");
    fs.writeSync(fd, `\n===== inferd start #${++this.starts} (${new Date().toISOString()}) =====\n`);
    const args = [INFERD, "start", "--home", this.h.home, ...(o.logLevel ? ["--log-level", o.logLevel] : [])];
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ["ignore", fd, fd], detached: true });
    fs.closeSync(fd);
    this.child = child;
    liveGroups.add(child.pid!);
    fs.writeFileSync(path.join(this.h.dir, PID_FILE), JSON.stringify({ pgid: child.pid, owner: process.pid }));
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")));
    await this.waitForHeight(o.minHeight ?? 1, o.timeoutMs ?? 45_000);
  }

  /** Polls `/status` until latest_block_height ≥ `h`; fails early (with the log tail) if the node exits. */
  async waitForHeight(h: number, timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let last = -1;
    for (;;) {
      if (this.child && !this.running) {
        throw new Error(`inferd exited (${this.child.exitCode ?? this.child.signalCode}) while waiting for height ${h}\n${this.logTail()}`);
      }
      last = await latestHeight(this.h.rpcUrl);
      if (last >= h) return last;
      if (Date.now() > deadline) throw new Error(`height ${h} not reached in ${timeoutMs} ms (last ${last})\n${this.logTail()}`);
      await sleep(100);
    }
  }

  /** Graceful stop: SIGTERM to `inferd start` (it stops cometbft, then itself); SIGKILL of the group if that takes over `timeoutMs`. */
  async stop(timeoutMs = 20_000): Promise<number | string | undefined> {
    const child = this.child;
    if (!child) return undefined;
    let result: number | string | undefined;
    if (this.running) {
      child.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), timeoutMs)));
      result = await Promise.race([this.exited!, timedOut]);
      clearTimeout(timer);
      if (result === "timeout") {
        process.stderr.write(`inferd did not stop within ${timeoutMs} ms of SIGTERM; killing it\n${this.logTail()}\n`);
        await this.kill();
        return "timeout";
      }
    } else {
      result = await this.exited;
    }
    await this.reapGroup();
    return result;
  }

  /** Crash: SIGKILL the whole process group (inferd and cometbft at once) and wait until both are gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
    await this.exited;
    await this.reapGroup();
  }

  /** Makes sure nothing of the group outlives the node (a cometbft left behind holds the ports and the DB locks). */
  private async reapGroup(): Promise<void> {
    const pgid = this.child?.pid;
    if (pgid === undefined) return;
    const deadline = Date.now() + 5000;
    while (groupAlive(pgid) && Date.now() < deadline) {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {
        // gone
      }
      await sleep(50);
    }
    liveGroups.delete(pgid);
    fs.rmSync(path.join(this.h.dir, PID_FILE), { force: true });
    // The RPC port closing is the sign the (possibly un-reaped, zombie) cometbft released its resources.
    while ((await latestHeight(this.h.rpcUrl)) >= 0 && Date.now() < deadline + 5000) await sleep(50);
  }

  /** The last `lines` lines of the node's log. */
  logTail(lines = 60): string {
    if (!fs.existsSync(this.h.logFile)) return `(no log at ${this.h.logFile})`;
    const all = fs.readFileSync(this.h.logFile, "utf8").split("\n");
    return `--- last ${Math.min(lines, all.length)} lines of ${this.h.logFile} ---\n${all.slice(-lines).join("\n")}`;
  }
}

/** A home plus its node: `createHome`, then `start`. */
export async function startTestNode(o: HomeOptions & StartOptions): Promise<TestNode> {
  const node = new TestNode(await createHome(o));
  try {
    await node.start(o);
  } catch (e) {
    await node.kill();
    throw e;
  }
  return node;
}

/**
 * Stops the node and removes its temp dir, unless a test failed (`keep`), in which case the
 * dir is left for inspection and its path printed.
 */
export async function cleanupNode(node: TestNode | undefined, keep = false): Promise<void> {
  if (!node) return;
  await node.stop();
  if (keep || process.env.INFERCHAIN_KEEP_TEST_HOMES) {
    process.stderr.write(`kept ${node.h.dir} (log: ${node.h.logFile})\n`);
    return;
  }
  fs.rmSync(node.h.dir, { recursive: true, force: true });
}

/**
 * Wraps a test body so that a failure carries the node's log tail in its message, and marks the
 * node's dir to be kept. Use as `test("…", withNodeLogs(() => node, async () => { … }))`.
 */
export function withNodeLogs(getNode: () => TestNode | undefined, fn: () => Promise<void>, failures?: { count: number }): () => Promise<void> {
  return async () => {
    try {
      await fn();
    } catch (e) {
      if (failures) failures.count++;
      const node = getNode();
      if (node && e instanceof Error) e.message = `${e.message}\n\n${node.logTail(40)}`;
      throw e;
    }
  };
}
