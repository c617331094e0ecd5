/**
 * Memory benchmark (not a test): does the app's memory stay flat under a steady job load? An
 * in-process app (the real module list, LevelDB in a temp dir, no CometBFT) runs B blocks; in
 * each, J clients submit one inference job each, the workers post the results of the jobs
 * assigned in the block before (one tx per worker), and S accounts send to each other in a
 * ring. Jobs finalize after the challenge window and, where x/inference prunes finished jobs,
 * lose their bytes and later their record; the store prunes old trie versions per `--pruning`.
 * Every `--sample` blocks it prints RSS, V8 heap, buffers outside the heap, state keys, jobs in
 * state, stored trie nodes, the LevelDB size on disk and the entries in BaseApp's decoded-tx
 * cache (after a full GC when run with --expose-gc, as `npm run bench:memory` does).
 *
 *   npx tsc -p tsconfig.json && npm run bench:memory -- [--blocks 3000] [--sample 250]
 *       [--jobs 8] [--sends 8] [--pruning default|nothing|everything|custom:<keep>:<interval>]
 *       [--retention 50] [--record-retention 150] [--challenge-window 3]
 *
 * `--retention`/`--record-retention` set x/inference's job_retention_blocks and
 * job_record_retention_blocks (when its params have them) small enough that the run reaches
 * its steady state. The last stdout line is one JSON object: for each figure, its [min, max]
 * in the first and in the second half of the run after the warm-up (the first third).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command, Option } from "commander";
import { fromBech32, toBech32 } from "@cosmjs/encoding";
import { sha256 } from "@cosmjs/crypto";
import type { Any } from "cosmjs-types/google/protobuf/any";
import { createInferchainApp, defaultAppState } from "../app/app";
import { pruningOptions, type PruningOptions } from "../base/store/pruning";
import { MsgSubmitJob, MsgSubmitResult } from "../gen/inferchain/inference/v1/tx";
import { modelToJson } from "../x/models";
import { MODEL, sampleInput, sampleOutput, sealFor } from "../x/inference/testutil";
import { finalizeRequest } from "../test/support/chain";
import { msgSendAny, signTxFast, testKey, type TestKey } from "../test/support/txs";

const CHAIN_ID = "inferchain-bench-memory";
const INF = 1_000_000n;
const JOB_FEE = 2_000n;
const GAS = 400_000n;
const fee = (gas: bigint): bigint => (gas * 25n + 999n) / 1000n;
/**
 * A tx as the ABCI server hands it over (its own bytes). cosmjs-types' `finish()` returns a view
 * into a fresh 8 KiB slab, which the app's decoded-tx cache would keep alive: a cost of this
 * harness, not of the node.
 */
const asReceived = async (tx: Promise<Uint8Array>): Promise<Uint8Array> => (await tx).slice();

interface Opts {
  blocks: number;
  sample: number;
  jobs: number;
  sends: number;
  validators: number;
  pruning: string;
  retention: number;
  recordRetention: number;
  challengeWindow: number;
}

interface Sample {
  readonly height: number;
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
  readonly externalMiB: number;
  readonly stateKeys: number;
  readonly jobsInState: number;
  readonly trieNodes: number;
  readonly dbMiB: number;
  /** Entries in BaseApp's decoded-tx cache (bounded; cleared when full): the heap's sawtooth. */
  readonly txCache: number;
  readonly msPerBlock: number;
  /** Mean Commit (state, trie nodes, orphan records, pruning: one LevelDB batch) since the last sample. */
  readonly commitMs: number;
}

const mib = (n: number): number => Math.round((n / 2 ** 20) * 10) / 10;

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? dirBytes(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).size;
  return n;
}

function parsePruning(s: string): PruningOptions {
  const [strategy, keep, interval] = s.split(":");
  return pruningOptions(strategy, keep, interval);
}

const operatorOf = (k: TestKey): string => toBech32("infervaloper", fromBech32(k.address).data);

async function run(o: Opts): Promise<void> {
  const pruning = parsePruning(o.pruning);
  const [validators, workers, clients, senders] = await Promise.all([
    Promise.all(Array.from({ length: o.validators }, (_, i) => testKey(800_000 + i))),
    Promise.all(Array.from({ length: o.validators }, (_, i) => testKey(810_000 + i))),
    Promise.all(Array.from({ length: o.jobs }, (_, i) => testKey(820_000 + i))),
    Promise.all(Array.from({ length: o.sends }, (_, i) => testKey(830_000 + i))),
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
  const inferenceParams = (state.inference?.params as Record<string, unknown> | undefined) ?? {};
  const jobPruning = "job_retention_blocks" in inferenceParams;
  const genesis = {
    ...state,
    auth: { ...state.auth, accounts: funded.map((k, i) => ({ address: k.address, account_number: String(i) })) },
    bank: { ...state.bank, balances: funded.map((k) => ({ address: k.address, coins: [{ denom: "uinf", amount: (1_000_000n * INF).toString() }] })) },
    models: { ...state.models, models: [modelToJson(MODEL)] },
    inference: {
      ...state.inference,
      params: {
        ...inferenceParams,
        challenge_window_blocks: String(o.challengeWindow),
        ...(jobPruning ? { job_retention_blocks: String(o.retention), job_record_retention_blocks: String(o.recordRetention) } : {}),
      },
    },
    staking: {
      ...state.staking,
      validators: validators.map((v, i) => ({
        operator_address: operatorOf(v),
        consensus_pubkey: Buffer.from(sha256(new TextEncoder().encode(`bench-memory-cons-${i}`))).toString("base64"),
        self_delegation: (10n * INF).toString(),
        moniker: `m${i}`,
        commission_rate_ppm: 0,
      })),
      workers: validators.map((v, i) => ({ operator_address: operatorOf(v), worker_address: workers[i].address, model_ids: [MODEL.id] })),
    },
  };

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-bench-memory-"));
  const app = await createInferchainApp({ dbDir: dir });
  app.store.setPruning(pruning);
  const gc = (globalThis as { gc?: () => void }).gc;
  const samples: Sample[] = [];
  let failed = 0;
  let lastSampleAt = performance.now();
  let commitMs = 0;
  try {
    await app.initChain({ time: { seconds: 1_700_000_000n, nanos: 0 }, chainId: CHAIN_ID, consensusParams: undefined, validators: [], appStateBytes: new TextEncoder().encode(JSON.stringify(genesis)), initialHeight: 1n });
    const workerKey = new Map(workers.map((w) => [w.address, w]));
    const clientKey = new Map(clients.map((c) => [c.address, c]));
    /** worker → the jobs assigned to it in the last block, with their clients (results are sealed to them). */
    let assigned = new Map<string, Array<{ id: bigint; client: string }>>();
    console.log(
      `pruning ${pruning.strategy} (keep ${pruning.keepRecent || "all"}, every ${pruning.interval || "-"}); ${o.jobs} jobs + ${o.sends} sends per block; ` +
        `job pruning ${jobPruning ? `on (retention ${o.retention}, record ${o.recordRetention})` : "not in x/inference params: jobs accumulate"}; gc ${gc ? "on" : "off (run with --expose-gc)"}`,
    );
    console.log("height\trss MiB\theap MiB\text MiB\tstate keys\tjobs\ttrie nodes\tdb MiB\ttx cache\tms/block\tcommit ms");
    for (let h = 1; h <= o.blocks; h++) {
      const txs: Uint8Array[] = [];
      const job = (c: TestKey): Any => ({
        typeUrl: "/inferchain.inference.v1.MsgSubmitJob",
        value: MsgSubmitJob.encode(MsgSubmitJob.fromPartial({ client: c.address, modelId: MODEL.id, input: sampleInput(1, BigInt(h)), fee: JOB_FEE.toString() })).finish(),
      });
      for (const c of clients) txs.push(await asReceived(signTxFast(c, [job(c)], { chainId: CHAIN_ID, accountNumber: numbers.get(c.address)!, sequence: nextSeq(c), gas: GAS, fee: fee(GAS) })));
      for (const [worker, ids] of assigned) {
        const w = workerKey.get(worker)!;
        const msgs = ids.map(({ id, client }) => {
          const s = sealFor({ id, worker, clientPubkey: clientKey.get(client)!.pubkey }, sampleOutput());
          return { typeUrl: "/inferchain.inference.v1.MsgSubmitResult", value: MsgSubmitResult.encode(MsgSubmitResult.fromPartial({ worker, jobId: id, commitment: s.commitment, sealedOutput: s.sealedOutput })).finish() };
        });
        const gas = GAS * BigInt(ids.length);
        txs.push(await asReceived(signTxFast(w, msgs, { chainId: CHAIN_ID, accountNumber: numbers.get(worker)!, sequence: nextSeq(w), gas, fee: fee(gas) })));
      }
      for (const [i, s] of senders.entries()) {
        const to = senders[(i + 1) % senders.length];
        txs.push(await asReceived(signTxFast(s, [msgSendAny(s.address, to.address, 1n)], { chainId: CHAIN_ID, accountNumber: numbers.get(s.address)!, sequence: nextSeq(s) })));
      }
      const fin = await app.finalizeBlock(finalizeRequest(BigInt(h), txs));
      const c0 = performance.now();
      await app.commit();
      commitMs += performance.now() - c0;
      for (const r of fin.txResults) if (r.code !== 0) failed++;
      if (failed > 0 && h <= 5) throw new Error(`block ${h}: ${fin.txResults.find((r) => r.code !== 0)?.log}`);
      assigned = new Map();
      for (const e of fin.events) {
        if (e.type !== "job_assigned") continue;
        const a = Object.fromEntries(e.attributes.map((x) => [x.key, x.value]));
        assigned.set(a.worker, [...(assigned.get(a.worker) ?? []), { id: BigInt(a.job_id), client: a.client }]);
      }

      if (h % o.sample === 0) {
        const now = performance.now();
        gc?.();
        gc?.();
        const m = process.memoryUsage();
        let jobsInState = 0;
        for (const _ of app.store.state.iterate("inference/jobs/")) jobsInState++;
        const s: Sample = {
          height: h,
          rssMiB: mib(m.rss),
          heapUsedMiB: mib(m.heapUsed),
          externalMiB: mib(m.external),
          stateKeys: app.store.state.size,
          jobsInState,
          trieNodes: await app.store.trieNodeCount(),
          dbMiB: mib(dirBytes(dir)),
          txCache: (app as unknown as { decoded?: Map<string, unknown> }).decoded?.size ?? -1,
          msPerBlock: Math.round(((now - lastSampleAt) / o.sample) * 10) / 10,
          commitMs: Math.round((commitMs / o.sample) * 100) / 100,
        };
        commitMs = 0;
        lastSampleAt = performance.now();
        samples.push(s);
        console.log([s.height, s.rssMiB, s.heapUsedMiB, s.externalMiB, s.stateKeys, s.jobsInState, s.trieNodes, s.dbMiB, s.txCache, s.msPerBlock, s.commitMs].join("\t"));
      }
    }
  } finally {
    await app.store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // After the warm-up (the first third) state and trie should be flat; the heap saws up and down
  // with the decoded-tx cache, so each half of the steady window is summarised by its range.
  const steady = samples.filter((s) => s.height > o.blocks / 3);
  const halves = [steady.slice(0, Math.ceil(steady.length / 2)), steady.slice(Math.ceil(steady.length / 2))];
  const range = (f: (s: Sample) => number): Array<[number, number]> => halves.map((h) => (h.length ? [Math.min(...h.map(f)), Math.max(...h.map(f))] : [0, 0]));
  console.log(
    JSON.stringify({
      blocks: o.blocks,
      pruning: pruning.strategy,
      keepRecent: pruning.keepRecent,
      interval: pruning.interval,
      jobsPerBlock: o.jobs,
      sendsPerBlock: o.sends,
      jobPruning,
      failedTxs: failed,
      steadyFrom: steady[0]?.height ?? 0,
      // [min, max] in the first and in the second half of the steady window.
      steadyRanges: {
        rssMiB: range((s) => s.rssMiB),
        heapUsedMiB: range((s) => s.heapUsedMiB),
        externalMiB: range((s) => s.externalMiB),
        stateKeys: range((s) => s.stateKeys),
        jobsInState: range((s) => s.jobsInState),
        trieNodes: range((s) => s.trieNodes),
        dbMiB: range((s) => s.dbMiB),
      },
    }),
  );
}

const program = new Command()
  .name("bench-memory")
  .addOption(new Option("--blocks <n>", "blocks to run").default(3000).argParser(Number))
  .addOption(new Option("--sample <n>", "print a sample every n blocks").default(250).argParser(Number))
  .addOption(new Option("--jobs <n>", "jobs submitted per block (one client each)").default(8).argParser(Number))
  .addOption(new Option("--sends <n>", "MsgSends per block (a ring of accounts)").default(8).argParser(Number))
  .addOption(new Option("--validators <n>", "validators, each with a worker").default(2).argParser(Number))
  .addOption(new Option("--pruning <s>", "default | nothing | everything | custom:<keep-recent>:<interval>").default("default"))
  .addOption(new Option("--retention <n>", "x/inference job_retention_blocks").default(50).argParser(Number))
  .addOption(new Option("--record-retention <n>", "x/inference job_record_retention_blocks").default(150).argParser(Number))
  .addOption(new Option("--challenge-window <n>", "x/inference challenge_window_blocks").default(3).argParser(Number));

program.parse();
run(program.opts<Opts>()).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
