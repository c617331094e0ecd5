/**
 * The node's Prometheus metrics (SPEC §2: `inferd start` serves them on app.toml's
 * `[telemetry] address`, 26661 by default), fed by the ABCI server's `observe` hook:
 *
 *   inferchain_block_height                      last committed FinalizeBlock's height
 *   inferchain_block_time_seconds                its header time (unix seconds)
 *   inferchain_finalize_block_duration_seconds   FinalizeBlock run time
 *   inferchain_commit_duration_seconds           Commit run time (trie hash, LevelDB write)
 *   inferchain_block_txs                         txs per block (histogram), inferchain_txs_total
 *   inferchain_check_tx_total{result,codespace,code}  CheckTx answers: accepted, or refused by code
 *   inferchain_store_bytes                       application.db on disk (read at scrape time)
 *
 * plus Node's process metrics (`inferchain_node_` prefix). No clock or metric reaches the
 * state machine: everything is measured around it.
 */
import fs from "node:fs";
import path from "node:path";
import type { Request, Response } from "cosmjs-types/tendermint/abci/types";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

const SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const TX_BUCKETS = [0, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

/** Bytes of the files directly in `dir` (LevelDB keeps a flat directory); 0 if it is not there. */
export function directoryBytes(dir: string): number {
  let total = 0;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  for (const n of names) {
    try {
      const st = fs.statSync(path.join(dir, n));
      if (st.isFile()) total += st.size;
    } catch {
      // removed by a compaction between readdir and stat
    }
  }
  return total;
}

export class NodeMetrics {
  readonly registry = new Registry();
  private readonly height: Gauge;
  private readonly blockTime: Gauge;
  private readonly finalizeSeconds: Histogram;
  private readonly commitSeconds: Histogram;
  private readonly blockTxs: Histogram;
  private readonly txs: Counter;
  private readonly checkTx: Counter<"result" | "codespace" | "code">;

  constructor(appDbDir: string) {
    const registers = [this.registry];
    this.height = new Gauge({ name: "inferchain_block_height", help: "Height of the last block the app finalized", registers });
    this.blockTime = new Gauge({ name: "inferchain_block_time_seconds", help: "Header time of the last finalized block (unix seconds)", registers });
    this.finalizeSeconds = new Histogram({ name: "inferchain_finalize_block_duration_seconds", help: "FinalizeBlock run time", buckets: SECONDS_BUCKETS, registers });
    this.commitSeconds = new Histogram({ name: "inferchain_commit_duration_seconds", help: "Commit run time (app hash, LevelDB write, pruning)", buckets: SECONDS_BUCKETS, registers });
    this.blockTxs = new Histogram({ name: "inferchain_block_txs", help: "Transactions per finalized block", buckets: TX_BUCKETS, registers });
    this.txs = new Counter({ name: "inferchain_txs_total", help: "Transactions in finalized blocks", registers });
    this.checkTx = new Counter({
      name: "inferchain_check_tx_total",
      help: "CheckTx answers: result=accepted, or refused with the refusal's codespace and code (docs/ERRORS.md)",
      labelNames: ["result", "codespace", "code"],
      registers,
    });
    new Gauge({
      name: "inferchain_store_bytes",
      help: "Size of the app's LevelDB directory (data/application.db)",
      registers,
      collect() {
        this.set(directoryBytes(appDbDir));
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: "inferchain_node_" });
  }

  /** The ABCI server's `observe` hook. */
  readonly observe = (req: Request, resp: Response, runNs: bigint | undefined): void => {
    const seconds = runNs === undefined ? undefined : Number(runNs) / 1e9;
    if (req.finalizeBlock && resp.finalizeBlock) {
      this.height.set(Number(req.finalizeBlock.height));
      const t = req.finalizeBlock.time;
      if (t) this.blockTime.set(Number(t.seconds) + t.nanos / 1e9);
      this.blockTxs.observe(req.finalizeBlock.txs.length);
      this.txs.inc(req.finalizeBlock.txs.length);
      if (seconds !== undefined) this.finalizeSeconds.observe(seconds);
    } else if (req.commit && seconds !== undefined) {
      this.commitSeconds.observe(seconds);
    } else if (req.checkTx && resp.checkTx) {
      const { code, codespace } = resp.checkTx;
      if (code === 0) this.checkTx.inc({ result: "accepted", codespace: "", code: "0" });
      else this.checkTx.inc({ result: "refused", codespace, code: String(code) });
    }
  };
}
