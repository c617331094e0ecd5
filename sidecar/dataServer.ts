/**
 * Data availability, the worker's side (SPEC §4, §5): the inputs of jobs by URI that this
 * sidecar fetched are kept under `<home>/sidecar/inputs/<sha256>.bin` (`InputStore`), served
 * read-only by hash over HTTP (`--data-address host:port`: `GET /data/<sha256 hex>`, only
 * bytes it holds, content-addressed so nobody can ask it for anything else), and posted on chain
 * when a MsgRequestData names one of its jobs (sidecar.ts). `resolveInput` is how a job's input
 * is found: the chain's copy, the store, the job's URI, then the data servers of other
 * validators this sidecar was told about (`--data-peers`), each checked against the hash.
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { DATA_PATH, InputFetchError, dataUrl, fetchInput, sha256Hex } from "../client/inputData";
import { pruneOlderThan } from "./resultStore";

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The fetched inputs of one sidecar home, by sha256. */
export class InputStore {
  readonly dir: string;

  constructor(home: string) {
    this.dir = path.join(home, "sidecar", "inputs");
  }

  private file(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return path.join(this.dir, `${sha256}.bin`);
  }

  /** Keeps `bytes` under their hash (written whole: temp file, then rename); returns the hash. */
  put(bytes: Uint8Array): string {
    const sha = sha256Hex(bytes);
    const f = this.file(sha);
    if (this.get(sha)) return sha;
    fs.mkdirSync(this.dir, { recursive: true });
    const tmp = `${f}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, bytes, { mode: 0o644 });
    fs.renameSync(tmp, f);
    return sha;
  }

  /** The bytes kept under `sha256`, checked again on the way out (a damaged file reads as absent). */
  get(sha256: string): Uint8Array | undefined {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(fs.readFileSync(this.file(sha256)));
    } catch {
      return undefined;
    }
    return sha256Hex(bytes) === sha256 ? bytes : undefined;
  }

  /** Deletes inputs older than `maxAgeMs`; returns how many. */
  prune(maxAgeMs: number, now = Date.now()): number {
    return pruneOlderThan(this.dir, maxAgeMs, now);
  }
}

/**
 * Serves `store` at `address` (host:port): `GET`/`HEAD /data/<sha256 hex>` → 200 with the bytes,
 * 404 for bytes it does not hold, 400 for any other path, 405 for other methods. With `withhold`
 * (the fault mode) it answers 404 to everything. Resolves once listening.
 */
export async function serveData(store: InputStore, address: string, o: { withhold?: boolean; onServe?: (sha256: string, ok: boolean) => void } = {}): Promise<http.Server> {
  const i = address.lastIndexOf(":");
  const host = address.slice(0, i);
  const port = Number(address.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--data-address must be host:port, got ${JSON.stringify(address)}`);
  const server = http.createServer((req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const url = req.url ?? "";
    const sha = url.startsWith(DATA_PATH) ? url.slice(DATA_PATH.length) : "";
    if (!SHA256_HEX.test(sha)) {
      res.writeHead(400, { "content-type": "text/plain" }).end(`want GET ${DATA_PATH}<sha256 hex>\n`);
      return;
    }
    const bytes = o.withhold ? undefined : store.get(sha);
    o.onServe?.(sha, bytes !== undefined);
    if (!bytes) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not held here\n");
      return;
    }
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": bytes.length, "cache-control": "public, max-age=31536000, immutable" });
    res.end(req.method === "HEAD" ? undefined : Buffer.from(bytes));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}

/** What a job says about its input (x/inference's Job, the fields this needs). */
export interface InputRef {
  readonly id: bigint;
  readonly input: Uint8Array;
  readonly inputUri: string;
  readonly inputSha256: string;
}

export interface ResolveOptions {
  readonly store: InputStore;
  /** x/inference's max_uri_input_bytes. */
  readonly maxBytes: number;
  readonly timeoutMs?: number;
  /** Other validators' data servers (host:port), tried after the URI. */
  readonly peers?: readonly string[];
}

/**
 * A job's input bytes: inline (or provided) on chain; else kept in the store; else fetched from
 * its URI; else from a peer's data server; each fetched copy checked against input_sha256 and
 * kept. Throws the last InputFetchError when nothing gave the bytes.
 */
export async function resolveInput(job: InputRef, o: ResolveOptions): Promise<Uint8Array> {
  if (job.input.length > 0) return job.input;
  const kept = o.store.get(job.inputSha256);
  if (kept) return kept;
  const sources = [job.inputUri, ...(o.peers ?? []).map((p) => dataUrl(p, job.inputSha256))].filter((u) => u !== "");
  let last: InputFetchError = new InputFetchError(`job ${job.id}: no source for input ${job.inputSha256}`, "network");
  for (const uri of sources) {
    try {
      const bytes = await fetchInput(uri, { maxBytes: o.maxBytes, timeoutMs: o.timeoutMs, sha256: job.inputSha256 });
      o.store.put(bytes);
      return bytes;
    } catch (e) {
      last = e instanceof InputFetchError ? e : new InputFetchError((e as Error).message, "network");
    }
  }
  throw last;
}
