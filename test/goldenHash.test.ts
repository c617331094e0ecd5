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
import { sampleInput, sampleOutput, sealFor } from "../x/inference/testutil";
import { sampleModel } from "../x/models/testutil";
import { finalizeRequest, hex } from "./support/chain";
import { msgSendAny, signMultiTx, signTxFast, testKey, type TestKey } from "./support/txs";

const CHAIN_ID = "golden-hash-1";
const INF = 1_000_000n;
const MODEL = sampleModel();

/**
 * App hash (hex) after each block 1..GOLDEN.length. Re-pinned for issue 9's sealed results
 * (MsgSubmitResult carries a commitment and a sealed output; Job records the client's key):
 * block 1 is as before, every block from the first job on moved.
 */
const GOLDEN: readonly string[] = [
  "747b690601ba9addee1bda0b4ee3ce969a200e1f3909b16670ca6b78f9988ff5",
  "09a3735452c851ba0c2bcd1d96be96a1b7fa6b72dc1d7bf166f921849b469c36",
  "79bf9c49166287f9a255e074303795d02b5939350eefba975215a4a93ed45c4f",
  "7fa89109ca90f4dafe45c232d7600e009dbaa862a7ea895467f39989ac42c235",
  "22ee8947e6accbce8e8c4788a8fe50435a37ed4bf035abb085239a265a445092",
  "974685d051458d506c0d44072cff97f8592047a07e453e7e9875c2127a715704",
  "db6479cecebb4c0a8045bf57d71f570e9a1772c2aa02dced343aec4ceccc013a",
  "ecb59b52db2d2fb0fdee53497fc25a1b1279a7a15e8cb91169c30f08824614d7",
  "4f4ed48d7d1dac50e856cac3ac1fb37dc813df289bb21672e64b847315d87b69",
  "9b8ead8271be6c2cd6c9dc6a245ed30762492f2c815753adbb33c6c2ced3c85c",
  "c1740718b99f3ad5fd648e751cbf7c506b0ca63e3422e60eb5711b32d7165f6e",
  "5bb24b5a36558aa7ee6c0aae841c98cb03df54d9219a2600236dc4c41653fd5c",
  "c56f29094ab295cdbe5fc84d3fe62046385089ec6e7cb8babfb8691ebc5dd64a",
  "9038f4006f8741b38a03886ffd3f3e56b58161c0643c8149d032e58b296f514a",
  "183f2a87b29bbc29a89060c0d2e95d43546d0c64fb90e6581b924c2a80291f33",
  "2ea679b4c15aada58a8353832abb343127f35213ef6971509e8dcb82920e9fe6",
  "f099d46baef0cd912908b76623d7a590604595fa0b63a28a26f847bfeb79e01f",
  "0d64fdf633e6f5c169efeb9df4c02e069a8069a3fdef3e5d3a9e5f743b5eca3a",
  "8c80c910110f76efef348d633944f892bff2e066a208e25b85d1bdd5aa780430",
  "163ef5782d8b04efb80a949fb62a5e6670e770670a089b53b09b40be3b291ede",
  "a2684a75cdce4207cdc959671ee91c9c03ffcf2be72ede1cbf9a7af4872b6bd2",
  "b3fe93a54b46727e8e800eeefda1d53e42370352eb46b88905659d742c31e1a2",
  "b5d476107e655c996c6f7e4fa8fe5ccefecc7288230ecf5f62ddf6b173415ff5",
  "0916d27ac937c2bb26c21a758e18a8f9ba1f5b584bf7c48dd60d1ba800321317",
  "550b8ae404b6c99abd959fe2d267c46236340912b6f469bd35ea6046070a7600",
  "1e4a3c9a5f91f2c1812d23ac4d22f7e80363afdf70cb87913d82e51eaf56fb3c",
  "c09ee5212028f38366687b09ed232991d4856cd38fff4dd09782023bc7a69d4b",
  "82d047fdd8a8aefd057e9feee986e2f995040434c5802e1673e3a36352f23618",
  "67c552c1364d6f8f415f44ecba68b3a21281313406a3f9de93cd523f04e427a6",
  "f2394cf3f1148d88e00723e9b0374166943e445c92d03b2796accb24f8741fc4",
  "819b35d03578f185934807f66ba7c94578389bac85d07fbfb9824f0a6e382721",
  "df93e6538331fb370f02ccb9be825a58253040d30c8b8d634b520b786242a575",
  "ca9150bb25708f21cbf6c0712929d2c5c7feba1a48252bd4a8101ca5602dab80",
  "22f85a291030ddcb278291493b34b301e31ffcddb350e28335ba859977eaf36c",
  "b5ecdfa8591d47d43b0d446a30a47a33d5bd2c0a1d3015991e2d589e310678fd",
  "b7ec172cb41bc432b8f9525bfcec03eeba0199006a0617580c2eca9b5a8e4527",
  "cc08ddcf28df0690a1c70db3d38fe604496fef65e80c70bb5f7e2eead4e5913f",
  "c89cac149672a1d264a012c04c55d2f3070bf44db82a5588a226928a705e7e7e",
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
      const j = job(jobId);
      const w = workerKey(j.worker);
      // Sealed to the client's key (the job records it), with a salt and ephemeral key fixed per job.
      const s = sealFor({ id: jobId, worker: w.address, clientPubkey: j.clientPubkey }, sampleOutput());
      return tx(w, [{ typeUrl: "/inferchain.inference.v1.MsgSubmitResult", value: MsgSubmitResult.encode({ worker: w.address, jobId, commitment: s.commitment, sealedOutput: s.sealedOutput, cannotRun: false, reason: "" }).finish() }]);
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
