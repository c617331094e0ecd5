/**
 * A short chaos run for CI (the full one is `npm run bench:chaos`): 4 validators with sidecars
 * under mixed load, a random validator SIGKILLed 4 times, alternately the whole node (inferd and
 * its cometbft child) and the app process alone (its cometbft must stop by itself), each
 * restarted on its home. Afterwards: no app hash mismatch at any height on any node, no tx a
 * sender saw committed missing from its block anywhere, the chain never halted, every killed
 * node came back and caught up.
 */
import { runScenario } from "../support/chaos";

const log = (msg: string): void => void process.stderr.write(`[chaos] ${msg}\n`);

test("4 SIGKILLs under mixed load: no app hash mismatch, no lost tx, no halt", async () => {
  const seed = Number(process.env.CHAOS_SEED ?? 4);
  const r = await runScenario({
    portRange: [36, 43],
    laneSeedBase: 720_000,
    lanes: 6,
    kills: 4,
    modeCycle: ["app", "node"],
    minBlocks: 0,
    maxMs: 7 * 60_000,
    seed,
    timeoutCommit: "200ms",
    log,
  });
  log(`seed ${seed}: heights ${r.fromHeight}..${r.toHeight}, ${r.committedTxs} txs, max stall ${r.maxStallBlocks} blocks`);
  expect({ kills: r.kills, halt: r.halt, problems: r.problems, appHashMismatches: r.appHashMismatches, lostTxs: r.lostTxs, details: r.details.slice(0, 5) }).toMatchObject({
    kills: 4,
    halt: undefined,
    problems: [],
    appHashMismatches: 0,
    lostTxs: 0,
  });
  expect(r.committedTxs).toBeGreaterThan(0);
}, 9 * 60_000);
