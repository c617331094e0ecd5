import { sha256 } from "@cosmjs/crypto";
import { toBase64, toHex } from "@cosmjs/encoding";
import { parseNewBlock } from "./chainEvents";

describe("parseNewBlock (CometBFT v0.38 NewBlock event data)", () => {
  test("height, FinalizeBlock and tx events with plain-string attributes, tx hashes and codes", () => {
    const tx1 = new Uint8Array([1, 2, 3]);
    const tx2 = new Uint8Array([4, 5]);
    const value = {
      block: { header: { height: "42" }, data: { txs: [toBase64(tx1), toBase64(tx2)] } },
      result_finalize_block: {
        events: [{ type: "job_assigned", attributes: [{ key: "job_id", value: "7", index: true }, { key: "worker", value: "infer1abc", index: true }] }],
        tx_results: [
          { code: 0, events: [{ type: "result_submitted", attributes: [{ key: "job_id", value: "6", index: true }] }] },
          { code: 9, codespace: "inference", log: "job is not awaiting a result", events: [] },
        ],
      },
    };
    const b = parseNewBlock(value);
    expect(b.height).toBe(42n);
    expect(b.events).toEqual([
      { type: "job_assigned", attributes: { job_id: "7", worker: "infer1abc" } },
      { type: "result_submitted", attributes: { job_id: "6" } },
    ]);
    expect(b.txs).toEqual([
      { hash: toHex(sha256(tx1)).toUpperCase(), code: 0, codespace: "", log: "" },
      { hash: toHex(sha256(tx2)).toUpperCase(), code: 9, codespace: "inference", log: "job is not awaiting a result" },
    ]);
  });

  test("an empty block; a malformed event is refused", () => {
    expect(parseNewBlock({ block: { header: { height: "1" }, data: { txs: null } }, result_finalize_block: {} })).toEqual({ height: 1n, events: [], txs: [] });
    expect(() => parseNewBlock({ block: {} })).toThrow(/height/);
  });
});
