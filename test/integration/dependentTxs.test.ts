/**
 * The review's first finding, on a real CometBFT node: A funds B and B, who had almost nothing,
 * pays a fee from those funds, both broadcast back to back so they land in one block. Both
 * pass CheckTx (the check state runs A's send before B's fee), the proposer includes both,
 * and every validator's ProcessProposal must accept that block: the chain commits both and
 * goes on making blocks (before the fix it stuck at that height, round after round).
 */
import { Bip39, sha256 } from "@cosmjs/crypto";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice, SigningStargateClient, StargateClient } from "@cosmjs/stargate";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { cleanupNode, startTestNode, withNodeLogs, type TestNode } from "../support/node";

jest.setTimeout(90_000);

const DENOM = "uinf";
const mnemonic = (seed: string): string => Bip39.encode(sha256(new TextEncoder().encode(seed)).slice(0, 32)).toString();
const FEE = { amount: [{ denom: DENOM, amount: "5000" }], gas: "200000" };

describe("dependent txs in one block on a real node", () => {
  let node: TestNode | undefined;
  const failures = { count: 0 };
  afterAll(() => cleanupNode(node, failures.count > 0));

  test("A funds B, B pays its fee from it in the same block: both commit and the chain goes on", withNodeLogs(() => node, async () => {
    const walletA = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic("inferchain-it-dep-a"), { prefix: "infer" });
    const walletB = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic("inferchain-it-dep-b"), { prefix: "infer" });
    const [{ address: a }] = await walletA.getAccounts();
    const [{ address: b }] = await walletB.getAccounts();
    // B exists (so its account number is known) but holds less than any fee.
    node = await startTestNode({ index: 35, minHeight: 2, accounts: [{ address: a, amount: 1_000_000_000n }, { address: b, amount: 1n }] });
    const query = await StargateClient.connect(node.h.rpcUrl);
    const signerA = await SigningStargateClient.connectWithSigner(node.h.rpcUrl, walletA, { gasPrice: GasPrice.fromString(`0.025${DENOM}`) });
    const signerB = await SigningStargateClient.connectWithSigner(node.h.rpcUrl, walletB, { gasPrice: GasPrice.fromString(`0.025${DENOM}`) });
    try {
      const chainId = await query.getChainId();
      const [accA, accB] = [await query.getAccount(a), await query.getAccount(b)];
      const send = (from: string, to: string, amount: string) => ({ typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: { fromAddress: from, toAddress: to, amount: [{ denom: DENOM, amount }] } });
      const fund = await signerA.sign(a, [send(a, b, "100000")], FEE, "", { accountNumber: accA!.accountNumber, sequence: accA!.sequence, chainId });
      const spend = await signerB.sign(b, [send(b, a, "1000")], FEE, "", { accountNumber: accB!.accountNumber, sequence: accB!.sequence, chainId });
      const hashFund = await query.broadcastTxSync(TxRaw.encode(fund).finish());
      const hashSpend = await query.broadcastTxSync(TxRaw.encode(spend).finish());
      const deadline = Date.now() + 30_000;
      let txs = [await query.getTx(hashFund), await query.getTx(hashSpend)];
      while ((txs[0] === null || txs[1] === null) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        txs = [await query.getTx(hashFund), await query.getTx(hashSpend)];
      }
      expect(txs.map((t) => t?.code)).toEqual([0, 0]);
      expect(await query.getBalance(b, DENOM)).toEqual({ denom: DENOM, amount: String(1n + 100_000n - 5_000n - 1_000n) });
      // The chain goes on.
      const h = Math.max(txs[0]!.height, txs[1]!.height);
      await node.waitForHeight(h + 3, 20_000);
    } finally {
      query.disconnect();
      signerA.disconnect();
      signerB.disconnect();
    }
  }, failures));
});
