/**
 * Message handlers of x/inference: decode → checked domain message; validateBasic → stateless
 * checks (CheckTx); execute → stateful checks, then effects, on the message's branch (dropped
 * if anything throws, so a refused message leaves no escrow, job or penalty behind).
 */
import {
  MsgSubmitJob,
  MsgSubmitJobResponse,
  MsgSubmitResult,
  MsgSubmitResultResponse,
  MsgUpdateParams,
  MsgUpdateParamsResponse,
} from "../../gen/inferchain/inference/v1/tx";
import type { Context } from "../../base/context";
import { AppError } from "../../base/errors";
import type { AnyMsgHandler, MsgHandler, MsgResponse } from "../../base/module";
import { Bech32Prefix, parseAddress } from "../../base/types/address";
import {
  ErrAfterHardDeadline,
  ErrCannotRunWithOutput,
  ErrInvalidReason,
  ErrFeeBelowMinimum,
  ErrInputUriNotSupported,
  ErrInvalidFee,
  ErrInvalidInput,
  ErrInvalidOutput,
  ErrJobNotAwaitingResult,
  ErrNotAssignedWorker,
  ErrUnauthorizedParams,
  ErrUnknownJob,
  ErrUnknownModel,
} from "./errors";
import { emitJobSubmitted, emitResultSubmitted, emitUpdateParams } from "./events";
import { capRefund, latePenalty, resultTiming } from "./fees";
import { KIND_LATE_RESULT, coinString, coins, type InferenceKeeper } from "./keeper";
import { fromWire, type InferenceParams } from "./params";
import { JobStatus, newJob, statusName, type Job } from "./types";

const TYPE_URL = "/inferchain.inference.v1.";
export const MSG_SUBMIT_JOB = TYPE_URL + "MsgSubmitJob";
export const MSG_SUBMIT_RESULT = TYPE_URL + "MsgSubmitResult";
export const MSG_UPDATE_PARAMS = TYPE_URL + "MsgUpdateParams";

/**
 * Gas per byte of a tensor list decoded and re-encoded (canonical check) on top of the tx-size
 * charge, taken before the bytes are looked at, so a huge malformed payload runs out of gas
 * instead of costing free CPU.
 */
export const TENSOR_GAS_PER_BYTE = 10n;

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
      if (msg.inputUri !== "" || msg.inputSha256 !== "") throw ErrInputUriNotSupported.wrap(`input_uri ${JSON.stringify(msg.inputUri)}`);
      if (msg.input.length === 0) throw ErrInvalidInput.wrap("input is empty");
      if (msg.fee <= 0n) throw ErrInvalidFee.wrap("fee must be positive");
    },
    execute(ctx: Context, msg): MsgResponse {
      ctx.gas.consume(TENSOR_GAS_PER_BYTE * BigInt(msg.input.length), "job input");
      const model = k.models.getModel(ctx.store, msg.modelId);
      if (!model) throw ErrUnknownModel.wrap(`model ${msg.modelId}`);
      if (msg.fee < model.minFee) throw ErrFeeBelowMinimum.wrap(`fee ${msg.fee}${k.denom} is below ${model.id}'s min_fee ${model.minFee}${k.denom}`);
      try {
        k.models.decodeInput(model, msg.input);
      } catch (e) {
        if (e instanceof AppError) throw new AppError(ErrInvalidInput.codespace, ErrInvalidInput.code, `${e.message}: ${ErrInvalidInput.message}`, e);
        throw e;
      }
      k.bank.sendCoinsFromAccountToModule(ctx, msg.client, k.escrow, coins(k, msg.fee));
      const id = k.getNextJobId(ctx.store);
      k.setNextJobId(ctx.store, id + 1n);
      k.setJob(ctx.store, newJob({ id, client: msg.client, modelId: model.id, input: msg.input, fee: msg.fee, height: ctx.block.height }));
      emitJobSubmitted(ctx.events, { jobId: id, client: msg.client, modelId: model.id, fee: coinString(k, msg.fee) });
      return { typeUrl: TYPE_URL + "MsgSubmitJobResponse", value: MsgSubmitJobResponse.encode({ jobId: id }).finish() };
    },
  };
}

// ---------------------------------------------------------------- MsgSubmitResult

export interface SubmitResult {
  readonly worker: string;
  readonly jobId: bigint;
  readonly output: Uint8Array;
  /** The worker cannot run this input; `output` is empty and `reason` says why. */
  readonly cannotRun: boolean;
  readonly reason: string;
}

/** Most UTF-8 bytes of a cannot-run reason. */
export const MAX_CANNOT_RUN_REASON_BYTES = 256;

export function msgSubmitResultHandler(k: InferenceKeeper): MsgHandler<SubmitResult> {
  return {
    typeUrl: MSG_SUBMIT_RESULT,
    decode(value: Uint8Array): SubmitResult {
      const m = MsgSubmitResult.decode(value);
      return { worker: m.worker, jobId: m.jobId, output: m.output, cannotRun: m.cannotRun, reason: m.reason };
    },
    signers: (msg) => [msg.worker],
    validateBasic(msg): void {
      parseAddress(msg.worker, Bech32Prefix.account, "worker");
      if (msg.jobId === 0n) throw ErrUnknownJob.wrap("job ids start at 1");
      if (msg.cannotRun && msg.output.length > 0) throw ErrCannotRunWithOutput.wrap(`job ${msg.jobId}: ${msg.output.length} output bytes`);
      if (!msg.cannotRun && msg.reason !== "") throw ErrInvalidReason.wrap("a reason is given only with cannot_run");
      const bytes = new TextEncoder().encode(msg.reason).length;
      if (bytes > MAX_CANNOT_RUN_REASON_BYTES) throw ErrInvalidReason.wrap(`reason is ${bytes} bytes; at most ${MAX_CANNOT_RUN_REASON_BYTES}`);
    },
    execute(ctx: Context, msg): MsgResponse {
      ctx.gas.consume(TENSOR_GAS_PER_BYTE * BigInt(msg.output.length), "job output");
      const height = ctx.block.height;
      const job = k.getJob(ctx.store, msg.jobId);
      if (!job) throw ErrUnknownJob.wrap(`job ${msg.jobId}`);
      if (job.status !== JobStatus.JOB_STATUS_ASSIGNED) throw ErrJobNotAwaitingResult.wrap(`job ${job.id} is ${statusName(job.status)}`);
      if (msg.worker !== job.worker) throw ErrNotAssignedWorker.wrap(`job ${job.id} is assigned to ${job.worker}, not ${msg.worker}`);
      const timing = resultTiming(height, job);
      if (timing === "too_late") throw ErrAfterHardDeadline.wrap(`job ${job.id}: hard deadline ${job.hardDeadlineHeight}, now ${height}`);
      const model = k.models.getModel(ctx.store, job.modelId);
      if (!model) throw new Error(`inference: job ${job.id} names missing model ${job.modelId}`);
      // A cannot-run result has no output to check; it is signed by the assigned worker within
      // the hard deadline like any result and goes through the challenge window like any result.
      if (!msg.cannotRun) {
        try {
          k.models.decodeOutput(model, msg.output);
        } catch (e) {
          if (e instanceof AppError) throw new AppError(ErrInvalidOutput.codespace, ErrInvalidOutput.code, `${e.message}: ${ErrInvalidOutput.message}`, e);
          throw e;
        }
      }

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
        output: msg.output,
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
      });
      return { typeUrl: TYPE_URL + "MsgSubmitResultResponse", value: MsgSubmitResultResponse.encode({ late }).finish() };
    },
  };
}

// ---------------------------------------------------------------- MsgUpdateParams

export interface UpdateParams {
  readonly authority: string;
  readonly params: InferenceParams;
}

export function msgUpdateParamsHandler(k: InferenceKeeper): MsgHandler<UpdateParams> {
  return {
    typeUrl: MSG_UPDATE_PARAMS,
    decode(value: Uint8Array): UpdateParams {
      const m = MsgUpdateParams.decode(value);
      return { authority: m.authority, params: fromWire(m.params) };
    },
    signers: (msg) => [msg.authority],
    validateBasic(msg): void {
      parseAddress(msg.authority, Bech32Prefix.account, "authority");
    },
    execute(ctx: Context, msg): MsgResponse {
      const current = k.getParams(ctx.store);
      if (msg.authority !== current.paramsAuthority) throw ErrUnauthorizedParams.wrap(`signer ${msg.authority}, authority ${current.paramsAuthority}`);
      k.setParams(ctx.store, msg.params);
      emitUpdateParams(ctx.events, msg.authority);
      return { typeUrl: TYPE_URL + "MsgUpdateParamsResponse", value: MsgUpdateParamsResponse.encode({}).finish() };
    },
  };
}

export function inferenceMsgHandlers(k: InferenceKeeper): AnyMsgHandler[] {
  return [msgSubmitJobHandler(k), msgSubmitResultHandler(k), msgUpdateParamsHandler(k)];
}
