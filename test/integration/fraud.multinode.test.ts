/** @jest-environment ./test/support/onnxruntimeEnvironment.js */
/**
 * bench:fraud's scenarios, shortened (issue 10, item 4): test/support/fraud.ts's scenario code on
 * real 5-validator localnets (`inferd localnet init/start`, a sidecar each, CometBFT,
 * onnxruntime), few jobs, asserting the goals that hold on any run:
 *
 *   collusion  node 1 fakes every job (`--fault random`) and node 2 colludes with it
 *              (`--collude`: drawn for node 1's jobs it reveals node 1's faked output); the
 *              honest validators get extra delegations so the group holds < 1/3 of the stake.
 *              Every result is audited here (audit_rate_ppm 10^6) and every candidate seated
 *              (verifiers_per_round 4 of the 4 others), so the colluder verifies each faked job
 *              on a run this short: outvoted 3 to 1. Jobs go in two at a time while fewer than 4
 *              disputes are open (a 2-core box runs all of it). No verdict flipped, no honest
 *              validator slashed; the faker
 *              is slashed, jailed and tombstoned and ends poorer than it started; the colluder
 *              did reveal the faked output and paid for it (bad_verification).
 *   griefer    an account challenges honest results with min_challenge_bond at default audits:
 *              every challenge ends OK, the griefer loses its bonds, nobody honest is slashed.
 *   withhold   jobs by URI; node 1 `--fault withhold` never provides an input: every data
 *              request of its results expires and slashes it (data_unavailable), the honest
 *              workers' requests are answered and nobody honest is slashed; it earns less than
 *              an honest validator. Skipped (and said so) on a build without URI jobs.
 *
 * Port indexes 56-61, shared with challenge.multinode.test.ts (one localnet at a time): a run
 * that finds them taken waits for them (jest may run the two files at once on a larger box).
 */
import { dataAvailabilitySupported, runFraudScenario, scenarioPlan, type ScenarioOptions, type ScenarioResult } from "../support/fraud";
import { sleep } from "../support/node";

jest.setTimeout(600_000);

const PORT_RANGE = [56, 61] as const;
const VALIDATORS = 5;
const log = (msg: string): void => void process.stderr.write(`[fraud] ${msg}\n`);

/** runFraudScenario, waiting (up to 8 minutes) while another suite holds the port indexes. */
async function run(name: "collusion" | "griefer" | "withhold", jobs: number, o: Partial<ScenarioOptions> = {}): Promise<ScenarioResult> {
  const deadline = Date.now() + 480_000;
  for (;;) {
    try {
      return await runFraudScenario(scenarioPlan(name, VALIDATORS, jobs), { validators: VALIDATORS, jobs, portRange: PORT_RANGE, log, settleMs: 240_000, ...o });
    } catch (e) {
      if (!/no [0-9]+ free port indexes/.test((e as Error).message) || Date.now() > deadline) throw e;
      await sleep(5000);
    }
  }
}

test("collusion: a faking worker and a colluding verifier below 1/3 of the stake flip no verdict; the faker is slashed, tombstoned and loses", async () => {
  const r = await run("collusion", 40, { batch: 2, maxActiveDisputes: 4, params: { challenge: { audit_rate_ppm: "1000000", verifiers_per_round: 4 } } });
  log(JSON.stringify(r));
  expect(r.colludingStakeShare).toBeLessThan(1 / 3);
  expect(r.faked_jobs).toBeGreaterThan(0);
  expect({ honest_slashed: r.honest_slashed, verdicts_flipped: r.verdicts_flipped }).toEqual({ honest_slashed: 0, verdicts_flipped: 0 });
  expect({ slashed: r.fraudsterSlashed, jailed: r.fraudsterJailed, tombstoned: r.fraudsterTombstoned }).toEqual({ slashed: true, jailed: true, tombstoned: true });
  expect(r.faked_jobs_to_detection).toBe(1); // every result audited: the first faked one is caught
  expect(BigInt(r.fraud_profit_uinf)).toBeLessThan(0n);
  // The colluder played its part: drawn for the faker's jobs, it revealed the faked output (and was outvoted).
  expect(r.colluderReveals).toBeGreaterThan(0);
  expect(r.colluderSharedReveals).toBeGreaterThanOrEqual(r.colluderReveals);
  expect(r.colluderSlashes).toBeGreaterThanOrEqual(r.colluderReveals);
});

test("griefer: challenges of honest results all end OK; the griefer loses its bonds; nobody honest is slashed", async () => {
  const r = await run("griefer", 60);
  log(JSON.stringify(r));
  expect(r.faked_jobs).toBe(0);
  expect(r.challenges).toBeGreaterThan(0);
  expect({ honest_slashed: r.honest_slashed, verdicts_flipped: r.verdicts_flipped }).toEqual({ honest_slashed: 0, verdicts_flipped: 0 });
  expect(BigInt(r.griefer_loss_uinf)).toBeGreaterThanOrEqual(BigInt(r.challenges) * 1_000_000n);
  expect(r.fraud_profit_uinf).toBe(`-${r.griefer_loss_uinf}`);
});

(dataAvailabilitySupported() ? test : test.skip)("withhold: every data request of the withholder's results expires and slashes it; honest workers answer theirs", async () => {
  const r = await run("withhold", 90);
  log(JSON.stringify(r));
  expect(r.dataRequestsWithheld).toBeGreaterThan(0);
  expect(r.dataRequestsHonest).toBeGreaterThan(0);
  expect(r.unavailableSlashes).toBe(r.dataRequestsWithheld);
  expect({ honest_slashed: r.honest_slashed, verdicts_flipped: r.verdicts_flipped }).toEqual({ honest_slashed: 0, verdicts_flipped: 0 });
  expect(BigInt(r.fraud_profit_uinf)).toBeLessThan(BigInt(r.honestMeanGainUinf));
});
