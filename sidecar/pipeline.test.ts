/** @jest-environment ./test/support/onnxruntimeEnvironment.js */
import { parseGenesis } from "../x/models/genesis";
import { decodeTensorList, encodeTensorList } from "../x/models/tensor";
import { builtinModels, defaultModelsDir, MLP_MODEL_ID } from "../lib/models/builtin";
import { DETERMINISTIC_SESSION_OPTIONS, openSession, runHost } from "../lib/models/onnx";
import { loadModelFile } from "../lib/models/resolve";
import { quantizeTensors, dequantizeTensors } from "../lib/tensors";
import { loadModels, ModelLoadError } from "./models";
import { runJob, type LoadedModel } from "./pipeline";

const mlp = parseGenesis({ models: builtinModels() }).models.find((m) => m.id === MLP_MODEL_ID)!;
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
