/**
 * ABCI socket server for CometBFT v0.38. Each message is a protobuf `Request`/`Response`
 * (tendermint.abci) prefixed by its length as an unsigned varint. CometBFT opens four
 * connections (consensus, mempool, query, snapshot); each connection's requests are answered
 * in order, so `Flush` is answered after everything before it.
 */
import net from "node:net";
import { Request, Response, ResponseFlush, ResponseEcho } from "cosmjs-types/tendermint/abci/types";
import type { BaseApp } from "../baseapp";

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
  close(): Promise<void>;
}

/** Lower runs first: consensus work is never kept waiting behind a mempool backlog. */
function priorityOf(req: Request): number | undefined {
  if (req.initChain || req.prepareProposal || req.processProposal || req.finalizeBlock || req.commit || req.extendVote || req.verifyVoteExtension) return 0;
  if (req.info || req.query || req.listSnapshots || req.offerSnapshot || req.loadSnapshotChunk || req.applySnapshotChunk) return 1;
  if (req.checkTx) return 2;
  return undefined; // echo, flush: the connection's own priority
}

interface Connection {
  readonly socket: net.Socket;
  readonly queue: Request[];
  /** Signature checks started for queued CheckTx requests (see BaseApp.prefetchCheckTx). */
  readonly prefetched: Map<Request, Promise<void>>;
  out: Buffer[];
  priority: number;
  failed: boolean;
}

/**
 * Listens on `tcp://host:port` or `unix:///path`. One scheduler serves every connection, one
 * request at a time (the app is never re-entered while a request awaits), always taking the
 * waiting request of highest priority; each connection's own requests stay in order.
 */
export async function startAbciServer(app: BaseApp, address: string, log: AbciLogger): Promise<AbciServer> {
  const conns = new Set<Connection>();
  let running = false;

  const next = (): Connection | undefined => {
    let best: Connection | undefined;
    for (const c of conns) {
      if (c.queue.length === 0 || c.failed) continue;
      const p = priorityOf(c.queue[0]) ?? c.priority;
      if (!best || p < (priorityOf(best.queue[0]) ?? best.priority)) best = c;
    }
    return best;
  };

  const flushOut = (c: Connection): void => {
    if (c.out.length === 0 || c.socket.destroyed) return;
    c.socket.write(c.out.length === 1 ? c.out[0] : Buffer.concat(c.out));
    c.out = [];
  };

  const run = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      for (let c = next(); c; c = next()) {
        const req = c.queue.shift()!;
        c.priority = priorityOf(req) ?? c.priority;
        const pre = c.prefetched.get(req);
        if (pre) {
          c.prefetched.delete(req);
          await pre;
        }
        let resp: Response;
        try {
          resp = await handleRequest(app, req);
        } catch (e) {
          c.failed = true;
          log.error({ err: e instanceof Error ? e.stack : String(e) }, "abci: request failed; CometBFT will stop");
          resp = Response.fromPartial({ exception: { error: String(e) } });
        }
        c.out.push(frame(Response.encode(resp).finish()));
        if (c.queue.length === 0 || req.flush || c.failed) flushOut(c);
      }
    } finally {
      running = false;
    }
  };

  const server = net.createServer((socket) => {
    const conn: Connection = { socket, queue: [], prefetched: new Map(), out: [], priority: 2, failed: false };
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
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of conns) c.socket.destroy();
        server.close(() => resolve());
      }),
  };
}
