/**
 * Inputs by URI, off chain (SPEC §4 "Data availability"): fetching a job's `input_uri` with a
 * size cap and a timeout and checking it against `input_sha256`, as the CLI does before it
 * submits (when no hash is given) and the sidecar before it runs a job; and the content
 * address a worker's data server serves bytes under (`/data/<sha256 hex>`). The URI rules
 * themselves are the chain's (x/inference/inputUri.ts).
 */
import { inputSha256Problem, inputUriProblem, sha256Hex } from "../x/inference/inputUri";

export { inputSha256Problem, inputUriProblem, sha256Hex };

/** Path prefix of a data server: GET /data/<sha256 hex> → the bytes that hash to it. */
export const DATA_PATH = "/data/";

/** A fetch that failed, with why (`status`: the HTTP status when there was one). */
export class InputFetchError extends Error {
  constructor(
    message: string,
    readonly reason: "invalid_uri" | "timeout" | "http_status" | "too_large" | "hash_mismatch" | "network",
    readonly status?: number,
  ) {
    super(message);
    this.name = "InputFetchError";
  }
}

export interface FetchInputOptions {
  /** Refuse (and stop reading) a body longer than this. */
  readonly maxBytes: number;
  /** Whole request, headers and body. Default 10 s. */
  readonly timeoutMs?: number;
  /** When given, the bytes must hash to it (hex sha256). */
  readonly sha256?: string;
}

/**
 * GET `uri` (http or https, as the chain accepts it) and return the body: at most `maxBytes`
 * (read as a stream, so a huge or endless body costs at most that), within `timeoutMs`,
 * hashing to `sha256` when given. Redirects are followed by fetch's default rules; the hash is
 * what makes the bytes trustworthy, never the server. Throws an InputFetchError.
 */
export async function fetchInput(uri: string, o: FetchInputOptions): Promise<Uint8Array> {
  const bad = inputUriProblem(uri);
  if (bad !== undefined) throw new InputFetchError(bad, "invalid_uri");
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), o.timeoutMs ?? 10_000);
  try {
    let res: Response;
    try {
      res = await fetch(uri, { signal: ac.signal, headers: { accept: "application/octet-stream" } });
    } catch (e) {
      if (ac.signal.aborted) throw new InputFetchError(`GET ${uri}: no answer within ${o.timeoutMs ?? 10_000} ms`, "timeout");
      throw new InputFetchError(`GET ${uri}: ${(e as Error).message}`, "network");
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new InputFetchError(`GET ${uri}: HTTP ${res.status}`, "http_status", res.status);
    }
    const declared = Number(res.headers.get("content-length") ?? "NaN");
    if (Number.isFinite(declared) && declared > o.maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw new InputFetchError(`GET ${uri}: ${declared} bytes; at most ${o.maxBytes}`, "too_large");
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    const reader = res.body?.getReader();
    try {
      for (;;) {
        const r = reader ? await reader.read() : { done: true as const, value: undefined };
        if (r.done) break;
        total += r.value.length;
        if (total > o.maxBytes) {
          await reader?.cancel().catch(() => undefined);
          throw new InputFetchError(`GET ${uri}: more than ${o.maxBytes} bytes`, "too_large");
        }
        chunks.push(r.value);
      }
    } catch (e) {
      if (e instanceof InputFetchError) throw e;
      if (ac.signal.aborted) throw new InputFetchError(`GET ${uri}: body not read within ${o.timeoutMs ?? 10_000} ms`, "timeout");
      throw new InputFetchError(`GET ${uri}: ${(e as Error).message}`, "network");
    }
    const bytes = new Uint8Array(Buffer.concat(chunks));
    if (o.sha256 !== undefined) {
      const got = sha256Hex(bytes);
      if (got !== o.sha256) throw new InputFetchError(`GET ${uri}: the bytes hash to ${got}, not ${o.sha256}`, "hash_mismatch");
    }
    return bytes;
  } finally {
    clearTimeout(timer);
  }
}

/** The URL of `sha256`'s bytes on the data server at `hostPort` (`127.0.0.1:26663`). */
export function dataUrl(hostPort: string, sha256: string): string {
  return `http://${hostPort}${DATA_PATH}${sha256}`;
}
