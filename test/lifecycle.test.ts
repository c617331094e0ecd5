/**
 * One in-process walk through the whole ABCI block lifecycle, on a real LevelDB:
 * InitChain → CheckTx → PrepareProposal → ProcessProposal → FinalizeBlock → Commit → Info → Query,
 * then a restart from disk.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { QueryBalanceRequest, QueryBalanceResponse } from "cosmjs-types/cosmos/bank/v1beta1/query";
import { QueryAccountRequest, QueryAccountResponse } from "cosmjs-types/cosmos/auth/v1beta1/query";
import { BaseAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { CheckTxType, ResponseProcessProposal_ProposalStatus } from "cosmjs-types/tendermint/abci/types";
import { createInferchainApp } from "../app/app";
import type { BaseApp } from "../base/baseapp";
import { msgSendAny, signTx, testKey, type TestKey } from "./support/txs";

const CHAIN_ID = "lifecycle-1";

function genesis(funded: Array<[string, bigint]>): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      auth: { accounts: funded.map(([address]) => ({ address })) },
      bank: { balances: funded.map(([address, amount]) => ({ address, coins: [{ denom: "uinf", amount: amount.toString() }] })) },
    }),
  );
}

function balance(app: BaseApp, address: string): Promise<bigint> {
  return app
    .query({ path: "/cosmos.bank.v1beta1.Query/Balance", data: QueryBalanceRequest.encode({ address, denom: "uinf" }).finish(), height: 0n, prove: false })
    .then((r) => {
      expect(r.code).toBe(0);
      return BigInt(QueryBalanceResponse.decode(r.value).balance!.amount);
    });
}

async function block(app: BaseApp, height: bigint, txs: Uint8Array[]) {
  const time = { seconds: 1_700_000_000n + height, nanos: 0 };
  const prepared = app.prepareProposal({ maxTxBytes: 1_000_000n, txs, localLastCommit: { round: 0, votes: [] }, misbehavior: [], height, time, nextValidatorsHash: new Uint8Array(), proposerAddress: new Uint8Array(20) });
  const processed = app.processProposal({ txs: prepared.txs, proposedLastCommit: { round: 0, votes: [] }, misbehavior: [], hash: new Uint8Array(32), height, time, nextValidatorsHash: new Uint8Array(), proposerAddress: new Uint8Array(20) });
  expect(processed.status).toBe(ResponseProcessProposal_ProposalStatus.ACCEPT);
  const fin = await app.finalizeBlock({ txs: prepared.txs, decidedLastCommit: { round: 0, votes: [] }, misbehavior: [], hash: new Uint8Array(32).fill(Number(height)), height, time, nextValidatorsHash: new Uint8Array(), proposerAddress: new Uint8Array(20) });
  await app.commit();
  return { prepared, fin };
}

describe("ABCI lifecycle", () => {
  let dir: string;
  let alice: TestKey;
  let bob: TestKey;

  beforeAll(async () => {
    alice = await testKey(1);
    bob = await testKey(2);
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-lifecycle-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("a signed MsgSend goes from CheckTx to committed state and survives a restart", async () => {
    let app = await createInferchainApp({ dbDir: dir });
    expect(app.info({ version: "", blockVersion: 0n, p2pVersion: 0n, abciVersion: "" }).lastBlockHeight).toBe(0n);
    app.initChain({ time: { seconds: 1_700_000_000n, nanos: 0 }, chainId: CHAIN_ID, consensusParams: undefined, validators: [], appStateBytes: genesis([[alice.address, 1_000_000n]]), initialHeight: 1n });

    const tx = await signTx(alice, [msgSendAny(alice.address, bob.address, 1234n)], { chainId: CHAIN_ID, accountNumber: 0n, sequence: 0n });
    const check = app.checkTx({ tx, type: CheckTxType.NEW });
    expect(check.log).toBe("");
    expect(check.code).toBe(0);
    expect(check.gasUsed).toBeGreaterThan(0n);

    // The same tx again is a replay: CheckTx state already advanced alice's sequence.
    const replay = app.checkTx({ tx, type: CheckTxType.NEW });
    expect(replay.code).toBe(32);

    const { prepared, fin } = await block(app, 1n, [tx]);
    expect(prepared.txs).toHaveLength(1);
    expect(fin.txResults).toHaveLength(1);
    expect(fin.txResults[0].code).toBe(0);
    expect(fin.appHash).toHaveLength(32);
    const types = fin.txResults[0].events.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(["tx", "message", "transfer", "coin_spent", "coin_received"]));

    const info = app.info({ version: "", blockVersion: 0n, p2pVersion: 0n, abciVersion: "" });
    expect(info.lastBlockHeight).toBe(1n);
    expect(Buffer.from(info.lastBlockAppHash)).toEqual(Buffer.from(fin.appHash));

    const fee = 5000n; // 200000 gas × 0.025
    expect(await balance(app, alice.address)).toBe(1_000_000n - 1234n - fee);
    expect(await balance(app, bob.address)).toBe(1234n);

    const acc = await app.query({ path: "/cosmos.auth.v1beta1.Query/Account", data: QueryAccountRequest.encode({ address: alice.address }).finish(), height: 0n, prove: false });
    expect(acc.height).toBe(1n);
    expect(BaseAccount.decode(QueryAccountResponse.decode(acc.value).account!.value).sequence).toBe(1n);

    // Restart from disk: same height, hash and balances.
    await app.store.close();
    app = await createInferchainApp({ dbDir: dir });
    const again = app.info({ version: "", blockVersion: 0n, p2pVersion: 0n, abciVersion: "" });
    expect(again.lastBlockHeight).toBe(1n);
    expect(Buffer.from(again.lastBlockAppHash)).toEqual(Buffer.from(fin.appHash));
    expect(await balance(app, bob.address)).toBe(1234n);

    // A second block on top, from the restarted app.
    const tx2 = await signTx(alice, [msgSendAny(alice.address, bob.address, 1n)], { chainId: CHAIN_ID, accountNumber: 0n, sequence: 1n });
    const { fin: fin2 } = await block(app, 2n, [tx2]);
    expect(fin2.txResults[0].code).toBe(0);
    expect(Buffer.from(fin2.appHash)).not.toEqual(Buffer.from(fin.appHash));
    expect(await balance(app, bob.address)).toBe(1235n);
    await app.store.close();
  });

  test("a message that fails in a block reverts but still pays the fee and bumps the sequence", async () => {
    const app = await createInferchainApp({ dbDir: dir });
    app.initChain({ time: { seconds: 1n, nanos: 0 }, chainId: CHAIN_ID, consensusParams: undefined, validators: [], appStateBytes: genesis([[alice.address, 100_000n]]), initialHeight: 1n });
    const overspend = await signTx(alice, [msgSendAny(alice.address, bob.address, 10_000_000n)], { chainId: CHAIN_ID, accountNumber: 0n, sequence: 0n });
    expect(app.checkTx({ tx: overspend, type: CheckTxType.NEW }).code).toBe(5);
    const fin = await app.finalizeBlock({ txs: [overspend], decidedLastCommit: { round: 0, votes: [] }, misbehavior: [], hash: new Uint8Array(32), height: 1n, time: { seconds: 2n, nanos: 0 }, nextValidatorsHash: new Uint8Array(), proposerAddress: new Uint8Array(20) });
    await app.commit();
    expect(fin.txResults[0].code).toBe(5);
    expect(fin.txResults[0].log).toMatch(/insufficient funds/);
    expect(await balance(app, alice.address)).toBe(100_000n - 5000n);
    expect(await balance(app, bob.address)).toBe(0n);
    const acc = await app.query({ path: "/cosmos.auth.v1beta1.Query/Account", data: QueryAccountRequest.encode({ address: alice.address }).finish(), height: 0n, prove: false });
    expect(BaseAccount.decode(QueryAccountResponse.decode(acc.value).account!.value).sequence).toBe(1n);
    await app.store.close();
  });
});
