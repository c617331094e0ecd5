/**
 * Honest noise calibration (issue 10 item 3, lib/calibrate.ts): each built-in model on a
 * deterministic battery of inputs under every onnxruntime setting a fleet could run, each
 * result quantized as the sidecar does and compared with the sidecar's own path under the
 * model's registered metric; prints the table and a suggested threshold.
 *
 *   npm run build && npm run calibrate -- [--model mlp-16x8|silero-vad] [--inputs 1000] [--seed 1] [--output text|json]
 *
 * Without --model, every built-in model. The reference is the sidecar's path itself
 * (sidecar/models.ts loadModels on the CPU, sidecar/pipeline.ts runJob: canonical bytes in,
 * canonical bytes out). Exits 1 when a non-proxy setting exceeds a registered threshold: an
 * honest worker could be slashed, a bug to report, not to hide. The last stdout line is JSON.
 */
import os from "node:os";
import { Command, Option } from "commander";
import { parseGenesis } from "../x/models/genesis";
import { decodeOutput, encodeTensorList } from "../x/models/tensor";
import type { Model } from "../x/models/types";
import { builtinModels, defaultModelsDir } from "../lib/models/builtin";
import { DETERMINISTIC_SESSION_OPTIONS } from "../lib/models/onnx";
import { loadModelFile } from "../lib/models/resolve";
import { calibrate, calibrationJson, fleetSettings, formatCalibration, generateBattery, type Calibration, type Job, type Setting } from "../lib/calibrate";
import { loadModels } from "../sidecar/models";
import { runJob } from "../sidecar/pipeline";
import { cudaLibrariesMissing } from "../sidecar/executionProvider";

/** The sidecar's own path: its loader and its job pipeline on canonical bytes. */
function sidecarReference(model: Model): Setting {
  return {
    name: "sidecar path (loadModels + runJob, cpu)",
    open: async () => {
      const { models } = await loadModels([model], { modelsDir: defaultModelsDir(), executionProvider: "cpu", progress: () => undefined, warn: (l) => process.stderr.write(l + "\n") });
      const m = models.get(model.id)!;
      return {
        run: async (jobs) => {
          const out: Job[] = [];
          for (const j of jobs) out.push(decodeOutput(model, await runJob(m, encodeTensorList(j))));
          return out;
        },
        close: () => m.session.release(),
      };
    },
  };
}

async function main(): Promise<void> {
  const models = parseGenesis({ models: builtinModels() }).models;
  const opts = new Command("calibrate")
    .description("largest honest divergence per onnxruntime setting, next to each model's registered threshold")
    .addOption(new Option("--model <id>", "one built-in model (default: all)").choices(models.map((m) => m.id)))
    .option("--inputs <n>", "jobs in the battery", "1000")
    .option("--seed <s>", "battery seed", "1")
    .addOption(new Option("--output <format>", "text: table and JSON; json: only the JSON line").choices(["text", "json"]).default("text"))
    .parse(process.argv)
    .opts<{ model?: string; inputs: string; seed: string; output: "text" | "json" }>();
  const inputs = Number(opts.inputs);
  const seed = Number(opts.seed);
  if (!Number.isSafeInteger(inputs) || inputs < 1) throw new Error(`--inputs wants a positive integer, got ${opts.inputs}`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`--seed wants a non-negative integer, got ${opts.seed}`);
  const say = (s: string): void => {
    if (opts.output === "text") process.stdout.write(s + "\n");
  };
  const results: Calibration[] = [];
  const started = Date.now();
  for (const model of models.filter((m) => opts.model === undefined || m.id === opts.model)) {
    const bytes = await loadModelFile(model, defaultModelsDir());
    const precheck = (ep: string): string | undefined => (ep === "cuda" ? cudaLibrariesMissing() : undefined);
    const c = await calibrate(model, generateBattery(model, inputs, seed), sidecarReference(model), fleetSettings(model, bytes, DETERMINISTIC_SESSION_OPTIONS, precheck), (l) => process.stderr.write(l + "\n"));
    results.push(c);
    say(formatCalibration(c));
    say(c.exceeded ? `${model.id}: an honest setting EXCEEDS the registered threshold ${model.threshold}: report it (a threshold change is a genesis/governance change)` : `${model.id}: every honest setting within the registered threshold ${model.threshold}`);
    say("");
  }
  const exceeded = results.some((c) => c.exceeded);
  const machine = `${os.cpus()[0]?.model ?? "unknown cpu"} ×${os.cpus().length}, ${os.platform()} ${os.arch()}, node ${process.version}`;
  say(`${machine}; seed ${seed}; ${Math.round((Date.now() - started) / 1000)} s`);
  process.stdout.write(JSON.stringify({ seed, machine, models: results.map(calibrationJson), exceeded }) + "\n");
  if (exceeded) process.exitCode = 1;
}

main().catch((e: unknown) => {
  process.stderr.write(`calibrate failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(2);
});
