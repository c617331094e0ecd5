/**
 * An in-process chain for adversarial tests (bad input, fuzzing): an app on a temp LevelDB
 * directory, block helpers, state snapshots, and a tx builder that can produce any shape of
 * tx (custom body/auth-info bytes, wrong keys, wrong chain ids) signed SIGN_MODE_DIRECT.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { encodeSecp256k1Pubkey } from "@cosmjs/amino";
import { Secp256k1, sha256 } from "@cosmjs/crypto";
import { encodePubkey, makeAuthInfoBytes, makeSignBytes, makeSignDoc } from "@cosmjs/proto-signing";
import { BaseAccount, ModuleAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { QueryAccountRequest, QueryAccountResponse } from "cosmjs-types/cosmos/auth/v1beta1/query";
import { QueryBalanceRequest, QueryBalanceResponse } from "cosmjs-types/cosmos/bank/v1beta1/query";
import { TxBody, TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import type { Any } from "cosmjs-types/google/protobuf/any";
import type { RequestFinalizeBlock, RequestPrepareProposal, RequestProcessProposal, ResponseFinalizeBlock } from "cosmjs-types/tendermint/abci/types";
import { createInferchainApp } from "../../app/app";
import type { BaseApp } from "../../base/baseapp";
import { Branch } from "../../base/store/kv";
import type { TestKey } from "./txs";

export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

export function genesisBytes(funded: ReadonlyArray<readonly [string, bigint]>): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      auth: { accounts: funded.map(([address]) => ({ address })) },
      bank: { balances: funded.map(([address, amount]) => ({ address, coins: [{ denom: "uinf", amount: amount.toString() }] })) },
    }),
  );
}

export interface TestChain {
  readonly app: BaseApp;
  readonly dir: string;
  close(): Promise<void>;
}

/** A fresh app on its own temp LevelDB directory, after InitChain. */
export async function openChain(chainId: string, genesis: Uint8Array, prefix = "inferchain-test-"): Promise<TestChain> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const app = await createInferchainApp({ dbDir: dir });
  app.initChain({ time: { seconds: 1_700_000_000n, nanos: 0 }, chainId, consensusParams: undefined, validators: [], appStateBytes: genesis, initialHeight: 1n });
  return {
    app,
    dir,
    async close() {
      await app.store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The FinalizeBlock request every test uses for `height`: only the txs differ between apps. */
export function finalizeRequest(height: bigint, txs: Uint8Array[]): RequestFinalizeBlock {
  return {
    txs,
    decidedLastCommit: { round: 0, votes: [] },
    misbehavior: [],
    hash: new Uint8Array(32).fill(Number(height % 256n)),
    height,
    time: { seconds: 1_700_000_000n + height, nanos: 0 },
    nextValidatorsHash: new Uint8Array(),
    proposerAddress: new Uint8Array(20),
  };
}

export function proposalRequest(height: bigint, txs: Uint8Array[]): { prepare: RequestPrepareProposal; process: RequestProcessProposal } {
  const f = finalizeRequest(height, txs);
  return {
    prepare: { maxTxBytes: 100_000_000n, txs, localLastCommit: { round: 0, votes: [] }, misbehavior: [], height, time: f.time, nextValidatorsHash: new Uint8Array(), proposerAddress: f.proposerAddress },
    process: { txs, proposedLastCommit: { round: 0, votes: [] }, misbehavior: [], hash: f.hash, height, time: f.time, nextValidatorsHash: new Uint8Array(), proposerAddress: f.proposerAddress },
  };
}

/** FinalizeBlock then Commit. */
export async function runBlock(app: BaseApp, height: bigint, txs: Uint8Array[]): Promise<ResponseFinalizeBlock> {
  const fin = await app.finalizeBlock(finalizeRequest(height, txs));
  await app.commit();
  return fin;
}

export async function balance(app: BaseApp, address: string, denom = "uinf"): Promise<bigint> {
  const r = await app.query({ path: "/cosmos.bank.v1beta1.Query/Balance", data: QueryBalanceRequest.encode({ address, denom }).finish(), height: 0n, prove: false });
  if (r.code !== 0) throw new Error(`balance query failed: ${r.log}`);
  return BigInt(QueryBalanceResponse.decode(r.value).balance?.amount ?? "0");
}

/** An account's (number, sequence, has pubkey), or undefined if it does not exist. */
export async function account(app: BaseApp, address: string): Promise<{ accountNumber: bigint; sequence: bigint; hasPubkey: boolean } | undefined> {
  const r = await app.query({ path: "/cosmos.auth.v1beta1.Query/Account", data: QueryAccountRequest.encode({ address }).finish(), height: 0n, prove: false });
  if (r.code !== 0) return undefined;
  const any = QueryAccountResponse.decode(r.value).account!;
  const a = any.typeUrl === "/cosmos.auth.v1beta1.ModuleAccount" ? ModuleAccount.decode(any.value).baseAccount! : BaseAccount.decode(any.value);
  return { accountNumber: a.accountNumber, sequence: a.sequence, hasPubkey: a.pubKey !== undefined };
}

/**
 * The writes CheckTx has buffered on top of committed state. BaseApp keeps its check state
 * private; tests read it to prove a refused tx left no trace there.
 */
export function checkStateWrites(app: BaseApp): string[] {
  const cs = (app as unknown as { checkState?: unknown }).checkState;
  if (!(cs instanceof Branch)) throw new Error("BaseApp.checkState is no longer a Branch: update checkStateWrites()");
  return cs.changes().map(([k, v]) => `${k}=${v ? hex(v) : "<deleted>"}`);
}

/** Everything a refused tx must leave alone: committed height and hash, balances, sequences, check state. */
export async function snapshot(app: BaseApp, addresses: readonly string[]): Promise<Record<string, string>> {
  const info = app.info({ version: "", blockVersion: 0n, p2pVersion: 0n, abciVersion: "" });
  const out: Record<string, string> = { height: info.lastBlockHeight.toString(), appHash: hex(info.lastBlockAppHash), checkState: checkStateWrites(app).join("\n") };
  for (const a of addresses) {
    out[`balance ${a}`] = (await balance(app, a)).toString();
    const acc = await account(app, a);
    out[`account ${a}`] = acc ? `${acc.accountNumber}/${acc.sequence}/${acc.hasPubkey}` : "none";
  }
  return out;
}

export interface TxSpec {
  /** Whose key signs; `signWith` overrides the private key, `pubkey` the key put in the signer info. */
  readonly key: TestKey;
  readonly signWith?: Uint8Array;
  readonly pubkey?: Uint8Array;
  readonly msgs: Any[];
  readonly chainId: string;
  readonly accountNumber: bigint;
  readonly sequence: bigint;
  readonly gas?: bigint;
  readonly fee?: bigint;
  readonly feeDenom?: string;
  readonly memo?: string;
  /** Replaces the encoded body (e.g. with unknown fields appended); it is what gets signed. */
  readonly bodyBytes?: Uint8Array;
}

export interface BuiltTx {
  readonly bodyBytes: Uint8Array;
  readonly authInfoBytes: Uint8Array;
  readonly signature: Uint8Array;
  readonly bytes: Uint8Array;
}

export function encodeBody(msgs: Any[], memo = ""): Uint8Array {
  return TxBody.encode(TxBody.fromPartial({ messages: msgs, memo })).finish();
}

export function authInfoBytes(pubkey: Uint8Array, sequence: bigint, gas: bigint, fee: bigint, feeDenom = "uinf"): Uint8Array {
  return makeAuthInfoBytes([{ pubkey: encodePubkey(encodeSecp256k1Pubkey(pubkey)), sequence: Number(sequence) }], [{ denom: feeDenom, amount: fee.toString() }], Number(gas), undefined, undefined);
}

/** r ‖ s (64 bytes, low-s) over the SIGN_MODE_DIRECT sign doc. */
export async function signDirect(privkey: Uint8Array, bodyBytes: Uint8Array, authInfo: Uint8Array, chainId: string, accountNumber: bigint): Promise<Uint8Array> {
  const signBytes = makeSignBytes(makeSignDoc(bodyBytes, authInfo, chainId, Number(accountNumber)));
  const sig = await Secp256k1.createSignature(sha256(signBytes), privkey);
  return new Uint8Array([...sig.r(32), ...sig.s(32)]);
}

export async function buildTx(s: TxSpec): Promise<BuiltTx> {
  const gas = s.gas ?? 200_000n;
  const fee = s.fee ?? (gas * 25n + 999n) / 1000n;
  const bodyBytes = s.bodyBytes ?? encodeBody(s.msgs, s.memo);
  const auth = authInfoBytes(s.pubkey ?? s.key.pubkey, s.sequence, gas, fee, s.feeDenom);
  const signature = await signDirect(s.signWith ?? s.key.privkey, bodyBytes, auth, s.chainId, s.accountNumber);
  return { bodyBytes, authInfoBytes: auth, signature, bytes: TxRaw.encode({ bodyBytes, authInfoBytes: auth, signatures: [signature] }).finish() };
}

/** TxRaw with the given signatures (any length, any number). */
export function withSignatures(tx: BuiltTx, signatures: Uint8Array[]): Uint8Array {
  return TxRaw.encode({ bodyBytes: tx.bodyBytes, authInfoBytes: tx.authInfoBytes, signatures }).finish();
}
