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
 * block 1 is as before, every block from the first job on moved. Re-pinned for x/challenge's
 * genesis state (6f28158) together with issue 12's liveness layout (x/slashing writes a counted
 * validator's signing info only when more than the height changes, plus `slashing/liveness/*`):
 * every block moved; against 6f28158 alone, every other key and every signing info as queried
 * is the same after each block.
 */
const GOLDEN: readonly string[] = [
  "3fecb4653b3a90e3684ae61ddd97ab8cb3b29e6f699537ce9e5ba6e03af82790",
  "f8e4589831e0a2d5c73c611789890dbb07743b6dcc7e11d68b8c491ae92674b6",
  "7e9dbae006e552761632851e67c3be52f8ae6397c3b371a9d48fd9323a0e3f3e",
  "a746a11f039eaffd36289387b5430ac749562f747ac86893590b600e1aa20be4",
  "b37eeb2676dcbade182a77e416cccfdf3e767f50c5f4ec15566f04158cac8a90",
  "bc3476cbd7699e64b35fa015e1ca00377e32bb6ebbd3ed860caf908156251193",
  "34dbd88b0afab99475566a6955770828ffc845b715fb5eb2492cefc33751cc98",
  "5c6b597202cae598f259c9d8f3c77a4baa6e0e0c3d120373ea386e6fc0987099",
  "c175817b13d3e3dd370fe2ff4c1fc55fb913485746665bc12f57acca76ed0180",
  "f0855e523d9976d17c77d604f9e1a03961fc797848bc393daaae3b2c06d96424",
  "b47b43bfcd02a66013031402c171f74878b4ac0ec9e00a04b6e4222742d44796",
  "49ed4aeb41275d6af72c567f6eda030eedb73f3bf58a83069095496ffc2dc439",
  "b308aa2ecd03325b2ffa5b143c14af9f5cceca4b65385187ecbd99faa7a1dc6b",
  "de297a55a40d6ff76668d2c9c63732e1ac929748ff649bd3bcbed20b6848f435",
  "799d9a8019c507e2d351e3dbe4a64569acaf21d2316a1cbf96ac5cd3576d0467",
  "bca6f332497b1df60497c3a7f1c9df9c0037fc5299b4f3746fbae2547c703ade",
  "aa7d0ead26ce1a770bd6c49d10c2ea4d086e751de95fe44cfb6e686edc73ea95",
  "94d7d4b4d0d266785dd1223a4bd539df5afd8ee16c604c2bf9968655d8a1b60a",
  "b80b745afb0776335081626cf10f915e6000783d9a2dc319aec089e1b90b4a9c",
  "43bce1ff3c35724ff76749f51d7b0a774b62e99717c90917223b7e65687d064e",
  "1c9ea6a4bbef10d88dd0455420c48865d8ea7000ef18f9626c742e937728edb0",
  "f830d9f4c7e9088a69a664cd6f7712ff740cf5586fdc591d2195d41742a42692",
  "8e20555682fda5e2c32cb82a6564c3fc7117ae269633694a068c159c6670875e",
  "f69528a6c4edbc433a8d377c53706f6f18bbf1bb0a4ef37c332e9b2128ae2bbb",
  "4811ae36d2664364d17812481ce19f19c258c2a498952ada0655e4a4d88de4f2",
  "9ace0615f5a1e8c7b5e6a5844ff5339f42c0ed5c1316166b870e980b71ee59f9",
  "3febc77f93744fa1bcc3b9f8c597ab3e1ff99439c1e17026e4a13079a33057c9",
  "4a26f9e60c4f55de44a139f7ab04c1771eee4fe3d2bd0c7888439891d6a4863d",
  "c0b7ad51557b5887c201ba3bef7c6ccd98ca91fef709e9873f978f5d0b75db8b",
  "3a708681f4355e9b62dde27a0fb1cf7b0ba37ebfb4ce5935820f4da16f496a24",
  "a773e0da06f217d6947197abe75d46b7b73a545513ceab41a02efcb589364dd2",
  "f592a552b0902c06ec1e88721d746080012d3d9d6c19dda9ea367db67e0f9037",
  "8d585517ca8580f603b1b8458d36c15cce2657084ab1d8d24923db1f211da072",
  "27656fc274219f13f8c15c740210d21f09bf71fd0047931de173fd7bf2180c74",
  "401f017b56121ec8ac9e71766a05d3e3f972f33d94b71d331bb4a5d0206bbaa6",
  "6854020693376f16525150bcd4c246bb77bce7f64c6f3b39aadfd6bb12292d0f",
  "f455dfe629df1767d6454626d310bc7575e9497015ac648af399695cd59edfb4",
  "dabbf5ace6631e515bf0907d1fbe6058384cf71df7f17dc40b5cfe61882a55ca",
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
