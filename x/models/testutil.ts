/**
 * Test fixtures for x/models and its consumers (the inference and challenge modules' tests,
 * the sidecar's): a valid model spec and small builders. Not used by the state machine.
 */
import type { Model, ModelSpec } from "./types";

/** A valid spec shaped like the built-in MLP: x float32 [-1, 16] → y float32 [-1, 8]. */
export function sampleSpec(over: Partial<ModelSpec> = {}): ModelSpec {
  return {
    id: "mlp-16x8",
    onnxSha256: "ab".repeat(32),
    uri: "file:mlp-16x8.onnx",
    inputs: [{ name: "x", dtype: "float32", shape: [-1n, 16n] }],
    outputs: [{ name: "y", dtype: "float32", shape: [-1n, 8n] }],
    metric: "MAX_ABS_DIFF",
    threshold: 8n,
    quantScaleBits: 16,
    minFee: 1000n,
    maxInputBytes: 8192n,
    maxOutputBytes: 4096n,
    slaBlocks: 10n,
    ...over,
  };
}

export function sampleModel(over: Partial<Model> = {}): Model {
  return { ...sampleSpec(), owner: "", deposit: 0n, registeredHeight: 0n, ...over };
}
