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
 * is the same after each block. Re-pinned when x/slashing's default correlation_exempt_kinds
 * gained bad_verification (the stored slashing params differ from genesis on). Re-pinned for
 * data availability (issue 10): x/challenge's params gained da_response_blocks …
 * max_da_expiries_per_block, x/inference's max_uri_input_bytes, and x/slashing's default
 * correlation_exempt_kinds data_unavailable; all stored from genesis on, so every block moved.
 */
const GOLDEN: readonly string[] = [
  "c70a1615927d74e99dffa0d59b5ecb6f8d4669907c2b74ca2abb8b22a1178f26",
  "40b697b5e501e3f96908d3b44ea7b97aaff1e3492a00f24130aa74c6a881ec5e",
  "617e9c8b2326d8d1064b89d8f0d2f68097f1252bf3c8c44f252c8ddfbd5ca74d",
  "3ad26d502c4fae03a2e9878baac7d25580466c98a6c227bd88f69b0ffb7cfc5b",
  "e2906120481d3fae9cc2f97eb5b452391bda95de53b8cf71bf4e397147abc0c5",
  "21a65b0bad475a115dd7bc5a8f0573f2422bbfbdb7c9bf00539d5a3388e26320",
  "323e5929921189b8eefccc7b794416ab31608498684bd609d2dd4436bbe4f763",
  "3458ddc02f1e5024fccd8573f439be51cf428a8bc68712c03f3c7421d33b42d3",
  "75763920357431dff91ca992bab45c94422f54e55af62deb8b4a72f582744426",
  "85b5fe1db5aadc66f47425716b54b3b8f0979979d8dfb6b1c9306deba34a28c7",
  "12dac9464578cd66c44802df479a9e54fcf01435e02914ea2e64a79aa480174b",
  "faefcc02b7e52c1b64dbd1bda6e8131950a52f5bb2c3da6cfc64e8426234a664",
  "0af4bc8989dedee66030ee875b9d2049341b1c03a09acd5e8b78bb2534aab392",
  "e2112f1d2be138a9c3f99ee5e18396e14dcda5f1beb643a3a5d25c8a28fbdead",
  "bbb1176650e1d0511d986ae290a53033c441552f1e3e21903e555e6bbd1fc44f",
  "543be46155d762da5ba977c7c182256b05afc18cd992a40a06631ac82c402b41",
  "a6e7027f4325cda355f3e264641698b39f71d3efeb33c3490283f47e5db92753",
  "e6e718b99b62cbc7eb2eb45c55cffeaee71406b1296e88fb900473bae6252f62",
  "dd546097c0680ed23db158a52bf7932c65a2777e86d4805ac2b0c2f3c0b3e455",
  "428ae82d7fd6818536a7f70ad1c32f9fdfdbcab082a316e7b0a8366da0e81ace",
  "8b17c4fbf63942fea4fd60333337b24a7a8f1d4f5f36d64276e9d359c0416e23",
  "519b48f205265b224aba6228f624c413dea42478f5dec75567ed8b08251f8623",
  "cab046c8be22be44398ec615701f5f84d1cc478039cfd9bc1e1e759a1ff8c498",
  "2342ce0de0c49eb71ccffdc0d4108dd18d9c2a10cd73204ce6c9f6c826933218",
  "f5ceb1cbacbe3815e36abfe00451f29b7447a62f2635a38871d9ef1a6d8486f0",
  "a9b49271d4fe513e99b708757f54fda58b9cee533768fcd2581230f1886015d8",
  "1f94d1ddda6657fec96dc854a5b0fc068152a69ab1e36f4a517aa14b13315275",
  "0d49929206db07bdf7b16696d28d130e443c92bba8145e805e51ed763b896b5c",
  "d3bb2514993ddc1b5ae547de1ab0c8a17defc8fc6aa299cdaa3832ddd00a2b93",
  "5e3d16c70927c5f80bf83bdcac1b4f7b126b0aff2278fd491d28fd922b9b13ac",
  "d34f3d12a8d4f979f9cd5b806ecb9014d226d62219a8e92086177e9100bf0e80",
  "14c29bdb905cdd87205b19f1cb9372fc7ad3f46d656f581b25c8f8b6da698e89",
  "ab04a3582c355ba7dbe5042724843cacf60c819ab8624d915d0b71b9d64c12c1",
  "ebfb43e53fbdd18e11efdb8268e126f45bd3667e0fa646281423a8fcbdf87a7c",
  "a0fc2f90cfccacd185ef32ea7d348edc2a0a7ba6d3347e5eb52470364ac79d9e",
  "c0133c6baf2239b253e1b24c13dee40d63400ae288482c0c06ca4c1671e6f5a9",
  "fe9e17c4bbb9b9b5aafb0a36fc2aa14f71c3383ab88ff3c160d23c5ab5b511f3",
  "43eac9b0a0f9cdff1e76654323b03219c27ffcf4d87ac12b54b4e713f66538c6",
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
