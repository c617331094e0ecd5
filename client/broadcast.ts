/**
 * `broadcast_tx_sync` over plain JSON-RPC, and waiting for a tx to land.
 *
 * Why not CosmJS's `broadcastTxSync`: CometBFT v0.38 writes the CheckTx `data` of the answer
 * as hex (HexBytes), CosmJS's comet38 adaptor reads it as base64. Cosmos SDK apps return no
 * CheckTx data, so CosmJS never meets it; this app returns the messages' responses there, and
 * a hex string whose length is not a multiple of 4 makes CosmJS throw "Invalid string. Length
 * must be a multiple of 4" for a tx the node accepted. Reading the answer here sidesteps it.
 */
import { toBase64 } from "@cosmjs/encoding";
import type { EncodeObject } from "@cosmjs/proto-signing";
import { BroadcastTxError, calculateFee, type GasPrice, type IndexedTx, type SigningStargateClient, type StargateClient } from "@cosmjs/stargate";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";

export interface CheckTxResult {
  readonly code: number;
  readonly codespace: string;
  readonly log: string;
  /** Upper-case hex sha256 of the tx. */
  readonly hash: string;
}

let id = 0;

/** Sends signed TxRaw bytes; resolves with CheckTx's verdict (code 0: in the mempool). Throws on RPC errors. */
export async function broadcastTxSync(rpcUrl: string, tx: Uint8Array, timeoutMs = 10_000): Promise<CheckTxResult> {
  const res = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method: "broadcast_tx_sync", params: { tx: toBase64(tx) } }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await res.json()) as { result?: { code?: number; codespace?: string; log?: string; hash?: string }; error?: { message?: string; data?: string } };
  if (!body.result) throw new Error(`broadcast_tx_sync: ${body.error?.data ?? body.error?.message ?? `HTTP ${res.status}`}`);
  return { code: Number(body.result.code ?? 0), codespace: body.result.codespace ?? "", log: body.result.log ?? "", hash: String(body.result.hash ?? "").toUpperCase() };
}

/** Polls for the tx by hash until it is in a block; undefined after `timeoutMs`. */
export async function waitForTx(client: StargateClient, hash: string, timeoutMs = 60_000, pollMs = 250): Promise<IndexedTx | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const tx = await client.getTx(hash).catch(() => null);
    if (tx) return tx;
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * SigningStargateClient.signAndBroadcast without CosmJS's broadcast decoding: simulates the
 * gas (× `gasAdjustment`), signs, broadcasts, waits for the block. CheckTx refusals throw a
 * BroadcastTxError, as CosmJS does; a tx that failed in its block resolves with its code.
 */
export async function signAndBroadcast(
  client: SigningStargateClient,
  rpcUrl: string,
  signer: string,
  messages: readonly EncodeObject[],
  o: { gasPrice: GasPrice; gasAdjustment?: number; memo?: string; timeoutMs?: number },
): Promise<IndexedTx> {
  const memo = o.memo ?? "";
  const gas = Math.ceil((await client.simulate(signer, messages, memo)) * (o.gasAdjustment ?? 1.4));
  const raw = await client.sign(signer, messages, calculateFee(gas, o.gasPrice), memo);
  const res = await broadcastTxSync(rpcUrl, TxRaw.encode(raw).finish());
  if (res.code !== 0) throw new BroadcastTxError(res.code, res.codespace, res.log);
  const tx = await waitForTx(client, res.hash, o.timeoutMs ?? 60_000);
  if (!tx) throw new Error(`tx ${res.hash} was accepted but not included within ${(o.timeoutMs ?? 60_000) / 1000} s`);
  return tx;
}
