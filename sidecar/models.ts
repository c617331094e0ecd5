/**
 * Loading the models a worker serves: each file resolved from its registry URI, checked
 * against the registry's sha256 (a mismatch stops the sidecar: serving another file would
 * post results that diverge and get the validator slashed), and opened once as an
 * onnxruntime session with DETERMINISTIC_SESSION_OPTIONS on the chosen execution provider.
 */
import type { Model } from "../x/models/types";
import { loadModelFile, ModelFileError } from "../lib/models/resolve";
import { DETERMINISTIC_SESSION_OPTIONS, openSession } from "../lib/models/onnx";
import { chooseExecutionProvider, fallbackMessage, type ExecutionProviderName, type ProviderChoice } from "./executionProvider";
import type { LoadedModel } from "./pipeline";

export class ModelLoadError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "ModelLoadError";
  }
}

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)} kB`;
  return `${(n / 1_000_000).toFixed(1)} MB`;
}

export interface LoadModelsOptions {
  readonly modelsDir: string;
  readonly executionProvider: ExecutionProviderName;
  /** Progress lines (`loading model mlp-16x8 (3.5 kB) … ok in 12 ms`), one per call. */
  readonly progress: (line: string) => void;
  /** Where the provider fallback warning goes (stderr). */
  readonly warn: (line: string) => void;
}

export interface LoadedModels {
  readonly models: ReadonlyMap<string, LoadedModel>;
  readonly provider: ProviderChoice;
}

const sessionOptions = (ep: ExecutionProviderName) => ({ ...DETERMINISTIC_SESSION_OPTIONS, executionProviders: [ep], logSeverityLevel: 3 as const });

/** Reads, checks and opens every model; throws a ModelLoadError naming the first that fails. */
export async function loadModels(models: readonly Model[], o: LoadModelsOptions): Promise<LoadedModels> {
  let provider: ProviderChoice | undefined;
  const out = new Map<string, LoadedModel>();
  for (const model of models) {
    const started = performance.now();
    let bytes: Uint8Array;
    try {
      bytes = await loadModelFile(model, o.modelsDir);
    } catch (e) {
      o.progress(`loading model ${model.id} … FAILED`);
      if (e instanceof ModelFileError && e.kind === "hash_mismatch") {
        throw new ModelLoadError(`REFUSING model ${model.id}: ${e.message}. Put the registered file there (or point --models at it).`, e);
      }
      throw new ModelLoadError(`model ${model.id}: ${(e as Error).message}`, e);
    }
    if (provider === undefined) {
      // The first model decides the provider: a session on it is the probe.
      const first = bytes;
      provider = await chooseExecutionProvider(o.executionProvider, async (ep) => {
        await (await openSession(first, sessionOptions(ep))).release();
      });
      const msg = fallbackMessage(provider);
      if (msg) o.warn(msg);
    }
    const head = `loading model ${model.id} (${formatBytes(bytes.length)}, sha256 ok) on ${provider.used} …`;
    try {
      const session = await openSession(bytes, sessionOptions(provider.used));
      out.set(model.id, { model, session, fileBytes: bytes.length });
    } catch (e) {
      o.progress(`${head} FAILED`);
      throw new ModelLoadError(`model ${model.id}: onnxruntime cannot open it: ${(e as Error).message}`, e);
    }
    o.progress(`${head} ok in ${Math.round(performance.now() - started)} ms`);
  }
  return { models: out, provider: provider ?? { requested: o.executionProvider, used: "cpu", ...(o.executionProvider === "cpu" ? {} : { fallbackReason: "no models to run" }) } };
}
