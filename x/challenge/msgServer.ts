/**
 * Message handlers of x/challenge: decode → checked domain message; validateBasic → stateless
 * checks (CheckTx); execute → stateful checks, then effects, on the message's branch (dropped if
 * anything throws, so a refused message moves no bond and leaves no commitment behind).
 */
import { updateParamsHandler, type ParamsUpdate } from "../../base/params";
import {
  MsgAppeal,
  MsgAppealResponse,
  MsgChallenge,
  MsgChallengeResponse,
  MsgCommitVerification,
  MsgCommitVerificationResponse,
  MsgRevealVerification,
  MsgRevealVerificationResponse,
  MsgUpdateParams,
} from "../../gen/inferchain/challenge/v1/tx";
import type { Context } from "../../base/context";
import { AppError } from "../../base/errors";
import type { AnyMsgHandler, MsgHandler, MsgResponse } from "../../base/module";
import { Bech32Prefix, operatorAccount, parseAddress } from "../../base/types/address";
import { openDispute } from "./abci";
import { COMMITMENT_BYTES, SALT_BYTES, verificationCommitment } from "./commitment";
import { msgProvideDataHandler, msgRequestDataHandler } from "./da";
import {
  ErrAlreadyCommitted,
  ErrAlreadyRevealed,
  ErrBondTooLow,
  ErrChallengeWindowClosed,
  ErrCommitmentMismatch,
  ErrInvalidBond,
  ErrInvalidCommitment,
  ErrInvalidOutput,
  ErrInvalidSalt,
  ErrJobNotChallengeable,
  ErrNoCommitment,
  ErrNotAppellant,
  ErrNotVerifier,
  ErrPhaseEnded,
  ErrSelfChallenge,
  ErrUnauthorizedParams,
  ErrUnknownDispute,
  ErrUnknownJob,
  ErrWrongPhase,
} from "./errors";
import { emitAppeal, emitUpdateParams, emitVerificationCommitted, emitVerificationRevealed } from "./events";
import { coinString, coins, type ChallengeKeeper } from "./keeper";
import { fromWire, type ChallengeParams } from "./params";
import { DisputeKind, DisputeStatus, Verdict, currentRound, newRound, statusName, withCurrentRound, type Dispute, type Round } from "./types";
import { requiredAppealBond, standingVerdict, verdictRounds } from "./verdict";

const TYPE_URL = "/inferchain.challenge.v1.";
export const MSG_CHALLENGE = TYPE_URL + "MsgChallenge";
export const MSG_COMMIT_VERIFICATION = TYPE_URL + "MsgCommitVerification";
export const MSG_REVEAL_VERIFICATION = TYPE_URL + "MsgRevealVerification";
export const MSG_APPEAL = TYPE_URL + "MsgAppeal";
export const MSG_UPDATE_PARAMS = TYPE_URL + "MsgUpdateParams";

/**
 * Gas per byte of a revealed output decoded and checked against the model (x/inference charges
 * the same for a result), taken before the bytes are looked at.
 */
export const OUTPUT_GAS_PER_BYTE = 10n;

const DECIMAL = /^[0-9]{1,30}$/;

function bondOf(s: string): bigint {
  if (!DECIMAL.test(s)) throw ErrInvalidBond.wrap(`bond must be a decimal integer of uinf, got ${JSON.stringify(s)}`);
  return BigInt(s);
}

function getDispute(k: ChallengeKeeper, ctx: Context, id: bigint): Dispute {
  const d = k.getDispute(ctx.store, id);
  if (!d) throw ErrUnknownDispute.wrap(`dispute ${id}`);
  return d;
}

/** The dispute must be in `status` with `end` (the phase's end height) not passed. */
function checkPhase(ctx: Context, d: Dispute, status: DisputeStatus, end: bigint): void {
  if (d.status !== status) throw ErrWrongPhase.wrap(`dispute ${d.id} is in ${statusName(d.status)}, not ${statusName(status)}`);
  if (ctx.block.height > end) throw ErrPhaseEnded.wrap(`dispute ${d.id}: ${statusName(status)} ended at height ${end}, now ${ctx.block.height}`);
}

/** Index of `signer` among the current round's verifiers (by worker key). */
function verifierIndex(d: Dispute, r: Round, signer: string): number {
  const i = r.verifiers.findIndex((v) => v.worker === signer);
  if (i < 0) throw ErrNotVerifier.wrap(`${signer} is not drawn in round ${r.number} of dispute ${d.id}`);
  return i;
}

// ---------------------------------------------------------------- MsgChallenge

export interface Challenge {
  readonly challenger: string;
  readonly jobId: bigint;
  readonly bond: bigint;
}

export function msgChallengeHandler(k: ChallengeKeeper): MsgHandler<Challenge> {
  return {
    typeUrl: MSG_CHALLENGE,
    decode(value: Uint8Array): Challenge {
      const m = MsgChallenge.decode(value);
      return { challenger: m.challenger, jobId: m.jobId, bond: bondOf(m.bond) };
    },
    signers: (msg) => [msg.challenger],
    validateBasic(msg): void {
      parseAddress(msg.challenger, Bech32Prefix.account, "challenger");
      if (msg.jobId === 0n) throw ErrUnknownJob.wrap("job ids start at 1");
      if (msg.bond <= 0n) throw ErrInvalidBond.wrap("bond must be positive");
    },
    execute(ctx: Context, msg): MsgResponse {
      const params = k.getParams(ctx.store);
      const job = k.inference.jobForDispute(ctx.store, msg.jobId);
      if (!job) throw ErrUnknownJob.wrap(`job ${msg.jobId}`);
      if (job.status !== "result_posted") throw ErrJobNotChallengeable.wrap(`job ${job.id} is ${job.status}`);
      if (ctx.block.height > job.challengeEndHeight) {
        throw ErrChallengeWindowClosed.wrap(`job ${job.id}: the window ended at height ${job.challengeEndHeight}, now ${ctx.block.height}`);
      }
      if (msg.challenger === job.worker || msg.challenger === operatorAccount(job.operator)) throw ErrSelfChallenge.wrap(`job ${job.id}`);
      if (msg.bond < params.minChallengeBond) throw ErrBondTooLow.wrap(`bond ${coinString(k, msg.bond)} is below min_challenge_bond ${coinString(k, params.minChallengeBond)}`);
      k.bank.sendCoinsFromAccountToModule(ctx, msg.challenger, k.moduleAccount, coins(k, msg.bond));
      const d = openDispute(k, ctx, { job, kind: DisputeKind.DISPUTE_KIND_CHALLENGE, challenger: msg.challenger, bond: msg.bond });
      return { typeUrl: TYPE_URL + "MsgChallengeResponse", value: MsgChallengeResponse.encode({ disputeId: d.id }).finish() };
    },
  };
}

// ---------------------------------------------------------------- MsgCommitVerification

export interface CommitVerification {
  readonly verifier: string;
  readonly disputeId: bigint;
  readonly commitment: Uint8Array;
}

export function msgCommitVerificationHandler(k: ChallengeKeeper): MsgHandler<CommitVerification> {
  return {
    typeUrl: MSG_COMMIT_VERIFICATION,
    decode(value: Uint8Array): CommitVerification {
      const m = MsgCommitVerification.decode(value);
      return { verifier: m.verifier, disputeId: m.disputeId, commitment: m.commitment };
    },
    signers: (msg) => [msg.verifier],
    validateBasic(msg): void {
      parseAddress(msg.verifier, Bech32Prefix.account, "verifier");
      if (msg.disputeId === 0n) throw ErrUnknownDispute.wrap("dispute ids start at 1");
      if (msg.commitment.length !== COMMITMENT_BYTES) throw ErrInvalidCommitment.wrap(`${msg.commitment.length} bytes; want ${COMMITMENT_BYTES}`);
    },
    execute(ctx: Context, msg): MsgResponse {
      const d = getDispute(k, ctx, msg.disputeId);
      const r = currentRound(d);
      checkPhase(ctx, d, DisputeStatus.DISPUTE_STATUS_COMMIT, r.commitEndHeight);
      const i = verifierIndex(d, r, msg.verifier);
      if (r.verifiers[i].commitment.length > 0) throw ErrAlreadyCommitted.wrap(`${msg.verifier} in round ${r.number} of dispute ${d.id}`);
      const verifiers = r.verifiers.map((v, j) => (j === i ? { ...v, commitment: msg.commitment } : v));
      // Everyone has committed: the commit phase ends with this block.
      const all = verifiers.every((v) => v.commitment.length > 0);
      k.setDispute(ctx.store, withCurrentRound(d, (x) => ({ ...x, verifiers, commitEndHeight: all ? ctx.block.height : x.commitEndHeight })));
      emitVerificationCommitted(ctx.events, { disputeId: d.id, round: r.number, verifier: msg.verifier, operator: r.verifiers[i].operator });
      return { typeUrl: TYPE_URL + "MsgCommitVerificationResponse", value: MsgCommitVerificationResponse.encode({}).finish() };
    },
  };
}

// ---------------------------------------------------------------- MsgRevealVerification

export interface RevealVerification {
  readonly verifier: string;
  readonly disputeId: bigint;
  readonly output: Uint8Array;
  readonly salt: Uint8Array;
  readonly cannotRun: boolean;
}

export function msgRevealVerificationHandler(k: ChallengeKeeper): MsgHandler<RevealVerification> {
  return {
    typeUrl: MSG_REVEAL_VERIFICATION,
    decode(value: Uint8Array): RevealVerification {
      const m = MsgRevealVerification.decode(value);
      return { verifier: m.verifier, disputeId: m.disputeId, output: m.output, salt: m.salt, cannotRun: m.cannotRun };
    },
    signers: (msg) => [msg.verifier],
    validateBasic(msg): void {
      parseAddress(msg.verifier, Bech32Prefix.account, "verifier");
      if (msg.disputeId === 0n) throw ErrUnknownDispute.wrap("dispute ids start at 1");
      if (msg.salt.length !== SALT_BYTES) throw ErrInvalidSalt.wrap(`${msg.salt.length} bytes; want ${SALT_BYTES}`);
      // The commitment binds the output bytes; empty bytes are exactly the cannot-run reveal.
      if (msg.cannotRun && msg.output.length > 0) throw ErrInvalidOutput.wrap("a cannot-run reveal carries no output");
      if (!msg.cannotRun && msg.output.length === 0) throw ErrInvalidOutput.wrap("empty output without cannot_run");
    },
    execute(ctx: Context, msg): MsgResponse {
      ctx.gas.consume(OUTPUT_GAS_PER_BYTE * BigInt(msg.output.length), "revealed output");
      const d = getDispute(k, ctx, msg.disputeId);
      const r = currentRound(d);
      checkPhase(ctx, d, DisputeStatus.DISPUTE_STATUS_REVEAL, r.revealEndHeight);
      const i = verifierIndex(d, r, msg.verifier);
      const v = r.verifiers[i];
      if (v.commitment.length === 0) throw ErrNoCommitment.wrap(`${msg.verifier} did not commit in round ${r.number} of dispute ${d.id}`);
      if (v.revealed) throw ErrAlreadyRevealed.wrap(`${msg.verifier} in round ${r.number} of dispute ${d.id}`);
      if (!sameBytes(verificationCommitment(msg.output, msg.salt, msg.verifier), v.commitment)) {
        throw ErrCommitmentMismatch.wrap(`${msg.verifier} in round ${r.number} of dispute ${d.id}`);
      }
      if (!msg.cannotRun) {
        const model = k.models.getModel(ctx.store, d.modelId);
        if (!model) throw new Error(`challenge: dispute ${d.id} names missing model ${d.modelId}`);
        try {
          k.models.decodeOutput(model, msg.output);
        } catch (e) {
          if (e instanceof AppError) throw new AppError(ErrInvalidOutput.codespace, ErrInvalidOutput.code, `${e.message}: ${ErrInvalidOutput.message}`, e);
          throw e;
        }
      }
      const verifiers = r.verifiers.map((x, j) => (j === i ? { ...x, output: msg.output, cannotRun: msg.cannotRun, revealed: true } : x));
      // Everyone who committed has revealed: the reveal phase ends with this block.
      const all = verifiers.every((x) => x.revealed || x.commitment.length === 0);
      k.setDispute(ctx.store, withCurrentRound(d, (x) => ({ ...x, verifiers, revealEndHeight: all ? ctx.block.height : x.revealEndHeight })));
      emitVerificationRevealed(ctx.events, { disputeId: d.id, round: r.number, verifier: msg.verifier, operator: v.operator, cannotRun: msg.cannotRun });
      return { typeUrl: TYPE_URL + "MsgRevealVerificationResponse", value: MsgRevealVerificationResponse.encode({}).finish() };
    },
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// ---------------------------------------------------------------- MsgAppeal

export interface Appeal {
  readonly appellant: string;
  readonly disputeId: bigint;
  readonly bond: bigint;
}

/**
 * Who may appeal the standing verdict: the losing party. FAULT: the worker (its key or its
 * operator's account); OK: the challenger, or for an audit the job's client.
 */
function mayAppeal(k: ChallengeKeeper, ctx: Context, d: Dispute, standing: Verdict, appellant: string): boolean {
  if (standing === Verdict.VERDICT_FAULT) return appellant === d.worker || appellant === operatorAccount(d.operator);
  if (d.kind === DisputeKind.DISPUTE_KIND_CHALLENGE) return appellant === d.challenger;
  return appellant === k.inference.jobForDispute(ctx.store, d.jobId)?.client;
}

export function msgAppealHandler(k: ChallengeKeeper): MsgHandler<Appeal> {
  return {
    typeUrl: MSG_APPEAL,
    decode(value: Uint8Array): Appeal {
      const m = MsgAppeal.decode(value);
      return { appellant: m.appellant, disputeId: m.disputeId, bond: bondOf(m.bond) };
    },
    signers: (msg) => [msg.appellant],
    validateBasic(msg): void {
      parseAddress(msg.appellant, Bech32Prefix.account, "appellant");
      if (msg.disputeId === 0n) throw ErrUnknownDispute.wrap("dispute ids start at 1");
      if (msg.bond <= 0n) throw ErrInvalidBond.wrap("bond must be positive");
    },
    execute(ctx: Context, msg): MsgResponse {
      const params: ChallengeParams = k.getParams(ctx.store);
      const d = getDispute(k, ctx, msg.disputeId);
      checkPhase(ctx, d, DisputeStatus.DISPUTE_STATUS_APPEALABLE, d.appealEndHeight);
      if (verdictRounds(d.rounds) >= params.maxRounds) throw ErrWrongPhase.wrap(`dispute ${d.id} has had max_rounds (${params.maxRounds}) verdicts`);
      const standing = standingVerdict(d.rounds);
      if (!mayAppeal(k, ctx, d, standing, msg.appellant)) throw ErrNotAppellant.wrap(`${msg.appellant} did not lose dispute ${d.id}`);
      const required = requiredAppealBond(d.rounds, params.minChallengeBond, params.appealBondMultiplier);
      if (msg.bond < required) throw ErrBondTooLow.wrap(`bond ${coinString(k, msg.bond)} is below ${coinString(k, required)} (appeal_bond_multiplier × the last bond)`);
      k.bank.sendCoinsFromAccountToModule(ctx, msg.appellant, k.moduleAccount, coins(k, msg.bond));
      const number = d.rounds.length + 1;
      k.setDispute(ctx.store, {
        ...d,
        status: DisputeStatus.DISPUTE_STATUS_DRAWING,
        rounds: [...d.rounds, newRound(number, msg.appellant, msg.bond, ctx.block.height + 1n)],
      });
      emitAppeal(ctx.events, { disputeId: d.id, jobId: d.jobId, round: number, appellant: msg.appellant, bond: coinString(k, msg.bond) });
      return { typeUrl: TYPE_URL + "MsgAppealResponse", value: MsgAppealResponse.encode({}).finish() };
    },
  };
}

// ---------------------------------------------------------------- MsgUpdateParams

export type UpdateParams = ParamsUpdate<ChallengeParams>;

export function msgUpdateParamsHandler(k: ChallengeKeeper): MsgHandler<UpdateParams> {
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

export function challengeMsgHandlers(k: ChallengeKeeper): AnyMsgHandler[] {
  return [
    msgChallengeHandler(k),
    msgCommitVerificationHandler(k),
    msgRevealVerificationHandler(k),
    msgAppealHandler(k),
    msgUpdateParamsHandler(k),
    msgRequestDataHandler(k),
    msgProvideDataHandler(k),
  ];
}
