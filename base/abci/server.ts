/**
 * ABCI socket server for CometBFT v0.38. Each message is a protobuf `Request`/`Response`
 * (tendermint.abci) prefixed by its length as an unsigned varint. CometBFT opens four
 * connections (consensus, mempool, query, snapshot); each connection's requests are answered
 * in order, so `Flush` is answered after everything before it.
 */
import net from "node:net";
import { Request, Response, ResponseFlush, ResponseEcho } from "cosmjs-types/tendermint/abci/types";
import type { BaseApp } from "../baseapp";
import { GrpcStatus, QueryError } from "../query";

export interface AbciLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

const MAX_MESSAGE_BYTES = 104_857_600; // 100 MiB, CometBFT's own cap on a block

function readUvarint(buf: Buffer, offset: number): { value: number; size: number } | undefined {
  let value = 0;
  let shift = 0;
  for (let i = offset; i < buf.length && i < offset + 10; i++) {
    const b = buf[i];
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return { value, size: i - offset + 1 };
    shift += 7;
  }
  if (buf.length - offset >= 10) throw new Error("abci: varint length prefix too long");
  return undefined;
}

function writeUvarint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

export function frame(payload: Uint8Array): Buffer {
  return Buffer.concat([writeUvarint(payload.length), payload]);
}

/** Dispatches one request to the app. Exceptions become `Response.exception`, which stops CometBFT. */
export async function handleRequest(app: BaseApp, req: Request): Promise<Response> {
  if (req.echo) return Response.fromPartial({ echo: ResponseEcho.fromPartial({ message: req.echo.message }) });
  if (req.flush) return Response.fromPartial({ flush: ResponseFlush.fromPartial({}) });
  if (req.info) return Response.fromPartial({ info: app.info(req.info) });
  if (req.initChain) return Response.fromPartial({ initChain: await app.initChain(req.initChain) });
  if (req.query) return Response.fromPartial({ query: await app.query(req.query) });
  if (req.checkTx) return Response.fromPartial({ checkTx: app.checkTx(req.checkTx) });
  if (req.commit) return Response.fromPartial({ commit: await app.commit() });
  if (req.prepareProposal) return Response.fromPartial({ prepareProposal: app.prepareProposal(req.prepareProposal) });
  if (req.processProposal) return Response.fromPartial({ processProposal: app.processProposal(req.processProposal) });
  if (req.finalizeBlock) return Response.fromPartial({ finalizeBlock: await app.finalizeBlock(req.finalizeBlock) });
  // Vote extensions are unused (see SPEC "Randomness caveat"): empty extension, always accepted.
  if (req.extendVote) return Response.fromPartial({ extendVote: { voteExtension: new Uint8Array() } });
  if (req.verifyVoteExtension) return Response.fromPartial({ verifyVoteExtension: { status: 1 } });
  // State sync is not offered yet: no snapshots, every offer refused.
  if (req.listSnapshots) return Response.fromPartial({ listSnapshots: { snapshots: [] } });
  if (req.offerSnapshot) return Response.fromPartial({ offerSnapshot: { result: 3 } });
  if (req.loadSnapshotChunk) return Response.fromPartial({ loadSnapshotChunk: { chunk: new Uint8Array() } });
  if (req.applySnapshotChunk) return Response.fromPartial({ applySnapshotChunk: { result: 3 } });
  return Response.fromPartial({ exception: { error: "unknown ABCI request" } });
}

export interface AbciServer {
  readonly address: string;
  /**
   * Runs one query (a gRPC call) in the same scheduler as CometBFT's requests, at query
   * priority: never ahead of a waiting consensus request. Rejects with a QueryError (from the
   * app, or ResourceExhausted when MAX_WAITING_QUERIES are already waiting).
   */
  query(path: string, data: Uint8Array): Promise<Uint8Array>;
  /** What the scheduler has measured (with a clock in the options), for benchmarks and metrics. */
  stats(): SchedulerStats;
  close(): Promise<void>;
}

export interface AbciServerOptions {
  /** A monotonic clock in nanoseconds (process.hrtime.bigint); without one nothing is timed. */
  readonly clock?: () => bigint;
  /**
   * Resolves after the event loop has polled sockets (`new Promise((r) => setImmediate(r))`),
   * so that a consensus request that arrived during a run of queries or CheckTx is read before
   * the next one starts. The node passes it (timers are kept out of app/, SPEC §6); without it
   * requests already read are drained first.
   */
  readonly yieldToIo?: () => Promise<void>;
  /**
   * Called after each request CometBFT sent has been answered, with how long the app ran on it
   * (ns, with a clock; else undefined): the node's Prometheus metrics (server/metrics.ts).
   */
  readonly observe?: (req: Request, resp: Response, runNs: bigint | undefined) => void;
}

export interface SchedulerStats {
  /** Consensus requests served, and how long each waited from arrival to its start (ns). */
  readonly consensus: { readonly count: number; readonly maxWaitNs: bigint; readonly totalWaitNs: bigint };
  /** Queries served (ABCI and gRPC), and the longest one ran (ns). */
  readonly queries: { readonly count: number; readonly maxRunNs: bigint };
}

/**
 * Lower runs first. Consensus work is never kept waiting behind the mempool or queries;
 * queries (ABCI Query, gRPC) come last, after CheckTx, but are not starved by a CheckTx flood.
 */
export const Priority = { consensus: 0, info: 1, checkTx: 2, query: 3 } as const;

function priorityOf(req: Request): number | undefined {
  if (req.initChain || req.prepareProposal || req.processProposal || req.finalizeBlock || req.commit || req.extendVote || req.verifyVoteExtension) return Priority.consensus;
  if (req.info || req.listSnapshots || req.offerSnapshot || req.loadSnapshotChunk || req.applySnapshotChunk) return Priority.info;
  if (req.checkTx) return Priority.checkTx;
  if (req.query) return Priority.query;
  return undefined; // echo, flush: the connection's own priority
}

/** gRPC queries allowed to wait at once; more are refused (ResourceExhausted) instead of queued. */
export const MAX_WAITING_QUERIES = 256;
/** A waiting query runs after at most this many CheckTx in a row. */
const CHECKTX_BEFORE_QUERY = 16;

interface Connection {
  readonly socket: net.Socket;
  readonly queue: Request[];
  /** Arrival time of each queued request (when timed). */
  readonly arrived: Map<Request, bigint>;
  /** Signature checks started for queued CheckTx requests (see BaseApp.prefetchCheckTx). */
  readonly prefetched: Map<Request, Promise<void>>;
  out: Buffer[];
  priority: number;
  failed: boolean;
}

interface QueryJob {
  readonly path: string;
  readonly data: Uint8Array;
  resolve(v: Uint8Array): void;
  reject(e: unknown): void;
}

/**
 * Listens on `tcp://host:port` or `unix:///path`. One scheduler serves every connection and
 * the gRPC queries, one request at a time (the app is never re-entered while a request
 * awaits), always taking the waiting request of highest priority; each connection's own
 * requests stay in order. After anything but a consensus request it yields to the event loop (`yieldToIo`),
 * so a consensus request that arrives during a flood of queries or CheckTx waits for at most
 * the one request already running (a query is bounded by its gas, base/query.ts).
 */
export async function startAbciServer(app: BaseApp, address: string, log: AbciLogger, opts: AbciServerOptions = {}): Promise<AbciServer> {
  const conns = new Set<Connection>();
  const grpcQueue: QueryJob[] = [];
  const clock = opts.clock;
  const yieldToIo = opts.yieldToIo;
  const stats = { consensus: { count: 0, maxWaitNs: 0n, totalWaitNs: 0n }, queries: { count: 0, maxRunNs: 0n } };
  let running = false;
  let checkTxInARow = 0;
  /** ABCI queries and gRPC queries share the query priority and take turns. */
  let lastQueryWasGrpc = false;

  const prio = (c: Connection): number => priorityOf(c.queue[0]) ?? c.priority;

  /** The connection to serve next, or "grpc" for the gRPC queue. */
  const next = (): Connection | "grpc" | undefined => {
    let best: Connection | undefined;
    for (const c of conns) {
      if (c.queue.length === 0 || c.failed) continue;
      if (!best || prio(c) < prio(best)) best = c;
    }
    const bestPrio = best ? prio(best) : Number.MAX_SAFE_INTEGER;
    if (grpcQueue.length > 0) {
      if (bestPrio > Priority.query || (bestPrio === Priority.query && !lastQueryWasGrpc)) return "grpc";
      if (bestPrio === Priority.checkTx && checkTxInARow >= CHECKTX_BEFORE_QUERY) return "grpc";
    }
    if (best && bestPrio === Priority.checkTx && checkTxInARow >= CHECKTX_BEFORE_QUERY) {
      // Let one waiting ABCI query go ahead of the CheckTx flood.
      for (const c of conns) if (c.queue.length > 0 && !c.failed && prio(c) === Priority.query) return c;
    }
    return best;
  };

  const flushOut = (c: Connection): void => {
    if (c.out.length === 0 || c.socket.destroyed) return;
    c.socket.write(c.out.length === 1 ? c.out[0] : Buffer.concat(c.out));
    c.out = [];
  };

  const recordQuery = (t0: bigint | undefined): void => {
    if (!clock || t0 === undefined) return;
    const ns = clock() - t0;
    stats.queries.count++;
    if (ns > stats.queries.maxRunNs) stats.queries.maxRunNs = ns;
  };

  const serveGrpc = (): void => {
    const job = grpcQueue.shift()!;
    checkTxInARow = 0;
    lastQueryWasGrpc = true;
    const t0 = clock?.();
    try {
      job.resolve(app.runQuery(job.path, job.data));
    } catch (e) {
      job.reject(e);
    }
    recordQuery(t0);
  };

  // A metrics failure is logged, never turned into an ABCI exception (which would stop CometBFT).
  const observe = (req: Request, resp: Response, ns: bigint | undefined): void => {
    try {
      opts.observe?.(req, resp, ns);
    } catch (e) {
      log.error({ err: e instanceof Error ? e.message : String(e) }, "abci: observer failed");
    }
  };

  const serveConnection = async (c: Connection): Promise<number> => {
    const req = c.queue.shift()!;
    const p = priorityOf(req) ?? c.priority;
    c.priority = p;
    checkTxInARow = p === Priority.checkTx ? checkTxInARow + 1 : p === Priority.query ? 0 : checkTxInARow;
    if (p === Priority.query) lastQueryWasGrpc = false;
    const arrived = c.arrived.get(req);
    if (arrived !== undefined) {
      c.arrived.delete(req);
      if (p === Priority.consensus && clock) {
        const wait = clock() - arrived;
        stats.consensus.count++;
        stats.consensus.totalWaitNs += wait;
        if (wait > stats.consensus.maxWaitNs) stats.consensus.maxWaitNs = wait;
      }
    }
    const pre = c.prefetched.get(req);
    if (pre) {
      c.prefetched.delete(req);
      await pre;
    }
    let resp: Response;
    try {
      const t0 = clock?.();
      resp = await handleRequest(app, req);
      if (req.query) recordQuery(t0);
      if (opts.observe) observe(req, resp, t0 === undefined ? undefined : clock!() - t0);
    } catch (e) {
      c.failed = true;
      log.error({ err: e instanceof Error ? e.stack : String(e) }, "abci: request failed; CometBFT will stop");
      resp = Response.fromPartial({ exception: { error: String(e) } });
    }
    c.out.push(frame(Response.encode(resp).finish()));
    if (c.queue.length === 0 || req.flush || c.failed) flushOut(c);
    return p;
  };

  const run = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      for (let n = next(); n; n = next()) {
        const p = n === "grpc" ? (serveGrpc(), Priority.query) : await serveConnection(n);
        if (p !== Priority.consensus && yieldToIo) {
          // Answers already computed go out before the event loop reads new requests.
          for (const c of conns) if (c.queue.length === 0) flushOut(c);
          await yieldToIo();
        }
      }
    } finally {
      running = false;
    }
  };

  const server = net.createServer((socket) => {
    const conn: Connection = { socket, queue: [], arrived: new Map(), prefetched: new Map(), out: [], priority: Priority.checkTx, failed: false };
    conns.add(conn);
    socket.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      try {
        for (;;) {
          const len = readUvarint(pending, 0);
          if (!len) break;
          if (len.value > MAX_MESSAGE_BYTES) throw new Error(`abci: message of ${len.value} bytes`);
          if (pending.length < len.size + len.value) break;
          const req = Request.decode(pending.subarray(len.size, len.size + len.value));
          conn.queue.push(req);
          if (clock) conn.arrived.set(req, clock());
          if (req.checkTx) conn.prefetched.set(req, app.prefetchCheckTx(req.checkTx.tx));
          pending = pending.subarray(len.size + len.value);
        }
      } catch (e) {
        log.error({ err: String(e) }, "abci: undecodable request; closing connection");
        socket.destroy();
        return;
      }
      void run();
    });
    socket.on("error", (e) => log.debug({ err: String(e) }, "abci: connection error"));
    socket.on("close", () => conns.delete(conn));
  });

  const m = /^(tcp|unix):\/\/(.+)$/.exec(address);
  if (!m) throw new Error(`abci: address must be tcp://host:port or unix:///path, got ${address}`);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    if (m[1] === "unix") server.listen(m[2], resolve);
    else {
      const i = m[2].lastIndexOf(":");
      server.listen(Number(m[2].slice(i + 1)), m[2].slice(0, i), resolve);
    }
  });
  log.info({ address }, "abci server listening");
  return {
    address,
    query: (path, data) =>
      new Promise<Uint8Array>((resolve, reject) => {
        if (grpcQueue.length >= MAX_WAITING_QUERIES) {
          reject(new QueryError(GrpcStatus.RESOURCE_EXHAUSTED, `${MAX_WAITING_QUERIES} queries already waiting; retry later`));
          return;
        }
        grpcQueue.push({ path, data, resolve, reject });
        void run();
      }),
    stats: () => ({ consensus: { ...stats.consensus }, queries: { ...stats.queries } }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of conns) c.socket.destroy();
        server.close(() => resolve());
      }),
  };
}
