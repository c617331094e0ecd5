/**
 * x/challenge's block hook and the life of a dispute. EndBlock of height h, in this order:
 *
 *   1. audits      every result included at h-1 (x/inference's `resultsIncludedAt`) is audited
 *                  iff its draw from h's hash is below the job's own audit rate (draw.ts;
 *                  security.ts `auditRateOf`: the rate fixed when it was assigned, never below
 *                  audit_rate_ppm); an audited result still open to disputes gets an AUDIT
 *                  dispute and its job is held.
 *                  Never skipped (the results of one block are bounded by its gas); they count
 *                  toward the block's budget;
 *   2. due steps   up to the rest of `max_disputes_per_block` open disputes whose next step is
 *                  due at h or earlier (the due queue, in height then id order): a committee is
 *                  drawn (DRAWING), a phase ends (COMMIT, REVEAL, OPEN), an appeal window closes
 *                  (APPEALABLE → final). The rest wait for the next block;
 *   3. openings    with what is left of the budget, disputes in OPEN whose worker opened its
 *                  result in this block (x/inference's MsgOpenResult) get their verdict now;
 *   4. data        up to `max_da_expiries_per_block` data requests whose deadline has come
 *                  (da.ts): bond back, the worker's validator slashed and an incident counted.
 *
 * A dispute's round: DRAWING ──(draw, block after the one that asked)── COMMIT ──(commit_end, or
 * everyone committed)── REVEAL ──(reveal_end, or everyone who committed revealed)── no quorum of
 * reveals: no-shows slashed, a fresh round (DRAWING) or, past max_quorum_retries, final ── else
 * OPEN ──(the worker opened, or open_end; skipped when it opened in an earlier round)── verdict
 * ── APPEALABLE ──(MsgAppeal: a new round, DRAWING)── or (appeal_end, or max_rounds verdicts)──
 * FINAL_FAULT / FINAL_OK. Final settles everything at once (`finalize`): bonds, audit rewards,
 * slashes and the job.
 *
 * Each dispute's step runs on its own branch (`perDispute`). One that throws anything but an
 * `InvariantError` has its branch dropped, a `dispute_error` event, and is parked: taken off the
 * due queue and the OPEN index, with its bonds and the job's escrow left where they are (a
 * genesis export and import would queue it again). Each slash of a settlement runs on a branch
 * of its own too: a slash that cannot be made (the validator is gone) is reported
 * (`dispute_error{step = slash}`) and the settlement goes on. Only a broken invariant of the
 * module's own state (a queue naming a missing dispute, or one not in that state) halts the node.
 *
 * The module is listed before x/inference in app.ts, so a result audited in the block where its
 * challenge window ends is held before x/inference would finalize it.
 */
import { onBranch, type Context } from "../../base/context";
import { InvariantError, errorText } from "../../base/errors";
import { moduleAddress, operatorAccount } from "../../base/types/address";
import { processDataExpiries } from "./da";
import { drawVerifiers, eligibleVerifiers, isAudited, verifySeed } from "./draw";
import { auditRateOf } from "./security";
import {
  emitAuditSelected,
  emitDisputeError,
  emitDisputeFinal,
  emitDisputeOpened,
  emitDisputePayout,
  emitDisputePhase,
  emitNoQuorum,
  emitVerdict,
  emitVerifiersDrawn,
  type DisputeStep,
  type FinalReason,
} from "./events";
import type { DisputableJob, SlashRequest } from "./expectedKeepers";
import { KIND_BAD_VERIFICATION, KIND_INVALID_RESULT, coinString, coins, type ChallengeKeeper } from "./keeper";
import { disputeByStatusKey, dueHeight, dueKey } from "./keys";
import type { ChallengeParams } from "./params";
import {
  DisputeKind,
  DisputeStatus,
  Verdict,
  currentRound,
  isFinal,
  kindName,
  newRound,
  newVerifier,
  verdictName,
  withCurrentRound,
  type Dispute,
} from "./types";
import {
  bondOutcomes,
  losers,
  noQuorumRounds,
  noShows,
  quorumOf,
  roundVerdict,
  splitEvenly,
  standingVerdict,
  tally,
  verdictRounds,
  winners,
} from "./verdict";

export function endBlocker(k: ChallengeKeeper, ctx: Context): void {
  const params = k.getParams(ctx.store);
  let budget = params.maxDisputesPerBlock;
  budget -= processAudits(k, ctx, params);
  budget -= processDue(k, ctx, params, budget);
  processOpenings(k, ctx, params, budget);
  processDataExpiries(k, ctx, params);
}

// ---------------------------------------------------------------- opening a dispute

/**
 * Opens a dispute of `job` (a challenge with its bond already in the module account, or an audit
 * with none) and holds the job; its first committee is drawn at the end of the next block.
 */
export function openDispute(
  k: ChallengeKeeper,
  ctx: Context,
  a: { readonly job: DisputableJob; readonly kind: DisputeKind; readonly challenger: string; readonly bond: bigint },
): Dispute {
  const h = ctx.block.height;
  const id = k.getNextDisputeId(ctx.store);
  k.setNextDisputeId(ctx.store, id + 1n);
  const d: Dispute = {
    id,
    jobId: a.job.id,
    kind: a.kind,
    status: DisputeStatus.DISPUTE_STATUS_DRAWING,
    operator: a.job.operator,
    worker: a.job.worker,
    modelId: a.job.modelId,
    challenger: a.challenger,
    openedHeight: h,
    resultHeight: a.job.resultHeight,
    rounds: [newRound(1, a.challenger, a.bond, h + 1n)],
    opened: false,
    openedOutput: new Uint8Array(),
    openedCannotRun: false,
    appealEndHeight: 0n,
    finalVerdict: Verdict.VERDICT_UNSPECIFIED,
    finalHeight: 0n,
  };
  k.inference.holdForDispute(ctx, a.job.id, id);
  k.setDispute(ctx.store, d);
  emitDisputeOpened(ctx.events, {
    disputeId: id,
    jobId: a.job.id,
    kind: kindName(a.kind),
    challenger: a.challenger,
    bond: coinString(k, a.bond),
    operator: a.job.operator,
    worker: a.job.worker,
    modelId: a.job.modelId,
    drawHeight: h + 1n,
  });
  return d;
}

// ---------------------------------------------------------------- isolation

/**
 * Runs `f` for dispute `id` on a branch of `ctx` written (with its events) only if `f` returns.
 * An `InvariantError` propagates (halts the node); anything else drops the branch, emits
 * `dispute_error{dispute_id, step, error}` and parks the dispute (`park`). Returns whether `f` succeeded.
 */
function perDispute(k: ChallengeKeeper, ctx: Context, id: bigint, step: () => DisputeStep, f: (c: Context) => void): boolean {
  const r = onBranch(ctx, f);
  if (r.ok) return true;
  emitDisputeError(ctx.events, { disputeId: id, step: step(), error: errorText(r.error) });
  park(k, ctx, id);
  return false;
}

/**
 * Takes a dispute whose handling threw out of every block step, without touching its record
 * (which may not even decode): its due-queue entry and its OPEN-index entry are deleted raw.
 */
function park(k: ChallengeKeeper, ctx: Context, id: bigint): void {
  let due: bigint | undefined;
  try {
    const d = k.getDispute(ctx.store, id);
    due = d ? dueHeight(d) : undefined;
  } catch {
    due = undefined;
  }
  if (due !== undefined) ctx.store.delete(dueKey(due, id));
  ctx.store.delete(disputeByStatusKey(DisputeStatus.DISPUTE_STATUS_OPEN, id));
  emitDisputeError(ctx.events, { disputeId: id, step: "park", error: "taken off the due queue; bonds and the job's escrow stay held" });
}

function mustGetDispute(k: ChallengeKeeper, ctx: Context, id: bigint, where: string): Dispute {
  const d = k.getDispute(ctx.store, id);
  if (!d) throw new InvariantError(`challenge: ${where} names missing dispute ${id}`);
  return d;
}

// ---------------------------------------------------------------- 1. audits

/** Opens the audits of the results included in the previous block; returns how many. */
export function processAudits(k: ChallengeKeeper, ctx: Context, params: ChallengeParams): number {
  const h = ctx.block.height;
  if (h <= 1n) return 0;
  let opened = 0;
  for (const jobId of k.inference.resultsIncludedAt(ctx.store, h - 1n)) {
    const r = onBranch(ctx, (c) => {
      // Each job at its own rate (security.ts), so the job is read (on the branch: a record that
      // does not decode is that job's error event, not a halt) before its draw.
      const job = k.inference.jobForDispute(c.store, jobId);
      if (!job || !isAudited(c.block.hash, jobId, auditRateOf(job.auditRatePpm, params))) return false;
      // Challenged in the meantime (its dispute verifies it anyway), or already settled.
      if (job.status !== "result_posted" || h > job.challengeEndHeight) return false;
      const d = openDispute(k, c, { job, kind: DisputeKind.DISPUTE_KIND_AUDIT, challenger: "", bond: 0n });
      emitAuditSelected(c.events, { jobId, disputeId: d.id, resultHeight: job.resultHeight });
      return true;
    });
    if (!r.ok) emitDisputeError(ctx.events, { disputeId: 0n, step: "audit", error: errorText(r.error) });
    else if (r.value) opened++;
  }
  return opened;
}

// ---------------------------------------------------------------- 2. due steps

const STEP: Readonly<Partial<Record<DisputeStatus, DisputeStep>>> = {
  [DisputeStatus.DISPUTE_STATUS_DRAWING]: "draw",
  [DisputeStatus.DISPUTE_STATUS_COMMIT]: "commit_end",
  [DisputeStatus.DISPUTE_STATUS_REVEAL]: "reveal_end",
  [DisputeStatus.DISPUTE_STATUS_OPEN]: "open_end",
  [DisputeStatus.DISPUTE_STATUS_APPEALABLE]: "appeal_end",
};

/** Advances up to `budget` disputes whose next step is due; returns how many it looked at. */
export function processDue(k: ChallengeKeeper, ctx: Context, params: ChallengeParams, budget: number): number {
  const due = k.dueDisputes(ctx.store, ctx.block.height, budget);
  for (const [height, id] of due) {
    let step: DisputeStep = "draw";
    perDispute(
      k,
      ctx,
      id,
      () => step,
      (c) => {
        const d = mustGetDispute(k, c, id, `due queue entry ${height}`);
        if (isFinal(d.status) || dueHeight(d) !== height) throw new InvariantError(`challenge: due queue entry ${height}/${id} does not match dispute ${id}`);
        step = STEP[d.status] ?? step;
        advance(k, c, params, d);
      },
    );
  }
  return due.length;
}

/** The step a dispute's status calls for, when it is due. */
export function advance(k: ChallengeKeeper, ctx: Context, params: ChallengeParams, d: Dispute): void {
  switch (d.status) {
    case DisputeStatus.DISPUTE_STATUS_DRAWING:
      return drawRound(k, ctx, params, d);
    case DisputeStatus.DISPUTE_STATUS_COMMIT:
      return endCommit(k, ctx, params, d);
    case DisputeStatus.DISPUTE_STATUS_REVEAL:
      return endReveal(k, ctx, params, d);
    case DisputeStatus.DISPUTE_STATUS_OPEN:
      return decide(k, ctx, params, d);
    case DisputeStatus.DISPUTE_STATUS_APPEALABLE:
      return finalize(k, ctx, params, d, "appeal_window_closed");
    default:
      throw new InvariantError(`challenge: dispute ${d.id} in status ${d.status} is due`);
  }
}

/**
 * Who may not verify this dispute: the job's worker (its operator, account and worker key), its
 * client, the challenger and every appellant (and their validators, by account or worker key),
 * and every verifier drawn in an earlier round.
 */
export function exclusions(k: ChallengeKeeper, ctx: Context, d: Dispute): Set<string> {
  const out = new Set<string>([d.operator, d.worker, operatorAccount(d.operator)]);
  const client = k.inference.jobForDispute(ctx.store, d.jobId)?.client;
  if (client) out.add(client);
  if (d.challenger !== "") out.add(d.challenger);
  for (const r of d.rounds) {
    if (r.requester !== "") out.add(r.requester);
    for (const v of r.verifiers) out.add(v.operator);
  }
  return out;
}

/** Draws the current round's committee from this block's hash; nobody eligible ends the dispute. */
export function drawRound(k: ChallengeKeeper, ctx: Context, params: ChallengeParams, d: Dispute): void {
  const h = ctx.block.height;
  const r = currentRound(d);
  // The first committee, and its repeats, has verifiers_per_round seats; after a verdict, an appeal's has appeal_verifiers.
  const seats = verdictRounds(d.rounds) === 0 ? params.verifiersPerRound : params.appealVerifiers;
  const candidates = eligibleVerifiers(k.staking.workersForModel(ctx.store, d.modelId), exclusions(k, ctx, d), (op) => operatorAccount(op));
  const picked = drawVerifiers(verifySeed(ctx.block.hash, d.id, r.number), candidates, seats);
  // Provisional ends (each phase that ends early moves the later ones up); nobody drawn: all now.
  const none = picked.length === 0;
  const commitEnd = none ? h : h + params.commitBlocks;
  const revealEnd = none ? h : commitEnd + params.revealBlocks;
  const openEnd = none ? h : revealEnd + params.openBlocks;
  const drawn = withCurrentRound(d, (x) => ({
    ...x,
    drawnHeight: h,
    commitEndHeight: commitEnd,
    revealEndHeight: revealEnd,
    openEndHeight: openEnd,
    verifiers: picked.map((w) => newVerifier(w.operator, w.worker)),
  }));
  emitVerifiersDrawn(ctx.events, {
    disputeId: d.id,
    jobId: d.jobId,
    round: r.number,
    requested: seats,
    operators: picked.map((w) => w.operator),
    workers: picked.map((w) => w.worker),
    commitEndHeight: commitEnd,
    revealEndHeight: revealEnd,
    openEndHeight: openEnd,
  });
  if (none) {
    finalize(k, ctx, params, drawn, "no_verifiers");
    return;
  }
  k.setDispute(ctx.store, { ...drawn, status: DisputeStatus.DISPUTE_STATUS_COMMIT });
}

/** The commit phase is over: reveals until reveal_end, or straight to its end when too few committed to reach a quorum. */
export function endCommit(k: ChallengeKeeper, ctx: Context, params: ChallengeParams, d: Dispute): void {
  const h = ctx.block.height;
  const r = currentRound(d);
  const committed = r.verifiers.filter((v) => v.commitment.length > 0).length;
  if (committed < quorumOf(r.verifiers.length)) {
    // No reveal phase: only those that did not even commit failed their part.
    endReveal(k, ctx, params, withCurrentRound(d, (x) => ({ ...x, commitEndHeight: h, revealEndHeight: h })), false);
    return;
  }
  const revealEnd = h + params.revealBlocks;
  const next = withCurrentRound(d, (x) => ({ ...x, commitEndHeight: h, revealEndHeight: revealEnd, openEndHeight: revealEnd + params.openBlocks }));
  k.setDispute(ctx.store, { ...next, status: DisputeStatus.DISPUTE_STATUS_REVEAL });
  emitDisputePhase(ctx.events, { disputeId: d.id, jobId: d.jobId, round: r.number, phase: "reveal", endHeight: revealEnd, worker: d.worker });
}

/**
 * The reveal phase is over: every verifier that did not reveal pays `bad_verification` (when
 * too few committed for a reveal phase to be held, `revealed` false: those that did not commit).
 * Fewer reveals than the quorum: a fresh round, or the end after `max_quorum_retries` repeats.
 * Else the worker opens its result (OPEN), unless it already did in an earlier round: then the verdict.
 */
export function endReveal(k: ChallengeKeeper, ctx: Context, params: ChallengeParams, d: Dispute, revealPhaseHeld = true): void {
  const h = ctx.block.height;
  const r = currentRound(d);
  for (const v of revealPhaseHeld ? noShows(r) : r.verifiers.filter((x) => x.commitment.length === 0)) {
    slashSafely(k, ctx, d.id, {
      operator: v.operator,
      infractionHeight: r.drawnHeight,
      fractionPpm: params.slashFractionBadVerificationPpm,
      kind: KIND_BAD_VERIFICATION,
      reporters: [],
      jail: false,
      tombstone: false,
      reason: `dispute ${d.id} round ${r.number}: no ${revealPhaseHeld ? "reveal" : "commitment"}`,
    });
  }
  const reveals = r.verifiers.filter((v) => v.revealed).length;
  const quorum = quorumOf(r.verifiers.length);
  const ended = withCurrentRound(d, (x) => ({ ...x, revealEndHeight: h, openEndHeight: h + params.openBlocks }));
  if (reveals < quorum) {
    const failed = withCurrentRound(ended, (x) => ({ ...x, noQuorum: true, openEndHeight: h }));
    const retry = noQuorumRounds(failed.rounds) <= params.maxQuorumRetries;
    emitNoQuorum(ctx.events, { disputeId: d.id, jobId: d.jobId, round: r.number, drawn: r.verifiers.length, reveals, quorum, retry });
    if (!retry) {
      finalize(k, ctx, params, failed, "no_quorum");
      return;
    }
    // The same requester's round again, with fresh verifiers; its bond (if any) stays on the round that posted it.
    const again = newRound(failed.rounds.length + 1, r.requester, 0n, h + 1n);
    k.setDispute(ctx.store, { ...failed, status: DisputeStatus.DISPUTE_STATUS_DRAWING, rounds: [...failed.rounds, again] });
    return;
  }
  if (d.opened) {
    decide(k, ctx, params, withCurrentRound(ended, (x) => ({ ...x, openEndHeight: h })));
    return;
  }
  const openEnd = h + params.openBlocks;
  k.setDispute(ctx.store, { ...ended, status: DisputeStatus.DISPUTE_STATUS_OPEN });
  emitDisputePhase(ctx.events, { disputeId: d.id, jobId: d.jobId, round: r.number, phase: "open", endHeight: openEnd, worker: d.worker });
}

// ---------------------------------------------------------------- 3. openings and the verdict

/** Disputes in OPEN whose worker has opened (in this block): their verdict now. */
export function processOpenings(k: ChallengeKeeper, ctx: Context, params: ChallengeParams, budget: number): void {
  for (const id of k.disputeIdsInStatus(ctx.store, DisputeStatus.DISPUTE_STATUS_OPEN, budget)) {
    perDispute(
      k,
      ctx,
      id,
      () => "open_end",
      (c) => {
        const d = mustGetDispute(k, c, id, "the OPEN index");
        if (d.status !== DisputeStatus.DISPUTE_STATUS_OPEN) throw new InvariantError(`challenge: the OPEN index names dispute ${id} in status ${d.status}`);
        if (k.inference.openedResult(c.store, d.jobId)) decide(k, c, params, d);
      },
    );
  }
}

/**
 * Sets `agrees` on every revealed verifier of every round, against the worker's opened output
 * under the model's metric: cannot_run agrees only with cannot_run; an opened output that does
 * not fit the model's spec agrees with nothing. Unopened: nobody agrees.
 */
export function judge(k: ChallengeKeeper, ctx: Context, d: Dispute): Dispute {
  if (!d.opened) return d;
  const model = k.models.getModel(ctx.store, d.modelId);
  if (!model) throw new Error(`challenge: dispute ${d.id} names missing model ${d.modelId}`);
  const decode = (b: Uint8Array): ReturnType<typeof k.models.decodeOutput> | undefined => {
    try {
      return k.models.decodeOutput(model, b);
    } catch {
      return undefined;
    }
  };
  const worker = d.openedCannotRun ? undefined : decode(d.openedOutput);
  const agrees = (cannotRun: boolean, output: Uint8Array): boolean => {
    if (d.openedCannotRun || cannotRun) return d.openedCannotRun && cannotRun;
    const mine = decode(output);
    return worker !== undefined && mine !== undefined && !k.models.diverges(model, worker, mine);
  };
  return {
    ...d,
    rounds: d.rounds.map((r) => ({ ...r, verifiers: r.verifiers.map((v) => (v.revealed ? { ...v, agrees: agrees(v.cannotRun, v.output) } : v)) })),
  };
}

/**
 * The current round's verdict: FAULT when the worker has not opened its result (read from
 * x/inference now), else FAULT iff more reveals diverge than agree. Then final (after
 * `max_rounds` verdicts) or appealable for `appeal_window_blocks`.
 */
export function decide(k: ChallengeKeeper, ctx: Context, params: ChallengeParams, d: Dispute): void {
  const h = ctx.block.height;
  let cur = d;
  if (!cur.opened) {
    const o = k.inference.openedResult(ctx.store, d.jobId);
    if (o) cur = { ...cur, opened: true, openedOutput: o.output, openedCannotRun: o.cannotRun };
  }
  cur = judge(k, ctx, cur);
  const r = currentRound(cur);
  const t = tally(r.verifiers);
  const verdict = roundVerdict(cur.opened, t);
  cur = withCurrentRound(cur, (x) => ({ ...x, verdict, openEndHeight: h < x.openEndHeight ? h : x.openEndHeight }));
  emitVerdict(ctx.events, {
    disputeId: d.id,
    jobId: d.jobId,
    round: r.number,
    verdict: verdictName(verdict),
    reason: cur.opened ? "compared" : "not_opened",
    reveals: t.reveals,
    agree: t.agree,
    diverge: t.diverge,
  });
  if (verdictRounds(cur.rounds) >= params.maxRounds) {
    finalize(k, ctx, params, cur, "max_rounds");
    return;
  }
  const appealEnd = h + params.appealWindowBlocks;
  k.setDispute(ctx.store, { ...cur, status: DisputeStatus.DISPUTE_STATUS_APPEALABLE, appealEndHeight: appealEnd });
  emitDisputePhase(ctx.events, { disputeId: d.id, jobId: d.jobId, round: r.number, phase: "appealable", endHeight: appealEnd, worker: d.worker });
}

// ---------------------------------------------------------------- final

/** Runs one slash on its own branch; one that cannot be made is reported and skipped. */
function slashSafely(k: ChallengeKeeper, ctx: Context, disputeId: bigint, args: SlashRequest): void {
  if (args.fractionPpm === 0n) return;
  const r = onBranch(ctx, (c) => k.slashing.slash(c, args));
  if (!r.ok) emitDisputeError(ctx.events, { disputeId, step: "slash", error: `${args.kind} of ${args.operator}: ${errorText(r.error)}` });
}

function pay(k: ChallengeKeeper, ctx: Context, from: string, disputeId: bigint, to: string, amount: bigint, kind: "bond_return" | "bond_share" | "audit_reward"): void {
  if (amount <= 0n) return;
  k.bank.sendCoinsFromModuleToAccount(ctx, from, to, coins(k, amount));
  emitDisputePayout(ctx.events, { disputeId, recipient: to, amount: coinString(k, amount), kind });
}

const unique = (xs: readonly string[]): string[] => [...new Set(xs.filter((x) => x !== ""))];

/**
 * The verdict standing now becomes final (OK when no round reached one) and everything is
 * settled (verdict.ts has the rules): bonds back to requesters who got what they asked for,
 * forfeits shared by the winning party and the deciding round's winning verifiers; for an audit,
 * `audit_verifier_reward` to each of those verifiers from the verification pool (never more than
 * it holds); the job settled by x/inference (FAULT: the client refunded; OK: finalized); FAULT:
 * the worker slashed `invalid_result` (jailed, tombstoned; reporters the challenger and the
 * winning verifiers' operator accounts); every revealed verifier on the losing side of any
 * round slashed `bad_verification`.
 */
export function finalize(k: ChallengeKeeper, ctx: Context, params: ChallengeParams, d: Dispute, reason: FinalReason): void {
  const h = ctx.block.height;
  const v = standingVerdict(d.rounds);
  const fault = v === Verdict.VERDICT_FAULT;
  const won = winners(d, v);
  const wonAccounts = unique(won.map((x) => operatorAccount(x.operator)));

  let returned = 0n;
  let forfeited = 0n;
  for (const o of bondOutcomes(d.rounds, v)) {
    if (o.returned) {
      pay(k, ctx, k.moduleAccount, d.id, o.requester, o.amount, "bond_return");
      returned += o.amount;
    } else {
      forfeited += o.amount;
    }
  }
  if (forfeited > 0n) {
    const beneficiaries = unique([fault ? d.challenger : operatorAccount(d.operator), ...wonAccounts]);
    if (beneficiaries.length === 0) throw new Error(`challenge: dispute ${d.id} forfeits ${forfeited} with nobody on the winning side`);
    splitEvenly(forfeited, beneficiaries.length).forEach((amount, i) => pay(k, ctx, k.moduleAccount, d.id, beneficiaries[i], amount, "bond_share"));
  }

  let rewards = 0n;
  if (d.kind === DisputeKind.DISPUTE_KIND_AUDIT && params.auditVerifierReward > 0n) {
    let pool = k.bank.getBalance(ctx.store, moduleAddress(k.verificationPool), k.denom);
    for (const account of wonAccounts) {
      const amount = pool < params.auditVerifierReward ? pool : params.auditVerifierReward;
      pay(k, ctx, k.verificationPool, d.id, account, amount, "audit_reward");
      pool -= amount;
      rewards += amount;
    }
  }

  // The fault counts from the worker's assignment: its job's audit rate was fixed against the
  // stake it had then (security.ts), so unbonding between assignment and a faked result must
  // not shrink what is slashed (x/slashing cuts unbonding entries created since the infraction).
  const assignedHeight = k.inference.jobForDispute(ctx.store, d.jobId)?.assignedHeight ?? 0n;
  const infractionHeight = assignedHeight > 0n && assignedHeight <= d.resultHeight ? assignedHeight : d.resultHeight;

  k.inference.settleDispute(ctx, d.jobId, fault);

  if (fault) {
    slashSafely(k, ctx, d.id, {
      operator: d.operator,
      infractionHeight,
      fractionPpm: params.slashFractionInvalidResultPpm,
      kind: KIND_INVALID_RESULT,
      reporters: unique([d.challenger, ...wonAccounts]),
      jail: true,
      tombstone: true,
      reason: `dispute ${d.id}: job ${d.jobId}'s result is invalid`,
    });
  }
  for (const { round, verifier } of losers(d, v)) {
    slashSafely(k, ctx, d.id, {
      operator: verifier.operator,
      infractionHeight: round.drawnHeight,
      fractionPpm: params.slashFractionBadVerificationPpm,
      kind: KIND_BAD_VERIFICATION,
      reporters: [],
      jail: false,
      tombstone: false,
      reason: `dispute ${d.id} round ${round.number}: reveal on the losing side`,
    });
  }

  k.setDispute(ctx.store, {
    ...d,
    status: fault ? DisputeStatus.DISPUTE_STATUS_FINAL_FAULT : DisputeStatus.DISPUTE_STATUS_FINAL_OK,
    finalVerdict: v,
    finalHeight: h,
  });
  emitDisputeFinal(ctx.events, {
    disputeId: d.id,
    jobId: d.jobId,
    verdict: verdictName(v),
    reason,
    bondsReturned: coinString(k, returned),
    bondsForfeited: coinString(k, forfeited),
    auditRewards: coinString(k, rewards),
  });
}
