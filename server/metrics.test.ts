import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Request, Response } from "cosmjs-types/tendermint/abci/types";
import { NodeMetrics, directoryBytes } from "./metrics";

/** The value of one sample line (`name{labels} value`) of the exposition text, or undefined. */
function sample(text: string, line: string): number | undefined {
  const hit = text.split("\n").find((l) => l.startsWith(`${line} `));
  return hit === undefined ? undefined : Number(hit.slice(line.length + 1));
}

describe("NodeMetrics", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-metrics-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("FinalizeBlock, Commit and CheckTx answers become height, time, durations, tx counts and refusals by code", async () => {
    const m = new NodeMetrics(dir);
    fs.writeFileSync(path.join(dir, "000001.log"), Buffer.alloc(1234));
    const fin = Request.fromPartial({ finalizeBlock: { height: 7n, time: { seconds: 1_700_000_000n, nanos: 500_000_000 }, txs: [new Uint8Array(3), new Uint8Array(4)] } });
    m.observe(fin, Response.fromPartial({ finalizeBlock: {} }), 2_000_000n);
    m.observe(Request.fromPartial({ commit: {} }), Response.fromPartial({ commit: {} }), 5_000_000n);
    m.observe(Request.fromPartial({ checkTx: { tx: new Uint8Array(1) } }), Response.fromPartial({ checkTx: { code: 0 } }), 10_000n);
    for (let i = 0; i < 2; i++) m.observe(Request.fromPartial({ checkTx: { tx: new Uint8Array(1) } }), Response.fromPartial({ checkTx: { code: 5, codespace: "sdk" } }), 10_000n);
    // A query is not counted anywhere.
    m.observe(Request.fromPartial({ query: { path: "/x" } }), Response.fromPartial({ query: {} }), 10_000n);

    const text = await m.registry.metrics();
    expect(sample(text, "inferchain_block_height")).toBe(7);
    expect(sample(text, "inferchain_block_time_seconds")).toBe(1_700_000_000.5);
    expect(sample(text, "inferchain_txs_total")).toBe(2);
    expect(sample(text, "inferchain_block_txs_count")).toBe(1);
    expect(sample(text, "inferchain_block_txs_sum")).toBe(2);
    expect(sample(text, "inferchain_finalize_block_duration_seconds_sum")).toBeCloseTo(0.002, 9);
    expect(sample(text, "inferchain_commit_duration_seconds_sum")).toBeCloseTo(0.005, 9);
    expect(sample(text, 'inferchain_check_tx_total{result="accepted",codespace="",code="0"}')).toBe(1);
    expect(sample(text, 'inferchain_check_tx_total{result="refused",codespace="sdk",code="5"}')).toBe(2);
    expect(sample(text, "inferchain_store_bytes")).toBe(1234);
    expect(text).toContain("inferchain_node_process_resident_memory_bytes");
  });

  test("without a clock nothing is timed, and a missing store directory is 0 bytes", async () => {
    const m = new NodeMetrics(path.join(dir, "absent"));
    m.observe(Request.fromPartial({ finalizeBlock: { height: 1n, txs: [] } }), Response.fromPartial({ finalizeBlock: {} }), undefined);
    const text = await m.registry.metrics();
    expect(sample(text, "inferchain_block_height")).toBe(1);
    expect(sample(text, "inferchain_finalize_block_duration_seconds_count")).toBe(0);
    expect(sample(text, "inferchain_store_bytes")).toBe(0);
    expect(directoryBytes(path.join(dir, "absent"))).toBe(0);
  });
});
