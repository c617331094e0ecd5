import { defaultParams } from "../../x/challenge/params";
import { jobAuditRate } from "../../x/challenge/security";
import { DETECTION_AFTER, SECURITY_HEADERS, detectionProbability, modelSecurity, paramsCommand, paramsLine, securityJson, securityRows } from "./params";

const INF = 1_000_000n;
const P = defaultParams();
const stakes = (...s: bigint[]): Array<{ tokens: bigint }> => s.map((tokens) => ({ tokens }));

describe("inferd params check", () => {
  test("detection after n faked jobs: 1 − (1 − p)^n (SPEC: 5% → 40% after 10)", () => {
    expect(detectionProbability(50_000n, 1)).toBeCloseTo(0.05, 12);
    expect(detectionProbability(50_000n, 10)).toBeCloseTo(0.401263, 6);
    expect(detectionProbability(50_000n, 100)).toBeCloseTo(0.994079, 6);
    expect(detectionProbability(1_000_000n, 1)).toBe(1);
    expect(detectionProbability(0n, 100)).toBe(0);
  });

  test("a model's report: smallest stake, the largest fee it secures at the base rate, the largest fee accepted, the min_fee job's rate and detection", () => {
    // Stakes 10, 40 and 1000 INF (one with no tokens does not count), min_fee 1 INF.
    const r = modelSecurity(P, { id: "mlp", minFee: INF }, stakes(40n * INF, 0n, 10n * INF, 1000n * INF));
    expect(r).toMatchObject({
      modelId: "mlp",
      servingValidators: 3,
      smallestStake: 10n * INF,
      largestStake: 1000n * INF,
      maxFeeAtBaseRate: 250_000n, // 10 INF / 40
      maxFeeSecured: 125n * INF, // 1000 INF / 8
      minFeeAuditRatePpm: 200_000n, // ⌈2 × 1 INF × 10^6 / 10 INF⌉
    });
    // The same rule as the chain's.
    expect(r.minFeeAuditRatePpm).toBe(jobAuditRate(P, INF, 10n * INF));
    expect(r.detection).toHaveLength(DETECTION_AFTER.length);
    expect(r.detection![0]).toBeCloseTo(0.2, 12);
    expect(r.detection![1]).toBeCloseTo(1 - 0.8 ** 10, 12);
    expect(r.detection![2]).toBeCloseTo(1 - 0.8 ** 100, 12);
  });

  test("a min_fee the smallest stake cannot secure, and a model nobody serves", () => {
    const unsecured = modelSecurity(P, { id: "big", minFee: 2n * INF }, stakes(10n * INF));
    expect(unsecured).toMatchObject({ servingValidators: 1, minFeeAuditRatePpm: undefined, detection: undefined, maxFeeSecured: 1_250_000n });
    const none = modelSecurity(P, { id: "lonely", minFee: 1000n }, []);
    expect(none).toEqual({ modelId: "lonely", minFee: 1000n, servingValidators: 0 });
    const rows = securityRows([unsecured, none]);
    expect(rows[0][6]).toBe("unsecured");
    expect(rows[0].slice(7)).toEqual(["-", "-", "-"]);
    expect(rows[1]).toEqual(["lonely", "0", "-", "-", "-", "1000uinf", "no validator", "-", "-", "-"]);
  });

  test("text: the params line and the table rows; JSON: amounts as strings, rates in ppm, probabilities by n", () => {
    expect(paramsLine(P)).toBe(
      "audit rate 5% (raised per job up to 25%), invalid-result slash 100%, safety factor 2×: faking a job of fee F on stake S loses rate × slash × S ≥ safety × F in expectation",
    );
    const r = modelSecurity(P, { id: "mlp-16x8", minFee: 1000n }, stakes(10n * INF, 20n * INF));
    const [row] = securityRows([r]);
    expect(row).toHaveLength(SECURITY_HEADERS.length);
    expect(row).toEqual(["mlp-16x8", "2", "10000000uinf", "250000uinf", "2500000uinf", "1000uinf", "5%", "5.0%", "40.1%", "99.4%"]);
    const json = securityJson(P, [r]);
    expect(json).toEqual({
      params: { audit_rate_ppm: "50000", max_audit_rate_ppm: "250000", safety_factor_ppm: "2000000", slash_fraction_invalid_result_ppm: "1000000" },
      models: [
        {
          model_id: "mlp-16x8",
          min_fee: "1000",
          serving_validators: 2,
          smallest_stake: "10000000",
          largest_stake: "20000000",
          max_fee_at_base_rate: "250000",
          max_fee_secured: "2500000",
          min_fee_audit_rate_ppm: "50000",
          detection: { "1": expect.closeTo(0.05, 12), "10": expect.closeTo(0.401263, 6), "100": expect.closeTo(0.994079, 6) },
        },
      ],
    });
  });

  test("`inferd params check --help` names what it prints", () => {
    const check = paramsCommand().commands.find((c) => c.name() === "check")!;
    const help = check.helpInformation();
    expect(help).toContain("--model <id>");
    expect(help).toContain("--output <format>");
    expect(help).toContain("1 − (1 − p)^n");
  });
});
