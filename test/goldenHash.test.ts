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
 * gained bad_verification (the stored slashing params differ from genesis on).
 */
const GOLDEN: readonly string[] = [
  "cd5d2bfc3268a5335ea473e6c048c26c6cf40ba14a8bfe0f9c9b9255c1ca0ec7",
  "bdee71ecea1bf1763f1ab1543aa3041211ae7a35b56b293ccab1fe1c4d423c56",
  "b1dea029116077961b57f6d695443817551acb83b8a323169a85b4ab9c0b312d",
  "ca49fdb90a7b60d3d686dc82333ededcad1dad5d82fc5706a9984d69a479a3a7",
  "22ad161a1408aef35ecb752fd86819fe7b539f8fc851b86279426badf525e438",
  "a75462548dacac3bf76ad7a94ab093ae677f6b28c8430411a5bbdd8501ee5ba9",
  "04501689dd9ffbfde70161b3827877c892c1f783e6fd861d36501d31dcfe579a",
  "88102f2f62108cbcdd9c039909a3a22899c4deace0dc3003e6150fe21a9cbbe1",
  "c712c5320613c2a7b631664f2dd4f0573f5c18b2b4c3ee102a369aebe1fef0b8",
  "40ff2585d9d02fe1cbc09ef6056622ba421fc207264eaa07b6a8d9e4e1ca50be",
  "e6cc4607ff0c4c64dcedb0c352e5f23d98f37327f9a91224ca746ab8a9e4e896",
  "69d37a97d39daf941c3a1b7bfd7ad4caa7f3d0a01c91755a7271465a9966f2b1",
  "26c408c9bf1cee06d7e87f97e02646dfc950a449b440196d1aeb8070acb496ed",
  "caf00d3d7516920db2ff2b30ea3b339a88e79a058505b1b33532cb7292f3e15c",
  "728452246903dc93117cdbb9088f559efcfa1eaa0f9c923e2967f2f899318685",
  "26db8a6f44f1bed6f41d803b2de85312244f329330745f7108db631f5a782b7d",
  "db8868ca8899b78bf69c43b8be3bd0215fa98d8f2ce78db6934a5cc085acd36d",
  "35916530749f889601a205bd3f58b9a4a42aadedd99d4013388b1e5d933bf87d",
  "2f053acd9dfdb33825cbdf8a020e718b4461f3f200799ab0e05bf92117c75028",
  "e2ec19a391e41a6c04d3482aea7598d70f945ffc17c6e973cf0517eefc5c2b5f",
  "420e3c317d76282c99580b0c5ca5f53ca27c6ebbe854ab3a1690c3c27fbf6913",
  "bfe236a4aaca8d6ebd9e1e63d9a7bacede7b91e2f0e515b315d9cb9e9c7b4cbd",
  "3d2acb73e3ceca17ab53c5f6c6620b50ce6652a791ab8450010ca03534dc77f1",
  "90593479fe4b456b13b05791a7591944c8ee862c0f618ef517faec21cd1e0e7a",
  "82fa3a115e1697eec34991c5f4184ee555792a4a0c2021e104e09fe5c44a8c56",
  "2bfbcd91fde965e1fd91db222b34a28df390eda37de5febe054314097b44879f",
  "6257cc4d4e80277d15b974192a3902ed4ee977f28a28b5e9db4a414dd5aca104",
  "f6ed3329cbfe4f015b0f2331235c9aab29920c65fea67a18ea1792cdf675ce31",
  "16416adc91f5ec9dfa9334d9342ef47416220287f08fb7f3fb7095e58850fe36",
  "166448954195b1f7678e984e499be052d7f565fbfc1bf55c517095a9c1367e74",
  "54859e6a709aa2801831358fe845caedf02c430344986a9c3bf96c2117587a31",
  "fa3d6ce3a845048d611bfa2f12a9dcab7964083bdc45a7ef3377a65fa85a2f3e",
  "a45b6372ea891328b789f9ae253beb81a77f98c8e8ef9afd3cf67e362139f070",
  "ea37371ebbe32cc332c434d41eb89fd67050d57816c4536086b550dbc1041dda",
  "69245cd83be0316527b7fe4b27ae1c2d2198fbc7dfeee4fcbb8c652ff24fbf8e",
  "4ae96e4f5f8d76d421b28b158a48a6616a3a4265363640bbd6b297d805ff6daa",
  "25b2348756205c5cc4a14d7c7d9bc632593a0d90e6c6ac8b0f6b8fbacacceeb2",
  "db1aa7f8a211b342b6d128f7e27ae8311964b638d20cb22062e3a30067375c3e",
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
