/**
 * Malformed ABCI frames at the socket: random payloads, payloads that are not a `Request`,
 * varint prefixes that never end or announce more than the cap, frames cut off mid-way, and
 * mempool/query requests with random content, over many connections. The server may close a
 * connection it cannot read, but it never crashes, never stops serving new connections, and
 * nothing it received changes committed state.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Request, Response } from "cosmjs-types/tendermint/abci/types";
import { frame, startAbciServer } from "../base/abci/server";
import { genesisBytes, hex, openChain, runBlock } from "./support/chain";
import { testKey } from "./support/txs";
import { mulberry32 } from "./support/rng";

const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) >>> 0 : 0xabc1;
const FRAMES = process.env.FUZZ_FRAMES !== undefined ? Number(process.env.FUZZ_FRAMES) : 20_000;
const PER_CONNECTION = 200;


const silent = { info: () => undefined, error: () => undefined, debug: () => undefined };

/** Sends `bytes` and collects what comes back until the server closes or goes quiet. */
function exchange(address: string, bytes: Buffer, quietMs = 30): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const sock = net.createConnection(address);
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const done = (closed: boolean): void => {
      if (timer) clearTimeout(timer);
      sock.destroy();
      resolve({ data: Buffer.concat(chunks), closed });
    };
    const arm = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => done(false), quietMs);
    };
    sock.on("connect", () => {
      sock.write(bytes);
      arm();
    });
    sock.on("data", (c) => {
      chunks.push(c);
      arm();
    });
    sock.on("close", () => done(true));
    sock.on("error", () => done(true));
  });
}

/** Reads back length-prefixed Responses (as many as are complete). */
function responses(data: Buffer): Response[] {
  const out: Response[] = [];
  let off = 0;
  while (off < data.length) {
    let len = 0;
    let shift = 0;
    let i = off;
    for (; i < data.length; i++) {
      len += (data[i] & 0x7f) * 2 ** shift;
      shift += 7;
      if ((data[i] & 0x80) === 0) break;
    }
    if (i >= data.length || i + 1 + len > data.length) break;
    out.push(Response.decode(data.subarray(i + 1, i + 1 + len)));
    off = i + 1 + len;
  }
  return out;
}

test(`${FRAMES} malformed ABCI frames: no crash, new connections still served, committed state unchanged`, async () => {
  const rnd = mulberry32(SEED);
  const int = (n: number): number => Math.floor(rnd() * n);
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)));
  const alice = await testKey(1);
  const chain = await openChain("frames-1", genesisBytes([[alice.address, 10n ** 9n]]), "inferchain-frames-");
  await runBlock(chain.app, 1n, []);
  const sock = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-abci-")), "app.sock");
  const server = await startAbciServer(chain.app, `unix://${sock}`, silent);
  const before = chain.app.info({ version: "", blockVersion: 0n, p2pVersion: 0n, abciVersion: "" });
  const kinds = new Map<string, number>();
  try {
    // Half the connections carry only well-framed requests with random content (answered one by
    // one); the other half mix in broken framing, which makes the server drop the connection.
    const makeFrame = (wellFramed: boolean): Buffer => {
      const k = wellFramed ? 5 + int(3) : int(8);
      const kind = ["random payload", "non-Request bytes", "endless varint", "oversize length", "cut-off frame", "random CheckTx", "random Query", "zero-length"][k];
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      switch (k) {
        case 0:
          return frame(bytes(int(300)));
        case 1:
          return frame(Buffer.concat([Buffer.from([0xff, 0xff, 0xff]), bytes(int(40))]));
        case 2:
          return Buffer.alloc(12 + int(20), 0xff);
        case 3:
          return Buffer.from([0x80, 0x80, 0x80, 0x80, 0x40 + int(60), ...bytes(10)]);
        case 4:
          return frame(bytes(50 + int(200))).subarray(0, 1 + int(40));
        case 5:
          return frame(Request.encode(Request.fromPartial({ checkTx: { tx: bytes(int(500)), type: int(2) } })).finish());
        case 6:
          return frame(Request.encode(Request.fromPartial({ query: { path: ["/cosmos.bank.v1beta1.Query/Balance", "/store/key", "/x/" + bytes(4).toString("hex")][int(3)], data: bytes(int(100)), height: BigInt(int(3)), prove: rnd() < 0.5 } })).finish());
        default:
          return Buffer.from([0]);
      }
    };
    let sent = 0;
    let answered = 0;
    while (sent < FRAMES) {
      const parts: Buffer[] = [];
      const wellFramed = rnd() < 0.5;
      for (let i = 0; i < PER_CONNECTION && sent < FRAMES; i++, sent++) parts.push(makeFrame(wellFramed));
      const { data } = await exchange(`${sock}`, Buffer.concat(parts));
      answered += responses(data).length;
      // After each connection a well-formed request on a new one is still answered.
      if (sent % (PER_CONNECTION * 10) === 0) {
        const echo = await exchange(sock, frame(Request.encode(Request.fromPartial({ echo: { message: "alive" } })).finish()));
        expect(responses(echo.data)[0]?.echo?.message).toBe("alive");
      }
    }
    const info = await exchange(sock, frame(Request.encode(Request.fromPartial({ info: {} })).finish()));
    const r = responses(info.data)[0]?.info;
    expect(r?.lastBlockHeight).toBe(before.lastBlockHeight);
    expect(hex(r!.lastBlockAppHash)).toBe(hex(before.lastBlockAppHash));
    // Garbage was not all refused at the first byte: some frames were read and answered.
    expect(answered).toBeGreaterThan(0);
    console.log(`abci frames: seed ${SEED}: ${FRAMES} frames, ${answered} answered; ${[...kinds].map(([k, v]) => `${k} ${v}`).join(", ")}`);
  } finally {
    await server.close();
    await chain.close();
  }
}, 300_000);
