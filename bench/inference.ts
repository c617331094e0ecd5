/**
 * Inference benchmark (not a test), three figures in one run:
 *
 *   1. raw     onnxruntime-node `session.run` on a prepared feed, one model at a time (mlp-16x8,
 *              silero-vad), with the sidecar's session options (DETERMINISTIC_SESSION_OPTIONS)
 *   2. sidecar the sidecar's job pipeline on the same model and input minus the chain
 *              (sidecar/pipeline.ts runJob: canonical decode + input check → dequantize →
 *              session.run → quantize → output check → encode); overhead = sidecar/raw − 1,
 *              goal ≤ 5%, two ways:
 *              - per call: one call at a time, raw and sidecar alternating call by call;
 *                per-call medians (a busy machine moves both alike)
 *              - sustained: --concurrency calls in flight (the sidecar's default limit of
 *                jobs at once, sidecar/scheduler.ts), raw and sidecar alike, in alternating
 *                slices of SLICE_MS; completed calls per second of the process's CPU time
 *                (a shared machine's other processes take wall time from both paths
 *                unevenly; the wall-clock overhead is printed beside it), rates the slices'
 *                medians, overhead the median of each raw slice's rate over its sidecar
 *                neighbour's
 *              onnxruntime-node runs a session synchronously on the JS thread (its binding
 *              calls the native run inside a setImmediate), so calls in flight do not run
 *              in parallel: the sustained figure differs from the per-call one in that a
 *              batch of jobs decodes, runs and encodes back to back with warm code.
 *   3. e2e     a fresh 1-validator localnet with its sidecar (`inferd localnet init/start`, port
 *              index --port-offset, 80 by default): N MsgSubmitJob txs, then result_height − submitted_height of each job,
 *              in blocks (goal ≤ 2)
 *
 *   npx tsc -p tsconfig.json && node dist/bench/inference.js [--execution-provider cpu|cuda|webgpu]
 *       [--seconds 3] [--concurrency 4] [--jobs 20] [--timeout-commit 500ms] [--port-offset 80]
 *       [--skip-chain] [--keep]
 *
 * The last stdout line is one JSON object with every figure.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { Command, Option } from "commander";
import * as ort from "onnxruntime-node";
import { parseGenesis } from "../x/models/genesis";
import { decodeTensorList, encodeTensorList } from "../x/models/tensor";
import type { Model } from "../x/models/types";
import { builtinModels, defaultModelsDir, MLP_MODEL_ID, SILERO_MODEL_ID } from "../lib/models/builtin";
import { parseTensorJson, quantizeTensors, dequantizeTensors } from "../lib/tensors";
import { connectQueryClient, JobStatus } from "../client/queries";
import { msgSubmitJob } from "../client/registry";
import { SignerQueue } from "../client/signerQueue";
import { openKeyring } from "../client/keyring";
import { GasPrice } from "@cosmjs/stargate";
import { loadModels } from "../sidecar/models";
import { runJob, type LoadedModel } from "../sidecar/pipeline";
import { parseExecutionProvider } from "../sidecar/executionProvider";
import { DEFAULT_MAX_CONCURRENT } from "../sidecar/scheduler";
import { portsFor } from "../client/home";

const ROOT = path.resolve(__dirname, "..", "..");
const INFERD = path.join(ROOT, "dist", "cmd", "inferd.js");
const r2 = (x: number): number => Math.round(x * 100) / 100;

interface ModelFigures {
  readonly model: string;
  /** Per call (one at a time): medians. */
  readonly raw_per_s: number;
  readonly raw_us: number;
  readonly sidecar_per_s: number;
  readonly sidecar_us: number;
  readonly overhead_pct: number;
  /**
   * Sustained, `concurrency` calls in flight: completed calls per second of the process's CPU
   * time (user + system, all its threads), which other processes on a shared machine do not
   * move; and the overhead on wall-clock rates, which they do.
   */
  readonly sustained_raw_per_s: number;
  readonly sustained_sidecar_per_s: number;
  readonly sustained_overhead_pct: number;
  readonly sustained_wall_overhead_pct: number;
}

/** Length of one sustained-throughput slice; raw and sidecar slices alternate. */
const SLICE_MS = 50;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

function exampleInput(model: Model, file: string): Uint8Array {
  return encodeTensorList(quantizeTensors(parseTensorJson(fs.readFileSync(path.join(ROOT, "examples", file), "utf8"), model.inputs), model.quantScaleBits));
}

/** One slice's completed calls per second of wall time and per second of the process's CPU time. */
interface Rate {
  readonly wall: number;
  readonly cpu: number;
}

/**
 * `concurrency` callers of `call` in flight until `ms` have passed (each starts its next call
 * when its last one ends); completed calls per second.
 */
async function sustained(call: () => Promise<unknown>, concurrency: number, ms: number): Promise<Rate> {
  let done = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const until = t0 + ms;
  const caller = async (): Promise<void> => {
    while (performance.now() < until) {
      await call();
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  return { wall: (done * 1000) / wallMs, cpu: (done * 1e6) / (cpu.user + cpu.system) };
}

/**
 * Raw session.run and the sidecar pipeline after a warm-up, `seconds` each way and path: per
 * call, alternated call by call so both meet the same machine (other processes, GC,
 * frequency), per-call medians, which a busy machine's outliers do not move; sustained, with
 * `concurrency` calls in flight, alternated slice by slice, the slices' median rate.
 */
async function benchModel(m: LoadedModel, input: Uint8Array, seconds: number, concurrency: number): Promise<ModelFigures> {
  const host = dequantizeTensors(decodeTensorList(input), m.model.inputs, m.model.quantScaleBits);
  const feeds: Record<string, ort.Tensor> = {};
  for (const t of host) feeds[t.name] = new ort.Tensor(t.dtype === "int64" ? "int64" : "float32", t.data as never, [...t.dims]);
  for (let i = 0; i < 200; i++) {
    await m.session.run(feeds);
    await runJob(m, input);
  }
  const raw: number[] = [];
  const side: number[] = [];
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    const t0 = performance.now();
    await m.session.run(feeds);
    const t1 = performance.now();
    await runJob(m, input);
    const t2 = performance.now();
    raw.push(t1 - t0);
    side.push(t2 - t1);
  }
  const rawUs = median(raw) * 1000;
  const sideUs = median(side) * 1000;
  const rawRates: Rate[] = [];
  const sideRates: Rate[] = [];
  const end = performance.now() + seconds * 2000;
  for (let i = 0; performance.now() < end || i < 2; i++) {
    // Alternate which path opens each pair of slices, so neither always follows the other.
    const first = i % 2 === 0;
    if (first) rawRates.push(await sustained(() => m.session.run(feeds), concurrency, SLICE_MS));
    sideRates.push(await sustained(() => runJob(m, input), concurrency, SLICE_MS));
    if (!first) rawRates.push(await sustained(() => m.session.run(feeds), concurrency, SLICE_MS));
  }
  const rawRate = median(rawRates.map((r) => r.cpu));
  const sideRate = median(sideRates.map((r) => r.cpu));
  // Each slice against its neighbour of the other path, so a machine that slows down or
  // speeds up over the run moves both sides of every ratio alike.
  const overhead = (k: keyof Rate): number => median(rawRates.map((r, i) => r[k] / sideRates[i][k])) - 1;
  return {
    model: m.model.id,
    raw_per_s: Math.round(1e6 / rawUs),
    raw_us: r2(rawUs),
    sidecar_per_s: Math.round(1e6 / sideUs),
    sidecar_us: r2(sideUs),
    overhead_pct: r2((sideUs / rawUs - 1) * 100),
    sustained_raw_per_s: Math.round(rawRate),
    sustained_sidecar_per_s: Math.round(sideRate),
    sustained_overhead_pct: r2(overhead("cpu") * 100),
    sustained_wall_overhead_pct: r2(overhead("wall") * 100),
  };
}

interface ChainFigures {
  readonly jobs: number;
  readonly answered: number;
  readonly blocks_mean: number;
  readonly blocks_max: number;
  readonly blocks_p50: number;
}

async function benchChain(o: { jobs: number; timeoutCommit: string; keep: boolean; portOffset: number }): Promise<ChainFigures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-bench-inference-"));
  const out = path.join(dir, "localnet");
  const inferd = (args: string[]): string => execFileSync(process.execPath, [INFERD, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  try {
    inferd(["localnet", "init", "--validators", "1", "--output", out, "--timeout-commit", o.timeoutCommit, "--port-offset", String(o.portOffset)]);
    process.stderr.write(`e2e: starting a 1-validator localnet with its sidecar in ${out}…\n`);
    inferd(["localnet", "start", "--output", out, "--detach"]);
    const home = path.join(out, "node0");
    const rpcUrl = `http://127.0.0.1:${portsFor(o.portOffset).rpc}`;
    const { comet, query } = await connectQueryClient(rpcUrl);
    try {
      const kr = await openKeyring({ home, backend: "test" });
      const signer = await SignerQueue.create({ rpcUrl, comet, signer: await kr.signer("validator"), gasPrice: GasPrice.fromString("0.025uinf") });
      const mlp = (await query.inferchain.models.model(MLP_MODEL_ID))!;
      const input = exampleInput(mlp, "mlp-input.json");
      const msg = msgSubmitJob({ client: signer.address, modelId: mlp.id, input, inputUri: "", inputSha256: "", fee: mlp.minFee.toString() });
      const gas = Math.ceil((await signer.simulate([msg])) * 1.3) + 10_000;
      const hashes: string[] = [];
      // One job per ~block-time/4, so jobs land in different blocks as a stream of clients would.
      for (let i = 0; i < o.jobs; i++) {
        const b = await signer.submit([msg], gas);
        hashes.push(b.txhash);
        await new Promise((r) => setTimeout(r, 120));
      }
      const ids: bigint[] = [];
      for (const h of hashes) {
        for (let t = 0; ; t++) {
          const res = await fetch(`${rpcUrl}/tx?hash=0x${h}`).then((r) => r.json() as Promise<{ result?: { tx_result: { events: Array<{ type: string; attributes: Array<{ key: string; value: string }> }> } } }>);
          const ev = res.result?.tx_result.events.find((e) => e.type === "job_submitted");
          const id = ev?.attributes.find((a) => a.key === "job_id")?.value;
          if (id) {
            ids.push(BigInt(id));
            break;
          }
          if (t > 200) throw new Error(`tx ${h} not found`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const blocks: number[] = [];
      const deadline = Date.now() + 120_000;
      for (const id of ids) {
        for (;;) {
          const job = await query.inferchain.inference.job(id);
          if (job && (job.status === JobStatus.JOB_STATUS_RESULT_POSTED || job.status === JobStatus.JOB_STATUS_FINALIZED)) {
            blocks.push(Number(job.resultHeight - job.submittedHeight));
            break;
          }
          if ((job && job.status === JobStatus.JOB_STATUS_FAILED) || Date.now() > deadline) break;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const sorted = [...blocks].sort((a, b) => a - b);
      return {
        jobs: o.jobs,
        answered: blocks.length,
        blocks_mean: r2(blocks.reduce((a, b) => a + b, 0) / Math.max(1, blocks.length)),
        blocks_max: sorted[sorted.length - 1] ?? -1,
        blocks_p50: sorted[Math.floor(sorted.length / 2)] ?? -1,
      };
    } finally {
      comet.disconnect();
    }
  } finally {
    try {
      inferd(["localnet", "stop", "--output", out]);
    } catch {
      // already stopped
    }
    if (o.keep) process.stderr.write(`kept ${dir}\n`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const opts = new Command("bench:inference")
    .addOption(new Option("--execution-provider <ep>", "onnxruntime execution provider (falls back to cpu with the reason)").default("cpu"))
    .addOption(new Option("--seconds <s>", "measuring time per model, path and figure").default("3"))
    .addOption(new Option("--concurrency <n>", "calls in flight for the sustained figure (the sidecar's default job limit)").default(String(DEFAULT_MAX_CONCURRENT)))
    .addOption(new Option("--jobs <n>", "jobs for the end-to-end figure").default("20"))
    .addOption(new Option("--timeout-commit <d>", "block time of the benchmark localnet").default("500ms"))
    .addOption(new Option("--port-offset <k>", "port index of the benchmark localnet (ports + 100·k)").default("80"))
    .option("--skip-chain", "only the onnxruntime and pipeline figures", false)
    .option("--keep", "keep the localnet's directory", false)
    .parse(process.argv)
    .opts<{ executionProvider: string; seconds: string; concurrency: string; jobs: string; timeoutCommit: string; portOffset: string; skipChain: boolean; keep: boolean }>();
  const ep = parseExecutionProvider(opts.executionProvider);
  const seconds = Number(opts.seconds);
  const concurrency = Number(opts.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`--concurrency must be an integer ≥ 1, got ${opts.concurrency}`);
  const models = parseGenesis({ models: builtinModels() }).models;
  const loaded = await loadModels(models, {
    modelsDir: defaultModelsDir(),
    executionProvider: ep,
    progress: (l) => process.stderr.write(l + "\n"),
    warn: (l) => process.stderr.write(l + "\n"),
  });
  const figures: ModelFigures[] = [];
  for (const [id, file] of [
    [MLP_MODEL_ID, "mlp-input.json"],
    [SILERO_MODEL_ID, "silero-input.json"],
  ] as const) {
    const m = loaded.models.get(id)!;
    const f = await benchModel(m, exampleInput(m.model, file), seconds, concurrency);
    figures.push(f);
    process.stdout.write(
      `${id.padEnd(11)} per call:  raw session.run ${String(f.raw_per_s).padStart(7)}/s (${f.raw_us} µs)   sidecar pipeline ${String(f.sidecar_per_s).padStart(7)}/s (${f.sidecar_us} µs)   overhead ${f.overhead_pct}% (goal ≤ 5%)\n` +
        `${id.padEnd(11)} sustained, ${concurrency} in flight, per CPU second:  raw ${String(f.sustained_raw_per_s).padStart(7)}/s   sidecar ${String(f.sustained_sidecar_per_s).padStart(7)}/s   overhead ${f.sustained_overhead_pct}% (goal ≤ 5%; on wall-clock rates ${f.sustained_wall_overhead_pct}%)\n`,
    );
  }
  for (const m of loaded.models.values()) await m.session.release();
  let chain: ChainFigures | undefined;
  if (!opts.skipChain) {
    chain = await benchChain({ jobs: Number(opts.jobs), timeoutCommit: opts.timeoutCommit, keep: opts.keep, portOffset: Number(opts.portOffset) });
    process.stdout.write(
      `e2e (1 validator, ${opts.timeoutCommit} blocks): ${chain.answered}/${chain.jobs} jobs answered; result_height − submitted_height mean ${chain.blocks_mean}, p50 ${chain.blocks_p50}, max ${chain.blocks_max} blocks (goal ≤ 2)\n`,
    );
  }
  process.stdout.write(
    JSON.stringify({
      execution_provider: loaded.provider.used,
      requested_provider: loaded.provider.requested,
      concurrency,
      load_average: os.loadavg().map(r2),
      ...Object.fromEntries(figures.flatMap((f) => {
        const k = f.model === MLP_MODEL_ID ? "mlp" : "silero";
        return [
          [`${k}_raw_per_s`, f.raw_per_s],
          [`${k}_sidecar_per_s`, f.sidecar_per_s],
          [`${k}_overhead_pct`, f.overhead_pct],
          [`${k}_sustained_raw_per_s`, f.sustained_raw_per_s],
          [`${k}_sustained_sidecar_per_s`, f.sustained_sidecar_per_s],
          [`${k}_sustained_overhead_pct`, f.sustained_overhead_pct],
          [`${k}_sustained_wall_overhead_pct`, f.sustained_wall_overhead_pct],
        ];
      })),
      ...(chain ? { e2e_jobs: chain.jobs, e2e_answered: chain.answered, e2e_blocks_mean: chain.blocks_mean, e2e_blocks_max: chain.blocks_max } : {}),
    }) + "\n",
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:inference failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
