/**
 * Disputes end to end against the fakes (testutil.ts), block by block: audits, challenges,
 * draws, commit/reveal, opening, verdicts, appeals and settlement, with every uinf accounted for
 * (the fake supply only changes by what x/slashing burns).
 */
import type { Event } from "cosmjs-types/tendermint/abci/types";
import type { Context } from "../../base/context";
import { AppError } from "../../base/errors";
import { moduleAddress } from "../../base/types/address";
import type { MsgResponse } from "../../base/module";
import { consAddressString } from "../slashing/types";
import { isAudited } from "./draw";
import { KIND_BAD_VERIFICATION, KIND_INVALID_RESULT } from "./keeper";
import { msgAppealHandler, msgChallengeHandler, msgCommitVerificationHandler, msgRevealVerificationHandler } from "./msgServer";
import type { ChallengeParams } from "./params";
import {
  CHALLENGE_MODULE,
  JOB_ESCROW_MODULE,
  TREASURY_MODULE,
  VERIFICATION_POOL_MODULE,
  WRONG_OUTPUT,
  addValidator,
  attrsOf,
  balance,
  blockCtx,
  commitmentOf,
  deliver,
  endBlock,
  hashAt,
  moduleBalance,
  saltOf,
  sampleOutput,
  supply,
  testAccount,
  testSetup,
  type TestSetup,
  type TestValidator,
} from "./testutil";
import { DisputeKind, DisputeStatus, Verdict, currentRound, type Dispute } from "./types";

const INF = 1_000_000n;
const STAKE = 10n * INF;
const BOND = INF;
const FEE = 1_000n;

function ok(r: MsgResponse | AppError): void {
  if (r instanceof AppError) throw new Error(`refused: ${r.message}`);
}

/** What a drawn verifier does: reveal an output (or cannot_run), commit and stay silent, or do nothing. */
type Act = Uint8Array | "cannot_run" | "commit_only" | "silent";

class World {
  readonly vals: TestValidator[];
  readonly client = testAccount(1);
  readonly challenger = testAccount(2);
  height = 9n;
  /** Events of every block so far, in order. */
  readonly events: Event[] = [];

  constructor(
    readonly t: TestSetup,
    validators = 12,
  ) {
    this.vals = Array.from({ length: validators }, (_, i) => addValidator(t, i, STAKE));
    t.bank.mint(t.store, this.challenger, 10n * INF);
    t.bank.mint(t.store, this.client, 10n * INF);
  }

  /** The next block: `f` as its transactions, then EndBlock. */
  block(f?: (c: Context) => void): Context {
    this.height++;
    const c = blockCtx(this.t, this.height);
    f?.(c);
    endBlock(this.t, c);
    this.events.push(...c.events.events());
    return c;
  }

  /** Blocks until (and including) `height`. */
  until(height: bigint): void {
    while (this.height < height) this.block();
  }

  dispute(id = 1n): Dispute {
    return this.t.k.getDispute(this.t.store, id)!;
  }

  /** Validator 0 posts `output` for the client in the next block; returns the job id. */
  post(output: Uint8Array, v = 0): bigint {
    let id = 0n;
    this.block((c) => (id = this.t.inference.postResult(c, { client: this.client, operator: this.vals[v].operator, worker: this.vals[v].worker, fee: FEE, output })));
    return id;
  }

  challenge(jobId: bigint, challenger = this.challenger, bond = BOND): void {
    this.block((c) => ok(deliver(c, msgChallengeHandler(this.t.k), { challenger, jobId, bond })));
  }

  /** Validator 0 posts `output` (height 10), `challenger` challenges it (11), the committee is drawn (12); returns the job id. */
  disputed(output: Uint8Array, challenger = this.challenger): bigint {
    const jobId = this.post(output);
    this.challenge(jobId, challenger);
    this.block();
    return jobId;
  }

  committee(id = 1n): string[] {
    return currentRound(this.dispute(id)).verifiers.map((v) => v.worker);
  }

  /** One round, from the block after the draw: commit, reveal, (the worker opens when asked and `open`). */
  play(id: bigint, act: (worker: string, i: number) => Act, open = true): void {
    const committee = this.committee(id);
    const acts = committee.map(act);
    const out = (a: Act): Uint8Array => (a instanceof Uint8Array ? a : new Uint8Array());
    this.block((c) =>
      committee.forEach((v, i) => {
        if (acts[i] === "silent") return;
        ok(deliver(c, msgCommitVerificationHandler(this.t.k), { verifier: v, disputeId: id, commitment: commitmentOf(out(acts[i]), saltOf(i), v) }));
      }),
    );
    if (this.dispute(id).status === DisputeStatus.DISPUTE_STATUS_COMMIT) this.until(currentRound(this.dispute(id)).commitEndHeight);
    if (this.dispute(id).status !== DisputeStatus.DISPUTE_STATUS_REVEAL) return;
    this.block((c) =>
      committee.forEach((v, i) => {
        const a = acts[i];
        if (a === "silent" || a === "commit_only") return;
        ok(deliver(c, msgRevealVerificationHandler(this.t.k), { verifier: v, disputeId: id, output: out(a), salt: saltOf(i), cannotRun: a === "cannot_run" }));
      }),
    );
    if (this.dispute(id).status === DisputeStatus.DISPUTE_STATUS_REVEAL) this.until(currentRound(this.dispute(id)).revealEndHeight);
    if (this.dispute(id).status !== DisputeStatus.DISPUTE_STATUS_OPEN) return;
    if (open) this.block((c) => this.t.inference.open(c, this.dispute(id).jobId));
    else this.until(currentRound(this.dispute(id)).openEndHeight);
  }

  /** The validator of a worker key. */
  val(worker: string): TestValidator {
    return this.vals.find((v) => v.worker === worker)!;
  }

  tokens(v: TestValidator): bigint {
    return this.t.staking.validator(this.t.store, v.operator)!.tokens;
  }

  tombstoned(v: TestValidator): boolean {
    const view = this.t.staking.validator(this.t.store, v.operator)!;
    return this.t.slashing.getSigningInfo(this.t.store, consAddressString(view.consAddress))?.tombstoned ?? false;
  }

  slashes(): Array<{ validator: string; kind: string; amount: bigint }> {
    return [...this.t.slashing.slashEvents(this.t.store)].map((e) => ({ validator: e.validator, kind: e.kind, amount: e.amount }));
  }

  of(type: string): Array<Record<string, string>> {
    return attrsOf(this.events, type);
  }
}

/** Audits off (1 ppm) unless a test raises the rate; max_audit_rate_ppm 100% so it may. */
const params = (over: Partial<ChallengeParams> = {}): Partial<ChallengeParams> => ({ auditRatePpm: 1n, maxAuditRatePpm: 1_000_000n, ...over });

describe("a challenged faulty result (worker --fault random)", () => {
  test("FAULT: worker slashed 100%, jailed and tombstoned; client refunded; bond back; reporters paid; supply conserved", () => {
    const w = new World(testSetup(params()));
    const { t } = w;
    const jobId = w.disputed(WRONG_OUTPUT, w.client); // posted at 10, challenged by the client at 11, drawn at 12
    const start = supply(w.t);
    expect(w.dispute().status).toBe(DisputeStatus.DISPUTE_STATUS_COMMIT);
    const committee = w.committee();
    expect(committee).toHaveLength(3);
    expect(committee).not.toContain(w.vals[0].worker);
    w.play(1n, () => sampleOutput()); // 13 commit, 14 reveal, 15 open → verdict
    expect(w.dispute()).toMatchObject({ status: DisputeStatus.DISPUTE_STATUS_APPEALABLE, opened: true, openedOutput: WRONG_OUTPUT, appealEndHeight: 25n });
    expect(w.of("verdict")).toEqual([{ dispute_id: "1", job_id: "1", round: "1", verdict: "fault", reason: "compared", reveals: "3", agree: "0", diverge: "3" }]);
    // Nothing is settled before the verdict is final: the job stays held, the bond stays in.
    expect(t.inference.job(t.store, jobId)?.status).toBe("disputed");
    expect(moduleBalance(t, CHALLENGE_MODULE)).toBe(BOND);
    w.until(25n);
    expect(w.dispute()).toMatchObject({ status: DisputeStatus.DISPUTE_STATUS_FINAL_FAULT, finalVerdict: Verdict.VERDICT_FAULT, finalHeight: 25n });
    expect(w.tokens(w.vals[0])).toBe(0n);
    expect(t.staking.validator(t.store, w.vals[0].operator)?.jailed).toBe(true);
    expect(w.tombstoned(w.vals[0])).toBe(true);
    expect(w.slashes()).toEqual([{ validator: w.vals[0].operator, kind: KIND_INVALID_RESULT, amount: STAKE }]);
    // Client: its 10 INF, less the bond, plus the fee refunded, the bond back and a reporter's
    // share (10% of the slash split four ways: the client-challenger and three verifiers).
    const share = STAKE / 10n / 4n;
    expect(balance(t, w.client)).toBe(10n * INF + FEE + share);
    for (const v of committee) expect(balance(t, w.val(v).account)).toBe(share);
    expect(moduleBalance(t, TREASURY_MODULE)).toBe(STAKE - 4n * share);
    expect(moduleBalance(t, CHALLENGE_MODULE)).toBe(0n);
    expect(moduleBalance(t, JOB_ESCROW_MODULE)).toBe(0n);
    expect(t.inference.job(t.store, jobId)?.status).toBe("failed");
    expect(supply(w.t)).toBe(start);
    expect(w.of("dispute_final")).toEqual([
      { dispute_id: "1", job_id: "1", verdict: "fault", reason: "appeal_window_closed", bonds_returned: "1000000uinf", bonds_forfeited: "0uinf", audit_rewards: "0uinf" },
    ]);
    // No honest validator was slashed.
    for (const v of w.vals.slice(1)) expect(w.tokens(v)).toBe(STAKE);
  });

  test("a worker that does not open its result is at FAULT whatever the verifiers revealed", () => {
    const w = new World(testSetup(params({ maxRounds: 1 })));
    w.disputed(sampleOutput());
    w.play(1n, () => sampleOutput(), false);
    expect(w.of("verdict")).toEqual([expect.objectContaining({ verdict: "fault", reason: "not_opened", reveals: "3", agree: "0", diverge: "3" })]);
    expect(w.dispute()).toMatchObject({ status: DisputeStatus.DISPUTE_STATUS_FINAL_FAULT, opened: false });
    expect(w.tombstoned(w.vals[0])).toBe(true);
    expect(w.slashes().map((s) => s.kind)).toEqual([KIND_INVALID_RESULT]);
  });
});

describe("an honest result challenged by a griefer", () => {
  test("OK: the worker keeps its stake and its fee; the bond is shared by the worker and the verifiers", () => {
    const w = new World(testSetup(params()));
    const { t } = w;
    const jobId = w.disputed(sampleOutput());
    const start = supply(w.t);
    const committee = w.committee();
    w.play(1n, () => sampleOutput());
    expect(w.of("verdict")).toEqual([expect.objectContaining({ verdict: "ok", agree: "3", diverge: "0" })]);
    w.until(25n);
    expect(w.dispute()).toMatchObject({ status: DisputeStatus.DISPUTE_STATUS_FINAL_OK, finalVerdict: Verdict.VERDICT_OK });
    expect(w.slashes()).toEqual([]);
    expect(w.tokens(w.vals[0])).toBe(STAKE);
    expect(balance(t, w.challenger)).toBe(9n * INF);
    // 1 INF in four shares: the worker's operator account (plus the fee) and three verifiers.
    expect(balance(t, w.vals[0].account)).toBe(BOND / 4n + FEE);
    for (const v of committee) expect(balance(t, w.val(v).account)).toBe(BOND / 4n);
    expect(t.inference.job(t.store, jobId)?.status).toBe("finalized");
    expect(supply(w.t)).toBe(start);
    expect(w.of("dispute_payout").map((p) => p.kind)).toEqual(["bond_share", "bond_share", "bond_share", "bond_share"]);
  });

  test("a random verifier is in the minority and pays bad_verification; the bond goes to the majority and the worker", () => {
    const w = new World(testSetup(params()));
    const { t } = w;
    w.disputed(sampleOutput());
    const start = supply(w.t);
    const committee = w.committee();
    w.play(1n, (_v, i) => (i === 2 ? WRONG_OUTPUT : sampleOutput()));
    expect(w.of("verdict")).toEqual([expect.objectContaining({ verdict: "ok", agree: "2", diverge: "1" })]);
    w.until(25n);
    const random = w.val(committee[2]);
    expect(w.slashes()).toEqual([{ validator: random.operator, kind: KIND_BAD_VERIFICATION, amount: STAKE / 100n }]);
    expect(w.tokens(random)).toBe(STAKE - STAKE / 100n);
    expect(balance(t, random.account)).toBe(0n);
    // 1 INF in three shares (remainder to the worker).
    expect(balance(t, w.vals[0].account)).toBe(BOND / 3n + 1n + FEE);
    for (const v of committee.slice(0, 2)) expect(balance(t, w.val(v).account)).toBe(BOND / 3n);
    expect(supply(w.t)).toBe(start);
  });

  test("a tie is OK", () => {
    const w = new World(testSetup(params({ verifiersPerRound: 2, appealVerifiers: 2, maxRounds: 1 })));
    w.disputed(sampleOutput());
    w.play(1n, (_v, i) => (i === 0 ? WRONG_OUTPUT : sampleOutput()));
    expect(w.of("verdict")).toEqual([expect.objectContaining({ verdict: "ok", agree: "1", diverge: "1" })]);
    expect(w.dispute().status).toBe(DisputeStatus.DISPUTE_STATUS_FINAL_OK);
  });

  test("cannot_run agrees only with cannot_run", () => {
    const w = new World(testSetup(params({ maxRounds: 1 })));
    let jobId = 0n;
    w.block((c) => (jobId = w.t.inference.postResult(c, { client: w.client, operator: w.vals[0].operator, worker: w.vals[0].worker, output: new Uint8Array(), cannotRun: true })));
    w.challenge(jobId);
    w.block();
    w.play(1n, (_v, i) => (i === 0 ? sampleOutput() : "cannot_run"));
    expect(w.of("verdict")).toEqual([expect.objectContaining({ verdict: "ok", agree: "2", diverge: "1" })]);
  });
});

describe("quorum", () => {
  test("a no-show pays bad_verification; with a quorum the round still decides", () => {
    const w = new World(testSetup(params({ maxRounds: 1 })));
    w.disputed(sampleOutput());
    const committee = w.committee();
    w.play(1n, (_v, i) => (i === 0 ? "commit_only" : sampleOutput()));
    expect(w.of("verdict")).toEqual([expect.objectContaining({ verdict: "ok", reveals: "2" })]);
    expect(w.slashes()).toEqual([{ validator: w.val(committee[0]).operator, kind: KIND_BAD_VERIFICATION, amount: STAKE / 100n }]);
  });

  test("too few reveals: no-shows slashed and a fresh round of other verifiers reaches the verdict", () => {
    const w = new World(testSetup(params({ maxRounds: 1 })));
    w.disputed(sampleOutput());
    const start = supply(w.t);
    const first = w.committee();
    // One commits; two never do: no reveal phase (a quorum is out of reach), so only the silent two pay.
    w.play(1n, (_v, i) => (i === 0 ? sampleOutput() : "silent"));
    expect(w.of("no_quorum")).toEqual([{ dispute_id: "1", job_id: "1", round: "1", drawn: "3", reveals: "0", quorum: "2", retry: "true" }]);
    expect(w.slashes().map((s) => s.validator).sort()).toEqual([w.val(first[1]).operator, w.val(first[2]).operator].sort());
    expect(w.dispute()).toMatchObject({ status: DisputeStatus.DISPUTE_STATUS_DRAWING });
    expect(w.dispute().rounds).toHaveLength(2);
    expect(w.dispute().rounds[0]).toMatchObject({ noQuorum: true, verdict: Verdict.VERDICT_UNSPECIFIED });
    expect(w.dispute().rounds[1]).toMatchObject({ number: 2, requester: w.challenger, bond: 0n });
    w.block();
    const second = w.committee();
    expect(second).toHaveLength(3);
    for (const v of second) expect(first).not.toContain(v);
    w.play(1n, () => sampleOutput());
    expect(w.dispute()).toMatchObject({ status: DisputeStatus.DISPUTE_STATUS_FINAL_OK });
    // The bond is shared with the deciding round's verifiers.
    for (const v of second) expect(balance(w.t, w.val(v).account)).toBe(BOND / 4n);
    expect(supply(w.t)).toBe(start);
  });

  test("all no-shows past max_quorum_retries: final without a verdict (OK), the bond back, every no-show slashed", () => {
    const w = new World(testSetup(params({ maxQuorumRetries: 1 })));
    const { t } = w;
    const jobId = w.disputed(sampleOutput());
    const start = supply(w.t);
    const first = w.committee();
    w.play(1n, () => "silent");
    w.block();
    const second = w.committee();
    w.play(1n, () => "silent");
    expect(w.of("no_quorum").map((e) => e.retry)).toEqual(["true", "false"]);
    expect(w.dispute()).toMatchObject({ status: DisputeStatus.DISPUTE_STATUS_FINAL_OK, finalVerdict: Verdict.VERDICT_OK });
    expect(w.of("dispute_final")).toEqual([expect.objectContaining({ verdict: "ok", reason: "no_quorum", bonds_returned: "1000000uinf", bonds_forfeited: "0uinf" })]);
    expect(balance(t, w.challenger)).toBe(10n * INF);
    expect(w.slashes().map((s) => s.validator).sort()).toEqual([...first, ...second].map((v) => w.val(v).operator).sort());
    expect(t.inference.job(t.store, jobId)?.status).toBe("finalized");
    expect(supply(w.t)).toBe(start);
  });
});

describe("appeals", () => {
  test("the worker appeals a FAULT: seven fresh verifiers, FAULT stands; its appeal bond goes to the challenger and them", () => {
    const w = new World(testSetup(params({ maxRounds: 2 })));
    const { t } = w;
    t.bank.mint(t.store, w.vals[0].worker, 2n * BOND);
    w.disputed(WRONG_OUTPUT);
    const start = supply(w.t);
    const first = w.committee();
    w.play(1n, () => sampleOutput()); // verdict FAULT at 15
    expect(w.dispute().status).toBe(DisputeStatus.DISPUTE_STATUS_APPEALABLE);
    w.block((c) => ok(deliver(c, msgAppealHandler(t.k), { appellant: w.vals[0].worker, disputeId: 1n, bond: 2n * BOND })));
    w.block(); // drawn
    const second = w.committee();
    expect(second).toHaveLength(7);
    for (const v of second) expect([...first, w.vals[0].worker]).not.toContain(v);
    // Already opened in round 1: no OPEN phase; the verdict comes with the reveals.
    w.play(1n, () => sampleOutput());
    expect(w.of("verdict").map((e) => [e.round, e.verdict, e.diverge])).toEqual([
      ["1", "fault", "3"],
      ["2", "fault", "7"],
    ]);
    expect(w.dispute()).toMatchObject({ status: DisputeStatus.DISPUTE_STATUS_FINAL_FAULT });
    expect(w.of("dispute_final")).toEqual([expect.objectContaining({ reason: "max_rounds", bonds_returned: "1000000uinf", bonds_forfeited: "2000000uinf" })]);
    // The forfeited 2 INF in eight shares: the challenger and the seven.
    const reporterShare = STAKE / 10n / 8n;
    expect(balance(t, w.challenger)).toBe(10n * INF + (2n * BOND) / 8n + reporterShare);
    for (const v of second) expect(balance(t, w.val(v).account)).toBe((2n * BOND) / 8n + reporterShare);
    expect(balance(t, w.vals[0].worker)).toBe(0n);
    expect(w.tombstoned(w.vals[0])).toBe(true);
    expect(supply(w.t)).toBe(start);
  });

  test("an overturned verdict: the first round's majority pays bad_verification, the challenger forfeits, the appellant gets its bond back", () => {
    const w = new World(testSetup(params({ maxRounds: 2 })));
    const { t } = w;
    t.bank.mint(t.store, w.vals[0].account, 2n * BOND);
    w.disputed(sampleOutput());
    const start = supply(w.t);
    const first = w.committee();
    // A colluding first committee reveals a wrong output.
    w.play(1n, () => WRONG_OUTPUT);
    expect(w.of("verdict")).toEqual([expect.objectContaining({ verdict: "fault" })]);
    w.block((c) => ok(deliver(c, msgAppealHandler(t.k), { appellant: w.vals[0].account, disputeId: 1n, bond: 2n * BOND })));
    w.block();
    const second = w.committee();
    w.play(1n, () => sampleOutput());
    expect(w.dispute()).toMatchObject({ status: DisputeStatus.DISPUTE_STATUS_FINAL_OK });
    expect(w.slashes().map((s) => [s.validator, s.kind]).sort()).toEqual(first.map((v) => [w.val(v).operator, KIND_BAD_VERIFICATION]).sort());
    expect(w.tokens(w.vals[0])).toBe(STAKE);
    // The worker's account: its appeal bond back, a share of the challenger's bond, the fee.
    expect(balance(t, w.vals[0].account)).toBe(2n * BOND + BOND / 8n + FEE);
    for (const v of second) expect(balance(t, w.val(v).account)).toBe(BOND / 8n);
    expect(balance(t, w.challenger)).toBe(9n * INF);
    expect(supply(w.t)).toBe(start);
  });

  test("an appeal nobody is left to verify: the verdict stands and the appeal bond comes back", () => {
    // Four validators: the worker and the first round's three leave nobody for an appeal.
    const w = new World(testSetup(params({ maxRounds: 3 })), 4);
    const { t } = w;
    t.bank.mint(t.store, w.vals[0].worker, 2n * BOND);
    w.disputed(WRONG_OUTPUT);
    w.play(1n, () => sampleOutput());
    w.block((c) => ok(deliver(c, msgAppealHandler(t.k), { appellant: w.vals[0].worker, disputeId: 1n, bond: 2n * BOND })));
    w.block();
    expect(w.of("verifiers_drawn").map((e) => e.drawn)).toEqual(["3", "0"]);
    expect(w.dispute()).toMatchObject({ status: DisputeStatus.DISPUTE_STATUS_FINAL_FAULT });
    expect(w.of("dispute_final")).toEqual([expect.objectContaining({ verdict: "fault", reason: "no_verifiers", bonds_returned: "3000000uinf", bonds_forfeited: "0uinf" })]);
    expect(balance(t, w.vals[0].worker)).toBe(2n * BOND);
  });
});

describe("nobody to verify", () => {
  test("no eligible verifier: the dispute ends without a verdict (OK), bond back, job finalized", () => {
    const w = new World(testSetup(params()), 1);
    const { t } = w;
    const jobId = w.disputed(sampleOutput());
    expect(w.dispute()).toMatchObject({ status: DisputeStatus.DISPUTE_STATUS_FINAL_OK, finalVerdict: Verdict.VERDICT_OK, finalHeight: 12n });
    expect(w.of("dispute_final")).toEqual([expect.objectContaining({ verdict: "ok", reason: "no_verifiers", bonds_returned: "1000000uinf" })]);
    expect(balance(t, w.challenger)).toBe(10n * INF);
    expect(t.inference.job(t.store, jobId)?.status).toBe("finalized");
  });

  test("the draw excludes the worker, the client, the challenger and their validators", () => {
    const w = new World(testSetup(params({ verifiersPerRound: 10, appealVerifiers: 10 })), 6);
    const { t } = w;
    let jobId = 0n;
    // The client is validator 1's account, the challenger validator 2's worker key.
    t.bank.mint(t.store, w.vals[2].worker, 10n * INF);
    w.block((c) => (jobId = t.inference.postResult(c, { client: w.vals[1].account, operator: w.vals[0].operator, worker: w.vals[0].worker, output: sampleOutput() })));
    w.challenge(jobId, w.vals[2].worker);
    w.block();
    expect(w.committee().sort()).toEqual([w.vals[3].worker, w.vals[4].worker, w.vals[5].worker].sort());
  });
});

describe("audits", () => {
  test("results of block h are audited in the EndBlock of h+1, from h+1's hash, at the audit rate", () => {
    const w = new World(testSetup(params({ auditRatePpm: 500_000n })));
    const { t } = w;
    const ids: bigint[] = [];
    w.block((c) => {
      for (let i = 0; i < 40; i++) ids.push(t.inference.postResult(c, { client: w.client, operator: w.vals[i % 12].operator, worker: w.vals[i % 12].worker, output: sampleOutput() }));
    }); // 10
    const c11 = w.block();
    const audited = w.of("audit_selected").map((e) => BigInt(e.job_id));
    expect(audited).toEqual(ids.filter((id) => isAudited(hashAt(11n), id, 500_000n)));
    expect(audited).not.toEqual(ids.filter((id) => isAudited(hashAt(10n), id, 500_000n)));
    expect(audited.length).toBeGreaterThan(5);
    expect(audited.length).toBeLessThan(35);
    for (const id of audited) expect(t.inference.job(t.store, id)?.status).toBe("disputed");
    for (const id of ids.filter((x) => !audited.includes(x))) expect(t.inference.job(t.store, id)?.status).toBe("result_posted");
    expect(attrsOf(c11.events.events(), "dispute_opened")[0]).toMatchObject({ kind: "audit", challenger: "", bond: "0uinf", draw_height: "12" });
    expect(t.k.getDispute(t.store, 1n)).toMatchObject({ kind: DisputeKind.DISPUTE_KIND_AUDIT, resultHeight: 10n });
  });

  test("an audit whose job was challenged in the same block is not opened twice; a result in the window's last block is still audited", () => {
    const w = new World(testSetup(params({ auditRatePpm: 1_000_000n })));
    const { t } = w;
    t.inference.window = 1n;
    const a = w.post(sampleOutput()); // 10, window ends at 11
    w.challenge(a); // 11: the challenge lands first, then the audit sees a held job
    expect(w.of("audit_selected")).toEqual([]);
    expect(w.of("dispute_opened")).toHaveLength(1);
    const b = w.post(sampleOutput()); // 12, window ends at 13
    w.block(); // 13: challenge's hook (the audit) runs before inference's finalization
    expect(w.of("audit_selected").map((e) => e.job_id)).toEqual([b.toString()]);
    expect(t.inference.job(t.store, b)?.status).toBe("disputed");
  });

  test("audit verifiers on the winning side are paid from the verification pool, never more than it holds", () => {
    const w = new World(testSetup(params({ auditRatePpm: 1_000_000n, auditVerifierReward: 400n, maxRounds: 1 })));
    const { t } = w;
    t.bank.mint(t.store, moduleAddress(VERIFICATION_POOL_MODULE), 1_000n);
    const jobId = w.post(sampleOutput()); // 10
    const start = supply(w.t);
    w.block(); // 11: audit opened
    w.block(); // 12: drawn
    const committee = w.committee();
    w.play(1n, () => sampleOutput());
    expect(w.dispute()).toMatchObject({ status: DisputeStatus.DISPUTE_STATUS_FINAL_OK, kind: DisputeKind.DISPUTE_KIND_AUDIT });
    expect(committee.map((v) => balance(t, w.val(v).account))).toEqual([400n, 400n, 200n]);
    expect(moduleBalance(t, VERIFICATION_POOL_MODULE)).toBe(0n);
    expect(w.of("dispute_final")).toEqual([expect.objectContaining({ audit_rewards: "1000uinf", bonds_returned: "0uinf" })]);
    expect(t.inference.job(t.store, jobId)?.status).toBe("finalized");
    expect(supply(w.t)).toBe(start);
  });

  test("the client may appeal an audit's OK verdict", () => {
    const w = new World(testSetup(params({ auditRatePpm: 1_000_000n, auditVerifierReward: 0n })));
    const { t } = w;
    w.post(sampleOutput());
    w.block();
    w.block();
    w.play(1n, () => sampleOutput());
    const appeal = msgAppealHandler(t.k);
    w.block((c) => {
      expect(deliver(c, appeal, { appellant: w.challenger, disputeId: 1n, bond: 2n * BOND })).toBeInstanceOf(AppError);
      ok(deliver(c, appeal, { appellant: w.client, disputeId: 1n, bond: 2n * BOND }));
    });
    expect(w.dispute().status).toBe(DisputeStatus.DISPUTE_STATUS_DRAWING);
  });
});

describe("bounded block work and isolation", () => {
  test("at most max_disputes_per_block steps a block; the rest wait for the next", () => {
    const w = new World(testSetup(params({ maxDisputesPerBlock: 1 })));
    const a = w.post(sampleOutput());
    const b = w.post(sampleOutput(), 1);
    w.block((c) => {
      ok(deliver(c, msgChallengeHandler(w.t.k), { challenger: w.challenger, jobId: a, bond: BOND }));
      ok(deliver(c, msgChallengeHandler(w.t.k), { challenger: w.challenger, jobId: b, bond: BOND }));
    }); // 12
    w.block(); // 13: only dispute 1 is drawn
    expect([w.dispute(1n).status, w.dispute(2n).status]).toEqual([DisputeStatus.DISPUTE_STATUS_COMMIT, DisputeStatus.DISPUTE_STATUS_DRAWING]);
    w.block(); // 14
    expect(w.dispute(2n).status).toBe(DisputeStatus.DISPUTE_STATUS_COMMIT);
    expect(currentRound(w.dispute(2n)).drawnHeight).toBe(14n);
  });

  test("a dispute whose step throws is reported and parked; the others go on; its bond and escrow stay held", () => {
    const w = new World(testSetup(params()));
    const { t } = w;
    const a = w.post(sampleOutput());
    const b = w.post(sampleOutput(), 1);
    w.block((c) => {
      ok(deliver(c, msgChallengeHandler(t.k), { challenger: w.challenger, jobId: a, bond: BOND }));
      ok(deliver(c, msgChallengeHandler(t.k), { challenger: w.challenger, jobId: b, bond: BOND }));
    });
    const spy = jest.spyOn(t.staking, "workersForModel").mockImplementationOnce(() => {
      throw new Error("boom");
    });
    w.block();
    spy.mockRestore();
    expect(w.of("dispute_error")).toEqual([
      { dispute_id: "1", step: "draw", error: "Error: boom" },
      { dispute_id: "1", step: "park", error: "taken off the due queue; bonds and the job's escrow stay held" },
    ]);
    expect(w.dispute(1n).status).toBe(DisputeStatus.DISPUTE_STATUS_DRAWING);
    expect(w.dispute(2n).status).toBe(DisputeStatus.DISPUTE_STATUS_COMMIT);
    w.until(40n);
    expect(w.dispute(1n).status).toBe(DisputeStatus.DISPUTE_STATUS_DRAWING);
    expect(moduleBalance(t, CHALLENGE_MODULE)).toBeGreaterThanOrEqual(BOND);
    expect(t.inference.job(t.store, a)?.status).toBe("disputed");
  });

  test("a slash that cannot be made is reported; the settlement goes on", () => {
    const w = new World(testSetup(params({ maxRounds: 1 })));
    const { t } = w;
    const jobId = w.disputed(WRONG_OUTPUT);
    const spy = jest.spyOn(t.slashing, "slash").mockImplementation(() => {
      throw new Error("validator gone");
    });
    w.play(1n, () => sampleOutput());
    spy.mockRestore();
    expect(w.of("dispute_error")).toEqual([{ dispute_id: "1", step: "slash", error: `invalid_result of ${w.vals[0].operator}: Error: validator gone` }]);
    expect(w.dispute().status).toBe(DisputeStatus.DISPUTE_STATUS_FINAL_FAULT);
    expect(t.inference.job(t.store, jobId)?.status).toBe("failed");
  });

  test("audits are opened even past the budget (a block's results are bounded by its gas)", () => {
    const w = new World(testSetup(params({ auditRatePpm: 1_000_000n, maxDisputesPerBlock: 1 })));
    const { t } = w;
    w.block((c) => {
      for (let i = 0; i < 3; i++) t.inference.postResult(c, { client: w.client, operator: w.vals[i].operator, worker: w.vals[i].worker, output: sampleOutput() });
    });
    w.block();
    expect(w.of("audit_selected")).toHaveLength(3);
  });
});

describe("supply with burn_slashed", () => {
  test("only what x/slashing burns leaves the supply", () => {
    const w = new World(testSetup(params({ maxRounds: 1 })));
    const { t } = w;
    t.slashing.setParams(t.store, { ...t.slashing.getParams(t.store), burnSlashed: true });
    w.disputed(WRONG_OUTPUT);
    const start = supply(w.t);
    w.play(1n, (_v, i) => (i === 0 ? "commit_only" : sampleOutput()));
    const burned = [...t.slashing.slashEvents(t.store)].reduce((s, e) => s + e.burnedAmount, 0n);
    expect(burned).toBeGreaterThan(0n);
    expect(supply(w.t)).toBe(start - burned);
  });
});
