/**
 * State-size benchmark (not a test; issue 12, "State that scales"): does a block cost the same
 * with 10^3 and with 10^6 accounts and jobs, and what do memory, disk and a restart cost?
 *
 * An in-process app (the real module list, LevelDB in a temp home, no CometBFT) starts from a
 * genesis with a model, 2 validators with workers and a pool of signing keys. Then, for each
 * size N in `--sizes`, the state is filled up to N accounts and N jobs: fill blocks written
 * through the keepers (x/bank's `initBalance`, which creates the account and counts the supply;
 * x/inference's `setJob`, with every index entry) and committed through the store
 * (`stage` + `commit`, the trie and LevelDB like any block), `--fill-chunk` accounts and jobs a
 * block. A filled job is a finished job as x/inference keeps it after its first prune step: a
 * FINALIZED compact record (no bytes, hashes and commitment kept, `pruned`) indexed by status,
 * client, worker and prune height; its client is the filled account of the same number.
 *
 * At each size the measured blocks are real txs through FinalizeBlock + Commit: `--sends`
 * MsgSends from the key pool to random filled accounts and `--jobs` MsgSubmitJob from other
 * pool keys, after `--warmup` blocks. It prints per block the FinalizeBlock, app-hash
 * (`stage`: the block's writes into the trie and its root) and Commit times, per tx; resident
 * memory (RSS and heap after two full GCs); the home's size on disk; and a restart: the store
 * is closed and the app opened again on the same home, timed to its first `Info` and to the
 * first served query (a balance of a random filled account).
 *
 *   npm run build && npm run bench:state -- [--sizes 1e3,1e4,1e5,1e6] [--blocks 10]
 *       [--warmup 2] [--sends 40] [--jobs 40] [--fill-chunk 50000] [--pruning default]
 *
 * The last stdout line is one JSON object with every size's figures.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import v8 from "node:v8";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { Command, Option } from "commander";
import { fromBech32, toBech32 } from "@cosmjs/encoding";
import { sha256 } from "@cosmjs/crypto";
import type { Any } from "cosmjs-types/google/protobuf/any";
import { createInferchainApp, defaultAppState } from "../app/app";
import type { BaseApp } from "../base/baseapp";
import { Branch } from "../base/store/kv";
import { pruningOptions } from "../base/store/pruning";
import { AuthKeeper } from "../x/auth";
import { BankKeeper } from "../x/bank";
import { StakingKeeper } from "../x/staking";
import { SlashingKeeper, TREASURY_MODULE } from "../x/slashing";
import { ModelsKeeper, modelToJson } from "../x/models";
import { InferenceKeeper, JobStatus, type Job } from "../x/inference";
import { MsgSubmitJob } from "../gen/inferchain/inference/v1/tx";
import { MODEL, sampleInput } from "../x/inference/testutil";
import { balance, finalizeRequest } from "../test/support/chain";
import { msgSendAny, signTxFast, testKey, type TestKey } from "../test/support/txs";
import { mulberry32 } from "../test/support/rng";

const CHAIN_ID = "inferchain-bench-state";
const INF = 1_000_000n;
const JOB_FEE = 2_000n;
const JOB_GAS = 400_000n;
const fee = (gas: bigint): bigint => (gas * 25n + 999n) / 1000n;
/** Filled jobs' next prune step: far beyond the run, so EndBlock never reaches them. */
const FILL_PRUNE_AFTER = 10_000_000n;

interface Opts {
  sizes: string;
  blocks: number;
  warmup: number;
  sends: number;
  jobs: number;
  fillChunk: number;
  pruning: string;
}

interface Stats {
  readonly p50: number;
  readonly mean: number;
  readonly max: number;
}

interface SizeResult {
  readonly size: number;
  readonly stateKeys: number;
  readonly fillSeconds: number;
  readonly txsPerBlock: number;
  /** Per block, ms. */
  readonly finalizeMs: Stats;
  readonly stageMs: Stats;
  readonly commitMs: Stats;
  /** (FinalizeBlock + Commit) / txs, ms, per block: wall time, and CPU time of the process (all threads). */
  readonly perTxMs: Stats;
  readonly perTxCpuMs: Stats;
  readonly rssMiB: number;
  readonly heapMiB: number;
  readonly externalMiB: number;
  readonly diskMiB: number;
  readonly restartInfoMs: number;
  readonly restartQueryMs: number;
  readonly loadAvg: readonly number[];
}

const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;
const mib = (n: number): number => round(n / 2 ** 20, 1);

function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: round(s[Math.floor(s.length / 2)]), mean: round(s.reduce((a, b) => a + b, 0) / s.length), max: round(s[s.length - 1]) };
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? dirBytes(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).size;
  return n;
}

/** Filled account i: a fixed 20-byte address (no key: filled accounts only receive). */
const filledAddress = (i: number): string => toBech32("infer", createHash("sha256").update(`bench-state-account-${i}`).digest().subarray(0, 20));

const operatorOf = (k: TestKey): string => toBech32("infervaloper", fromBech32(k.address).data);

/** The keepers the fill writes through (stateless: each call takes the store). */
function keepers(): { bank: BankKeeper; inference: InferenceKeeper } {
  const auth = new AuthKeeper();
  const bank = new BankKeeper(auth);
  const staking = new StakingKeeper(bank);
  const slashing = new SlashingKeeper({ staking, bank });
  const models = new ModelsKeeper();
  return { bank, inference: new InferenceKeeper({ accounts: auth, bank, staking, slashing, models, treasury: TREASURY_MODULE }) };
}

/** A finished job after its first prune step (x/inference `pruneJob`): the compact record. */
function filledJob(id: bigint, client: string, worker: string, operator: string, height: bigint): Job {
  const h = (s: string): string => createHash("sha256").update(s).digest("hex");
  return {
    id,
    client,
    modelId: MODEL.id,
    input: new Uint8Array(),
    inputUri: "",
    inputSha256: h(`in-${id}`),
    fee: JOB_FEE,
    status: JobStatus.JOB_STATUS_FINALIZED,
    submittedHeight: height,
    attempts: 1,
    operator,
    worker,
    assignedHeight: height,
    deadlineHeight: height + 10n,
    hardDeadlineHeight: height + 20n,
    triedOperators: [operator],
    output: new Uint8Array(),
    resultHeight: height,
    late: false,
    challengeEndHeight: height,
    finalizedHeight: height,
    refunded: 0n,
    cannotRun: false,
    cannotRunReason: "",
    outputSha256: h(`out-${id}`),
    pruneHeight: height + FILL_PRUNE_AFTER,
    pruned: true,
    commitment: createHash("sha256").update(`c-${id}`).digest(),
    sealedOutput: new Uint8Array(),
    clientPubkey: new Uint8Array(33).fill(2),
    disputeId: 0n,
    opened: false,
    auditRatePpm: 50_000n,
  };
}

async function run(o: Opts): Promise<void> {
  const started = performance.now();
  const sizes = o.sizes.split(",").map((s) => Math.round(Number(s)));
  if (sizes.some((s) => !Number.isFinite(s) || s < 1)) throw new Error(`bad --sizes ${o.sizes}`);
  sizes.sort((a, b) => a - b);
  const pruning = pruningOptions(...(o.pruning.split(":") as [string, string?, string?]));
  const [validators, workers, clients, senders] = await Promise.all([
    Promise.all(Array.from({ length: 2 }, (_, i) => testKey(700_000 + i))),
    Promise.all(Array.from({ length: 2 }, (_, i) => testKey(710_000 + i))),
    Promise.all(Array.from({ length: o.jobs }, (_, i) => testKey(720_000 + i))),
    Promise.all(Array.from({ length: o.sends }, (_, i) => testKey(730_000 + i))),
  ]);
  const funded = [...validators, ...workers, ...clients, ...senders];
  const numbers = new Map(funded.map((k, i) => [k.address, BigInt(i)]));
  const seq = new Map<string, bigint>();
  const nextSeq = (k: TestKey): bigint => {
    const s = seq.get(k.address) ?? 0n;
    seq.set(k.address, s + 1n);
    return s;
  };
  const state = defaultAppState() as Record<string, Record<string, unknown>>;
  const genesis = {
    ...state,
    auth: { ...state.auth, accounts: funded.map((k, i) => ({ address: k.address, account_number: String(i) })) },
    bank: { ...state.bank, balances: funded.map((k) => ({ address: k.address, coins: [{ denom: "uinf", amount: (1_000_000n * INF).toString() }] })) },
    models: { ...state.models, models: [modelToJson(MODEL)] },
    staking: {
      ...state.staking,
      validators: validators.map((v, i) => ({
        operator_address: operatorOf(v),
        consensus_pubkey: Buffer.from(sha256(new TextEncoder().encode(`bench-state-cons-${i}`))).toString("base64"),
        self_delegation: (10n * INF).toString(),
        moniker: `m${i}`,
        commission_rate_ppm: 0,
      })),
      workers: validators.map((v, i) => ({ operator_address: operatorOf(v), worker_address: workers[i].address, model_ids: [MODEL.id] })),
    },
  };

  const home = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-bench-state-"));
  const dbDir = path.join(home, "data", "application.db");
  fs.mkdirSync(path.dirname(dbDir), { recursive: true });
  const gc = (globalThis as { gc?: () => void }).gc;
  const { bank, inference } = keepers();
  const random = mulberry32(12345);
  /** A random filled account (sends go to them; the restart probe reads one). */
  const anyFilled = (): string => filledAddress(Math.floor(random() * filled));
  const results: SizeResult[] = [];
  let filled = 0;
  let app: BaseApp = await createInferchainApp({ dbDir });
  app.store.setPruning(pruning);
  /** Time spent in the store's `stage` (the app hash) during the current block. */
  let stageMs = 0;
  const timeStage = (a: BaseApp): void => {
    const store = a.store;
    const stage = store.stage.bind(store);
    store.stage = async (h, w) => {
      const t = performance.now();
      try {
        return await stage(h, w);
      } finally {
        stageMs += performance.now() - t;
      }
    };
  };
  timeStage(app);
  try {
    await app.initChain({ time: { seconds: 1_700_000_000n, nanos: 0 }, chainId: CHAIN_ID, consensusParams: undefined, validators: [], appStateBytes: new TextEncoder().encode(JSON.stringify(genesis)), initialHeight: 1n });
    await app.finalizeBlock(finalizeRequest(1n, []));
    await app.commit();
    console.log(`sizes ${sizes.join(", ")}; ${o.sends} sends + ${o.jobs} jobs per block, ${o.warmup} warm-up + ${o.blocks} measured blocks; pruning ${pruning.strategy}; gc ${gc ? "on" : "off (run with --expose-gc)"}; home ${home}`);
    console.log("size\tstate keys\tfill s\tfinalize ms\tstage ms\tcommit ms\tper-tx ms\tper-tx CPU ms\tRSS MiB\theap MiB\tdisk MiB\trestart info ms\trestart query ms\tload avg");

    for (const size of sizes) {
      // Fill up to `size` accounts and jobs, `fillChunk` of each per block.
      const f0 = performance.now();
      while (filled < size) {
        const n = Math.min(o.fillChunk, size - filled);
        const b = new Branch(app.store.state);
        const height = app.lastHeight + 1n;
        let nextJob = inference.getNextJobId(b);
        for (let i = filled; i < filled + n; i++) {
          const addr = filledAddress(i);
          bank.initBalance(b, addr, [{ denom: "uinf", amount: 1_000n + BigInt(i) }]);
          const w = i % workers.length;
          inference.setJob(b, filledJob(nextJob, addr, workers[w].address, operatorOf(validators[w]), height));
          nextJob++;
        }
        inference.setNextJobId(b, nextJob);
        await app.store.stage(height, b.changes());
        await app.store.commit();
        filled += n;
        if (filled % 200_000 === 0) console.error(`filled ${filled} in ${round((performance.now() - f0) / 1000, 1)} s`);
      }
      const fillSeconds = round((performance.now() - f0) / 1000, 1);

      // Measured blocks: real txs through FinalizeBlock + Commit.
      const finalizeMs: number[] = [];
      const stages: number[] = [];
      const commitMs: number[] = [];
      const perTx: number[] = [];
      const perTxCpu: number[] = [];
      let txsPerBlock = 0;
      for (let b = 0; b < o.warmup + o.blocks; b++) {
        const height = app.lastHeight + 1n;
        const txs: Uint8Array[] = [];
        for (const s of senders) {
          const to = anyFilled();
          txs.push((await signTxFast(s, [msgSendAny(s.address, to, 1n)], { chainId: CHAIN_ID, accountNumber: numbers.get(s.address)!, sequence: nextSeq(s) })).slice());
        }
        for (const c of clients) {
          const msg: Any = {
            typeUrl: "/inferchain.inference.v1.MsgSubmitJob",
            value: MsgSubmitJob.encode(MsgSubmitJob.fromPartial({ client: c.address, modelId: MODEL.id, input: sampleInput(1, height), fee: JOB_FEE.toString() })).finish(),
          };
          txs.push((await signTxFast(c, [msg], { chainId: CHAIN_ID, accountNumber: numbers.get(c.address)!, sequence: nextSeq(c), gas: JOB_GAS, fee: fee(JOB_GAS) })).slice());
        }
        txsPerBlock = txs.length;
        stageMs = 0;
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const fin = await app.finalizeBlock(finalizeRequest(height, txs));
        const t1 = performance.now();
        await app.commit();
        const t2 = performance.now();
        const cpu = process.cpuUsage(cpu0);
        const bad = fin.txResults.find((r) => r.code !== 0);
        if (bad) throw new Error(`block ${height}: tx failed with code ${bad.code}: ${bad.log}`);
        if (b < o.warmup) continue;
        finalizeMs.push(t1 - t0);
        stages.push(stageMs);
        commitMs.push(t2 - t1);
        perTx.push((t2 - t0) / txs.length);
        perTxCpu.push((cpu.user + cpu.system) / 1000 / txs.length);
      }

      gc?.();
      gc?.();
      const m = process.memoryUsage();
      const stateKeys = app.store.state.size;
      const diskMiB = mib(dirBytes(home));

      // Restart: close, open the app on the same home, first Info, first query.
      await app.store.close();
      const r0 = performance.now();
      app = await createInferchainApp({ dbDir });
      app.store.setPruning(pruning);
      const info = app.info({ version: "", blockVersion: 0n, p2pVersion: 0n, abciVersion: "" });
      const r1 = performance.now();
      const probe = anyFilled();
      const bal = await balance(app, probe);
      const r2 = performance.now();
      if (bal < 1_000n) throw new Error(`after restart ${probe} has ${bal}`);
      if (info.lastBlockHeight !== app.lastHeight || info.lastBlockHeight === 0n) throw new Error("restart lost the committed height");
      timeStage(app);

      const r: SizeResult = {
        size,
        stateKeys,
        fillSeconds,
        txsPerBlock,
        finalizeMs: stats(finalizeMs),
        stageMs: stats(stages),
        commitMs: stats(commitMs),
        perTxMs: stats(perTx),
        perTxCpuMs: stats(perTxCpu),
        rssMiB: mib(m.rss),
        heapMiB: mib(m.heapUsed),
        externalMiB: mib(m.external),
        diskMiB,
        restartInfoMs: round(r1 - r0, 1),
        restartQueryMs: round(r2 - r0, 1),
        loadAvg: os.loadavg().map((x) => round(x, 2)),
      };
      results.push(r);
      console.log(
        [r.size, r.stateKeys, r.fillSeconds, r.finalizeMs.p50, r.stageMs.p50, r.commitMs.p50, r.perTxMs.p50, r.perTxCpuMs.p50, r.rssMiB, r.heapMiB, r.diskMiB, r.restartInfoMs, r.restartQueryMs, r.loadAvg.join(" ")].join("\t"),
      );
    }
  } finally {
    await app.store.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
  const first = results[0];
  const last = results[results.length - 1];
  console.log(
    JSON.stringify({
      sends: o.sends,
      jobs: o.jobs,
      blocks: o.blocks,
      pruning: pruning.strategy,
      // per-tx p50 at the largest size over the smallest (issue 12's goal: ≤ 2).
      perTxRatio: round(last.perTxMs.p50 / first.perTxMs.p50, 2),
      perTxCpuRatio: round(last.perTxCpuMs.p50 / first.perTxCpuMs.p50, 2),
      totalSeconds: round((performance.now() - started) / 1000, 1),
      results,
    }),
  );
}

const program = new Command()
  .name("bench-state")
  .addOption(new Option("--sizes <list>", "accounts (and as many jobs) to measure at, comma-separated").default("1e3,1e4,1e5,1e6"))
  .addOption(new Option("--blocks <n>", "measured blocks per size").default(10).argParser(Number))
  .addOption(new Option("--warmup <n>", "unmeasured blocks per size first").default(2).argParser(Number))
  .addOption(new Option("--sends <n>", "MsgSends per block (one sender key each)").default(40).argParser(Number))
  .addOption(new Option("--jobs <n>", "MsgSubmitJobs per block (one client key each)").default(40).argParser(Number))
  .addOption(new Option("--fill-chunk <n>", "accounts and jobs written per fill block").default(50_000).argParser(Number))
  .addOption(new Option("--pruning <s>", "default | nothing | everything | custom:<keep-recent>:<interval>").default("default"));

/**
 * The in-memory flat state at 10^6 accounts and jobs (~7.5 million keys) and a fill block's
 * garbage outgrow node's default heap limit (~4 GiB here): the bench runs itself again with a
 * larger one unless one was given.
 */
const HEAP_MIB = 16_384;
if (!process.execArgv.some((a) => a.startsWith("--max-old-space-size")) && v8.getHeapStatistics().heap_size_limit < HEAP_MIB * 2 ** 20) {
  const child = spawnSync(process.execPath, [...process.execArgv, `--max-old-space-size=${HEAP_MIB}`, ...process.argv.slice(1)], { stdio: "inherit" });
  process.exit(child.status ?? 1);
}
program.parse();
run(program.opts<Opts>()).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
