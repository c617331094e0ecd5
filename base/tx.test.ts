import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { AppError } from "./errors";
import type { MsgHandler } from "./module";
import { decodeTx } from "./tx";
import { msgSendAny, signTx, testKey } from "../test/support/txs";

const handler: MsgHandler<{ from: string }> = {
  typeUrl: "/cosmos.bank.v1beta1.MsgSend",
  decode: () => ({ from: "" }),
  signers: () => [],
  validateBasic: () => undefined,
  execute: () => ({ typeUrl: "", value: new Uint8Array() }),
};

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof AppError) return `${e.codespace}/${e.code}`;
    throw e;
  }
  return "ok";
}

describe("decodeTx", () => {
  test("decodes a CosmJS-signed tx: messages, signer, fee, hash", async () => {
    const alice = await testKey(1);
    const bob = await testKey(2);
    const bytes = await signTx(alice, [msgSendAny(alice.address, bob.address, 5n)], { chainId: "c", accountNumber: 3n, sequence: 7n, gas: 100_000n, memo: "hi" });
    const realHandler = { ...handler, signers: () => [alice.address] };
    const tx = decodeTx(bytes, () => realHandler, 1_000_000n);
    expect(tx.msgs).toHaveLength(1);
    expect(tx.signers).toHaveLength(1);
    expect(tx.signers[0].address).toBe(alice.address);
    expect(tx.signers[0].sequence).toBe(7n);
    expect(tx.signers[0].pubkey).toHaveLength(33);
    expect(tx.fee.gasLimit).toBe(100_000n);
    expect(tx.fee.amount).toEqual([{ denom: "uinf", amount: 2500n }]);
    expect(tx.fee.payer).toBe(alice.address);
    expect(tx.memo).toBe("hi");
    expect(tx.hash).toHaveLength(32);
  });

  test("each kind of malformed input has its own code", async () => {
    const alice = await testKey(1);
    const bytes = await signTx(alice, [msgSendAny(alice.address, alice.address, 5n)], { chainId: "c", accountNumber: 0n, sequence: 0n });
    const h = { ...handler, signers: () => [alice.address] };
    expect(codeOf(() => decodeTx(bytes, () => h, 1_000_000n))).toBe("ok");
    expect(codeOf(() => decodeTx(bytes, () => h, 10n))).toBe("sdk/21");
    expect(codeOf(() => decodeTx(bytes.subarray(0, bytes.length - 5), () => h, 1_000_000n))).toBe("tx/2");
    expect(codeOf(() => decodeTx(new Uint8Array([0x2f, 0x01]) /* field 5 with wire type 7, which does not exist */, () => h, 1_000_000n))).toBe("sdk/2");
    expect(codeOf(() => decodeTx(bytes, () => undefined, 1_000_000n))).toBe("sdk/6");
    // An unknown field appended to TxRaw: decodes, but is not canonical.
    expect(codeOf(() => decodeTx(Buffer.concat([bytes, Buffer.from([0x20, 0x01])]), () => h, 1_000_000n))).toBe("tx/5");
    const raw = TxRaw.decode(bytes);
    expect(codeOf(() => decodeTx(TxRaw.encode({ ...raw, signatures: [] }).finish(), () => h, 1_000_000n))).toBe("sdk/15");
  });
});
