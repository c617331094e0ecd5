/** Plain state access for the model registry and its params. All checks live in the callers. */
import { Model as WireModel } from "../../gen/inferchain/models/v1/models";
import type { KVReader, KVStore } from "../../base/store/kv";
import { MODELS_PREFIX, PARAMS_KEY, modelKey } from "./keys";
import { Params, defaultParams, fromWire, toStored, type ModelsParams } from "./params";
import { modelFromWire, modelToWire, type Model } from "./types";

/** The module account that holds registration deposits. */
export const MODELS_MODULE_ACCOUNT = "models";

/** What the inference and challenge modules read: declare it in their expectedKeepers.ts. */
export interface ModelsViewKeeper {
  getModel(s: KVReader, id: string): Model | undefined;
  hasModel(s: KVReader, id: string): boolean;
}

export class ModelsKeeper implements ModelsViewKeeper {
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
}
