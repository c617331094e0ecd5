import { createHash } from "node:crypto";
import { MsgOpenResult, MsgSubmitJob, MsgSubmitResult, MsgSubmitResultResponse, MsgUpdateParams } from "../../gen/inferchain/inference/v1/tx";
import { AppError, ErrInsufficientFunds, ErrInvalidAddress, ErrOutOfGas } from "../../base/errors";
import { Branch } from "../../base/store/kv";
import { moduleAddress } from "../../base/types/address";
import { encodeTensorList } from "../models";
import { endBlocker } from "./abci";
import {
  ErrAfterHardDeadline,
  ErrAlreadyOpened,
  ErrCannotRunWithOutput,
  ErrCommitmentMismatch,
  ErrInvalidCommitment,
  ErrInvalidOpening,
  ErrInvalidSealedOutput,
  ErrNoClientPubkey,
  ErrOpeningNotAvailable,
  ErrOpeningNotRequested,
  ErrSealMismatch,
  ErrInvalidReason,
  ErrFeeBelowMinimum,
  ErrInvalidFee,
  ErrInvalidInput,
  ErrInvalidInputSha256,
  ErrInvalidInputUri,
  ErrInvalidOutput,
  ErrInvalidParams,
  ErrJobNotAwaitingResult,
  ErrNotAssignedWorker,
  ErrUnauthorizedParams,
  ErrUnknownJob,
  ErrUnknownModel,
  ErrInputHashMismatch,
  ErrNotUriJob,
} from "./errors";
import {
  msgOpenResultHandler,
  msgSubmitJobHandler,
  msgSubmitResultHandler,
  msgUpdateParamsHandler,
  OPEN_CHECK_GAS,
  TENSOR_GAS_PER_BYTE,
  type OpenResult,
  type SubmitJob,
  type SubmitResult,
} from "./msgServer";
import { defaultParams } from "./params";
import { SEAL_OVERHEAD, sealOutput } from "./seal";
import {
  BIG,
  FakeChallenge,
  JOB_ESCROW_MODULE,
  MODEL,
  addValidator,
  clientOutput,
  ctxAt,
  deliver,
  fundedClient,
  sampleInput,
  sampleOutput,
  sealFor,
  testAccount,
  testPubkey,
  testSetup,
  totalBalances,
  type TestSetup,
} from "./testutil";
import { JobStatus, type Job } from "./types";

const M = 1_000_000n;
const FEE = 10_000n;

function expectAppError(f: () => unknown, kind: AppError): AppError {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(AppError);
  const a = err as AppError;
  expect(`${a.codespace}/${a.code}`).toBe(`${kind.codespace}/${kind.code}`);
  return a;
}

function submitJobBytes(over: Partial<{ client: string; modelId: string; input: Uint8Array; inputUri: string; inputSha256: string; fee: string }> = {}): Uint8Array {
  return MsgSubmitJob.encode({ client: testAccount(1), modelId: MODEL.id, input: sampleInput(), inputUri: "", inputSha256: "", fee: FEE.toString(), ...over }).finish();
}

/** A result sealed to the tests' client (testAccount(1), the one `assignedJob` funds). */
function resultBytes(worker: string, jobId: bigint, output = sampleOutput(), cannotRun = false, reason = ""): Uint8Array {
  const s = sealFor({ id: jobId, worker, clientPubkey: testPubkey(testAccount(1)) }, output);
  return MsgSubmitResult.encode({ worker, jobId, commitment: s.commitment, sealedOutput: s.sealedOutput, cannotRun, reason }).finish();
}

/** Two validators, a funded client, a job submitted at height 5 and assigned at the end of block 6 (never in its own block: issue 7). */
function assignedJob(params: Parameters<typeof testSetup>[0] = {}): { t: TestSetup; job: Job; client: string; other: string } {
  const t = testSetup(params);
  const a = addValidator(t, 0, 1000n * M);
  const b = addValidator(t, 1, 1000n * M);
  const client = fundedClient(t, 100n * M);
  deliver(t, msgSubmitJobHandler(t.k), submitJobBytes({ client }), 5n);
  endBlocker(t.k, ctxAt(t.store, 5n));
  endBlocker(t.k, ctxAt(t.store, 6n));
  const job = t.k.getJob(t.store, 1n)!;
  expect(job.status).toBe(JobStatus.JOB_STATUS_ASSIGNED);
  const other = job.worker === a.worker ? b.worker : a.worker;
  return { t, job, client, other };
}

describe("MsgSubmitJob", () => {
  test("by URI: escrows the fee and stores the URI and hash with no input; assigned like any job", () => {
    const t = testSetup();
    addValidator(t, 0, 1000n * M);
    const client = fundedClient(t, 100n * M);
    const uri = "https://data.example:8080/inputs/a.bin?v=1";
    // A hash of bytes nobody checks now: the chain never fetches; the worker must provide matching bytes if asked.
    deliver(t, msgSubmitJobHandler(t.k), submitJobBytes({ client, input: new Uint8Array(), inputUri: uri, inputSha256: "ab".repeat(32) }), 5n);
    expect(t.bank.moduleBalance(t.store, JOB_ESCROW_MODULE)).toBe(FEE);
    expect(t.k.getJob(t.store, 1n)).toMatchObject({ inputUri: uri, inputSha256: "ab".repeat(32), input: new Uint8Array(), status: JobStatus.JOB_STATUS_PENDING });
    endBlocker(t.k, ctxAt(t.store, 5n));
    endBlocker(t.k, ctxAt(t.store, 6n));
    expect(t.k.getJob(t.store, 1n)!.status).toBe(JobStatus.JOB_STATUS_ASSIGNED);
  });

  test("provideInput: a job by URI takes bytes that hash to its input_sha256 and fit the model (up to max_uri_input_bytes)", () => {
    const t = testSetup({ maxUriInputBytes: 65_536n });
    const client = fundedClient(t, 100n * M);
    // A batch above the model's inline max_input_bytes: only possible by URI.
    const big = sampleInput(60, BIG);
    expect(BigInt(big.length)).toBeGreaterThan(MODEL.maxInputBytes);
    const hash = createHash("sha256").update(big).digest("hex");
    deliver(t, msgSubmitJobHandler(t.k), submitJobBytes({ client, input: new Uint8Array(), inputUri: "https://d.example/big", inputSha256: hash }), 5n);
    deliver(t, msgSubmitJobHandler(t.k), submitJobBytes({ client }), 5n);
    const ctx = ctxAt(t.store, 6n);
    expectAppError(() => t.k.provideInput(ctx, 1n, sampleInput(2)), ErrInputHashMismatch);
    expectAppError(() => t.k.provideInput(ctx, 2n, sampleInput()), ErrNotUriJob);
    expectAppError(() => t.k.provideInput(ctx, 9n, big), ErrUnknownJob);
    t.k.provideInput(ctx, 1n, big);
    expect(t.k.getJob(t.store, 1n)!.input).toEqual(big);
    // Above max_uri_input_bytes: refused even when the hash matches.
    const t2 = testSetup({ maxUriInputBytes: 1_000n });
    const c2 = fundedClient(t2, 100n * M);
    deliver(t2, msgSubmitJobHandler(t2.k), submitJobBytes({ client: c2, input: new Uint8Array(), inputUri: "https://d.example/big", inputSha256: hash }), 5n);
    expectAppError(() => t2.k.provideInput(ctxAt(t2.store, 6n), 1n, big), ErrInvalidInput);
    // Bytes that hash right but are no tensor list of the model's inputs.
    const junk = new TextEncoder().encode("junk");
    deliver(t2, msgSubmitJobHandler(t2.k), submitJobBytes({ client: c2, input: new Uint8Array(), inputUri: "https://d.example/j", inputSha256: createHash("sha256").update(junk).digest("hex") }), 5n);
    expectAppError(() => t2.k.provideInput(ctxAt(t2.store, 6n), 2n, junk), ErrInvalidInput);
  });

  test("escrows the fee, stores a PENDING job with the next id, and announces it", () => {
    const t = testSetup();
    const client = fundedClient(t, 100n * M);
    const ctxEvents: string[] = [];
    const h = msgSubmitJobHandler(t.k);
    const msg = h.decode(submitJobBytes({ client }));
    h.validateBasic(msg);
    const ctx = ctxAt(t.store, 7n);
    h.execute(ctx, msg);
    ctxEvents.push(...ctx.events.events().map((e) => e.type));
    const second = deliver(t, h, submitJobBytes({ client, fee: "2000" }), 7n);

    expect(t.bank.balance(t.store, client)).toBe(100n * M - FEE - 2000n);
    expect(t.bank.moduleBalance(t.store, JOB_ESCROW_MODULE)).toBe(FEE + 2000n);
    const job = t.k.getJob(t.store, 1n)!;
    expect(job).toMatchObject({ id: 1n, client, modelId: MODEL.id, fee: FEE, status: JobStatus.JOB_STATUS_PENDING, submittedHeight: 7n, attempts: 0, refunded: 0n });
    expect(Buffer.from(job.input).equals(Buffer.from(sampleInput()))).toBe(true);
    expect(t.k.getJob(t.store, 2n)?.fee).toBe(2000n);
    expect(t.k.getNextJobId(t.store)).toBe(3n);
    expect(t.k.pendingJobIds(t.store, 10)).toEqual([1n, 2n]);
    expect(second.length).toBeGreaterThan(0);
    const attrs = Object.fromEntries(ctx.events.events().find((e) => e.type === "job_submitted")!.attributes.map((a) => [a.key, a.value]));
    expect(attrs).toEqual({ job_id: "1", client, model_id: MODEL.id, fee: "10000uinf" });
  });

  test("a fee of exactly min_fee is enough; one uinf less is refused with its own code", () => {
    const t = testSetup();
    const client = fundedClient(t, 100n * M);
    deliver(t, msgSubmitJobHandler(t.k), submitJobBytes({ client, fee: MODEL.minFee.toString() }), 3n);
    expect(t.k.getJob(t.store, 1n)?.fee).toBe(MODEL.minFee);
    expectAppError(() => deliver(t, msgSubmitJobHandler(t.k), submitJobBytes({ client, fee: (MODEL.minFee - 1n).toString() }), 3n), ErrFeeBelowMinimum);
  });

  test.each<[string, Parameters<typeof submitJobBytes>[0], AppError]>([
    ["unknown model", { modelId: "no-such-model" }, ErrUnknownModel],
    ["malformed model id", { modelId: "Not An Id" }, ErrUnknownModel],
    ["input by a non-http uri", { input: new Uint8Array(), inputUri: "ipfs://x", inputSha256: "ab".repeat(32) }, ErrInvalidInputUri],
    ["input by file: uri", { input: new Uint8Array(), inputUri: "file:///etc/passwd", inputSha256: "ab".repeat(32) }, ErrInvalidInputUri],
    ["a uri with a space", { input: new Uint8Array(), inputUri: "http://a.example/x y", inputSha256: "ab".repeat(32) }, ErrInvalidInputUri],
    ["a uri with no host", { input: new Uint8Array(), inputUri: "https:///x", inputSha256: "ab".repeat(32) }, ErrInvalidInputUri],
    ["a uri above 512 bytes", { input: new Uint8Array(), inputUri: "https://a.example/" + "x".repeat(500), inputSha256: "ab".repeat(32) }, ErrInvalidInputUri],
    ["both inline input and a uri", { inputUri: "https://a.example/x", inputSha256: "ab".repeat(32) }, ErrInvalidInputUri],
    ["a uri without a hash", { input: new Uint8Array(), inputUri: "https://a.example/x" }, ErrInvalidInputSha256],
    ["a uri with an uppercase hash", { input: new Uint8Array(), inputUri: "https://a.example/x", inputSha256: "AB".repeat(32) }, ErrInvalidInputSha256],
    ["a uri with a short hash", { input: new Uint8Array(), inputUri: "https://a.example/x", inputSha256: "ab".repeat(31) }, ErrInvalidInputSha256],
    ["an input hash alone", { inputSha256: "ab".repeat(32) }, ErrInvalidInputSha256],
    ["empty input", { input: new Uint8Array() }, ErrInvalidInput],
    ["wrong input shape", { input: encodeTensorList([{ name: "x", shape: [1n, 15n], values: Array.from({ length: 15 }, () => 0n) }]) }, ErrInvalidInput],
    ["wrong input name", { input: encodeTensorList([{ name: "z", shape: [1n, 16n], values: Array.from({ length: 16 }, () => 0n) }]) }, ErrInvalidInput],
    ["garbage input", { input: Uint8Array.of(0xff, 0xff, 0xff) }, ErrInvalidInput],
    ["input above max_input_bytes", { input: sampleInput(60, BIG) }, ErrInvalidInput],
    ["zero fee", { fee: "0" }, ErrInvalidFee],
    ["non-decimal fee", { fee: "1e6" }, ErrInvalidFee],
    ["bad client address", { client: "infer1xyz" }, ErrInvalidAddress],
  ])("refused, leaving nothing behind: %s", (_name, over, kind) => {
    const t = testSetup();
    const client = fundedClient(t, 100n * M);
    const before = [...t.store.iterate("")];
    expectAppError(() => deliver(t, msgSubmitJobHandler(t.k), submitJobBytes({ client, ...over }), 3n), kind);
    expect([...t.store.iterate("")]).toEqual(before);
  });

  test("a client that cannot pay the fee is refused by bank and no job is created", () => {
    const t = testSetup();
    const client = fundedClient(t, FEE - 1n);
    expectAppError(() => deliver(t, msgSubmitJobHandler(t.k), submitJobBytes({ client }), 3n), ErrInsufficientFunds);
    expect(t.k.getJob(t.store, 1n)).toBeUndefined();
    expect(t.k.getNextJobId(t.store)).toBe(1n);
  });

  test("input bytes are charged gas before they are decoded", () => {
    const t = testSetup();
    const client = fundedClient(t, 100n * M);
    const input = sampleInput();
    expectAppError(() => deliver(t, msgSubmitJobHandler(t.k), submitJobBytes({ client, input }), 3n, TENSOR_GAS_PER_BYTE * BigInt(input.length) - 1n), ErrOutOfGas);
  });

  test("the client's account key is stored on the job: results are sealed to it", () => {
    const t = testSetup();
    const client = fundedClient(t, 100n * M);
    deliver(t, msgSubmitJobHandler(t.k), submitJobBytes({ client }), 3n);
    expect(Buffer.from(t.k.getJob(t.store, 1n)!.clientPubkey)).toEqual(Buffer.from(testPubkey(client)));
  });

  test("a client account without a public key is refused with its own code, leaving nothing behind", () => {
    const t = testSetup();
    const client = fundedClient(t, 100n * M);
    t.accounts.withoutKey.add(client);
    const before = [...t.store.iterate("")];
    expectAppError(() => deliver(t, msgSubmitJobHandler(t.k), submitJobBytes({ client }), 3n), ErrNoClientPubkey);
    expect([...t.store.iterate("")]).toEqual(before);
  });
});

describe("MsgSubmitResult: cannot run (issue 7)", () => {
  test("the assigned worker may say it cannot run the input: RESULT_POSTED with the flag and reason, no penalty even late, challenge window opens", () => {
    const { t, job, client } = assignedJob();
    const tokens = t.staking.validator(t.store, job.operator)!.tokens;
    const clientBefore = t.bank.balance(t.store, client);
    const resp = MsgSubmitResultResponse.decode(deliver(t, msgSubmitResultHandler(t.k), resultBytes(job.worker, job.id, new Uint8Array(), true, "output NaN: cannot quantize"), job.deadlineHeight + 1n));
    expect(resp.late).toBe(true);
    expect(t.k.getJob(t.store, job.id)).toMatchObject({
      status: JobStatus.JOB_STATUS_RESULT_POSTED,
      cannotRun: true,
      cannotRunReason: "output NaN: cannot quantize",
      late: true,
      refunded: 0n,
      challengeEndHeight: job.deadlineHeight + 1n + defaultParams().challengeWindowBlocks,
    });
    expect(t.staking.validator(t.store, job.operator)!.tokens).toBe(tokens);
    expect(t.bank.balance(t.store, client)).toBe(clientBefore);
  });

  test("checked like any result: only the assigned worker, only by the hard deadline, only while assigned", () => {
    const { t, job, other } = assignedJob();
    const h = msgSubmitResultHandler(t.k);
    expectAppError(() => deliver(t, h, resultBytes(other, job.id, new Uint8Array(), true, "no"), job.deadlineHeight), ErrNotAssignedWorker);
    expectAppError(() => deliver(t, h, resultBytes(job.worker, job.id, new Uint8Array(), true, "no"), job.hardDeadlineHeight + 1n), ErrAfterHardDeadline);
    deliver(t, h, resultBytes(job.worker, job.id, new Uint8Array(), true, "no"), job.deadlineHeight);
    expectAppError(() => deliver(t, h, resultBytes(job.worker, job.id, new Uint8Array(), true, "no"), job.deadlineHeight), ErrJobNotAwaitingResult);
  });

  test.each<[string, Uint8Array, boolean, string, AppError]>([
    ["an output with cannot_run", sampleOutput(), true, "x", ErrCannotRunWithOutput],
    ["a reason without cannot_run", sampleOutput(), false, "x", ErrInvalidReason],
    ["a reason above 256 UTF-8 bytes", new Uint8Array(), true, "é".repeat(129), ErrInvalidReason],
  ])("refused statelessly with its own code: %s", (_name, output, cannotRun, reason, kind) => {
    const h = msgSubmitResultHandler(testSetup().k);
    expectAppError(() => h.validateBasic(h.decode(resultBytes(testAccount(100), 1n, output, cannotRun, reason))), kind);
  });

  test("a reason of exactly 256 bytes is accepted", () => {
    const h = msgSubmitResultHandler(testSetup().k);
    expect(() => h.validateBasic(h.decode(resultBytes(testAccount(100), 1n, new Uint8Array(), true, "a".repeat(256))))).not.toThrow();
  });
});

describe("MsgSubmitResult", () => {
  test("on time (at the deadline height itself): RESULT_POSTED, challenge window opens, no penalty", () => {
    const { t, job } = assignedJob();
    expect(job.deadlineHeight).toBe(6n + MODEL.slaBlocks);
    expect(job.hardDeadlineHeight).toBe(6n + 2n * MODEL.slaBlocks);
    const tokens = t.staking.validator(t.store, job.operator)!.tokens;

    const resp = MsgSubmitResultResponse.decode(deliver(t, msgSubmitResultHandler(t.k), resultBytes(job.worker, job.id), job.deadlineHeight));

    expect(resp.late).toBe(false);
    const after = t.k.getJob(t.store, job.id)!;
    expect(after).toMatchObject({ status: JobStatus.JOB_STATUS_RESULT_POSTED, late: false, resultHeight: job.deadlineHeight, challengeEndHeight: job.deadlineHeight + defaultParams().challengeWindowBlocks, refunded: 0n });
    // Sealed: the chain keeps the commitment and the sealed bytes; only the client reads the output.
    expect(after.output.length).toBe(0);
    expect(Buffer.from(after.commitment)).toEqual(Buffer.from(sealFor(job, sampleOutput()).commitment));
    expect(Buffer.from(clientOutput(after)).equals(Buffer.from(sampleOutput()))).toBe(true);
    expect(t.staking.validator(t.store, job.operator)!.tokens).toBe(tokens);
    // Off the deadline queue, on the finalize queue.
    expect(t.k.dueDeadlines(t.store, 1_000n)).toEqual([]);
    expect(t.k.dueFinalizations(t.store, 1_000n)).toEqual([[after.challengeEndHeight, job.id]]);
  });

  test("late (one block after the deadline): accepted, and late_penalty_ppm of the fee goes to the client from the worker's stake", () => {
    const { t, job, client } = assignedJob();
    const tokens = t.staking.validator(t.store, job.operator)!.tokens;
    const clientBefore = t.bank.balance(t.store, client);
    const supply = totalBalances(t.store);

    const h = msgSubmitResultHandler(t.k);
    const msg = h.decode(resultBytes(job.worker, job.id));
    const ctx = ctxAt(t.store, job.deadlineHeight + 1n);
    const resp = MsgSubmitResultResponse.decode(h.execute(ctx, msg).value);

    expect(resp.late).toBe(true);
    const penalty = (FEE * 500_000n) / 1_000_000n;
    expect(penalty).toBe(5000n);
    expect(t.bank.balance(t.store, client)).toBe(clientBefore + penalty);
    expect(t.staking.validator(t.store, job.operator)!.tokens).toBe(tokens - penalty);
    expect(t.k.getJob(t.store, job.id)).toMatchObject({ status: JobStatus.JOB_STATUS_RESULT_POSTED, late: true, refunded: penalty });
    // The fee itself stays in escrow for the split; nothing is created or destroyed.
    expect(t.bank.moduleBalance(t.store, JOB_ESCROW_MODULE)).toBe(FEE);
    expect(totalBalances(t.store)).toBe(supply);
    // Recorded by the slash path as kind late_result, paid to the client.
    const ev = [...t.slashing.slashEvents(t.store)];
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ validator: job.operator, kind: "late_result", amount: penalty, infractionHeight: job.assignedHeight, reporters: [{ address: client, amount: penalty }], jailed: false });
    const attrs = Object.fromEntries(ctx.events.events().find((e) => e.type === "result_submitted")!.attributes.map((a) => [a.key, a.value]));
    expect(attrs).toMatchObject({ job_id: "1", worker: job.worker, operator: job.operator, late: "true", penalty: "5000uinf" });
  });

  test("at the hard deadline height itself: still accepted (late)", () => {
    const { t, job } = assignedJob();
    const resp = MsgSubmitResultResponse.decode(deliver(t, msgSubmitResultHandler(t.k), resultBytes(job.worker, job.id), job.hardDeadlineHeight));
    expect(resp.late).toBe(true);
  });

  test("after the hard deadline (not yet timed out by EndBlock): refused with its own code", () => {
    const { t, job } = assignedJob();
    expectAppError(() => deliver(t, msgSubmitResultHandler(t.k), resultBytes(job.worker, job.id), job.hardDeadlineHeight + 1n), ErrAfterHardDeadline);
    expect(t.k.getJob(t.store, job.id)?.status).toBe(JobStatus.JOB_STATUS_ASSIGNED);
  });

  test("from any key but the assigned worker's: refused", () => {
    const { t, job, other, client } = assignedJob();
    expectAppError(() => deliver(t, msgSubmitResultHandler(t.k), resultBytes(other, job.id), 6n), ErrNotAssignedWorker);
    expectAppError(() => deliver(t, msgSubmitResultHandler(t.k), resultBytes(client, job.id), 6n), ErrNotAssignedWorker);
  });

  test("an unknown job (or id 0): refused", () => {
    const { t, job } = assignedJob();
    expectAppError(() => deliver(t, msgSubmitResultHandler(t.k), resultBytes(job.worker, 99n), 6n), ErrUnknownJob);
    expectAppError(() => deliver(t, msgSubmitResultHandler(t.k), resultBytes(job.worker, 0n), 6n), ErrUnknownJob);
  });

  test("a sealed output above the model's max_output_bytes (sealed) is refused with its own code", () => {
    const { t, job } = assignedJob();
    const output = sampleOutput(60, BIG);
    expect(BigInt(output.length)).toBeGreaterThan(MODEL.maxOutputBytes);
    expectAppError(() => deliver(t, msgSubmitResultHandler(t.k), resultBytes(job.worker, job.id, output), 6n), ErrInvalidSealedOutput);
    expect(t.k.getJob(t.store, job.id)?.status).toBe(JobStatus.JOB_STATUS_ASSIGNED);
    // Exactly max_output_bytes sealed is accepted (the chain cannot look inside).
    const most = new Uint8Array(Number(MODEL.maxOutputBytes));
    deliver(t, msgSubmitResultHandler(t.k), resultBytes(job.worker, job.id, most), 6n);
    expect(t.k.getJob(t.store, job.id)?.status).toBe(JobStatus.JOB_STATUS_RESULT_POSTED);
  });

  test("an empty output that is not a cannot-run result is refused: it fits no output spec", () => {
    const { t, job } = assignedJob();
    expectAppError(() => deliver(t, msgSubmitResultHandler(t.k), resultBytes(job.worker, job.id, new Uint8Array()), 6n), ErrInvalidOutput);
  });

  test.each<[string, (s: { commitment: Uint8Array; sealedOutput: Uint8Array }) => { commitment: Uint8Array; sealedOutput: Uint8Array }, AppError]>([
    ["a commitment of 31 bytes", (s) => ({ ...s, commitment: s.commitment.subarray(1) }), ErrInvalidCommitment],
    ["no commitment", (s) => ({ ...s, commitment: new Uint8Array() }), ErrInvalidCommitment],
    ["a sealed output shorter than a sealed empty output", (s) => ({ ...s, sealedOutput: s.sealedOutput.subarray(0, SEAL_OVERHEAD - 1) }), ErrInvalidSealedOutput],
    ["no sealed output", (s) => ({ ...s, sealedOutput: new Uint8Array() }), ErrInvalidSealedOutput],
    ["a sealed output that does not start with a public key", (s) => ({ ...s, sealedOutput: Uint8Array.of(9, ...s.sealedOutput.subarray(1)) }), ErrInvalidSealedOutput],
  ])("refused statelessly with its own code: %s", (_name, change, kind) => {
    const s = change(sealFor({ id: 1n, worker: testAccount(100), clientPubkey: testPubkey(testAccount(1)) }, sampleOutput()));
    const h = msgSubmitResultHandler(testSetup().k);
    expectAppError(() => h.validateBasic(h.decode(MsgSubmitResult.encode({ worker: testAccount(100), jobId: 1n, ...s, cannotRun: false, reason: "" }).finish())), kind);
  });

  test("output bytes are charged gas before they are looked at", () => {
    const { t, job } = assignedJob();
    const output = sampleOutput(60, BIG);
    expectAppError(() => deliver(t, msgSubmitResultHandler(t.k), resultBytes(job.worker, job.id, output), 6n, TENSOR_GAS_PER_BYTE * BigInt(output.length + SEAL_OVERHEAD) - 1n), ErrOutOfGas);
  });

  test("a second result, or one after finalization, is refused: the job is no longer awaiting one", () => {
    const { t, job } = assignedJob();
    deliver(t, msgSubmitResultHandler(t.k), resultBytes(job.worker, job.id), 6n);
    expectAppError(() => deliver(t, msgSubmitResultHandler(t.k), resultBytes(job.worker, job.id, sampleOutput(1, 5n)), 7n), ErrJobNotAwaitingResult);
    const end = t.k.getJob(t.store, job.id)!.challengeEndHeight;
    endBlocker(t.k, ctxAt(t.store, end));
    expect(t.k.getJob(t.store, job.id)?.status).toBe(JobStatus.JOB_STATUS_FINALIZED);
    expectAppError(() => deliver(t, msgSubmitResultHandler(t.k), resultBytes(job.worker, job.id), end + 1n), ErrJobNotAwaitingResult);
  });

  test("a PENDING job (not yet assigned) is not awaiting a result", () => {
    const t = testSetup();
    addValidator(t, 0, 1000n * M);
    const client = fundedClient(t, 100n * M);
    deliver(t, msgSubmitJobHandler(t.k), submitJobBytes({ client }), 5n);
    expectAppError(() => deliver(t, msgSubmitResultHandler(t.k), resultBytes(client, 1n), 5n), ErrJobNotAwaitingResult);
  });

  test("a refused result leaves the store exactly as it was (the message's branch is dropped)", () => {
    const { t, job } = assignedJob();
    const before = [...t.store.iterate("")];
    const big = sealFor(job, sampleOutput(60, BIG));
    const bad: SubmitResult = { worker: job.worker, jobId: job.id, commitment: big.commitment, sealedOutput: big.sealedOutput, cannotRun: false, reason: "" };
    const branch = new Branch(t.store);
    expect(() => msgSubmitResultHandler(t.k).execute(ctxAt(branch, job.deadlineHeight + 1n), bad)).toThrow();
    expect([...t.store.iterate("")]).toEqual(before);
  });

  test("the signer is the worker field", () => {
    const h = msgSubmitResultHandler(testSetup().k);
    expect(h.signers({ worker: testAccount(5), jobId: 1n, commitment: new Uint8Array(), sealedOutput: new Uint8Array(), cannotRun: false, reason: "" })).toEqual([testAccount(5)]);
    const o = msgOpenResultHandler(testSetup().k);
    expect(o.signers({ worker: testAccount(7), jobId: 1n, output: new Uint8Array(), salt: new Uint8Array(), ephemeralKey: new Uint8Array() })).toEqual([testAccount(7)]);
    const j = msgSubmitJobHandler(testSetup().k);
    expect(j.signers({ client: testAccount(6) } as SubmitJob)).toEqual([testAccount(6)]);
  });
});

describe("MsgOpenResult", () => {
  /** A job whose result (sealed `output`) a dispute holds and wants opened; `challenge` is wired unless told otherwise. */
  function disputedJob(output = sampleOutput(), o: { cannotRun?: boolean; wire?: boolean; want?: boolean } = {}): { t: TestSetup; job: Job; other: string; challenge: FakeChallenge } {
    const { t, job, other } = assignedJob();
    deliver(t, msgSubmitResultHandler(t.k), resultBytes(job.worker, job.id, output, o.cannotRun ?? false, o.cannotRun ? "no" : ""), 7n);
    t.k.holdForDispute(ctxAt(t.store, 8n), job.id, 4n);
    const challenge = new FakeChallenge();
    if (o.wire ?? true) t.k.setChallengeKeeper(challenge);
    if (o.want ?? true) challenge.want.add(job.id);
    return { t, job: t.k.getJob(t.store, job.id)!, other, challenge };
  }

  function openBytes(worker: string, jobId: bigint, o: { output: Uint8Array; salt: Uint8Array; ephemeralKey: Uint8Array }): Uint8Array {
    return MsgOpenResult.encode({ worker, jobId, output: o.output, salt: o.salt, ephemeralKey: o.ephemeralKey }).finish();
  }

  test("the worker opens what it sealed: the output is recorded, public from now on, and announced", () => {
    const { t, job } = disputedJob();
    expect(job.status).toBe(JobStatus.JOB_STATUS_DISPUTED);
    const h = msgOpenResultHandler(t.k);
    const msg = h.decode(openBytes(job.worker, job.id, sealFor(job, sampleOutput())));
    h.validateBasic(msg);
    const ctx = ctxAt(t.store, 9n);
    h.execute(ctx, msg);
    const after = t.k.getJob(t.store, job.id)!;
    expect(after).toMatchObject({ opened: true, status: JobStatus.JOB_STATUS_DISPUTED, disputeId: 4n });
    expect(Buffer.from(after.output)).toEqual(Buffer.from(sampleOutput()));
    expect(t.k.openedResult(t.store, job.id)).toEqual({ output: after.output, cannotRun: false });
    const attrs = Object.fromEntries(ctx.events.events().find((e) => e.type === "result_opened")!.attributes.map((a) => [a.key, a.value]));
    expect(attrs).toEqual({ job_id: job.id.toString(), dispute_id: "4", worker: job.worker, cannot_run: "false" });
    // Once only.
    expectAppError(() => deliver(t, h, openBytes(job.worker, job.id, sealFor(job, sampleOutput())), 10n), ErrAlreadyOpened);
  });

  test("a cannot-run result opens to nothing; an output with it is refused", () => {
    const { t, job } = disputedJob(new Uint8Array(), { cannotRun: true });
    const h = msgOpenResultHandler(t.k);
    const good = sealFor(job, new Uint8Array());
    expectAppError(() => deliver(t, h, openBytes(job.worker, job.id, { ...good, output: sampleOutput() }), 9n), ErrCannotRunWithOutput);
    deliver(t, h, openBytes(job.worker, job.id, good), 9n);
    expect(t.k.openedResult(t.store, job.id)).toEqual({ output: new Uint8Array(), cannotRun: true });
  });

  test("without x/challenge wired, or when no dispute asks, an opening is refused with its own code", () => {
    const unwired = disputedJob(sampleOutput(), { wire: false });
    expectAppError(() => deliver(unwired.t, msgOpenResultHandler(unwired.t.k), openBytes(unwired.job.worker, unwired.job.id, sealFor(unwired.job, sampleOutput())), 9n), ErrOpeningNotAvailable);
    const unasked = disputedJob(sampleOutput(), { want: false });
    expectAppError(() => deliver(unasked.t, msgOpenResultHandler(unasked.t.k), openBytes(unasked.job.worker, unasked.job.id, sealFor(unasked.job, sampleOutput())), 9n), ErrOpeningNotRequested);
    // A job no dispute holds, even if asked.
    const { t, job } = assignedJob();
    deliver(t, msgSubmitResultHandler(t.k), resultBytes(job.worker, job.id), 7n);
    const c = new FakeChallenge();
    c.want.add(job.id);
    t.k.setChallengeKeeper(c);
    expectAppError(() => deliver(t, msgOpenResultHandler(t.k), openBytes(job.worker, job.id, sealFor(job, sampleOutput())), 9n), ErrOpeningNotRequested);
    expect(() => t.k.setChallengeKeeper(c)).toThrow(/already set/);
  });

  test("nobody but the job's worker can open it", () => {
    const { t, job, other } = disputedJob();
    const opening = sealFor(job, sampleOutput());
    expectAppError(() => deliver(t, msgOpenResultHandler(t.k), openBytes(other, job.id, opening), 9n), ErrNotAssignedWorker);
    expectAppError(() => deliver(t, msgOpenResultHandler(t.k), openBytes(job.client, job.id, opening), 9n), ErrNotAssignedWorker);
    expectAppError(() => deliver(t, msgOpenResultHandler(t.k), openBytes(job.worker, 99n, opening), 9n), ErrUnknownJob);
    expect(t.k.getJob(t.store, job.id)!.opened).toBe(false);
  });

  test("an opening must match the commitment and re-encrypt to exactly the sealed output", () => {
    const { t, job } = disputedJob();
    const h = msgOpenResultHandler(t.k);
    const good = sealFor(job, sampleOutput());
    // Another output or salt: the commitment does not match.
    expectAppError(() => deliver(t, h, openBytes(job.worker, job.id, { ...good, output: sampleOutput(1, 1n) }), 9n), ErrCommitmentMismatch);
    expectAppError(() => deliver(t, h, openBytes(job.worker, job.id, { ...good, salt: new Uint8Array(32).fill(7) }), 9n), ErrCommitmentMismatch);
    // The right output and salt with another ephemeral key: not what the client was sent.
    expectAppError(() => deliver(t, h, openBytes(job.worker, job.id, { ...good, ephemeralKey: new Uint8Array(32).fill(7) }), 9n), ErrSealMismatch);
    expect(t.k.getJob(t.store, job.id)!.opened).toBe(false);
  });

  test("a worker that committed to one output but sealed another to its client cannot open either", () => {
    const { t, job } = assignedJob();
    const committed = sealFor(job, sampleOutput());
    const sent = sealOutput(job.id, job.clientPubkey, sampleOutput(1, 9n), committed.salt, committed.ephemeralKey);
    deliver(t, msgSubmitResultHandler(t.k), MsgSubmitResult.encode({ worker: job.worker, jobId: job.id, commitment: committed.commitment, sealedOutput: sent, cannotRun: false, reason: "" }).finish(), 7n);
    t.k.holdForDispute(ctxAt(t.store, 8n), job.id, 1n);
    const c = new FakeChallenge();
    c.want.add(job.id);
    t.k.setChallengeKeeper(c);
    const h = msgOpenResultHandler(t.k);
    expectAppError(() => deliver(t, h, openBytes(job.worker, job.id, committed), 9n), ErrSealMismatch);
    expectAppError(() => deliver(t, h, openBytes(job.worker, job.id, { ...committed, output: sampleOutput(1, 9n) }), 9n), ErrCommitmentMismatch);
  });

  test.each<[string, Uint8Array]>([
    ["wrong shape", encodeTensorList([{ name: "y", shape: [1n, 7n], values: Array.from({ length: 7 }, () => 0n) }])],
    ["wrong rank", encodeTensorList([{ name: "y", shape: [8n], values: Array.from({ length: 8 }, () => 0n) }])],
    ["wrong name", encodeTensorList([{ name: "out", shape: [1n, 8n], values: Array.from({ length: 8 }, () => 0n) }])],
    ["too many tensors", encodeTensorList([{ name: "y", shape: [1n, 8n], values: Array.from({ length: 8 }, () => 0n) }, { name: "z", shape: [], values: [0n] }])],
    ["not a tensor list", Uint8Array.of(0x0a, 0xff)],
  ])("an output that does not fit the model's output spec is accepted sealed, and refused when opened: %s", (_name, output) => {
    const { t, job } = disputedJob(output);
    expectAppError(() => deliver(t, msgOpenResultHandler(t.k), openBytes(job.worker, job.id, sealFor(job, output)), 9n), ErrInvalidOutput);
    expect(t.k.getJob(t.store, job.id)!.opened).toBe(false);
  });

  test.each<[string, Partial<OpenResult>]>([
    ["a salt of 31 bytes", { salt: new Uint8Array(31) }],
    ["no ephemeral key", { ephemeralKey: new Uint8Array() }],
    ["an ephemeral key of 33 bytes", { ephemeralKey: new Uint8Array(33) }],
  ])("refused statelessly with its own code: %s", (_name, over) => {
    const h = msgOpenResultHandler(testSetup().k);
    const o = { output: sampleOutput(), salt: new Uint8Array(32), ephemeralKey: new Uint8Array(32).fill(1), ...over };
    expectAppError(() => h.validateBasic(h.decode(openBytes(testAccount(100), 1n, o))), ErrInvalidOpening);
  });

  test("output bytes and the check are charged gas first", () => {
    const { t, job } = disputedJob();
    const opening = sealFor(job, sampleOutput());
    expectAppError(() => deliver(t, msgOpenResultHandler(t.k), openBytes(job.worker, job.id, opening), 9n, TENSOR_GAS_PER_BYTE * BigInt(opening.output.length) + OPEN_CHECK_GAS - 1n), ErrOutOfGas);
  });
});

describe("MsgUpdateParams", () => {
  const authority = testAccount(9);

  test("from the params authority: replaces the params", () => {
    const t = testSetup({ paramsAuthority: authority });
    const next = { ...defaultParams(), paramsAuthority: authority, maxAttempts: 5, challengeWindowBlocks: 3n };
    deliver(t, msgUpdateParamsHandler(t.k), MsgUpdateParams.encode({ authority, params: next }).finish(), 2n);
    expect(t.k.getParams(t.store)).toEqual(next);
  });

  test("from anyone else: refused with its own code", () => {
    const t = testSetup({ paramsAuthority: authority });
    expectAppError(() => deliver(t, msgUpdateParamsHandler(t.k), MsgUpdateParams.encode({ authority: testAccount(8), params: { ...defaultParams(), paramsAuthority: authority } }).finish(), 2n), ErrUnauthorizedParams);
  });

  test("invalid params are refused at decode", () => {
    const t = testSetup({ paramsAuthority: authority });
    expectAppError(() => msgUpdateParamsHandler(t.k).decode(MsgUpdateParams.encode({ authority, params: { ...defaultParams(), verificationSharePpm: 960_000n } }).finish()), ErrInvalidParams);
    expectAppError(() => msgUpdateParamsHandler(t.k).decode(MsgUpdateParams.encode({ authority, params: undefined }).finish()), ErrInvalidParams);
  });
});

test("the escrow module account is a plain module address", () => {
  expect(moduleAddress(JOB_ESCROW_MODULE)).toMatch(/^infer1/);
});
