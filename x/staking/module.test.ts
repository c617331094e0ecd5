/**
 * x/staking inside a real BaseApp (auth, bank, staking; LevelDB commit store): InitChain
 * returns the genesis validator set, txs built and signed the way CosmJS's
 * `SigningStargateClient.delegateTokens`/`undelegateTokens` build them change the set at
 * EndBlock, CosmJS's own `setupStakingExtension` reads the result, and the pools refuse MsgSend.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { toBech32, fromBech32 } from "@cosmjs/encoding";
import { sha256 } from "@noble/hashes/sha2.js";
import { Registry } from "@cosmjs/proto-signing";
import { defaultRegistryTypes, setupStakingExtension, type QueryClient } from "@cosmjs/stargate";
import type { ResponseFinalizeBlock } from "cosmjs-types/tendermint/abci/types";
import { BaseApp } from "../../base/baseapp";
import { CommitStore } from "../../base/store/commitStore";
import { moduleAddress } from "../../base/types/address";
import { AnteHandler, AuthKeeper, FEE_COLLECTOR, authModule } from "../auth";
import { BankKeeper, bankModule } from "../bank";
import { isValidModelId } from "../models";
import { signMultiTx, signTx, testKey, type TestKey } from "../../test/support/txs";
import { MsgRegisterWorker } from "../../gen/inferchain/staking/v1/tx";
import { QueryBalanceRequest, QueryBalanceResponse } from "cosmjs-types/cosmos/bank/v1beta1/query";
import { BONDED_POOL, NOT_BONDED_POOL, StakingKeeper, stakingModule } from "./index";

const CHAIN_ID = "staking-module-1";
const INF = 1_000_000n;
const registry = new Registry(defaultRegistryTypes);

function makeApp(store: CommitStore): BaseApp {
  const auth = new AuthKeeper();
  const bank = new BankKeeper(auth);
  const staking = new StakingKeeper(bank);
  const blocked: ReadonlySet<string> = new Set([FEE_COLLECTOR, BONDED_POOL, NOT_BONDED_POOL].map(moduleAddress));
  return new BaseApp(store, {
    modules: [
      authModule(auth),
      bankModule(bank, () => blocked),
      stakingModule(staking, {
        models: { isValidModelId: isValidModelId, hasModel: (_s, id) => id === "mlp-16x8" },
        evidence: { maxEvidenceAgeBlocks: () => 2n },
      }),
    ],
    ante: new AnteHandler(auth, bank),
    maxTxBytes: (s) => auth.getFeeParams(s).maxTxBytes,
  });
}

describe("x/staking in BaseApp, driven the CosmJS way", () => {
  let dir: string;
  let store: CommitStore;
  let app: BaseApp;
  let alice: TestKey;
  let dave: TestKey;
  let aliceOp: string;
  const aliceCons = sha256(new TextEncoder().encode("alice-consensus-key"));
  const seq = new Map<string, bigint>();

  async function block(height: bigint, txs: Uint8Array[]): Promise<ResponseFinalizeBlock> {
    const fin = await app.finalizeBlock({ txs, decidedLastCommit: { round: 0, votes: [] }, misbehavior: [], hash: new Uint8Array(32), height, time: { seconds: 1_700_000_000n + height, nanos: 0 }, nextValidatorsHash: new Uint8Array(), proposerAddress: new Uint8Array(20) });
    await app.commit();
    return fin;
  }

  async function tx(key: TestKey, accountNumber: bigint, msgs: Array<{ typeUrl: string; value: object }>): Promise<Uint8Array> {
    const sequence = seq.get(key.address) ?? 0n;
    seq.set(key.address, sequence + 1n);
    return signTx(key, msgs.map((m) => registry.encodeAsAny(m)), { chainId: CHAIN_ID, accountNumber, sequence, gas: 400_000n });
  }

  const queryClient = (): QueryClient =>
    ({
      queryAbci: async (p: string, data: Uint8Array) => ({ value: app.runQuery(p, data), height: Number(app.lastHeight) }),
    }) as unknown as QueryClient;

  beforeAll(async () => {
    alice = await testKey(11);
    dave = await testKey(12);
    aliceOp = toBech32("infervaloper", fromBech32(alice.address).data);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-staking-"));
    store = await CommitStore.open(dir);
    app = makeApp(store);
  });
  afterAll(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("InitChain → delegate → set update → CosmJS queries → undelegate → payout after unbonding_blocks", async () => {
    const genesis = {
      auth: { accounts: [{ address: alice.address }, { address: dave.address }] },
      bank: {
        balances: [
          { address: alice.address, coins: [{ denom: "uinf", amount: (100n * INF).toString() }] },
          { address: dave.address, coins: [{ denom: "uinf", amount: (100n * INF).toString() }] },
        ],
      },
      staking: {
        params: { unbonding_blocks: "3" },
        validators: [{ operator_address: aliceOp, consensus_pubkey: Buffer.from(aliceCons).toString("base64"), self_delegation: "10000000", moniker: "node0", commission_rate_ppm: 100000 }],
      },
    };
    const init = await app.initChain({ time: { seconds: 1_700_000_000n, nanos: 0 }, chainId: CHAIN_ID, consensusParams: undefined, validators: [], appStateBytes: new TextEncoder().encode(JSON.stringify(genesis)), initialHeight: 1n });
    expect(init.validators).toEqual([{ pubKey: { ed25519: aliceCons }, power: 10n }]);

    // What SigningStargateClient.delegateTokens sends.
    const delegate = await tx(dave, 1n, [{ typeUrl: "/cosmos.staking.v1beta1.MsgDelegate", value: { delegatorAddress: dave.address, validatorAddress: aliceOp, amount: { denom: "uinf", amount: "5000000" } } }]);
    const b1 = await block(1n, [delegate]);
    expect(b1.txResults.map((r) => [r.code, r.log])).toEqual([[0, ""]]);
    expect(b1.validatorUpdates).toEqual([{ pubKey: { ed25519: aliceCons }, power: 15n }]);

    const q = setupStakingExtension(queryClient()).staking;
    const { validators, pagination } = await q.validators("BOND_STATUS_BONDED");
    expect(validators.map((v) => [v.operatorAddress, v.tokens, v.description.moniker])).toEqual([[aliceOp, "15000000", "node0"]]);
    expect(pagination?.total).toBe(1n);
    expect((await q.delegation(dave.address, aliceOp)).delegationResponse?.balance).toEqual({ denom: "uinf", amount: "5000000" });
    expect((await q.delegatorDelegations(dave.address)).delegationResponses).toHaveLength(1);
    expect((await q.validatorDelegations(aliceOp)).delegationResponses.map((r) => r.delegation.delegatorAddress).sort()).toEqual([alice.address, dave.address].sort());
    expect((await q.pool()).pool).toEqual({ bondedTokens: "15000000", notBondedTokens: "0" });
    expect((await q.params()).params).toMatchObject({ bondDenom: "uinf", maxValidators: 100, unbondingTime: { seconds: 3n } });
    expect((await q.validator(aliceOp)).validator.commission.commissionRates.rate).toBe("100000000000000000");

    // The pools are module accounts that MsgSend may not pay.
    const send = await tx(dave, 1n, [{ typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: { fromAddress: dave.address, toAddress: moduleAddress(BONDED_POOL), amount: [{ denom: "uinf", amount: "1" }] } }]);
    // What SigningStargateClient.undelegateTokens sends.
    const undelegate = await tx(dave, 1n, [{ typeUrl: "/cosmos.staking.v1beta1.MsgUndelegate", value: { delegatorAddress: dave.address, validatorAddress: aliceOp, amount: { denom: "uinf", amount: "2000000" } } }]);
    const b2 = await block(2n, [send, undelegate]);
    expect(b2.txResults.map((r) => [r.codespace, r.code])).toEqual([["bank", 7], ["", 0]]);
    expect(b2.validatorUpdates).toEqual([{ pubKey: { ed25519: aliceCons }, power: 13n }]);
    const unbond = b2.txResults[1].events.find((e) => e.type === "unbond")!;
    expect(unbond.attributes.find((a) => a.key === "completion_height")?.value).toBe("5");
    const entries = (await q.unbondingDelegation(dave.address, aliceOp)).unbond.entries;
    expect(entries.map((e) => [e.creationHeight, e.balance])).toEqual([[2n, "2000000"]]);

    const balance = async (): Promise<bigint> => {
      const { QueryBalanceRequest, QueryBalanceResponse } = await import("cosmjs-types/cosmos/bank/v1beta1/query");
      return BigInt(QueryBalanceResponse.decode(app.runQuery("/cosmos.bank.v1beta1.Query/Balance", QueryBalanceRequest.encode({ address: dave.address, denom: "uinf" }).finish())).balance!.amount);
    };
    const before = await balance();
    await block(3n, []);
    await block(4n, []);
    expect(await balance()).toBe(before);
    const b5 = await block(5n, []);
    expect(b5.events.filter((e) => e.type === "complete_unbonding")).toHaveLength(1);
    expect(await balance()).toBe(before + 2n * INF);
    expect(b5.validatorUpdates).toEqual([]);
  });
});

describe("MsgRegisterWorker in BaseApp: the worker key co-signs", () => {
  let dir: string;
  let store: CommitStore;
  let app: BaseApp;
  let alice: TestKey;
  let bob: TestKey;
  let worker: TestKey;
  let aliceOp: string;
  let bobOp: string;
  let height = 0n;

  async function block(txs: Uint8Array[]): Promise<ResponseFinalizeBlock> {
    height += 1n;
    const fin = await app.finalizeBlock({ txs, decidedLastCommit: { round: 0, votes: [] }, misbehavior: [], hash: new Uint8Array(32), height, time: { seconds: 1_700_000_000n + height, nanos: 0 }, nextValidatorsHash: new Uint8Array(), proposerAddress: new Uint8Array(20) });
    await app.commit();
    return fin;
  }
  const register = (operator: string, w: string, modelIds = ["mlp-16x8"]) => ({ typeUrl: "/inferchain.staking.v1.MsgRegisterWorker", value: MsgRegisterWorker.fromPartial({ operator, worker: w, modelIds }) });
  const balance = (address: string): bigint =>
    BigInt(QueryBalanceResponse.decode(app.runQuery("/cosmos.bank.v1beta1.Query/Balance", QueryBalanceRequest.encode({ address, denom: "uinf" }).finish())).balance!.amount);

  beforeAll(async () => {
    [alice, bob, worker] = await Promise.all([testKey(21), testKey(22), testKey(23)]);
    aliceOp = toBech32("infervaloper", fromBech32(alice.address).data);
    bobOp = toBech32("infervaloper", fromBech32(bob.address).data);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-staking-worker-"));
    store = await CommitStore.open(dir);
    app = makeApp(store);
    const cons = (n: string): string => Buffer.from(sha256(new TextEncoder().encode(n))).toString("base64");
    const genesis = {
      // The worker's account exists (account number 2) with nothing in it: it signs, it never pays.
      auth: { accounts: [{ address: alice.address }, { address: bob.address }, { address: worker.address }] },
      bank: { balances: [alice, bob].map((k) => ({ address: k.address, coins: [{ denom: "uinf", amount: (100n * INF).toString() }] })) },
      staking: {
        params: { unbonding_blocks: "3" },
        validators: [
          { operator_address: aliceOp, consensus_pubkey: cons("a"), self_delegation: "10000000", moniker: "a", commission_rate_ppm: 0 },
          { operator_address: bobOp, consensus_pubkey: cons("b"), self_delegation: "10000000", moniker: "b", commission_rate_ppm: 0 },
        ],
      },
    };
    await app.initChain({ time: { seconds: 1_700_000_000n, nanos: 0 }, chainId: CHAIN_ID, consensusParams: undefined, validators: [], appStateBytes: new TextEncoder().encode(JSON.stringify(genesis)), initialHeight: 1n });
  });
  afterAll(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("the operator alone cannot name a worker (squatting refused: sdk 4); co-signed it can, and the worker pays nothing", async () => {
    // Alice claims the worker's address without its signature: refused before any message runs.
    const alone = await signTx(alice, [{ typeUrl: "/inferchain.staking.v1.MsgRegisterWorker", value: MsgRegisterWorker.encode(register(aliceOp, worker.address).value).finish() }], { chainId: CHAIN_ID, accountNumber: 0n, sequence: 0n, gas: 400_000n });
    const check = await app.checkTx({ tx: alone, type: 0 });
    expect([check.codespace, check.code]).toEqual(["sdk", 4]);
    expect(check.log).toMatch(/wrong number of signers; expected 2/);
    const b1 = await block([alone]);
    expect([b1.txResults[0].codespace, b1.txResults[0].code]).toEqual(["sdk", 4]);

    // Signed by both (operator first: it pays the fee).
    const before = balance(alice.address);
    const both = await signMultiTx([{ key: alice, accountNumber: 0n, sequence: 0n }, { key: worker, accountNumber: 2n, sequence: 0n }], [register(aliceOp, worker.address)], { chainId: CHAIN_ID, gas: 400_000n });
    const b2 = await block([both]);
    expect(b2.txResults.map((r) => [r.codespace, r.code, r.log])).toEqual([["", 0, ""]]);
    expect(balance(worker.address)).toBe(0n);
    expect(balance(alice.address)).toBe(before - 10_000n);

    // Bob cannot take alice's worker even with its signature (the worker would serve two validators).
    const steal = await signMultiTx([{ key: bob, accountNumber: 1n, sequence: 0n }, { key: worker, accountNumber: 2n, sequence: 1n }], [register(bobOp, worker.address)], { chainId: CHAIN_ID, gas: 400_000n });
    const b3 = await block([steal]);
    expect([b3.txResults[0].codespace, b3.txResults[0].code]).toEqual(["staking", 19]);

    // A model the registry does not have, and an id x/models' rule refuses.
    const unknown = await signMultiTx([{ key: alice, accountNumber: 0n, sequence: 1n }, { key: worker, accountNumber: 2n, sequence: 2n }], [register(aliceOp, worker.address, ["resnet50"])], { chainId: CHAIN_ID, gas: 400_000n });
    const b4 = await block([unknown]);
    expect([b4.txResults[0].codespace, b4.txResults[0].code]).toEqual(["staking", 23]);
    const badId = await signMultiTx([{ key: alice, accountNumber: 0n, sequence: 2n }, { key: worker, accountNumber: 2n, sequence: 3n }], [register(aliceOp, worker.address, ["MLP:16x8"])], { chainId: CHAIN_ID, gas: 400_000n });
    const b5 = await block([badId]);
    expect([b5.txResults[0].codespace, b5.txResults[0].code]).toEqual(["staking", 20]);
  });
});
