/** @jest-environment ./test/support/onnxruntimeEnvironment.js */
import { parseGenesis } from "../x/models/genesis";
import { checkInputAgainstSpec, encodeTensorList, type QuantizedTensor } from "../x/models/tensor";
import type { Model } from "../x/models/types";
import {
  calibrate,
  calibrationJson,
  concatAlong,
  DivergenceTally,
  formatCalibration,
  float32UlpSteps,
  formatRatio,
  generateBattery,
  materialize,
  sessionSetting,
  SILERO_STREAM,
  splitAlong,
  suggestThreshold,
  type Job,
  type Setting,
} from "./calibrate";
import { builtinModels, defaultModelsDir, MLP_MODEL_ID, SILERO_MODEL_ID } from "./models/builtin";
import { DETERMINISTIC_SESSION_OPTIONS } from "./models/onnx";
import { loadModelFile } from "./models/resolve";

const models = parseGenesis({ models: builtinModels() }).models;
const byId = (id: string): Model => models.find((m) => m.id === id)!;
const mlp = byId(MLP_MODEL_ID);
const silero = byId(SILERO_MODEL_ID);

const t = (name: string, shape: number[], values: number[]): QuantizedTensor => ({ name, shape: shape.map(BigInt), values: values.map(BigInt) });

describe("the battery", () => {
  test.each([
    [MLP_MODEL_ID, 90],
    [SILERO_MODEL_ID, 300],
  ])("%s: the same for the same seed, another for another, every job within the input spec and max_input_bytes", (id, n) => {
    const m = byId(id);
    const battery = generateBattery(m, n, 7);
    expect(battery).toHaveLength(n);
    expect(generateBattery(m, n, 7)).toEqual(battery);
    expect(generateBattery(m, n, 8)).not.toEqual(battery);
    for (const item of battery) {
      expect(checkInputAgainstSpec(m, item.inputs)).toBeUndefined();
      expect(BigInt(encodeTensorList(item.inputs).length)).toBeLessThanOrEqual(m.maxInputBytes);
    }
    // Several kinds of input, edge values among them.
    expect(new Set(battery.map((i) => i.category)).size).toBeGreaterThanOrEqual(8);
  });

  test("mlp-16x8: zeros, the documented edge ±128 and values drawn far outside it, clamped to max_abs", () => {
    const battery = generateBattery(mlp, 90, 1);
    const values = (cat: string): bigint[] => battery.filter((i) => i.category === cat).flatMap((i) => i.inputs[0].values);
    expect(values("zeros").every((v) => v === 0n)).toBe(true);
    expect(values("edge-128").every((v) => v === 128n << 16n || v === -128n << 16n)).toBe(true);
    // Drawn in ±16384, sent at most at the input's max_abs (128): the chain refuses more.
    const saturated = values("saturated");
    expect(saturated.every((v) => v <= 128n << 16n && v >= -128n << 16n)).toBe(true);
    expect(saturated.filter((v) => v === 128n << 16n || v === -128n << 16n).length).toBeGreaterThan(saturated.length / 2);
    expect(values("tiny-steps").every((v) => v >= -4n && v <= 4n)).toBe(true);
  });

  test("silero-vad: streams carry the state after their first chunk; independent chunks draw a bounded one", () => {
    const battery = generateBattery(silero, 300, 3);
    const first = battery.findIndex((i) => i.category === "speech-stream");
    expect(battery[first].carry).toBeUndefined();
    expect(battery[first + 1].carry).toEqual([
      ["hn", "h"],
      ["cn", "c"],
    ]);
    expect(battery.slice(first, first + SILERO_STREAM).every((i) => i.category === "speech-stream")).toBe(true);
    const one = 1n << 16n;
    for (const item of battery) {
      const [input, sr, h, c] = item.inputs;
      expect([16000n, 8000n]).toContain(sr.values[0]);
      expect(input.values.every((v) => v >= -one && v <= one)).toBe(true);
      expect(h.values.every((v) => v >= -one && v <= one)).toBe(true);
      expect(c.values.every((v) => v >= -200n * one && v <= 200n * one)).toBe(true);
      if (item.category === "silence") expect([...input.values, ...h.values, ...c.values].every((v) => v === 0n)).toBe(true);
    }
    expect(battery.some((i) => i.category === "speech-8k-stream" && i.inputs[1].values[0] === 8000n)).toBe(true);
    expect(battery.some((i) => i.category === "random-state-c200" && i.inputs[3].values.some((v) => v > 100n * one || v < -100n * one))).toBe(true);
  });

  test("materialize takes the carried tensors from the previous outputs, renamed", () => {
    const item = { category: "s", inputs: [t("input", [1, 2], [1, 2]), t("h", [1], [0]), t("c", [1], [0])], carry: [["hn", "h"] as const, ["cn", "c"] as const] };
    const prev: Job = [t("output", [1, 1], [9]), t("hn", [1], [5]), t("cn", [1], [6])];
    expect(materialize(item, prev)).toEqual([t("input", [1, 2], [1, 2]), t("h", [1], [5]), t("c", [1], [6])]);
    expect(() => materialize(item, undefined)).toThrow(/previous job/);
    expect(() => materialize(item, [t("hn", [1], [5])])).toThrow(/no cn/);
    const plain = { category: "p", inputs: item.inputs };
    expect(materialize(plain, undefined)).toBe(item.inputs);
  });
});

describe("batching", () => {
  test("concatAlong and splitAlong join and cut along an inner axis, and undo each other", () => {
    const a = t("h", [2, 1, 3], [1, 2, 3, 4, 5, 6]);
    const b = t("h", [2, 2, 3], [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
    const j = concatAlong([a, b], 1);
    expect(j).toEqual(t("h", [2, 3, 3], [1, 2, 3, 7, 8, 9, 10, 11, 12, 4, 5, 6, 13, 14, 15, 16, 17, 18]));
    expect(splitAlong(j, 1, [1, 2])).toEqual([a, b]);
    const rows = t("x", [3, 2], [1, 2, 3, 4, 5, 6]);
    expect(concatAlong(splitAlong(rows, 0, [1, 1, 1]), 0)).toEqual(rows);
    expect(() => splitAlong(rows, 0, [1, 1])).toThrow(/do not add up/);
  });
});

describe("divergence bookkeeping", () => {
  const ref = [t("y", [1, 3], [10, 20, 30])];
  const off = (d: number[]): Job => [t("y", [1, 3], [10 + d[0], 20 + d[1], 30 + d[2]])];

  test("MAX_ABS_DIFF: the largest |a−b|, the chain's verdict per job, the worst job, by category and output", () => {
    const tally = new DivergenceTally("MAX_ABS_DIFF", 8n);
    tally.add(0, "normal", ref, off([0, 0, 0]));
    tally.add(1, "normal", ref, off([3, -8, 0]));
    tally.add(2, "large", ref, off([0, 9, 0]));
    tally.add(3, "large", ref, off([-5, 0, 0]));
    expect(tally.jobs).toBe(4);
    expect(tally.maxAbs).toBe(9n);
    expect(tally.figure()).toBe("9");
    expect(tally.diverged).toBe(1);
    expect(tally.verdict()).toBe("EXCEEDS");
    expect(tally.worst).toEqual({ job: 2, category: "large" });
    expect([...tally.byCategory]).toEqual([
      ["normal", 8n],
      ["large", 9n],
    ]);
    expect([...tally.byOutput]).toEqual([["y", 9n]]);
    const ok = new DivergenceTally("MAX_ABS_DIFF", 8n);
    ok.add(0, "normal", ref, off([8, -8, 1]));
    expect(ok.verdict()).toBe("within threshold");
  });

  test("a result of another shape diverges under every metric and is counted as such", () => {
    for (const metric of ["EXACT", "MAX_ABS_DIFF", "MEAN_SQUARED", "ARGMAX"] as const) {
      const tally = new DivergenceTally(metric, 1000n);
      tally.add(0, "c", ref, [t("y", [3, 1], [10, 20, 30])]);
      expect([tally.diverged, tally.structureMismatches, tally.maxAbs]).toEqual([1, 1, 0n]);
    }
  });

  test("MEAN_SQUARED: the largest per-job Σ(a−b)²/n, compared as the chain does (Σ ≤ threshold × n)", () => {
    const tally = new DivergenceTally("MEAN_SQUARED", 2n);
    tally.add(0, "a", ref, off([1, 1, 1])); // 3/3 = 1
    tally.add(1, "a", ref, off([2, 2, 1])); // 9/3 = 3 > 2
    tally.add(2, "a", ref, off([0, 0, 2])); // 4/3
    expect(tally.figure()).toBe("3.000");
    expect(tally.diverged).toBe(1);
    expect(tally.worst).toEqual({ job: 1, category: "a" });
    expect(formatRatio(4n, 3n)).toBe("1.334");
    expect(formatRatio(0n, 7n)).toBe("0.000");
  });

  test("EXACT and ARGMAX count mismatched jobs", () => {
    const exact = new DivergenceTally("EXACT", 0n);
    exact.add(0, "a", ref, off([0, 0, 1]));
    exact.add(1, "a", ref, off([0, 0, 0]));
    expect(exact.figure()).toBe("1 mismatches");
    const argmax = new DivergenceTally("ARGMAX", 0n);
    argmax.add(0, "a", ref, off([0, 0, 5])); // top-1 stays index 2
    argmax.add(1, "a", ref, off([30, 0, 0])); // 40 > 30: index 0
    expect([argmax.diverged, argmax.worst]).toEqual([1, { job: 1, category: "a" }]);
  });
});

describe("the suggested threshold", () => {
  const tallyWith = (metric: "MAX_ABS_DIFF" | "MEAN_SQUARED" | "EXACT", diffs: number[]): DivergenceTally => {
    const tally = new DivergenceTally(metric, 8n);
    diffs.forEach((d, i) => tally.add(i, "c", [t("y", [2], [0, 0])], [t("y", [2], [d, 0])]));
    return tally;
  };

  test("a float32 ulp in quantization steps: 2^(bit length − 24), at least 1", () => {
    expect(float32UlpSteps(0n)).toBe(1n);
    expect(float32UlpSteps((1n << 24n) - 1n)).toBe(1n);
    expect(float32UlpSteps(1n << 24n)).toBe(2n);
    expect(float32UlpSteps(-(1n << 31n))).toBe(256n);
  });

  test("MAX_ABS_DIFF: 4 × max(the largest seen over every setting, one ulp at the largest output), up to a power of two", () => {
    expect(suggestThreshold("MAX_ABS_DIFF", [tallyWith("MAX_ABS_DIFF", [0])]).threshold).toBe(4n);
    expect(suggestThreshold("MAX_ABS_DIFF", [tallyWith("MAX_ABS_DIFF", [3])]).threshold).toBe(16n);
    expect(suggestThreshold("MAX_ABS_DIFF", [tallyWith("MAX_ABS_DIFF", [2, -9]), tallyWith("MAX_ABS_DIFF", [3])]).threshold).toBe(64n);
    expect(suggestThreshold("MAX_ABS_DIFF", [tallyWith("MAX_ABS_DIFF", [74])]).threshold).toBe(512n);
    // Bit-identical settings on one machine, but outputs where one ulp is 256 steps.
    expect(suggestThreshold("MAX_ABS_DIFF", [tallyWith("MAX_ABS_DIFF", [0])], 256n).threshold).toBe(1024n);
    expect(suggestThreshold("MAX_ABS_DIFF", [], 2n).rule).toMatch(/4 × max\(largest divergence seen .* = 2\)/);
  });

  test("MEAN_SQUARED: the same rule on the worst mean of squares, rounded up", () => {
    // (3² + 0²)/2 = 4.5 → 18 → 32
    expect(suggestThreshold("MEAN_SQUARED", [tallyWith("MEAN_SQUARED", [3, 1])]).threshold).toBe(32n);
    // One ulp of 4 steps: 4² = 16 → 64.
    expect(suggestThreshold("MEAN_SQUARED", [tallyWith("MEAN_SQUARED", [3, 1])], 4n).threshold).toBe(64n);
  });

  test("EXACT takes no threshold: it holds with no mismatch, else the model needs MAX_ABS_DIFF", () => {
    const none = suggestThreshold("EXACT", [tallyWith("EXACT", [0, 0])]);
    expect(none.threshold).toBeUndefined();
    expect(none.rule).toMatch(/EXACT holds/);
    expect(suggestThreshold("EXACT", [tallyWith("EXACT", [0, 3])]).rule).toMatch(/cannot hold \(1 mismatched jobs\): use MAX_ABS_DIFF with threshold 16/);
  });
});

describe("a real calibration on onnxruntime", () => {
  let bytes: Uint8Array;
  beforeAll(async () => {
    bytes = await loadModelFile(mlp, defaultModelsDir());
  });

  test("mlp-16x8, 50 inputs: other graph levels, threads and batching stay within the registered threshold", async () => {
    const reference = sessionSetting("sidecar options", mlp, bytes, DETERMINISTIC_SESSION_OPTIONS);
    const settings = [
      sessionSetting("graph all, intra-op 2", mlp, bytes, { ...DETERMINISTIC_SESSION_OPTIONS, graphOptimizationLevel: "all", intraOpNumThreads: 2 }),
      sessionSetting("batch 8, graph disabled", mlp, bytes, { ...DETERMINISTIC_SESSION_OPTIONS, graphOptimizationLevel: "disabled" }, { batch: 8 }),
    ];
    const c = await calibrate(mlp, generateBattery(mlp, 50, 1), reference, settings);
    expect(c.inputs).toBe(50);
    for (const row of c.rows) {
      expect(row.unavailable).toBeUndefined();
      expect(row.tally!.jobs).toBe(50);
      expect(row.tally!.maxAbs).toBeLessThanOrEqual(mlp.threshold);
      expect(row.tally!.verdict()).toBe("within threshold");
    }
    expect(c.exceeded).toBe(false);
    expect(c.largestOutput).toBeGreaterThan(0n);
    expect(formatCalibration(c)).toContain("| batch 8, graph disabled |");
    expect(calibrationJson(c)).toMatchObject({ model: MLP_MODEL_ID, threshold: "8", inputs: 50, exceeded: false });
  });

  test("a worker answering zeros exceeds, and a setting that cannot start is a row saying why", async () => {
    const zeros: Setting = {
      name: "lazy zeros",
      open: async () => ({ run: async (jobs) => jobs.map((j) => [t("y", [Number(j[0].shape[0]), 8], new Array<number>(8).fill(0))]), close: async () => undefined }),
    };
    const missing = sessionSetting("ep nowhere", mlp, bytes, DETERMINISTIC_SESSION_OPTIONS, { precheck: () => "no such provider here" });
    const c = await calibrate(mlp, generateBattery(mlp, 20, 2), sessionSetting("ref", mlp, bytes, DETERMINISTIC_SESSION_OPTIONS), [zeros, missing]);
    expect(c.rows[0].tally!.verdict()).toBe("EXCEEDS");
    expect(c.rows[0].tally!.diverged).toBeGreaterThan(10);
    expect(c.rows[1]).toEqual({ name: "ep nowhere", proxy: false, unavailable: "no such provider here" });
    expect(c.exceeded).toBe(true);
    expect(formatCalibration(c)).toContain("unavailable: no such provider here");
  });
});
