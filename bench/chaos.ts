/**
 * Chaos benchmark (not a test): a real 4-validator localnet (`inferd localnet init`, one
 * `inferd start` per validator, a sidecar each, loopback only) under mixed load (bank sends,
 * delegations, undelegations, inference jobs), with a random validator SIGKILLed `--kills`
 * times: sometimes the whole node (inferd and its cometbft child), sometimes the app process
 * alone (its cometbft must stop by itself). Each killed node is restarted on its home and must
 * catch up before the next kill. Then, on every node, over every height: the same block, app
 * and results hashes; every tx a sender saw committed still in its block; and the longest gap
 * in block production in expected (median) block times.
 *
 *   npm run build && npm run bench:chaos -- [--kills 20] [--max-minutes 30] [--seed N] ...
 *
 * The last stdout line is one JSON object:
 *   {"kills":N,"stalls":N,"app_hash_mismatches":N,"lost_txs":N,"max_stall_blocks":N}
 * Exit code 1 if there was an app hash mismatch, a lost tx, a halt, or a node that did not
 * come back. Progress goes to stderr. The homes are removed unless something failed (or --keep).
 */
import { Command, Option } from "commander";
import { nonNegativeInt } from "./options";
import { resultLine, runScenario } from "../test/support/chaos";

interface Opts {
  kills: number;
  maxMinutes: number;
  seed: number;
  lanes: number;
  timeoutCommit: string;
  timeoutPropose: string;
  stallBlocks: number;
  portFrom: number;
  minBlocks: number;
  sidecars: boolean;
  keep: boolean;
}

function parseOpts(argv: string[]): Opts {
  const int = nonNegativeInt;
  const p = new Command("bench:chaos")
    .description("SIGKILL random validators of a 4-node localnet under mixed load; check app hashes, committed txs and stalls")
    .addOption(new Option("--kills <n>", "SIGKILLs (one node at a time)").env("CHAOS_KILLS").default(20).argParser(int))
    .addOption(new Option("--max-minutes <n>", "bound on the whole run (kills left near the end are skipped and reported)").env("CHAOS_MAX_MINUTES").default(30).argParser(int))
    .addOption(new Option("--seed <n>", "PRNG seed (which node, which kill, downtime, load mix); default: from the clock, printed").env("CHAOS_SEED").argParser(int))
    .addOption(new Option("--lanes <n>", "senders, one tx in flight each").env("CHAOS_LANES").default(8).argParser(int))
    .addOption(new Option("--timeout-commit <d>", "CometBFT timeout_commit").env("CHAOS_TIMEOUT_COMMIT").default("200ms"))
    .addOption(new Option("--timeout-propose <d>", "CometBFT timeout_propose (what a dead proposer costs)").env("CHAOS_TIMEOUT_PROPOSE").default("1s"))
    .addOption(new Option("--stall-blocks <n>", "a gap longer than this many expected blocks is a stall").env("CHAOS_STALL_BLOCKS").default(10).argParser(int))
    .addOption(new Option("--min-blocks <n>", "keep the load going until the chain has this many blocks").env("CHAOS_MIN_BLOCKS").default(0).argParser(int))
    .addOption(new Option("--port-from <k>", "first port index (ports are default + 100·k; 10 indexes are scanned)").env("CHAOS_PORT_FROM").default(4).argParser(int))
    .addOption(new Option("--no-sidecars", "no sidecars (jobs then time out instead of getting results)"))
    .addOption(new Option("--keep", "keep the homes and logs even when everything passed").default(false));
  p.parse(argv);
  const o = p.opts<Opts>();
  return { ...o, seed: o.seed ?? Date.now() % 1_000_000 };
}

async function main(): Promise<void> {
  const o = parseOpts(process.argv);
  const started = Date.now();
  const log = (msg: string): void => void process.stderr.write(`[chaos +${((Date.now() - started) / 1000).toFixed(0)}s] ${msg}\n`);
  log(`seed ${o.seed}, ${o.kills} kills, ${o.lanes} lanes, timeout_commit ${o.timeoutCommit}, timeout_propose ${o.timeoutPropose}, at most ${o.maxMinutes} min`);
  const r = await runScenario({
    portRange: [o.portFrom, o.portFrom + 9],
    laneSeedBase: 700_000,
    lanes: o.lanes,
    kills: o.kills,
    minBlocks: o.minBlocks,
    maxMs: o.maxMinutes * 60_000,
    seed: o.seed,
    timeoutCommit: o.timeoutCommit,
    timeoutPropose: o.timeoutPropose,
    sidecars: o.sidecars,
    stallThresholdBlocks: o.stallBlocks,
    keep: o.keep,
    log,
  });
  const byType = [...r.okByType.entries()].map(([t, n]) => `${t.split(".").pop()} ${n}`).join(", ");
  const failed = [...r.failedByType.entries()].map(([t, n]) => `${t.split(".").pop()} ${n}`).join(", ");
  console.log(`seed ${o.seed}; heights ${r.fromHeight}..${r.toHeight}; block time ${r.expectedBlockMs} ms; ${(((Date.now() - started) / 1000) | 0)} s`);
  console.log(`kills: ${r.kills} (${r.killLog.filter((l) => l.includes("app alone")).length} of the app alone)`);
  console.log(`txs reported committed by the load: ${r.committedTxs}; ${r.loadSummary}`);
  console.log(`in blocks with code 0: ${byType || "none"}; failed in blocks: ${failed || "none"}`);
  if (r.halt) console.log(`HALT: ${r.halt}`);
  for (const p of r.problems) console.log(`problem: ${p}`);
  for (const d of r.details) console.log(`  ${d}`);
  console.log(resultLine(r));
  const bad = r.appHashMismatches > 0 || r.lostTxs > 0 || r.halt !== undefined || r.problems.some((p) => !p.startsWith("time bound"));
  process.exitCode = bad ? 1 : 0;
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(2);
});
