/**
 * Faults and audits for multi-node runs under the mixed load of ./load: SIGKILL a validator
 * (its whole `inferd start` process group, or the app process alone, whose cometbft child must
 * then stop by itself), restart it on the same home, and afterwards check the whole chain on
 * every node through CometBFT's RPC: the same block hash, app hash and results hash at every
 * height, every tx a lane saw committed still in its block, and block production gaps (from
 * header times) measured in expected blocks. `runScenario` is the one flow the chaos benchmark
 * (bench/chaos.ts) and the determinism and chaos tests (test/integration) share.
 */
import fs from "node:fs";
import { sha256 } from "@cosmjs/crypto";
import { TxBody, TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { groupAlive, latestHeight, rpc, sleep, type TestNode } from "./node";
import { LOAD_KINDS, MixedLoad, startLoadNetwork, type CommittedTx, type LoadKind, type LoadNetwork } from "./load";
import { mulberry32 } from "./rng";

// ---------------------------------------------------------------------------- faults

export type KillMode = "node" | "app";

export interface KillResult {
  readonly mode: KillMode;
  /** For an app kill: whether its cometbft child went away by itself (else it was killed after `orphanWaitMs`). */
  readonly cometbftStoppedAlone?: boolean;
  /** How long the group took to empty after the kill. */
  readonly goneMs: number;
}


/**
 * SIGKILL a node. "node": the whole process group (inferd and cometbft at once, a power cut).
 * "app": `inferd start` alone (an OOM kill of the app); CometBFT loses its ABCI connection and
 * its log pipe and must stop too. If it is still alive after `orphanWaitMs` it is killed (and
 * reported), since an orphaned cometbft holds the ports and the block store.
 */
export async function killNode(node: TestNode, mode: KillMode, orphanWaitMs = 15_000): Promise<KillResult> {
  const pid = node.pid;
  if (pid === undefined || !node.running) throw new Error("node is not running");
  const t0 = Date.now();
  if (mode === "node") {
    await node.kill();
    return { mode, goneMs: Date.now() - t0 };
  }
  process.kill(pid, "SIGKILL");
  while (groupAlive(pid) && Date.now() - t0 < orphanWaitMs) await sleep(50);
  const alone = !groupAlive(pid);
  await node.kill(); // reaps whatever is left of the group and waits for the RPC port to close
  return { mode, cometbftStoppedAlone: alone, goneMs: Date.now() - t0 };
}

// ---------------------------------------------------------------------------- audits

export interface BlockMeta {
  readonly height: number;
  readonly blockHash: string;
  readonly appHash: string;
  readonly resultsHash: string;
  /** Header (BFT) time, ms since the epoch. */
  readonly timeMs: number;
  readonly numTxs: number;
}

/** Header time "2026-01-02T03:04:05.123456789Z" → ms. */
function headerMs(t: string): number {
  return Date.parse(t.replace(/(\.\d{3})\d*Z$/, "$1Z"));
}

/** Block metas [from, to] from `/blockchain` (20 per call). */
export async function blockMetas(rpcUrl: string, from: number, to: number): Promise<Map<number, BlockMeta>> {
  const out = new Map<number, BlockMeta>();
  for (let lo = from; lo <= to; lo += 20) {
    const hi = Math.min(to, lo + 19);
    const r = await rpc<{ block_metas: Array<{ block_id: { hash: string }; header: { height: string; time: string; app_hash: string; last_results_hash: string }; num_txs: string }> }>(
      rpcUrl,
      "blockchain",
      { minHeight: String(lo), maxHeight: String(hi) },
      15_000,
    );
    for (const m of r.block_metas) {
      const height = Number(m.header.height);
      out.set(height, { height, blockHash: m.block_id.hash, appHash: m.header.app_hash, resultsHash: m.header.last_results_hash, timeMs: headerMs(m.header.time), numTxs: Number(m.num_txs) });
    }
  }
  return out;
}

export interface HashAudit {
  /** Heights in [from, to] where the nodes do not all report the same block, app hash and results hash (a node lacking the height counts). */
  readonly mismatches: readonly number[];
  /** Human-readable first few differences. */
  readonly details: string[];
  /** Node 0's metas (for stall statistics and tx scans). */
  readonly metas: ReadonlyMap<number, BlockMeta>;
}

/** Compares every node's headers over [from, to]; also each app's own last hash (abci_info) against the next header on its node. */
export async function auditHashes(rpcUrls: readonly string[], from: number, to: number, nextHeaderWaitMs = 20_000): Promise<HashAudit> {
  const all = await Promise.all(rpcUrls.map((u) => blockMetas(u, from, to)));
  const mismatches: number[] = [];
  const details: string[] = [];
  for (let h = from; h <= to; h++) {
    const ms = all.map((m) => m.get(h));
    const keys = ms.map((m) => (m ? `${m.blockHash}/${m.appHash}/${m.resultsHash}` : "missing"));
    if (new Set(keys).size !== 1) {
      mismatches.push(h);
      if (details.length < 5) details.push(`height ${h}: ${keys.map((k, i) => `node${i} ${k}`).join("; ")}`);
    }
  }
  /** Each app's own last height and hash: apps at the same height must agree even where no header carries their hash yet (a halt). */
  const own = new Map<number, Set<string>>();
  for (const [i, u] of rpcUrls.entries()) {
    const info = await rpc<{ response: { last_block_height?: string; last_block_app_hash?: string } }>(u, "abci_info");
    const l = Number(info.response.last_block_height ?? "0");
    const appHash = Buffer.from(info.response.last_block_app_hash ?? "", "base64").toString("hex").toUpperCase();
    own.set(l, (own.get(l) ?? new Set()).add(appHash));
    // Header l+1 carries the app hash after block l; wait for it (the app commits before cometbft proposes l+1).
    let next: BlockMeta | undefined;
    const deadline = Date.now() + nextHeaderWaitMs;
    for (;;) {
      next = (await blockMetas(u, l + 1, l + 1).catch(() => new Map<number, BlockMeta>())).get(l + 1);
      if (next || Date.now() >= deadline) break;
      await sleep(200);
    }
    if (!next) details.push(`node${i}: no header ${l + 1} to check its app's hash at ${l}`);
    else if (next.appHash !== appHash) {
      mismatches.push(l);
      details.push(`node${i}: app's own hash at ${l} is ${appHash}, header ${l + 1} says ${next.appHash}`);
    }
  }
  for (const [l, hs] of own) {
    if (hs.size > 1) {
      mismatches.push(l);
      details.push(`apps at height ${l} report different hashes: ${[...hs].join(", ")}`);
    }
  }
  return { mismatches: [...new Set(mismatches)].sort((a, b) => a - b), details, metas: all[0] };
}

/**
 * Heights whose results some validator's app disagreed on, from CometBFT's own logs: a node
 * that refuses a proposal because its header's app hash is not what its app computed logs
 * "wrong Block.Header.AppHash" at height h (the disagreement is about block h−1's results).
 * This is the evidence when the nodes split evenly and no later header exists to compare.
 */
export function appHashRejections(logText: string): number[] {
  const out = new Set<number>();
  for (const m of logText.matchAll(/height=(\d+)[^\n]*wrong Block\.Header\.AppHash/g)) out.add(Number(m[1]) - 1);
  return [...out].sort((a, b) => a - b);
}

interface ScannedBlock {
  readonly hashes: ReadonlySet<string>;
  /** Per tx: its first message's type URL and its result code (when results were asked for). */
  readonly txs: ReadonlyArray<{ readonly typeUrl: string; readonly code?: number }>;
}

async function scanBlock(rpcUrl: string, h: number, withResults: boolean): Promise<ScannedBlock> {
  const b = await rpc<{ block: { data: { txs: string[] | null } } }>(rpcUrl, "block", { height: String(h) }, 15_000);
  const raw = b.block.data.txs ?? [];
  const codes = withResults && raw.length > 0 ? ((await rpc<{ txs_results: Array<{ code: number }> | null }>(rpcUrl, "block_results", { height: String(h) }, 15_000)).txs_results ?? []) : [];
  const hashes = new Set<string>();
  const txs = raw.map((b64, i) => {
    const bytes = Buffer.from(b64, "base64");
    hashes.add(Buffer.from(sha256(bytes)).toString("hex").toUpperCase());
    let typeUrl = "?";
    try {
      typeUrl = TxBody.decode(TxRaw.decode(bytes).bodyBytes).messages[0]?.typeUrl ?? "?";
    } catch {
      // not a Cosmos tx
    }
    return { typeUrl, code: withResults ? codes[i]?.code : undefined };
  });
  return { hashes, txs };
}

async function mapLimit<T, R>(xs: readonly T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(xs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, xs.length) }, async () => {
      while (next < xs.length) {
        const i = next++;
        out[i] = await fn(xs[i]);
      }
    }),
  );
  return out;
}

export interface TxAudit {
  /** Committed txs (as reported to a lane) missing from their block on some node. */
  readonly lost: readonly string[];
  /** On node 0, txs with code 0 in blocks [from, to] by first message type URL. */
  readonly okByType: ReadonlyMap<string, number>;
  readonly failedByType: ReadonlyMap<string, number>;
}

/** Every reported tx must be in its block on every node; counts the kinds of txs (and their codes) on node 0. */
export async function auditTxs(rpcUrls: readonly string[], committed: readonly CommittedTx[], from: number, to: number): Promise<TxAudit> {
  const heights = [...new Set(committed.map((t) => t.height))].sort((a, b) => a - b);
  const lost = new Set<string>();
  let okByType = new Map<string, number>();
  let failedByType = new Map<string, number>();
  for (const [i, u] of rpcUrls.entries()) {
    const blocks = new Map<number, ScannedBlock>();
    const scan = i === 0 ? Array.from({ length: to - from + 1 }, (_, k) => from + k) : heights;
    await mapLimit(scan, 6, async (h) => void blocks.set(h, await scanBlock(u, h, i === 0).catch(() => ({ hashes: new Set<string>(), txs: [] }))));
    for (const t of committed) if (!blocks.get(t.height)?.hashes.has(t.hash)) lost.add(`${t.hash}@${t.height} (${t.kind}) not on node${i}`);
    if (i === 0) {
      const ok = new Map<string, number>();
      const failed = new Map<string, number>();
      for (const b of blocks.values()) for (const t of b.txs) (t.code === 0 ? ok : failed).set(t.typeUrl, ((t.code === 0 ? ok : failed).get(t.typeUrl) ?? 0) + 1);
      okByType = ok;
      failedByType = failed;
    }
  }
  return { lost: [...lost], okByType, failedByType };
}

export interface StallStats {
  /** Median gap between consecutive header times: the block time the chain actually keeps. */
  readonly expectedMs: number;
  readonly maxGapMs: number;
  /** Longest gap in expected blocks, minus the block itself (0: never late by a whole block). */
  readonly maxStallBlocks: number;
  /** Gaps longer than `thresholdBlocks` expected blocks. */
  readonly stalls: number;
  readonly worst: readonly string[];
}

export function stallStats(metas: ReadonlyMap<number, BlockMeta>, from: number, to: number, thresholdBlocks: number): StallStats {
  const gaps: Array<{ h: number; ms: number }> = [];
  for (let h = from + 1; h <= to; h++) {
    const a = metas.get(h - 1);
    const b = metas.get(h);
    if (a && b) gaps.push({ h, ms: b.timeMs - a.timeMs });
  }
  if (gaps.length === 0) return { expectedMs: 0, maxGapMs: 0, maxStallBlocks: 0, stalls: 0, worst: [] };
  const sorted = gaps.map((g) => g.ms).sort((a, b) => a - b);
  const expectedMs = Math.max(1, sorted[Math.floor(sorted.length / 2)]);
  const inBlocks = (ms: number): number => Math.max(0, Math.round(ms / expectedMs) - 1);
  const worstGaps = [...gaps].sort((a, b) => b.ms - a.ms).slice(0, 5);
  return {
    expectedMs,
    maxGapMs: sorted[sorted.length - 1],
    maxStallBlocks: inBlocks(sorted[sorted.length - 1]),
    stalls: gaps.filter((g) => inBlocks(g.ms) > thresholdBlocks).length,
    worst: worstGaps.map((g) => `${g.h - 1}→${g.h}: ${g.ms} ms (${inBlocks(g.ms)} blocks late)`),
  };
}

// ---------------------------------------------------------------------------- the scenario

export interface ScenarioOptions {
  readonly portRange: readonly [number, number];
  readonly laneSeedBase: number;
  readonly lanes: number;
  /** SIGKILLs, one node at a time (0: a plain determinism run). */
  readonly kills: number;
  /** Run the load until the chain has at least this many blocks (and all kills are done). */
  readonly minBlocks: number;
  /** Hard bound on the whole run; kills left when it is near are skipped (and reported). */
  readonly maxMs: number;
  readonly seed: number;
  readonly timeoutCommit?: string;
  readonly timeoutPropose?: string;
  readonly sidecars?: boolean;
  /** A gap of more than this many expected blocks counts as a stall. */
  readonly stallThresholdBlocks?: number;
  /** No new block on any live node for this long ends the run as a halt. */
  readonly haltMs?: number;
  /** How long a killed node stays down: uniform in [min, max] ms. */
  readonly downMs?: readonly [number, number];
  /** Kill modes in turn (default: each kill picks one at random). */
  readonly modeCycle?: readonly KillMode[];
  /** Blocks to let pass between one node being back in sync and the next kill. */
  readonly settleBlocks?: number;
  /** Keep the homes (and print where) even when everything passed. */
  readonly keep?: boolean;
  readonly log?: (msg: string) => void;
}

export interface ScenarioResult {
  readonly kills: number;
  readonly killLog: readonly string[];
  readonly stalls: number;
  readonly appHashMismatches: number;
  readonly lostTxs: number;
  readonly maxStallBlocks: number;
  /** The run ended because the chain stopped (height, and why we think so). */
  readonly halt?: string;
  /** Problems that are not in the four counters (a node that did not come back, an orphaned cometbft…). */
  readonly problems: readonly string[];
  readonly fromHeight: number;
  readonly toHeight: number;
  readonly expectedBlockMs: number;
  readonly committedTxs: number;
  readonly okByKind: Readonly<Record<LoadKind, number>>;
  /** From node 0's blocks: code-0 txs by first message type URL (sidecar results included). */
  readonly okByType: ReadonlyMap<string, number>;
  readonly failedByType: ReadonlyMap<string, number>;
  readonly loadSummary: string;
  readonly details: readonly string[];
  readonly dir: string;
}

/** The JSON line the chaos benchmark ends with. */
export function resultLine(r: ScenarioResult): string {
  return JSON.stringify({ kills: r.kills, stalls: r.stalls, app_hash_mismatches: r.appHashMismatches, lost_txs: r.lostTxs, max_stall_blocks: r.maxStallBlocks });
}

/** Highest height any running node reports. */
async function networkHeight(ln: LoadNetwork): Promise<number> {
  const hs = await Promise.all(ln.net.nodes.map((n) => (n.running ? latestHeight(n.h.rpcUrl) : Promise.resolve(-1))));
  return Math.max(...hs);
}

/** Watches block production in the background; `stuck()` says since when no node made progress. */
class HaltWatch {
  private best = -1;
  private since = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(private readonly ln: LoadNetwork) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      void networkHeight(this.ln)
        .then((h) => {
          if (h > this.best) {
            this.best = h;
            this.since = Date.now();
          }
        })
        .finally(() => (this.busy = false));
    }, 500);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  get height(): number {
    return this.best;
  }

  stuckMs(): number {
    return Date.now() - this.since;
  }
}

/**
 * Starts the load network, runs the mixed load, kills and restarts validators `kills` times
 * (never a second one while one is down or behind), stops the load, waits until every node is
 * up and in sync, and audits the whole chain on every node.
 */
export async function runScenario(o: ScenarioOptions): Promise<ScenarioResult> {
  const log = o.log ?? ((): void => undefined);
  const t0 = Date.now();
  const deadline = t0 + o.maxMs;
  const rand = mulberry32(o.seed ^ 0x5eed);
  const haltMs = o.haltMs ?? 60_000;
  const [downMin, downMax] = o.downMs ?? [500, 4000];
  const settleBlocks = o.settleBlocks ?? 8;
  const problems: string[] = [];
  const killLog: string[] = [];
  let halt: string | undefined;
  let kills = 0;

  const ln = await startLoadNetwork({ portRange: o.portRange, lanes: o.lanes, laneSeedBase: o.laneSeedBase, timeoutCommit: o.timeoutCommit, timeoutPropose: o.timeoutPropose, sidecars: o.sidecars, log });
  const { net } = ln;
  let passed = false;
  try {
    const fromHeight = 1;
    const load = new MixedLoad({
      chainId: net.chainId,
      liveRpcUrls: () => net.nodes.filter((n) => n.running).map((n) => n.h.rpcUrl),
      lanes: ln.lanes,
      validators: net.validators.map((v) => v.operator),
      model: ln.model,
      jobInput: ln.jobInput,
      seed: o.seed,
      log,
    });
    const watch = new HaltWatch(ln);
    watch.start();
    load.start();
    const remaining = (): number => deadline - Date.now();
    const checkHalt = (): boolean => {
      if (halt === undefined && watch.stuckMs() > haltMs) {
        halt = `no new block on any node for ${Math.round(watch.stuckMs() / 1000)} s at height ${watch.height}`;
        log(`HALT: ${halt}\n${net.logTails(6)}`);
      }
      return halt !== undefined;
    };
    /** Waits for `n` more blocks (false on a halt or the deadline). */
    const waitBlocks = async (n: number): Promise<boolean> => {
      const target = (await networkHeight(ln)) + n;
      while ((await networkHeight(ln)) < target) {
        if (checkHalt() || remaining() < 60_000) return false;
        await sleep(200);
      }
      return true;
    };

    let lastProgress = Date.now();
    await waitBlocks(settleBlocks);
    while (kills < o.kills && halt === undefined) {
      // Leave time for the restart and the audits.
      if (remaining() < 120_000) {
        problems.push(`time bound reached after ${kills} of ${o.kills} kills`);
        break;
      }
      const i = Math.floor(rand() * net.validators.length);
      const coin = rand();
      const mode: KillMode = o.modeCycle ? o.modeCycle[kills % o.modeCycle.length] : coin < 0.5 ? "node" : "app";
      const node = net.nodes[i];
      const hBefore = await networkHeight(ln);
      const k = await killNode(node, mode);
      kills++;
      if (k.cometbftStoppedAlone === false) problems.push(`kill ${kills}: node${i}'s cometbft outlived its killed app for 15 s (killed by the harness)`);
      const down = downMin + Math.floor(rand() * (downMax - downMin + 1));
      await sleep(down);
      const tRestart = Date.now();
      try {
        await node.start({ timeoutMs: 120_000 });
      } catch (e) {
        problems.push(`kill ${kills}: node${i} did not restart: ${(e as Error).message.split("\n")[0]}`);
        log(`node${i} did not restart\n${node.logTail(30)}`);
        break;
      }
      // Back in sync: within 2 blocks of the others.
      let synced = false;
      while (remaining() > 60_000) {
        if (checkHalt()) break;
        const [mine, all] = await Promise.all([latestHeight(node.h.rpcUrl), networkHeight(ln)]);
        if (mine >= all - 2) {
          synced = true;
          break;
        }
        await sleep(250);
      }
      const line = `kill ${kills}/${o.kills}: node${i} (${mode === "node" ? "inferd + cometbft" : `app alone; its cometbft ${k.cometbftStoppedAlone ? "exited" : "was killed"} ${k.goneMs} ms after`}) at height ${hBefore}, down ${down} ms, back in sync ${synced ? `after ${((Date.now() - tRestart) / 1000).toFixed(1)} s` : "NEVER"} at ${await networkHeight(ln)}; ${load.committed.length} txs committed so far`;
      killLog.push(line);
      log(line);
      if (!synced) {
        problems.push(`kill ${kills}: node${i} did not catch up`);
        break;
      }
      if (!(await waitBlocks(settleBlocks))) break;
      lastProgress = Date.now();
    }
    // The rest of the block budget (the determinism run is all of it).
    while (halt === undefined && (await networkHeight(ln)) < o.minBlocks) {
      if (remaining() < 60_000) {
        problems.push(`time bound reached at height ${await networkHeight(ln)} of ${o.minBlocks}`);
        break;
      }
      if (checkHalt()) break;
      if (Date.now() - lastProgress > 30_000) {
        log(`height ${await networkHeight(ln)}/${o.minBlocks}; ${load.summary()}`);
        lastProgress = Date.now();
      }
      await sleep(500);
    }
    await load.stop();
    watch.stop();
    log(`load stopped: ${load.summary()}`);

    // Every node up and at (or past) the top height before the audit.
    for (const n of net.nodes) if (!n.running) await n.start({ timeoutMs: 120_000 }).catch((e: Error) => problems.push(`final restart: ${e.message.split("\n")[0]}`));
    // Up to a height past every reported tx, so each tx's block and the header with its app hash are audited.
    const top = Math.max(await networkHeight(ln), ...load.committed.map((t) => t.height + 1));
    await Promise.all(
      net.nodes.map((n, i) =>
        n.waitForHeight(top, halt ? 10_000 : 90_000).catch(() => {
          problems.push(`node${i} did not reach height ${top}`);
        }),
      ),
    );
    const toHeight = Math.max(fromHeight, top);
    log(`auditing heights ${fromHeight}..${toHeight} on 4 nodes`);
    const urls = net.nodes.map((n) => n.h.rpcUrl);
    const hashes = await auditHashes(urls, fromHeight, toHeight, halt ? 2000 : 20_000);
    const late = load.committed.filter((t) => t.height > toHeight);
    if (late.length > 0) problems.push(`${late.length} committed txs above the audited height ${toHeight}`);
    const txs = await auditTxs(urls, load.committed, fromHeight, toHeight);
    const rejected = new Set<number>();
    for (const [i, n] of net.nodes.entries()) {
      const heights = appHashRejections(fs.existsSync(n.h.logFile) ? fs.readFileSync(n.h.logFile, "utf8") : "");
      if (heights.length > 0) hashes.details.push(`node${i}'s cometbft refused blocks whose app hash its app disagreed with, for the results of heights ${heights.join(", ")}`);
      for (const h of heights) rejected.add(h);
    }
    const mismatched = new Set([...hashes.mismatches, ...rejected]);
    const stalls = stallStats(hashes.metas, fromHeight + 1, toHeight, o.stallThresholdBlocks ?? 10);
    log(`block time ${stalls.expectedMs} ms (median of header gaps); longest gaps: ${stalls.worst.join("; ")}`);
    for (const d of hashes.details) log(`hash audit: ${d}`);
    for (const l of txs.lost.slice(0, 10)) log(`LOST ${l}`);
    const haltBlocks = halt && stalls.expectedMs > 0 ? Math.round(haltMs / stalls.expectedMs) : 0;
    const result: ScenarioResult = {
      kills,
      killLog,
      stalls: stalls.stalls + (halt ? 1 : 0),
      appHashMismatches: mismatched.size,
      lostTxs: txs.lost.length,
      maxStallBlocks: Math.max(stalls.maxStallBlocks, haltBlocks),
      halt,
      problems,
      fromHeight,
      toHeight,
      expectedBlockMs: stalls.expectedMs,
      committedTxs: load.committed.length,
      okByKind: load.okCounts(),
      okByType: txs.okByType,
      failedByType: txs.failedByType,
      loadSummary: load.summary(),
      details: [...hashes.details, ...txs.lost.slice(0, 10), ...stalls.worst],
      dir: net.dir,
    };
    passed = result.appHashMismatches === 0 && result.lostTxs === 0 && halt === undefined && problems.length === 0 && !o.keep;
    return result;
  } finally {
    await ln.stop(!passed);
    log(`network stopped after ${((Date.now() - t0) / 1000).toFixed(0)} s${passed ? "" : `; homes kept in ${net.dir}`}`);
  }
}

export { LOAD_KINDS };
