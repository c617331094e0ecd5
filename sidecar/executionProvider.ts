/**
 * Which onnxruntime execution provider the sidecar runs its models on. `cpu` is the default
 * and always there. `cuda` and `webgpu` are tried when asked for; when one cannot start, the
 * sidecar says why on its log and falls back to CPU, and the provider actually used is what
 * the startup log and the `inferchain_sidecar_execution_provider_info` metric report.
 *
 * onnxruntime-node ships CPU and WebGPU inside the npm package; the CUDA provider libraries
 * (libonnxruntime_providers_cuda.so, libonnxruntime_providers_shared.so) are downloaded by
 * its install script, which needs network access at `npm ci` time, and they need a CUDA 12
 * runtime and cuDNN 9 on the library path.
 */
import fs from "node:fs";
import path from "node:path";

export const EXECUTION_PROVIDERS = ["cpu", "cuda", "webgpu"] as const;
export type ExecutionProviderName = (typeof EXECUTION_PROVIDERS)[number];

export interface ProviderChoice {
  readonly requested: ExecutionProviderName;
  readonly used: ExecutionProviderName;
  /** Set when `used` differs from `requested`: why the requested one could not start. */
  readonly fallbackReason?: string;
}

export function parseExecutionProvider(s: string): ExecutionProviderName {
  const p = EXECUTION_PROVIDERS.find((x) => x === s.toLowerCase());
  if (!p) throw new Error(`--execution-provider must be one of ${EXECUTION_PROVIDERS.join(", ")}, got ${JSON.stringify(s)}`);
  return p;
}

/** The folder with onnxruntime-node's native binding for this platform. */
export function ortBinaryDir(): string | undefined {
  try {
    const pkg = path.dirname(require.resolve("onnxruntime-node/package.json"));
    return path.join(pkg, "bin", "napi-v6", process.platform, process.arch);
  } catch {
    return undefined;
  }
}

/** Why CUDA cannot work here before trying it (missing provider libraries), or undefined. */
export function cudaLibrariesMissing(dir: string | undefined = ortBinaryDir()): string | undefined {
  if (process.platform !== "linux" && process.platform !== "win32") return `onnxruntime-node has no CUDA provider on ${process.platform}`;
  if (dir === undefined) return "onnxruntime-node is not installed";
  const ext = process.platform === "win32" ? ".dll" : ".so";
  const prefix = process.platform === "win32" ? "" : "lib";
  const missing = ["onnxruntime_providers_shared", "onnxruntime_providers_cuda"].map((n) => `${prefix}${n}${ext}`).filter((f) => !fs.existsSync(path.join(dir, f)));
  if (missing.length === 0) return undefined;
  return (
    `${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not in ${dir}: onnxruntime-node downloads its CUDA provider ` +
    `only when \`npm ci\` runs with network access (force it with ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node), ` +
    `and it then needs the CUDA 12 runtime and cuDNN 9 on the library path`
  );
}

/** onnxruntime's first line of an error, without its source-file prefixes. */
function shortReason(e: unknown): string {
  const m = (e instanceof Error ? e.message : String(e)).split("\n").find((l) => l.trim() !== "") ?? "unknown error";
  return m.replace(/^\/onnxruntime_src\/\S+\s*/, "").trim();
}

/**
 * Tries `requested` with `probe` (which opens a session on that provider and throws if it
 * cannot); returns the provider to use and, on a fallback, the reason.
 */
export async function chooseExecutionProvider(requested: ExecutionProviderName, probe: (ep: ExecutionProviderName) => Promise<void>, precheck: (ep: ExecutionProviderName) => string | undefined = (ep) => (ep === "cuda" ? cudaLibrariesMissing() : undefined)): Promise<ProviderChoice> {
  if (requested === "cpu") return { requested, used: "cpu" };
  const missing = precheck(requested);
  if (missing !== undefined) return { requested, used: "cpu", fallbackReason: missing };
  try {
    await probe(requested);
    return { requested, used: requested };
  } catch (e) {
    return { requested, used: "cpu", fallbackReason: shortReason(e) };
  }
}

/** The line the sidecar prints on stderr and logs when it falls back. */
export function fallbackMessage(c: ProviderChoice): string | undefined {
  if (c.fallbackReason === undefined) return undefined;
  return `${c.requested.toUpperCase()} execution provider unavailable, falling back to CPU: ${c.fallbackReason}`;
}
