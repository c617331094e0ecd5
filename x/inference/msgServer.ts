/**
 * Message handlers of x/inference: decode → checked domain message; validateBasic → stateless
 * checks (CheckTx); execute → stateful checks, then effects, on the message's branch (dropped
 * if anything throws, so a refused message leaves no escrow, job or penalty behind).
 */
import { updateParamsHandler, type ParamsUpdate } from "../../base/params";
import {
  MsgOpenResult,
  MsgOpenResultResponse,
  MsgSubmitJob,
  MsgSubmitJobResponse,
  MsgSubmitResult,
  MsgSubmitResultResponse,
  MsgUpdateParams,
} from "../../gen/inferchain/inference/v1/tx";
import type { Context } from "../../base/context";
import type { AnyMsgHandler, MsgHandler, MsgResponse } from "../../base/module";
import { Bech32Prefix, parseAddress } from "../../base/types/address";
import {
  ErrAfterHardDeadline,
  ErrAlreadyOpened,
  ErrCannotRunWithOutput,
  ErrCommitmentMismatch,
  ErrInvalidCommitment,
  ErrInvalidOpening,
  ErrInvalidReason,
  ErrInvalidSealedOutput,
  ErrFeeBelowMinimum,
  ErrFeeNotSecured,
  ErrInvalidFee,
  ErrInvalidInput,
  ErrInvalidInputSha256,
  ErrInvalidInputUri,
  ErrInvalidOutput,
  ErrJobNotAwaitingResult,
  ErrNoClientPubkey,
  ErrNotAssignedWorker,
  ErrOpeningNotAvailable,
  ErrOpeningNotRequested,
  ErrSealMismatch,
  ErrUnauthorizedParams,
  ErrUnknownJob,
  ErrUnknownModel,
  recode,
} from "./errors";
import { emitJobSubmitted, emitResultOpened, emitResultSubmitted, emitUpdateParams } from "./events";
import { capRefund, latePenalty, resultTiming } from "./fees";
import type { ModelWorker } from "./expectedKeepers";
import { inputSha256Problem, inputUriProblem } from "./inputUri";
import { KIND_LATE_RESULT, type InferenceKeeper } from "./keeper";
import { fromWire, type InferenceParams } from "./params";
import { coinString, coins } from "./settlement";
import { COMMITMENT_BYTES, PUBKEY_BYTES, SALT_BYTES, SEAL_OVERHEAD, SECRET_KEY_BYTES, commitmentMatches, sealMatches, sealedLength, sealedOutputProblem } from "./seal";
import { JobStatus, newJob, statusName, type Job } from "./types";

const TYPE_URL = "/inferchain.inference.v1.";
export const MSG_SUBMIT_JOB = TYPE_URL + "MsgSubmitJob";
export const MSG_SUBMIT_RESULT = TYPE_URL + "MsgSubmitResult";
export const MSG_OPEN_RESULT = TYPE_URL + "MsgOpenResult";
export const MSG_UPDATE_PARAMS = TYPE_URL + "MsgUpdateParams";

/**
 * Gas per byte of a tensor list decoded and re-encoded (canonical check) on top of the tx-size
 * charge, taken before the bytes are looked at, so a huge malformed payload runs out of gas
 * instead of costing free CPU.
 */
export const TENSOR_GAS_PER_BYTE = 10n;

/** Gas for checking an opening: two secp256k1 multiplications (the ephemeral public key, ECDH), HKDF and AES-GCM setup. */
export const OPEN_CHECK_GAS = 5_000n;

const DECIMAL = /^[0-9]{1,30}$/;

// ---------------------------------------------------------------- MsgSubmitJob

/** MsgSubmitJob, decoded: the job fields a client chooses. */
export type SubmitJob = Pick<Job, "client" | "modelId" | "input" | "inputUri" | "inputSha256" | "fee">;

export function msgSubmitJobHandler(k: InferenceKeeper): MsgHandler<SubmitJob> {
  return {
    typeUrl: MSG_SUBMIT_JOB,
    decode(value: Uint8Array): SubmitJob {
      const m = MsgSubmitJob.decode(value);
      if (!DECIMAL.test(m.fee)) throw ErrInvalidFee.wrap(`fee must be a decimal integer of uinf, got ${JSON.stringify(m.fee)}`);
      return { client: m.client, modelId: m.modelId, input: m.input, inputUri: m.inputUri, inputSha256: m.inputSha256, fee: BigInt(m.fee) };
    },
    signers: (msg) => [msg.client],
    validateBasic(msg): void {
      parseAddress(msg.client, Bech32Prefix.account, "client");
      if (!k.models.isValidModelId(msg.modelId)) throw ErrUnknownModel.wrap(`invalid model id ${JSON.stringify(msg.modelId)}`);
      // Inline input XOR input by URI (with its hash).
      if (msg.inputUri !== "") {
        if (msg.input.length > 0) throw ErrInvalidInputUri.wrap("send the input inline or by input_uri, not both");
        const problem = inputUriProblem(msg.inputUri);
        if (problem !== undefined) throw ErrInvalidInputUri.wrap(problem);
        const shaProblem = inputSha256Problem(msg.inputSha256);
        if (shaProblem !== undefined) throw ErrInvalidInputSha256.wrap(shaProblem);
      } else {
        if (msg.inputSha256 !== "") throw ErrInvalidInputSha256.wrap("input_sha256 is given only with input_uri");
        if (msg.input.length === 0) throw ErrInvalidInput.wrap("input is empty");
      }
      if (msg.fee <= 0n) throw ErrInvalidFee.wrap("fee must be positive");
    },
    execute(ctx: Context, msg): MsgResponse {
      ctx.gas.consume(TENSOR_GAS_PER_BYTE * BigInt(msg.input.length), "job input");
      const model = k.models.getModel(ctx.store, msg.modelId);
      if (!model) throw ErrUnknownModel.wrap(`model ${msg.modelId}`);
      if (msg.fee < model.minFee) throw ErrFeeBelowMinimum.wrap(`fee ${msg.fee}${k.denom} is below ${model.id}'s min_fee ${model.minFee}${k.denom}`);
      // An input by URI is checked against the spec when its bytes reach the chain (x/challenge
      // MsgProvideData, up to max_uri_input_bytes); the worker checks it before running it.
      if (msg.inputUri === "") recode(ErrInvalidInput, () => k.models.decodeInput(model, msg.input));
      checkSecurable(k, ctx, model.id, msg.fee);
      // The key results are sealed to. The ante handler has set it by now (the client signed
      // this tx), so a missing key means a signer that is not the client: refuse it plainly.
      const clientPubkey = k.accounts.getAccount(ctx.store, msg.client)?.pubkey;
      if (!clientPubkey || clientPubkey.length !== PUBKEY_BYTES) throw ErrNoClientPubkey.wrap(`account ${msg.client}`);
      k.bank.sendCoinsFromAccountToModule(ctx, msg.client, k.escrow, coins(k, msg.fee));
      const id = k.getNextJobId(ctx.store);
      k.setNextJobId(ctx.store, id + 1n);
      k.setJob(ctx.store, {
        ...newJob({ id, client: msg.client, modelId: model.id, input: msg.input, fee: msg.fee, height: ctx.block.height, clientPubkey }),
        inputUri: msg.inputUri,
        inputSha256: msg.inputSha256,
      });
      emitJobSubmitted(ctx.events, { jobId: id, client: msg.client, modelId: model.id, fee: coinString(k, msg.fee) });
      return { typeUrl: TYPE_URL + "MsgSubmitJobResponse", value: MsgSubmitJobResponse.encode({ jobId: id }).finish() };
    },
  };
}

/**
 * Per-job economic security at submission: a job that no validator now serving the model could
 * secure (its rate would exceed max_audit_rate_ppm even on the largest stake; the rate falls as
 * the stake grows, so the largest decides) is refused rather than escrowed and failed a block
 * later. A model nobody serves is left to assignment (job_unassignable, refund), as before.
 * Stakes may change before assignment, which checks again per worker.
 */
function checkSecurable(k: InferenceKeeper, ctx: Context, modelId: string, fee: bigint): void {
  const challenge = k.challenge;
  if (!challenge) return;
  // The largest stake; ties to the lowest operator address (the log names it; staking lists in any order).
  let best: ModelWorker | undefined;
  for (const w of k.staking.workersForModel(ctx.store, modelId)) {
    if (w.tokens > 0n && (!best || w.tokens > best.tokens || (w.tokens === best.tokens && w.operator < best.operator))) best = w;
  }
  if (!best || challenge.jobAuditRate(ctx.store, fee, best.tokens) !== undefined) return;
  const { maxFee, stakeNeeded } = challenge.securityLimits(ctx.store, fee, best.tokens);
  const need = stakeNeeded === undefined ? "no stake can secure it" : `it needs a validator with at least ${stakeNeeded}${k.denom} bonded`;
  throw ErrFeeNotSecured.wrap(
    `fee ${fee}${k.denom}: the largest stake serving ${modelId} is ${best.tokens}${k.denom} (${best.operator}), which secures fees up to ${maxFee}${k.denom}; ${need}`,
  );
}

// ---------------------------------------------------------------- MsgSubmitResult

export interface SubmitResult {
  readonly worker: string;
  readonly jobId: bigint;
  /** seal.ts `resultCommitment` of the output and a salt: 32 bytes. */
  readonly commitment: Uint8Array;
  /** seal.ts `sealOutput` of the output and the salt, to the job's client key. */
  readonly sealedOutput: Uint8Array;
  /** The worker cannot run this input; the sealed output is empty and `reason` says why. */
  readonly cannotRun: boolean;
  readonly reason: string;
}

/** Most UTF-8 bytes of a cannot-run reason. */
export const MAX_CANNOT_RUN_REASON_BYTES = 256;

/**
 * A result is sealed, so the chain cannot check it against the model's output spec when it is
 * posted: it checks the sizes (commitment 32 bytes; sealed output between a sealed empty output
 * and a sealed `max_output_bytes` one, exactly the former for cannot-run and longer for any
 * other result) and that the sealed output starts with a public key, so the client can at
 * least try to open it. Whether the
 * output fits the spec is checked by the client on opening and by the chain when a dispute
 * opens it (MsgOpenResult).
 */
export function msgSubmitResultHandler(k: InferenceKeeper): MsgHandler<SubmitResult> {
  return {
    typeUrl: MSG_SUBMIT_RESULT,
    decode(value: Uint8Array): SubmitResult {
      const m = MsgSubmitResult.decode(value);
      return { worker: m.worker, jobId: m.jobId, commitment: m.commitment, sealedOutput: m.sealedOutput, cannotRun: m.cannotRun, reason: m.reason };
    },
    signers: (msg) => [msg.worker],
    validateBasic(msg): void {
      parseAddress(msg.worker, Bech32Prefix.account, "worker");
      if (msg.jobId === 0n) throw ErrUnknownJob.wrap("job ids start at 1");
      if (msg.commitment.length !== COMMITMENT_BYTES) throw ErrInvalidCommitment.wrap(`${msg.commitment.length} bytes; want ${COMMITMENT_BYTES}`);
      // A sealed empty output is exactly the overhead: anything longer carries an output.
      if (msg.cannotRun && msg.sealedOutput.length > SEAL_OVERHEAD) throw ErrCannotRunWithOutput.wrap(`job ${msg.jobId}: ${msg.sealedOutput.length - SEAL_OVERHEAD} sealed output bytes`);
      const problem = sealedOutputProblem(msg.sealedOutput);
      if (problem !== undefined) throw ErrInvalidSealedOutput.wrap(`job ${msg.jobId}: ${problem}`);
      // Every model has at least one output tensor, so an empty output never fits its spec.
      if (!msg.cannotRun && msg.sealedOutput.length === SEAL_OVERHEAD) throw ErrInvalidOutput.wrap(`job ${msg.jobId}: the sealed output is empty`);
      if (!msg.cannotRun && msg.reason !== "") throw ErrInvalidReason.wrap("a reason is given only with cannot_run");
      const bytes = new TextEncoder().encode(msg.reason).length;
      if (bytes > MAX_CANNOT_RUN_REASON_BYTES) throw ErrInvalidReason.wrap(`reason is ${bytes} bytes; at most ${MAX_CANNOT_RUN_REASON_BYTES}`);
    },
    execute(ctx: Context, msg): MsgResponse {
      ctx.gas.consume(TENSOR_GAS_PER_BYTE * BigInt(msg.sealedOutput.length), "job output");
      const height = ctx.block.height;
      const job = k.getJob(ctx.store, msg.jobId);
      if (!job) throw ErrUnknownJob.wrap(`job ${msg.jobId}`);
      if (job.status !== JobStatus.JOB_STATUS_ASSIGNED) throw ErrJobNotAwaitingResult.wrap(`job ${job.id} is ${statusName(job.status)}`);
      if (msg.worker !== job.worker) throw ErrNotAssignedWorker.wrap(`job ${job.id} is assigned to ${job.worker}, not ${msg.worker}`);
      const timing = resultTiming(height, job);
      if (timing === "too_late") throw ErrAfterHardDeadline.wrap(`job ${job.id}: hard deadline ${job.hardDeadlineHeight}, now ${height}`);
      const model = k.models.getModel(ctx.store, job.modelId);
      if (!model) throw new Error(`inference: job ${job.id} names missing model ${job.modelId}`);
      const most = sealedLength(model.maxOutputBytes);
      if (BigInt(msg.sealedOutput.length) > most) throw ErrInvalidSealedOutput.wrap(`job ${job.id}: ${msg.sealedOutput.length} bytes; ${model.id} seals to at most ${most}`);

      const params = k.getParams(ctx.store);
      const late = timing === "late";
      // A late worker refunds late_penalty_ppm of the fee to the client from its stake, through
      // the slash path (the stake at risk is the one it had when it was assigned the job),
      // capped so that the client's refunds never exceed the fee. A cannot-run result earns
      // nothing and pays nothing: the fee goes back to the client at finalization.
      let penalty = 0n;
      const owed = msg.cannotRun || !late ? 0n : capRefund(latePenalty(job.fee, params), job);
      if (owed > 0n) {
        penalty = k.slashing.compensate(ctx, {
          operator: job.operator,
          infractionHeight: job.assignedHeight,
          amount: owed,
          kind: KIND_LATE_RESULT,
          beneficiary: job.client,
          reason: `job ${job.id}: result at ${height}, deadline ${job.deadlineHeight}`,
        }).amount;
      }
      const challengeEndHeight = height + params.challengeWindowBlocks;
      k.setJob(ctx.store, {
        ...job,
        status: JobStatus.JOB_STATUS_RESULT_POSTED,
        commitment: msg.commitment,
        sealedOutput: msg.sealedOutput,
        resultHeight: height,
        late,
        challengeEndHeight,
        refunded: job.refunded + penalty,
        cannotRun: msg.cannotRun,
        cannotRunReason: msg.reason,
      });
      emitResultSubmitted(ctx.events, {
        jobId: job.id,
        operator: job.operator,
        worker: job.worker,
        late,
        cannotRun: msg.cannotRun,
        reason: msg.reason,
        resultHeight: height,
        challengeEndHeight,
        penalty: coinString(k, penalty),
        commitment: msg.commitment,
      });
      return { typeUrl: TYPE_URL + "MsgSubmitResultResponse", value: MsgSubmitResultResponse.encode({ late }).finish() };
    },
  };
}

// ---------------------------------------------------------------- MsgOpenResult

export interface OpenResult {
  readonly worker: string;
  readonly jobId: bigint;
  /** The canonical output committed to (empty for a cannot-run result). */
  readonly output: Uint8Array;
  readonly salt: Uint8Array;
  /** The secret key of the sealed output's ephemeral public key. */
  readonly ephemeralKey: Uint8Array;
}

/**
 * The job's worker opens its sealed result because a dispute asks (x/challenge
 * `wantsOpening`): the output and salt must hash to the posted commitment, sealing them again
 * with the revealed ephemeral key must give exactly the posted sealed output (so the client got
 * what is opened here), and the output must fit the model's output spec. A refused opening
 * changes nothing; a worker that does not open in time is at fault (x/challenge).
 */
export function msgOpenResultHandler(k: InferenceKeeper): MsgHandler<OpenResult> {
  return {
    typeUrl: MSG_OPEN_RESULT,
    decode(value: Uint8Array): OpenResult {
      const m = MsgOpenResult.decode(value);
      return { worker: m.worker, jobId: m.jobId, output: m.output, salt: m.salt, ephemeralKey: m.ephemeralKey };
    },
    signers: (msg) => [msg.worker],
    validateBasic(msg): void {
      parseAddress(msg.worker, Bech32Prefix.account, "worker");
      if (msg.jobId === 0n) throw ErrUnknownJob.wrap("job ids start at 1");
      if (msg.salt.length !== SALT_BYTES) throw ErrInvalidOpening.wrap(`salt is ${msg.salt.length} bytes; want ${SALT_BYTES}`);
      if (msg.ephemeralKey.length !== SECRET_KEY_BYTES) throw ErrInvalidOpening.wrap(`ephemeral_key is ${msg.ephemeralKey.length} bytes; want ${SECRET_KEY_BYTES}`);
    },
    execute(ctx: Context, msg): MsgResponse {
      ctx.gas.consume(TENSOR_GAS_PER_BYTE * BigInt(msg.output.length) + OPEN_CHECK_GAS, "open result");
      const job = k.getJob(ctx.store, msg.jobId);
      if (!job) throw ErrUnknownJob.wrap(`job ${msg.jobId}`);
      if (msg.worker !== job.worker) throw ErrNotAssignedWorker.wrap(`job ${job.id}'s result is ${job.worker}'s, not ${msg.worker}'s`);
      if (job.opened) throw ErrAlreadyOpened.wrap(`job ${job.id}`);
      const challenge = k.challenge;
      if (!challenge) throw ErrOpeningNotAvailable.wrap(`job ${job.id}: no challenge module`);
      // wantsOpening reads x/challenge's state: a dispute holding this job is in its opening phase.
      if (job.status !== JobStatus.JOB_STATUS_DISPUTED || !challenge.wantsOpening(ctx.store, job.id)) throw ErrOpeningNotRequested.wrap(`job ${job.id} (${statusName(job.status)})`);
      if (job.cannotRun && msg.output.length > 0) throw ErrCannotRunWithOutput.wrap(`job ${job.id}: ${msg.output.length} output bytes`);
      if (!commitmentMatches(job.commitment, job.id, job.worker, msg.output, msg.salt)) throw ErrCommitmentMismatch.wrap(`job ${job.id}`);
      if (!sealMatches(job.id, job.clientPubkey, job.sealedOutput, msg.output, msg.salt, msg.ephemeralKey)) throw ErrSealMismatch.wrap(`job ${job.id}`);
      if (!job.cannotRun) {
        const model = k.models.getModel(ctx.store, job.modelId);
        if (!model) throw new Error(`inference: job ${job.id} names missing model ${job.modelId}`);
        recode(ErrInvalidOutput, () => k.models.decodeOutput(model, msg.output));
      }
      k.setJob(ctx.store, { ...job, output: msg.output, opened: true });
      emitResultOpened(ctx.events, { jobId: job.id, disputeId: job.disputeId, worker: job.worker, cannotRun: job.cannotRun });
      return { typeUrl: TYPE_URL + "MsgOpenResultResponse", value: MsgOpenResultResponse.encode({}).finish() };
    },
  };
}

// ---------------------------------------------------------------- MsgUpdateParams

export type UpdateParams = ParamsUpdate<InferenceParams>;

export function msgUpdateParamsHandler(k: InferenceKeeper): MsgHandler<UpdateParams> {
  return updateParamsHandler({
    typeUrl: MSG_UPDATE_PARAMS,
    decode(value) {
      const m = MsgUpdateParams.decode(value);
      return { authority: m.authority, params: fromWire(m.params) };
    },
    getParams: (s) => k.getParams(s),
    setParams: (s, p) => k.setParams(s, p),
    unauthorized: ErrUnauthorizedParams,
    emit: (ctx, authority) => emitUpdateParams(ctx.events, authority),
  });
}

export function inferenceMsgHandlers(k: InferenceKeeper): AnyMsgHandler[] {
  return [msgSubmitJobHandler(k), msgSubmitResultHandler(k), msgOpenResultHandler(k), msgUpdateParamsHandler(k)];
}
