/**
 * x/inference inside the real app (app/app.ts's wiring: auth, bank, models, inference,
 * slashing, staking over LevelDB): genesis with two validators and a model, workers registered
 * by signed txs, jobs submitted by a signed tx and assigned at EndBlock, a result from the
 * assigned worker key, the challenge window, finalization — and a job whose worker never
 * answers, penalised from its stake (a fee-sized cut to the treasury, through x/slashing) and
 * reassigned, with the stake change in the same block's validator updates. Every uinf is
 * accounted for.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as protoLoader from "@grpc/proto-loader";
import { fromBech32, toBech32 } from "@cosmjs/encoding";
import { sha256 } from "@noble/hashes/sha2.js";
import { QueryValidatorRequest, QueryValidatorResponse } from "cosmjs-types/cosmos/staking/v1beta1/query";
import type { Event, ResponseFinalizeBlock } from "cosmjs-types/tendermint/abci/types";
import type { Any } from "cosmjs-types/google/protobuf/any";
import { MsgSubmitJob, MsgSubmitJobResponse, MsgSubmitResult } from "../../gen/inferchain/inference/v1/tx";
import { QueryJobRequest, QueryJobResponse, QueryJobsRequest, QueryJobsResponse } from "../../gen/inferchain/inference/v1/query";
import { MsgRegisterWorker } from "../../gen/inferchain/staking/v1/tx";
import { QuerySlashEventsRequest, QuerySlashEventsResponse } from "../../gen/inferchain/slashing/v1/query";
import { TxMsgData } from "cosmjs-types/cosmos/base/abci/v1beta1/abci";
import { createInferchainApp } from "../../app/app";
import type { BaseApp } from "../../base/baseapp";
import { moduleAddress } from "../../base/types/address";
import { protoIncludeDirs } from "../../base/protoIncludes";
import { balance, finalizeRequest } from "../../test/support/chain";
import { msgSendAny, signMultiTx, signTxFast, testKey, type TestKey } from "../../test/support/txs";
import { modelToJson } from "../models";
import { JOB_ESCROW_MODULE, VERIFICATION_POOL_MODULE } from "./keeper";
import { inferenceModule } from "./module";
import { openSealedOutput } from "./seal";
import { MODEL, sampleInput, sampleOutput, sealFor, testSetup } from "./testutil";
import { JobStatus } from "./types";

const CHAIN_ID = "inference-module-1";
const INF = 1_000_000n;
const TX_FEE = 10_000n;
const GAS = 400_000n;
const SLA = MODEL.slaBlocks;
const WINDOW = 3n;

function attrs(events: readonly Event[], type: string): Array<Record<string, string>> {
  return events.filter((e) => e.type === type).map((e) => Object.fromEntries(e.attributes.filter((a) => a.key !== "msg_index").map((a) => [a.key, a.value])));
}

describe("inference module", () => {
  test("registers its messages and queries once each, and its proto files describe them (gRPC reflection)", async () => {
    const m = inferenceModule(testSetup().k);
    expect(m.msgHandlers?.map((h) => h.typeUrl)).toEqual([
      "/inferchain.inference.v1.MsgSubmitJob",
      "/inferchain.inference.v1.MsgSubmitResult",
      "/inferchain.inference.v1.MsgOpenResult",
      "/inferchain.inference.v1.MsgUpdateParams",
    ]);
    expect(m.queries?.map((q) => q.path).sort()).toEqual(["/inferchain.inference.v1.Query/Job", "/inferchain.inference.v1.Query/Jobs", "/inferchain.inference.v1.Query/Params"]);
    const pkg = await protoLoader.load([...(m.protoFiles ?? [])], { includeDirs: protoIncludeDirs(), keepCase: true });
    for (const p of m.queries?.map((q) => q.path) ?? []) {
      const [, service, method] = /^\/(.+)\/(\w+)$/.exec(p) ?? [];
      expect((pkg[service] as Record<string, unknown> | undefined)?.[method]).toBeDefined();
    }
    const msgService = pkg["inferchain.inference.v1.Msg"] as Record<string, unknown>;
    for (const name of ["SubmitJob", "SubmitResult", "OpenResult", "UpdateParams"]) expect(msgService[name]).toBeDefined();
  });
});

describe("x/inference in the app, block by block", () => {
  let dir: string;
  let app: BaseApp;
  let val0: TestKey;
  let val1: TestKey;
  let worker0: TestKey;
  let worker1: TestKey;
  let client: TestKey;
  const seq = new Map<string, bigint>();
  const numbers = new Map<string, bigint>();
  let height = 0n;
  /** Genesis balances. */
  const start = new Map<string, bigint>();

  const operatorOf = (k: TestKey): string => toBech32("infervaloper", fromBech32(k.address).data);

  async function tx(key: TestKey, msgs: Any[]): Promise<Uint8Array> {
    const sequence = seq.get(key.address) ?? 0n;
    seq.set(key.address, sequence + 1n);
    return signTxFast(key, msgs, { chainId: CHAIN_ID, accountNumber: numbers.get(key.address)!, sequence, gas: GAS, fee: TX_FEE });
  }

  /** Txs a key signed without paying the fee (the second signer of a co-signed tx). */
  const feeless = new Map<string, bigint>();

  /** A tx `payer` and `cosigner` both sign (MsgRegisterWorker: the operator, then its worker key). */
  async function cotx(payer: TestKey, cosigner: TestKey, msgs: Array<{ typeUrl: string; value: unknown }>): Promise<Uint8Array> {
    const signers = [payer, cosigner].map((key) => {
      const sequence = seq.get(key.address) ?? 0n;
      seq.set(key.address, sequence + 1n);
      return { key, accountNumber: numbers.get(key.address)!, sequence };
    });
    feeless.set(cosigner.address, (feeless.get(cosigner.address) ?? 0n) + 1n);
    return signMultiTx(signers, msgs, { chainId: CHAIN_ID, gas: GAS, fee: TX_FEE });
  }

  async function block(txs: Uint8Array[] = []): Promise<ResponseFinalizeBlock> {
    height += 1n;
    const fin = await app.finalizeBlock(finalizeRequest(height, txs));
    await app.commit();
    for (const [i, r] of fin.txResults.entries()) if (r.code !== 0) throw new Error(`block ${height} tx ${i}: ${r.codespace}/${r.code} ${r.log}`);
    return fin;
  }

  async function blocksUntil(h: bigint): Promise<ResponseFinalizeBlock[]> {
    const out: ResponseFinalizeBlock[] = [];
    while (height < h) out.push(await block());
    return out;
  }

  function query<T>(p: string, data: Uint8Array, codec: { decode(b: Uint8Array): T }): T {
    return codec.decode(app.runQuery(p, data));
  }

  const job = (id: bigint): NonNullable<QueryJobResponse["job"]> => query("/inferchain.inference.v1.Query/Job", QueryJobRequest.encode({ id }).finish(), QueryJobResponse).job!;

  const tokens = (operator: string): bigint =>
    BigInt(query("/cosmos.staking.v1beta1.Query/Validator", QueryValidatorRequest.encode({ validatorAddr: operator }).finish(), QueryValidatorResponse).validator!.tokens);

  const submitJob = (fee: bigint): Any => ({
    typeUrl: "/inferchain.inference.v1.MsgSubmitJob",
    value: MsgSubmitJob.encode({ client: client.address, modelId: MODEL.id, input: sampleInput(), inputUri: "", inputSha256: "", fee: fee.toString() }).finish(),
  });
  /** The worker's result, sealed to the key the job records for its client. */
  const sealed = (worker: string, jobId: bigint): ReturnType<typeof sealFor> => sealFor({ id: jobId, worker, clientPubkey: job(jobId).clientPubkey }, sampleOutput());
  const submitResult = (worker: string, jobId: bigint): Any => {
    const s = sealed(worker, jobId);
    return { typeUrl: "/inferchain.inference.v1.MsgSubmitResult", value: MsgSubmitResult.encode({ worker, jobId, commitment: s.commitment, sealedOutput: s.sealedOutput, cannotRun: false, reason: "" }).finish() };
  };

  beforeAll(async () => {
    [val0, val1, worker0, worker1, client] = await Promise.all([testKey(201), testKey(202), testKey(211), testKey(212), testKey(221)]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-inference-"));
    app = await createInferchainApp({ dbDir: dir });
    const funded: Array<[TestKey, bigint]> = [
      [val0, 100n * INF],
      [val1, 100n * INF],
      [worker0, 1n * INF],
      [worker1, 1n * INF],
      [client, 100n * INF],
    ];
    const genesis = {
      auth: { accounts: funded.map(([k], i) => ({ address: k.address, account_number: String(i) })) },
      bank: { balances: funded.map(([k, amount]) => ({ address: k.address, coins: [{ denom: "uinf", amount: amount.toString() }] })) },
      models: { models: [modelToJson(MODEL)] },
      inference: { params: { challenge_window_blocks: WINDOW.toString() } },
      staking: {
        validators: [
          { operator_address: operatorOf(val0), consensus_pubkey: Buffer.from(sha256(new TextEncoder().encode("cons-0"))).toString("base64"), self_delegation: (80n * INF).toString(), moniker: "v0", commission_rate_ppm: 0 },
          { operator_address: operatorOf(val1), consensus_pubkey: Buffer.from(sha256(new TextEncoder().encode("cons-1"))).toString("base64"), self_delegation: (90n * INF).toString(), moniker: "v1", commission_rate_ppm: 0 },
        ],
      },
    };
    funded.forEach(([k, amount], i) => {
      numbers.set(k.address, BigInt(i));
      start.set(k.address, amount);
    });
    const init = await app.initChain({ time: { seconds: 1_700_000_000n, nanos: 0 }, chainId: CHAIN_ID, consensusParams: undefined, validators: [], appStateBytes: new TextEncoder().encode(JSON.stringify(genesis)), initialHeight: 1n });
    expect(init.validators.map((v) => v.power).sort()).toEqual([80n, 90n]);
  });

  afterAll(async () => {
    await app.store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("submit → assign (next block) → result → challenge window → finalized; a silent worker pays a fee-sized penalty and is replaced; balances add up exactly", async () => {
    const op0 = operatorOf(val0);
    const op1 = operatorOf(val1);
    const workerOf = new Map([
      [op0, worker0],
      [op1, worker1],
    ]);

    // Block 1: each operator authorises its worker key for the model.
    await block([
      await cotx(val0, worker0, [{ typeUrl: "/inferchain.staking.v1.MsgRegisterWorker", value: MsgRegisterWorker.fromPartial({ operator: op0, worker: worker0.address, modelIds: [MODEL.id] }) }]),
      await cotx(val1, worker1, [{ typeUrl: "/inferchain.staking.v1.MsgRegisterWorker", value: MsgRegisterWorker.fromPartial({ operator: op1, worker: worker1.address, modelIds: [MODEL.id] }) }]),
    ]);

    // Block 2: two jobs; none is assigned in the block that included it (its proposer would
    // choose the seed too: issue 7), so both are drawn at the end of block 3.
    const fee1 = 1_000_003n;
    // 2 INF: faking it must lose 4 INF in expectation, so at the 25% max audit rate and a 100%
    // slash it needs 16 INF bonded (x/challenge security.ts), and 80 INF to be audited at the
    // base 5% only (a raised rate would audit it here and hold it in a dispute: not this test's
    // subject; x/challenge's abci tests have that).
    const fee2 = 2n * INF;
    const b2 = await block([await tx(client, [submitJob(fee1)]), await tx(client, [submitJob(fee2)])]);
    expect(MsgSubmitJobResponse.decode(TxMsgData.decode(b2.txResults[0].data).msgResponses[0].value).jobId).toBe(1n);
    expect(attrs(b2.txResults[1].events, "job_submitted")).toEqual([{ job_id: "2", client: client.address, model_id: MODEL.id, fee: "2000000uinf" }]);
    expect(attrs(b2.events, "job_assigned")).toEqual([]);
    expect(await balance(app, moduleAddress(JOB_ESCROW_MODULE))).toBe(fee1 + fee2);

    // Block 3: the escrow refuses plain sends (a module account in MODULE_ACCOUNTS); the jobs are assigned.
    const send = await app.finalizeBlock(finalizeRequest(height + 1n, [await tx(client, [msgSendAny(client.address, moduleAddress(JOB_ESCROW_MODULE), 1n)])]));
    await app.commit();
    height += 1n;
    expect(send.txResults[0]).toMatchObject({ codespace: "bank", code: 7 });
    const assigned = attrs(send.events, "job_assigned");
    expect(assigned.map((a) => [a.job_id, a.deadline_height, a.hard_deadline_height])).toEqual([
      ["1", String(3n + SLA), String(3n + 2n * SLA)],
      ["2", String(3n + SLA), String(3n + 2n * SLA)],
    ]);
    for (const a of assigned) expect(a.worker).toBe(workerOf.get(a.operator)!.address);
    // Each job's audit rate (per-job economic security): ⌈2 × fee × 10^6 / stake⌉ ppm, at least 5%.
    const stakeOf = new Map([
      [op0, 80n * INF],
      [op1, 90n * INF],
    ]);
    for (const [id, fee] of [
      [1n, fee1],
      [2n, fee2],
    ] as const) {
      const j = job(id);
      const needed = (2n * fee * 1_000_000n + stakeOf.get(j.operator)! - 1n) / stakeOf.get(j.operator)!;
      expect(j.auditRatePpm).toBe(needed > 50_000n ? needed : 50_000n);
      expect(assigned.find((a) => a.job_id === String(id))!.audit_rate_ppm).toBe(String(j.auditRatePpm));
    }

    // What a restarted sidecar asks: my ASSIGNED jobs.
    const j1 = job(1n);
    const j2 = job(2n);
    const mine = query(
      "/inferchain.inference.v1.Query/Jobs",
      QueryJobsRequest.encode({ status: JobStatus.JOB_STATUS_ASSIGNED, client: "", worker: j1.worker, pagination: undefined }).finish(),
      QueryJobsResponse,
    );
    expect(mine.jobs.map((j) => j.id)).toContain(1n);

    // Job 1: its worker answers (on time); job 2's worker stays silent.
    const w1 = [worker0, worker1].find((k) => k.address === j1.worker)!;
    const b4 = await block([await tx(w1, [submitResult(w1.address, 1n)])]);
    const commitment = Buffer.from(sealed(w1.address, 1n).commitment).toString("hex");
    expect(attrs(b4.txResults[0].events, "result_submitted")).toEqual([
      { job_id: "1", commitment, operator: j1.operator, worker: j1.worker, late: "false", cannot_run: "false", reason: "", result_height: "4", challenge_end_height: String(4n + WINDOW), penalty: "0uinf" },
    ]);
    // Sealed to the client's account key, which the chain took from x/auth when the job was
    // submitted (the ante handler had just set it): only the client reads the output.
    const posted = job(1n);
    expect(Buffer.from(posted.clientPubkey)).toEqual(Buffer.from(client.pubkey));
    expect(posted.output.length).toBe(0);
    expect(Buffer.from(openSealedOutput(1n, posted.sealedOutput, client.privkey).output)).toEqual(Buffer.from(sampleOutput()));
    const fin = await blocksUntil(4n + WINDOW);
    expect(attrs(fin[fin.length - 2].events, "job_finalized")).toEqual([]);
    expect(attrs(fin[fin.length - 1].events, "job_finalized")).toEqual([
      {
        job_id: "1",
        operator: j1.operator,
        worker: j1.worker,
        recipient: toBech32("infer", fromBech32(j1.operator).data),
        fee: "1000003uinf",
        worker_amount: "850003uinf",
        verification_amount: "100000uinf",
        protocol_amount: "50000uinf",
        cannot_run: "false",
        refund: "0uinf",
      },
    ]);
    expect(job(1n)).toMatchObject({ status: JobStatus.JOB_STATUS_FINALIZED, finalizedHeight: 4n + WINDOW });
    expect(await balance(app, moduleAddress(JOB_ESCROW_MODULE))).toBe(fee2);

    // Job 2 times out at its hard deadline: a penalty of 1× the fee from stake to the treasury
    // (issue 7: sized by the job, not 1% of the stake; the client is not paid from stake), and
    // the other validator drawn (the only one left); the stake cut shows in this block's updates.
    const silent = j2.operator;
    const stakeBefore = tokens(silent);
    const [timeoutBlock] = (await blocksUntil(j2.hardDeadlineHeight)).slice(-1);
    const penalty = fee2;
    expect(tokens(silent)).toBe(stakeBefore - penalty);
    expect(attrs(timeoutBlock.events, "job_timeout")).toEqual([{ job_id: "2", operator: silent, worker: j2.worker, attempt: "1", penalty: "2000000uinf" }]);
    expect(attrs(timeoutBlock.events, "slash").map((s) => [s.kind, s.validator, s.amount, s.jailed])).toEqual([["no_response", silent, "2000000uinf", "false"]]);
    const consKey = sha256(new TextEncoder().encode(silent === op0 ? "cons-0" : "cons-1"));
    expect(timeoutBlock.validatorUpdates).toEqual([{ pubKey: { ed25519: consKey }, power: (stakeBefore - penalty) / INF }]);
    const again = job(2n);
    expect(again).toMatchObject({ status: JobStatus.JOB_STATUS_ASSIGNED, attempts: 2, refunded: "0", triedOperators: [silent, again.operator] });
    expect(again.operator).not.toBe(silent);
    const events = query("/inferchain.slashing.v1.Query/SlashEvents", QuerySlashEventsRequest.encode({ validator: silent, pagination: undefined }).finish(), QuerySlashEventsResponse).events;
    expect(events.map((e) => [e.kind, e.amount])).toEqual([["no_response", fee2.toString()]]);

    // The new worker answers late (one block after its deadline): half the fee from its stake to the client.
    const w2 = [worker0, worker1].find((k) => k.address === again.worker)!;
    const lateStakeBefore = tokens(again.operator);
    await blocksUntil(again.deadlineHeight);
    const lateBlock = await block([await tx(w2, [submitResult(w2.address, 2n)])]);
    expect(attrs(lateBlock.txResults[0].events, "result_submitted")[0]).toMatchObject({ job_id: "2", late: "true", penalty: "1000000uinf" });
    expect(tokens(again.operator)).toBe(lateStakeBefore - fee2 / 2n);
    await blocksUntil(height + WINDOW);
    expect(job(2n)).toMatchObject({ status: JobStatus.JOB_STATUS_FINALIZED, late: true, refunded: (fee2 / 2n).toString() });

    // Every uinf: the client paid two fees and its tx fees, and got 1 INF back from stake (the
    // late penalty; never more than the fee in all).
    const txFees = (k: TestKey): bigint => ((seq.get(k.address) ?? 0n) - (feeless.get(k.address) ?? 0n)) * TX_FEE;
    expect(await balance(app, client.address)).toBe(start.get(client.address)! - txFees(client) - fee1 - fee2 + fee2 / 2n);
    expect(await balance(app, moduleAddress(JOB_ESCROW_MODULE))).toBe(0n);
    expect(await balance(app, moduleAddress(VERIFICATION_POOL_MODULE))).toBe(100_000n + 200_000n);
    expect(await balance(app, moduleAddress("treasury"))).toBe(50_000n + 100_000n + penalty);
    // Operators got the worker shares on their accounts; worker keys only paid tx fees.
    const shares = new Map<string, bigint>();
    for (const [op, amount] of [
      [j1.operator, 850_003n],
      [again.operator, 1_700_000n],
    ] as const) {
      shares.set(op, (shares.get(op) ?? 0n) + amount);
    }
    for (const [k, op] of [
      [val0, op0],
      [val1, op1],
    ] as const) {
      const selfDelegation = op === op0 ? 80n * INF : 90n * INF;
      expect(await balance(app, k.address)).toBe(start.get(k.address)! - selfDelegation - txFees(k) + (shares.get(op) ?? 0n));
    }
    for (const w of [worker0, worker1]) expect(await balance(app, w.address)).toBe(start.get(w.address)! - txFees(w));
  });
});
