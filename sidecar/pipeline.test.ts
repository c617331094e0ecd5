/** @jest-environment ./test/support/onnxruntimeEnvironment.js */
import fc from "fast-check";
import { parseGenesis } from "../x/models/genesis";
import { decodeInput, decodeTensorList, encodeTensorList, checkOutputAgainstSpec } from "../x/models/tensor";
import type { Model } from "../x/models/types";
import { builtinModels, defaultModelsDir, MLP_MODEL_ID, SILERO_MODEL_ID } from "../lib/models/builtin";
import { DETERMINISTIC_SESSION_OPTIONS, openSession, runHost } from "../lib/models/onnx";
import { loadModelFile } from "../lib/models/resolve";
import { quantizeTensors, dequantizeTensors } from "../lib/tensors";
import { loadModels, ModelLoadError } from "./models";
import { runJob, type LoadedModel } from "./pipeline";

const mlp = parseGenesis({ models: builtinModels() }).models.find((m) => m.id === MLP_MODEL_ID)!;
const silero = parseGenesis({ models: builtinModels() }).models.find((m) => m.id === SILERO_MODEL_ID)!;
const host = [{ name: "x", dtype: "float32" as const, dims: [2, 16], data: Float32Array.from({ length: 32 }, (_, i) => Math.sin(i) * 1.5) }];
const input = encodeTensorList(quantizeTensors(host, mlp.quantScaleBits));

describe("sidecar job pipeline", () => {
  let loaded: LoadedModel;
  beforeAll(async () => {
    const lines: string[] = [];
    const r = await loadModels([mlp], { modelsDir: defaultModelsDir(), executionProvider: "cpu", progress: (l) => lines.push(l), warn: () => undefined });
    loaded = r.models.get(MLP_MODEL_ID)!;
    expect(lines).toEqual([expect.stringMatching(/^loading model mlp-16x8 \(3\.5 kB, sha256 ok\) on cpu … ok in [0-9]+ ms$/)]);
  });
  afterAll(() => loaded?.session.release());

  test("honest: the result equals onnxruntime on the dequantized input, quantized (same session options)", async () => {
    const out = decodeTensorList(await runJob(loaded, input));
    const session = await openSession(await loadModelFile(mlp, defaultModelsDir()), DETERMINISTIC_SESSION_OPTIONS);
    const ref = await runHost(session, mlp, dequantizeTensors(decodeTensorList(input), mlp.inputs, mlp.quantScaleBits));
    await session.release();
    expect(out).toEqual(quantizeTensors(ref, mlp.quantScaleBits));
    expect(out[0].shape).toEqual([2n, 8n]);
  });

  test("lazy and random answer without the model, with the honest shape", async () => {
    const lazy = decodeTensorList(await runJob(loaded, input, "lazy"));
    expect(lazy[0].shape).toEqual([2n, 8n]);
    expect(lazy[0].values.every((v) => v === 0n)).toBe(true);
    const random = decodeTensorList(await runJob(loaded, input, "random"));
    expect(random[0].shape).toEqual([2n, 8n]);
  });

  test("an input that breaks the spec is refused with the spec error", async () => {
    const bad = encodeTensorList([{ name: "x", shape: [1n, 15n], values: new Array<bigint>(15).fill(0n) }]);
    await expect(runJob(loaded, bad)).rejects.toThrow(/dim 1 must be 16/);
    await expect(runJob(loaded, new Uint8Array([0xff, 0xff]))).rejects.toThrow();
  });

  test("a model file whose sha256 differs from the registry is refused loudly", async () => {
    const wrong = { ...mlp, onnxSha256: "0".repeat(64) };
    await expect(loadModels([wrong], { modelsDir: defaultModelsDir(), executionProvider: "cpu", progress: () => undefined, warn: () => undefined })).rejects.toThrow(ModelLoadError);
    await expect(loadModels([wrong], { modelsDir: defaultModelsDir(), executionProvider: "cpu", progress: () => undefined, warn: () => undefined })).rejects.toThrow(/REFUSING model mlp-16x8: .*sha256/);
  });

  test("--execution-provider cuda without the CUDA libraries loads on cpu and says why", async () => {
    const warnings: string[] = [];
    const r = await loadModels([mlp], { modelsDir: defaultModelsDir(), executionProvider: "cuda", progress: () => undefined, warn: (l) => warnings.push(l) });
    for (const m of r.models.values()) await m.session.release();
    if (r.provider.used === "cuda") return; // a machine with the CUDA provider installed
    expect(r.provider).toMatchObject({ requested: "cuda", used: "cpu" });
    expect(warnings).toEqual([expect.stringMatching(/^CUDA execution provider unavailable, falling back to CPU: /)]);
  });
});

/**
 * runJob's path (lib/models/onnx.ts QuantizedSession: the codec's typed-array fast path, input
 * tensors reused from job to job, several jobs in flight) against the reference path built
 * from the chain's own functions, with a bigint per value and fresh tensors for every job:
 * decodeInput → dequantizeTensors → runHost → quantizeTensors → checkOutputAgainstSpec →
 * encodeTensorList. The result bytes are sealed and compared on chain, so they must be the
 * same bytes, and a refused input the same error.
 */
describe("runJob = the reference path, byte for byte", () => {
  let models: Map<string, LoadedModel>;
  let ref: Map<string, LoadedModel>;
  beforeAll(async () => {
    const load = async (): Promise<Map<string, LoadedModel>> =>
      new Map((await loadModels([mlp, silero], { modelsDir: defaultModelsDir(), executionProvider: "cpu", progress: () => undefined, warn: () => undefined })).models);
    models = await load();
    // A session of its own for the reference, so nothing the fast path keeps can leak into it.
    ref = await load();
  });
  afterAll(async () => {
    for (const m of [...(models?.values() ?? []), ...(ref?.values() ?? [])]) await m.session.release();
  });

  async function reference(m: LoadedModel, input: Uint8Array): Promise<Uint8Array | string> {
    try {
      const model: Model = m.model;
      const host = await runHost(m.session, model, dequantizeTensors(decodeInput(model, input), model.inputs, model.quantScaleBits));
      const q = quantizeTensors(host, model.quantScaleBits);
      const err = checkOutputAgainstSpec(model, q);
      if (err) throw err;
      return encodeTensorList(q);
    } catch (e) {
      return `error: ${(e as Error).message}`;
    }
  }
  const outcome = (p: Promise<Uint8Array>): Promise<Uint8Array | string> => p.then((b) => b, (e: unknown) => `error: ${(e as Error).message}`);

  // Floats the models meet, now and then one the inputs' max_abs refuses (huge, NaN, ±Inf:
  // the job is refused with the chain's error on both paths).
  const special = fc.constantFrom(0, -0, 1e6, -1e6, 2 ** 40, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.5 / 65536, 1.5 / 65536);
  const value = fc.oneof({ weight: 300, arbitrary: fc.double({ min: -3, max: 3, noNaN: true }) }, { weight: 1, arbitrary: special });
  const audio = fc.oneof({ weight: 3000, arbitrary: fc.double({ min: -1, max: 1, noNaN: true }) }, { weight: 1, arbitrary: special });
  /** An mlp job: a batch of 0–4 rows, or (1 in 12) a shape the spec refuses. */
  const mlpJob = fc.tuple(fc.integer({ min: 0, max: 4 }), fc.array(value, { minLength: 64, maxLength: 64 }), fc.nat(11)).map(([rows, vals, bad]) => {
    const cols = bad === 0 ? 15 : 16;
    return encodeTensorList(quantizeTensors([{ name: "x", dtype: "float32", dims: [rows, cols], data: Float32Array.from({ length: rows * cols }, (_, i) => vals[i]) }], mlp.quantScaleBits));
  });
  const sileroJob = fc.tuple(fc.array(audio, { minLength: 768, maxLength: 768 }), fc.constantFrom(8000n, 16000n, 0n, -1n, 16001n)).map(([vals, sr]) =>
    encodeTensorList(
      quantizeTensors(
        [
          { name: "input", dtype: "float32", dims: [1, 512], data: Float32Array.from(vals.slice(0, 512)) },
          { name: "sr", dtype: "int64", dims: [], data: BigInt64Array.of(sr) },
          { name: "h", dtype: "float32", dims: [2, 1, 64], data: Float32Array.from(vals.slice(512, 640)) },
          { name: "c", dtype: "float32", dims: [2, 1, 64], data: Float32Array.from(vals.slice(640, 768)) },
        ],
        silero.quantScaleBits,
      ),
    ),
  );

  /** Batches of jobs all in flight together (each takes its own input tensors from the pool), each against the reference. */
  const inFlight = (id: string, job: fc.Arbitrary<Uint8Array>, maxLength: number, numRuns: number): Promise<void> =>
    fc.assert(
      fc.asyncProperty(fc.array(job, { minLength: 1, maxLength }), async (inputs) => {
        const got = await Promise.all(inputs.map((input) => outcome(runJob(models.get(id)!, input))));
        for (let i = 0; i < inputs.length; i++) expect(got[i]).toEqual(await reference(ref.get(id)!, inputs[i]));
      }),
      { numRuns },
    );

  test("mlp: random batches, several jobs in flight at once (the sidecar runs up to 4), refused shapes and values included", () => inFlight(MLP_MODEL_ID, mlpJob, 6, 60));

  test("silero: random audio and state, several jobs in flight at once, refused values included", () => inFlight(SILERO_MODEL_ID, sileroJob, 4, 15));

  test("a reused input tensor holds the new job's values only: a shorter or refused job after a longer one changes nothing", async () => {
    const m = models.get(MLP_MODEL_ID)!;
    const job = (rows: number, v: number, cols = 16): Uint8Array =>
      encodeTensorList(quantizeTensors([{ name: "x", dtype: "float32", dims: [rows, cols], data: new Float32Array(rows * cols).fill(v) }], mlp.quantScaleBits));
    const r = ref.get(MLP_MODEL_ID)!;
    for (const input of [job(2, 1.5), job(2, -0.25), job(1, 3), job(2, 0), job(2, 7, 15), job(2, 0.5)]) {
      expect(await outcome(runJob(m, input))).toEqual(await reference(r, input));
    }
    // A refused input (a truncated list, after a tensor was taken for it) rejects with the chain's error.
    const cut = job(2, 1).subarray(0, 20);
    await expect(runJob(m, cut)).rejects.toMatchObject({ codespace: "models" });
    expect(await outcome(runJob(m, job(2, 1)))).toEqual(await reference(r, job(2, 1)));
  });
});
