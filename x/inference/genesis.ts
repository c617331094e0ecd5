/**
 * x/inference genesis, Cosmos-style JSON (64-bit integers as decimal strings, 32-bit ones as
 * numbers; either form is accepted on input; bytes base64):
 *
 *   {"params": {"max_attempts": 3, "late_penalty_ppm": "500000",
 *               "challenge_window_blocks": "10",
 *               "verification_share_ppm": "100000", "protocol_share_ppm": "50000",
 *               "params_authority": "infer1…", "max_assignments_per_block": 100,
 *               "no_response_penalty_ppm": "1000000", "no_response_penalty_min": "1000",
 *               "no_response_penalty_max": "1000000000000", "job_retention_blocks": "1000",
 *               "job_record_retention_blocks": "100000", "max_prunes_per_block": 100,
 *               "max_uri_input_bytes": "65536"},
 *    "jobs": [{"id": "1", "client": "infer1…", "model_id": "mlp-16x8", "input": "<base64>",
 *              "input_uri": "", "input_sha256": "", "fee": "1000", "status": "JOB_STATUS_ASSIGNED",
 *              "submitted_height": "4", "attempts": 1, "operator": "infervaloper1…",
 *              "worker": "infer1…", "assigned_height": "4", "deadline_height": "14",
 *              "hard_deadline_height": "24", "tried_operators": ["infervaloper1…"],
 *              "output": "", "result_height": "0", "late": false, "challenge_end_height": "0",
 *              "finalized_height": "0", "refunded": "0", "cannot_run": false,
 *              "cannot_run_reason": "", "output_sha256": "", "prune_height": "0",
 *              "pruned": false, "commitment": "", "sealed_output": "",
 *              "client_pubkey": "<base64, 33 bytes>", "dispute_id": "0", "opened": false,
 *              "audit_rate_ppm": "50000"}],
 *    "next_job_id": "2"}
 *
 * Every field may be left out (params are merged field by field over the defaults). Each job's
 * model must be registered (x/models runs first), and the job escrow account must hold exactly
 * the fees of the open jobs (x/bank runs first): an export of a running chain has both. Queue
 * entries whose height has passed are processed in the first block.
 */
import type { Context, QueryContext } from "../../base/context";
import { INT64_MAX, genesisJsonReaders } from "../../base/genesisJson";
import { moduleAddress, Bech32Prefix } from "../../base/types/address";
import { PPM } from "../../base/types/math";
import { jobStatusFromJSON, jobStatusToJSON } from "../../gen/inferchain/inference/v1/inference";
import { ErrInvalidGenesis } from "./errors";
import type { ModelsKeeper } from "./expectedKeepers";
import { inputSha256Problem, inputUriProblem, sha256Hex } from "./inputUri";
import type { InferenceKeeper } from "./keeper";
import { defaultParams, validateParams, type InferenceParams } from "./params";
import { MAX_CANNOT_RUN_REASON_BYTES } from "./msgServer";
import { COMMITMENT_BYTES, SEAL_OVERHEAD, isValidPubkey, sealedOutputProblem } from "./seal";
import { JobStatus, hasResult, isFinished, isOpen, type Job } from "./types";

export interface ParamsJson {
  readonly max_attempts: number;
  readonly late_penalty_ppm: string;
  readonly challenge_window_blocks: string;
  readonly verification_share_ppm: string;
  readonly protocol_share_ppm: string;
  readonly params_authority: string;
  readonly max_assignments_per_block: number;
  readonly no_response_penalty_ppm: string;
  readonly no_response_penalty_min: string;
  readonly no_response_penalty_max: string;
  readonly job_retention_blocks: string;
  readonly job_record_retention_blocks: string;
  readonly max_prunes_per_block: number;
  readonly max_uri_input_bytes: string;
}

export interface JobJson {
  readonly id: string;
  readonly client: string;
  readonly model_id: string;
  readonly input: string;
  readonly input_uri: string;
  readonly input_sha256: string;
  readonly fee: string;
  readonly status: string;
  readonly submitted_height: string;
  readonly attempts: number;
  readonly operator: string;
  readonly worker: string;
  readonly assigned_height: string;
  readonly deadline_height: string;
  readonly hard_deadline_height: string;
  readonly tried_operators: readonly string[];
  readonly output: string;
  readonly result_height: string;
  readonly late: boolean;
  readonly challenge_end_height: string;
  readonly finalized_height: string;
  readonly refunded: string;
  readonly cannot_run: boolean;
  readonly cannot_run_reason: string;
  readonly output_sha256: string;
  readonly prune_height: string;
  readonly pruned: boolean;
  readonly commitment: string;
  readonly sealed_output: string;
  readonly client_pubkey: string;
  readonly dispute_id: string;
  readonly opened: boolean;
  readonly audit_rate_ppm: string;
}

export interface InferenceGenesis {
  readonly params: ParamsJson;
  readonly jobs: readonly JobJson[];
  readonly next_job_id: string;
}

function paramsToJson(p: InferenceParams): ParamsJson {
  return {
    max_attempts: p.maxAttempts,
    late_penalty_ppm: p.latePenaltyPpm.toString(),
    challenge_window_blocks: p.challengeWindowBlocks.toString(),
    verification_share_ppm: p.verificationSharePpm.toString(),
    protocol_share_ppm: p.protocolSharePpm.toString(),
    params_authority: p.paramsAuthority,
    max_assignments_per_block: p.maxAssignmentsPerBlock,
    no_response_penalty_ppm: p.noResponsePenaltyPpm.toString(),
    no_response_penalty_min: p.noResponsePenaltyMin.toString(),
    no_response_penalty_max: p.noResponsePenaltyMax.toString(),
    job_retention_blocks: p.jobRetentionBlocks.toString(),
    job_record_retention_blocks: p.jobRecordRetentionBlocks.toString(),
    max_prunes_per_block: p.maxPrunesPerBlock,
    max_uri_input_bytes: p.maxUriInputBytes.toString(),
  };
}

export function defaultGenesis(): InferenceGenesis {
  return { params: paramsToJson(defaultParams()), jobs: [], next_job_id: "1" };
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");

export function jobToJson(j: Job): JobJson {
  return {
    id: j.id.toString(),
    client: j.client,
    model_id: j.modelId,
    input: b64(j.input),
    input_uri: j.inputUri,
    input_sha256: j.inputSha256,
    fee: j.fee.toString(),
    status: jobStatusToJSON(j.status),
    submitted_height: j.submittedHeight.toString(),
    attempts: j.attempts,
    operator: j.operator,
    worker: j.worker,
    assigned_height: j.assignedHeight.toString(),
    deadline_height: j.deadlineHeight.toString(),
    hard_deadline_height: j.hardDeadlineHeight.toString(),
    tried_operators: [...j.triedOperators],
    output: b64(j.output),
    result_height: j.resultHeight.toString(),
    late: j.late,
    challenge_end_height: j.challengeEndHeight.toString(),
    finalized_height: j.finalizedHeight.toString(),
    refunded: j.refunded.toString(),
    cannot_run: j.cannotRun,
    cannot_run_reason: j.cannotRunReason,
    output_sha256: j.outputSha256,
    prune_height: j.pruneHeight.toString(),
    pruned: j.pruned,
    commitment: b64(j.commitment),
    sealed_output: b64(j.sealedOutput),
    client_pubkey: b64(j.clientPubkey),
    dispute_id: j.disputeId.toString(),
    opened: j.opened,
    audit_rate_ppm: j.auditRatePpm.toString(),
  };
}

// ------------------------------------------------------------------ parsing

const { str, bool, obj, list, uint, amount, base64: bytes, addressOr: address } = genesisJsonReaders(ErrInvalidGenesis);

function parseParams(raw: unknown): InferenceParams {
  const p = { ...paramsToJson(defaultParams()), ...obj(raw ?? {}, "params") } as Record<string, unknown>;
  const params: InferenceParams = {
    maxAttempts: Number(uint(p.max_attempts, "params.max_attempts", 0xffff_ffffn)),
    latePenaltyPpm: uint(p.late_penalty_ppm, "params.late_penalty_ppm"),
    challengeWindowBlocks: uint(p.challenge_window_blocks, "params.challenge_window_blocks", INT64_MAX),
    verificationSharePpm: uint(p.verification_share_ppm, "params.verification_share_ppm"),
    protocolSharePpm: uint(p.protocol_share_ppm, "params.protocol_share_ppm"),
    paramsAuthority: str(p.params_authority, "params.params_authority"),
    maxAssignmentsPerBlock: Number(uint(p.max_assignments_per_block, "params.max_assignments_per_block", 0xffff_ffffn)),
    noResponsePenaltyPpm: uint(p.no_response_penalty_ppm, "params.no_response_penalty_ppm"),
    noResponsePenaltyMin: amount(p.no_response_penalty_min, "params.no_response_penalty_min"),
    noResponsePenaltyMax: amount(p.no_response_penalty_max, "params.no_response_penalty_max"),
    jobRetentionBlocks: uint(p.job_retention_blocks, "params.job_retention_blocks", INT64_MAX),
    jobRecordRetentionBlocks: uint(p.job_record_retention_blocks, "params.job_record_retention_blocks", INT64_MAX),
    maxPrunesPerBlock: Number(uint(p.max_prunes_per_block, "params.max_prunes_per_block", 0xffff_ffffn)),
    maxUriInputBytes: uint(p.max_uri_input_bytes, "params.max_uri_input_bytes"),
  };
  try {
    validateParams(params);
  } catch (e) {
    throw ErrInvalidGenesis.wrap((e as Error).message);
  }
  return params;
}

function parseStatus(v: unknown, what: string): JobStatus {
  const s = jobStatusFromJSON(v);
  if (s === JobStatus.UNRECOGNIZED || s === JobStatus.JOB_STATUS_UNSPECIFIED) throw ErrInvalidGenesis.wrap(`${what}: unknown job status ${String(v)}`);
  return s;
}

/** A job from its JSON form, checked (`models` gives the model-id rule). */
export function jobFromJson(raw: unknown, what: string, models: Pick<ModelsKeeper, "isValidModelId">): Job {
  const o = obj(raw, what);
  const h = (f: string): bigint => uint(o[f] ?? "0", `${what}.${f}`, INT64_MAX);
  const job: Job = {
    id: uint(o.id, `${what}.id`),
    client: address(o.client, Bech32Prefix.account, `${what}.client`),
    modelId: str(o.model_id, `${what}.model_id`),
    input: bytes(o.input, `${what}.input`),
    inputUri: str(o.input_uri ?? "", `${what}.input_uri`),
    inputSha256: str(o.input_sha256 ?? "", `${what}.input_sha256`),
    fee: amount(o.fee, `${what}.fee`),
    status: parseStatus(o.status, `${what}.status`),
    submittedHeight: h("submitted_height"),
    attempts: Number(uint(o.attempts ?? 0, `${what}.attempts`, 0xffff_ffffn)),
    operator: address(o.operator, Bech32Prefix.operator, `${what}.operator`, true),
    worker: address(o.worker, Bech32Prefix.account, `${what}.worker`, true),
    assignedHeight: h("assigned_height"),
    deadlineHeight: h("deadline_height"),
    hardDeadlineHeight: h("hard_deadline_height"),
    triedOperators: list(o.tried_operators, `${what}.tried_operators`).map((t, i) => address(t, Bech32Prefix.operator, `${what}.tried_operators[${i}]`)),
    output: bytes(o.output, `${what}.output`),
    resultHeight: h("result_height"),
    late: bool(o.late ?? false, `${what}.late`),
    challengeEndHeight: h("challenge_end_height"),
    finalizedHeight: h("finalized_height"),
    refunded: amount(o.refunded ?? "0", `${what}.refunded`),
    cannotRun: bool(o.cannot_run ?? false, `${what}.cannot_run`),
    cannotRunReason: str(o.cannot_run_reason ?? "", `${what}.cannot_run_reason`),
    outputSha256: str(o.output_sha256 ?? "", `${what}.output_sha256`),
    pruneHeight: h("prune_height"),
    pruned: bool(o.pruned ?? false, `${what}.pruned`),
    commitment: bytes(o.commitment, `${what}.commitment`),
    sealedOutput: bytes(o.sealed_output, `${what}.sealed_output`),
    clientPubkey: bytes(o.client_pubkey, `${what}.client_pubkey`),
    disputeId: uint(o.dispute_id ?? "0", `${what}.dispute_id`),
    opened: bool(o.opened ?? false, `${what}.opened`),
    auditRatePpm: uint(o.audit_rate_ppm ?? "0", `${what}.audit_rate_ppm`, PPM),
  };
  checkJob(job, what, models);
  return job;
}

/** What every job in a given status must carry, so the end-block steps can rely on it. */
function checkJob(j: Job, what: string, models: Pick<ModelsKeeper, "isValidModelId">): void {
  const bad = (why: string): never => {
    throw ErrInvalidGenesis.wrap(`${what}: ${why}`);
  };
  if (j.id === 0n) bad("ids start at 1");
  if (!models.isValidModelId(j.modelId)) bad(`invalid model id ${j.modelId}`);
  if (j.fee <= 0n) bad("fee must be positive");
  const byUri = j.inputUri !== "";
  if (byUri) {
    const problem = inputUriProblem(j.inputUri) ?? inputSha256Problem(j.inputSha256);
    if (problem !== undefined) bad(problem);
  }
  const finished = isFinished(j.status);
  if (j.refunded > j.fee) bad("refunded must not exceed the fee");
  if (j.pruned && !finished) bad("only a finished job is pruned");
  if (j.pruneHeight > 0n && !finished) bad("only a finished job has a prune height");
  if (j.pruned && (j.input.length > 0 || j.output.length > 0 || j.sealedOutput.length > 0)) bad("a pruned job keeps no input or output bytes");
  const sha = /^([0-9a-f]{64})?$/;
  if (!sha.test(j.inputSha256) || !sha.test(j.outputSha256)) bad("input_sha256 / output_sha256 must be empty or 64 lowercase hex digits");
  if (!j.pruned && ((!byUri && j.inputSha256 !== "") || j.outputSha256 !== "")) bad("input_sha256 (of an inline input) and output_sha256 are set only once pruned");
  if (!j.pruned && !byUri && j.input.length === 0) bad("input is empty");
  // A job by URI carries input bytes only once its worker provided them (x/challenge).
  if (byUri && j.input.length > 0 && sha256Hex(j.input) !== j.inputSha256) bad("the input provided for a job by uri must hash to its input_sha256");
  if (j.clientPubkey.length > 0 && !isValidPubkey(j.clientPubkey)) bad("client_pubkey must be a compressed secp256k1 public key");
  if (!j.cannotRun && j.cannotRunReason !== "") bad("cannot_run_reason without cannot_run");
  if (new TextEncoder().encode(j.cannotRunReason).length > MAX_CANNOT_RUN_REASON_BYTES) bad(`cannot_run_reason above ${MAX_CANNOT_RUN_REASON_BYTES} bytes`);
  if (new Set(j.triedOperators).size !== j.triedOperators.length) bad("an operator is tried twice");
  if (BigInt(j.triedOperators.length) !== BigInt(j.attempts)) bad("tried_operators must list one operator per attempt");
  const assigned = j.attempts > 0;
  if (assigned !== (j.operator !== "") || assigned !== (j.worker !== "")) bad("operator and worker are set exactly when attempts > 0");
  if (assigned && j.triedOperators[j.triedOperators.length - 1] !== j.operator) bad("operator must be the last tried operator");
  if (assigned && !(j.assignedHeight < j.deadlineHeight && j.deadlineHeight < j.hardDeadlineHeight)) bad("want assigned_height < deadline_height < hard_deadline_height");
  if ((j.status === JobStatus.JOB_STATUS_PENDING || j.status === JobStatus.JOB_STATUS_ASSIGNED) && j.clientPubkey.length === 0) bad("a job awaiting a result needs the client_pubkey its result is sealed to");
  // A result: posted (RESULT_POSTED), held by a dispute (DISPUTED), finalized, or failed by a
  // FAULT verdict (FAILED with a dispute id). It is sealed: a commitment, the sealed output
  // (until pruned) and the key it is sealed to; the plain output only once opened.
  const posted = hasResult(j.status) || (j.status === JobStatus.JOB_STATUS_FAILED && j.disputeId > 0n && j.commitment.length > 0);
  if (posted) {
    const sealedOk = j.pruned ? j.sealedOutput.length === 0 : sealedOutputProblem(j.sealedOutput) === undefined;
    if (!assigned || j.commitment.length !== COMMITMENT_BYTES || !sealedOk || j.clientPubkey.length === 0 || j.challengeEndHeight <= j.resultHeight) {
      bad("a posted result needs an assignee, a 32-byte commitment, a sealed output (unless pruned), the client_pubkey and challenge_end_height > result_height");
    }
    if (j.cannotRun && (j.output.length > 0 || (!j.pruned && j.sealedOutput.length !== SEAL_OVERHEAD))) bad("a cannot-run result carries no output");
  } else if (j.output.length > 0 || j.cannotRun || j.commitment.length > 0 || j.sealedOutput.length > 0 || j.opened) {
    bad(`a ${jobStatusToJSON(j.status)} job has no result`);
  }
  if (j.status === JobStatus.JOB_STATUS_DISPUTED && j.disputeId === 0n) bad("a DISPUTED job names its dispute");
  if (j.opened && j.disputeId === 0n) bad("only a disputed result is opened");
  if (j.output.length > 0 && !j.opened) bad("output is set only once the result is opened");
  if (j.opened && !j.cannotRun && !j.pruned && j.output.length === 0) bad("an opened result keeps its output until pruned");
  if (j.status === JobStatus.JOB_STATUS_ASSIGNED && !assigned) bad("an ASSIGNED job needs an assignee");
  // Fixed at assignment, cleared when the job goes back to PENDING for another attempt.
  if (j.status === JobStatus.JOB_STATUS_PENDING && j.auditRatePpm !== 0n) bad("a PENDING job has no audit rate yet");
}

export interface ParsedGenesis {
  readonly params: InferenceParams;
  readonly jobs: readonly Job[];
  readonly nextJobId: bigint;
}

export function parseGenesis(raw: unknown, models: Pick<ModelsKeeper, "isValidModelId">): ParsedGenesis {
  const g = obj(raw ?? defaultGenesis(), "inference genesis");
  const params = parseParams(g.params);
  const jobs = list(g.jobs, "jobs").map((j, i) => jobFromJson(j, `jobs[${i}]`, models));
  const ids = new Set(jobs.map((j) => j.id));
  if (ids.size !== jobs.length) throw ErrInvalidGenesis.wrap("jobs: an id is listed twice");
  const maxId = jobs.reduce((m, j) => (j.id > m ? j.id : m), 0n);
  const nextJobId = g.next_job_id === undefined ? maxId + 1n : uint(g.next_job_id, "next_job_id");
  if (nextJobId <= maxId || nextJobId === 0n) throw ErrInvalidGenesis.wrap(`next_job_id ${nextJobId} must exceed every job id (${maxId})`);
  return { params, jobs, nextJobId };
}

export function initGenesis(k: InferenceKeeper, ctx: Context, raw: unknown): void {
  const g = parseGenesis(raw, k.models);
  k.setParams(ctx.store, g.params);
  k.setNextJobId(ctx.store, g.nextJobId);
  let escrowed = 0n;
  for (const j of g.jobs) {
    if (!k.models.getModel(ctx.store, j.modelId)) throw ErrInvalidGenesis.wrap(`job ${j.id}: model ${j.modelId} is not registered`);
    k.setJob(ctx.store, j);
    if (isOpen(j.status)) escrowed += j.fee;
  }
  const held = k.bank.getBalance(ctx.store, moduleAddress(k.escrow), k.denom);
  if (held !== escrowed) throw ErrInvalidGenesis.wrap(`the ${k.escrow} account holds ${held}${k.denom}; the open jobs' fees add up to ${escrowed}${k.denom}`);
}

export function exportGenesis(k: InferenceKeeper, ctx: QueryContext): InferenceGenesis {
  return {
    params: paramsToJson(k.getParams(ctx.store)),
    jobs: [...k.jobs(ctx.store)].map(jobToJson),
    next_job_id: k.getNextJobId(ctx.store).toString(),
  };
}
