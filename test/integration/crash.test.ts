/**
 * Crash recovery on a real node: while signed MsgSends stream in over CometBFT's JSON-RPC
 * (`broadcast_tx_sync`), `inferd start` and its cometbft child are SIGKILLed together (the
 * whole process group), then restarted on the same home. After each restart the chain must
 * go on past the pre-crash height, the app's `abci_info` must agree with CometBFT's blocks,
 * every tx in a committed block must be in the balances (and nothing else), and each
 * sender's sequence must continue from what was committed.
 */
import { StargateClient } from "@cosmjs/stargate";
import { sha256 } from "@cosmjs/crypto";
import { BaseAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { QueryAccountRequest, QueryAccountResponse } from "cosmjs-types/cosmos/auth/v1beta1/query";
import { QueryBalanceRequest, QueryBalanceResponse } from "cosmjs-types/cosmos/bank/v1beta1/query";
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { AuthInfo, TxBody, TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { cleanupNode, rpc, sleep, startTestNode, withNodeLogs, type Status, type TestNode } from "../support/node";
import { msgSendAny, signTx, testKey, type TestKey } from "../support/txs";

jest.setTimeout(120_000);

const GENESIS = 1_000_000_000n;
const SENDERS = 4;
const CYCLES = 3;
/** Txs pre-signed per sender per cycle: more than a cycle streams before the kill. */
const PER_SENDER = 60;
const FEE = 5_000n; // signTx's default: 200000 gas × 0.025

/** Amounts encode the cycle that sent them: 1 + cycle·1000 + sender·100 + k. */
const cycleOf = (t: { amount: bigint }): number => Number((t.amount - 1n) / 1000n);

const hexUpper = (b: Uint8Array): string => Buffer.from(b).toString("hex").toUpperCase();

async function abciQuery(rpcUrl: string, path: string, data: Uint8Array): Promise<Uint8Array> {
  const r = await rpc<{ response: { code: number; log: string; value: string | null } }>(rpcUrl, "abci_query", { path, data: Buffer.from(data).toString("hex"), height: "0", prove: false });
  if (r.response.code !== 0) throw new Error(`abci_query ${path}: code ${r.response.code} ${r.response.log}`);
  return Buffer.from(r.response.value ?? "", "base64");
}

async function account(rpcUrl: string, address: string): Promise<{ accountNumber: bigint; sequence: bigint }> {
  const res = QueryAccountResponse.decode(await abciQuery(rpcUrl, "/cosmos.auth.v1beta1.Query/Account", QueryAccountRequest.encode({ address }).finish()));
  const acc = BaseAccount.decode(res.account!.value);
  return { accountNumber: acc.accountNumber, sequence: acc.sequence };
}

async function balance(rpcUrl: string, address: string): Promise<bigint> {
  const res = QueryBalanceResponse.decode(await abciQuery(rpcUrl, "/cosmos.bank.v1beta1.Query/Balance", QueryBalanceRequest.encode({ address, denom: "uinf" }).finish()));
  return BigInt(res.balance?.amount ?? "0");
}

interface CommittedTx {
  readonly hash: string;
  readonly height: number;
  readonly code: number;
  readonly from: string;
  readonly to: string;
  readonly amount: bigint;
  readonly fee: bigint;
}

/** Every tx in CometBFT's block store up to `height`, with its result code from `block_results`. */
async function committedTxs(rpcUrl: string, height: number): Promise<CommittedTx[]> {
  const out: CommittedTx[] = [];
  for (let h = 1; h <= height; h++) {
    const block = await rpc<{ block: { data: { txs: string[] | null } } }>(rpcUrl, "block", { height: String(h) });
    const txs = block.block.data.txs ?? [];
    if (txs.length === 0) continue;
    const results = await rpc<{ txs_results: Array<{ code: number }> | null }>(rpcUrl, "block_results", { height: String(h) });
    expect(results.txs_results).toHaveLength(txs.length);
    for (const [i, b64] of txs.entries()) {
      const bytes = Buffer.from(b64, "base64");
      const raw = TxRaw.decode(bytes);
      const body = TxBody.decode(raw.bodyBytes);
      const auth = AuthInfo.decode(raw.authInfoBytes);
      expect(body.messages).toHaveLength(1);
      const msg = MsgSend.decode(body.messages[0].value);
      out.push({
        hash: hexUpper(sha256(bytes)),
        height: h,
        code: results.txs_results![i].code,
        from: msg.fromAddress,
        to: msg.toAddress,
        amount: BigInt(msg.amount[0].amount),
        fee: BigInt(auth.fee!.amount[0].amount),
      });
    }
  }
  return out;
}

/** All txs the kv indexer knows, via `tx_search` (paged). */
async function indexedTxs(rpcUrl: string): Promise<Map<string, { height: number; code: number }>> {
  const out = new Map<string, { height: number; code: number }>();
  for (let page = 1; ; page++) {
    const r = await rpc<{ txs: Array<{ hash: string; height: string; tx_result: { code: number } }>; total_count: string }>(rpcUrl, "tx_search", {
      query: "tx.height>0",
      prove: false,
      page: String(page),
      per_page: "100",
      order_by: "asc",
    });
    for (const t of r.txs) out.set(t.hash.toUpperCase(), { height: Number(t.height), code: t.tx_result.code });
    if (out.size >= Number(r.total_count) || r.txs.length === 0) return out;
  }
}

interface StreamStats {
  accepted: number;
  refused: Array<{ code: number; log: string }>;
  /** Transport errors: each sender's stream ends at its first (the node was killed). */
  errors: string[];
  /** The first tx of each sender (signed with the sequence read from the chain) was accepted. */
  firstAccepted: boolean[];
}

describe("crash recovery: SIGKILL inferd + cometbft mid-stream, restart on the same home", () => {
  let node: TestNode | undefined;
  const failures = { count: 0 };
  let senders: TestKey[];
  let recipients: TestKey[];

  beforeAll(async () => {
    senders = await Promise.all(Array.from({ length: SENDERS }, (_, i) => testKey(301 + i)));
    recipients = await Promise.all(Array.from({ length: SENDERS }, (_, i) => testKey(401 + i)));
    node = await startTestNode({ index: 23, minHeight: 2, accounts: senders.map((k) => ({ address: k.address, amount: GENESIS })) });
  }, 90_000);

  afterAll(async () => cleanupNode(node, failures.count > 0));

  /** Pre-signs PER_SENDER MsgSends per sender from the committed sequence on, then streams them round-robin until `stop`. */
  async function stream(cycle: number, stop: { now: boolean }): Promise<{ stats: StreamStats; done: Promise<StreamStats> }> {
    const h = node!.h;
    const signed: Uint8Array[][] = [];
    for (const [s, key] of senders.entries()) {
      const { accountNumber, sequence } = await account(h.rpcUrl, key.address);
      const txs: Uint8Array[] = [];
      for (let k = 0; k < PER_SENDER; k++) {
        const amount = BigInt(1 + cycle * 1000 + s * 100 + k);
        txs.push(await signTx(key, [msgSendAny(key.address, recipients[s].address, amount)], { chainId: h.chainId, accountNumber, sequence: sequence + BigInt(k) }));
      }
      signed.push(txs);
    }
    const stats: StreamStats = { accepted: 0, refused: [], errors: [], firstAccepted: senders.map(() => false) };
    const one = async (s: number): Promise<void> => {
      for (const [k, tx] of signed[s].entries()) {
        if (stop.now) return;
        let r: { code: number; log: string };
        try {
          r = await rpc<{ code: number; log: string }>(h.rpcUrl, "broadcast_tx_sync", { tx: Buffer.from(tx).toString("base64") }, 3000);
        } catch (e) {
          stats.errors.push(String(e));
          return; // the node is gone
        }
        if (r.code === 0) {
          stats.accepted++;
          if (k === 0) stats.firstAccepted[s] = true;
        } else {
          stats.refused.push(r);
        }
        await sleep(15);
      }
    };
    return { stats, done: Promise.all(senders.map((_, s) => one(s))).then(() => stats) };
  }

  /** The app's last block (abci_info) against CometBFT's: equal heights, and the app hash that the next header carries. */
  async function expectAppMatchesComet(): Promise<void> {
    const h = node!.h;
    for (let attempt = 0; ; attempt++) {
      const before = await rpc<Status>(h.rpcUrl, "status");
      const info = await rpc<{ response: { last_block_height: string; last_block_app_hash: string } }>(h.rpcUrl, "abci_info");
      const after = await rpc<Status>(h.rpcUrl, "status");
      const appHeight = Number(info.response.last_block_height);
      const b = Number(before.sync_info.latest_block_height);
      const a = Number(after.sync_info.latest_block_height);
      // CometBFT saves a block before the app commits it, so the two differ for a moment at each block.
      if (appHeight !== b || appHeight !== a) {
        if (attempt > 50) throw new Error(`the app's height ${appHeight} never matched CometBFT's (${b}..${a})`);
        continue;
      }
      // The header of the next block carries the app hash after appHeight.
      await node!.waitForHeight(appHeight + 1, 10_000);
      const next = await rpc<{ block: { header: { app_hash: string } } }>(h.rpcUrl, "block", { height: String(appHeight + 1) });
      expect(next.block.header.app_hash).toBe(hexUpper(Buffer.from(info.response.last_block_app_hash, "base64")));
      return;
    }
  }

  /** Balances and sequences are exactly what the committed blocks say. */
  async function expectStateMatchesBlocks(pastCycles: readonly number[]): Promise<CommittedTx[]> {
    const h = node!.h;
    // Read state and the blocks at one height: wait until the app's height holds still around the reads.
    for (let attempt = 0; ; attempt++) {
      if (attempt > 50) throw new Error("the app's height never held still over the state reads");
      const height = Number((await rpc<{ response: { last_block_height: string } }>(h.rpcUrl, "abci_info")).response.last_block_height);
      const balances = await Promise.all([...senders, ...recipients].map((k) => balance(h.rpcUrl, k.address)));
      const accounts = await Promise.all(senders.map((k) => account(h.rpcUrl, k.address)));
      const heightAfter = Number((await rpc<{ response: { last_block_height: string } }>(h.rpcUrl, "abci_info")).response.last_block_height);
      if (heightAfter !== height) continue;
      const txs = await committedTxs(h.rpcUrl, height);
      // What earlier cycles committed is still there, no more and no less.
      expect(pastCycles.map((_, c) => txs.filter((t) => cycleOf(t) === c).length)).toEqual(pastCycles);
      expect(new Set(txs.map((t) => t.hash)).size).toBe(txs.length); // no tx committed twice
      expect(txs.every((t) => t.code === 0)).toBe(true);

      const recipientSum = balances.slice(SENDERS).reduce((a, b) => a + b, 0n);
      expect(recipientSum).toBe(txs.reduce((a, t) => a + (t.code === 0 ? t.amount : 0n), 0n));
      for (const [s, key] of senders.entries()) {
        const mine = txs.filter((t) => t.from === key.address);
        const spent = mine.reduce((a, t) => a + (t.code === 0 ? t.amount : 0n) + t.fee, 0n);
        expect({ sender: s, balance: balances[s] }).toEqual({ sender: s, balance: GENESIS - spent });
        expect({ sender: s, sequence: accounts[s].sequence }).toEqual({ sender: s, sequence: BigInt(mine.length) });
        expect(mine.every((t) => t.fee === FEE)).toBe(true);
        expect(balances[SENDERS + s]).toBe(mine.reduce((a, t) => a + t.amount, 0n));
      }

      // CometBFT's tx index agrees with its blocks (tx_search, and `tx` by hash for some).
      const indexed = await indexedTxs(h.rpcUrl);
      for (const t of txs) expect({ hash: t.hash, indexed: indexed.get(t.hash) }).toEqual({ hash: t.hash, indexed: { height: t.height, code: t.code } });
      for (const t of txs.filter((_, i) => i % 25 === 0)) {
        const one = await rpc<{ hash: string; height: string; tx_result: { code: number } }>(h.rpcUrl, "tx", { hash: Buffer.from(t.hash, "hex").toString("base64"), prove: false });
        expect(Number(one.height)).toBe(t.height);
        expect(one.tx_result.code).toBe(0);
      }
      return txs;
    }
  }

  test(
    `${CYCLES} kill -9 / restart cycles while txs stream in`,
    withNodeLogs(
      () => node,
      async () => {
        const h = node!.h;
        const committedPerCycle: number[] = [];
        for (let cycle = 0; cycle < CYCLES; cycle++) {
          const stop = { now: false };
          const { stats: live, done } = await stream(cycle, stop);
          // Let the stream get going and some txs land in blocks, then kill at an arbitrary point of the block cycle.
          for (const deadline = Date.now() + 15_000; live.accepted < 6 * SENDERS; ) {
            if (Date.now() > deadline) throw new Error(`stream stalled: ${JSON.stringify(live)}`);
            await sleep(20);
          }
          await node!.waitForHeight((await node!.waitForHeight(1)) + 2, 15_000);
          await sleep(Math.floor(Math.random() * 200));
          const preCrash = Number((await rpc<Status>(h.rpcUrl, "status")).sync_info.latest_block_height);
          await node!.kill();
          stop.now = true;
          const stats = await done;
          // Each sender's first tx carries the sequence read from the (restarted) chain: CheckTx took it.
          // (Compared as a whole so that a failure shows the refusals and errors.)
          expect({ stats }).toEqual({ stats: { ...stats, firstAccepted: senders.map(() => true) } });
          expect(stats.accepted).toBeGreaterThan(0);

          await node!.start({ minHeight: preCrash + 1, timeoutMs: 45_000 });
          await node!.waitForHeight(preCrash + 2, 15_000);
          await expectAppMatchesComet();
          const txs = await expectStateMatchesBlocks(committedPerCycle);
          const thisCycle = txs.filter((t) => cycleOf(t) === cycle).length;
          expect(thisCycle).toBeGreaterThan(0);
          committedPerCycle.push(thisCycle);
          // Refusals may only be mempool-full or "already in cache"-style noise, never a bad sequence or signature.
          for (const r of stats.refused) expect(r.log).not.toMatch(/sequence|signature|unauthorized/);
        }
        process.stderr.write(`crash test: committed txs per cycle ${committedPerCycle.join(", ")}\n`);

        // After the last restart: one more tx per sender with the sequence CosmJS reads, included with code 0.
        const client = await StargateClient.connect(h.rpcUrl);
        try {
          for (const [s, key] of senders.entries()) {
            const acc = await client.getAccount(key.address);
            expect(acc).not.toBeNull();
            const tx = await signTx(key, [msgSendAny(key.address, recipients[s].address, 999_999n)], { chainId: h.chainId, accountNumber: BigInt(acc!.accountNumber), sequence: BigInt(acc!.sequence) });
            const res = await client.broadcastTx(tx, 20_000, 200);
            expect(res.code).toBe(0);
            expect((await client.getAccount(key.address))!.sequence).toBe(acc!.sequence + 1);
          }
        } finally {
          client.disconnect();
        }
        await expectAppMatchesComet();
        await expectStateMatchesBlocks(committedPerCycle);
      },
      failures,
    ),
  );
});
