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
 * `node -e 0` is timed too, as the floor no CLI can go below. Besides wall time, each run's
 * CPU time (user + system, all of its threads, from `process.cpuUsage()` at exit through a
 * `--require`d probe) is reported: on a shared box it moves less with the load than wall time.
 *
 *   npm run build && npm run bench:cli -- [--runs 15] [--node tcp://127.0.0.1:1] [--inferd FILE]
 *
 * `--inferd` times another build's dist/cmd/inferd.js (e.g. a worktree at an older commit).
 *
 * Runs are interleaved (one of each command per round, after one warm-up round) so a burst of
 * load on a shared box lands on all of them. Prints median and p90 wall time and median CPU
 * time per command; the last stdout line is one JSON object with the figures (milliseconds).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";

const THIS_BUILD = path.resolve(__dirname, "../cmd/inferd.js");
const CHAIN_ID = "bench-cli";
const REFUSED = /fetch failed|ECONNREFUSED|cannot reach|connect/i;
/** Preloaded into each run: its CPU time on the last stderr line. */
const CPU_PROBE = `process.on("exit", () => { const u = process.cpuUsage(); process.stderr.write("\\ncpu-us " + (u.user + u.system) + "\\n"); });\n`;
const CPU_LINE = /\ncpu-us ([0-9]+)\n$/;

interface Case {
  readonly name: string;
  readonly args: readonly string[];
  /** Exit code the run must end with: 0, or 1 with a connection error. */
  readonly refused: boolean;
}

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  /** CPU time, when run with the probe. */
  readonly cpuMs?: number;
}

function inferd(js: string, args: readonly string[], probe?: string): Run {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [...(probe ? ["--require", probe] : []), js, ...args], { encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = CPU_LINE.exec(r.stderr);
  return { status: r.status, stdout: r.stdout, stderr: cpu ? r.stderr.slice(0, cpu.index) : r.stderr, ms, cpuMs: cpu ? Number(cpu[1]) / 1e3 : undefined };
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
    .option("--inferd <file>", "the inferd.js to time (default: this build's)")
    .parse(process.argv)
    .opts<{ runs: string; node: string; inferd?: string }>();
  const inferdJs = o.inferd ? path.resolve(o.inferd) : THIS_BUILD;
  const runs = Number(o.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs must be an integer ≥ 1");
  if (!fs.existsSync(inferdJs)) throw new Error(`${inferdJs} is missing: run npm run build first`);

  const home = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-bench-cli-"));
  try {
    const init = inferd(inferdJs, ["init", "bench", "--chain-id", CHAIN_ID, "--home", home]);
    if (init.status !== 0) throw new Error(`inferd init failed: ${init.stderr}`);
    const add = inferd(inferdJs, ["keys", "add", "alice", "--home", home, "--keyring-backend", "test", "--output", "json"]);
    if (add.status !== 0) throw new Error(`inferd keys add failed: ${add.stderr}`);
    const alice = (JSON.parse(add.stdout) as { address: string }).address;
    const probe = path.join(home, "cpu-probe.js");
    fs.writeFileSync(probe, CPU_PROBE);
    const at = ["--node", o.node, "--home", home];
    const cases: Case[] = [
      { name: "--version", args: ["--version"], refused: false },
      { name: "status", args: ["status", ...at], refused: true },
      { name: "query bank balances", args: ["query", "bank", "balances", alice, ...at], refused: true },
      { name: "query inference job", args: ["query", "inference", "job", "1", ...at], refused: true },
      { name: "tx bank send", args: ["tx", "bank", "send", "alice", alice, "1000uinf", "--yes", "--chain-id", CHAIN_ID, "--keyring-backend", "test", ...at], refused: true },
    ];
    process.stdout.write(`${inferdJs}\nhost: ${os.cpus().length} cpus, load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}, node ${process.version}, ${runs} runs each\n`);

    const times = new Map<string, number[]>(cases.map((c) => [c.name, []]));
    const cpuTimes = new Map<string, number[]>(cases.map((c) => [c.name, []]));
    const floor: number[] = [];
    for (let round = 0; round <= runs; round++) {
      const nodeMs = timeNode();
      if (round > 0) floor.push(nodeMs);
      for (const c of cases) {
        const r = inferd(inferdJs, c.args, probe);
        const ok = c.refused ? r.status === 1 && REFUSED.test(r.stderr) : r.status === 0;
        if (!ok || r.cpuMs === undefined) throw new Error(`inferd ${c.args.join(" ")}: exit ${r.status}, stderr ${JSON.stringify(r.stderr.slice(0, 500))}`);
        if (round > 0) {
          // round 0 warms the file cache
          times.get(c.name)!.push(r.ms);
          cpuTimes.get(c.name)!.push(r.cpuMs);
        }
      }
    }

    const summary: Record<string, { median_ms: number; p90_ms: number; min_ms: number; cpu_median_ms?: number }> = {};
    const col = (x: number): string => r1(x).toString().padStart(6);
    const row = (name: string, xs: number[], cpu?: number[]): void => {
      const s = [...xs].sort((a, b) => a - b);
      const [median, p90, min] = [quantile(s, 0.5), quantile(s, 0.9), s[0]];
      const cpuMedian = cpu ? quantile([...cpu].sort((a, b) => a - b), 0.5) : undefined;
      summary[name] = { median_ms: r1(median), p90_ms: r1(p90), min_ms: r1(min), ...(cpuMedian === undefined ? {} : { cpu_median_ms: r1(cpuMedian) }) };
      process.stdout.write(`${name.padEnd(22)} median ${col(median)} ms   p90 ${col(p90)} ms   min ${col(min)} ms${cpuMedian === undefined ? "" : `   cpu median ${col(cpuMedian)} ms`}\n`);
    };
    row("node -e 0", floor);
    for (const c of cases) row(c.name, times.get(c.name)!, cpuTimes.get(c.name)!);
    process.stdout.write(`load average after: ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}\n`);
    process.stdout.write(JSON.stringify({ inferd: inferdJs, runs, node: o.node, load_avg: os.loadavg().map(r1), commands: summary }) + "\n");
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

main();
