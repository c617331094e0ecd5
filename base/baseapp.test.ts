/**
 * BaseApp rules that no module can break: block hooks cannot halt the chain (only an
 * InvariantError stops a node), a tx cannot halt it either (an unexpected exception fails the
 * tx), a nil precommit is not a missed block, the block gas limit bounds Prepare and Process,
 * and a decoded tx shared through the decode cache cannot be changed by a handler.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type RequestFinalizeBlock, ResponseProcessProposal_ProposalStatus } from "cosmjs-types/tendermint/abci/types";
import { BlockIDFlag } from "cosmjs-types/tendermint/types/validator";
import { BaseApp, DEFAULT_MAX_BLOCK_GAS, EVENT_BLOCK_HOOK_ERROR, blockHookInfo } from "./baseapp";
import type { Context } from "./context";
import { ErrInsufficientFunds, InvariantError } from "./errors";
import type { AppModule, MsgHandler } from "./module";
import { CommitStore } from "./store/commitStore";
import { buildTx, finalizeRequest, proposalRequest } from "../test/support/chain";
import { testKey, type TestKey } from "../test/support/txs";

const enc = new TextEncoder();
const dec = new TextDecoder();
const TYPE_URL = "/inferchain.test.v1.MsgTest";

/** A message whose `action` picks what its handler does. */
interface TestMsg {
  action: string;
  items: string[];
}

const testHandler: MsgHandler<TestMsg> = {
  typeUrl: TYPE_URL,
  decode: (value) => ({ action: dec.decode(value), items: ["a"] }),
  signers: () => [signerAddress],
  validateBasic: () => undefined,
  execute(ctx: Context, msg) {
    ctx.store.set(`test/msg/${msg.action}`, enc.encode("1"));
    if (msg.action === "type-error") (undefined as unknown as { x: number }).x.toFixed();
    if (msg.action === "app-error") throw ErrInsufficientFunds.wrap("test");
    if (msg.action === "mutate") msg.items.push("b");
    return { typeUrl: TYPE_URL + "Response", value: new Uint8Array() };
  },
};

let signerAddress = "";

/** Ante stand-in: writes one key per tx, so a test sees that the "fee" stands when messages fail. */
const ante = {
  run(ctx: Context, tx: { signers: readonly { sequence: bigint }[] }): void {
    ctx.store.set(`test/ante/${tx.signers[0].sequence}`, enc.encode("paid"));
  },
};

interface Harness {
  app: BaseApp;
  store: CommitStore;
  key: TestKey;
  tx(action: string, sequence?: bigint, gas?: bigint): Promise<Uint8Array>;
  close(): Promise<void>;
}

async function harness(modules: AppModule[], consensusMaxGas?: bigint): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-baseapp-"));
  const store = await CommitStore.open(dir);
  const key = await testKey(7);
  signerAddress = key.address;
  const app = new BaseApp(store, {
    modules: [{ name: "test", msgHandlers: [testHandler] }, ...modules],
    ante,
    maxTxBytes: () => 1_000_000n,
  });
  await app.initChain({
    time: { seconds: 1_700_000_000n, nanos: 0 },
    chainId: "baseapp-1",
    consensusParams: consensusMaxGas === undefined ? undefined : { block: { maxBytes: 1_000_000n, maxGas: consensusMaxGas } },
    validators: [],
    appStateBytes: new Uint8Array(),
    initialHeight: 1n,
  });
  return {
    app,
    store,
    key,
    tx: async (action, sequence = 0n, gas = 100_000n) =>
      (await buildTx({ key, msgs: [{ typeUrl: TYPE_URL, value: enc.encode(action) }], chainId: "baseapp-1", accountNumber: 0n, sequence, gas })).bytes,
    async close() {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe("block hooks cannot halt the chain", () => {
  const writer = (name: string): AppModule => ({
    name,
    endBlock: (ctx) => ctx.store.set(`test/${name}/${ctx.block.height}`, enc.encode("ok")),
  });

  test("a hook that throws loses its own writes and emits block_hook_error; other hooks and the block go on", async () => {
    const h = await harness([
      writer("before"),
      {
        name: "broken",
        beginBlock: (ctx) => {
          ctx.store.set("test/broken/begin", enc.encode("x"));
          throw new RangeError("value out of range for int64");
        },
        endBlock: (ctx) => {
          ctx.store.set("test/broken/end", enc.encode("x"));
          ctx.events.emit("never", {});
          throw new Error("bad data in one item");
        },
      },
      writer("after"),
    ]);
    try {
      const fin = await h.app.finalizeBlock(finalizeRequest(1n, []));
      await h.app.commit();
      const errors = fin.events.filter((e) => e.type === EVENT_BLOCK_HOOK_ERROR).map((e) => Object.fromEntries(e.attributes.map((a) => [a.key, a.value])));
      expect(errors).toEqual([
        { module: "broken", hook: "begin_block", error: "RangeError: value out of range for int64" },
        { module: "broken", hook: "end_block", error: "Error: bad data in one item" },
      ]);
      expect(fin.events.map((e) => e.type)).not.toContain("never");
      expect(h.store.state.get("test/before/1")).toBeDefined();
      expect(h.store.state.get("test/after/1")).toBeDefined();
      expect(h.store.state.get("test/broken/begin")).toBeUndefined();
      expect(h.store.state.get("test/broken/end")).toBeUndefined();
      // and the next block too
      await h.app.finalizeBlock(finalizeRequest(2n, []));
      await h.app.commit();
      expect(h.app.lastHeight).toBe(2n);
    } finally {
      await h.close();
    }
  });

  test("an InvariantError (broken committed state) stops the node, as it must", async () => {
    const h = await harness([{ name: "invariant", endBlock: () => { throw new InvariantError("queue names a missing record"); } }]);
    try {
      await expect(h.app.finalizeBlock(finalizeRequest(1n, []))).rejects.toThrow(InvariantError);
    } finally {
      await h.close();
    }
  });
});

describe("a tx cannot halt the chain", () => {
  test("an unexpected exception in a message fails the tx with sdk/111222 (panic); the fee stands; the block goes on", async () => {
    const h = await harness([]);
    try {
      const txs = [await h.tx("type-error", 0n), await h.tx("ok", 1n)];
      const { prepare, process } = proposalRequest(1n, txs);
      expect(h.app.prepareProposal(prepare).txs).toHaveLength(2);
      expect(h.app.processProposal(process).status).toBe(ResponseProcessProposal_ProposalStatus.ACCEPT);
      const fin = await h.app.finalizeBlock(finalizeRequest(1n, txs));
      await h.app.commit();
      expect(fin.txResults.map((r) => `${r.codespace}/${r.code}`)).toEqual(["sdk/111222", "/0"]);
      expect(fin.txResults[0].log).toMatch(/TypeError.*failed to execute message|failed to execute message.*TypeError/);
      expect(h.store.state.get("test/ante/0")).toBeDefined(); // the fee stands
      expect(h.store.state.get("test/msg/type-error")).toBeUndefined(); // the messages' writes do not
      expect(h.store.state.get("test/msg/ok")).toBeDefined();
    } finally {
      await h.close();
    }
  });

  test("CheckTx refuses the same tx as an internal error, never throwing", async () => {
    const h = await harness([]);
    try {
      const r = h.app.checkTx({ tx: await h.tx("type-error"), type: 0 });
      expect(r.code).not.toBe(0);
    } finally {
      await h.close();
    }
  });

  test("a decoded tx is frozen: a handler that mutates its shared message fails (CheckTx and block alike) instead of changing it for later runs", async () => {
    const h = await harness([]);
    try {
      const tx = await h.tx("mutate");
      const first = h.app.checkTx({ tx, type: 0 });
      expect(first.code).not.toBe(0); // push on a frozen array throws
      const fin = await h.app.finalizeBlock(finalizeRequest(1n, [tx]));
      expect(fin.txResults[0].code).toBe(111222);
      expect(fin.txResults[0].log).toMatch(/not extensible|read.only|frozen/i);
    } finally {
      await h.close();
    }
  });
});

describe("block gas limit", () => {
  test("genesis without max_gas gets the default bound; consensus max_gas is kept", async () => {
    const a = await harness([]);
    const b = await harness([], 250_000n);
    try {
      expect(a.app.maxBlockGas(a.store.state)).toBe(DEFAULT_MAX_BLOCK_GAS);
      await a.app.finalizeBlock(finalizeRequest(1n, []));
      await a.app.commit();
      expect(a.app.maxBlockGas(a.store.state)).toBe(DEFAULT_MAX_BLOCK_GAS);
      await b.app.finalizeBlock(finalizeRequest(1n, []));
      await b.app.commit();
      expect(b.app.maxBlockGas(b.store.state)).toBe(250_000n);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("PrepareProposal stops adding txs at max_gas; ProcessProposal rejects a block past it; CheckTx refuses a tx that can never fit", async () => {
    const h = await harness([], 250_000n);
    try {
      await h.app.finalizeBlock(finalizeRequest(1n, []));
      await h.app.commit();
      const txs = [await h.tx("a", 0n), await h.tx("b", 1n), await h.tx("c", 2n)]; // 100k gas each
      const { prepare, process } = proposalRequest(2n, txs);
      const prepared = h.app.prepareProposal(prepare);
      expect(prepared.txs).toEqual(txs.slice(0, 2));
      expect(h.app.processProposal({ ...process, txs: prepared.txs }).status).toBe(ResponseProcessProposal_ProposalStatus.ACCEPT);
      expect(h.app.processProposal(process).status).toBe(ResponseProcessProposal_ProposalStatus.REJECT);
      const big = h.app.checkTx({ tx: await h.tx("big", 0n, 300_000n), type: 0 });
      expect(`${big.codespace}/${big.code}`).toBe("tx/7");
      expect(big.log).toMatch(/gas limit 300000.*block gas limit 250000/);
    } finally {
      await h.close();
    }
  });
});

describe("liveness votes", () => {
  const vote = (flag: BlockIDFlag) => ({ validator: { address: new Uint8Array(20).fill(flag), power: 10n }, blockIdFlag: flag });
  const req = (flags: BlockIDFlag[]): Pick<RequestFinalizeBlock, "decidedLastCommit" | "misbehavior"> => ({ decidedLastCommit: { round: 0, votes: flags.map(vote) }, misbehavior: [] });

  test("a nil precommit is a signed block; only an absent one is missed (Cosmos semantics)", () => {
    const info = blockHookInfo(req([BlockIDFlag.BLOCK_ID_FLAG_COMMIT, BlockIDFlag.BLOCK_ID_FLAG_NIL, BlockIDFlag.BLOCK_ID_FLAG_ABSENT]));
    expect(info.lastCommit.map((v) => v.signed)).toEqual([true, true, false]);
  });
});
