/**
 * `inferd params check`: per model, what the chain's per-job economic security promises today
 * (SPEC §4 "Economic security check", x/challenge/security.ts): how many validators serve it,
 * their smallest stake, the largest fee that stake secures at the base audit rate, the audit
 * rate a min_fee job gets on it, and the probability that a worker faking every job at that rate
 * is caught within 1, 10 and 100 faked jobs, 1 − (1 − p)^n. Floats only here, for display.
 */
import { Command, Option } from "commander";
import type { ModelWorker } from "../../client/queries";
import type { ChallengeParams } from "../../client/challenge";
import type { Model } from "../../x/models/types";
import { jobAuditRate, maxSecuredFee } from "../../x/challenge/security";
import { CliError } from "../../client/errors";
import { print, printTable, resolveClient, withClientFlags, type ClientFlags } from "../common";
import { withQueries } from "./challenge";

const PPM = 1_000_000n;
/** The faked-job counts the detection probabilities are shown for. */
export const DETECTION_AFTER = [1, 10, 100] as const;

export interface ModelSecurity {
  readonly modelId: string;
  readonly minFee: bigint;
  /** Bonded, unjailed validators serving the model with a stake. */
  readonly servingValidators: number;
  readonly smallestStake?: bigint;
  readonly largestStake?: bigint;
  /** Largest fee the smallest stake secures at the base rate (a job of this fee or less is audited at audit_rate_ppm on any serving validator). */
  readonly maxFeeAtBaseRate?: bigint;
  /** Largest fee the chain accepts for the model now (the largest stake at max_audit_rate_ppm); above it MsgSubmitJob is refused. */
  readonly maxFeeSecured?: bigint;
  /** Audit rate (ppm) of a min_fee job on the smallest stake; undefined when that stake cannot take it. */
  readonly minFeeAuditRatePpm?: bigint;
  /** 1 − (1 − p)^n at that rate, for n in DETECTION_AFTER. */
  readonly detection?: readonly number[];
}

/** 1 − (1 − p)^n for a rate in ppm. */
export function detectionProbability(ratePpm: bigint, n: number): number {
  const p = Number(ratePpm) / 1e6;
  return 1 - Math.pow(1 - p, n);
}

/** The report of one model from the params, the model and the validators serving it (pure: what the command prints). */
export function modelSecurity(p: ChallengeParams, model: Pick<Model, "id" | "minFee">, workers: readonly { readonly tokens: bigint }[]): ModelSecurity {
  const stakes = workers.map((w) => w.tokens).filter((t) => t > 0n);
  const base = { modelId: model.id, minFee: model.minFee, servingValidators: stakes.length };
  if (stakes.length === 0) return base;
  const smallest = stakes.reduce((a, b) => (b < a ? b : a));
  const largest = stakes.reduce((a, b) => (b > a ? b : a));
  const rate = jobAuditRate(p, model.minFee, smallest);
  return {
    ...base,
    smallestStake: smallest,
    largestStake: largest,
    maxFeeAtBaseRate: maxSecuredFee(p, smallest, p.auditRatePpm),
    maxFeeSecured: maxSecuredFee(p, largest, p.maxAuditRatePpm),
    minFeeAuditRatePpm: rate,
    detection: rate === undefined ? undefined : DETECTION_AFTER.map((n) => detectionProbability(rate, n)),
  };
}

const percent = (ppm: bigint): string => `${(Number(ppm) / 1e4).toFixed(Number(ppm) % 10_000 === 0 ? 0 : 2)}%`;
const fraction = (x: number): string => `${(x * 100).toFixed(x >= 0.9995 && x < 1 ? 2 : 1)}%`;

/** The params line above the table. */
export function paramsLine(p: ChallengeParams): string {
  return (
    `audit rate ${percent(p.auditRatePpm)} (raised per job up to ${percent(p.maxAuditRatePpm)}), ` +
    `invalid-result slash ${percent(p.slashFractionInvalidResultPpm)}, safety factor ${Number(p.safetyFactorPpm) / Number(PPM)}×: ` +
    `faking a job of fee F on stake S loses rate × slash × S ≥ safety × F in expectation`
  );
}

/** Text rows (the command's human output). */
export function securityRows(reports: readonly ModelSecurity[], denom = "uinf"): string[][] {
  return reports.map((r) => {
    const amount = (a: bigint | undefined): string => (a === undefined ? "-" : `${a}${denom}`);
    const rate = r.servingValidators === 0 ? "no validator" : r.minFeeAuditRatePpm === undefined ? "unsecured" : percent(r.minFeeAuditRatePpm);
    return [
      r.modelId,
      String(r.servingValidators),
      amount(r.smallestStake),
      amount(r.maxFeeAtBaseRate),
      amount(r.maxFeeSecured),
      amount(r.minFee),
      rate,
      ...DETECTION_AFTER.map((_, i) => (r.detection ? fraction(r.detection[i]) : "-")),
    ];
  });
}

export const SECURITY_HEADERS = ["MODEL", "VALIDATORS", "SMALLEST STAKE", "MAX FEE @BASE RATE", "MAX FEE ACCEPTED", "MIN FEE", "MIN FEE RATE", ...DETECTION_AFTER.map((n) => `CAUGHT ≤${n}`)];

/** The JSON form (amounts as strings, rates in ppm, probabilities as numbers). */
export function securityJson(p: ChallengeParams, reports: readonly ModelSecurity[]): Record<string, unknown> {
  return {
    params: {
      audit_rate_ppm: p.auditRatePpm.toString(),
      max_audit_rate_ppm: p.maxAuditRatePpm.toString(),
      safety_factor_ppm: p.safetyFactorPpm.toString(),
      slash_fraction_invalid_result_ppm: p.slashFractionInvalidResultPpm.toString(),
    },
    models: reports.map((r) => ({
      model_id: r.modelId,
      min_fee: r.minFee.toString(),
      serving_validators: r.servingValidators,
      smallest_stake: r.smallestStake?.toString() ?? null,
      largest_stake: r.largestStake?.toString() ?? null,
      max_fee_at_base_rate: r.maxFeeAtBaseRate?.toString() ?? null,
      max_fee_secured: r.maxFeeSecured?.toString() ?? null,
      min_fee_audit_rate_ppm: r.minFeeAuditRatePpm?.toString() ?? null,
      detection: r.detection ? Object.fromEntries(DETECTION_AFTER.map((n, i) => [String(n), r.detection![i]])) : null,
    })),
  };
}

interface CheckFlags extends ClientFlags {
  model?: string;
}

export function paramsCommand(): Command {
  const cmd = new Command("params").description("What the chain's params mean for users");
  cmd.addCommand(
    withClientFlags(new Command("check"))
      .description(
        "Per model: serving validators, their smallest stake, the largest fee secured at the base audit rate, the largest fee accepted, " +
          "the audit rate of a min_fee job on the smallest stake, and the chance a worker faking every job is caught within 1, 10, 100 jobs: 1 − (1 − p)^n",
      )
      .addOption(new Option("--model <id>", "only this model"))
      .action(async (f: CheckFlags) => {
        const c = resolveClient(f);
        const { params, reports } = await withQueries(c, async (q) => {
          const p = await q.challenge.params();
          if (!p) throw new CliError("the node returned no challenge params");
          let models: Model[];
          if (f.model !== undefined) {
            const m = await q.inferchain.models.model(f.model);
            if (!m) throw new CliError(`model ${f.model} is not registered`);
            models = [m];
          } else {
            models = await q.inferchain.models.all();
          }
          const out: ModelSecurity[] = [];
          for (const m of models) {
            const workers: ModelWorker[] = await q.inferchain.staking.workersForModel(m.id);
            out.push(modelSecurity(p, m, workers.map((w) => ({ tokens: BigInt(w.tokens) }))));
          }
          return { params: p, reports: out };
        });
        if (c.output === "json") {
          print("json", securityJson(params, reports));
          return;
        }
        process.stdout.write(paramsLine(params) + "\n");
        if (reports.length === 0) {
          process.stdout.write("no models registered\n");
          return;
        }
        printTable(SECURITY_HEADERS, securityRows(reports));
      }),
  );
  return cmd;
}
