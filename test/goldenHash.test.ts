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
 * per-job economic security (issue 10): x/challenge params gained safety_factor_ppm and
 * max_audit_rate_ppm (stored from genesis on: every block moved) and jobs their audit_rate_ppm;
 * the validators' stakes went from 10 / 30 to 80 / 90 INF so that job 2's fee of 2 INF is
 * secured by both at the base 5% (at 10 INF no validator but one could take it, and its
 * reassignment would have failed). Re-pinned for data availability (issue 10): x/challenge's
 * params gained da_response_blocks … max_da_expiries_per_block, x/inference's
 * max_uri_input_bytes, and x/slashing's default correlation_exempt_kinds data_unavailable; all
 * stored from genesis on, so every block moved.
 */
const GOLDEN: readonly string[] = [
  "ab1cea659293b99de615798fe13898dc26a71582667a409e458556776df74516",
  "d896fb6c967f6d6d6c9ce820dcacbcf99ac8e20de31a661e97ff77d8fa38fe28",
  "97d3a7024cadd3978fa8170b530a9893f8f4c20c6fc5a1b3e6f2887e76b3713b",
  "00de6c59dd91769f29cd30531789a82ce69a76c771dafeceff9837b04a6a4648",
  "5c82b2de6aca81369fc9cc6eb7c5b3f3668bd006bb00ec09be8563dfdbb466df",
  "a09a6262ec1ff0ede5dbe9038e0697bdc3564789d4b8fd6d2cac17733d6bf576",
  "5f2f27a3ad4f1260165a564b6aaa0246bcd95bd946db5c3932cef910fb76d9f6",
  "c4619e02be17a64426ffa9a9485ad168b88b9c6bbd74543969af34f6db1ba257",
  "c7ab3aafede884dbc594bbc70ab495669ddb1ea469eaa7b0851b6a8ac9c95d18",
  "35065d6f700206879c37097096757412bab0168ee76a84e879eddc6cc4ce453d",
  "aa61e523d6814a64dc2941b741c98e0111e78bc81933e4484c081e3230bcad1e",
  "b90540199fdabc8aec59fb31903aac23188682d00b7a733a60fb2ebb7d8a560d",
  "3fc094b19a5015a83f99fa023a318f7c3b5fa8f7496866554622ac437304c2ff",
  "9c1e9ada50182521134e09f8e70b8afd88c5f0e0067403cb1174c36f30ad951a",
  "2808744c9a302452d2f8fe0be9c6d5227a4029557c5be73d09527dd618403b69",
  "204f674e9bbefb9523254fecdd9e67b9867721471ec1537098db5320cd1af67c",
  "690c4ddc0f2cdeda4ce83231397c97aedb14a52674d991a50313f0e4ed1429be",
  "83a8717f9a939f15c81e900fc5f402e04fa47ba5bc47dbbc53a366b302a8b9db",
  "faf47e9c0038018eed8da237d4ba1f98298eebe8754930c080f6a1081e51a770",
  "9f0dd89b758d5aa9789068075ecfe037579cd65666c459c3a3db4b1bda1c5fbc",
  "1dd0aa95f0dd22361e4ec11f82d5d9f2e65e3f2800a220aa996dd2d005612c49",
  "df3d662b37d0dd8a2356ed0cc1fdeb9bfb43522cce4943bf7c22069af13c445c",
  "68ef1f69bec6d5798e4a8408f4fc3c1d86e7ee5613af2ff7325ff5de451749f9",
  "0917ed6d90fc473daa41f530041096fa8ea35f6af572a73c112b9e878b2e6091",
  "71940ff3b994f47ecf0cc1fd463435f21a32df090e4524e404cd3d04eef574ff",
  "23bafa0af4f24f0bd89a4534830cc25c1fbf9581d4c23eebb044c816031b1514",
  "9d71ee48bb5698204140d19892f903bfaf9a2c3591827f66e8cb1561f912e5d7",
  "6a5f1a29c6ea78e49ebbff21516dc476e95520b67b9ebc3d944f8ccec434d67a",
  "3f8fb4aa982e9b484c74847def9ff8e40385e5aecbbfe45225e7979337684e4b",
  "94905b10dc711ce84c30be3a482a623d1f2b2ed499a6860d0a22044be430db61",
  "7ec2039eb19abd6197a852bdc615f7d498475d97cd16e6c72e99a43cf5a4b71e",
  "154c28acccdb6430aac84822c1139ea7dc06e9c362b71ff4fcb22eba1251cd9e",
  "adfe8c6f447c384fe50516c086dbd4c9906d6449ecaa1e746e28bec0167156e6",
  "9ef81a9463883c9ec5fb912e0ac53ff491402443e009221765497487d6c69b7c",
  "f36cb8307f841d5cc70e99d9a6b053b5dff9d641d9ea2a766cc8f1332111f495",
  "f5b986cb42b588a032a8a5bc619adc95f068fe0f8f7fa8950acd6b58d75dfeec",
  "075a3d6e7638534299794b9bc706c9113278d99cb434794c49efb3bd1f0effca",
  "117ebbd05f2d085a9a3ae018bd2968d5b6b86b00b1a604143146a325527add9f",
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
          { operator_address: op0, consensus_pubkey: Buffer.from(consPubkey(0)).toString("base64"), self_delegation: (80n * INF).toString(), moniker: "v0", commission_rate_ppm: 0 },
          { operator_address: op1, consensus_pubkey: Buffer.from(consPubkey(1)).toString("base64"), self_delegation: (90n * INF).toString(), moniker: "v1", commission_rate_ppm: 0 },
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
