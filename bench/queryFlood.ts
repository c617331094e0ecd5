/**
 * Query flood benchmark (not a test; issue 7, finding 6): how much a flood of the most
 * expensive allowed queries, over gRPC and ABCI Query at once, delays FinalizeBlock.
 *
 * An in-process app (the real module list, LevelDB in a temp dir) with 4,900 accounts and
 * 4,000 jobs of ~1.5 kB inputs, served as `inferd start` serves it: the ABCI socket server
 * (node's scheduler options) and the gRPC server routed through it. A worker thread floods
 * it: `--grpc-concurrency` gRPC calls and `--abci-inflight` pipelined ABCI Query requests in
 * flight at all times, cycling through three queries that each run to (or just under) the
 * query gas limit or the scan bound: a Jobs page of 1000 (refused out of gas at 3M gas),
 * Accounts with limit 1000 + count_total over 4,900 keys, and Jobs with offset 3,000 +
 * count_total (out of gas after the skip).
 * Meanwhile the main thread acts as CometBFT's consensus connection: every `--interval-ms`
 * it sends FinalizeBlock (empty block) + Flush, then Commit + Flush, and times FinalizeBlock
 * from send to answer. First `--blocks` blocks without the flood (baseline), then as many
 * with it. `--no-yield` runs the scheduler without yielding to I/O between requests (the
 * old behaviour) for comparison.
 *
 *   npm run build && npm run bench:queries -- [--blocks 100] [--interval-ms 20]
 *       [--grpc-concurrency 16] [--abci-inflight 16] [--no-yield]
 *
 * The last stdout line is one JSON object with the figures (milliseconds).
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import * as grpc from "@grpc/grpc-js";
import { Command } from "commander";
import { QueryAccountsRequest } from "cosmjs-types/cosmos/auth/v1beta1/query";
import { Request, Response } from "cosmjs-types/tendermint/abci/types";
import { frame, startAbciServer } from "../base/abci/server";
import { createInferchainApp } from "../app/app";
import { accountAddress } from "../base/types/address";
import { Job as WireJob } from "../gen/inferchain/inference/v1/inference";
import { QueryJobsRequest } from "../gen/inferchain/inference/v1/query";
import { startGrpcServer } from "../server/grpc";
import { jobIndexKeys, jobKey } from "../x/inference/keys";
import { jobToWire, newJob } from "../x/inference/types";

const ACCOUNTS = 4_900;
const JOBS = 4_000;
const INPUT_BYTES = 1_500;
const silent = { info: () => undefined, error: () => undefined, debug: () => undefined };

interface FloodConfig {
  readonly grpcPort: number;
  readonly abciSocket: string;
  readonly grpcConcurrency: number;
  readonly abciInflight: number;
  readonly queries: ReadonlyArray<readonly [string, Uint8Array]>;
}

const addr = (i: number): string => accountAddress(Uint8Array.from({ length: 20 }, (_, j) => (j < 4 ? (i >> (8 * j)) & 0xff : 9)));

/** Reads length-prefixed ABCI Responses off a socket; `onResponse` per response. */
function responseReader(socket: net.Socket, onResponse: (r: Response) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      let len = 0;
      let shift = 0;
      let i = 0;
      for (; i < pending.length; i++) {
        len += (pending[i] & 0x7f) * 2 ** shift;
        shift += 7;
        if ((pending[i] & 0x80) === 0) break;
      }
      if (i >= pending.length || pending.length < i + 1 + len) return;
      onResponse(Response.decode(pending.subarray(i + 1, i + 1 + len)));
      pending = pending.subarray(i + 1 + len);
    }
  });
}

/** The worker: floods until the parent says stop, then reports what it sent. */
async function flood(cfg: FloodConfig): Promise<void> {
  let stop = false;
  parentPort!.on("message", () => (stop = true));
  const counts: Record<string, number> = {};
  const count = (k: string): void => void (counts[k] = (counts[k] ?? 0) + 1);

  const client = new grpc.Client(`127.0.0.1:${cfg.grpcPort}`, grpc.credentials.createInsecure());
  let n = 0;
  const grpcLoop = async (): Promise<void> => {
    while (!stop) {
      const [method, data] = cfg.queries[n++ % cfg.queries.length];
      await new Promise<void>((resolve) => {
        client.makeUnaryRequest(method, (b: Uint8Array) => Buffer.from(b), (b: Buffer) => b, data, (err) => {
          count(err ? `grpc_${grpc.status[err.code]}` : "grpc_OK");
          resolve();
        });
      });
    }
  };

  const socket = net.connect(cfg.abciSocket);
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  let inflight = 0;
  let m = 0;
  const sendQuery = (): void => {
    const [p, data] = cfg.queries[m++ % cfg.queries.length];
    inflight++;
    socket.write(Buffer.concat([frame(Request.encode(Request.fromPartial({ query: { path: p, data, height: 0n, prove: false } })).finish()), frame(Request.encode(Request.fromPartial({ flush: {} })).finish())]));
  };
  responseReader(socket, (r) => {
    if (!r.query) return;
    inflight--;
    count(r.query.code === 0 ? "abci_OK" : `abci_code_${r.query.code}`);
    if (!stop) sendQuery();
  });
  for (let i = 0; i < cfg.abciInflight; i++) sendQuery();
  await Promise.all(Array.from({ length: cfg.grpcConcurrency }, grpcLoop));
  while (inflight > 0) await new Promise((r) => setTimeout(r, 10));
  socket.destroy();
  client.close();
  parentPort!.postMessage(counts);
}

interface Summary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

function summary(ms: number[]): Summary {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  const r = (x: number): number => Math.round(x * 1000) / 1000;
  return { p50: r(at(0.5)), p90: r(at(0.9)), p99: r(at(0.99)), max: r(s[s.length - 1]) };
}

async function main(): Promise<void> {
  const o = new Command()
    .option("--blocks <n>", "blocks per phase", "100")
    .option("--interval-ms <n>", "time between blocks", "20")
    .option("--grpc-concurrency <n>", "gRPC calls in flight", "16")
    .option("--abci-inflight <n>", "ABCI queries in flight", "16")
    .option("--no-yield", "do not yield to I/O between requests (the old scheduler)")
    .parse()
    .opts<{ blocks: string; intervalMs: string; grpcConcurrency: string; abciInflight: string; yield: boolean }>();
  const blocks = Number(o.blocks);
  const interval = Number(o.intervalMs);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-bench-queries-"));
  const app = await createInferchainApp({ dbDir: dir });
  const accounts = Array.from({ length: ACCOUNTS }, (_, i) => ({ address: addr(i) }));
  const time = (h: bigint): { seconds: bigint; nanos: number } => ({ seconds: 1_700_000_000n + h, nanos: 0 });
  await app.initChain({ chainId: "bench-queries", time: time(0n), consensusParams: undefined, validators: [], appStateBytes: new TextEncoder().encode(JSON.stringify({ auth: { accounts } })), initialHeight: 1n });
  await app.finalizeBlock({ txs: [], decidedLastCommit: { round: 0, votes: [] }, misbehavior: [], hash: new Uint8Array(32), height: 1n, time: time(1n), nextValidatorsHash: new Uint8Array(), proposerAddress: new Uint8Array(20) });
  await app.commit();
  // Jobs go straight into the committed read state (the queries read it; no block needs them).
  const client = addr(1);
  for (let id = 1n; id <= BigInt(JOBS); id++) {
    const j = newJob({ id, client, modelId: "m", input: new Uint8Array(INPUT_BYTES).fill(7), fee: 1n, height: 1n });
    app.store.state.set(jobKey(id), WireJob.encode(jobToWire(j)).finish());
    for (const k of jobIndexKeys(j)) app.store.state.set(k, Uint8Array.of(1));
  }

  const sock = path.join(dir, "app.sock");
  const abci = await startAbciServer(app, `unix://${sock}`, silent, {
    clock: () => process.hrtime.bigint(),
    yieldToIo: o.yield ? () => new Promise((resolve) => setImmediate(resolve)) : undefined,
  });
  const grpcServer = await startGrpcServer({
    address: "127.0.0.1:0",
    protoFiles: [],
    router: {
      paths: () => app.queryPaths(),
      query: async (p, data) => ({ value: await abci.query(p, data), height: app.lastHeight }),
    },
  });

  const page = (pagination: Partial<QueryJobsRequest["pagination"]> & object) => ({ key: new Uint8Array(), offset: 0n, limit: 0n, countTotal: false, reverse: false, ...pagination });
  const queries: Array<[string, Uint8Array]> = [
    ["/inferchain.inference.v1.Query/Jobs", QueryJobsRequest.encode({ status: 0, client, worker: "", pagination: page({ limit: 1000n }) }).finish()],
    ["/cosmos.auth.v1beta1.Query/Accounts", QueryAccountsRequest.encode({ pagination: page({ limit: 1000n, countTotal: true }) }).finish()],
    ["/inferchain.inference.v1.Query/Jobs", QueryJobsRequest.encode({ status: 0, client: "", worker: "", pagination: page({ offset: 3_000n, limit: 1000n, countTotal: true }) }).finish()],
  ];

  // The consensus connection, as CometBFT drives it.
  const consensus = net.connect(sock);
  await new Promise<void>((resolve) => consensus.once("connect", () => resolve()));
  let waiting: ((r: Response) => void) | undefined;
  responseReader(consensus, (r) => {
    if (r.flush) waiting?.(r);
  });
  const roundTrip = (req: Request): Promise<void> =>
    new Promise<void>((resolve) => {
      waiting = () => resolve();
      consensus.write(Buffer.concat([frame(Request.encode(req).finish()), frame(Request.encode(Request.fromPartial({ flush: {} })).finish())]));
    });
  let height = 2n;
  const runBlocks = async (): Promise<number[]> => {
    const ms: number[] = [];
    for (let i = 0; i < blocks; i++, height++) {
      const t0 = process.hrtime.bigint();
      await roundTrip(Request.fromPartial({ finalizeBlock: { height, time: time(height), hash: new Uint8Array(32), txs: [], misbehavior: [], decidedLastCommit: { round: 0, votes: [] }, proposerAddress: new Uint8Array(20), nextValidatorsHash: new Uint8Array() } }));
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      await roundTrip(Request.fromPartial({ commit: {} }));
      await new Promise((r) => setTimeout(r, interval));
    }
    return ms;
  };

  const baseline = await runBlocks();
  const before = abci.stats();
  const worker = new Worker(__filename, {
    workerData: { grpcPort: grpcServer.port, abciSocket: sock, grpcConcurrency: Number(o.grpcConcurrency), abciInflight: Number(o.abciInflight), queries } satisfies FloodConfig,
  });
  const counts = new Promise<Record<string, number>>((resolve) => worker.once("message", resolve));
  await new Promise((r) => setTimeout(r, 1000)); // let the flood build up
  const flooded = await runBlocks();
  const after = abci.stats();
  worker.postMessage("stop");
  const sent = await counts;
  await worker.terminate();
  consensus.destroy();
  await grpcServer.close();
  await abci.close();
  await app.store.close();
  fs.rmSync(dir, { recursive: true, force: true });

  const b = summary(baseline);
  const f = summary(flooded);
  const result = {
    yield: o.yield,
    blocks,
    finalize_baseline_ms: b,
    finalize_flooded_ms: f,
    added_delay_p50_ms: Math.round((f.p50 - b.p50) * 1000) / 1000,
    added_delay_p90_ms: Math.round((f.p90 - b.p90) * 1000) / 1000,
    consensus_wait_max_ms: Number(after.consensus.maxWaitNs) / 1e6,
    query_run_max_ms: Number(after.queries.maxRunNs) / 1e6,
    queries_served: after.queries.count - before.queries.count,
    responses: sent,
  };
  console.log(`load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")} on ${os.cpus().length} cores`);
  console.log(`FinalizeBlock baseline p50 ${b.p50} ms, p90 ${b.p90}, p99 ${b.p99}; under the flood p50 ${f.p50} ms, p90 ${f.p90}, p99 ${f.p99}, max ${f.max}; longest query ${result.query_run_max_ms.toFixed(2)} ms`);
  console.log(JSON.stringify(result));
}

if (isMainThread) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
} else {
  void flood(workerData as FloodConfig);
}
