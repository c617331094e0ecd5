/**
 * Determinism on real CometBFT: 4 validators (each `inferd start` with its cometbft child, and
 * a sidecar) run at least 1,000 blocks of the mixed load of test/support/load (bank sends,
 * delegations, undelegations, inference jobs, and the sidecars' results). Every node must have
 * the same block hash, app hash and results hash at every height, each app's own last hash
 * must match the next header on its node, every tx a sender saw committed must be in its block
 * on every node, and the blocks must really have contained code-0 txs of every kind.
 */
import { runScenario, type ScenarioResult } from "../support/chaos";
import { MSG_DELEGATE, MSG_SEND, MSG_SUBMIT_JOB, MSG_SUBMIT_RESULT, MSG_UNDELEGATE } from "../support/load";

const BLOCKS = 1000;
const log = (msg: string): void => void process.stderr.write(`[determinism] ${msg}\n`);

test(`4 nodes agree on every app hash over ${BLOCKS} blocks of mixed load`, async () => {
  const r: ScenarioResult = await runScenario({
    portRange: [12, 19],
    laneSeedBase: 710_000,
    lanes: 6,
    kills: 0,
    minBlocks: BLOCKS + 2,
    maxMs: 13 * 60_000,
    seed: 1000,
    timeoutCommit: "100ms",
    log,
  });
  log(`heights ${r.fromHeight}..${r.toHeight}, block time ${r.expectedBlockMs} ms, ${r.committedTxs} txs; ${r.loadSummary}`);
  log(`code 0 in blocks: ${[...r.okByType.entries()].map(([t, n]) => `${t} ${n}`).join(", ")}`);
  expect({ halt: r.halt, problems: r.problems, appHashMismatches: r.appHashMismatches, lostTxs: r.lostTxs, details: r.details.slice(0, 5) }).toMatchObject({
    halt: undefined,
    problems: [],
    appHashMismatches: 0,
    lostTxs: 0,
  });
  expect(r.toHeight).toBeGreaterThanOrEqual(BLOCKS);
  const kinds = Object.fromEntries([MSG_SEND, MSG_DELEGATE, MSG_UNDELEGATE, MSG_SUBMIT_JOB, MSG_SUBMIT_RESULT].map((t) => [t, (r.okByType.get(t) ?? 0) > 0]));
  expect(kinds).toEqual({ [MSG_SEND]: true, [MSG_DELEGATE]: true, [MSG_UNDELEGATE]: true, [MSG_SUBMIT_JOB]: true, [MSG_SUBMIT_RESULT]: true });
  // The load itself saw every kind committed (not only the sidecars' results).
  expect(Object.values(r.okByKind).every((n) => n > 0)).toBe(true);
}, 15 * 60_000);
