/**
 * Data availability (SPEC §4): a job may name its input by URI and hash instead of carrying it
 * (x/inference). Its worker fetched the bytes to run it, so it must be able to show them: anyone
 * may ask, with a bond, while the job's result is open or disputed.
 *
 *   MsgRequestData{requester, job_id, bond}  bond ≥ data_request_bond into the challenge module
 *       account; one open request per job; the worker has until height + da_response_blocks
 *   MsgProvideData{worker, job_id, data}     from the job's worker key, by the deadline: the
 *       bytes must hash to input_sha256 and fit the model's input spec (x/inference
 *       `provideInput`, which keeps them as the job's on-chain input until its normal pruning).
 *       The bond goes to the worker: a griefer who asks for data that exists pays for the tx.
 *   EndBlock (after the disputes' steps)     up to max_da_expiries_per_block requests whose
 *       deadline has come: the bond back to the requester, the worker's validator slashed
 *       `slash_fraction_unavailable_ppm` (kind `data_unavailable`, the requester as reporter)
 *       and one incident counted; at `max_da_incidents` the slash also jails it for
 *       `da_jail_blocks` and the count starts again (MsgUnjail after that, x/slashing).
 *
 * A request keeps what the provide is checked against (worker, hash, result height), so a job
 * pruned meanwhile changes nothing; one whose record is gone at the deadline is dropped without
 * a slash (nothing could be checked against it any more). Each expiry runs on its own branch:
 * one that throws is reported (`data_request_error`) and taken off the queue, its bond held.
 */
import { onBranch, type Context } from "../../base/context";
import { InvariantError, errorText } from "../../base/errors";
import type { MsgHandler, MsgResponse } from "../../base/module";
import { Bech32Prefix, operatorAccount, parseAddress } from "../../base/types/address";
import { MsgProvideData, MsgProvideDataResponse, MsgRequestData, MsgRequestDataResponse } from "../../gen/inferchain/challenge/v1/tx";
import { createHash } from "node:crypto";
import {
  ErrBondTooLow,
  ErrDataHashMismatch,
  ErrDataOnChain,
  ErrDataRequestExpired,
  ErrDataRequestOpen,
  ErrDataRequestWindow,
  ErrInvalidBond,
  ErrInvalidData,
  ErrNoDataRequest,
  ErrNotJobWorker,
  ErrNotUriJob,
  ErrUnknownJob,
} from "./errors";
import { emitDataProvided, emitDataRequestError, emitDataRequested, emitDataUnavailable } from "./events";
import { KIND_DATA_UNAVAILABLE, coinString, coins, type ChallengeKeeper } from "./keeper";
import { daDueKey } from "./keys";
import type { ChallengeParams } from "./params";
import type { DataRequest } from "./types";

const TYPE_URL = "/inferchain.challenge.v1.";
export const MSG_REQUEST_DATA = TYPE_URL + "MsgRequestData";
export const MSG_PROVIDE_DATA = TYPE_URL + "MsgProvideData";

/** Gas per provided byte (hashed, decoded and checked against the model), on top of the tx-size charge. */
export const DATA_GAS_PER_BYTE = 10n;

const DECIMAL = /^[0-9]{1,30}$/;

// ---------------------------------------------------------------- MsgRequestData

export interface RequestData {
  readonly requester: string;
  readonly jobId: bigint;
  readonly bond: bigint;
}

export function msgRequestDataHandler(k: ChallengeKeeper): MsgHandler<RequestData> {
  return {
    typeUrl: MSG_REQUEST_DATA,
    decode(value: Uint8Array): RequestData {
      const m = MsgRequestData.decode(value);
      if (!DECIMAL.test(m.bond)) throw ErrInvalidBond.wrap(`bond must be a decimal integer of uinf, got ${JSON.stringify(m.bond)}`);
      return { requester: m.requester, jobId: m.jobId, bond: BigInt(m.bond) };
    },
    signers: (msg) => [msg.requester],
    validateBasic(msg): void {
      parseAddress(msg.requester, Bech32Prefix.account, "requester");
      if (msg.jobId === 0n) throw ErrUnknownJob.wrap("job ids start at 1");
      if (msg.bond <= 0n) throw ErrInvalidBond.wrap("bond must be positive");
    },
    execute(ctx: Context, msg): MsgResponse {
      const params = k.getParams(ctx.store);
      const job = k.inference.jobForDispute(ctx.store, msg.jobId);
      if (!job) throw ErrUnknownJob.wrap(`job ${msg.jobId}`);
      if (job.inputUri === "") throw ErrNotUriJob.wrap(`job ${job.id} carries its input inline`);
      if (job.input.length > 0) throw ErrDataOnChain.wrap(`job ${job.id}`);
      if (job.status !== "result_posted" && job.status !== "disputed") throw ErrDataRequestWindow.wrap(`job ${job.id} is ${job.status}`);
      const open = k.getDataRequest(ctx.store, job.id);
      if (open) throw ErrDataRequestOpen.wrap(`job ${job.id}: requested by ${open.requester}, due by height ${open.deadlineHeight}`);
      if (msg.bond < params.dataRequestBond) throw ErrBondTooLow.wrap(`bond ${coinString(k, msg.bond)} is below data_request_bond ${coinString(k, params.dataRequestBond)}`);
      k.bank.sendCoinsFromAccountToModule(ctx, msg.requester, k.moduleAccount, coins(k, msg.bond));
      const r: DataRequest = {
        jobId: job.id,
        requester: msg.requester,
        bond: msg.bond,
        operator: job.operator,
        worker: job.worker,
        modelId: job.modelId,
        inputSha256: job.inputSha256,
        requestedHeight: ctx.block.height,
        deadlineHeight: ctx.block.height + params.daResponseBlocks,
        resultHeight: job.resultHeight,
      };
      k.setDataRequest(ctx.store, r);
      emitDataRequested(ctx.events, {
        jobId: r.jobId,
        requester: r.requester,
        bond: coinString(k, r.bond),
        operator: r.operator,
        worker: r.worker,
        inputUri: job.inputUri,
        inputSha256: r.inputSha256,
        deadlineHeight: r.deadlineHeight,
      });
      return { typeUrl: TYPE_URL + "MsgRequestDataResponse", value: MsgRequestDataResponse.encode({ deadlineHeight: r.deadlineHeight }).finish() };
    },
  };
}

// ---------------------------------------------------------------- MsgProvideData

export interface ProvideData {
  readonly worker: string;
  readonly jobId: bigint;
  readonly data: Uint8Array;
}

export function msgProvideDataHandler(k: ChallengeKeeper): MsgHandler<ProvideData> {
  return {
    typeUrl: MSG_PROVIDE_DATA,
    decode(value: Uint8Array): ProvideData {
      const m = MsgProvideData.decode(value);
      return { worker: m.worker, jobId: m.jobId, data: m.data };
    },
    signers: (msg) => [msg.worker],
    validateBasic(msg): void {
      parseAddress(msg.worker, Bech32Prefix.account, "worker");
      if (msg.jobId === 0n) throw ErrUnknownJob.wrap("job ids start at 1");
      if (msg.data.length === 0) throw ErrInvalidData.wrap("data is empty");
    },
    execute(ctx: Context, msg): MsgResponse {
      ctx.gas.consume(DATA_GAS_PER_BYTE * BigInt(msg.data.length), "provided data");
      const r = k.getDataRequest(ctx.store, msg.jobId);
      if (!r) throw ErrNoDataRequest.wrap(`job ${msg.jobId}`);
      if (msg.worker !== r.worker) throw ErrNotJobWorker.wrap(`job ${r.jobId}'s worker is ${r.worker}, not ${msg.worker}`);
      if (ctx.block.height > r.deadlineHeight) throw ErrDataRequestExpired.wrap(`job ${r.jobId}: deadline ${r.deadlineHeight}, now ${ctx.block.height}`);
      const hash = createHash("sha256").update(msg.data).digest("hex");
      if (hash !== r.inputSha256) throw ErrDataHashMismatch.wrap(`job ${r.jobId}: the data hashes to ${hash}, not ${r.inputSha256}`);
      // The model's input spec (x/inference's error if it does not fit) and the bytes kept on the job.
      k.inference.provideInput(ctx, r.jobId, msg.data);
      k.deleteDataRequest(ctx.store, r);
      k.bank.sendCoinsFromModuleToAccount(ctx, k.moduleAccount, r.worker, coins(k, r.bond));
      emitDataProvided(ctx.events, { jobId: r.jobId, worker: r.worker, requester: r.requester, bond: coinString(k, r.bond), bytes: msg.data.length });
      return { typeUrl: TYPE_URL + "MsgProvideDataResponse", value: MsgProvideDataResponse.encode({}).finish() };
    },
  };
}

// ---------------------------------------------------------------- EndBlock: expiries

/** Settles up to `max_da_expiries_per_block` data requests whose deadline is this block or earlier; returns how many. */
export function processDataExpiries(k: ChallengeKeeper, ctx: Context, params: ChallengeParams): number {
  const due = k.dueDataRequests(ctx.store, ctx.block.height, params.maxDaExpiriesPerBlock);
  for (const [deadline, jobId] of due) {
    const r = k.getDataRequest(ctx.store, jobId);
    if (!r || r.deadlineHeight !== deadline) throw new InvariantError(`challenge: da queue entry ${deadline}/${jobId} does not match its request`);
    const out = onBranch(ctx, (c) => expire(k, c, params, r));
    if (!out.ok) {
      if (out.error instanceof InvariantError) throw out.error;
      emitDataRequestError(ctx.events, { jobId, step: "expire", error: errorText(out.error) });
      ctx.store.delete(daDueKey(deadline, jobId));
    }
  }
  return due.length;
}

/** One expired request: bond back; unless the job is gone, the slash, the incident and maybe the jail. */
function expire(k: ChallengeKeeper, ctx: Context, params: ChallengeParams, r: DataRequest): void {
  k.deleteDataRequest(ctx.store, r);
  k.bank.sendCoinsFromModuleToAccount(ctx, k.moduleAccount, r.requester, coins(k, r.bond));
  const base = { jobId: r.jobId, operator: r.operator, worker: r.worker, requester: r.requester };
  if (!k.inference.jobForDispute(ctx.store, r.jobId)) {
    emitDataUnavailable(ctx.events, { ...base, slashed: false, incidents: k.getDaIncidents(ctx.store, r.operator), jailed: false, reason: "job_gone" });
    return;
  }
  let incidents = k.getDaIncidents(ctx.store, r.operator) + 1n;
  const jail = incidents >= BigInt(params.maxDaIncidents);
  // The validator's own accounts earn no reporter reward for asking about their own job.
  const self = r.requester === r.worker || r.requester === operatorAccount(r.operator);
  let slashed = false;
  if (params.slashFractionUnavailablePpm > 0n || jail) {
    const s = onBranch(ctx, (c) =>
      k.slashing.slash(c, {
        operator: r.operator,
        infractionHeight: r.resultHeight,
        fractionPpm: params.slashFractionUnavailablePpm,
        kind: KIND_DATA_UNAVAILABLE,
        reporters: self ? [] : [r.requester],
        jail,
        tombstone: false,
        jailBlocks: params.daJailBlocks,
        reason: `job ${r.jobId}: input not provided by height ${r.deadlineHeight} (incident ${incidents} of ${params.maxDaIncidents})`,
      }),
    );
    if (s.ok) slashed = true;
    else emitDataRequestError(ctx.events, { jobId: r.jobId, step: "slash", error: `${KIND_DATA_UNAVAILABLE} of ${r.operator}: ${errorText(s.error)}` });
  }
  if (jail && slashed) incidents = 0n;
  k.setDaIncidents(ctx.store, r.operator, incidents);
  emitDataUnavailable(ctx.events, { ...base, slashed, incidents, jailed: jail && slashed, reason: "expired" });
}
