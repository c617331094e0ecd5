/**
 * The ABCI scheduler (issue 7, finding 6): consensus requests go first, and a flood of queries
 * (ABCI Query or gRPC) or CheckTx delays a FinalizeBlock by at most the request already running.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Request, Response, ResponseCheckTx, ResponseFinalizeBlock, ResponseQuery } from "cosmjs-types/tendermint/abci/types";
import type { BaseApp } from "../baseapp";
import { GrpcStatus, QueryError } from "../query";
import { MAX_WAITING_QUERIES, frame, startAbciServer, type AbciServer, type AbciServerOptions } from "./server";

const silent = { info: () => undefined, error: () => undefined, debug: () => undefined };

/** Busy work standing in for an expensive query (the thread is held, as a real one holds it). */
function spin(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end);
}

interface Harness {
  readonly server: AbciServer;
  /** What the app served, in order: q = ABCI query, g = gRPC query, c = CheckTx, F = FinalizeBlock. */
  readonly order: string[];
  connect(): Promise<Client>;
  /** Called by the fake app on each query it serves (to inject requests mid-flood). */
  onQuery: (n: number) => void;
  close(): Promise<void>;
}

interface Client {
  send(reqs: Request[]): void;
  /** Resolves once `n` responses have arrived. */
  responses(n: number): Promise<Response[]>;
  end(): void;
}

async function harness(opts: AbciServerOptions = {}): Promise<Harness> {
  const order: string[] = [];
  let queries = 0;
  const h: { onQuery: (n: number) => void } = { onQuery: () => undefined };
  const served = (tag: string): void => {
    order.push(tag);
    if (tag === "q" || tag === "g") h.onQuery(++queries);
  };
  const app = {
    query: async (): Promise<ResponseQuery> => {
      spin(2);
      served("q");
      return ResponseQuery.fromPartial({});
    },
    runQuery: (): Uint8Array => {
      spin(2);
      served("g");
      return Uint8Array.of(1);
    },
    checkTx: (): ResponseCheckTx => {
      served("c");
      return ResponseCheckTx.fromPartial({});
    },
    finalizeBlock: async (): Promise<ResponseFinalizeBlock> => {
      served("F");
      return ResponseFinalizeBlock.fromPartial({});
    },
    prefetchCheckTx: (): Promise<void> => Promise.resolve(),
  } as unknown as BaseApp;
  const sock = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-sched-")), "app.sock");
  const server = await startAbciServer(app, `unix://${sock}`, silent, { yieldToIo: () => new Promise((resolve) => setImmediate(resolve)), ...opts });
  const clients: net.Socket[] = [];
  return {
    server,
    order,
    set onQuery(f: (n: number) => void) {
      h.onQuery = f;
    },
    get onQuery() {
      return h.onQuery;
    },
    async connect(): Promise<Client> {
      const socket = net.connect(sock);
      clients.push(socket);
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      let pending = Buffer.alloc(0);
      const got: Response[] = [];
      let waiter: (() => void) | undefined;
      socket.on("data", (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        for (;;) {
          let len = 0;
          let shift = 0;
          let i = 0;
          for (; i < pending.length; i++) {
            len += (pending[i] & 0x7f) * 2 ** shift;
            shift += 7;
            if ((pending[i] & 0x80) === 0) break;
          }
          if (i >= pending.length || pending.length < i + 1 + len) break;
          got.push(Response.decode(pending.subarray(i + 1, i + 1 + len)));
          pending = pending.subarray(i + 1 + len);
        }
        waiter?.();
      });
      return {
        send: (reqs) => socket.write(Buffer.concat(reqs.map((r) => frame(Request.encode(r).finish())))),
        responses: (n) =>
          new Promise((resolve) => {
            const check = (): void => {
              if (got.length >= n) resolve(got.slice(0, n));
            };
            waiter = check;
            check();
          }),
        end: () => socket.destroy(),
      };
    },
    async close() {
      for (const c of clients) c.destroy();
      await server.close();
    },
  };
}

const query = (): Request => Request.fromPartial({ query: { path: "/x", data: new Uint8Array(), height: 0n, prove: false } });
const finalize = (): Request => Request.fromPartial({ finalizeBlock: { height: 2n, txs: [] } });
const checkTx = (): Request => Request.fromPartial({ checkTx: { tx: Uint8Array.of(1), type: 0 } });
const flush = (): Request => Request.fromPartial({ flush: {} });

describe("ABCI scheduler", () => {
  test("a FinalizeBlock that arrives during a flood of ABCI queries waits for at most the running ones", async () => {
    const h = await harness();
    try {
      const q = await h.connect();
      const consensus = await h.connect();
      h.onQuery = (n) => {
        if (n === 1) consensus.send([finalize(), flush()]);
      };
      q.send([...Array.from({ length: 50 }, query), flush()]);
      await consensus.responses(2);
      await q.responses(51);
      expect(h.order.filter((t) => t === "q")).toHaveLength(50);
      expect(h.order.indexOf("F")).toBeLessThanOrEqual(3);
    } finally {
      await h.close();
    }
  });

  test("gRPC queries run in the same scheduler: a FinalizeBlock goes ahead of those still waiting", async () => {
    const h = await harness();
    try {
      const consensus = await h.connect();
      h.onQuery = (n) => {
        if (n === 1) consensus.send([finalize(), flush()]);
      };
      const results = await Promise.all([...Array.from({ length: 50 }, () => h.server.query("/x", new Uint8Array())), consensus.responses(2)]);
      expect(results.slice(0, 50).every((r) => r instanceof Uint8Array)).toBe(true);
      expect(h.order.filter((t) => t === "g")).toHaveLength(50);
      expect(h.order.indexOf("F")).toBeLessThanOrEqual(3);
    } finally {
      await h.close();
    }
  });

  test("queries wait behind CheckTx but are not starved by a flood of them", async () => {
    const h = await harness();
    try {
      const mempool = await h.connect();
      const q = await h.connect();
      mempool.send([...Array.from({ length: 100 }, checkTx), flush()]);
      q.send([query(), flush()]);
      await Promise.all([mempool.responses(101), q.responses(2)]);
      const at = h.order.indexOf("q");
      expect(at).toBeGreaterThan(0);
      expect(at).toBeLessThan(40);
    } finally {
      await h.close();
    }
  });

  test("at most MAX_WAITING_QUERIES gRPC queries wait; the next is ResourceExhausted", async () => {
    const h = await harness();
    try {
      // The first starts at once; the next MAX_WAITING_QUERIES wait.
      const waiting = Array.from({ length: MAX_WAITING_QUERIES + 1 }, () => h.server.query("/x", new Uint8Array()));
      await expect(h.server.query("/x", new Uint8Array())).rejects.toEqual(expect.objectContaining({ grpcCode: GrpcStatus.RESOURCE_EXHAUSTED }));
      await expect(h.server.query("/x", new Uint8Array())).rejects.toBeInstanceOf(QueryError);
      await Promise.all(waiting);
    } finally {
      await h.close();
    }
  });

  test("the observer sees every answered request with its run time; an observer that throws stops nothing", async () => {
    let now = 0n;
    const seen: string[] = [];
    const h = await harness({
      clock: () => (now += 1000n),
      observe: (req, resp, ns) => {
        seen.push(`${req.checkTx ? "c" : req.finalizeBlock ? "F" : req.flush ? "f" : "?"}:${ns}:${resp.exception ? "exception" : "ok"}`);
      },
    });
    const c = await h.connect();
    c.send([checkTx(), finalize(), flush()]);
    const got = await c.responses(3);
    expect(got.map((r) => !!r.exception)).toEqual([false, false, false]);
    expect(seen).toEqual(["c:1000:ok", "F:1000:ok", "f:1000:ok"]);
    await h.close();

    const bad = await harness({ observe: () => { throw new Error("metrics broke"); } });
    const c2 = await bad.connect();
    c2.send([checkTx(), finalize(), flush()]);
    const got2 = await c2.responses(3);
    expect(got2.map((r) => r.exception)).toEqual([undefined, undefined, undefined]);
    expect(got2[1].finalizeBlock).toBeDefined();
    await bad.close();
  });
});
