/**
 * Transactions several keys sign, one SIGN_MODE_DIRECT signature each — MsgRegisterWorker,
 * which the operator's account and the worker key both sign. CosmJS's SigningStargateClient
 * signs with one key; this builds the same bytes for N: one AuthInfo listing every signer in
 * the order the chain derives them from the messages (the first pays the fee), and one
 * SignDoc per signer with its own account number. The CLI, `ensureWorkerRegistered` and the
 * tests all sign co-signed txs here.
 */
import { encodeSecp256k1Pubkey } from "@cosmjs/amino";
import { fromBase64 } from "@cosmjs/encoding";
import { encodePubkey, makeAuthInfoBytes, makeSignDoc, type EncodeObject, type OfflineDirectSigner, type Registry } from "@cosmjs/proto-signing";
import { BroadcastTxError, QueryClient, StargateClient, accountFromAny, calculateFee, setupAuthExtension, type AuthExtension, type GasPrice, type IndexedTx, type StdFee } from "@cosmjs/stargate";
import type { CometClient } from "@cosmjs/tendermint-rpc";
import { SimulateRequest, SimulateResponse } from "cosmjs-types/cosmos/tx/v1beta1/service";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { broadcastTxSync, waitForTx } from "./broadcast";

/** One key of a co-signed tx. */
export interface TxSigner {
  readonly signer: OfflineDirectSigner;
  /** The signing account (infer1…), one of `signer.getAccounts()`. */
  readonly address: string;
}

/** A signer with what signing needs from the chain. */
export interface SignerAccount extends TxSigner {
  /** Compressed secp256k1 public key. */
  readonly pubkey: Uint8Array;
  readonly accountNumber: bigint;
  readonly sequence: bigint;
}

/** Each signer's key, account number and sequence; throws when an account does not exist on chain (it must, to sign). */
export async function signerAccounts(query: QueryClient & AuthExtension, signers: readonly TxSigner[]): Promise<SignerAccount[]> {
  const out: SignerAccount[] = [];
  for (const s of signers) {
    const key = (await s.signer.getAccounts()).find((a) => a.address === s.address);
    if (!key) throw new Error(`signer does not hold ${s.address}`);
    const any = await query.auth.account(s.address).catch(() => null);
    if (!any) throw new Error(`account ${s.address} not found on chain: every signer's account must exist (send it any amount first)`);
    const acc = accountFromAny(any);
    out.push({ ...s, pubkey: key.pubkey, accountNumber: BigInt(acc.accountNumber), sequence: BigInt(acc.sequence) });
  }
  return out;
}

function bodyBytes(registry: Registry, messages: readonly EncodeObject[], memo: string): Uint8Array {
  return registry.encode({ typeUrl: "/cosmos.tx.v1beta1.TxBody", value: { messages, memo } });
}

function authInfoBytes(accounts: readonly SignerAccount[], fee: StdFee): Uint8Array {
  const infos = accounts.map((a) => ({ pubkey: encodePubkey(encodeSecp256k1Pubkey(a.pubkey)), sequence: Number(a.sequence) }));
  return makeAuthInfoBytes(infos, fee.amount, Number(fee.gas), fee.granter, fee.payer);
}

/** Signs `messages` with every account, in order; the first pays `fee`. */
export async function signMulti(accounts: readonly SignerAccount[], registry: Registry, chainId: string, messages: readonly EncodeObject[], fee: StdFee, memo = ""): Promise<TxRaw> {
  if (accounts.length === 0) throw new Error("no signers");
  const body = bodyBytes(registry, messages, memo);
  const authInfo = authInfoBytes(accounts, fee);
  const signatures: Uint8Array[] = [];
  for (const a of accounts) {
    const { signature } = await a.signer.signDirect(a.address, makeSignDoc(body, authInfo, chainId, Number(a.accountNumber)));
    signatures.push(fromBase64(signature.signature));
  }
  return TxRaw.fromPartial({ bodyBytes: body, authInfoBytes: authInfo, signatures });
}

/** Gas the co-signed tx uses: Simulate with every signer listed and empty signatures (the chain checks none there). */
export async function simulateMulti(query: QueryClient, accounts: readonly SignerAccount[], registry: Registry, messages: readonly EncodeObject[], memo = ""): Promise<number> {
  const tx = TxRaw.fromPartial({
    bodyBytes: bodyBytes(registry, messages, memo),
    authInfoBytes: authInfoBytes(accounts, { amount: [], gas: "0" }),
    signatures: accounts.map(() => new Uint8Array()),
  });
  const res = await query.queryAbci("/cosmos.tx.v1beta1.Service/Simulate", SimulateRequest.encode({ txBytes: TxRaw.encode(tx).finish() }).finish());
  const gas = SimulateResponse.decode(res.value).gasInfo?.gasUsed;
  if (gas === undefined) throw new Error("simulation returned no gas info");
  return Number(gas);
}

/**
 * `signAndBroadcast` (broadcast.ts) for a co-signed tx: simulates (× `gasAdjustment`), signs
 * with every signer, broadcasts, waits for the block. A CheckTx refusal throws a
 * BroadcastTxError; a tx that failed in its block resolves with its code.
 */
export async function signAndBroadcastMulti(
  comet: CometClient,
  rpcUrl: string,
  signers: readonly TxSigner[],
  messages: readonly EncodeObject[],
  o: { registry: Registry; gasPrice: GasPrice; gasAdjustment?: number; memo?: string; timeoutMs?: number },
): Promise<IndexedTx> {
  const memo = o.memo ?? "";
  const query = QueryClient.withExtensions(comet, setupAuthExtension);
  const client = StargateClient.create(comet);
  const accounts = await signerAccounts(query, signers);
  const gas = Math.ceil((await simulateMulti(query, accounts, o.registry, messages, memo)) * (o.gasAdjustment ?? 1.4));
  const raw = await signMulti(accounts, o.registry, await client.getChainId(), messages, calculateFee(gas, o.gasPrice), memo);
  const res = await broadcastTxSync(rpcUrl, TxRaw.encode(raw).finish());
  if (res.code !== 0) throw new BroadcastTxError(res.code, res.codespace, res.log);
  const tx = await waitForTx(client, res.hash, o.timeoutMs ?? 60_000);
  if (!tx) throw new Error(`tx ${res.hash} was accepted but not included within ${(o.timeoutMs ?? 60_000) / 1000} s`);
  return tx;
}
