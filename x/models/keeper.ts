/**
 * Plain state access for the model registry and its params. All checks live in the callers;
 * the registry's stateless rules (the model-id rule, a tensor list checked against a model)
 * are offered here too, so that other modules reach them through their expectedKeepers.ts.
 */
import { Model as WireModel } from "../../gen/inferchain/models/v1/models";
import type { KVReader, KVStore } from "../../base/store/kv";
import { MODELS_PREFIX, PARAMS_KEY, modelKey } from "./keys";
import { Params, defaultParams, fromWire, toStored, type ModelsParams } from "./params";
import { diverges } from "./divergence";
import { decodeInput, decodeOutput, type QuantizedTensor } from "./tensor";
import { isValidModelId, modelFromWire, modelToWire, type Model } from "./types";

/** The module account that holds registration deposits. */
export const MODELS_MODULE_ACCOUNT = "models";

export class ModelsKeeper {
  getModel(s: KVReader, id: string): Model | undefined {
    const raw = s.get(modelKey(id));
    return raw ? modelFromWire(WireModel.decode(raw)) : undefined;
  }

  hasModel(s: KVReader, id: string): boolean {
    return s.has(modelKey(id));
  }

  setModel(s: KVStore, m: Model): void {
    s.set(modelKey(m.id), WireModel.encode(modelToWire(m)).finish());
  }

  /** Models in id order, starting at `startId` (inclusive) when given. */
  *models(s: KVReader, startId = ""): IterableIterator<Model> {
    for (const [k, v] of s.iterate(MODELS_PREFIX)) {
      if (k.slice(MODELS_PREFIX.length) < startId) continue;
      yield modelFromWire(WireModel.decode(v));
    }
  }

  getParams(s: KVReader): ModelsParams {
    const raw = s.get(PARAMS_KEY);
    return raw ? fromWire(Params.decode(raw)) : defaultParams();
  }

  setParams(s: KVStore, p: ModelsParams): void {
    s.set(PARAMS_KEY, Params.encode(toStored(p)).finish());
  }

  // ------------------------------------------------------------ stateless rules

  /** `MODEL_ID_PATTERN` (types.ts). */
  isValidModelId(id: string): boolean {
    return isValidModelId(id);
  }

  /** A job input checked against the model's inputs (tensor.ts); throws an AppError of x/models. */
  decodeInput(model: Pick<Model, "inputs" | "maxInputBytes" | "quantScaleBits">, input: Uint8Array): QuantizedTensor[] {
    return decodeInput(model, input);
  }

  /** A result checked against the model's outputs (tensor.ts); throws an AppError of x/models. */
  decodeOutput(model: Pick<Model, "outputs" | "maxOutputBytes">, output: Uint8Array): QuantizedTensor[] {
    return decodeOutput(model, output);
  }

  /** Whether two results of `model` diverge under its metric and threshold (divergence.ts); a shape mismatch diverges. */
  diverges(model: Pick<Model, "metric" | "threshold">, a: readonly QuantizedTensor[], b: readonly QuantizedTensor[]): boolean {
    return diverges(model.metric, model.threshold, a, b);
  }
}
