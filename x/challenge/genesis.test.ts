import { AppError } from "../../base/errors";
import { moduleAddress } from "../../base/types/address";
import { ErrInvalidGenesis } from "./errors";
import { defaultGenesis, exportGenesis, initGenesis, parseGenesis, type ChallengeGenesis, type DisputeJson } from "./genesis";
import { msgAppealHandler, msgChallengeHandler, msgCommitVerificationHandler, msgRevealVerificationHandler } from "./msgServer";
import { defaultParams } from "./params";
import {
  CHALLENGE_MODULE,
  WRONG_OUTPUT,
  addValidator,
  blockCtx,
  commitmentOf,
  deliver,
  endBlock,
  moduleBalance,
  saltOf,
  sampleOutput,
  testAccount,
  testSetup,
  type TestSetup,
} from "./testutil";
import { DisputeStatus, currentRound } from "./types";

const INF = 1_000_000n;

function expectGenesisError(f: () => unknown, match: RegExp): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).is(ErrInvalidGenesis)).toBe(true);
  expect((err as AppError).message).toMatch(match);
}

/** A running chain's disputes: one appealed whose appeal committees stayed silent (DRAWING again), one final (OK), one audit just drawn. */
function liveState(): TestSetup {
  const t = testSetup({ auditRatePpm: 1n });
  const vals = Array.from({ length: 12 }, (_, i) => addValidator(t, i, 10n * INF));
  const challenger = testAccount(2);
  const client = testAccount(1);
  t.bank.mint(t.store, challenger, 10n * INF);
  t.bank.mint(t.store, vals[0].worker, 10n * INF);
  let h = 9n;
  const block = (f?: (c: ReturnType<typeof blockCtx>) => void): void => {
    h++;
    const c = blockCtx(t, h);
    f?.(c);
    endBlock(t, c);
  };
  const jobs: bigint[] = [];
  block((c) => {
    for (let i = 0; i < 3; i++) jobs.push(t.inference.postResult(c, { client, operator: vals[i].operator, worker: vals[i].worker, output: i === 0 ? WRONG_OUTPUT : sampleOutput() }));
  }); // 10
  block((c) => jobs.slice(0, 2).forEach((jobId) => deliver(c, msgChallengeHandler(t.k), { challenger, jobId, bond: INF }))); // 11
  block(); // 12: drawn
  const committee = (id: bigint): string[] => currentRound(t.k.getDispute(t.store, id)!).verifiers.map((v) => v.worker);
  block((c) => {
    for (const id of [1n, 2n]) committee(id).forEach((v, i) => deliver(c, msgCommitVerificationHandler(t.k), { verifier: v, disputeId: id, commitment: commitmentOf(sampleOutput(), saltOf(i), v) }));
  }); // 13
  block((c) => {
    for (const id of [1n, 2n]) committee(id).forEach((v, i) => deliver(c, msgRevealVerificationHandler(t.k), { verifier: v, disputeId: id, output: sampleOutput(), salt: saltOf(i), cannotRun: false }));
  }); // 14: OPEN
  block((c) => {
    t.inference.open(c, jobs[0]);
    t.inference.open(c, jobs[1]);
  }); // 15: both APPEALABLE (1: FAULT, 2: OK)
  block((c) => deliver(c, msgAppealHandler(t.k), { appellant: vals[0].worker, disputeId: 1n, bond: 2n * INF })); // 16
  while (h < 25n) block(); // 25: dispute 2 final OK; dispute 1's appeal committee (drawn at 17) never commits
  block((c) => jobs.push(t.inference.postResult(c, { client, operator: vals[5].operator, worker: vals[5].worker, output: sampleOutput() }))); // 26
  t.k.setParams(t.store, { ...t.k.getParams(t.store), auditRatePpm: 1_000_000n, maxAuditRatePpm: 1_000_000n });
  block(); // 27: audit opened
  block(); // 28: drawn
  return t;
}

/** Genesis as it would travel: through JSON text. */
const viaJson = (g: ChallengeGenesis): ChallengeGenesis => JSON.parse(JSON.stringify(g)) as ChallengeGenesis;

describe("challenge genesis", () => {
  test("the default genesis imports and exports as itself", () => {
    const t = testSetup();
    initGenesis(t.k, blockCtx(t, 0n), defaultGenesis());
    expect(exportGenesis(t.k, { store: t.store, height: 0n })).toEqual(defaultGenesis());
    expect(parseGenesis(undefined).params).toEqual(defaultParams());
  });

  test("a running chain's disputes round-trip: same export, same store keys (indexes and due queue rebuilt)", () => {
    const live = liveState();
    const exported = exportGenesis(live.k, { store: live.store, height: 28n });
    expect(exported.disputes.map((d) => d.status)).toEqual(["DISPUTE_STATUS_DRAWING", "DISPUTE_STATUS_FINAL_OK", "DISPUTE_STATUS_COMMIT"]);
    // Dispute 1: its verdict, the appeal's silent committee of seven, a repeat with the one validator left, a third draw due.
    expect(exported.disputes[0].rounds.map((r) => [r.verdict, r.no_quorum, r.verifiers.length])).toEqual([
      ["VERDICT_FAULT", false, 3],
      ["VERDICT_UNSPECIFIED", true, 7],
      ["VERDICT_UNSPECIFIED", true, 1],
      ["VERDICT_UNSPECIFIED", false, 0],
    ]);
    expect(exported.disputes[2].kind).toBe("DISPUTE_KIND_AUDIT");
    const fresh = testSetup();
    fresh.bank.mint(fresh.store, moduleAddress(CHALLENGE_MODULE), moduleBalance(live, CHALLENGE_MODULE));
    initGenesis(fresh.k, blockCtx(fresh, 0n), viaJson(exported));
    expect(exportGenesis(fresh.k, { store: fresh.store, height: 0n })).toEqual(exported);
    const keys = (t: TestSetup): Array<[string, string]> => [...t.store.iterate("challenge/")].map(([k, v]) => [k, Buffer.from(v).toString("hex")]);
    expect(keys(fresh)).toEqual(keys(live));
  });

  test("the challenge account must hold exactly the open disputes' bonds", () => {
    const live = liveState();
    const exported = viaJson(exportGenesis(live.k, { store: live.store, height: 28n }));
    expect(moduleBalance(live, CHALLENGE_MODULE)).toBe(3n * INF);
    const fresh = testSetup();
    fresh.bank.mint(fresh.store, moduleAddress(CHALLENGE_MODULE), 3n * INF - 1n);
    expectGenesisError(() => initGenesis(fresh.k, blockCtx(fresh, 0n), exported), /holds 2999999uinf; the open disputes' and data requests' bonds add up to 3000000uinf/);
  });

  test("refused: a dispute naming an unregistered model", () => {
    const live = liveState();
    const exported = viaJson(exportGenesis(live.k, { store: live.store, height: 28n }));
    const fresh = testSetup();
    fresh.models.models.clear();
    fresh.bank.mint(fresh.store, moduleAddress(CHALLENGE_MODULE), 3n * INF);
    expectGenesisError(() => initGenesis(fresh.k, blockCtx(fresh, 0n), exported), /model mlp-16x8 is not registered/);
  });

  describe("refused shapes", () => {
    const live = liveState();
    const g = viaJson(exportGenesis(live.k, { store: live.store, height: 28n }));
    const [appealed, final, audit] = g.disputes;
    const withDispute = (i: number, over: Partial<DisputeJson>): ChallengeGenesis => ({ ...g, disputes: g.disputes.map((d, j) => (j === i ? { ...d, ...over } : d)) });
    const round0 = (d: DisputeJson, over: object): DisputeJson["rounds"] => [{ ...d.rounds[0], ...over }, ...d.rounds.slice(1)];

    test.each<[string, () => unknown, RegExp]>([
      ["invalid params", () => ({ ...g, params: { ...g.params, slash_fraction_invalid_result_ppm: "0" } }), /slash_fraction_invalid_result_ppm/],
      ["an id twice", () => ({ ...g, disputes: [...g.disputes, g.disputes[0]] }), /id is listed twice/],
      ["next_dispute_id not above every id", () => ({ ...g, next_dispute_id: "3" }), /next_dispute_id 3/],
      ["an unknown status", () => withDispute(0, { status: "DISPUTE_STATUS_BOGUS" }), /unknown value/],
      ["an audit with a challenger", () => withDispute(2, { challenger: testAccount(3) }), /an audit has no challenger/],
      ["a challenge whose first round is not the challenger's", () => withDispute(1, { rounds: round0(final, { requester: testAccount(4) }) }), /first round is the challenger's/],
      ["a commitment of 31 bytes", () => withDispute(2, { rounds: round0(audit, { verifiers: [{ ...audit.rounds[0].verifiers[0], commitment: Buffer.alloc(31).toString("base64") }] }) }), /32 bytes/],
      ["a reveal without a commitment", () => withDispute(2, { rounds: round0(audit, { verifiers: [{ ...audit.rounds[0].verifiers[0], revealed: true, output: "AQ==" }] }) }), /needs a commitment/],
      ["a DRAWING dispute with a committee", () => withDispute(2, { status: "DISPUTE_STATUS_DRAWING" }), /not drawn yet/],
      ["a final status that is not its verdict", () => withDispute(1, { status: "DISPUTE_STATUS_FINAL_FAULT" }), /final_verdict/],
      ["an open dispute with a final verdict", () => withDispute(0, { final_verdict: "VERDICT_FAULT" }), /no final verdict/],
      ["two open disputes of one job", () => withDispute(2, { job_id: appealed.job_id }), /two open disputes/],
      ["a malformed operator", () => withDispute(0, { operator: testAccount(3) }), /expected prefix infervaloper/],
      ["a bond that is not a decimal string", () => withDispute(0, { rounds: round0(appealed, { bond: "1e6" }) }), /bond must be a decimal string/],
      ["an opened output while unopened", () => withDispute(2, { opened_output: "AQ==" }), /unopened result has no output/],
    ])("%s", (_name, make, match) => {
      expectGenesisError(() => parseGenesis(make()), match);
    });
  });

  test("due steps whose height has passed are processed in the first block", () => {
    const live = liveState();
    const exported = viaJson(exportGenesis(live.k, { store: live.store, height: 28n }));
    const fresh = testSetup();
    fresh.bank.mint(fresh.store, moduleAddress(CHALLENGE_MODULE), 3n * INF);
    initGenesis(fresh.k, blockCtx(fresh, 0n), exported);
    expect(fresh.k.dueDisputes(fresh.store, 1_000n, 10).map(([, id]) => id).sort()).toEqual([1n, 3n]);
    expect(fresh.k.getDispute(fresh.store, 3n)?.status).toBe(DisputeStatus.DISPUTE_STATUS_COMMIT);
  });
});
