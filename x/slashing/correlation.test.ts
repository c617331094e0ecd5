import type { Misbehavior } from "../../base/context";
import { beginBlocker, endBlocker } from "./abci";
import type { ValidatorView } from "./expectedKeepers";
import { TREASURY_MODULE } from "./keeper";
import type { Params } from "./params";
import { testAccount, testContext, testSetup } from "./testutil";

const M = 1_000_000n;
const STAKE = 100n * M;

function evidence(v: ValidatorView, height: bigint): Misbehavior {
  return { kind: "duplicate_vote", validatorAddress: v.consAddress, power: STAKE / M, height, totalVotingPower: 1000n };
}

/**
 * Ten validators of 100 INF each; `cheaters[i]` double-signs in block `at[i]` (evidence arrives
 * the block after). Runs begin and end block hooks through `until`.
 */
function scenario(params: Partial<Params>, at: bigint[], until: bigint) {
  const setup = testSetup({ correlationWindowBlocks: 10n, correlationMultiplier: 3n, ...params });
  const { store, staking, k } = setup;
  const vals = Array.from({ length: 10 }, (_, i) => staking.addValidator(store, { index: i, tokens: STAKE }));
  const cheaters = vals.slice(0, at.length);
  const events: Array<{ type: string; attrs: Record<string, string> }> = [];
  const step = (h: bigint): void => {
    const ctx = testContext(store, h);
    const misbehavior = cheaters.flatMap((v, i) => (at[i] + 1n === h ? [evidence(v, at[i])] : []));
    beginBlocker(k, ctx, { lastCommit: [], misbehavior });
    endBlocker(k, ctx);
    for (const e of ctx.events.events()) events.push({ type: e.type, attrs: Object.fromEntries(e.attributes.map((a) => [a.key, a.value])) });
  };
  for (let h = 1n; h <= until; h++) step(h);
  const tokens = (v: ValidatorView): bigint | undefined => staking.validator(store, v.operator)?.tokens;
  return { ...setup, vals, cheaters, events, tokens, step };
}

describe("correlation penalty", () => {
  test("1 of 10 double-signs at 50%: multiplier × share = 30% is below its own fraction, no top-up", () => {
    const s = scenario({ slashFractionDoubleSignPpm: 500_000n }, [5n], 40n);
    expect(s.tokens(s.cheaters[0])).toBe(50n * M);
    const c = s.events.filter((e) => e.type === "correlation");
    expect(c).toHaveLength(1);
    expect(c[0].attrs).toMatchObject({ slashed_share: "100000", target_fraction: "300000", top_up: "0" });
    expect([...s.k.slashEvents(s.store)].map((e) => e.kind)).toEqual(["double_sign"]);
  });

  test("1 of 10 at 5%: topped up to 30% of its stake at the end of the window, not before", () => {
    const s = scenario({ slashFractionDoubleSignPpm: 50_000n }, [5n], 15n);
    // Slashed at height 6 (evidence arrives then); the window closes at the end of 6 + 10.
    expect(s.tokens(s.cheaters[0])).toBe(95n * M);
    s.step(16n);
    expect(s.tokens(s.cheaters[0])).toBe(70n * M);
    const top = [...s.k.slashEvents(s.store)].find((e) => e.kind === "correlation");
    expect(top).toMatchObject({ amount: 25n * M, reporters: [], jailed: false, tombstoned: false, infractionHeight: 4n });
    expect(s.bank.moduleBalance(s.store, TREASURY_MODULE)).toBe(30n * M);
  });

  test("4 of 10 within the window at 5%: each topped up to min(1, 3 × 0.4) = 100%", () => {
    const s = scenario({ slashFractionDoubleSignPpm: 50_000n }, [5n, 7n, 9n, 12n], 60n);
    for (const v of s.cheaters) expect(s.tokens(v)).toBe(0n);
    for (const v of s.vals.slice(4)) expect(s.tokens(v)).toBe(STAKE);
    expect(s.bank.moduleBalance(s.store, TREASURY_MODULE)).toBe(400n * M);
    const c = s.events.filter((e) => e.type === "correlation");
    expect(c.map((e) => e.attrs.slashed_share)).toEqual(["400000", "400000", "400000", "400000"]);
    expect(c.map((e) => e.attrs.target_fraction)).toEqual(["1000000", "1000000", "1000000", "1000000"]);
  });

  test("2 of 10 at 5% within the window: each loses 60%; far apart, each is judged alone", () => {
    const together = scenario({ slashFractionDoubleSignPpm: 50_000n }, [5n, 8n], 60n);
    for (const v of together.cheaters) expect(together.tokens(v)).toBe(40n * M);

    // Alone, each is 1 of the stake at risk: the first 100/1000 → 30%; the second 100/900
    // (the first, jailed, is no longer bonded) → 33.33%.
    const apart = scenario({ slashFractionDoubleSignPpm: 50_000n }, [5n, 30n], 60n);
    expect(apart.tokens(apart.cheaters[0])).toBe(70n * M);
    expect(apart.tokens(apart.cheaters[1])).toBe(66_666_700n);
  });

  test("slashes of different kinds are not summed", () => {
    const s = scenario({ slashFractionDoubleSignPpm: 50_000n }, [5n, 6n], 7n);
    const ctx = testContext(s.store, 7n);
    for (const v of s.vals.slice(2, 4)) {
      s.k.slash(ctx, { operator: v.operator, infractionHeight: 6n, fractionPpm: 50_000n, kind: "invalid_result", reporters: [], jail: false, tombstone: false });
    }
    for (let h = 8n; h <= 40n; h++) s.step(h);
    // Each kind: 2 of 10 → 60%, not 4 of 10 → 100%.
    for (const v of s.vals.slice(0, 4)) expect(s.tokens(v)).toBe(40n * M);
  });

  test("the top-up reaches stake undelegated after the infraction", () => {
    const s = scenario({ slashFractionDoubleSignPpm: 50_000n }, [5n, 6n, 7n, 8n], 6n);
    const v = s.cheaters[0];
    // After the slash at 6, before the window closes: a delegator tries to leave with 50 INF.
    const e = s.staking.undelegate(testContext(s.store, 7n), v.operator, testAccount(1), 50n * M, 500n);
    for (let h = 7n; h <= 40n; h++) s.step(h);
    expect(s.staking.entry(s.store, e.id)?.balance).toBe(0n);
    expect(s.tokens(v)).toBe(0n);
  });

  test("exempt kinds (downtime by default) and a zero multiplier are never topped up", () => {
    const exempt = testSetup({ correlationWindowBlocks: 5n });
    const vals = Array.from({ length: 4 }, (_, i) => exempt.staking.addValidator(exempt.store, { index: i, tokens: STAKE }));
    for (const v of vals) {
      exempt.k.slash(testContext(exempt.store, 3n), { operator: v.operator, infractionHeight: 1n, fractionPpm: 100n, kind: "downtime", reporters: [], jail: true, tombstone: false });
    }
    expect([...exempt.k.correlations(exempt.store)]).toEqual([]);

    const off = scenario({ slashFractionDoubleSignPpm: 50_000n, correlationMultiplier: 0n }, [5n, 6n, 7n, 8n], 40n);
    for (const v of off.cheaters) expect(off.tokens(v)).toBe(95n * M);
  });

  test("decided records are pruned once no window can reach them", () => {
    const s = scenario({ slashFractionDoubleSignPpm: 50_000n }, [5n], 26n);
    expect([...s.k.correlations(s.store)]).toHaveLength(1);
    expect([...s.k.correlations(s.store)][0].done).toBe(true);
    s.step(27n);
    expect([...s.k.correlations(s.store)]).toEqual([]);
  });
});
