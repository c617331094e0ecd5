/**
 * The sidecar's view of the chain: one websocket subscription to CometBFT's NewBlock events,
 * which carry every event of the block (FinalizeBlock's own, where jobs are assigned at the
 * end of the block, and each tx's) and every tx's result code. Subscribing to
 * `tm.event='Tx' AND job_assigned.worker=…` would miss the end-block events, and a NewBlock
 * per height doubles as the liveness signal.
 *
 * The connection is given up and made anew (after a backoff with jitter) when the socket
 * errors or closes, when no block came for `stallMs`, or when the node refuses the
 * subscription; `onConnected` runs after every (re)subscription so the caller can resume
 * from chain state whatever blocks it missed. Blocks are handed over one at a time, in order.
 */
import { sha256 } from "@cosmjs/crypto";
import { fromBase64, toHex } from "@cosmjs/encoding";
import { StreamingSocket } from "@cosmjs/socket";
import type { Logger } from "pino";
import { Backoff, sleep } from "./backoff";

export interface ChainEvent {
  readonly type: string;
  /** Attribute key → value (CometBFT queries name them `type.key`). */
  readonly attributes: Readonly<Record<string, string>>;
}

export interface BlockTxResult {
  /** Upper-case hex sha256 of the tx bytes, as broadcast_tx_sync returns it. */
  readonly hash: string;
  readonly code: number;
  readonly codespace: string;
  readonly log: string;
}

export interface BlockInfo {
  readonly height: bigint;
  /** FinalizeBlock's events, then each tx's, in block order. */
  readonly events: readonly ChainEvent[];
  readonly txs: readonly BlockTxResult[];
}

type Json = Record<string, unknown>;

function events(raw: unknown): ChainEvent[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((e: Json) => {
    const attributes: Record<string, string> = {};
    for (const a of (Array.isArray(e.attributes) ? e.attributes : []) as Json[]) attributes[String(a.key)] = String(a.value ?? "");
    return { type: String(e.type), attributes };
  });
}

/** A CometBFT v0.38 NewBlock event (`data.value` of the subscription message) → BlockInfo. */
export function parseNewBlock(value: Json): BlockInfo {
  const block = value.block as Json | undefined;
  const header = block?.header as Json | undefined;
  if (!header || header.height === undefined) throw new Error("NewBlock event without block.header.height");
  const result = (value.result_finalize_block ?? {}) as Json;
  const rawTxs = ((block!.data as Json | undefined)?.txs ?? []) as string[];
  const results = (Array.isArray(result.tx_results) ? result.tx_results : []) as Json[];
  const txs = rawTxs.map((b64, i) => ({
    hash: toHex(sha256(fromBase64(b64))).toUpperCase(),
    code: Number(results[i]?.code ?? 0),
    codespace: String(results[i]?.codespace ?? ""),
    log: String(results[i]?.log ?? ""),
  }));
  const all = [...events(result.events), ...results.flatMap((r) => events(r.events))];
  return { height: BigInt(String(header.height)), events: all, txs };
}

export interface BlockWatcherOptions {
  /** http://host:port of CometBFT's RPC; the websocket is at ws://host:port/websocket. */
  readonly rpcUrl: string;
  readonly onBlock: (b: BlockInfo) => Promise<void>;
  /** After each (re)subscription, before any block of that connection is handed over. */
  readonly onConnected: () => Promise<void>;
  readonly onDisconnected?: (reason: string) => void;
  readonly log: Logger;
  /** Reconnect when no block came for this long (default 30 s). */
  readonly stallMs?: number;
  readonly backoff?: Backoff;
}

export const NEW_BLOCK_QUERY = "tm.event='NewBlock'";
const SUBSCRIPTION_ID = "inferchain-sidecar";

export class BlockWatcher {
  private stopped = false;
  private socket: StreamingSocket | undefined;
  private wake: (() => void) | undefined;
  private readonly backoff: Backoff;
  readonly done: Promise<void>;

  constructor(private readonly o: BlockWatcherOptions) {
    this.backoff = o.backoff ?? new Backoff();
    this.done = this.loop();
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.close();
    this.wake?.();
    return this.done;
  }

  private close(): void {
    try {
      this.socket?.disconnect();
    } catch {
      // never connected
    }
    this.socket = undefined;
  }

  private async loop(): Promise<void> {
    const url = this.o.rpcUrl.replace(/^http/, "ws").replace(/\/$/, "") + "/websocket";
    while (!this.stopped) {
      const reason = await this.session(url).catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
      this.close();
      if (this.stopped) break;
      this.o.onDisconnected?.(reason);
      const delay = this.backoff.next();
      this.o.log.warn({ reason, retryInMs: delay, attempt: this.backoff.attempts }, "chain connection lost; reconnecting");
      await new Promise<void>((r) => {
        this.wake = r;
        void sleep(delay).then(r);
      });
    }
  }

  /** One connection: subscribe, hand over blocks; resolves with the reason it ended. */
  private async session(url: string): Promise<string> {
    const socket = new StreamingSocket(url, 5000);
    this.socket = socket;
    let end!: (reason: string) => void;
    const ended = new Promise<string>((r) => (end = r));
    let chain = Promise.resolve();
    let lastBlock = Date.now();
    const stallMs = this.o.stallMs ?? 30_000;
    socket.events.subscribe({
      next: (ev) => {
        let msg: Json;
        try {
          msg = JSON.parse(String(ev.data)) as Json;
        } catch {
          return;
        }
        // Events carry the subscribe call's id too; its own answer is an empty result.
        if (msg.error !== undefined) {
          end(`subscription refused: ${JSON.stringify(msg.error)}`);
          return;
        }
        const value = ((msg.result as Json | undefined)?.data as Json | undefined)?.value as Json | undefined;
        if (!value) return;
        let info: BlockInfo;
        try {
          info = parseNewBlock(value);
        } catch (e) {
          this.o.log.warn({ err: (e as Error).message }, "unreadable NewBlock event; skipped");
          return;
        }
        lastBlock = Date.now();
        this.backoff.reset();
        chain = chain.then(() => this.o.onBlock(info)).catch((e: unknown) => this.o.log.error({ err: (e as Error).message, height: info.height.toString() }, "block handler failed"));
      },
      error: (e: unknown) => end(`websocket error: ${(e as { message?: string }).message ?? String(e)}`),
      complete: () => end("websocket closed"),
    });
    socket.connect();
    const opened = await Promise.race([socket.connected.then(() => "open"), ended]);
    if (opened !== "open") return opened;
    await socket.send(JSON.stringify({ jsonrpc: "2.0", id: SUBSCRIPTION_ID, method: "subscribe", params: { query: NEW_BLOCK_QUERY } }));
    // Catch up from chain state before the blocks of this connection are handled; a failure
    // (the node's RPC down) ends the connection, so the catch-up is retried after the backoff.
    const caughtUp = this.o.onConnected();
    chain = chain.then(() => caughtUp).catch((e: unknown) => end(`resume from chain state failed: ${(e as Error).message}`));
    this.o.log.info({ url, query: NEW_BLOCK_QUERY }, "subscribed to new blocks");
    const watchdog = setInterval(() => {
      if (Date.now() - lastBlock > stallMs) end(`no new block for ${Math.round((Date.now() - lastBlock) / 1000)} s`);
    }, Math.min(1000, stallMs));
    try {
      return await ended;
    } finally {
      clearInterval(watchdog);
      await chain;
    }
  }
}
