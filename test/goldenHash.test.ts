/**
 * The app hash after a fixed block sequence, pinned. Every module writes state in it: workers
 * registered by co-signed txs, sends (one refused by bank and still charged), a delegation and
 * an undelegation, jobs submitted, assigned, answered, finalized, one timed out (a slash through
 * x/slashing) and answered late, and commits with absent and nil votes (liveness bookkeeping).
 *
 * A refactor that changes no behaviour leaves every hash below as it is. A change that moves a
 * hash changes consensus: a chain upgrade, not a refactor. Update the list only then, and say so
 * in the commit.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fromBech32, toBech32 } from "@cosmjs/encoding";
import { sha256 } from "@noble/hashes/sha2.js";
import { MsgDelegate, MsgUndelegate } from "cosmjs-types/cosmos/staking/v1beta1/tx";
import { BlockIDFlag } from "cosmjs-types/tendermint/types/validator";
import type { Any } from "cosmjs-types/google/protobuf/any";
import { MsgSubmitJob, MsgSubmitResult } from "../gen/inferchain/inference/v1/tx";
import { QueryJobRequest, QueryJobResponse } from "../gen/inferchain/inference/v1/query";
import { MsgRegisterWorker } from "../gen/inferchain/staking/v1/tx";
import { createInferchainApp } from "../app/app";
import type { BaseApp } from "../base/baseapp";
import { moduleAddress } from "../base/types/address";
import { modelToJson } from "../x/models";
import { sampleInput, sampleOutput } from "../x/inference/testutil";
import { sampleModel } from "../x/models/testutil";
import { finalizeRequest, hex } from "./support/chain";
import { msgSendAny, signMultiTx, signTxFast, testKey, type TestKey } from "./support/txs";

const CHAIN_ID = "golden-hash-1";
const INF = 1_000_000n;
const MODEL = sampleModel();

/** App hash (hex) after each block 1..GOLDEN.length, computed on a6c9b34 (before issue 8's moves). */
const GOLDEN: readonly string[] = [
  "747b690601ba9addee1bda0b4ee3ce969a200e1f3909b16670ca6b78f9988ff5",
  "cef7b0618546d44ba0d068acc32e94ccd9dd8cdb550b036769de08e458a6e0a5",
  "24b555e13bed2c5ac75bcadbdd9c8461a891cd86dfda67de89a1713aca5a83b2",
  "e6b05ea939f7f11707d8901f02c365dd52ed1ec016def6107c3f5e339e177d8a",
  "8013db79773ac8bc9c9aabd9042308ecc1fd175de4dfb46d7ff07248b783f3c0",
  "a9d86bb415574ecdb1b567b01bc27b55fa650e7775303d06fdfcee70150871b4",
  "d1af949ee41391713287ca88339f18f02cf4b70d68689f56d54474fb1b9c2c0b",
  "9e7c4e78c5cde740c65223eace1e00c282ac27ecc22ea1ee55e308aa0db2139a",
  "85eb9de76759355f3dbb8e4781e1030f7d7c95ed74ffed89751e21febb3a1f75",
  "ed3b8580341466b6b86badcb8f9a750487a59db1e430f9b3bf31e94451d6c022",
  "708e3ba8f6c646da1140a5e81342c22f74d3b537546db60a5ab6ceff8fa02f51",
  "935db302ad83e445c0865f5fee86b2166b2b24558b6373a0b6b195bbb4c5aa2b",
  "44602a3f7b289c0eaabb0235828442238f62dbc7e78808b5adc05023712132cc",
  "4b36f738422d6af7a11af0ac7894ba5aacc0fcdb46a09203c0943daee6b51b5a",
  "9c7f500de5d1bb75cfe83b68e572cf8c7b9eea6fbb7ffe32bc637d389d8a33cd",
  "f08eb727b9f774ae144f7ea84a50e4c42aef6cdb169f9a15ea88132b069bca27",
  "d35dc7985fea16f856b4bd8b3c574669e071fab5bbf4b658b72a10ab3c6c29e6",
  "a56df4838d883141071b9e6c9cb36f2cda317e0a3d5d9d9274cd314fbd05126f",
  "dac4bbef9c39407e23e7cc416ee3f74e673c8586537695a7af6dc461fc77b141",
  "4449f834808a4b622c12964e0d513779bdeb6e52f8a21ed68a69b17f523099bf",
  "89cf72acea050baae04aa772c1f730f334a53b22f126079104a606aad1cb44e3",
  "94a97857e5bdbbd471c3d3b86f700d384298edc9e4e056c41281f0acb8aae378",
  "8ca07a4eb47487195cacb4713df1ca1be6cac7c6768f607d4aab0ccc5192efb4",
  "d1e23403fae25154d16a372c15b0ab561a188ee67cafc792cfcaedea631c54f1",
  "0323bc23742d397e23d8ea5edcfd25ec67cd5a003b302083f41ac3cbeac91721",
  "3a3860d4953acc1b5aa7f9849b30621863c8e2a402aa04a03b2a9745fc3b03ea",
  "0e92aa19d6351c897946abad4799c1d86cfe060cfc7de8c1062c064c481848e4",
  "c4cb529a58c25147b6e0c103b7af9a4ee8540867c6d1b277b7110398071e7761",
  "ed644cb13ca85d7ba855e1c85a341181eee651f940fb4338b6eb97148847ac25",
  "02c956204ccf39315ae8b8d689b375610b4ca6a12b6b6dbb65cd39fbd2c1a366",
  "16ab9aa826897286b80eb4d6f88180efc5057bc48d8e2fae5625df42c4faae0f",
  "b5fa6ace81864173b425ecd68d4e17270e85a31b55e3229bd3bd1f047a0256eb",
  "141d0e3b7a65385b7fc96d5fe1e718323316683de0d0362b5c03d9c1e920362e",
  "dafef14dcbf471f0bf58331d6bc9585ab6c7c144dad02b2c56a35a4f9bb7c7d8",
  "53e0574e9836f218c344d70f9a18a33581e36c0ac67919fa74f67c6b38dedeb0",
  "2b772dfe80efd2313af940ca4c4e47b896e4222711141b9f5d1c6638e3cc7647",
  "e5a8310be41f849a728a33e3e56ece900ef34ef0ba731fee95eb8bf033e42af6",
  "28383c5404a13a774f9ddc53275640da4f94b4fe74e51d6b29c1f8557a8a6d0e",
];

const consPubkey = (i: number): Uint8Array => sha256(new TextEncoder().encode(`golden-cons-${i}`));
const consAddress = (pubkey: Uint8Array): Uint8Array => sha256(pubkey).slice(0, 20);

describe("golden app hash", () => {
  let dir: string;
  let app: BaseApp;

  afterAll(async () => {
    await app?.store.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test("a fixed block sequence touching every module ends in the pinned app hashes", async () => {
    const [val0, val1, worker0, worker1, client, other] = await Promise.all([301, 302, 311, 312, 321, 322].map(testKey));
    const operatorOf = (k: TestKey): string => toBech32("infervaloper", fromBech32(k.address).data);
    const [op0, op1] = [operatorOf(val0), operatorOf(val1)];
    const funded: Array<[TestKey, bigint]> = [
      [val0, 100n * INF],
      [val1, 100n * INF],
      [worker0, INF],
      [worker1, INF],
      [client, 100n * INF],
      [other, 5n * INF],
    ];
    const numbers = new Map(funded.map(([k], i) => [k.address, BigInt(i)]));
    const seq = new Map<string, bigint>();
    const nextSeq = (k: TestKey): bigint => {
      const s = seq.get(k.address) ?? 0n;
      seq.set(k.address, s + 1n);
      return s;
    };
    const tx = (k: TestKey, msgs: Any[]): Promise<Uint8Array> =>
      signTxFast(k, msgs, { chainId: CHAIN_ID, accountNumber: numbers.get(k.address)!, sequence: nextSeq(k), gas: 400_000n, fee: 10_000n });
    const register = (val: TestKey, worker: TestKey): Promise<Uint8Array> =>
      signMultiTx(
        [val, worker].map((key) => ({ key, accountNumber: numbers.get(key.address)!, sequence: nextSeq(key) })),
        [{ typeUrl: "/inferchain.staking.v1.MsgRegisterWorker", value: MsgRegisterWorker.fromPartial({ operator: operatorOf(val), worker: worker.address, modelIds: [MODEL.id] }) }],
        { chainId: CHAIN_ID, gas: 400_000n, fee: 10_000n },
      );
    const submitJob = (fee: bigint, row: number): Any => ({
      typeUrl: "/inferchain.inference.v1.MsgSubmitJob",
      value: MsgSubmitJob.encode({ client: client.address, modelId: MODEL.id, input: sampleInput(1, BigInt(row)), inputUri: "", inputSha256: "", fee: fee.toString() }).finish(),
    });
    const genesis = {
      auth: { accounts: funded.map(([k], i) => ({ address: k.address, account_number: String(i) })) },
      bank: { balances: funded.map(([k, amount]) => ({ address: k.address, coins: [{ denom: "uinf", amount: amount.toString() }] })) },
      models: { models: [modelToJson(MODEL)] },
      inference: { params: { challenge_window_blocks: "3" } },
      staking: {
        validators: [
          { operator_address: op0, consensus_pubkey: Buffer.from(consPubkey(0)).toString("base64"), self_delegation: (10n * INF).toString(), moniker: "v0", commission_rate_ppm: 0 },
          { operator_address: op1, consensus_pubkey: Buffer.from(consPubkey(1)).toString("base64"), self_delegation: (30n * INF).toString(), moniker: "v1", commission_rate_ppm: 0 },
        ],
      },
    };

    dir = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-golden-"));
    app = await createInferchainApp({ dbDir: dir });
    await app.initChain({ time: { seconds: 1_700_000_000n, nanos: 0 }, chainId: CHAIN_ID, consensusParams: undefined, validators: [], appStateBytes: new TextEncoder().encode(JSON.stringify(genesis)), initialHeight: 1n });

    const hashes: string[] = [];
    const results: string[] = [];
    let height = 0n;
    /** One block; validator 1 signs every commit, validator 0 is absent on odd heights and nil on every fourth. */
    const block = async (txs: Uint8Array[] = []): Promise<void> => {
      height += 1n;
      const req = finalizeRequest(height, txs);
      const flag0 = height % 4n === 0n ? BlockIDFlag.BLOCK_ID_FLAG_NIL : height % 2n === 1n ? BlockIDFlag.BLOCK_ID_FLAG_ABSENT : BlockIDFlag.BLOCK_ID_FLAG_COMMIT;
      req.decidedLastCommit = {
        round: 0,
        votes: [
          { validator: { address: consAddress(consPubkey(1)), power: 30n }, blockIdFlag: BlockIDFlag.BLOCK_ID_FLAG_COMMIT },
          { validator: { address: consAddress(consPubkey(0)), power: 10n }, blockIdFlag: flag0 },
        ],
      };
      const fin = await app.finalizeBlock(req);
      await app.commit();
      hashes.push(hex(fin.appHash));
      results.push(fin.txResults.map((r) => `${r.codespace}/${r.code}`).join(","));
    };
    const job = (id: bigint): NonNullable<QueryJobResponse["job"]> => QueryJobResponse.decode(app.runQuery("/inferchain.inference.v1.Query/Job", QueryJobRequest.encode({ id }).finish())).job!;
    const workerKey = (address: string): TestKey => [worker0, worker1].find((k) => k.address === address)!;
    const result = (jobId: bigint): Promise<Uint8Array> => {
      const w = workerKey(job(jobId).worker);
      return tx(w, [{ typeUrl: "/inferchain.inference.v1.MsgSubmitResult", value: MsgSubmitResult.encode({ worker: w.address, jobId, output: sampleOutput(), cannotRun: false, reason: "" }).finish() }]);
    };

    await block([await register(val0, worker0), await register(val1, worker1), await tx(other, [msgSendAny(other.address, client.address, 1234n)])]);
    await block([
      await tx(client, [submitJob(1_000_003n, 1)]),
      await tx(client, [submitJob(2n * INF, 2)]),
      await tx(client, [{ typeUrl: "/cosmos.staking.v1beta1.MsgDelegate", value: MsgDelegate.encode({ delegatorAddress: client.address, validatorAddress: op1, amount: { denom: "uinf", amount: (5n * INF).toString() } }).finish() }]),
      await tx(other, [msgSendAny(other.address, moduleAddress("job_escrow"), 1n)]),
    ]);
    await block([await tx(other, [msgSendAny(other.address, val0.address, 10n * INF)])]);
    await block([await result(1n)]);
    const j2 = job(2n);
    while (height < j2.hardDeadlineHeight) await block();
    const again = job(2n);
    while (height < again.deadlineHeight) await block();
    await block([
      await result(2n),
      await tx(client, [{ typeUrl: "/cosmos.staking.v1beta1.MsgUndelegate", value: MsgUndelegate.encode({ delegatorAddress: client.address, validatorAddress: op1, amount: { denom: "uinf", amount: (2n * INF).toString() } }).finish() }]),
    ]);
    for (let i = 0; i < 4; i++) await block();

    // The sequence did what it says: a refused send, an overspend, a timeout and a late answer.
    expect(results[1]).toBe("/0,/0,/0,bank/7");
    expect(results[2]).not.toBe("/0");
    expect(job(1n).status).toBe(4);
    expect(again.attempts).toBe(2);
    expect(job(2n).late).toBe(true);
    expect(hashes).toEqual(GOLDEN);
  });
});
