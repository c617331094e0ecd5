/**
 * A 4-validator network on real CometBFT (loopback, 300 ms blocks), plus a full node that
 * becomes the 5th validator through `inferd tx staking create-validator`: blocks from every
 * validator, unmodified CosmJS staking (delegateTokens, undelegateTokens, setupStakingExtension)
 * changing CometBFT's `/validators`, refused messages with their codes, and the staking and
 * slashing CLI. Downtime and double signing have their own files (multinode.*.test.ts).
 */
import fs from "node:fs";
import path from "node:path";
import { Bip39, sha256 } from "@cosmjs/crypto";
import { fromBech32, toBech32 } from "@cosmjs/encoding";
import { DirectSecp256k1HdWallet, Registry } from "@cosmjs/proto-signing";
import { BroadcastTxError, GasPrice, QueryClient, SigningStargateClient, defaultRegistryTypes, setupStakingExtension, type StakingExtension } from "@cosmjs/stargate";
import { connectComet, type CometClient } from "@cosmjs/tendermint-rpc";
import { MsgUpdateParams as SlashingMsgUpdateParams } from "cosmjs-types/cosmos/slashing/v1beta1/tx";
import { Params as SlashingParams } from "cosmjs-types/cosmos/slashing/v1beta1/slashing";
import { MsgUpdateParams as StakingMsgUpdateParams } from "cosmjs-types/cosmos/staking/v1beta1/tx";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { openKeyring } from "../../client/keyring";
import { inferd, inferdOk, rpc } from "../support/node";
import { TestNetwork, consAddresses, sendTx, sendTxOk, withNetworkLogs } from "../support/network";

jest.setTimeout(120_000);

const DENOM = "uinf";
const GENESIS = 1_000_000_000n;
const mnemonic = (seed: string): string => Bip39.encode(sha256(new TextEncoder().encode(seed)).slice(0, 32)).toString();
/** Cosmos Dec atomics of a whole number of tokens' shares (the first delegation: shares = amount × 10^18). */
const shares = (uinf: bigint): string => (uinf * 10n ** 18n).toString();

interface Block {
  readonly block: { header: { height: string; proposer_address: string }; last_commit: { signatures: Array<{ block_id_flag: number; validator_address: string }> } };
}

/** Proposers of, and validators that signed the commits in, blocks [from, to]. */
async function blockSigners(rpcUrl: string, from: number, to: number): Promise<{ proposers: Set<string>; signers: Set<string> }> {
  const proposers = new Set<string>();
  const signers = new Set<string>();
  for (let h = from; h <= to; h++) {
    const b = await rpc<Block>(rpcUrl, "block", { height: String(h) });
    proposers.add(b.block.header.proposer_address);
    for (const s of b.block.last_commit.signatures) if (s.block_id_flag === 2) signers.add(s.validator_address);
  }
  return { proposers, signers };
}

describe("a 4-validator network: staking with CosmJS and the inferd CLI", () => {
  let net: TestNetwork | undefined;
  const failures = { count: 0 };
  const logged = (fn: () => Promise<void>): (() => Promise<void>) => withNetworkLogs(() => net, fn, failures);
  let alice: string;
  let bob: string;
  /** Unmodified CosmJS: default registry, alice's wallet. */
  let client: SigningStargateClient;
  /** CosmJS with the params messages registered too (bob's wallet). */
  let bobClient: SigningStargateClient;
  let comet: CometClient;
  let q: QueryClient & StakingExtension;
  const gasPrice = GasPrice.fromString(`0.025${DENOM}`);

  beforeAll(async () => {
    const aliceWallet = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic("inferchain-mn-alice"), { prefix: "infer" });
    const bobWallet = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic("inferchain-mn-bob"), { prefix: "infer" });
    [{ address: alice }] = await aliceWallet.getAccounts();
    [{ address: bob }] = await bobWallet.getAccounts();
    net = await TestNetwork.create({
      validators: 4,
      extraNodes: [{}],
      portRange: [50, 55],
      accounts: [{ address: alice, amount: GENESIS }, { address: bob, amount: GENESIS }],
    });
    await net.start([0, 1, 2, 3, 4], 2);
    client = await SigningStargateClient.connectWithSigner(net.rpcUrl(0), aliceWallet, { gasPrice, broadcastPollIntervalMs: 200 });
    const registry = new Registry([
      ...defaultRegistryTypes,
      ["/cosmos.staking.v1beta1.MsgUpdateParams", StakingMsgUpdateParams],
      ["/cosmos.slashing.v1beta1.MsgUpdateParams", SlashingMsgUpdateParams],
    ]);
    bobClient = await SigningStargateClient.connectWithSigner(net.rpcUrl(1), bobWallet, { gasPrice, registry, broadcastPollIntervalMs: 200 });
    comet = await connectComet(net.rpcUrl(0));
    q = QueryClient.withExtensions(comet, setupStakingExtension);
  }, 180_000);

  afterAll(async () => {
    client?.disconnect();
    bobClient?.disconnect();
    comet?.disconnect();
    await net?.stop(failures.count > 0);
  }, 60_000);

  test("every validator is in CometBFT's /validators with power 10, proposes and signs", logged(async () => {
    const n = net!;
    const vals = await n.cometValidators();
    expect([...vals.keys()].sort()).toEqual(n.validators.map((v) => v.hexAddress).sort());
    expect([...vals.values()]).toEqual([10, 10, 10, 10]);
    // Every node follows the same chain.
    const from = (await n.height()) + 1;
    await Promise.all(n.nodes.map((_, i) => n.waitForHeight(from + 12, i, 60_000)));
    const { proposers, signers } = await blockSigners(n.rpcUrl(0), from, from + 12);
    for (const v of n.validators) {
      expect(proposers).toContain(v.hexAddress);
      expect(signers).toContain(v.hexAddress);
    }
    const hashes = await Promise.all(n.nodes.map((_, i) => rpc<{ block_id: { hash: string } }>(n.rpcUrl(i), "block", { height: String(from + 12) })));
    expect(new Set(hashes.map((b) => b.block_id.hash)).size).toBe(1);
  }));

  test("CheckTx returns no data, as in the Cosmos SDK (CometBFT sends broadcast_tx_sync's data as hex, CosmJS decodes it as base64)", logged(async () => {
    // A MsgDelegate's TxMsgData is 45 bytes: 90 hex digits, which CosmJS's comet38 adaptor
    // cannot decode as base64, so `delegateTokens` would throw after the tx was accepted.
    const v3 = net!.validators[3];
    const msg = { typeUrl: "/cosmos.staking.v1beta1.MsgDelegate", value: { delegatorAddress: bob, validatorAddress: v3.operator, amount: { denom: DENOM, amount: "1000" } } };
    const signed = await bobClient.sign(bob, [msg], { amount: [{ denom: DENOM, amount: "10000" }], gas: "400000" }, "");
    const r = await rpc<{ code: number; data: string; log: string }>(net!.rpcUrl(1), "broadcast_tx_sync", { tx: Buffer.from(TxRaw.encode(signed).finish()).toString("base64") });
    expect(r.code).toBe(0);
    expect(r.data).toBe("");
    await net!.waitFor("bob's delegation to node3", async () => ((await q.staking.delegatorDelegations(bob)).delegationResponses.length > 0 ? true : undefined));
  }));

  test("delegateTokens (unmodified CosmJS) raises the validator's power in CometBFT's /validators", logged(async () => {
    const v1 = net!.validators[1];
    const res = await client.delegateTokens(alice, v1.operator, { denom: DENOM, amount: "5000000" }, "auto");
    expect(res.code).toBe(0);
    // CometBFT applies a validator update two blocks after the block that returned it.
    const power = await net!.waitFor("node1's power 15 in /validators", async () => ((await net!.cometValidators()).get(v1.hexAddress) === 15 ? 15 : undefined));
    expect(power).toBe(15);
    const others = await net!.cometValidators();
    for (const v of net!.validators.filter((x) => x !== v1)) expect(others.get(v.hexAddress)).toBe(10);
  }));

  test("setupStakingExtension: validators, validator, delegation, delegatorDelegations, pool", logged(async () => {
    const v1 = net!.validators[1];
    await net!.waitFor("alice's delegation", async () => ((await q.staking.delegatorDelegations(alice)).delegationResponses.length > 0 ? true : undefined));
    const bonded = await q.staking.validators("BOND_STATUS_BONDED");
    expect(bonded.validators.map((v) => v.operatorAddress).sort()).toEqual(net!.validators.map((v) => v.operator).sort());
    const one = bonded.validators.find((v) => v.operatorAddress === v1.operator)!;
    expect(one.tokens).toBe("15000000");
    expect(one.delegatorShares).toBe(shares(15_000_000n));
    expect(one.jailed).toBe(false);
    expect(one.status).toBe(3); // BOND_STATUS_BONDED
    expect((await q.staking.validator(v1.operator)).validator?.description?.moniker).toBe("node1");
    expect((await q.staking.validators("BOND_STATUS_UNBONDING")).validators).toEqual([]);

    const d = (await q.staking.delegation(alice, v1.operator)).delegationResponse!;
    expect(d.delegation).toEqual({ delegatorAddress: alice, validatorAddress: v1.operator, shares: shares(5_000_000n) });
    expect(d.balance).toEqual({ denom: DENOM, amount: "5000000" });
    const all = await q.staking.delegatorDelegations(alice);
    expect(all.delegationResponses.map((r) => r.delegation?.validatorAddress)).toEqual([v1.operator]);
    const pool = (await q.staking.pool()).pool!;
    expect(pool.bondedTokens).toBe(String(4 * 10_000_000 + 5_000_000 + 1_000)); // + bob's 1000uinf to node3
  }));

  test("undelegateTokens: the unbonding entry shows up (CosmJS and the CLI) and the power drops", logged(async () => {
    const v1 = net!.validators[1];
    const res = await client.undelegateTokens(alice, v1.operator, { denom: DENOM, amount: "2000000" }, "auto");
    expect(res.code).toBe(0);
    const ubd = (await q.staking.unbondingDelegation(alice, v1.operator)).unbond!;
    expect(ubd.delegatorAddress).toBe(alice);
    expect(ubd.validatorAddress).toBe(v1.operator);
    expect(ubd.entries).toHaveLength(1);
    expect(ubd.entries[0].creationHeight).toBe(BigInt(res.height));
    expect(ubd.entries[0].initialBalance).toBe("2000000");
    expect(ubd.entries[0].balance).toBe("2000000");
    expect((await q.staking.delegation(alice, v1.operator)).delegationResponse?.balance?.amount).toBe("3000000");
    await net!.waitFor("node1's power 13 in /validators", async () => ((await net!.cometValidators()).get(v1.hexAddress) === 13 ? true : undefined));

    const cli = JSON.parse(await inferdOk(["query", "staking", "unbonding", alice, v1.operator, "--home", net!.home(0), "--output", "json"])) as {
      entries: Array<{ creation_height: string; completion_height: string; balance: string }>;
    };
    const params = (await q.staking.params()).params!;
    expect(cli.entries).toHaveLength(1);
    expect(cli.entries[0].creation_height).toBe(String(res.height));
    expect(cli.entries[0].completion_height).toBe(String(BigInt(res.height) + params.unbondingTime!.seconds));
    expect(cli.entries[0].balance).toBe("2000000");
  }));

  test("refused: undelegating more than delegated (staking 13), params from a non-authority (staking 17, slashing 10), unjail when not jailed (slashing 5)", logged(async () => {
    const v1 = net!.validators[1];
    await net!.waitForEmptyMempool(0); // alice's earlier txs are in blocks, so her sequence is settled
    const refusal = async (p: Promise<unknown>): Promise<BroadcastTxError> => {
      const e = await p.then(() => undefined, (x: unknown) => x);
      expect(e).toBeInstanceOf(BroadcastTxError);
      return e as BroadcastTxError;
    };
    const fee = { amount: [{ denom: DENOM, amount: "10000" }], gas: "400000" };
    const tooMuch = await refusal(client.undelegateTokens(alice, v1.operator, { denom: DENOM, amount: "10000000" }, fee));
    expect([tooMuch.codespace, tooMuch.code]).toEqual(["staking", 13]);

    const stakingParams = (await q.staking.params()).params!;
    const stakingMsg = { typeUrl: "/cosmos.staking.v1beta1.MsgUpdateParams", value: { authority: bob, params: stakingParams } };
    const staking = await refusal(bobClient.signAndBroadcast(bob, [stakingMsg], fee));
    expect([staking.codespace, staking.code]).toEqual(["staking", 17]);

    const slashingParams = SlashingParams.fromPartial({
      signedBlocksWindow: 20n,
      minSignedPerWindow: new TextEncoder().encode("500000000000000000"),
      downtimeJailDuration: { seconds: 20n, nanos: 0 },
      slashFractionDoubleSign: new TextEncoder().encode("1000000000000000000"),
      slashFractionDowntime: new TextEncoder().encode("100000000000000"),
    });
    const slashingMsg = { typeUrl: "/cosmos.slashing.v1beta1.MsgUpdateParams", value: { authority: bob, params: slashingParams } };
    const slashing = await refusal(bobClient.signAndBroadcast(bob, [slashingMsg], fee));
    expect([slashing.codespace, slashing.code]).toEqual(["slashing", 10]);
    // The same slashing message from the params authority (node0's operator) goes through.
    const authority = net!.validators[0].account;
    const authWallet = await DirectSecp256k1HdWallet.fromMnemonic(readMnemonic(net!.home(0)), { prefix: "infer" });
    const authClient = await SigningStargateClient.connectWithSigner(net!.rpcUrl(0), authWallet, {
      gasPrice,
      registry: new Registry([...defaultRegistryTypes, ["/cosmos.slashing.v1beta1.MsgUpdateParams", SlashingMsgUpdateParams]]),
    });
    try {
      const ok = await sendTx(authClient, net!.rpcUrl(0), authority, [{ ...slashingMsg, value: { authority, params: slashingParams } }]);
      expect([ok.code, ok.log]).toEqual([0, ""]);
    } finally {
      authClient.disconnect();
    }

    const unjail = await inferd(["tx", "slashing", "unjail", "--from", "validator", "--home", net!.home(2), "--yes", "--output", "json"]);
    expect(unjail.code).toBe(1);
    expect(JSON.parse(unjail.stdout)).toMatchObject({ code: 5, codespace: "slashing" });
    // A refused tx changes nothing: alice's delegation is as it was.
    expect((await q.staking.delegation(alice, v1.operator)).delegationResponse?.balance?.amount).toBe("3000000");
  }));

  test("CLI: a full node becomes the 5th validator with `tx staking create-validator`, joins /validators and signs", logged(async () => {
    const n = net!;
    const home4 = n.home(4);
    const op4Account = (JSON.parse(await inferdOk(["keys", "show", "validator", "--home", home4, "--output", "json"])) as { address: string }).address;
    await sendTxOk(bobClient, n.rpcUrl(1), bob, [{ typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: { fromAddress: bob, toAddress: op4Account, amount: [{ denom: DENOM, amount: "20000000" }] } }]);
    // node4 must have caught up before its own RPC can sign (account number, sequence).
    await n.waitFor("node4 caught up", async () => {
      const s = await rpc<{ sync_info: { catching_up: boolean; latest_block_height: string } }>(n.rpcUrl(4), "status");
      return !s.sync_info.catching_up && Number(s.sync_info.latest_block_height) >= (await n.height([0])) - 1 ? true : undefined;
    });
    const created = JSON.parse(
      await inferdOk(["tx", "staking", "create-validator", "--amount", "10000000uinf", "--moniker", "full0", "--commission-rate", "0.10", "--from", "validator", "--home", home4, "--yes", "--output", "json"]),
    ) as { code: number; height: number };
    expect(created.code).toBe(0);

    const pv = JSON.parse(fs.readFileSync(path.join(home4, "config", "priv_validator_key.json"), "utf8")) as { pub_key: { value: string } };
    const { hexAddress, consAddress } = consAddresses(pv.pub_key.value);
    await n.waitFor("node4 in /validators with power 10", async () => ((await n.cometValidators()).get(hexAddress) === 10 ? true : undefined));
    expect((await n.cometValidators()).size).toBe(5);
    // It signs: its address appears in a later commit.
    const from = await n.height();
    await n.waitFor("a commit signed by node4", async () => {
      const h = await n.height();
      if (h <= from + 1) return undefined;
      return (await blockSigners(n.rpcUrl(0), from + 1, h)).signers.has(hexAddress) ? true : undefined;
    });

    const op4 = JSON.parse(await inferdOk(["query", "staking", "validator", opOf(op4Account), "--home", n.home(0), "--output", "json"])) as Record<string, unknown>;
    expect(op4).toMatchObject({
      operator_address: opOf(op4Account),
      moniker: "full0",
      status: "BOND_STATUS_BONDED",
      jailed: false,
      tokens: "10000000",
      power: "10",
      consensus_address: consAddress,
      commission: { rate: "0.100000000000000000", max_rate: "0.200000000000000000", max_change_rate: "0.010000000000000000" },
    });
    const list = JSON.parse(await inferdOk(["query", "staking", "validators", "--home", n.home(0), "--output", "json"])) as { validators: Array<{ moniker: string }> };
    expect(list.validators.map((v) => v.moniker).sort()).toEqual(["full0", "node0", "node1", "node2", "node3"]);
    const text = await inferdOk(["query", "staking", "validators", "--home", n.home(0)]);
    expect(text).toMatch(/^OPERATOR\s+MONIKER\s+STATUS\s+JAILED\s+POWER\s+TOKENS\s+COMMISSION$/m);
    expect(text).toMatch(new RegExp(`^${opOf(op4Account)}\\s+full0\\s+BONDED\\s+false\\s+10\\s+10000000\\s+0\\.1$`, "m"));

    // The same key cannot make a second validator (staking 4, validator exists).
    const again = await inferd(["tx", "staking", "create-validator", "--amount", "1000000uinf", "--moniker", "again", "--from", "validator", "--home", home4, "--yes", "--output", "json"]);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({ code: 4, codespace: "staking" });
  }));

  test("CLI: delegate, unbond, register-worker, and the staking and slashing queries", logged(async () => {
    const n = net!;
    const v0 = n.validators[0];
    const v2 = n.validators[2];
    const home0 = n.home(0);
    const tx = async (...args: string[]): Promise<{ code: number; height: number }> =>
      JSON.parse(await inferdOk(["tx", "staking", ...args, "--from", "validator", "--home", home0, "--yes", "--output", "json"])) as { code: number; height: number };

    expect((await tx("delegate", v2.operator, "3000000uinf")).code).toBe(0);
    const del = JSON.parse(await inferdOk(["query", "staking", "delegation", v0.account, v2.operator, "--home", home0, "--output", "json"])) as unknown;
    expect(del).toEqual({
      delegation: { delegator_address: v0.account, validator_address: v2.operator, shares: "3000000.000000000000000000" },
      balance: { denom: DENOM, amount: "3000000" },
    });
    await n.waitFor("node2's power 13", async () => ((await n.cometValidators()).get(v2.hexAddress) === 13 ? true : undefined));
    const unbond = await tx("unbond", v2.operator, "1000000uinf");
    expect(unbond.code).toBe(0);
    const ubd = JSON.parse(await inferdOk(["query", "staking", "unbonding", v0.account, v2.operator, "--home", home0, "--output", "json"])) as { entries: Array<Record<string, string>> };
    expect(ubd.entries).toEqual([expect.objectContaining({ creation_height: String(unbond.height), initial_balance: "1000000", balance: "1000000" })]);
    const tooMuch = await inferd(["tx", "staking", "unbond", v2.operator, "5000000uinf", "--from", "validator", "--home", home0, "--yes", "--output", "json"]);
    expect(tooMuch.code).toBe(1);
    expect(JSON.parse(tooMuch.stdout)).toMatchObject({ code: 13, codespace: "staking" });
    const none = await inferd(["query", "staking", "delegation", bob, v2.operator, "--home", home0]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/not found/);

    // A new worker key for node0's sidecar. It co-signs its registration, so it must be in
    // node0's keyring and its account must exist on chain (the operator pays the fee).
    const worker = (await (await openKeyring({ home: home0, backend: "test" })).add("worker2", { mnemonic: mnemonic("inferchain-mn-worker") })).info.address;
    const register = (models: string) => inferd(["tx", "staking", "register-worker", worker, "--worker-key", "worker2", "--models", models, "--from", "validator", "--home", home0, "--yes", "--output", "json"]);
    const unfunded = await register("mlp-16x8,silero-vad");
    expect(unfunded.code).toBe(1);
    expect(unfunded.stderr).toMatch(/account infer1\w+ not found on chain/);
    expect(JSON.parse(await inferdOk(["tx", "bank", "send", "validator", worker, "1000uinf", "--yes", "--output", "json", "--home", home0])).code).toBe(0);
    const reg = await register("mlp-16x8,silero-vad");
    expect(JSON.parse(reg.stdout)).toMatchObject({ code: 0 });
    const w = JSON.parse(await inferdOk(["query", "staking", "worker", v0.operator, "--home", home0, "--output", "json"])) as unknown;
    expect(w).toEqual({ operator_address: v0.operator, worker_address: worker, model_ids: ["mlp-16x8", "silero-vad"] });
    const byWorker = JSON.parse(await inferdOk(["query", "staking", "worker", worker, "--home", home0, "--output", "json"])) as { operator_address: string };
    expect(byWorker.operator_address).toBe(v0.operator);
    const badModel = await register("-bad");
    expect(JSON.parse(badModel.stdout)).toMatchObject({ code: 20, codespace: "staking" });
    const unknownModel = await register("mlp-16x8,no-such-model");
    expect(JSON.parse(unknownModel.stdout)).toMatchObject({ code: 23, codespace: "staking" });

    // Signing info by operator or consensus address; nobody has been slashed.
    const byOp = JSON.parse(await inferdOk(["query", "slashing", "signing-info", v2.operator, "--home", home0, "--output", "json"])) as Record<string, unknown>;
    expect(byOp).toMatchObject({ address: v2.consAddress, validator: v2.operator, tombstoned: false, jailed_until_height: "0" });
    const byCons = JSON.parse(await inferdOk(["query", "slashing", "signing-info", v2.consAddress, "--home", home0, "--output", "json"])) as Record<string, unknown>;
    expect(byCons.address).toBe(v2.consAddress);
    expect(Number(byCons.missed_blocks_counter)).toBeLessThan(10);
    const events = JSON.parse(await inferdOk(["query", "slashing", "slash-events", "--home", home0, "--output", "json"])) as { events: unknown[] };
    expect(events.events).toEqual([]);
    const params = JSON.parse(await inferdOk(["query", "slashing", "params", "--home", home0, "--output", "json"])) as Record<string, unknown>;
    expect(params).toMatchObject({ signed_blocks_window: "20", downtime_jail_blocks: "20", params_authority: v0.account });
  }));
});

function opOf(account: string): string {
  return toBech32("infervaloper", fromBech32(account).data);
}

/** The operator key `localnet init` wrote into a home's test keyring. */
function readMnemonic(home: string): string {
  return fs.readFileSync(path.join(home, "keyring-test", "validator.mnemonic"), "utf8").trim();
}
