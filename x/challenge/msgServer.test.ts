import { AppError, ErrInsufficientFunds } from "../../base/errors";
import type { MsgResponse } from "../../base/module";
import { MsgChallengeResponse } from "../../gen/inferchain/challenge/v1/tx";
import { snapshot } from "../slashing/testutil";
import * as errors from "./errors";
import {
  msgAppealHandler,
  msgChallengeHandler,
  msgCommitVerificationHandler,
  msgRevealVerificationHandler,
  msgUpdateParamsHandler,
  type Challenge,
} from "./msgServer";
import { DEFAULT_PARAMS_AUTHORITY, defaultParams, paramsToWire } from "./params";
import { MsgUpdateParams } from "../../gen/inferchain/challenge/v1/tx";
import {
  CHALLENGE_MODULE,
  WRONG_OUTPUT,
  addValidator,
  attrsOf,
  balance,
  blockCtx,
  commitmentOf,
  deliver,
  expectError,
  expectOk,
  endBlock,
  moduleBalance,
  saltOf,
  sampleOutput,
  testAccount,
  testSetup,
  type TestSetup,
  type TestValidator,
} from "./testutil";
import { DisputeKind, DisputeStatus, currentRound, type Dispute } from "./types";

const INF = 1_000_000n;
const BOND = INF;


interface World {
  t: TestSetup;
  vals: TestValidator[];
  client: string;
  challenger: string;
  jobId: bigint;
}

/** Six validators of 10 INF (validator 0 is the worker), a client and a challenger with 10 INF; a result posted at height 10 (window 10). */
function world(): World {
  const t = testSetup({ auditRatePpm: 1n });
  const vals = [0, 1, 2, 3, 4, 5].map((i) => addValidator(t, i, 10n * INF));
  const client = testAccount(1);
  const challenger = testAccount(2);
  t.bank.mint(t.store, challenger, 10n * INF);
  t.bank.mint(t.store, client, 10n * INF);
  const jobId = t.inference.postResult(blockCtx(t, 10n), { client, operator: vals[0].operator, worker: vals[0].worker, output: sampleOutput() });
  return { t, vals, client, challenger, jobId };
}

const dispute = (t: TestSetup, id: bigint): Dispute => t.k.getDispute(t.store, id)!;

/** Challenges the world's job at `height` and draws the committee at the end of the next block; returns the committee's worker keys. */
function challengedAndDrawn(w: World, height = 11n): string[] {
  expectOk(deliver(blockCtx(w.t, height), msgChallengeHandler(w.t.k), { challenger: w.challenger, jobId: w.jobId, bond: BOND }));
  endBlock(w.t, blockCtx(w.t, height));
  endBlock(w.t, blockCtx(w.t, height + 1n));
  const d = dispute(w.t, 1n);
  expect(d.status).toBe(DisputeStatus.DISPUTE_STATUS_COMMIT);
  return currentRound(d).verifiers.map((v) => v.worker);
}

describe("MsgChallenge", () => {
  test("moves the bond into the challenge account, holds the job and opens a dispute drawn next block", () => {
    const w = world();
    const { t } = w;
    const ctx = blockCtx(t, 11n);
    const r = expectOk(deliver(ctx, msgChallengeHandler(t.k), { challenger: w.challenger, jobId: w.jobId, bond: BOND }));
    expect(MsgChallengeResponse.decode(r.value).disputeId).toBe(1n);
    expect(balance(t, w.challenger)).toBe(9n * INF);
    expect(moduleBalance(t, CHALLENGE_MODULE)).toBe(BOND);
    expect(t.inference.job(t.store, w.jobId)).toMatchObject({ status: "disputed", disputeId: 1n });
    expect(dispute(t, 1n)).toMatchObject({
      id: 1n,
      jobId: w.jobId,
      kind: DisputeKind.DISPUTE_KIND_CHALLENGE,
      status: DisputeStatus.DISPUTE_STATUS_DRAWING,
      operator: w.vals[0].operator,
      worker: w.vals[0].worker,
      challenger: w.challenger,
      openedHeight: 11n,
      resultHeight: 10n,
    });
    expect(dispute(t, 1n).rounds).toEqual([expect.objectContaining({ number: 1, requester: w.challenger, bond: BOND, drawnHeight: 12n, verifiers: [] })]);
    expect(attrsOf(ctx.events.events(), "dispute_opened")).toEqual([
      {
        dispute_id: "1",
        job_id: "1",
        kind: "challenge",
        challenger: w.challenger,
        bond: "1000000uinf",
        operator: w.vals[0].operator,
        worker: w.vals[0].worker,
        model_id: "mlp-16x8",
        draw_height: "12",
      },
    ]);
    // Not drawn in the block that opened it: its proposer would choose the seed.
    endBlock(t, blockCtx(t, 11n));
    expect(dispute(t, 1n).status).toBe(DisputeStatus.DISPUTE_STATUS_DRAWING);
    endBlock(t, blockCtx(t, 12n));
    expect(dispute(t, 1n).status).toBe(DisputeStatus.DISPUTE_STATUS_COMMIT);
  });

  test("the job's client may challenge too", () => {
    const w = world();
    expectOk(deliver(blockCtx(w.t, 11n), msgChallengeHandler(w.t.k), { challenger: w.client, jobId: w.jobId, bond: BOND }));
  });

  test("refusals leave no trace: unknown job, low bond, self-challenge, no funds, twice, after the window, after finalization", () => {
    const w = world();
    const { t } = w;
    const h = msgChallengeHandler(t.k);
    const at = (height: bigint, m: Partial<Challenge>): MsgResponse | AppError => deliver(blockCtx(t, height), h, { challenger: w.challenger, jobId: w.jobId, bond: BOND, ...m });
    const before = snapshot(t.store);
    expectError(at(11n, { jobId: 0n }), errors.ErrUnknownJob);
    expectError(at(11n, { jobId: 99n }), errors.ErrUnknownJob);
    expectError(at(11n, { bond: 0n }), errors.ErrInvalidBond);
    expectError(at(11n, { bond: BOND - 1n }), errors.ErrBondTooLow);
    expectError(at(11n, { challenger: w.vals[0].worker }), errors.ErrSelfChallenge);
    expectError(at(11n, { challenger: w.vals[0].account }), errors.ErrSelfChallenge);
    expectError(at(11n, { challenger: testAccount(3) }), ErrInsufficientFunds);
    expectError(at(21n, {}), errors.ErrChallengeWindowClosed);
    expect(snapshot(t.store)).toEqual(before);
    // The last block of the window still counts.
    expectOk(at(20n, {}));
    expectError(at(20n, { challenger: w.client }), errors.ErrJobNotChallengeable);
    // A job finalized undisputed cannot be challenged either.
    const other = t.inference.postResult(blockCtx(t, 30n), { client: w.client, operator: w.vals[1].operator, worker: w.vals[1].worker, output: sampleOutput() });
    endBlock(t, blockCtx(t, 40n));
    expect(t.inference.job(t.store, other)?.status).toBe("finalized");
    expectError(at(40n, { jobId: other }), errors.ErrJobNotChallengeable);
  });

  test("decode refuses a bond that is not a decimal integer", () => {
    const { t } = world();
    expect(() => msgChallengeHandler(t.k).decode(Uint8Array.from([0x1a, 0x03, 0x31, 0x65, 0x36]))).toThrow(/bond/);
  });
});

describe("MsgCommitVerification", () => {
  test("only a drawn verifier of this dispute's round, once, in the commit phase; everyone committed ends the phase", () => {
    const w = world();
    const { t } = w;
    const h = msgCommitVerificationHandler(t.k);
    const c = commitmentOf(sampleOutput(), saltOf(0), w.vals[1].worker);
    // Before the draw: no committee yet.
    expectOk(deliver(blockCtx(t, 11n), msgChallengeHandler(t.k), { challenger: w.challenger, jobId: w.jobId, bond: BOND }));
    expectError(deliver(blockCtx(t, 11n), h, { verifier: w.vals[1].worker, disputeId: 1n, commitment: c }), errors.ErrWrongPhase);
    endBlock(t, blockCtx(t, 11n));
    endBlock(t, blockCtx(t, 12n));
    const committee = currentRound(dispute(t, 1n)).verifiers.map((v) => v.worker);
    const outsider = w.vals.map((v) => v.worker).find((x) => x !== w.vals[0].worker && !committee.includes(x))!;
    const ctx = blockCtx(t, 13n);
    expectError(deliver(ctx, h, { verifier: committee[0], disputeId: 2n, commitment: c }), errors.ErrUnknownDispute);
    expectError(deliver(ctx, h, { verifier: outsider, disputeId: 1n, commitment: c }), errors.ErrNotVerifier);
    expectError(deliver(ctx, h, { verifier: w.vals[0].worker, disputeId: 1n, commitment: c }), errors.ErrNotVerifier);
    expectError(deliver(ctx, h, { verifier: committee[0], disputeId: 1n, commitment: c.slice(1) }), errors.ErrInvalidCommitment);
    expectOk(deliver(ctx, h, { verifier: committee[0], disputeId: 1n, commitment: c }));
    expectError(deliver(ctx, h, { verifier: committee[0], disputeId: 1n, commitment: c }), errors.ErrAlreadyCommitted);
    expect(attrsOf(ctx.events.events(), "verification_committed")).toHaveLength(1);
    expect(currentRound(dispute(t, 1n)).commitEndHeight).toBe(17n);
    expectOk(deliver(ctx, h, { verifier: committee[1], disputeId: 1n, commitment: c }));
    expectOk(deliver(ctx, h, { verifier: committee[2], disputeId: 1n, commitment: c }));
    expect(currentRound(dispute(t, 1n)).commitEndHeight).toBe(13n);
    endBlock(t, ctx);
    expect(dispute(t, 1n).status).toBe(DisputeStatus.DISPUTE_STATUS_REVEAL);
    expect(attrsOf(ctx.events.events(), "dispute_phase")).toEqual([{ dispute_id: "1", job_id: "1", round: "1", phase: "reveal", end_height: "18", worker: w.vals[0].worker }]);
    expectError(deliver(blockCtx(t, 14n), h, { verifier: committee[0], disputeId: 1n, commitment: c }), errors.ErrWrongPhase);
  });

  test("a verifier of one dispute cannot act in another", () => {
    const w = world();
    const { t } = w;
    const second = t.inference.postResult(blockCtx(t, 10n), { client: w.client, operator: w.vals[5].operator, worker: w.vals[5].worker, output: sampleOutput() });
    expectOk(deliver(blockCtx(t, 11n), msgChallengeHandler(t.k), { challenger: w.challenger, jobId: w.jobId, bond: BOND }));
    expectOk(deliver(blockCtx(t, 11n), msgChallengeHandler(t.k), { challenger: w.challenger, jobId: second, bond: BOND }));
    endBlock(t, blockCtx(t, 11n));
    endBlock(t, blockCtx(t, 12n));
    const one = currentRound(dispute(t, 1n)).verifiers.map((v) => v.worker);
    const two = currentRound(dispute(t, 2n)).verifiers.map((v) => v.worker);
    const onlyInOne = one.find((x) => !two.includes(x));
    expect(onlyInOne).toBeDefined();
    expectError(
      deliver(blockCtx(t, 13n), msgCommitVerificationHandler(t.k), { verifier: onlyInOne!, disputeId: 2n, commitment: commitmentOf(sampleOutput(), saltOf(0), onlyInOne!) }),
      errors.ErrNotVerifier,
    );
  });

  test("after the commit phase's end height (its end not processed yet) commits are refused", () => {
    const w = world();
    const { t } = w;
    const committee = challengedAndDrawn(w);
    expectError(
      deliver(blockCtx(t, 18n), msgCommitVerificationHandler(t.k), { verifier: committee[0], disputeId: 1n, commitment: commitmentOf(sampleOutput(), saltOf(0), committee[0]) }),
      errors.ErrPhaseEnded,
    );
  });
});

describe("MsgRevealVerification", () => {
  function toReveal(w: World, committers = 3): string[] {
    const committee = challengedAndDrawn(w);
    const ctx = blockCtx(w.t, 13n);
    committee.slice(0, committers).forEach((v, i) => {
      const out = i === 1 ? WRONG_OUTPUT : sampleOutput();
      expectOk(deliver(ctx, msgCommitVerificationHandler(w.t.k), { verifier: v, disputeId: 1n, commitment: commitmentOf(out, saltOf(i), v) }));
    });
    endBlock(w.t, ctx);
    if (committers < 3) endBlock(w.t, blockCtx(w.t, 17n));
    expect(dispute(w.t, 1n).status).toBe(DisputeStatus.DISPUTE_STATUS_REVEAL);
    return committee;
  }

  test("checks the commitment (output, salt and verifier), the model's output spec, and once only", () => {
    const w = world();
    const { t } = w;
    const committee = toReveal(w);
    const h = msgRevealVerificationHandler(t.k);
    const ctx = blockCtx(t, 14n);
    const reveal = (i: number, over: Partial<{ output: Uint8Array; salt: Uint8Array; cannotRun: boolean; verifier: string }> = {}): MsgResponse | AppError =>
      deliver(ctx, h, { verifier: committee[i], disputeId: 1n, output: i === 1 ? WRONG_OUTPUT : sampleOutput(), salt: saltOf(i), cannotRun: false, ...over });
    // A different output than committed, another salt, or another verifier's commitment: refused.
    expectError(reveal(0, { output: WRONG_OUTPUT }), errors.ErrCommitmentMismatch);
    expectError(reveal(0, { salt: saltOf(9) }), errors.ErrCommitmentMismatch);
    expectError(reveal(1, { output: sampleOutput(), salt: saltOf(0) }), errors.ErrCommitmentMismatch);
    expectError(reveal(0, { salt: saltOf(0).slice(1) }), errors.ErrInvalidSalt);
    expectError(reveal(0, { cannotRun: true }), errors.ErrInvalidOutput);
    expectError(reveal(0, { output: new Uint8Array() }), errors.ErrInvalidOutput);
    expectOk(reveal(0));
    expectError(reveal(0), errors.ErrAlreadyRevealed);
    expectError(reveal(0, { verifier: w.vals[0].worker }), errors.ErrNotVerifier);
    expect(currentRound(dispute(t, 1n)).verifiers[0]).toMatchObject({ revealed: true, output: sampleOutput(), cannotRun: false });
    expect(attrsOf(ctx.events.events(), "verification_revealed")).toEqual([{ dispute_id: "1", round: "1", verifier: committee[0], operator: currentRound(dispute(t, 1n)).verifiers[0].operator, cannot_run: "false" }]);
  });

  test("an output that does not fit the model is refused even when it matches the commitment; a cannot-run reveal is not checked", () => {
    const w = world();
    const { t } = w;
    const committee = challengedAndDrawn(w);
    const garbage = Uint8Array.of(0xff, 0xff);
    const ctx = blockCtx(t, 13n);
    const commit = msgCommitVerificationHandler(t.k);
    expectOk(deliver(ctx, commit, { verifier: committee[0], disputeId: 1n, commitment: commitmentOf(garbage, saltOf(0), committee[0]) }));
    expectOk(deliver(ctx, commit, { verifier: committee[1], disputeId: 1n, commitment: commitmentOf(new Uint8Array(), saltOf(1), committee[1]) }));
    expectOk(deliver(ctx, commit, { verifier: committee[2], disputeId: 1n, commitment: commitmentOf(sampleOutput(), saltOf(2), committee[2]) }));
    endBlock(t, ctx);
    const reveal = msgRevealVerificationHandler(t.k);
    const c14 = blockCtx(t, 14n);
    expectError(deliver(c14, reveal, { verifier: committee[0], disputeId: 1n, output: garbage, salt: saltOf(0), cannotRun: false }), errors.ErrInvalidOutput);
    expectOk(deliver(c14, reveal, { verifier: committee[1], disputeId: 1n, output: new Uint8Array(), salt: saltOf(1), cannotRun: true }));
  });

  test("a reveal without a commitment is refused; everyone who committed revealed ends the phase", () => {
    const w = world();
    const { t } = w;
    const committee = toReveal(w, 2);
    const h = msgRevealVerificationHandler(t.k);
    const ctx = blockCtx(t, 18n);
    expectError(deliver(ctx, h, { verifier: committee[2], disputeId: 1n, output: sampleOutput(), salt: saltOf(2), cannotRun: false }), errors.ErrNoCommitment);
    expectOk(deliver(ctx, h, { verifier: committee[0], disputeId: 1n, output: sampleOutput(), salt: saltOf(0), cannotRun: false }));
    expect(currentRound(dispute(t, 1n)).revealEndHeight).toBe(22n);
    expectOk(deliver(ctx, h, { verifier: committee[1], disputeId: 1n, output: WRONG_OUTPUT, salt: saltOf(1), cannotRun: false }));
    expect(currentRound(dispute(t, 1n)).revealEndHeight).toBe(18n);
  });

  test("no reveal in the commit phase, nor after the reveal phase's end height", () => {
    const w = world();
    const { t } = w;
    const committee = challengedAndDrawn(w);
    const h = msgRevealVerificationHandler(t.k);
    const c = blockCtx(t, 13n);
    expectOk(deliver(c, msgCommitVerificationHandler(t.k), { verifier: committee[0], disputeId: 1n, commitment: commitmentOf(sampleOutput(), saltOf(0), committee[0]) }));
    expectError(deliver(c, h, { verifier: committee[0], disputeId: 1n, output: sampleOutput(), salt: saltOf(0), cannotRun: false }), errors.ErrWrongPhase);
    expectOk(deliver(c, msgCommitVerificationHandler(t.k), { verifier: committee[1], disputeId: 1n, commitment: commitmentOf(sampleOutput(), saltOf(1), committee[1]) }));
    endBlock(t, blockCtx(t, 17n));
    expectError(deliver(blockCtx(t, 23n), h, { verifier: committee[0], disputeId: 1n, output: sampleOutput(), salt: saltOf(0), cannotRun: false }), errors.ErrPhaseEnded);
  });
});

describe("opening (x/inference's MsgOpenResult asks wantsOpening)", () => {
  test("only the disputed job, only in the OPEN phase, only once", () => {
    const w = world();
    const { t } = w;
    const other = t.inference.postResult(blockCtx(t, 10n), { client: w.client, operator: w.vals[5].operator, worker: w.vals[5].worker, output: sampleOutput() });
    expect(t.k.wantsOpening(t.store, w.jobId)).toBe(false);
    const committee = challengedAndDrawn(w);
    expect(t.k.wantsOpening(t.store, w.jobId)).toBe(false);
    const ctx = blockCtx(t, 13n);
    committee.forEach((v, i) => expectOk(deliver(ctx, msgCommitVerificationHandler(t.k), { verifier: v, disputeId: 1n, commitment: commitmentOf(sampleOutput(), saltOf(i), v) })));
    endBlock(t, ctx);
    expect(t.k.wantsOpening(t.store, w.jobId)).toBe(false);
    const c14 = blockCtx(t, 14n);
    committee.forEach((v, i) => expectOk(deliver(c14, msgRevealVerificationHandler(t.k), { verifier: v, disputeId: 1n, output: sampleOutput(), salt: saltOf(i), cannotRun: false })));
    endBlock(t, c14);
    expect(dispute(t, 1n).status).toBe(DisputeStatus.DISPUTE_STATUS_OPEN);
    expect(t.k.wantsOpening(t.store, w.jobId)).toBe(true);
    // Nobody can open another job's result through this dispute.
    expect(t.k.wantsOpening(t.store, other)).toBe(false);
    expect(() => t.inference.open(blockCtx(t, 15n), other)).toThrow(/no dispute asks/);
    t.inference.open(blockCtx(t, 15n), w.jobId);
    endBlock(t, blockCtx(t, 15n));
    expect(dispute(t, 1n).status).toBe(DisputeStatus.DISPUTE_STATUS_APPEALABLE);
    expect(t.k.wantsOpening(t.store, w.jobId)).toBe(false);
  });
});

describe("MsgAppeal", () => {
  test("only the losing party, within the window, with multiplier × the last bond", () => {
    const w = world();
    const { t } = w;
    const committee = challengedAndDrawn(w);
    const ctx = blockCtx(t, 13n);
    committee.forEach((v, i) => expectOk(deliver(ctx, msgCommitVerificationHandler(t.k), { verifier: v, disputeId: 1n, commitment: commitmentOf(sampleOutput(), saltOf(i), v) })));
    endBlock(t, ctx);
    const h = msgAppealHandler(t.k);
    expectError(deliver(blockCtx(t, 14n), h, { appellant: w.challenger, disputeId: 1n, bond: 2n * BOND }), errors.ErrWrongPhase);
    const c14 = blockCtx(t, 14n);
    committee.forEach((v, i) => expectOk(deliver(c14, msgRevealVerificationHandler(t.k), { verifier: v, disputeId: 1n, output: sampleOutput(), salt: saltOf(i), cannotRun: false })));
    endBlock(t, c14);
    t.inference.open(blockCtx(t, 15n), w.jobId);
    endBlock(t, blockCtx(t, 15n));
    // OK: the challenger lost; the worker did not.
    expect(dispute(t, 1n)).toMatchObject({ status: DisputeStatus.DISPUTE_STATUS_APPEALABLE, appealEndHeight: 25n });
    const at = (height: bigint, appellant: string, bond: bigint): MsgResponse | AppError => deliver(blockCtx(t, height), h, { appellant, disputeId: 1n, bond });
    expectError(at(16n, w.vals[0].worker, 2n * BOND), errors.ErrNotAppellant);
    expectError(at(16n, w.client, 2n * BOND), errors.ErrNotAppellant);
    expectError(at(16n, w.challenger, 2n * BOND - 1n), errors.ErrBondTooLow);
    expectError(at(26n, w.challenger, 2n * BOND), errors.ErrPhaseEnded);
    expectError(at(16n, w.challenger, 0n), errors.ErrInvalidBond);
    const c16 = blockCtx(t, 16n);
    expectOk(deliver(c16, h, { appellant: w.challenger, disputeId: 1n, bond: 2n * BOND }));
    expect(moduleBalance(t, CHALLENGE_MODULE)).toBe(3n * BOND);
    expect(dispute(t, 1n).status).toBe(DisputeStatus.DISPUTE_STATUS_DRAWING);
    expect(dispute(t, 1n).rounds[1]).toMatchObject({ number: 2, requester: w.challenger, bond: 2n * BOND, drawnHeight: 17n });
    expect(attrsOf(c16.events.events(), "appeal")).toEqual([{ dispute_id: "1", job_id: "1", round: "2", appellant: w.challenger, bond: "2000000uinf" }]);
  });
});

describe("MsgUpdateParams", () => {
  test("only from the params authority; invalid params do not decode", () => {
    const { t } = world();
    const h = msgUpdateParamsHandler(t.k);
    const next = { ...defaultParams(), auditRatePpm: 100_000n };
    expectError(deliver(blockCtx(t, 11n), h, { authority: testAccount(5), params: next }), errors.ErrUnauthorizedParams);
    const ctx = blockCtx(t, 11n);
    expectOk(deliver(ctx, h, { authority: DEFAULT_PARAMS_AUTHORITY, params: next }));
    expect(t.k.getParams(t.store)).toEqual(next);
    expect(attrsOf(ctx.events.events(), "update_params")).toEqual([{ module: "challenge", authority: DEFAULT_PARAMS_AUTHORITY }]);
    const bad = MsgUpdateParams.encode({ authority: DEFAULT_PARAMS_AUTHORITY, params: { ...paramsToWire(defaultParams()), slashFractionInvalidResultPpm: 0n } }).finish();
    expect(() => h.decode(bad)).toThrow(errors.ErrInvalidParams.message);
  });
});
