import fc from "fast-check";
import { AppError } from "../../base/errors";
import { PPM } from "../../base/types/math";
import { MsgUpdateParams } from "../../gen/inferchain/challenge/v1/tx";
import { auditSeed, auditThreshold, isAudited } from "./draw";
import { ErrInvalidGenesis, ErrInvalidParams } from "./errors";
import { parseGenesis } from "./genesis";
import { msgUpdateParamsHandler } from "./msgServer";
import { DEFAULT_PARAMS_AUTHORITY, defaultParams, paramsToWire } from "./params";
import { auditRateOf, jobAuditRate, maxSecuredFee, minSecuringStake, type SecurityParams } from "./security";
import type { Context } from "../../base/context";
import { KIND_INVALID_RESULT } from "./keeper";
import { msgCommitVerificationHandler, msgRevealVerificationHandler } from "./msgServer";
import { addValidator, attrsOf, blockCtx, commitmentOf, deliver, endBlock, hashAt, saltOf, sampleOutput, testAccount, testSetup, WRONG_OUTPUT } from "./testutil";
import { Verdict, currentRound, isFinal, type Dispute } from "./types";

const INF = 1_000_000n;
const D: SecurityParams = defaultParams();

/** Valid params: base ≤ max ≤ 100%, safety 1×..1000×, slash 1 ppm..100% (what validateParams allows). */
const params = fc
  .record({
    auditRatePpm: fc.bigInt({ min: 1n, max: PPM }),
    maxExtra: fc.bigInt({ min: 0n, max: PPM }),
    safetyFactorPpm: fc.bigInt({ min: PPM, max: 1000n * PPM }),
    slashFractionInvalidResultPpm: fc.bigInt({ min: 1n, max: PPM }),
  })
  .map(({ auditRatePpm, maxExtra, safetyFactorPpm, slashFractionInvalidResultPpm }) => {
    const max = auditRatePpm + maxExtra;
    return { auditRatePpm, maxAuditRatePpm: max > PPM ? PPM : max, safetyFactorPpm, slashFractionInvalidResultPpm };
  });
const fee = fc.bigInt({ min: 1n, max: 10n ** 24n });
const stake = fc.bigInt({ min: 1n, max: 10n ** 27n });

/** Expected loss of faking ≥ safety × fee, in integers: p × slash × S ≥ safety × F × 10^6 (all ppm). */
const secures = (p: SecurityParams, rate: bigint, f: bigint, s: bigint): boolean => rate * p.slashFractionInvalidResultPpm * s >= p.safetyFactorPpm * f * PPM;

describe("per-job economic security (security.ts)", () => {
  test("every rate it gives makes faking lose at least safety × fee in expectation, and is the least such rate ≥ the base rate", () => {
    fc.assert(
      fc.property(params, fee, stake, (p, f, s) => {
        const rate = jobAuditRate(p, f, s);
        if (rate === undefined) {
          // Unsecurable: even the max rate does not make faking lose enough.
          expect(secures(p, p.maxAuditRatePpm, f, s)).toBe(false);
          return;
        }
        expect(rate).toBeGreaterThanOrEqual(p.auditRatePpm);
        expect(rate).toBeLessThanOrEqual(p.maxAuditRatePpm);
        expect(secures(p, rate, f, s)).toBe(true);
        // Least: one ppm less either drops below the base rate or no longer secures the fee.
        expect(rate === p.auditRatePpm || !secures(p, rate - 1n, f, s)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  test("a larger stake never needs a higher rate, and a larger fee never a lower one (so the largest stake decides at submission)", () => {
    fc.assert(
      fc.property(params, fee, stake, stake, (p, f, s1, s2) => {
        const [lo, hi] = s1 < s2 ? [s1, s2] : [s2, s1];
        const rLo = jobAuditRate(p, f, lo);
        const rHi = jobAuditRate(p, f, hi);
        if (rLo !== undefined) expect(rHi !== undefined && rHi <= rLo).toBe(true);
        const rBig = jobAuditRate(p, f * 2n, hi);
        if (rBig !== undefined) expect(rHi !== undefined && rBig >= rHi).toBe(true);
      }),
    );
  });

  test("the inverse helpers are exact: the largest fee secured at a rate, the smallest stake that secures a fee at the max rate", () => {
    fc.assert(
      fc.property(params, fee, stake, (p, f, s) => {
        // maxSecuredFee: that fee gets a rate ≤ the rate asked; one uinf more does not.
        for (const rate of [p.auditRatePpm, p.maxAuditRatePpm]) {
          const m = maxSecuredFee(p, s, rate);
          if (m > 0n) expect(jobAuditRate(p, m, s)! <= rate).toBe(true);
          const over = jobAuditRate(p, m + 1n, s);
          expect(over === undefined || over > rate).toBe(true);
        }
        // minSecuringStake at the max rate: that stake may take the fee, one uinf less may not.
        const need = minSecuringStake(p, f, p.maxAuditRatePpm)!;
        expect(jobAuditRate(p, f, need)).toBeDefined();
        if (need > 1n) expect(jobAuditRate(p, f, need - 1n)).toBeUndefined();
      }),
      { numRuns: 1000 },
    );
  });

  test("the default numbers: 2× safety, 5% base, 25% max, 100% slash", () => {
    const S = 100n * INF;
    // Up to 2.5% of the stake at the base rate, up to 12.5% at all.
    expect(maxSecuredFee(D, S, D.auditRatePpm)).toBe(2_500_000n);
    expect(maxSecuredFee(D, S, D.maxAuditRatePpm)).toBe(12_500_000n);
    expect(jobAuditRate(D, 1000n, S)).toBe(50_000n);
    expect(jobAuditRate(D, 2_500_000n, S)).toBe(50_000n);
    expect(jobAuditRate(D, 2_500_001n, S)).toBe(50_001n);
    expect(jobAuditRate(D, 10n * INF, S)).toBe(200_000n);
    expect(jobAuditRate(D, 12_500_000n, S)).toBe(250_000n);
    expect(jobAuditRate(D, 12_500_001n, S)).toBeUndefined();
    expect(minSecuringStake(D, 12_500_001n, D.maxAuditRatePpm)).toBe(100_000_008n);
  });

  test("no stake, no job; a zero slash or rate secures nothing (validateParams refuses those params anyway)", () => {
    expect(jobAuditRate(D, 1n, 0n)).toBeUndefined();
    expect(jobAuditRate(D, 1n, -5n)).toBeUndefined();
    expect(jobAuditRate({ ...D, slashFractionInvalidResultPpm: 0n }, 1n, INF)).toBeUndefined();
    expect(maxSecuredFee(D, 0n, D.maxAuditRatePpm)).toBe(0n);
    expect(minSecuringStake(D, 1n, 0n)).toBeUndefined();
    expect(minSecuringStake({ ...D, slashFractionInvalidResultPpm: 0n }, 1n, D.maxAuditRatePpm)).toBeUndefined();
  });

  test("an attacker's fee of 10^30 uinf against a stake of 1 uinf: plain bigint arithmetic, refused, no throw", () => {
    expect(jobAuditRate(D, 10n ** 30n, 1n)).toBeUndefined();
    expect(minSecuringStake(D, 10n ** 30n, D.maxAuditRatePpm)).toBe(8n * 10n ** 30n);
  });

  test("auditRateOf: the job's own rate, never below the current base (0 = assigned before the rule)", () => {
    expect(auditRateOf(0n, D)).toBe(50_000n);
    expect(auditRateOf(200_000n, D)).toBe(200_000n);
    expect(auditRateOf(50_000n, { auditRatePpm: 100_000n })).toBe(100_000n);
  });

  test("the draw's threshold follows the rate to within 2^-64 (what `isAudited` compares with)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: PPM }), (rate) => {
        const t = auditThreshold(rate);
        // t / 2^64 ≤ rate / 10^6 < (t + 1) / 2^64
        expect(t * PPM <= rate << 64n).toBe(true);
        expect((t + 1n) * PPM > rate << 64n).toBe(true);
      }),
    );
  });
});

describe("audits at each job's own rate (abci.ts)", () => {
  /** `n` results posted at height 10 at `rate` (0: assigned before the rule) and `n` at the base rate; the audits the EndBlock of 11 opens. */
  function auditsOf(n: number, rate: bigint): { raised: bigint[]; base: bigint[]; audited: Set<bigint> } {
    const t = testSetup();
    const v = addValidator(t, 0, 1000n * INF);
    const client = testAccount(1);
    const c10 = blockCtx(t, 10n);
    const raised: bigint[] = [];
    const base: bigint[] = [];
    for (let i = 0; i < n; i++) {
      // A faker's result and an honest one alike: the draw does not look at the output.
      raised.push(t.inference.postResult(c10, { client, operator: v.operator, worker: v.worker, output: WRONG_OUTPUT, fee: 10n * INF, auditRatePpm: rate }));
      base.push(t.inference.postResult(c10, { client, operator: v.operator, worker: v.worker, output: sampleOutput(), auditRatePpm: 0n }));
    }
    endBlock(t, blockCtx(t, 10n));
    const c11 = blockCtx(t, 11n);
    endBlock(t, c11);
    return { raised, base, audited: new Set(attrsOf(c11.events.events(), "audit_selected").map((a) => BigInt(a.job_id))) };
  }

  test("a high-fee job's raised rate is the one its draw is compared with: audited exactly when its draw is below that threshold", () => {
    const rate = 250_000n;
    const { raised, base, audited } = auditsOf(400, rate);
    const draw = (id: bigint): bigint => Buffer.from(auditSeed(hashAt(11n), id).slice(0, 8)).readBigUInt64BE();
    for (const id of raised) expect(audited.has(id)).toBe(draw(id) < auditThreshold(rate));
    for (const id of base) expect(audited.has(id)).toBe(isAudited(hashAt(11n), id, D.auditRatePpm));
    // Some raised-rate jobs are audited that the base rate would have let through: the exact case.
    const onlyRaised = raised.filter((id) => audited.has(id) && !isAudited(hashAt(11n), id, D.auditRatePpm));
    expect(onlyRaised.length).toBeGreaterThan(0);
    // Over these 400 + 400 fixed job ids: ~25% against ~5% (binomial sd ≈ 8.7 and 4.4 jobs).
    const nRaised = raised.filter((id) => audited.has(id)).length;
    const nBase = base.filter((id) => audited.has(id)).length;
    expect(nRaised).toBeGreaterThanOrEqual(70);
    expect(nRaised).toBeLessThanOrEqual(130);
    expect(nBase).toBeGreaterThanOrEqual(5);
    expect(nBase).toBeLessThanOrEqual(35);
  });

  test("a job whose rate is 0 (assigned before the rule) and one at the base rate are drawn alike", () => {
    const a = auditsOf(50, 0n);
    const b = auditsOf(50, D.auditRatePpm);
    expect([...a.audited].sort()).toEqual([...b.audited].sort());
  });
});

describe("attacker: a worker that unbonds between its assignment and a faked result", () => {
  test("is slashed on the stake it had when assigned (the stake its rate was fixed against): the FAULT's infraction height is the assignment", () => {
    const t = testSetup({ auditRatePpm: 1n, maxAuditRatePpm: PPM, maxRounds: 1 });
    const faker = addValidator(t, 0, 100n * INF);
    for (let i = 1; i <= 4; i++) addValidator(t, i, 10n * INF);
    let h = 4n;
    const block = (f?: (c: Context) => void): void => {
      h++;
      const c = blockCtx(t, h);
      f?.(c);
      endBlock(t, c);
    };
    block(); // 5: x/inference assigns it a 10 INF job at 20% (on 100 INF)
    block();
    block((c) => void t.staking.undelegate(c, faker.operator, faker.account, 90n * INF, 10_000n)); // 7: 90 INF out
    while (h < 9n) block();
    let jobId = 0n;
    block((c) => (jobId = t.inference.postResult(c, { client: testAccount(1), operator: faker.operator, worker: faker.worker, output: WRONG_OUTPUT, fee: 10n * INF, auditRatePpm: PPM, assignedHeight: 5n }))); // 10
    block(); // 11: audited
    block(); // 12: drawn
    const d = (): Dispute => t.k.getDispute(t.store, 1n)!;
    const committee = currentRound(d()).verifiers.map((v) => v.worker);
    block((c) => committee.forEach((v, i) => deliver(c, msgCommitVerificationHandler(t.k), { verifier: v, disputeId: 1n, commitment: commitmentOf(sampleOutput(), saltOf(i), v) })));
    block((c) => committee.forEach((v, i) => deliver(c, msgRevealVerificationHandler(t.k), { verifier: v, disputeId: 1n, output: sampleOutput(), salt: saltOf(i), cannotRun: false })));
    block((c) => t.inference.open(c, jobId));
    while (!isFinal(d().status) && h < 50n) block();
    expect(d().finalVerdict).toBe(Verdict.VERDICT_FAULT);
    const slashes = [...t.slashing.slashEvents(t.store)].filter((e) => e.kind === KIND_INVALID_RESULT);
    // All 100 INF: the 10 still bonded and the 90 unbonding since the assignment (at the result's
    // height, 10, only the 10 INF would have been at risk).
    expect(slashes).toEqual([expect.objectContaining({ validator: faker.operator, infractionHeight: 5n, amount: 100n * INF })]);
  });
});

describe("params under which faking could pay are refused (genesis and MsgUpdateParams run validateParams)", () => {
  const decode = (over: Partial<ReturnType<typeof paramsToWire>>): unknown => {
    try {
      return msgUpdateParamsHandler(testSetup().k).decode(MsgUpdateParams.encode({ authority: DEFAULT_PARAMS_AUTHORITY, params: { ...paramsToWire(defaultParams()), ...over } }).finish());
    } catch (e) {
      return e;
    }
  };

  test.each<[string, Partial<ReturnType<typeof paramsToWire>>]>([
    ["a zero invalid-result slash", { slashFractionInvalidResultPpm: 0n }],
    ["a safety factor below 1×", { safetyFactorPpm: 500_000n }],
    ["a max audit rate below the base rate", { auditRatePpm: 100_000n, maxAuditRatePpm: 50_000n }],
    // A client built before fields 17–18 sends them as 0: refused, never "security off".
    ["params without the fields 17–18 (an old client)", { safetyFactorPpm: 0n, maxAuditRatePpm: 0n }],
  ])("refused: %s", (_name, over) => {
    const e = decode(over);
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).is(ErrInvalidParams)).toBe(true);
  });

  test("genesis: the same refusals, named; the fields default when left out", () => {
    const params = (p: Record<string, unknown>): unknown => parseGenesis({ params: p, disputes: [] }).params;
    expect(() => params({ max_audit_rate_ppm: "10000" })).toThrow(/max_audit_rate_ppm must be in 50000..1000000 ppm, got 10000/);
    expect(() => params({ safety_factor_ppm: "999999" })).toThrow(/safety_factor_ppm must be in 1000000..1000000000, got 999999/);
    expect(() => params({ slash_fraction_invalid_result_ppm: "0" })).toThrow(ErrInvalidGenesis.message);
    expect(params({})).toMatchObject({ safetyFactorPpm: 2_000_000n, maxAuditRatePpm: 250_000n });
    expect(params({ safety_factor_ppm: "3000000", max_audit_rate_ppm: "1000000" })).toMatchObject({ safetyFactorPpm: 3_000_000n, maxAuditRatePpm: 1_000_000n });
  });

  test("the edges are allowed: safety exactly 1×, max equal to the base rate", () => {
    expect(decode({ safetyFactorPpm: 1_000_000n })).not.toBeInstanceOf(Error);
    expect(decode({ auditRatePpm: 80_000n, maxAuditRatePpm: 80_000n })).not.toBeInstanceOf(Error);
  });
});
