/**
 * CLI start-up benchmark (issue 12, item 4): how long `inferd` takes of its own time.
 *
 * Spawns `node dist/cmd/inferd.js` for `--version`, `status`, `query bank balances <addr>`,
 * `query inference job 1` and `tx bank send … --yes`, the last four against a node address
 * that refuses connections at once (default tcp://127.0.0.1:1), so each run's wall time is the
 * CLI's own: node's start-up, loading modules, parsing flags, reading the home and keyring and
 * signing, until the first network call fails. Each such run must exit 1 with a connection
 * error (anything else fails the benchmark: it would be timing something else). The tx signs
 * with a key made for the run in a temp home (`inferd init` + `inferd keys add`, test keyring).
 * `node -e 0` is timed too, as the floor no CLI can go below.
 *
 *   npm run build && npm run bench:cli -- [--runs 15] [--node tcp://127.0.0.1:1]
 *
 * Runs are interleaved (one of each command per round, after one warm-up round) so a burst of
 * load on a shared box lands on all of them. Prints median and p90 per command; the last
 * stdout line is one JSON object with the figures (milliseconds).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";

const INFERD = path.resolve(__dirname, "../cmd/inferd.js");
const CHAIN_ID = "bench-cli";
const REFUSED = /fetch failed|ECONNREFUSED|cannot reach|connect/i;

interface Case {
  readonly name: string;
  readonly args: readonly string[];
  /** Exit code the run must end with: 0, or 1 with a connection error. */
  readonly refused: boolean;
}

function inferd(args: readonly string[]): { status: number | null; stdout: string; stderr: string; ms: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [INFERD, ...args], { encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms };
}

function timeNode(): number {
  const t0 = process.hrtime.bigint();
  spawnSync(process.execPath, ["-e", "0"]);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function quantile(sorted: readonly number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}

const r1 = (x: number): number => Math.round(x * 10) / 10;

function main(): void {
  const o = new Command("bench-cli")
    .option("--runs <n>", "timed runs per command", "15")
    .option("--node <url>", "a node address that refuses connections at once", "tcp://127.0.0.1:1")
    .parse(process.argv)
    .opts<{ runs: string; node: string }>();
  const runs = Number(o.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs must be an integer ≥ 1");
  if (!fs.existsSync(INFERD)) throw new Error(`${INFERD} is missing: run npm run build first`);

  const home = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-bench-cli-"));
  try {
    const init = inferd(["init", "bench", "--chain-id", CHAIN_ID, "--home", home]);
    if (init.status !== 0) throw new Error(`inferd init failed: ${init.stderr}`);
    const add = inferd(["keys", "add", "alice", "--home", home, "--keyring-backend", "test", "--output", "json"]);
    if (add.status !== 0) throw new Error(`inferd keys add failed: ${add.stderr}`);
    const alice = (JSON.parse(add.stdout) as { address: string }).address;
    const at = ["--node", o.node, "--home", home];
    const cases: Case[] = [
      { name: "--version", args: ["--version"], refused: false },
      { name: "status", args: ["status", ...at], refused: true },
      { name: "query bank balances", args: ["query", "bank", "balances", alice, ...at], refused: true },
      { name: "query inference job", args: ["query", "inference", "job", "1", ...at], refused: true },
      { name: "tx bank send", args: ["tx", "bank", "send", "alice", alice, "1000uinf", "--yes", "--chain-id", CHAIN_ID, "--keyring-backend", "test", ...at], refused: true },
    ];
    process.stdout.write(`host: ${os.cpus().length} cpus, load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}, node ${process.version}, ${runs} runs each\n`);

    const times = new Map<string, number[]>(cases.map((c) => [c.name, []]));
    const floor: number[] = [];
    for (let round = 0; round <= runs; round++) {
      const nodeMs = timeNode();
      if (round > 0) floor.push(nodeMs);
      for (const c of cases) {
        const r = inferd(c.args);
        const ok = c.refused ? r.status === 1 && REFUSED.test(r.stderr) : r.status === 0;
        if (!ok) throw new Error(`inferd ${c.args.join(" ")}: exit ${r.status}, stderr ${JSON.stringify(r.stderr.slice(0, 500))}`);
        if (round > 0) times.get(c.name)!.push(r.ms); // round 0 warms the file cache
      }
    }

    const summary: Record<string, { median_ms: number; p90_ms: number; min_ms: number }> = {};
    const row = (name: string, xs: number[]): void => {
      const s = [...xs].sort((a, b) => a - b);
      summary[name] = { median_ms: r1(quantile(s, 0.5)), p90_ms: r1(quantile(s, 0.9)), min_ms: r1(s[0]) };
      process.stdout.write(`${name.padEnd(22)} median ${r1(quantile(s, 0.5)).toString().padStart(6)} ms   p90 ${r1(quantile(s, 0.9)).toString().padStart(6)} ms   min ${r1(s[0]).toString().padStart(6)} ms\n`);
    };
    row("node -e 0", floor);
    for (const c of cases) row(c.name, times.get(c.name)!);
    process.stdout.write(`load average after: ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}\n`);
    process.stdout.write(JSON.stringify({ runs, node: o.node, load_avg: os.loadavg().map(r1), commands: summary }) + "\n");
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

main();
