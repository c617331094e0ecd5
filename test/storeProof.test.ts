/**
 * /store/key proofs against the app hash clients can see (issue 7, finding 8): between
 * FinalizeBlock (which stages the next root) and Commit, the value and its proof must both be
 * of the last committed version, the one `Info` and the latest header report.
 */
import { ProofOps } from "cosmjs-types/tendermint/crypto/proof";
import type { BaseApp } from "../base/baseapp";
import { verifyProof } from "../base/store/commitStore";
import { balanceKey } from "../x/bank/keys";
import { finalizeRequest, genesisBytes, openChain, runBlock, type TestChain } from "./support/chain";
import { msgSendAny, signTx, testKey } from "./support/txs";

const CHAIN_ID = "store-proof-1";

async function proven(app: BaseApp, key: string): Promise<{ height: bigint; value: Uint8Array; proof: Uint8Array[] }> {
  const r = await app.query({ path: "/store/key", data: new TextEncoder().encode(key), height: 0n, prove: true });
  expect(r.code).toBe(0);
  const ops = ProofOps.fromPartial(r.proofOps ?? {}).ops;
  return { height: r.height, value: r.value, proof: ops.map((o) => o.data) };
}

describe("/store/key", () => {
  let chain: TestChain;
  afterEach(async () => chain?.close());

  test("between FinalizeBlock and Commit, value and proof are of the committed app hash", async () => {
    const alice = await testKey(11);
    const bob = await testKey(12);
    chain = await openChain(CHAIN_ID, genesisBytes([[alice.address, 1_000_000n]]), "inferchain-proof-");
    const { app } = chain;
    await runBlock(app, 1n, []);
    const key = balanceKey(alice.address, "uinf");
    const committed = app.info({ version: "", blockVersion: 0n, p2pVersion: 0n, abciVersion: "" });
    const before = await proven(app, key);

    const tx = await signTx(alice, [msgSendAny(alice.address, bob.address, 1234n)], { chainId: CHAIN_ID, accountNumber: 0n, sequence: 0n });
    const fin = await app.finalizeBlock(finalizeRequest(2n, [tx]));
    expect(fin.txResults[0].code).toBe(0);
    expect(Buffer.from(fin.appHash)).not.toEqual(Buffer.from(committed.lastBlockAppHash));

    // The block changed alice's balance but has not committed: the answer is still height 1's.
    const mid = await proven(app, key);
    expect(mid.height).toBe(1n);
    expect(Buffer.from(mid.value)).toEqual(Buffer.from(before.value));
    const midProven = await verifyProof(committed.lastBlockAppHash, key, mid.proof);
    expect(Buffer.from(midProven!)).toEqual(Buffer.from(mid.value));

    await app.commit();
    const after = await proven(app, key);
    expect(after.height).toBe(2n);
    expect(Buffer.from(after.value)).not.toEqual(Buffer.from(before.value));
    expect(Buffer.from((await verifyProof(fin.appHash, key, after.proof))!)).toEqual(Buffer.from(after.value));
  });
});
