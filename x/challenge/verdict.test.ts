import { testAccount, testValidatorAddrs } from "../slashing/testutil";
import { Verdict, newRound, newVerifier, type Round, type Verifier } from "./types";
import {
  bondOutcomes,
  decidingRoundIndex,
  losers,
  noShows,
  quorumOf,
  requiredAppealBond,
  roundVerdict,
  splitEvenly,
  standingVerdict,
  tally,
  wantedVerdict,
  winners,
} from "./verdict";

const op = (i: number): string => testValidatorAddrs(i).operator;
const w = (i: number): string => testAccount(100 + i);

/** A verifier that revealed (agreeing or not), or did not (`undefined`). */
function v(i: number, agrees: boolean | undefined): Verifier {
  const base = newVerifier(op(i), w(i));
  if (agrees === undefined) return base;
  return { ...base, commitment: new Uint8Array(32).fill(1), output: Uint8Array.of(1), revealed: true, agrees };
}

function round(n: number, requester: string, bond: bigint, verdict: Verdict, verifiers: Verifier[], noQuorum = false): Round {
  return { ...newRound(n, requester, bond, 10n), verdict, verifiers, noQuorum };
}

const OK = Verdict.VERDICT_OK;
const FAULT = Verdict.VERDICT_FAULT;
const NONE = Verdict.VERDICT_UNSPECIFIED;
const challenger = testAccount(1);
const worker = w(0);

describe("quorum and round verdict", () => {
  test("quorum is ⌈2K/3⌉", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 9, 10].map(quorumOf)).toEqual([1, 2, 2, 3, 4, 4, 5, 6, 7]);
  });

  test("FAULT iff more reveals diverge than agree; a tie is OK; silent verifiers do not count", () => {
    expect(tally([v(1, true), v(2, false), v(3, undefined)])).toEqual({ reveals: 2, agree: 1, diverge: 1 });
    expect(roundVerdict(true, tally([v(1, true), v(2, false)]))).toBe(OK);
    expect(roundVerdict(true, tally([v(1, true), v(2, false), v(3, false)]))).toBe(FAULT);
    expect(roundVerdict(true, tally([v(1, true), v(2, true), v(3, false)]))).toBe(OK);
    expect(roundVerdict(true, tally([v(1, false), v(2, undefined), v(3, undefined)]))).toBe(FAULT);
  });

  test("a worker that did not open is at FAULT whatever was revealed", () => {
    expect(roundVerdict(false, tally([v(1, true), v(2, true), v(3, true)]))).toBe(FAULT);
  });

  test("no-shows are the verifiers that did not reveal", () => {
    expect(noShows(round(1, "", 0n, NONE, [v(1, true), v(2, undefined), v(3, undefined)])).map((x) => x.operator)).toEqual([op(2), op(3)]);
  });
});

describe("standing verdict, appeals and bonds", () => {
  test("the standing verdict is the last round's that has one; OK when none does", () => {
    expect(standingVerdict([])).toBe(OK);
    expect(standingVerdict([round(1, challenger, 5n, NONE, [], true)])).toBe(OK);
    const rounds = [round(1, challenger, 5n, FAULT, []), round(2, worker, 10n, NONE, [], true), round(3, worker, 0n, NONE, [])];
    expect(decidingRoundIndex(rounds)).toBe(0);
    expect(standingVerdict(rounds)).toBe(FAULT);
  });

  test("a challenge asks for FAULT, an appeal for the opposite of the verdict it appeals", () => {
    const rounds = [round(1, challenger, 5n, FAULT, []), round(2, worker, 10n, OK, []), round(3, challenger, 20n, NONE, [])];
    expect(wantedVerdict(rounds, 0)).toBe(FAULT);
    expect(wantedVerdict(rounds, 1)).toBe(OK);
    expect(wantedVerdict(rounds, 2)).toBe(FAULT);
  });

  test("an appeal's bond is multiplier × the last bond posted, or × min_challenge_bond after a bondless audit round", () => {
    expect(requiredAppealBond([round(1, "", 0n, FAULT, [])], 1000n, 2n)).toBe(2000n);
    expect(requiredAppealBond([round(1, challenger, 1500n, OK, [])], 1000n, 3n)).toBe(4500n);
    expect(requiredAppealBond([round(1, challenger, 1500n, FAULT, []), round(2, worker, 3000n, NONE, [], true), round(3, worker, 0n, FAULT, [])], 1000n, 2n)).toBe(6000n);
  });

  test("bonds: back to whoever got the verdict it asked for, or when nothing was decided after it; forfeited otherwise", () => {
    const rounds = [round(1, challenger, 100n, FAULT, []), round(2, worker, 200n, FAULT, [])];
    expect(bondOutcomes(rounds, FAULT)).toEqual([
      { round: 1, requester: challenger, amount: 100n, returned: true },
      { round: 2, requester: worker, amount: 200n, returned: false },
    ]);
    // Overturned on appeal: the challenger loses, the worker's appeal bond comes back.
    const overturned = [round(1, challenger, 100n, FAULT, []), round(2, worker, 200n, OK, [])];
    expect(bondOutcomes(overturned, OK).map((o) => o.returned)).toEqual([false, true]);
    // An appeal that never reached a verdict (no quorum, no verifiers): its bond comes back; the standing verdict decides the rest.
    const undecided = [round(1, challenger, 100n, OK, []), round(2, challenger, 200n, NONE, [], true)];
    expect(bondOutcomes(undecided, OK)).toEqual([
      { round: 1, requester: challenger, amount: 100n, returned: false },
      { round: 2, requester: challenger, amount: 200n, returned: true },
    ]);
    // No verdict at all: every bond back.
    expect(bondOutcomes([round(1, challenger, 100n, NONE, [], true)], OK).map((o) => o.returned)).toEqual([true]);
    // An audit's first round has no bond.
    expect(bondOutcomes([round(1, "", 0n, OK, [])], OK)).toEqual([]);
  });

  test("forfeits split evenly, the remainder to the first share", () => {
    expect(splitEvenly(10n, 3)).toEqual([4n, 3n, 3n]);
    expect(splitEvenly(9n, 3)).toEqual([3n, 3n, 3n]);
    expect(splitEvenly(2n, 4)).toEqual([2n, 0n, 0n, 0n]);
    expect(splitEvenly(7n, 3).reduce((a, b) => a + b, 0n)).toBe(7n);
    expect(() => splitEvenly(1n, 0)).toThrow();
  });
});

describe("winners and losers", () => {
  const r1 = round(1, challenger, 100n, FAULT, [v(1, false), v(2, false), v(3, true)]);
  const r2 = round(2, worker, 200n, FAULT, [v(4, false), v(5, true), v(6, false), v(7, undefined)]);

  test("winners are the deciding round's verifiers on the final side; losers every revealed verifier on the other", () => {
    const d = { opened: true, rounds: [r1, r2] };
    expect(winners(d, FAULT).map((x) => x.operator)).toEqual([op(4), op(6)]);
    expect(losers(d, FAULT).map((x) => [x.round.number, x.verifier.operator])).toEqual([
      [1, op(3)],
      [2, op(5)],
    ]);
    // Had the final verdict been OK, the sides swap; a silent verifier is on neither.
    expect(winners(d, OK).map((x) => x.operator)).toEqual([op(5)]);
    expect(losers(d, OK).map((x) => x.verifier.operator)).toEqual([op(1), op(2), op(4), op(6)]);
  });

  test("unopened: every revealer sided with FAULT and nobody is a loser (nothing to be wrong against)", () => {
    const r = round(1, challenger, 100n, FAULT, [v(1, false), v(2, false), v(3, undefined)]);
    const d = { opened: false, rounds: [r] };
    expect(winners(d, FAULT).map((x) => x.operator)).toEqual([op(1), op(2)]);
    expect(losers(d, FAULT)).toEqual([]);
  });

  test("rounds without a verdict (no quorum) have neither", () => {
    const d = { opened: true, rounds: [round(1, challenger, 100n, NONE, [v(1, false), v(2, undefined)], true), round(2, challenger, 0n, OK, [v(3, true), v(4, true)])] };
    expect(winners(d, OK).map((x) => x.operator)).toEqual([op(3), op(4)]);
    expect(losers(d, OK)).toEqual([]);
  });
});
