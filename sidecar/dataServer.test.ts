import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { InputFetchError, dataUrl, fetchInput, sha256Hex } from "../client/inputData";
import { InputStore, resolveInput, serveData } from "./dataServer";

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-data-"));
const BYTES = new Uint8Array(Buffer.from("some canonical tensor list bytes"));
const SHA = sha256Hex(BYTES);

const addr = (s: http.Server): string => `127.0.0.1:${(s.address() as AddressInfo).port}`;
const close = (s: http.Server): Promise<void> => new Promise((r) => s.close(() => r()));

/** A loopback server answering every GET with `handler`. */
async function origin(handler: http.RequestListener): Promise<http.Server> {
  const s = http.createServer(handler);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  return s;
}

describe("InputStore", () => {
  it("keeps bytes under their sha256 and reads back only bytes that still hash to it", () => {
    const store = new InputStore(tmp());
    expect(store.put(BYTES)).toBe(SHA);
    expect(store.get(SHA)).toEqual(BYTES);
    expect(store.get("00".repeat(32))).toBeUndefined();
    fs.writeFileSync(path.join(store.dir, `${SHA}.bin`), "tampered");
    expect(store.get(SHA)).toBeUndefined();
    expect(store.get("../../etc/passwd")).toBeUndefined();
    // Kept again: the damaged copy is replaced.
    store.put(BYTES);
    expect(store.get(SHA)).toEqual(BYTES);
  });
});

describe("serveData", () => {
  it("serves held bytes by hash; 404 for others, 400 for other paths, 405 for other methods", async () => {
    const store = new InputStore(tmp());
    store.put(BYTES);
    const server = await serveData(store, "127.0.0.1:0");
    try {
      const base = `http://${addr(server)}`;
      const ok = await fetch(`${base}/data/${SHA}`);
      expect(ok.status).toBe(200);
      expect(new Uint8Array(await ok.arrayBuffer())).toEqual(BYTES);
      expect((await fetch(`${base}/data/${"ab".repeat(32)}`)).status).toBe(404);
      expect((await fetch(`${base}/data/../../etc/passwd`)).status).toBe(400);
      expect((await fetch(`${base}/metrics`)).status).toBe(400);
      expect((await fetch(`${base}/data/${SHA}`, { method: "POST", body: "x" })).status).toBe(405);
      // What a client or verifier does with it: fetch with the hash.
      expect(await fetchInput(dataUrl(addr(server), SHA), { maxBytes: 1024, sha256: SHA })).toEqual(BYTES);
    } finally {
      await close(server);
    }
  });

  it("withhold: serves nothing", async () => {
    const store = new InputStore(tmp());
    store.put(BYTES);
    const server = await serveData(store, "127.0.0.1:0", { withhold: true });
    try {
      expect((await fetch(`http://${addr(server)}/data/${SHA}`)).status).toBe(404);
    } finally {
      await close(server);
    }
  });
});

describe("fetchInput", () => {
  const expectFetchError = async (p: Promise<unknown>, reason: InputFetchError["reason"]): Promise<void> => {
    await expect(p).rejects.toBeInstanceOf(InputFetchError);
    await expect(p).rejects.toMatchObject({ reason });
  };

  it("refuses a body above the cap (declared or streamed), a wrong hash, an HTTP error, a slow server and a bad URI", async () => {
    const big = new Uint8Array(5000);
    const s = await origin((req, res) => {
      if (req.url === "/big") res.end(Buffer.from(big));
      else if (req.url === "/chunked") {
        res.writeHead(200, { "transfer-encoding": "chunked" });
        for (let i = 0; i < 5; i++) res.write(Buffer.alloc(1000));
        res.end();
      } else if (req.url === "/ok") res.end(Buffer.from(BYTES));
      else if (req.url === "/slow") setTimeout(() => res.end("late"), 600);
      else res.writeHead(500).end();
    });
    try {
      const base = `http://${addr(s)}`;
      await expectFetchError(fetchInput(`${base}/big`, { maxBytes: 4096 }), "too_large");
      await expectFetchError(fetchInput(`${base}/chunked`, { maxBytes: 4096 }), "too_large");
      await expectFetchError(fetchInput(`${base}/ok`, { maxBytes: 4096, sha256: "00".repeat(32) }), "hash_mismatch");
      await expectFetchError(fetchInput(`${base}/err`, { maxBytes: 4096 }), "http_status");
      await expectFetchError(fetchInput(`${base}/slow`, { maxBytes: 4096, timeoutMs: 200 }), "timeout");
      await expectFetchError(fetchInput("file:///etc/passwd", { maxBytes: 4096 }), "invalid_uri");
      expect(await fetchInput(`${base}/ok`, { maxBytes: 4096, sha256: SHA })).toEqual(BYTES);
    } finally {
      await close(s);
    }
  });
});

describe("resolveInput", () => {
  it("on chain, then kept, then the URI, then a peer's data server; each copy checked and kept", async () => {
    const peerStore = new InputStore(tmp());
    peerStore.put(BYTES);
    const peer = await serveData(peerStore, "127.0.0.1:0");
    let originHits = 0;
    const wrong = await origin((_req, res) => {
      originHits++;
      res.end("not the input");
    });
    try {
      const store = new InputStore(tmp());
      const job = { id: 1n, input: new Uint8Array(), inputUri: `http://${addr(wrong)}/x`, inputSha256: SHA };
      // The URI serves other bytes: the peer's copy is used and kept.
      expect(await resolveInput(job, { store, maxBytes: 4096, peers: [addr(peer)] })).toEqual(BYTES);
      expect(originHits).toBe(1);
      expect(store.get(SHA)).toEqual(BYTES);
      // Kept: no fetch at all.
      expect(await resolveInput(job, { store, maxBytes: 4096 })).toEqual(BYTES);
      expect(originHits).toBe(1);
      // On chain: used as is.
      expect(await resolveInput({ ...job, input: Uint8Array.of(1) }, { store: new InputStore(tmp()), maxBytes: 4096 })).toEqual(Uint8Array.of(1));
      // Nowhere: the last error.
      await expect(resolveInput(job, { store: new InputStore(tmp()), maxBytes: 4096 })).rejects.toMatchObject({ reason: "hash_mismatch" });
    } finally {
      await close(peer);
      await close(wrong);
    }
  });
});
