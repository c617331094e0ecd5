/**
 * Fraud benchmark (issue 10, item 4; not a test): adversarial scenarios on real localnets (`inferd
 * localnet init/start`, ≥ 5 validators each with a sidecar, CometBFT, onnxruntime), a few hundred
 * mlp-16x8 jobs each, driven by the sidecars' fault modes (test/support/fraud.ts says what each
 * scenario runs and how the truth is known: the client opens every sealed result and compares it
 * with an honest run here). Each scenario gets a fresh localnet, one after the other.
 *
 *   npm run build && npm run bench:fraud -- [--scenarios fake-all,collusion] [--jobs 300] [--validators 5]
 *                                            [--timeout-commit 300ms] [--port-offset 4] [--keep]
 *
 * Prints per scenario: faked jobs, faked jobs until the first detection (the first faked result
 * whose dispute reached FAULT), detected within 100 faked jobs, blocks from the first faked result
 * to the fraudster's slash, honest validators slashed (x/slashing records of kind invalid_result
 * or bad_verification), verdicts flipped (final verdicts contrary to the truth), the griefer's
 * loss, verifier executions (committed seats of every dispute round) ÷ results posted, and the
 * fraudster's net profit (its operator account + worker key + bonded tokens, after − before).
 * Beside the measured detection: 1 − (1 − p)^100 and a Monte Carlo over x/challenge's own audit
 * draw. The last stdout line is one JSON object:
 *   {"scenarios":[{"name":..,"faked_jobs":N,"faked_jobs_to_detection":N,"detected_within_100":bool,
 *     "blocks_fault_to_slash":N,"honest_slashed":N,"verdicts_flipped":N,"verification_ratio":x,
 *     "fraud_profit_uinf":"N","griefer_loss_uinf":"N"}, ...]}
 * (-1 where there is nothing to count: no detection, no slash). Progress goes to stderr. Exit
 * code 1 if an honest validator was slashed, a verdict flipped or a scenario failed to run (the
 * others still run; a failed one is left out of the JSON and its localnet kept).
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { nonNegativeInt } from "./options";
import { detectionProbability, MEASUREMENT_PARAMS, monteCarloDetection, resultJson, runFraudScenario, scenarioPlan, SCENARIOS, type ScenarioName, type ScenarioResult } from "../test/support/fraud";

interface Opts {
  scenarios: string;
  jobs: number;
  validators: number;
  timeoutCommit: string;
  portOffset: number;
  batch: number;
  trials: number;
  keep: boolean;
}

function parseOpts(argv: string[]): Opts {
  const int = nonNegativeInt;
  const p = new Command("bench:fraud")
    .description("Adversarial scenarios on real localnets: detection, false slashes, flipped verdicts, verification cost, fraud profit")
    .addOption(new Option("--scenarios <list>", `comma-separated, of ${SCENARIOS.join(", ")}`).default(SCENARIOS.join(",")))
    .addOption(new Option("--jobs <n>", "jobs per scenario").default(300).argParser(int))
    .addOption(new Option("--validators <n>", "validators (each with a sidecar), at least 5").default(5).argParser(int))
    .addOption(new Option("--timeout-commit <d>", "CometBFT timeout_commit").default("300ms"))
    .addOption(new Option("--port-offset <k>", "first port index (ports are default + 100·k; validators + 5 indexes are scanned)").default(4).argParser(int))
    .addOption(new Option("--batch <n>", "jobs per MsgSubmitJob tx").default(10).argParser(int))
    .addOption(new Option("--trials <n>", "Monte Carlo runs over the audit draw").default(20_000).argParser(int))
    .addOption(new Option("--keep", "keep the localnets' homes and logs").default(false));
  p.parse(argv);
  const o = p.opts<Opts>();
  for (const s of o.scenarios.split(",")) if (!(SCENARIOS as readonly string[]).includes(s)) throw new InvalidArgumentError(`unknown scenario ${s} (${SCENARIOS.join(", ")})`);
  if (o.validators < 5) throw new InvalidArgumentError("--validators must be at least 5");
  return o;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

function table(rs: readonly ScenarioResult[]): string {
  const head = ["scenario", "jobs", "faked", "to detection", "≤100", "blocks to slash", "honest slashed", "flipped", "verif. ratio", "fraud profit uinf", "honest mean uinf", "griefer loss uinf"];
  const rows = rs.map((r) =>
    r.skipped
      ? [r.name, "skipped", "", "", "", "", "", "", "", "", "", ""]
      : [
          r.name,
          String(r.results),
          String(r.faked_jobs),
          r.faked_jobs === 0 ? "n/a" : r.faked_jobs_to_detection < 0 ? "none" : String(r.faked_jobs_to_detection),
          r.faked_jobs === 0 ? "n/a" : r.detected_within_100 ? "yes" : "no",
          r.blocks_fault_to_slash < 0 ? "n/a" : String(r.blocks_fault_to_slash),
          String(r.honest_slashed),
          String(r.verdicts_flipped),
          pct(r.verification_ratio),
          r.fraud_profit_uinf,
          r.honestMeanGainUinf,
          r.griefer_loss_uinf,
        ],
  );
  const line = (cells: string[]): string => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

async function main(): Promise<void> {
  const o = parseOpts(process.argv);
  const started = Date.now();
  const log = (msg: string): void => void process.stderr.write(`[fraud +${((Date.now() - started) / 1000).toFixed(0)}s] ${msg}\n`);
  const names = o.scenarios.split(",") as ScenarioName[];
  console.log(`bench:fraud ${new Date().toISOString()}: ${names.join(", ")}; ${o.jobs} jobs each (${o.batch} per tx), ${o.validators} validators, timeout_commit ${o.timeoutCommit}`);
  console.log(`params changed from the defaults for measuring: x/challenge ${JSON.stringify(MEASUREMENT_PARAMS.challenge)}, x/inference ${JSON.stringify(MEASUREMENT_PARAMS.inference)}; everything else (audit_rate_ppm, verifiers_per_round, slashes) default`);
  const results: ScenarioResult[] = [];
  const failed: string[] = [];
  for (const name of names) {
    const plan = scenarioPlan(name, o.validators, o.jobs);
    let r: ScenarioResult;
    try {
      r = await runFraudScenario(plan, { validators: o.validators, jobs: o.jobs, batch: o.batch, portRange: [o.portOffset, o.portOffset + o.validators + 4], timeoutCommit: o.timeoutCommit, keep: o.keep, log });
    } catch (e) {
      // One scenario's localnet failing (its homes are kept) does not cost the others.
      failed.push(name);
      console.log(`${name}: FAILED: ${(e as Error).message.split("\n")[0]}`);
      log(`${name}: ${(e as Error).stack ?? String(e)}`);
      continue;
    }
    results.push(r);
    if (r.skipped) console.log(`${name}: skipped: ${r.skipped}`);
    else {
      console.log(
        `${name} (${r.what}): ${r.results} results in ${r.blocks} blocks (${r.seconds} s); ${r.faked_jobs} faked; ${r.disputes} disputes (${r.audits} audits); ` +
          `${r.verifierExecutions} verifier executions; audit rate ${r.auditRatePpm} ppm` +
          (r.colludingStakeShare !== undefined
            ? `; colluding stake ${pct(r.colludingStakeShare)}, the colluding verifier revealed on ${r.colluderReveals} seat(s) of the faker's disputes (${r.colluderSharedReveals} with the faker's shared output, from its log) and has ${r.colluderSlashes} slash record(s)`
            : "") +
          (r.dataRequestsWithheld + r.dataRequestsHonest > 0
            ? `; data requests: ${r.dataRequestsWithheld} of the withholder's results (${r.unavailableSlashes} data_unavailable slashes), ${r.dataRequestsHonest} of honest workers'`
            : "") +
          (r.faked_jobs > 0 ? `; fraudster slashed ${r.fraudsterSlashed}, jailed ${r.fraudsterJailed}, tombstoned ${r.fraudsterTombstoned}` : "") +
          (Object.keys(r.otherHonestSlashes).length > 0 ? `; other slashes of honest validators (not the challenge protocol): ${JSON.stringify(r.otherHonestSlashes)}` : ""),
      );
      for (const h of r.honestSlashRecords) console.log(`  honest validator slashed: ${h}`);
      if (r.faked_jobs > 0) {
        const p = r.auditRatePpm;
        console.log(
          `  detection within 100 faked jobs at ${p} ppm audits: theory 1 − (1 − p)^100 = ${pct(detectionProbability(p, 100))}; ` +
            `Monte Carlo over x/challenge isAudited (${o.trials} runs, random block hashes) ${pct(monteCarloDetection(p, 100, o.trials))}; ` +
            `this run: ${r.faked_jobs_to_detection < 0 ? "not detected" : `detected at faked job ${r.faked_jobs_to_detection}`}`,
        );
        // What one faked job is worth in expectation: at most its fee, against p × the stake slashed (100% by default).
        const expectedSlash = (BigInt(p) * BigInt(r.fraudsterStakeUinf)) / 1_000_000n;
        console.log(`  one faked job: gains at most its fee ${r.feeUinf} uinf, loses p × stake = ${expectedSlash} uinf in expectation (stake ${r.fraudsterStakeUinf} uinf): ${BigInt(r.feeUinf) - expectedSlash} uinf`);
      }
    }
  }
  console.log("");
  console.log(table(results));
  console.log(`(${((Date.now() - started) / 60_000).toFixed(1)} min)`);
  const bad = failed.length > 0 || results.some((r) => r.honest_slashed > 0 || r.verdicts_flipped > 0);
  console.log(JSON.stringify({ scenarios: results.filter((r) => !r.skipped).map(resultJson) }));
  process.exitCode = bad ? 1 : 0;
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(2);
});
