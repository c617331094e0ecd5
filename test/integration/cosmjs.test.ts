/**
 * Unmodified CosmJS (`@cosmjs/stargate`) and the `inferd` CLI against a real node:
 * `inferd start` (built dist/) with CometBFT, on its own ports.
 */
import { Bip39, sha256 } from "@cosmjs/crypto";
import { decodeTxRaw, DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { BroadcastTxError, GasPrice, SigningStargateClient, StargateClient, type Event, type StdFee } from "@cosmjs/stargate";
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { cleanupNode, inferd, inferdOk, startTestNode, withNodeLogs, type TestNode } from "../support/node";
import { testKey } from "../support/txs";

jest.setTimeout(60_000);

const GENESIS = 1_000_000_000n;
const DENOM = "uinf";
const mnemonic = (seed: string): string => Bip39.encode(sha256(new TextEncoder().encode(seed)).slice(0, 32)).toString();
const ALICE_MNEMONIC = mnemonic("inferchain-it-cosmjs-alice");
const CLI_MNEMONIC = mnemonic("inferchain-it-cosmjs-cli");

function attr(events: readonly Event[], type: string, key: string): string[] {
  return events.filter((e) => e.type === type).flatMap((e) => e.attributes.filter((a) => a.key === key).map((a) => a.value));
}

describe("CosmJS and the inferd CLI against a running node", () => {
  let node: TestNode | undefined;
  const failures = { count: 0 };
  const logged = (fn: () => Promise<void>): (() => Promise<void>) => withNodeLogs(() => node, fn, failures);
  let wallet: DirectSecp256k1HdWallet;
  let alice: string;
  let cliAddress: string;
  let client: SigningStargateClient;
  /** What alice has spent so far (amounts + fees), tracked to predict her balance. */
  let aliceSpent = 0n;

  beforeAll(async () => {
    wallet = await DirectSecp256k1HdWallet.fromMnemonic(ALICE_MNEMONIC, { prefix: "infer" });
    [{ address: alice }] = await wallet.getAccounts();
    const cliWallet = await DirectSecp256k1HdWallet.fromMnemonic(CLI_MNEMONIC, { prefix: "infer" });
    [{ address: cliAddress }] = await cliWallet.getAccounts();
    node = await startTestNode({ index: 21, minHeight: 2, accounts: [{ address: alice, amount: GENESIS }, { address: cliAddress, amount: GENESIS }] });
    client = await SigningStargateClient.connectWithSigner(node.h.rpcUrl, wallet, { gasPrice: GasPrice.fromString(`0.025${DENOM}`), broadcastPollIntervalMs: 200 });
  }, 90_000);

  afterAll(async () => {
    client?.disconnect();
    await cleanupNode(node, failures.count > 0);
  });

  test("getChainId, getHeight increases", logged(async () => {
    expect(await client.getChainId()).toBe(node!.h.chainId);
    const h1 = await client.getHeight();
    expect(h1).toBeGreaterThanOrEqual(1);
    await node!.waitForHeight(h1 + 2, 10_000);
    expect(await client.getHeight()).toBeGreaterThan(h1);
  }));

  test("getBalance, getAllBalances, getAccount of a genesis account; an unknown account is null", logged(async () => {
    expect(await client.getBalance(alice, DENOM)).toEqual({ denom: DENOM, amount: GENESIS.toString() });
    expect(await client.getAllBalances(alice)).toEqual([{ denom: DENOM, amount: GENESIS.toString() }]);
    const acc = await client.getAccount(alice);
    expect(acc).not.toBeNull();
    expect(acc!.address).toBe(alice);
    expect(acc!.sequence).toBe(0);
    expect(acc!.pubkey).toBeNull(); // no tx signed yet

    const stranger = (await testKey(9_001)).address;
    expect(await client.getAccount(stranger)).toBeNull();
    expect(await client.getBalance(stranger, DENOM)).toEqual({ denom: DENOM, amount: "0" });
    expect(await client.getAllBalances(stranger)).toEqual([]);
  }));

  test("sendTokens with an explicit fee; getTx has code 0 and the transfer event; searchTx finds it by recipient", logged(async () => {
    const bob = (await testKey(9_002)).address;
    const fee: StdFee = { amount: [{ denom: DENOM, amount: "5000" }], gas: "200000" };
    const res = await client.sendTokens(alice, bob, [{ denom: DENOM, amount: "12345" }], fee, "explicit fee");
    expect(res.code).toBe(0);
    expect(res.height).toBeGreaterThan(0);
    expect(res.gasWanted).toBe(200_000n);
    expect(res.gasUsed).toBeGreaterThan(0n);
    expect(res.gasUsed).toBeLessThanOrEqual(res.gasWanted);
    aliceSpent += 12_345n + 5_000n;

    expect(await client.getBalance(bob, DENOM)).toEqual({ denom: DENOM, amount: "12345" });
    expect(await client.getBalance(alice, DENOM)).toEqual({ denom: DENOM, amount: (GENESIS - aliceSpent).toString() });
    const acc = await client.getAccount(alice);
    expect(acc!.sequence).toBe(1);
    expect(acc!.pubkey).not.toBeNull();
    // bob exists now that he holds coins (Cosmos creates the account on receipt).
    expect(await client.getAccount(bob)).not.toBeNull();

    const tx = await client.getTx(res.transactionHash);
    expect(tx).not.toBeNull();
    expect(tx!.code).toBe(0);
    expect(tx!.height).toBe(res.height);
    expect(tx!.hash).toBe(res.transactionHash);
    expect(attr(tx!.events, "transfer", "sender")).toContain(alice);
    expect(attr(tx!.events, "transfer", "recipient")).toContain(bob);
    expect(attr(tx!.events, "transfer", "amount")).toContain(`12345${DENOM}`);
    expect(attr(tx!.events, "message", "action")).toContain("/cosmos.bank.v1beta1.MsgSend");
    // The fee paid is an event too.
    expect(attr(tx!.events, "tx", "fee")).toContain(`5000${DENOM}`);
    // The tx bytes are the ones signed: one MsgSend with the memo.
    const decoded = decodeTxRaw(tx!.tx);
    expect(decoded.body.memo).toBe("explicit fee");
    expect(decoded.body.messages).toHaveLength(1);
    expect(decoded.body.messages[0].typeUrl).toBe("/cosmos.bank.v1beta1.MsgSend");
    expect(MsgSend.decode(decoded.body.messages[0].value)).toMatchObject({ fromAddress: alice, toAddress: bob, amount: [{ denom: DENOM, amount: "12345" }] });
    // The hash is sha256 of the tx bytes.
    expect(Buffer.from(sha256(tx!.tx)).toString("hex").toUpperCase()).toBe(res.transactionHash);

    const found = await client.searchTx([{ key: "transfer.recipient", value: bob }]);
    expect(found.map((t) => t.hash)).toEqual([res.transactionHash]);
    const foundRaw = await client.searchTx(`transfer.recipient='${bob}'`);
    expect(foundRaw.map((t) => t.hash)).toEqual([res.transactionHash]);
    expect(await client.searchTx([{ key: "transfer.recipient", value: (await testKey(9_003)).address }])).toEqual([]);
  }));

  test('sendTokens with fee "auto" simulates, then pays gas × 0.025 for 1.4 × the simulated gas', logged(async () => {
    const carol = (await testKey(9_004)).address;
    const amount = [{ denom: DENOM, amount: "777" }];
    const simulated = await client.simulate(alice, [{ typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: { fromAddress: alice, toAddress: carol, amount } }], "");
    expect(simulated).toBeGreaterThan(0);
    const res = await client.sendTokens(alice, carol, amount, "auto");
    expect(res.code).toBe(0);
    // The simulation pays no fee (CosmJS simulates with an empty one, and the fee transfer is
    // skipped, as in the Cosmos SDK), so the tx uses a little more; 1.4 × covers it.
    expect(Number(res.gasUsed)).toBeGreaterThanOrEqual(simulated);
    expect(Number(res.gasUsed)).toBeLessThanOrEqual(Math.ceil(simulated * 1.4));
    const tx = await client.getTx(res.transactionHash);
    const fee = decodeTxRaw(tx!.tx).authInfo.fee!;
    expect(fee.gasLimit).toBe(res.gasWanted);
    expect(Number(fee.gasLimit)).toBeGreaterThanOrEqual(Math.ceil(simulated * 1.4) - 50);
    expect(fee.amount).toHaveLength(1);
    expect(fee.amount[0].amount).toBe(String(Math.ceil(Number(fee.gasLimit) * 0.025)));
    aliceSpent += 777n + BigInt(fee.amount[0].amount);
    expect(await client.getBalance(carol, DENOM)).toEqual({ denom: DENOM, amount: "777" });
    expect(await client.getBalance(alice, DENOM)).toEqual({ denom: DENOM, amount: (GENESIS - aliceSpent).toString() });

    // An overspend with "auto" fails in the simulation, before anything is signed.
    const balance = (await client.getBalance(alice, DENOM)).amount;
    await expect(client.sendTokens(alice, carol, [{ denom: DENOM, amount: balance }], "auto")).rejects.toThrow(/insufficient funds/);
  }));

  test("an overspend that can pay its fee is refused by CheckTx with sdk code 5; nothing changes", logged(async () => {
    // This app runs the messages in CheckTx too (the Cosmos SDK runs only the ante handler there and
    // would include the tx with code 5), so the overspend never reaches a block.
    const dave = (await testKey(9_005)).address;
    const before = await client.getAccount(alice);
    const balance = BigInt((await client.getBalance(alice, DENOM)).amount);
    const fee: StdFee = { amount: [{ denom: DENOM, amount: "5000" }], gas: "200000" };
    const err = await client.sendTokens(alice, dave, [{ denom: DENOM, amount: balance.toString() }], fee).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BroadcastTxError);
    expect((err as BroadcastTxError).code).toBe(5);
    expect((err as BroadcastTxError).codespace).toBe("sdk");
    expect((err as BroadcastTxError).log).toMatch(/insufficient funds/);

    await node!.waitForHeight((await client.getHeight()) + 2, 10_000);
    expect((await client.getAccount(alice))!.sequence).toBe(before!.sequence);
    expect(BigInt((await client.getBalance(alice, DENOM)).amount)).toBe(balance);
    expect(await client.getAccount(dave)).toBeNull();
    expect(await client.searchTx([{ key: "transfer.recipient", value: dave }])).toEqual([]);
  }));

  test("the inferd CLI: keys add --recover, tx bank send, query bank balances, query auth account, status", logged(async () => {
    const h = node!.h;
    const added = JSON.parse(await inferdOk(["keys", "add", "cli", "--recover", "--home", h.home, "--keyring-backend", "test", "--output", "json"], { input: `${CLI_MNEMONIC}\n` })) as { address: string };
    expect(added.address).toBe(cliAddress);

    const erin = (await testKey(9_006)).address;
    const sent = JSON.parse(await inferdOk(["tx", "bank", "send", "cli", erin, "4321uinf", "--yes", "--output", "json", "--home", h.home])) as {
      height: number;
      txhash: string;
      code: number;
      gas_wanted: string;
      gas_used: string;
      events: Event[];
    };
    expect(sent.code).toBe(0);
    expect(sent.txhash).toMatch(/^[0-9A-F]{64}$/);
    expect(sent.height).toBeGreaterThan(0);
    const tx = await client.getTx(sent.txhash);
    expect(tx!.code).toBe(0);
    expect(attr(tx!.events, "transfer", "recipient")).toContain(erin);

    const balances = JSON.parse(await inferdOk(["query", "bank", "balances", erin, "--output", "json", "--home", h.home])) as { balances: Array<{ denom: string; amount: string }> };
    expect(balances.balances).toEqual([{ denom: DENOM, amount: "4321" }]);
    const one = JSON.parse(await inferdOk(["query", "bank", "balances", erin, "--denom", DENOM, "--output", "json", "--home", h.home])) as { balance: { denom: string; amount: string } };
    expect(one.balance).toEqual({ denom: DENOM, amount: "4321" });

    const acc = JSON.parse(await inferdOk(["query", "auth", "account", cliAddress, "--output", "json", "--home", h.home])) as { address: string; account_number: string; sequence: string; pub_key: unknown };
    expect(acc.address).toBe(cliAddress);
    expect(acc.sequence).toBe("1");
    expect(acc.pub_key).not.toBeNull();
    const viaCosmjs = await client.getAccount(cliAddress);
    expect(acc.account_number).toBe(String(viaCosmjs!.accountNumber));

    // The default gas (200000) at the client.toml gas price (0.025uinf) costs 5000uinf.
    expect(BigInt((await client.getBalance(cliAddress, DENOM)).amount)).toBe(GENESIS - 4321n - 5000n);

    const missing = await inferd(["query", "auth", "account", (await testKey(9_007)).address, "--output", "json", "--home", h.home]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/not found/);

    const status = JSON.parse(await inferdOk(["status", "--output", "json", "--home", h.home])) as { node_info: { network: string }; sync_info: { latest_block_height: string } };
    expect(status.node_info.network).toBe(h.chainId);
    expect(Number(status.sync_info.latest_block_height)).toBeGreaterThanOrEqual(sent.height);
  }));

  test("a read-only StargateClient sees the same state", logged(async () => {
    const ro = await StargateClient.connect(node!.h.rpcUrl);
    try {
      expect(await ro.getChainId()).toBe(node!.h.chainId);
      expect(await ro.getBalance(alice, DENOM)).toEqual(await client.getBalance(alice, DENOM));
      const block = await ro.getBlock();
      expect(block.header.chainId).toBe(node!.h.chainId);
      expect(block.header.height).toBeGreaterThan(1);
    } finally {
      ro.disconnect();
    }
  }));
});
