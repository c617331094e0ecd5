/**
 * Verdict and settlement arithmetic (SPEC §4 "challenge"), pure: who must reveal, what a round
 * decides, who is on the winning side, whose bond comes back and how forfeits are shared.
 *
 *   quorum(K)     ⌈2K/3⌉ reveals of the K verifiers drawn.
 *   verdict       the worker did not open its result by the open phase's end → FAULT, whatever
 *                 was revealed; else each reveal agrees or diverges with the opened output under
 *                 the model's metric (cannot_run agrees only with cannot_run), and FAULT iff more
 *                 diverge than agree (a tie is OK).
 *   final         the last round's verdict that has one (OK when no round reached a verdict).
 *   bonds         a round's bond comes back to its requester when the final verdict is the one it
 *                 asked for (a challenge asks for FAULT, an appeal for the opposite of the verdict
 *                 it appeals), or when no round after it reached a verdict; otherwise it is
 *                 forfeited and shared equally by the winning party (the worker's operator account
 *                 on OK, the challenger on FAULT) and the winning verifiers of the deciding round,
 *                 the remainder to the first of them.
 */
import { Verdict, type Dispute, type Round, type Verifier } from "./types";

/** ⌈2K/3⌉ (K ≥ 1). */
export function quorumOf(drawn: number): number {
  return Math.floor((2 * drawn + 2) / 3);
}

export interface Tally {
  readonly reveals: number;
  readonly agree: number;
  readonly diverge: number;
}

/** Reveals of a round whose `agrees` flags are set (see `roundVerdict`). */
export function tally(verifiers: readonly Readonly<Verifier>[]): Tally {
  let agree = 0;
  let diverge = 0;
  for (const v of verifiers) {
    if (!v.revealed) continue;
    if (v.agrees) agree++;
    else diverge++;
  }
  return { reveals: agree + diverge, agree, diverge };
}

export function roundVerdict(opened: boolean, t: Tally): Verdict {
  if (!opened) return Verdict.VERDICT_FAULT;
  return t.diverge > t.agree ? Verdict.VERDICT_FAULT : Verdict.VERDICT_OK;
}

/** Index of the last round with a verdict; -1 when none has one. */
export function decidingRoundIndex(rounds: readonly Round[]): number {
  for (let i = rounds.length - 1; i >= 0; i--) if (rounds[i].verdict !== Verdict.VERDICT_UNSPECIFIED) return i;
  return -1;
}

/** The verdict standing now: the deciding round's, or OK when there is none (no verdict = the result stands). */
export function standingVerdict(rounds: readonly Round[]): Verdict {
  const i = decidingRoundIndex(rounds);
  return i < 0 ? Verdict.VERDICT_OK : rounds[i].verdict;
}

export function verdictRounds(rounds: readonly Round[]): number {
  return rounds.filter((r) => r.verdict !== Verdict.VERDICT_UNSPECIFIED).length;
}

/** Rounds repeated for lack of a quorum, so far. */
export function noQuorumRounds(rounds: readonly Round[]): number {
  return rounds.filter((r) => r.noQuorum).length;
}

const opposite = (v: Verdict): Verdict => (v === Verdict.VERDICT_FAULT ? Verdict.VERDICT_OK : Verdict.VERDICT_FAULT);

/** The verdict round `i`'s requester asked for: FAULT for the first (a challenge), the opposite of the standing verdict for an appeal. */
export function wantedVerdict(rounds: readonly Round[], i: number): Verdict {
  const before = decidingRoundIndex(rounds.slice(0, i));
  return before < 0 ? Verdict.VERDICT_FAULT : opposite(rounds[before].verdict);
}

/** The bond an appeal of the standing verdict must post: multiplier × the last bond posted (or × `minBond` when none was). */
export function requiredAppealBond(rounds: readonly Round[], minBond: bigint, multiplier: bigint): bigint {
  for (let i = rounds.length - 1; i >= 0; i--) if (rounds[i].bond > 0n) return rounds[i].bond * multiplier;
  return minBond * multiplier;
}

/** Verifiers of a round that did not reveal (never committed, or committed and stayed silent). */
export function noShows(r: Round): Readonly<Verifier>[] {
  return r.verifiers.filter((v) => !v.revealed);
}

/**
 * Whether a revealed verifier sided with `v`: on OK, its reveal agrees with the opened output;
 * on FAULT, it diverges — or, when the worker never opened, it revealed at all (nothing to
 * compare; every revealer did its part).
 */
export function sidedWith(d: Pick<Dispute, "opened">, x: Readonly<Verifier>, v: Verdict): boolean {
  if (!x.revealed) return false;
  if (v === Verdict.VERDICT_OK) return x.agrees;
  return !d.opened || !x.agrees;
}

/** The deciding round's verifiers on the final verdict's side, in draw order. */
export function winners(d: Pick<Dispute, "opened" | "rounds">, v: Verdict): Readonly<Verifier>[] {
  const i = decidingRoundIndex(d.rounds);
  return i < 0 ? [] : d.rounds[i].verifiers.filter((x) => sidedWith(d, x, v));
}

/**
 * Revealed verifiers of every verdict round on the other side of the final verdict, with their
 * round. Only when the worker opened: without an output there is nothing to be wrong against.
 */
export function losers(d: Pick<Dispute, "opened" | "rounds">, v: Verdict): Array<{ readonly round: Round; readonly verifier: Readonly<Verifier> }> {
  if (!d.opened) return [];
  const out: Array<{ round: Round; verifier: Readonly<Verifier> }> = [];
  for (const r of d.rounds) {
    if (r.verdict === Verdict.VERDICT_UNSPECIFIED) continue;
    for (const x of r.verifiers) if (x.revealed && !sidedWith(d, x, v)) out.push({ round: r, verifier: x });
  }
  return out;
}

export interface BondOutcome {
  readonly round: number;
  readonly requester: string;
  readonly amount: bigint;
  readonly returned: boolean;
}

/** Each bonded round's fate under final verdict `v` (see the file header). */
export function bondOutcomes(rounds: readonly Round[], v: Verdict): BondOutcome[] {
  const out: BondOutcome[] = [];
  rounds.forEach((r, i) => {
    if (r.bond === 0n) return;
    const decided = rounds.slice(i).some((x) => x.verdict !== Verdict.VERDICT_UNSPECIFIED);
    out.push({ round: r.number, requester: r.requester, amount: r.bond, returned: !decided || wantedVerdict(rounds, i) === v });
  });
  return out;
}

/** `amount` in `n` equal shares, the remainder on the first; n ≥ 1. */
export function splitEvenly(amount: bigint, n: number): bigint[] {
  if (n < 1) throw new Error("splitEvenly: nobody to share with");
  const each = amount / BigInt(n);
  const out = Array.from({ length: n }, () => each);
  out[0] += amount - each * BigInt(n);
  return out;
}
