/**
 * The audits of the chaos benchmark and the determinism tests must be able to fail: against
 * fake CometBFT RPC servers (JSON-RPC over HTTP, as `rpc()` calls them) they must see a
 * different app hash, a missing height, an app whose own hash disagrees with the next header,
 * a committed tx missing from one node's block, and a gap in block production.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { sha256 } from "@cosmjs/crypto";
import { appHashRejections, auditHashes, auditTxs, resultLine, stallStats, type BlockMeta } from "./chaos";

interface FakeChain {
  /** height → app hash (upper hex); block hash and results hash derive from it. */
  appHash: Map<number, string>;
  /** height → base64 txs */
  txs: Map<number, string[]>;
  /** the app's own (abci_info) last height and hash */
  appInfo: { height: number; hash: string };
}

const iso = (h: number): string => new Date(1_700_000_000_000 + h * 500).toISOString();

function fakeNode(c: FakeChain): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      const { id, method, params } = JSON.parse(body) as { id: number; method: string; params: Record<string, string> };
      let result: unknown;
      if (method === "blockchain") {
        const metas = [];
        for (let h = Number(params.maxHeight); h >= Number(params.minHeight); h--) {
          const a = c.appHash.get(h);
          if (a === undefined) continue;
          metas.push({ block_id: { hash: `B${a}` }, header: { height: String(h), time: iso(h), app_hash: a, last_results_hash: `R${a}` }, num_txs: String(c.txs.get(h)?.length ?? 0) });
        }
        result = { block_metas: metas };
      } else if (method === "abci_info") {
        result = { response: { last_block_height: String(c.appInfo.height), last_block_app_hash: Buffer.from(c.appInfo.hash, "hex").toString("base64") } };
      } else if (method === "block") {
        result = { block: { data: { txs: c.txs.get(Number(params.height)) ?? [] } } };
      } else if (method === "block_results") {
        result = { txs_results: (c.txs.get(Number(params.height)) ?? []).map(() => ({ code: 0 })) };
      }
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(result === undefined ? { jsonrpc: "2.0", id, error: { message: `no ${method}` } } : { jsonrpc: "2.0", id, result }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) })),
  );
}

function chain(top: number): FakeChain {
  const appHash = new Map<number, string>();
  for (let h = 1; h <= top; h++) appHash.set(h, Buffer.from(sha256(new TextEncoder().encode(`h${h}`))).toString("hex").toUpperCase());
  const txs = new Map<number, string[]>([[3, [Buffer.from("tx-a").toString("base64")]]]);
  return { appHash, txs, appInfo: { height: top - 1, hash: appHash.get(top)! } };
}

const txHash = (s: string): string => Buffer.from(sha256(new TextEncoder().encode(s))).toString("hex").toUpperCase();

describe("chaos audits", () => {
  const servers: Array<{ close: () => Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  const nodes = async (...cs: FakeChain[]): Promise<string[]> => {
    const started = await Promise.all(cs.map(fakeNode));
    servers.push(...started);
    return started.map((s) => s.url);
  };

  test("identical nodes: no mismatch, no lost tx", async () => {
    const urls = await nodes(chain(45), chain(45));
    const a = await auditHashes(urls, 1, 44);
    expect([a.mismatches, a.details]).toEqual([[], []]);
    expect(a.metas.size).toBe(44); // more than one /blockchain page of 20
    const t = await auditTxs(urls, [{ hash: txHash("tx-a"), height: 3, kind: "send", code: 0, codespace: "", log: "" }], 1, 44);
    expect(t.lost).toEqual([]);
  });

  test("a different app hash at one height, a missing height, and an app whose own hash disagrees are each a mismatch", async () => {
    const b = chain(45);
    b.appHash.set(7, "00".repeat(32));
    b.appHash.delete(30);
    const c = chain(45);
    c.appInfo = { height: 44, hash: "11".repeat(32) };
    const a = await auditHashes(await nodes(chain(45), b, c), 1, 44);
    expect(a.mismatches).toEqual([7, 30, 44]);
    expect(a.details.join("\n")).toMatch(/height 7: .*node1 B0000/);
    expect(a.details.join("\n")).toMatch(/node2: app's own hash at 44/);
  });

  test("halted apps at the same height that disagree are a mismatch, though no header carries their hashes", async () => {
    const a = chain(20);
    const b = chain(20);
    a.appInfo = { height: 20, hash: "22".repeat(32) };
    b.appInfo = { height: 20, hash: "33".repeat(32) };
    const r = await auditHashes(await nodes(a, b), 1, 20, 0);
    expect(r.mismatches).toEqual([20]);
    expect(r.details.join("\n")).toMatch(/apps at height 20 report different hashes/);
  });

  test("a committed tx that is not in its block on one node is lost", async () => {
    const b = chain(10);
    b.txs.set(3, []);
    const t = await auditTxs(await nodes(chain(10), b), [{ hash: txHash("tx-a"), height: 3, kind: "job", code: 0, codespace: "", log: "" }], 1, 9);
    expect(t.lost).toEqual([`${txHash("tx-a")}@3 (job) not on node1`]);
  });

  test("CometBFT's refusals of a header's app hash are read from its log", () => {
    const log = [
      'I[2026-12-03|09:06:26.101] finalized block                              module=state height=30 num_txs_res=2',
      'E[2026-12-03|09:06:27.497] prevote step: consensus deems this block invalid; prevoting nil module=consensus height=31 round=4 err="wrong Block.Header.AppHash.  Expected E15C, got B16C"',
      'E[2026-12-03|09:06:34.003] prevote step: consensus deems this block invalid; prevoting nil module=consensus height=31 round=5 err="wrong Block.Header.AppHash.  Expected E15C, got B16C"',
    ].join("\n");
    expect(appHashRejections(log)).toEqual([30]);
    expect(appHashRejections(log.split("\n")[0])).toEqual([]);
  });

  test("stall statistics in expected blocks", () => {
    const metas = new Map<number, BlockMeta>();
    let t = 0;
    for (let h = 1; h <= 100; h++) {
      t += h === 50 ? 6000 : h === 80 ? 1500 : 500;
      metas.set(h, { height: h, blockHash: "", appHash: "", resultsHash: "", timeMs: t, numTxs: 0 });
    }
    const s = stallStats(metas, 1, 100, 5);
    expect([s.expectedMs, s.maxGapMs, s.maxStallBlocks, s.stalls]).toEqual([500, 6000, 11, 1]);
    expect(resultLine({ kills: 2, stalls: 1, appHashMismatches: 0, lostTxs: 0, maxStallBlocks: 11 } as Parameters<typeof resultLine>[0])).toBe(
      '{"kills":2,"stalls":1,"app_hash_mismatches":0,"lost_txs":0,"max_stall_blocks":11}',
    );
  });
});
