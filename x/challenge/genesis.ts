/**
 * x/challenge genesis, Cosmos-style JSON (64-bit integers as decimal strings, 32-bit ones as
 * numbers; either form is accepted on input; bytes base64; enums by name):
 *
 *   {"params": {"audit_rate_ppm": "50000", "min_challenge_bond": "1000000",
 *               "verifiers_per_round": 3, "appeal_verifiers": 7, "commit_blocks": "5",
 *               "reveal_blocks": "5", "open_blocks": "5", "appeal_window_blocks": "10",
 *               "appeal_bond_multiplier": "2", "max_rounds": 3, "max_quorum_retries": 2,
 *               "slash_fraction_invalid_result_ppm": "1000000",
 *               "slash_fraction_bad_verification_ppm": "10000", "audit_verifier_reward": "500",
 *               "params_authority": "infer1…", "max_disputes_per_block": 100,
 *               "safety_factor_ppm": "2000000", "max_audit_rate_ppm": "250000"},
 *    "disputes": [{"id": "1", "job_id": "7", "kind": "DISPUTE_KIND_CHALLENGE",
 *                  "status": "DISPUTE_STATUS_COMMIT", "operator": "infervaloper1…",
 *                  "worker": "infer1…", "model_id": "mlp-16x8", "challenger": "infer1…",
 *                  "opened_height": "20", "result_height": "18",
 *                  "rounds": [{"number": 1, "requester": "infer1…", "bond": "1000000",
 *                              "drawn_height": "21", "commit_end_height": "26",
 *                              "reveal_end_height": "31", "open_end_height": "36",
 *                              "verifiers": [{"operator": "infervaloper1…", "worker": "infer1…",
 *                                             "commitment": "<base64>", "output": "",
 *                                             "revealed": false, "cannot_run": false,
 *                                             "agrees": false}],
 *                              "verdict": "VERDICT_UNSPECIFIED", "no_quorum": false}],
 *                  "opened": false, "opened_output": "", "opened_cannot_run": false,
 *                  "appeal_end_height": "0", "final_verdict": "VERDICT_UNSPECIFIED",
 *                  "final_height": "0"}],
 *    "next_dispute_id": "2",
 *    "data_requests": [{"job_id": "9", "requester": "infer1…", "bond": "100000",
 *                       "operator": "infervaloper1…", "worker": "infer1…", "model_id": "mlp-16x8",
 *                       "input_sha256": "<64 hex>", "requested_height": "30",
 *                       "deadline_height": "40", "result_height": "28"}],
 *    "da_incidents": [{"operator": "infervaloper1…", "count": "2"}]}
 *
 * Every field may be left out (params are merged field by field over the defaults). Each
 * dispute's model must be registered (x/models runs first), and the `challenge` module account
 * must hold exactly the bonds of the disputes that are not final and of the open data requests
 * (x/bank runs first): an export
 * of a running chain has both. (The jobs the open disputes hold are x/inference's, whose genesis
 * runs after this one.) Due steps whose height has passed are processed in the first block.
 */
import { INT64_MAX, genesisJsonReaders } from "../../base/genesisJson";
import type { Context, QueryContext } from "../../base/context";
import { Bech32Prefix, moduleAddress } from "../../base/types/address";
import {
  disputeKindFromJSON,
  disputeKindToJSON,
  disputeStatusFromJSON,
  disputeStatusToJSON,
  verdictFromJSON,
  verdictToJSON,
} from "../../gen/inferchain/challenge/v1/challenge";
import { COMMITMENT_BYTES } from "./commitment";
import { ErrInvalidGenesis } from "./errors";
import type { ChallengeKeeper } from "./keeper";
import { defaultParams, validateParams, type ChallengeParams } from "./params";
import { DisputeKind, DisputeStatus, Verdict, currentRound, isFinal, type DataRequest, type Dispute, type Round, type Verifier } from "./types";
import { standingVerdict } from "./verdict";

export interface ParamsJson {
  readonly audit_rate_ppm: string;
  readonly min_challenge_bond: string;
  readonly verifiers_per_round: number;
  readonly appeal_verifiers: number;
  readonly commit_blocks: string;
  readonly reveal_blocks: string;
  readonly open_blocks: string;
  readonly appeal_window_blocks: string;
  readonly appeal_bond_multiplier: string;
  readonly max_rounds: number;
  readonly max_quorum_retries: number;
  readonly slash_fraction_invalid_result_ppm: string;
  readonly slash_fraction_bad_verification_ppm: string;
  readonly audit_verifier_reward: string;
  readonly params_authority: string;
  readonly max_disputes_per_block: number;
  readonly safety_factor_ppm: string;
  readonly max_audit_rate_ppm: string;
  readonly da_response_blocks: string;
  readonly slash_fraction_unavailable_ppm: string;
  readonly max_da_incidents: number;
  readonly data_request_bond: string;
  readonly da_jail_blocks: string;
  readonly max_da_expiries_per_block: number;
}

export interface VerifierJson {
  readonly operator: string;
  readonly worker: string;
  readonly commitment: string;
  readonly output: string;
  readonly revealed: boolean;
  readonly cannot_run: boolean;
  readonly agrees: boolean;
}

export interface RoundJson {
  readonly number: number;
  readonly requester: string;
  readonly bond: string;
  readonly drawn_height: string;
  readonly commit_end_height: string;
  readonly reveal_end_height: string;
  readonly open_end_height: string;
  readonly verifiers: readonly VerifierJson[];
  readonly verdict: string;
  readonly no_quorum: boolean;
}

export interface DisputeJson {
  readonly id: string;
  readonly job_id: string;
  readonly kind: string;
  readonly status: string;
  readonly operator: string;
  readonly worker: string;
  readonly model_id: string;
  readonly challenger: string;
  readonly opened_height: string;
  readonly result_height: string;
  readonly rounds: readonly RoundJson[];
  readonly opened: boolean;
  readonly opened_output: string;
  readonly opened_cannot_run: boolean;
  readonly appeal_end_height: string;
  readonly final_verdict: string;
  readonly final_height: string;
}

export interface DataRequestJson {
  readonly job_id: string;
  readonly requester: string;
  readonly bond: string;
  readonly operator: string;
  readonly worker: string;
  readonly model_id: string;
  readonly input_sha256: string;
  readonly requested_height: string;
  readonly deadline_height: string;
  readonly result_height: string;
}

export interface DaIncidentsJson {
  readonly operator: string;
  readonly count: string;
}

export interface ChallengeGenesis {
  readonly params: ParamsJson;
  readonly disputes: readonly DisputeJson[];
  readonly next_dispute_id: string;
  readonly data_requests: readonly DataRequestJson[];
  readonly da_incidents: readonly DaIncidentsJson[];
}

function paramsToJson(p: ChallengeParams): ParamsJson {
  return {
    audit_rate_ppm: p.auditRatePpm.toString(),
    min_challenge_bond: p.minChallengeBond.toString(),
    verifiers_per_round: p.verifiersPerRound,
    appeal_verifiers: p.appealVerifiers,
    commit_blocks: p.commitBlocks.toString(),
    reveal_blocks: p.revealBlocks.toString(),
    open_blocks: p.openBlocks.toString(),
    appeal_window_blocks: p.appealWindowBlocks.toString(),
    appeal_bond_multiplier: p.appealBondMultiplier.toString(),
    max_rounds: p.maxRounds,
    max_quorum_retries: p.maxQuorumRetries,
    slash_fraction_invalid_result_ppm: p.slashFractionInvalidResultPpm.toString(),
    slash_fraction_bad_verification_ppm: p.slashFractionBadVerificationPpm.toString(),
    audit_verifier_reward: p.auditVerifierReward.toString(),
    params_authority: p.paramsAuthority,
    max_disputes_per_block: p.maxDisputesPerBlock,
    safety_factor_ppm: p.safetyFactorPpm.toString(),
    max_audit_rate_ppm: p.maxAuditRatePpm.toString(),
    da_response_blocks: p.daResponseBlocks.toString(),
    slash_fraction_unavailable_ppm: p.slashFractionUnavailablePpm.toString(),
    max_da_incidents: p.maxDaIncidents,
    data_request_bond: p.dataRequestBond.toString(),
    da_jail_blocks: p.daJailBlocks.toString(),
    max_da_expiries_per_block: p.maxDaExpiriesPerBlock,
  };
}

export function defaultGenesis(): ChallengeGenesis {
  return { params: paramsToJson(defaultParams()), disputes: [], next_dispute_id: "1", data_requests: [], da_incidents: [] };
}

export function dataRequestToJson(r: DataRequest): DataRequestJson {
  return {
    job_id: r.jobId.toString(),
    requester: r.requester,
    bond: r.bond.toString(),
    operator: r.operator,
    worker: r.worker,
    model_id: r.modelId,
    input_sha256: r.inputSha256,
    requested_height: r.requestedHeight.toString(),
    deadline_height: r.deadlineHeight.toString(),
    result_height: r.resultHeight.toString(),
  };
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");

function verifierToJson(v: Readonly<Verifier>): VerifierJson {
  return {
    operator: v.operator,
    worker: v.worker,
    commitment: b64(v.commitment),
    output: b64(v.output),
    revealed: v.revealed,
    cannot_run: v.cannotRun,
    agrees: v.agrees,
  };
}

function roundToJson(r: Round): RoundJson {
  return {
    number: r.number,
    requester: r.requester,
    bond: r.bond.toString(),
    drawn_height: r.drawnHeight.toString(),
    commit_end_height: r.commitEndHeight.toString(),
    reveal_end_height: r.revealEndHeight.toString(),
    open_end_height: r.openEndHeight.toString(),
    verifiers: r.verifiers.map(verifierToJson),
    verdict: verdictToJSON(r.verdict),
    no_quorum: r.noQuorum,
  };
}

export function disputeToJson(d: Dispute): DisputeJson {
  return {
    id: d.id.toString(),
    job_id: d.jobId.toString(),
    kind: disputeKindToJSON(d.kind),
    status: disputeStatusToJSON(d.status),
    operator: d.operator,
    worker: d.worker,
    model_id: d.modelId,
    challenger: d.challenger,
    opened_height: d.openedHeight.toString(),
    result_height: d.resultHeight.toString(),
    rounds: d.rounds.map(roundToJson),
    opened: d.opened,
    opened_output: b64(d.openedOutput),
    opened_cannot_run: d.openedCannotRun,
    appeal_end_height: d.appealEndHeight.toString(),
    final_verdict: verdictToJSON(d.finalVerdict),
    final_height: d.finalHeight.toString(),
  };
}

// ------------------------------------------------------------------ parsing

const { str, bool, obj, list, uint, amount, base64: bytes, addressOr: address } = genesisJsonReaders(ErrInvalidGenesis);

/** An enum by its JSON name (or number); `UNRECOGNIZED` (-1) is refused. */
function enumOf<T extends number>(v: unknown, fromJSON: (o: unknown) => T, what: string): T {
  const e = fromJSON(v);
  if (e < 0) throw ErrInvalidGenesis.wrap(`${what}: unknown value ${String(v)}`);
  return e;
}

function parseParams(raw: unknown): ChallengeParams {
  const p = { ...paramsToJson(defaultParams()), ...obj(raw ?? {}, "params") } as Record<string, unknown>;
  const u32 = (f: string): number => Number(uint(p[f], `params.${f}`, 0xffff_ffffn));
  const params: ChallengeParams = {
    auditRatePpm: uint(p.audit_rate_ppm, "params.audit_rate_ppm"),
    minChallengeBond: amount(p.min_challenge_bond, "params.min_challenge_bond"),
    verifiersPerRound: u32("verifiers_per_round"),
    appealVerifiers: u32("appeal_verifiers"),
    commitBlocks: uint(p.commit_blocks, "params.commit_blocks", INT64_MAX),
    revealBlocks: uint(p.reveal_blocks, "params.reveal_blocks", INT64_MAX),
    openBlocks: uint(p.open_blocks, "params.open_blocks", INT64_MAX),
    appealWindowBlocks: uint(p.appeal_window_blocks, "params.appeal_window_blocks", INT64_MAX),
    appealBondMultiplier: uint(p.appeal_bond_multiplier, "params.appeal_bond_multiplier"),
    maxRounds: u32("max_rounds"),
    maxQuorumRetries: u32("max_quorum_retries"),
    slashFractionInvalidResultPpm: uint(p.slash_fraction_invalid_result_ppm, "params.slash_fraction_invalid_result_ppm"),
    slashFractionBadVerificationPpm: uint(p.slash_fraction_bad_verification_ppm, "params.slash_fraction_bad_verification_ppm"),
    auditVerifierReward: amount(p.audit_verifier_reward, "params.audit_verifier_reward"),
    paramsAuthority: str(p.params_authority, "params.params_authority"),
    maxDisputesPerBlock: u32("max_disputes_per_block"),
    safetyFactorPpm: uint(p.safety_factor_ppm, "params.safety_factor_ppm"),
    maxAuditRatePpm: uint(p.max_audit_rate_ppm, "params.max_audit_rate_ppm"),
    daResponseBlocks: uint(p.da_response_blocks, "params.da_response_blocks", INT64_MAX),
    slashFractionUnavailablePpm: uint(p.slash_fraction_unavailable_ppm, "params.slash_fraction_unavailable_ppm"),
    maxDaIncidents: u32("max_da_incidents"),
    dataRequestBond: amount(p.data_request_bond, "params.data_request_bond"),
    daJailBlocks: uint(p.da_jail_blocks, "params.da_jail_blocks", INT64_MAX),
    maxDaExpiriesPerBlock: u32("max_da_expiries_per_block"),
  };
  try {
    validateParams(params);
  } catch (e) {
    throw ErrInvalidGenesis.wrap((e as Error).message);
  }
  return params;
}

function verifierFromJson(raw: unknown, what: string): Verifier {
  const o = obj(raw, what);
  return {
    operator: address(o.operator, Bech32Prefix.operator, `${what}.operator`),
    worker: address(o.worker, Bech32Prefix.account, `${what}.worker`),
    commitment: bytes(o.commitment, `${what}.commitment`),
    output: bytes(o.output, `${what}.output`),
    revealed: bool(o.revealed ?? false, `${what}.revealed`),
    cannotRun: bool(o.cannot_run ?? false, `${what}.cannot_run`),
    agrees: bool(o.agrees ?? false, `${what}.agrees`),
  };
}

function roundFromJson(raw: unknown, what: string): Round {
  const o = obj(raw, what);
  const h = (f: string): bigint => uint(o[f] ?? "0", `${what}.${f}`, INT64_MAX);
  return {
    number: Number(uint(o.number, `${what}.number`, 0xffff_ffffn)),
    requester: address(o.requester, Bech32Prefix.account, `${what}.requester`, true),
    bond: amount(o.bond ?? "0", `${what}.bond`),
    drawnHeight: h("drawn_height"),
    commitEndHeight: h("commit_end_height"),
    revealEndHeight: h("reveal_end_height"),
    openEndHeight: h("open_end_height"),
    verifiers: list(o.verifiers, `${what}.verifiers`).map((v, i) => verifierFromJson(v, `${what}.verifiers[${i}]`)),
    verdict: enumOf(o.verdict ?? "VERDICT_UNSPECIFIED", verdictFromJSON, `${what}.verdict`),
    noQuorum: bool(o.no_quorum ?? false, `${what}.no_quorum`),
  };
}

export function disputeFromJson(raw: unknown, what: string): Dispute {
  const o = obj(raw, what);
  const h = (f: string): bigint => uint(o[f] ?? "0", `${what}.${f}`, INT64_MAX);
  const d: Dispute = {
    id: uint(o.id, `${what}.id`),
    jobId: uint(o.job_id, `${what}.job_id`),
    kind: enumOf(o.kind, disputeKindFromJSON, `${what}.kind`),
    status: enumOf(o.status, disputeStatusFromJSON, `${what}.status`),
    operator: address(o.operator, Bech32Prefix.operator, `${what}.operator`),
    worker: address(o.worker, Bech32Prefix.account, `${what}.worker`),
    modelId: str(o.model_id, `${what}.model_id`),
    challenger: address(o.challenger, Bech32Prefix.account, `${what}.challenger`, true),
    openedHeight: h("opened_height"),
    resultHeight: h("result_height"),
    rounds: list(o.rounds, `${what}.rounds`).map((r, i) => roundFromJson(r, `${what}.rounds[${i}]`)),
    opened: bool(o.opened ?? false, `${what}.opened`),
    openedOutput: bytes(o.opened_output, `${what}.opened_output`),
    openedCannotRun: bool(o.opened_cannot_run ?? false, `${what}.opened_cannot_run`),
    appealEndHeight: h("appeal_end_height"),
    finalVerdict: enumOf(o.final_verdict ?? "VERDICT_UNSPECIFIED", verdictFromJSON, `${what}.final_verdict`),
    finalHeight: h("final_height"),
  };
  checkDispute(d, what);
  return d;
}

/** What every dispute in a given status must carry, so the block steps can rely on it. */
function checkDispute(d: Dispute, what: string): void {
  const bad = (why: string): never => {
    throw ErrInvalidGenesis.wrap(`${what}: ${why}`);
  };
  if (d.id === 0n || d.jobId === 0n) bad("ids start at 1");
  if (d.kind === DisputeKind.DISPUTE_KIND_UNSPECIFIED) bad("kind is unspecified");
  if (d.status === DisputeStatus.DISPUTE_STATUS_UNSPECIFIED) bad("status is unspecified");
  if (d.modelId === "") bad("model_id is empty");
  const audit = d.kind === DisputeKind.DISPUTE_KIND_AUDIT;
  if (audit !== (d.challenger === "")) bad("an audit has no challenger; a challenge has one");
  if (d.rounds.length === 0) bad("a dispute has at least one round");
  d.rounds.forEach((r, i) => {
    const w = `round ${i + 1}`;
    if (r.number !== i + 1) bad(`${w}: rounds are numbered 1, 2, … in order`);
    if (i === 0 && (r.requester !== d.challenger || (r.bond > 0n) === audit)) bad(`${w}: the first round is the challenger's, with its bond (an audit's: nobody's, no bond)`);
    if (r.bond > 0n && r.requester === "") bad(`${w}: a bond needs a requester`);
    const operators = new Set(r.verifiers.map((v) => v.operator));
    if (operators.size !== r.verifiers.length) bad(`${w}: a verifier is drawn twice`);
    for (const v of r.verifiers) {
      if (v.commitment.length !== 0 && v.commitment.length !== COMMITMENT_BYTES) bad(`${w}: a commitment is ${COMMITMENT_BYTES} bytes`);
      if (v.revealed && v.commitment.length === 0) bad(`${w}: a reveal needs a commitment`);
      if (v.revealed && v.cannotRun === v.output.length > 0) bad(`${w}: a reveal carries an output exactly when it is not cannot_run`);
      if (!v.revealed && (v.output.length > 0 || v.cannotRun || v.agrees)) bad(`${w}: an unrevealed verifier has no output, cannot_run or agrees`);
    }
    const last = i === d.rounds.length - 1;
    if (!last && r.verdict === Verdict.VERDICT_UNSPECIFIED && !r.noQuorum) bad(`${w}: only the last round may be undecided`);
    if (r.noQuorum && r.verdict !== Verdict.VERDICT_UNSPECIFIED) bad(`${w}: a round without quorum has no verdict`);
  });
  if (!d.opened && (d.openedOutput.length > 0 || d.openedCannotRun)) bad("an unopened result has no output");
  if (d.opened && d.openedCannotRun === d.openedOutput.length > 0) bad("an opened result carries an output exactly when it is not cannot_run");
  const r = currentRound(d);
  if (isFinal(d.status)) {
    const fault = d.status === DisputeStatus.DISPUTE_STATUS_FINAL_FAULT;
    if (d.finalVerdict !== (fault ? Verdict.VERDICT_FAULT : Verdict.VERDICT_OK) || d.finalVerdict !== standingVerdict(d.rounds)) bad("final_verdict must be the standing verdict, and match the status");
    return;
  }
  if (d.finalVerdict !== Verdict.VERDICT_UNSPECIFIED || d.finalHeight !== 0n) bad("an open dispute has no final verdict");
  switch (d.status) {
    case DisputeStatus.DISPUTE_STATUS_DRAWING:
      if (r.verifiers.length > 0 || r.verdict !== Verdict.VERDICT_UNSPECIFIED || r.noQuorum) bad("a DRAWING dispute's last round is not drawn yet");
      break;
    case DisputeStatus.DISPUTE_STATUS_COMMIT:
    case DisputeStatus.DISPUTE_STATUS_REVEAL:
    case DisputeStatus.DISPUTE_STATUS_OPEN:
      if (r.verifiers.length === 0 || r.verdict !== Verdict.VERDICT_UNSPECIFIED || r.noQuorum) bad("a round in progress has verifiers and no verdict");
      if (d.status === DisputeStatus.DISPUTE_STATUS_OPEN && d.opened) bad("an OPEN dispute's result is not opened yet");
      break;
    case DisputeStatus.DISPUTE_STATUS_APPEALABLE:
      if (r.verdict === Verdict.VERDICT_UNSPECIFIED) bad("an APPEALABLE dispute's last round has a verdict");
      break;
    default:
      bad(`unknown status ${d.status}`);
  }
}

export function dataRequestFromJson(raw: unknown, what: string): DataRequest {
  const o = obj(raw, what);
  const h = (f: string): bigint => uint(o[f] ?? "0", `${what}.${f}`, INT64_MAX);
  const r: DataRequest = {
    jobId: uint(o.job_id, `${what}.job_id`),
    requester: address(o.requester, Bech32Prefix.account, `${what}.requester`),
    bond: amount(o.bond, `${what}.bond`),
    operator: address(o.operator, Bech32Prefix.operator, `${what}.operator`),
    worker: address(o.worker, Bech32Prefix.account, `${what}.worker`),
    modelId: str(o.model_id, `${what}.model_id`),
    inputSha256: str(o.input_sha256, `${what}.input_sha256`),
    requestedHeight: h("requested_height"),
    deadlineHeight: h("deadline_height"),
    resultHeight: h("result_height"),
  };
  const bad = (why: string): never => {
    throw ErrInvalidGenesis.wrap(`${what}: ${why}`);
  };
  if (r.jobId === 0n) bad("job ids start at 1");
  if (r.bond <= 0n) bad("a data request has a bond");
  if (r.modelId === "") bad("model_id is empty");
  if (!/^[0-9a-f]{64}$/.test(r.inputSha256)) bad("input_sha256 must be 64 lowercase hex digits");
  if (r.deadlineHeight <= r.requestedHeight || r.requestedHeight < r.resultHeight) bad("want result_height ≤ requested_height < deadline_height");
  return r;
}

function daIncidentsFromJson(raw: unknown, what: string): { readonly operator: string; readonly count: bigint } {
  const o = obj(raw, what);
  const r = { operator: address(o.operator, Bech32Prefix.operator, `${what}.operator`), count: uint(o.count, `${what}.count`) };
  if (r.count === 0n) throw ErrInvalidGenesis.wrap(`${what}: a listed count is positive`);
  return r;
}

export interface ParsedGenesis {
  readonly params: ChallengeParams;
  readonly disputes: readonly Dispute[];
  readonly nextDisputeId: bigint;
  readonly dataRequests: readonly DataRequest[];
  readonly daIncidents: ReadonlyArray<{ readonly operator: string; readonly count: bigint }>;
}

export function parseGenesis(raw: unknown): ParsedGenesis {
  const g = obj(raw ?? defaultGenesis(), "challenge genesis");
  const params = parseParams(g.params);
  const disputes = list(g.disputes, "disputes").map((d, i) => disputeFromJson(d, `disputes[${i}]`));
  if (new Set(disputes.map((d) => d.id)).size !== disputes.length) throw ErrInvalidGenesis.wrap("disputes: an id is listed twice");
  const open = disputes.filter((d) => !isFinal(d.status)).map((d) => d.jobId);
  if (new Set(open).size !== open.length) throw ErrInvalidGenesis.wrap("disputes: a job has two open disputes");
  const maxId = disputes.reduce((m, d) => (d.id > m ? d.id : m), 0n);
  const nextDisputeId = g.next_dispute_id === undefined ? maxId + 1n : uint(g.next_dispute_id, "next_dispute_id");
  if (nextDisputeId <= maxId || nextDisputeId === 0n) throw ErrInvalidGenesis.wrap(`next_dispute_id ${nextDisputeId} must exceed every dispute id (${maxId})`);
  const dataRequests = list(g.data_requests ?? [], "data_requests").map((r, i) => dataRequestFromJson(r, `data_requests[${i}]`));
  if (new Set(dataRequests.map((r) => r.jobId)).size !== dataRequests.length) throw ErrInvalidGenesis.wrap("data_requests: a job has two open requests");
  const daIncidents = list(g.da_incidents ?? [], "da_incidents").map((r, i) => daIncidentsFromJson(r, `da_incidents[${i}]`));
  if (new Set(daIncidents.map((r) => r.operator)).size !== daIncidents.length) throw ErrInvalidGenesis.wrap("da_incidents: an operator is listed twice");
  return { params, disputes, nextDisputeId, dataRequests, daIncidents };
}

export function initGenesis(k: ChallengeKeeper, ctx: Context, raw: unknown): void {
  const g = parseGenesis(raw);
  k.setParams(ctx.store, g.params);
  k.setNextDisputeId(ctx.store, g.nextDisputeId);
  let bonded = 0n;
  for (const d of g.disputes) {
    if (!k.models.getModel(ctx.store, d.modelId)) throw ErrInvalidGenesis.wrap(`dispute ${d.id}: model ${d.modelId} is not registered`);
    k.setDispute(ctx.store, d);
    if (!isFinal(d.status)) for (const r of d.rounds) bonded += r.bond;
  }
  for (const r of g.dataRequests) {
    if (!k.models.getModel(ctx.store, r.modelId)) throw ErrInvalidGenesis.wrap(`data request of job ${r.jobId}: model ${r.modelId} is not registered`);
    k.setDataRequest(ctx.store, r);
    bonded += r.bond;
  }
  for (const i of g.daIncidents) k.setDaIncidents(ctx.store, i.operator, i.count);
  const held = k.bank.getBalance(ctx.store, moduleAddress(k.moduleAccount), k.denom);
  if (held !== bonded) throw ErrInvalidGenesis.wrap(`the ${k.moduleAccount} account holds ${held}${k.denom}; the open disputes' and data requests' bonds add up to ${bonded}${k.denom}`);
}

export function exportGenesis(k: ChallengeKeeper, ctx: QueryContext): ChallengeGenesis {
  return {
    params: paramsToJson(k.getParams(ctx.store)),
    disputes: [...k.disputes(ctx.store)].map(disputeToJson),
    next_dispute_id: k.getNextDisputeId(ctx.store).toString(),
    data_requests: [...k.dataRequests(ctx.store)].map(dataRequestToJson),
    da_incidents: [...k.daIncidents(ctx.store)].map((i) => ({ operator: i.operator, count: i.count.toString() })),
  };
}
