/**
 * RECHECK keeps a tx whose message no longer holds (Cosmos SDK semantics: its CheckTx runs the
 * ante handler only). The case: alice's MsgRegisterModel is admitted, then a block registers
 * the same id for carol. Evicting alice's tx on recheck would also evict her next tx (its
 * sequence would follow a tx that never lands): the stale tx must stay, fail in its block with
 * its fee and sequence standing, and let the next one through.
 */
import { CheckTxType } from "cosmjs-types/tendermint/abci/types";
import { MsgRegisterModel } from "../gen/inferchain/models/v1/tx";
import { metricToWire, tensorSpecToWire } from "../x/models/types";
import { sampleSpec } from "../x/models/testutil";
import { account, balance, genesisBytes, openChain, runBlock, type TestChain } from "./support/chain";
import { msgSendAny, signTx, testKey, type TestKey } from "./support/txs";

const CHAIN_ID = "recheck-1";
const DEPOSIT = 10_000_000n; // x/models' default registration_deposit

function registerAny(owner: string, id: string): { typeUrl: string; value: Uint8Array } {
  const s = sampleSpec({ id });
  return {
    typeUrl: "/inferchain.models.v1.MsgRegisterModel",
    value: MsgRegisterModel.encode({
      owner,
      id: s.id,
      onnxSha256: s.onnxSha256,
      uri: s.uri,
      inputs: s.inputs.map(tensorSpecToWire),
      outputs: s.outputs.map(tensorSpecToWire),
      metric: metricToWire(s.metric),
      threshold: s.threshold,
      quantScaleBits: s.quantScaleBits,
      minFee: s.minFee.toString(),
      maxInputBytes: s.maxInputBytes,
      maxOutputBytes: s.maxOutputBytes,
      slaBlocks: s.slaBlocks,
      deposit: DEPOSIT.toString(),
    }).finish(),
  };
}

describe("RECHECK of a tx whose message no longer holds", () => {
  let alice: TestKey;
  let bob: TestKey;
  let carol: TestKey;
  let chain: TestChain;

  beforeAll(async () => {
    [alice, bob, carol] = [await testKey(301), await testKey(302), await testKey(303)];
  });

  beforeEach(async () => {
    chain = await openChain(CHAIN_ID, genesisBytes([[alice.address, 10n ** 9n], [bob.address, 1_000n], [carol.address, 10n ** 9n]]), "inferchain-recheck-");
  });

  afterEach(async () => {
    await chain.close();
  });

  // Account numbers in genesis order: alice 0, bob 1, carol 2.
  const sign = (key: TestKey, msg: { typeUrl: string; value: Uint8Array }, sequence: bigint): Promise<Uint8Array> =>
    signTx(key, [msg], { chainId: CHAIN_ID, accountNumber: BigInt([alice, bob, carol].indexOf(key)), sequence, gas: 400_000n });

  test("stays in the mempool, fails in its block with fee and sequence standing, and the sender's next tx lands", async () => {
    const { app } = chain;
    const aliceRegister = await sign(alice, registerAny(alice.address, "contested"), 0n);
    const aliceNext = await sign(alice, msgSendAny(alice.address, bob.address, 7n), 1n);
    const carolRegister = await sign(carol, registerAny(carol.address, "contested"), 0n);

    // Both of alice's txs are admitted (the second follows the first's sequence).
    expect(app.checkTx({ tx: aliceRegister, type: CheckTxType.NEW }).code).toBe(0);
    expect(app.checkTx({ tx: aliceNext, type: CheckTxType.NEW }).code).toBe(0);

    // Block 1 (another node's proposal) registers the id for carol first.
    const b1 = await runBlock(app, 1n, [carolRegister]);
    expect({ code: b1.txResults[0].code, log: b1.txResults[0].log }).toEqual({ code: 0, log: "" });

    // The mempool rechecks in order: the stale registration is kept (its message's error in
    // the log), and alice's next tx still follows it.
    const stale = app.checkTx({ tx: aliceRegister, type: CheckTxType.RECHECK });
    expect({ code: stale.code, log: stale.log }).toEqual({ code: 0, log: expect.stringMatching(/already registered/) });
    expect(app.checkTx({ tx: aliceNext, type: CheckTxType.RECHECK }).code).toBe(0);

    // In the next block the stale tx fails with a code, its fee paid and its sequence used,
    // and the next one succeeds.
    const aliceBefore = await balance(app, alice.address);
    const b2 = await runBlock(app, 2n, [aliceRegister, aliceNext]);
    expect(b2.txResults[0].code).not.toBe(0);
    expect(b2.txResults[0].log).toMatch(/already registered/);
    expect(b2.txResults[1].code).toBe(0);
    expect((await account(app, alice.address))?.sequence).toBe(2n);
    const fee = (400_000n * 25n + 999n) / 1000n;
    expect(await balance(app, alice.address)).toBe(aliceBefore - 2n * fee - 7n);
  });

  test("a tx the ante handler refuses on RECHECK is still dropped (a spent sequence)", async () => {
    const { app } = chain;
    const first = await sign(alice, msgSendAny(alice.address, bob.address, 1n), 0n);
    const rival = await sign(alice, msgSendAny(alice.address, bob.address, 2n), 0n);
    expect(app.checkTx({ tx: first, type: CheckTxType.NEW }).code).toBe(0);
    expect((await runBlock(app, 1n, [rival])).txResults[0].code).toBe(0);
    const again = app.checkTx({ tx: first, type: CheckTxType.RECHECK });
    expect(again.code).not.toBe(0);
    expect(again.log).toMatch(/sequence/);
  });
});
