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
 * reassignment would have failed).
 */
const GOLDEN: readonly string[] = [
  "1c6540c32052f8aac8bbfe94fde7488fe05761fa069b379482fa40fe681e3178",
  "8e17c5a7e38e15a4af8c5ea1c62a4f729a13958c80c16565043282f9e15cd381",
  "89f86d58ec26b1acbc7c41e3733b18cde9fcbe646207f2bf350cabf21626cc57",
  "af3a25268414cc25d2ace63f7540e1f0d6fd2506f7024a613c13d5fa3d5c46fd",
  "ae4463a68c14e361db70d8bf84bda68e5a96f1d83dbd9520f60ef28ac9c6e3d3",
  "0695e551a7fc3aad77331eb5fd2fb83d35dbc40dcd1872b44f8c75f1abee3e40",
  "5c1bbcd2b9052ba267706785a70f79a256719f87731a1c735aaddbc0002445e9",
  "3ed9931498cbd51d1e8c54a0b3bd7bf5c5ceb205604f57926a466a7641b403ef",
  "0b66928c3abe15d3c400bdb72d625be0570316b12ee5d290b138eebb5c11f2b3",
  "b108263bd693fb7f5c8b63af83c6352df57a47fe32d53324361b4aaaaff13338",
  "c811611d370897b060f05ef9496f8ad67c87e6e97090bcdb616add66418dfae3",
  "4b6db7573b02303788b216dc67094eef3022522347575a3f8599844e3342b8cd",
  "58f8a328e2f90b92d954c90b83af75b5d5c2d8a613f93649dfc854a238a52e97",
  "b5f4e569bd391949ecfd1dd30d0c04d06ed362be28428bfc2a09caa509912106",
  "c3d13e7024dad399e63145464efef16fc9fdb3fd6daa5b96834e19a1dbce6c79",
  "e0f635bb5ffffb94f6bbca8f4857028e14a38a8e16a69ffa388487fea0ea72ab",
  "433d16252d5092081204f6980c63202940cd00057ccddf971161b9fb55b81b70",
  "641651ace188148c145fb7de73b01e477ad95e535f33fb27c75134840c2fb04a",
  "6e04102cf092ffa1a509c415421e4e495f9d9164ee039c245d82dc460dab7253",
  "df49a61a9a9b3d30764c5b088c925156404084fb8383d8e0d8466f34315ae48d",
  "83f51a47fa823dbcbf841f0a8b20b2f409e80e4f735c6ac5004c7e75d8743847",
  "7f6afe76fb2dc6699c381c871264a11b010b9ddad001c1119cc2ce4ef94b570e",
  "628c109717b9599886f2257b4d0b2d196143f89556a11f262d99fe835a77a9c1",
  "2e5c3c8c2da2eae20a1a787d0592e7538c472c265809271ee995d867e40783c3",
  "87c58d97f4d478aec5d0a985868ac43baf51303740d1fba4be15d5f68e30f200",
  "b270106358f16b41ef82458d92c88e8c54461ee73a1e11915b83a608387ac39f",
  "bb9b6d0f933d500e523f2b7eea23c0cdaea4545718993e471177d0db4289660f",
  "60f5c6b3fca53d512ccfb29d4674e39988b91f903886fdd547c1e0af41d7727d",
  "4f1313a7b3705c40aea116b3d4d9195770fcfcac9791d73a428e9a1f307ef5c0",
  "fd76d2e7a6e7d881b5440b77ff1d5f78023d21b57703d014014d30e647e72dee",
  "c65c83eabaca1639df65a67fd6ca7c6badaacb0f383a332bcecd7d73ca49c008",
  "c2e373e6c1ec1747a6f5b3375570870d1edda34e8c24496661504af57fee8dae",
  "f8f03411a32c4ab21cf072002a55b3085b3117fd2743f11c4f7a30c1af1890a2",
  "41e698d4a906f6a53c6c4df21c1ff2f0e6a5b4ef1949ec0ff90339d0fbd103c1",
  "9b4530568f7c7c48c1449c49153c2b82aee5dfa4debe3ef7baebaebe133a251e",
  "824921dd16f88336d5555faf6613a2368d5995ffeb4bdc5025ab484dd96ea094",
  "a35ce27d866b1d95edbc55d7641d2f0b39656a687803768c55901eac0cc47678",
  "5dcfa52f8bd05407ad6b41fa442199c8d80b39f6bbcf9f7ea5c8e76212162406",
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
