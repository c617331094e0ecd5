/**
 * Chain benchmark (not a test): sustained committed tx/s of signed MsgSends into a single-node
 * inferchain, against CometBFT's built-in kvstore app under the same load shape.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/chain.js [--txs N] [--accounts N] [--concurrency N]
 *       [--timeout-commit 500ms] [--method ws|http] [--basis wall|window|header|auto]
 *       [--skip-kvstore] [--skip-app] [--profile [--profile-dir DIR]] [--keep]
 *
 * For each target it makes a fresh home in a temp dir (inferchain on portsFor(--port-index),
 * kvstore on the next index), pre-signs (or pre-builds) every tx before the clock starts, then
 * broadcasts them with `broadcast_tx_sync` from `concurrency` workers. Worker w owns accounts
 * w, w+C, ... and sends their txs round-robin in sequence order, one call in flight, so each
 * account's txs reach CheckTx in sequence order. kvstore gets txs `bench-<acc>-<seq>=vvv…` of
 * exactly the signed MsgSends' sizes, through the same transport and concurrency.
 *
 * Committed txs are counted from the chain: `/blockchain` (txs per block, header times) and
 * `/block_results` (only code 0 counts). When the app has executed and committed each block is
 * taken from CometBFT's `NewBlockEvents` event (local clock), because a header's time is only
 * when the previous block was decided, before the app ran it. The headline (--basis wall) is
 * all committed txs / (app commit of the last tx block − broadcast start); the commit-time and
 * header-time windows over blocks (first, last] are printed too.
 *
 * The last stdout line is one JSON object: {"app_tps": N, "kvstore_tps": N, "ratio": N}.
 * Every option also reads an env var (BENCH_TXS, BENCH_ACCOUNTS, ...; see --help).
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { Command, Option } from "commander";
import { nonNegativeInt } from "./options";
import { BaseAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { QueryAccountRequest, QueryAccountResponse } from "cosmjs-types/cosmos/auth/v1beta1/query";
import { paths, portsFor, setTomlValues } from "../client/home";
import { cometbftBinary, readGenesis, writeAppConfig, writeGenesis } from "../server/home";
import { mulberry32 } from "../test/support/rng";
import { msgSendAny, signTxFast, testKey } from "../test/support/txs";
import { findProfile, formatSummary, summarizeProfile } from "./profile-summary";

const CHAIN_ID = "inferchain-bench";
const DENOM = "uinf";
const KEY_SEED_BASE = 900_000;
const INFERD = path.join(__dirname, "..", "cmd", "inferd.js");

// ---------------------------------------------------------------- options

interface Opts {
  txs: number;
  accounts: number;
  concurrency: number;
  timeoutCommit: string;
  method: "ws" | "http";
  mempoolSize: number;
  mempoolMaxTxsBytes: number;
  portIndex: number;
  signWorkers: number;
  drainTimeout: number;
  skipKvstore: boolean;
  skipApp: boolean;
  profile: boolean;
  profileDir?: string;
  keep: boolean;
  progressEvery: number;
  minWindowBlocks: number;
  basis: Basis;
}

function parseOpts(argv: string[]): Opts {
  const int = nonNegativeInt;
  const p = new Command("bench:chain")
    .description("Committed tx/s of signed MsgSends into single-node inferchain vs CometBFT's kvstore (same load shape)")
    .addOption(new Option("--txs <n>", "total txs per target (rounded up to a multiple of --accounts)").env("BENCH_TXS").default(15000).argParser(int))
    .addOption(new Option("--accounts <n>", "funded genesis accounts (senders)").env("BENCH_ACCOUNTS").default(300).argParser(int))
    .addOption(new Option("--concurrency <n>", "broadcast workers (in-flight broadcast_tx_sync calls)").env("BENCH_CONCURRENCY").default(64).argParser(int))
    .addOption(new Option("--timeout-commit <d>", "CometBFT consensus.timeout_commit for both targets").env("BENCH_TIMEOUT_COMMIT").default("500ms"))
    .addOption(new Option("--method <m>", "broadcast transport for both targets").choices(["ws", "http"]).env("BENCH_METHOD").default("ws"))
    .addOption(new Option("--mempool-size <n>", "mempool.size for both targets (CometBFT default 5000)").env("BENCH_MEMPOOL_SIZE").default(50000).argParser(int))
    .addOption(new Option("--mempool-max-txs-bytes <n>", "mempool.max_txs_bytes for both targets").env("BENCH_MEMPOOL_MAX_TXS_BYTES").default(1073741824).argParser(int))
    .addOption(new Option("--port-index <i>", "app on portsFor(i), kvstore on portsFor(i+1)").env("BENCH_PORT_INDEX").default(30).argParser(int))
    .addOption(new Option("--sign-workers <n>", "worker threads that pre-sign txs").env("BENCH_SIGN_WORKERS").default(Math.max(1, os.cpus().length)).argParser(int))
    .addOption(new Option("--drain-timeout <s>", "max seconds to wait for the mempool to drain after the last broadcast").env("BENCH_DRAIN_TIMEOUT").default(300).argParser(int))
    .addOption(new Option("--skip-kvstore", "only measure inferchain").env("BENCH_SKIP_KVSTORE").default(false))
    .addOption(new Option("--skip-app", "only measure kvstore").env("BENCH_SKIP_APP").default(false))
    .addOption(new Option("--profile", "run `inferd start` under node --cpu-prof and summarize the profile").env("BENCH_PROFILE").default(false))
    .addOption(new Option("--profile-dir <dir>", "where the .cpuprofile goes (default: a new temp dir)").env("BENCH_PROFILE_DIR"))
    .addOption(new Option("--keep", "keep the temp homes (and logs) after the run").env("BENCH_KEEP").default(false))
    .addOption(
      new Option("--basis <b>", "headline tps: wall (start -> last commit), window (app commit times), header (block header times), auto (window if every target has --min-window-blocks tx blocks, else wall)")
        .choices(["wall", "window", "header", "auto"])
        .env("BENCH_BASIS")
        .default("wall"),
    )
    .addOption(new Option("--min-window-blocks <n>", "for --basis auto: tx blocks each target needs for the window").env("BENCH_MIN_WINDOW_BLOCKS").default(5).argParser(int))
    .addOption(new Option("--progress-every <s>", "seconds between progress lines").env("BENCH_PROGRESS_EVERY").default(5).argParser(int));
  p.parse(argv);
  const o = p.opts<Opts>();
  // Env booleans arrive as strings from commander's .env(); normalize.
  for (const k of ["skipKvstore", "skipApp", "profile", "keep"] as const) {
    const v = o[k] as unknown;
    if (typeof v === "string") o[k] = v !== "" && v !== "0" && v.toLowerCase() !== "false";
  }
  if (o.accounts < 2) throw new Error("--accounts must be at least 2");
  if (o.concurrency < 1) throw new Error("--concurrency must be at least 1");
  if (o.skipApp && o.skipKvstore) throw new Error("nothing to do: both --skip-app and --skip-kvstore");
  return o;
}

// ---------------------------------------------------------------- logging, children, cleanup

const t0 = Date.now();
function log(msg: string): void {
  process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
}

const children = new Set<ChildProcess>();
const tempDirs: string[] = [];

/** Starts a child in its own process group (so inferd's cometbft child dies with it), output to a log file. */
function startChild(cmd: string, args: string[], logFile: string): ChildProcess {
  const fd = fs.openSync(logFile, "a");
  const child = spawn(cmd, args, { detached: true, stdio: ["ignore", fd, fd] });
  fs.closeSync(fd);
  children.add(child);
  child.on("exit", () => children.delete(child));
  return child;
}

function signalGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    // already gone
  }
}

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** SIGINT to the leader first (inferd stops cometbft and closes its DB; the CPU profile is written), then the group, then SIGKILL. */
async function stopChild(child: ChildProcess, graceMs = 15000): Promise<void> {
  if (child.pid === undefined) return;
  try {
    process.kill(child.pid, "SIGINT");
  } catch {
    // gone
  }
  if (!(await exited(child, graceMs))) {
    signalGroup(child, "SIGTERM");
    if (!(await exited(child, 5000))) signalGroup(child, "SIGKILL");
  }
  // Whatever is left in the group (e.g. a cometbft whose parent was killed).
  signalGroup(child, "SIGKILL");
}

function killAllNow(): void {
  for (const c of children) signalGroup(c, "SIGKILL");
}

function cleanupTemp(keep: boolean): void {
  if (keep) {
    for (const d of tempDirs) log(`kept ${d}`);
    return;
  }
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- pre-signing (worker threads)

interface SignJob {
  readonly accounts: number[];
  readonly perAccount: number;
  readonly addresses: string[];
  readonly chainId: string;
}

/** Signs, for each given account, txs with sequences 0..perAccount-1 to random other accounts. */
async function signAccounts(job: SignJob, onProgress?: (n: number) => void): Promise<Array<{ account: number; txs: Uint8Array[] }>> {
  const out: Array<{ account: number; txs: Uint8Array[] }> = [];
  const n = job.addresses.length;
  let done = 0;
  for (const a of job.accounts) {
    const key = await testKey(KEY_SEED_BASE + a);
    const rand = mulberry32(a * 7919 + 17);
    const txs: Uint8Array[] = [];
    for (let seq = 0; seq < job.perAccount; seq++) {
      let to = Math.floor(rand() * (n - 1));
      if (to >= a) to++;
      txs.push(await signTxFast(key, [msgSendAny(key.address, job.addresses[to], 1n, DENOM)], { chainId: job.chainId, accountNumber: BigInt(a), sequence: BigInt(seq) }));
      if (++done % 500 === 0) onProgress?.(done);
    }
    out.push({ account: a, txs });
  }
  onProgress?.(done);
  return out;
}

async function presign(addresses: string[], perAccount: number, workers: number): Promise<Uint8Array[][]> {
  const n = addresses.length;
  const result: Uint8Array[][] = new Array<Uint8Array[]>(n);
  const total = n * perAccount;
  const counts = new Array<number>(workers).fill(0);
  let lastPrint = 0;
  const progress = (): void => {
    const done = counts.reduce((s, x) => s + x, 0);
    if (Date.now() - lastPrint > 5000 || done === total) {
      lastPrint = Date.now();
      log(`  signed ${done}/${total}`);
    }
  };
  await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const job: SignJob = { accounts: addresses.map((_, i) => i).filter((i) => i % workers === w), perAccount, addresses, chainId: CHAIN_ID };
      return new Promise<void>((resolve, reject) => {
        const worker = new Worker(__filename, { workerData: job });
        worker.on("message", (m: { progress?: number; result?: Array<{ account: number; txs: Uint8Array[] }> }) => {
          if (m.progress !== undefined) {
            counts[w] = m.progress;
            progress();
          }
          if (m.result) for (const r of m.result) result[r.account] = r.txs;
        });
        worker.on("error", reject);
        worker.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`signing worker exited with ${code}`))));
      });
    }),
  );
  return result;
}

// ---------------------------------------------------------------- RPC transports

interface RpcReply {
  readonly result?: { code?: number; log?: string; codespace?: string };
  readonly error?: { code?: number; message?: string; data?: string };
}

function httpGetJson<T>(port: number, pathAndQuery: string, timeoutMs = 30000): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: pathAndQuery, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { result?: T; error?: unknown };
          if (body.error) reject(new Error(`${pathAndQuery}: ${JSON.stringify(body.error)}`));
          else resolve(body.result as T);
        } catch (e) {
          reject(e as Error);
        }
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${pathAndQuery}: timeout`)));
    req.on("error", reject);
  });
}

interface Transport {
  /** Sends one pre-built JSON-RPC request (with the given id) and resolves with the raw reply text. */
  call(id: number, body: Buffer): Promise<string>;
  close(): void;
}

class HttpTransport implements Transport {
  constructor(
    private readonly port: number,
    private readonly agent: http.Agent,
  ) {}
  call(_id: number, body: Buffer): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: "127.0.0.1", port: this.port, method: "POST", path: "/", agent: this.agent, headers: { "Content-Type": "application/json", "Content-Length": body.length } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }
  close(): void {}
}

/** A minimal RFC 6455 client (text frames, ping/pong, fragmentation) for CometBFT's /websocket. */
class WsTransport implements Transport {
  private buf: Buffer = Buffer.alloc(0);
  private frags: Buffer[] = [];
  private readonly pending = new Map<number, { resolve: (s: string) => void; reject: (e: Error) => void }>();
  private closedErr: Error | undefined;

  private constructor(private readonly sock: net.Socket) {}

  static connect(port: number): Promise<WsTransport> {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: "127.0.0.1", port });
      sock.setNoDelay(true);
      const key = crypto.randomBytes(16).toString("base64");
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        sock.off("data", onData);
        sock.off("error", reject);
        const status = head.subarray(0, head.indexOf("\r\n")).toString();
        if (!/ 101 /.test(status)) {
          sock.destroy();
          reject(new Error(`websocket upgrade refused: ${status}`));
          return;
        }
        const ws = new WsTransport(sock);
        sock.on("data", (c: Buffer) => ws.onData(c));
        sock.on("error", (e) => ws.fail(e));
        sock.on("close", () => ws.fail(new Error("websocket closed")));
        ws.onData(head.subarray(end + 4));
        resolve(ws);
      };
      sock.on("data", onData);
      sock.once("error", reject);
      sock.write(
        `GET /websocket HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
  }

  private fail(e: Error): void {
    this.closedErr ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private sendFrame(opcode: number, payload: Buffer): void {
    const len = payload.length;
    const head = len < 126 ? Buffer.alloc(2) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
    head[0] = 0x80 | opcode;
    if (len < 126) head[1] = 0x80 | len;
    else if (len < 65536) {
      head[1] = 0x80 | 126;
      head.writeUInt16BE(len, 2);
    } else {
      head[1] = 0x80 | 127;
      head.writeBigUInt64BE(BigInt(len), 2);
    }
    const mask = crypto.randomBytes(4);
    const masked = Buffer.allocUnsafe(len);
    for (let i = 0; i < len; i++) masked[i] = payload[i] ^ mask[i & 3];
    this.sock.write(Buffer.concat([head, mask, masked]));
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.buf.length < 2) return;
      const b0 = this.buf[0];
      const b1 = this.buf[1];
      let len = b1 & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      const masked = (b1 & 0x80) !== 0;
      const maskAt = off;
      if (masked) off += 4;
      if (this.buf.length < off + len) return;
      let payload = this.buf.subarray(off, off + len);
      if (masked) {
        const m = this.buf.subarray(maskAt, maskAt + 4);
        payload = Buffer.from(payload.map((x, i) => x ^ m[i & 3]));
      }
      this.buf = this.buf.subarray(off + len);
      const fin = (b0 & 0x80) !== 0;
      const opcode = b0 & 0x0f;
      if (opcode === 0x9) this.sendFrame(0xa, payload);
      else if (opcode === 0x8) this.fail(new Error("websocket closed by server"));
      else if (opcode === 0x1 || opcode === 0x2 || opcode === 0x0) {
        this.frags.push(Buffer.from(payload));
        if (fin) {
          const msg = this.frags.length === 1 ? this.frags[0] : Buffer.concat(this.frags);
          this.frags = [];
          this.onMessage(msg.toString("utf8"));
        }
      }
    }
  }

  /** Messages that answer no pending call (subscription events). */
  onUnmatched: ((msg: { id?: unknown; result?: unknown; error?: unknown }) => void) | undefined;

  private onMessage(text: string): void {
    let msg: { id?: unknown; result?: unknown; error?: unknown };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return;
    }
    const p = this.pending.get(Number(msg.id));
    if (!p) {
      this.onUnmatched?.(msg);
      return;
    }
    this.pending.delete(Number(msg.id));
    p.resolve(text);
  }

  call(id: number, body: Buffer): Promise<string> {
    if (this.closedErr) return Promise.reject(this.closedErr);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.sendFrame(0x1, body);
    });
  }

  close(): void {
    this.sock.destroy();
  }
}

/** Local time in ns (ms resolution of the epoch clock, sub-ms from the monotonic one). */
const nowNs = (): bigint => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));

/**
 * Records when each block was executed and committed by the app, from CometBFT's
 * `NewBlockEvents` event (fired after FinalizeBlock and Commit). A block's header time is
 * only when the block before it was decided, which says nothing about how long the app took
 * to execute a block, so commit times are taken from here.
 */
class BlockWatcher {
  readonly blocks = new Map<number, { numTxs: number; committedNs: bigint }>();
  executedHeight = 0;
  committedTxs = 0;
  private constructor(private readonly ws: WsTransport) {}

  static async start(port: number): Promise<BlockWatcher> {
    const ws = await WsTransport.connect(port);
    const w = new BlockWatcher(ws);
    const SUB_ID = 2_000_000_000;
    ws.onUnmatched = (msg) => {
      if (Number(msg.id) !== SUB_ID) return;
      const v = (msg.result as { data?: { value?: { height?: string; num_txs?: string } } } | undefined)?.data?.value;
      if (!v?.height) return;
      const h = Number(v.height);
      const n = Number(v.num_txs ?? 0);
      if (w.blocks.has(h)) return;
      w.blocks.set(h, { numTxs: n, committedNs: nowNs() });
      w.executedHeight = Math.max(w.executedHeight, h);
      w.committedTxs += n;
    };
    const reply = JSON.parse(
      await ws.call(SUB_ID, Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: SUB_ID, method: "subscribe", params: { query: "tm.event='NewBlockEvents'" } }))),
    ) as RpcReply;
    if (reply.error) throw new Error(`subscribe NewBlockEvents: ${JSON.stringify(reply.error)}`);
    return w;
  }

  close(): void {
    this.ws.close();
  }
}

// ---------------------------------------------------------------- chain reading

interface BlockMeta {
  readonly height: number;
  readonly timeNs: bigint;
  readonly numTxs: number;
}

/** RFC 3339 with nanoseconds → ns since the epoch. */
function parseTimeNs(s: string): bigint {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (!m) throw new Error(`bad block time ${s}`);
  const ms = Date.parse(m[1] + m[3]);
  const frac = (m[2] ?? "").padEnd(9, "0").slice(0, 9);
  return BigInt(ms) * 1_000_000n + BigInt(frac);
}

async function latestHeight(port: number): Promise<number> {
  const s = await httpGetJson<{ sync_info: { latest_block_height: string } }>(port, "/status");
  return Number(s.sync_info.latest_block_height);
}

async function blockMetas(port: number, from: number, to: number): Promise<BlockMeta[]> {
  const out: BlockMeta[] = [];
  for (let lo = from; lo <= to; lo += 20) {
    const hi = Math.min(to, lo + 19);
    const r = await httpGetJson<{ block_metas: Array<{ header: { height: string; time: string }; num_txs: string }> }>(port, `/blockchain?minHeight=${lo}&maxHeight=${hi}`);
    for (const m of r.block_metas) out.push({ height: Number(m.header.height), timeNs: parseTimeNs(m.header.time), numTxs: Number(m.num_txs) });
  }
  return out.sort((a, b) => a.height - b.height);
}

async function blockResultCodes(port: number, height: number): Promise<{ ok: number; failed: number; firstFailLog?: string }> {
  // The block store saves a block before FinalizeBlock runs, so its results can lag a little.
  let r: { txs_results: Array<{ code?: number; log?: string }> | null } | undefined;
  for (let attempt = 0; !r; attempt++) {
    try {
      r = await httpGetJson<{ txs_results: Array<{ code?: number; log?: string }> | null }>(port, `/block_results?height=${height}`, 120000);
    } catch (e) {
      if (attempt >= 120 || !/could not find results/.test(String(e))) throw e;
      await sleep(500);
    }
  }
  let ok = 0;
  let failed = 0;
  let firstFailLog: string | undefined;
  for (const t of r.txs_results ?? []) {
    if (!t.code) ok++;
    else {
      failed++;
      firstFailLog ??= t.log;
    }
  }
  return { ok, failed, firstFailLog };
}

async function waitForChain(port: number, child: ChildProcess, logFile: string, minHeight = 2, timeoutMs = 90000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`node exited early (code ${child.exitCode}, signal ${child.signalCode}); last log lines:\n${tail(logFile, 20)}`);
    }
    try {
      if ((await latestHeight(port)) >= minHeight) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`chain on port ${port} did not reach height ${minHeight}; last log lines:\n${tail(logFile, 20)}`);
    await sleep(300);
  }
}

function tail(file: string, n: number): string {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-n).join("\n");
  } catch {
    return "(no log)";
  }
}

// ---------------------------------------------------------------- one measured run

interface Window {
  readonly firstHeight: number;
  readonly lastHeight: number;
  /** Code-0 txs of the first (anchor) block: they arrived before the window opens, so they are left out. */
  readonly firstBlockTxs: number;
  readonly txs: number;
  readonly seconds: number;
  readonly tps: number;
}

interface RunResult {
  readonly name: string;
  readonly sent: number;
  readonly accepted: number;
  readonly checkTxFailed: number;
  readonly failLogs: string[];
  readonly mempoolFullRetries: number;
  readonly broadcastSeconds: number;
  readonly committedOk: number;
  readonly committedFailed: number;
  readonly firstDeliverFail?: string;
  readonly blocks: number;
  readonly avgTxsPerBlock: number;
  readonly maxTxsPerBlock: number;
  /** Per-block (height, txs, seconds from broadcast start to the app's commit, header time offset). */
  readonly timeline: Array<{ height: number; txs: number; committedAt: number; headerAt: number }>;
  /** Window over the app's commit times (NewBlockEvents, local clock); absent with < 2 tx blocks. */
  readonly commitWindow?: Window;
  /** The same over block header times (the previous block's decision time), for reference. */
  readonly headerWindow?: Window;
  /** Broadcast start → the app's commit of the last tx block. */
  readonly wallSeconds: number;
  readonly wallTps: number;
}

function windowOf(blocks: Array<{ height: number; ok: number; ns: bigint }>): Window | undefined {
  if (blocks.length < 2) return undefined;
  const first = blocks[0];
  const last = blocks[blocks.length - 1];
  const txs = blocks.slice(1).reduce((s, b) => s + b.ok, 0);
  const seconds = Number(last.ns - first.ns) / 1e9;
  return { firstHeight: first.height, lastHeight: last.height, firstBlockTxs: first.ok, txs, seconds, tps: seconds > 0 ? txs / seconds : 0 };
}

/**
 * Broadcasts `bodies[acc][seq]` with `concurrency` workers (worker w owns accounts w, w+C, ...
 * and sends round-robin over them in sequence order, so each account's txs reach CheckTx in
 * sequence order), then waits for the mempool to drain and measures from the blocks.
 */
async function measure(name: string, port: number, bodies: Buffer[][], o: Opts, child: ChildProcess, logFile: string): Promise<RunResult> {
  const nAcc = bodies.length;
  const perAccount = bodies[0].length;
  const total = nAcc * perAccount;
  const concurrency = Math.min(o.concurrency, nAcc);
  const startHeight = await latestHeight(port);

  const watcher = await BlockWatcher.start(port);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  const transports: Transport[] = [];
  for (let w = 0; w < concurrency; w++) transports.push(o.method === "ws" ? await WsTransport.connect(port) : new HttpTransport(port, agent));

  let sent = 0;
  let accepted = 0;
  let failed = 0;
  let retries = 0;
  let rpcErrors = 0;
  const failLogs: string[] = [];
  let aborted: Error | undefined;
  const txsSince = (): number => [...watcher.blocks.entries()].filter(([h]) => h > startHeight).reduce((s, [, b]) => s + b.numTxs, 0);

  const poll = async (): Promise<{ decided: number; mempool: number }> => {
    const decided = await latestHeight(port);
    const u = await httpGetJson<{ n_txs: string }>(port, "/num_unconfirmed_txs?limit=1");
    return { decided, mempool: Number(u.n_txs) };
  };

  const bStart = Date.now();
  const bStartNs = nowNs();
  let broadcasting = true;
  const progressLine = async (): Promise<string> => {
    const s = await poll();
    const el = (Date.now() - bStart) / 1000;
    return `${name}: ${el.toFixed(0)}s sent ${sent}/${total} accepted ${accepted} failed ${failed} retries ${retries} | height decided ${s.decided} executed ${watcher.executedHeight}, mempool ${s.mempool}, committed ${txsSince()}`;
  };
  const progressTimer = setInterval(() => {
    if (child.exitCode !== null || child.signalCode !== null) {
      aborted ??= new Error(`${name} node exited during the run; last log lines:\n${tail(logFile, 20)}`);
      return;
    }
    progressLine()
      .then((l) => log(`  ${l}${broadcasting ? "" : " (draining)"}`))
      .catch((e: unknown) => log(`  ${name}: progress poll failed: ${String(e)}`));
  }, o.progressEvery * 1000);

  const sendOne = async (t: Transport, acc: number, seq: number): Promise<void> => {
    const id = acc * perAccount + seq;
    for (;;) {
      if (aborted) throw aborted;
      let text: string;
      try {
        text = await t.call(id, bodies[acc][seq]);
      } catch (e) {
        if (++rpcErrors > 50) aborted ??= new Error(`${name}: too many RPC errors, last: ${String(e)}`);
        await sleep(100);
        continue;
      }
      const r = JSON.parse(text) as RpcReply;
      if (r.error) {
        const msg = `${r.error.message ?? ""} ${r.error.data ?? ""}`;
        if (/mempool is full/i.test(msg)) {
          retries++;
          await sleep(50);
          continue;
        }
        sent++;
        failed++;
        if (failLogs.length < 5) failLogs.push(`rpc error: ${msg.trim()}`);
        return;
      }
      sent++;
      const code = r.result?.code ?? 0;
      if (code === 0) accepted++;
      else {
        failed++;
        if (failLogs.length < 5) failLogs.push(`code ${code} (${r.result?.codespace ?? ""}): ${r.result?.log ?? ""}`);
      }
      return;
    }
  };

  try {
    await Promise.all(
      transports.map(async (t, w) => {
        const mine: number[] = [];
        for (let a = w; a < nAcc; a += concurrency) mine.push(a);
        for (let seq = 0; seq < perAccount; seq++) for (const a of mine) await sendOne(t, a, seq);
      }),
    );
    broadcasting = false;
    const broadcastSeconds = (Date.now() - bStart) / 1000;
    log(`  ${name}: broadcast done in ${broadcastSeconds.toFixed(1)} s (${(sent / broadcastSeconds).toFixed(1)} CheckTx'd tx/s): accepted ${accepted}, failed ${failed}, mempool-full retries ${retries}`);

    // Drain: until every accepted tx is in an executed block, or the mempool is empty, or the timeout.
    const deadline = Date.now() + o.drainTimeout * 1000;
    let emptyPolls = 0;
    for (;;) {
      if (aborted) throw aborted;
      if (txsSince() >= accepted) break;
      const s = await poll();
      emptyPolls = s.mempool === 0 ? emptyPolls + 1 : 0;
      if (emptyPolls >= 10) {
        log(`  ${name}: mempool empty but only ${txsSince()}/${accepted} accepted txs committed; stopping`);
        break;
      }
      if (Date.now() > deadline) {
        log(`  ${name}: drain timeout with ${s.mempool} txs still in the mempool`);
        break;
      }
      await sleep(200);
    }
    clearInterval(progressTimer);
    log(`  ${await progressLine()} (done)`);

    // Read the chain back: header times and result codes of every block since the start.
    const endHeight = watcher.executedHeight;
    const metas = await blockMetas(port, startHeight + 1, endHeight);
    const txBlocks = metas.filter((m) => m.numTxs > 0);
    let committedOk = 0;
    let committedFailed = 0;
    let firstDeliverFail: string | undefined;
    const rows: Array<{ height: number; ok: number; commitNs: bigint; headerNs: bigint }> = [];
    for (const b of txBlocks) {
      const r = await blockResultCodes(port, b.height);
      committedOk += r.ok;
      committedFailed += r.failed;
      firstDeliverFail ??= r.firstFailLog;
      const w = watcher.blocks.get(b.height);
      if (!w) log(`  ${name}: no NewBlockEvents seen for block ${b.height}; using the next block's header time as its commit time`);
      const commitNs = w ? w.committedNs : (metas.find((m) => m.height === b.height + 1)?.timeNs ?? b.timeNs);
      rows.push({ height: b.height, ok: r.ok, commitNs, headerNs: b.timeNs });
    }
    const lastCommitNs = rows.length > 0 ? rows[rows.length - 1].commitNs : bStartNs;
    const wallSeconds = Number(lastCommitNs - bStartNs) / 1e9;
    return {
      name,
      sent,
      accepted,
      checkTxFailed: failed,
      failLogs,
      mempoolFullRetries: retries,
      broadcastSeconds,
      committedOk,
      committedFailed,
      firstDeliverFail,
      blocks: txBlocks.length,
      avgTxsPerBlock: txBlocks.length ? (committedOk + committedFailed) / txBlocks.length : 0,
      maxTxsPerBlock: txBlocks.reduce((m, b) => Math.max(m, b.numTxs), 0),
      timeline: rows.map((r) => ({ height: r.height, txs: r.ok, committedAt: Number(r.commitNs - bStartNs) / 1e9, headerAt: Number(r.headerNs - bStartNs) / 1e9 })),
      commitWindow: windowOf(rows.map((r) => ({ height: r.height, ok: r.ok, ns: r.commitNs }))),
      headerWindow: windowOf(rows.map((r) => ({ height: r.height, ok: r.ok, ns: r.headerNs }))),
      wallSeconds,
      wallTps: wallSeconds > 0 ? committedOk / wallSeconds : 0,
    };
  } finally {
    clearInterval(progressTimer);
    watcher.close();
    for (const t of transports) t.close();
    agent.destroy();
  }
}

function report(r: RunResult): void {
  const fmtW = (w: Window | undefined): string =>
    w ? `blocks ${w.firstHeight}..${w.lastHeight}, ${w.seconds.toFixed(2)} s, ${w.txs} txs (anchor block ${w.firstHeight}'s ${w.firstBlockTxs} txs left out) -> ${w.tps.toFixed(2)} tx/s` : "fewer than 2 blocks with txs";
  log(`== ${r.name} ==`);
  log(`  txs sent ${r.sent}, CheckTx accepted ${r.accepted}, CheckTx failed ${r.checkTxFailed}, mempool-full retries ${r.mempoolFullRetries}`);
  for (const l of r.failLogs) log(`    CheckTx failure: ${l}`);
  log(`  broadcast took ${r.broadcastSeconds.toFixed(1)} s (${(r.sent / r.broadcastSeconds).toFixed(1)} tx/s through CheckTx)`);
  log(`  txs committed (code 0) ${r.committedOk}, committed with code != 0 ${r.committedFailed}${r.firstDeliverFail ? ` (first: ${r.firstDeliverFail})` : ""}`);
  log(`  blocks with txs ${r.blocks}, avg txs/block ${r.avgTxsPerBlock.toFixed(1)}, max txs/block ${r.maxTxsPerBlock}`);
  const shown = r.timeline.length <= 12 ? r.timeline : [...r.timeline.slice(0, 6), ...r.timeline.slice(-6)];
  log(`  blocks (height: txs, app commit at +s, header time at +s): ${shown.map((b) => `${b.height}: ${b.txs} @${b.committedAt.toFixed(2)}/${b.headerAt.toFixed(2)}`).join(", ")}${shown.length < r.timeline.length ? " (middle elided)" : ""}`);
  log(`  commit-time window: ${fmtW(r.commitWindow)}`);
  log(`  header-time window: ${fmtW(r.headerWindow)}`);
  log(`  wall: broadcast start -> app commit of the last tx block, ${r.wallSeconds.toFixed(2)} s, ${r.committedOk} txs -> ${r.wallTps.toFixed(2)} tx/s`);
}

type Basis = "wall" | "window" | "header" | "auto";

const BASIS_WHY = {
  wall:
    "wall: all code-0 committed txs / (app commit of the last tx block - broadcast start); the app's commit time comes from CometBFT's NewBlockEvents event (local clock)",
  window:
    "commit-time window: code-0 txs in tx blocks (first, last] / (commit(last) - commit(first)); commit = when the app had executed and committed the block (NewBlockEvents, local clock); the first (anchor) block is the warm-up",
  header:
    "header-time window: code-0 txs in tx blocks (first, last] / (time(last) - time(first)) from block header times; note a header's time is when the previous block was decided, before the app executed it",
} as const;

/** The headline rate of each target, and why it was chosen. */
function chooseBasis(results: RunResult[], basis: Basis, minBlocks: number): { pick: (r: RunResult) => number; why: string } {
  const rate = (r: RunResult, b: Exclude<Basis, "auto">): number => (b === "wall" ? r.wallTps : b === "window" ? (r.commitWindow?.tps ?? r.wallTps) : (r.headerWindow?.tps ?? r.wallTps));
  if (basis !== "auto") {
    const short = basis === "wall" ? [] : results.filter((r) => r.blocks < 2);
    const note = short.length ? ` (${short.map((r) => r.name).join(", ")}: fewer than 2 tx blocks, wall time used)` : "";
    return { pick: (r) => (basis !== "wall" && r.blocks < 2 ? r.wallTps : rate(r, basis)), why: BASIS_WHY[basis] + note };
  }
  const short = results.filter((r) => !r.commitWindow || r.blocks < minBlocks);
  if (short.length === 0) return { pick: (r) => rate(r, "window"), why: `${BASIS_WHY.window} (auto: every target has >= ${minBlocks} blocks with txs)` };
  return {
    pick: (r) => rate(r, "wall"),
    why: `${BASIS_WHY.wall} (auto: ${short.map((r) => `${r.name} has ${r.blocks} block(s) with txs`).join(", ")}, < ${minBlocks}; a window of a few blocks moves in whole-block steps)`,
  };
}

// ---------------------------------------------------------------- targets

function cometConfigValues(o: Opts, index: number): Record<string, string | number | boolean> {
  const p = portsFor(index);
  return {
    "rpc.laddr": `tcp://127.0.0.1:${p.rpc}`,
    "p2p.laddr": `tcp://127.0.0.1:${p.p2p}`,
    "instrumentation.prometheus_listen_addr": `127.0.0.1:${p.cometMetrics}`,
    "rpc.pprof_laddr": "",
    "consensus.timeout_commit": o.timeoutCommit,
    "mempool.size": o.mempoolSize,
    "mempool.max_txs_bytes": o.mempoolMaxTxsBytes,
    "tx_index.indexer": "kv",
  };
}

function txBody(id: number, tx: Uint8Array): Buffer {
  return Buffer.from(`{"jsonrpc":"2.0","id":${id},"method":"broadcast_tx_sync","params":{"tx":"${Buffer.from(tx).toString("base64")}"}}`);
}

async function runApp(o: Opts, addresses: string[], signed: Uint8Array[][]): Promise<RunResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-bench-app-"));
  tempDirs.push(dir);
  const home = path.join(dir, "home");
  const ports = portsFor(o.portIndex);
  log(`app: inferd init in ${home} (rpc 127.0.0.1:${ports.rpc}, abci ${ports.abci}, grpc ${ports.grpc})`);
  execFileSync(process.execPath, [INFERD, "init", "bench", "--chain-id", CHAIN_ID, "--home", home, "--timeout-commit", o.timeoutCommit], { stdio: ["ignore", "pipe", "pipe"] });
  const p = paths(home);
  fs.writeFileSync(p.cometConfig, setTomlValues(fs.readFileSync(p.cometConfig, "utf8"), { ...cometConfigValues(o, o.portIndex), proxy_app: `tcp://127.0.0.1:${ports.abci}` }));
  writeAppConfig(home, ports);

  const g = readGenesis(home);
  const auth = g.app_state.auth as { accounts: Array<{ address: string }> };
  const bank = g.app_state.bank as { balances: Array<{ address: string; coins: Array<{ denom: string; amount: string }> }> };
  // Bench accounts first, so they get account numbers 0..n-1; the validator's account follows.
  auth.accounts = [...addresses.map((address) => ({ address })), ...auth.accounts];
  bank.balances = [...bank.balances, ...addresses.map((address) => ({ address, coins: [{ denom: DENOM, amount: "1000000000000" }] }))];
  writeGenesis(home, g);
  log(`app: genesis has ${addresses.length} funded accounts`);

  const logFile = path.join(dir, "inferd.log");
  const nodeArgs: string[] = [];
  let profileDir: string | undefined;
  if (o.profile) {
    profileDir = path.resolve(o.profileDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-bench-profile-")));
    fs.mkdirSync(profileDir, { recursive: true });
    nodeArgs.push("--cpu-prof", "--cpu-prof-dir", profileDir);
    log(`app: profiling inferd start into ${profileDir}`);
  }
  const child = startChild(process.execPath, [...nodeArgs, INFERD, "start", "--home", home], logFile);
  log(`app: inferd start (pid ${child.pid}), log ${logFile}`);
  try {
    await waitForChain(ports.rpc, child, logFile);
    await checkAccountNumbers(ports.rpc, addresses);
    const bodies = signed.map((txs, a) => txs.map((tx, seq) => txBody(a * txs.length + seq, tx)));
    log(`app: broadcasting ${addresses.length * signed[0].length} txs (${o.method}, concurrency ${Math.min(o.concurrency, addresses.length)})`);
    return await measure("app", ports.rpc, bodies, o, child, logFile);
  } finally {
    await stopChild(child);
    if (profileDir) {
      try {
        const file = findProfile(profileDir);
        log(`app: CPU profile ${file}`);
        for (const l of formatSummary(summarizeProfile(file), 20)) log(`  ${l}`);
        log(`  (re-run the summary with: node dist/bench/profile-summary.js ${file})`);
      } catch (e) {
        log(`app: no CPU profile written (${String(e)}); log tail:\n${tail(logFile, 10)}`);
      }
    }
  }
}

/** The pre-signed txs assume account numbers 0..n-1 in genesis order; check the first and last. */
async function checkAccountNumbers(port: number, addresses: string[]): Promise<void> {
  for (const i of [0, addresses.length - 1]) {
    const data = Buffer.from(QueryAccountRequest.encode({ address: addresses[i] }).finish()).toString("hex");
    const r = await httpGetJson<{ response: { code?: number; value?: string; log?: string } }>(port, `/abci_query?path=%22/cosmos.auth.v1beta1.Query/Account%22&data=0x${data}`);
    if (r.response.code) throw new Error(`account query for ${addresses[i]} failed: ${r.response.log}`);
    const any = QueryAccountResponse.decode(Buffer.from(r.response.value ?? "", "base64")).account;
    const num = any ? BaseAccount.decode(any.value).accountNumber : -1n;
    if (num !== BigInt(i)) throw new Error(`account ${addresses[i]} has number ${num}, the pre-signed txs assume ${i}`);
  }
  log(`app: account numbers match genesis order (0..${addresses.length - 1})`);
}

/** kvstore txs: unique `bench-<acc>-<seq>=vvv…`, each as long as the matching signed MsgSend. */
function kvstoreTxs(lengths: number[][]): Uint8Array[][] {
  return lengths.map((row, a) =>
    row.map((len, seq) => {
      const head = `bench-${a}-${seq}=`;
      if (head.length >= len) throw new Error(`tx length ${len} too short for a kvstore key`);
      return Buffer.from(head + "v".repeat(len - head.length));
    }),
  );
}

async function runKvstore(o: Opts, lengths: number[][]): Promise<RunResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-bench-kvstore-"));
  tempDirs.push(dir);
  const home = path.join(dir, "home");
  const index = o.portIndex + 1;
  const ports = portsFor(index);
  const bin = cometbftBinary();
  log(`kvstore: cometbft init in ${home} (rpc 127.0.0.1:${ports.rpc})`);
  execFileSync(bin, ["init", "--home", home], { stdio: ["ignore", "pipe", "pipe"] });
  const cfg = path.join(home, "config", "config.toml");
  fs.writeFileSync(
    cfg,
    setTomlValues(fs.readFileSync(cfg, "utf8"), {
      ...cometConfigValues(o, index),
      moniker: "bench-kvstore",
      proxy_app: "kvstore",
      "p2p.addr_book_strict": false,
      "p2p.allow_duplicate_ip": true,
    }),
  );
  const txs = kvstoreTxs(lengths);
  const bodies = txs.map((row, a) => row.map((tx, seq) => txBody(a * row.length + seq, tx)));
  const logFile = path.join(dir, "cometbft.log");
  const child = startChild(bin, ["start", "--home", home, "--proxy_app=kvstore"], logFile);
  log(`kvstore: cometbft start --proxy_app=kvstore (pid ${child.pid}), log ${logFile}`);
  try {
    await waitForChain(ports.rpc, child, logFile);
    log(`kvstore: broadcasting ${lengths.length * lengths[0].length} txs (${o.method}, concurrency ${Math.min(o.concurrency, lengths.length)})`);
    return await measure("kvstore", ports.rpc, bodies, o, child, logFile);
  } finally {
    await stopChild(child);
  }
}

// ---------------------------------------------------------------- main

/** Runs the benchmark; returns the summary JSON line (printed last, after cleanup logs). */
async function main(): Promise<string> {
  const o = parseOpts(process.argv);
  const perAccount = Math.ceil(o.txs / o.accounts);
  const total = perAccount * o.accounts;
  log(`inferchain chain benchmark: ${total} txs per target (${o.accounts} accounts x ${perAccount} txs), concurrency ${Math.min(o.concurrency, o.accounts)}, method ${o.method}`);
  log(`settings for both targets: timeout_commit ${o.timeoutCommit}, mempool.size ${o.mempoolSize}, mempool.max_txs_bytes ${o.mempoolMaxTxsBytes}, tx_index kv, 1 validator`);
  log(`host: ${os.cpus().length} cpus (${os.cpus()[0]?.model ?? "?"}), load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}, node ${process.version}, cometbft ${execFileSync(cometbftBinary(), ["version"], { encoding: "utf8" }).trim()}`);

  const keys = [];
  for (let i = 0; i < o.accounts; i++) keys.push(await testKey(KEY_SEED_BASE + i));
  const addresses = keys.map((k) => k.address);
  log(`pre-signing ${total} MsgSend txs (SIGN_MODE_DIRECT, secp256k1) on ${o.signWorkers} worker thread(s)`);
  const sStart = Date.now();
  const signed = await presign(addresses, perAccount, Math.max(1, Math.min(o.signWorkers, o.accounts)));
  const lengths = signed.map((row) => row.map((tx) => tx.length));
  const flat = lengths.flat();
  const avgLen = flat.reduce((s, x) => s + x, 0) / flat.length;
  log(`signed in ${((Date.now() - sStart) / 1000).toFixed(1)} s; tx size ${Math.min(...flat)}..${Math.max(...flat)} bytes (avg ${avgLen.toFixed(1)}); kvstore txs get the same sizes`);

  let app: RunResult | undefined;
  let kv: RunResult | undefined;
  if (!o.skipApp) {
    app = await runApp(o, addresses, signed);
    report(app);
  }
  if (!o.skipKvstore) {
    kv = await runKvstore(o, lengths);
    report(kv);
  }
  log(`load average after: ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  const results = [app, kv].filter((r): r is RunResult => r !== undefined);
  const { pick, why } = chooseBasis(results, o.basis, o.minWindowBlocks);
  const tpsOf = (r: RunResult | undefined): number | null => (r ? pick(r) : null);
  log(`tps basis (--basis ${o.basis}): ${why}`);
  for (const r of results) {
    log(`  ${r.name}: ${pick(r).toFixed(2)} tx/s (wall ${r.wallTps.toFixed(2)}, commit-time window ${r.commitWindow?.tps.toFixed(2) ?? "-"}, header-time window ${r.headerWindow?.tps.toFixed(2) ?? "-"})`);
  }
  const r2 = (x: number | null): number | null => (x === null ? null : Math.round(x * 100) / 100);
  const appTps = tpsOf(app);
  const kvTps = tpsOf(kv);
  const ratio = appTps !== null && kvTps !== null && kvTps > 0 ? appTps / kvTps : null;
  if (ratio !== null) log(`ratio app/kvstore = ${ratio.toPrecision(4)}`);
  return JSON.stringify({ app_tps: r2(appTps), kvstore_tps: r2(kvTps), ratio: ratio === null ? null : Math.round(ratio * 10000) / 10000 });
}

if (isMainThread) {
  let keep = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    log(`got ${sig}; stopping child processes`);
    killAllNow();
    cleanupTemp(keep);
    process.exit(130);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("exit", killAllNow);
  try {
    keep = parseOpts(process.argv).keep;
  } catch {
    // main() reports the error
  }
  main()
    .then((summary) => {
      cleanupTemp(keep);
      process.stdout.write(summary + "\n");
    })
    .catch((e: unknown) => {
      process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      killAllNow();
      cleanupTemp(true);
      process.exitCode = 1;
    });
} else {
  const job = workerData as SignJob;
  signAccounts(job, (n) => parentPort!.postMessage({ progress: n }))
    .then((result) => parentPort!.postMessage({ result }))
    .catch((e: unknown) => {
      throw e;
    });
}
