/**
 * Builds and signs real Cosmos txs with CosmJS, for tests, the fuzzer and the benchmark.
 */
import { encodePubkey, makeAuthInfoBytes, makeSignDoc, makeSignBytes, Registry, DirectSecp256k1Wallet } from "@cosmjs/proto-signing";
import { encodeSecp256k1Pubkey } from "@cosmjs/amino";
import { Secp256k1, sha256 } from "@cosmjs/crypto";
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import type { Any } from "cosmjs-types/google/protobuf/any";
import { secp256k1Address } from "../../base/types/address";
import { signMulti } from "../../client/multiSign";
import { inferchainRegistry } from "../../client/registry";

export interface TestKey {
  readonly privkey: Uint8Array;
  readonly pubkey: Uint8Array; // compressed
  readonly address: string;
}

/** A deterministic key from a seed number (tests only). */
export async function testKey(seed: number): Promise<TestKey> {
  const privkey = sha256(new TextEncoder().encode(`inferchain-test-key-${seed}`));
  const kp = await Secp256k1.makeKeypair(privkey);
  const pubkey = Secp256k1.compressPubkey(kp.pubkey);
  return { privkey, pubkey, address: secp256k1Address(pubkey) };
}

export const registry = new Registry();

export function msgSendAny(from: string, to: string, amount: bigint, denom = "uinf"): Any {
  return {
    typeUrl: "/cosmos.bank.v1beta1.MsgSend",
    value: MsgSend.encode({ fromAddress: from, toAddress: to, amount: [{ denom, amount: amount.toString() }] }).finish(),
  };
}

export interface SignOpts {
  readonly chainId: string;
  readonly accountNumber: bigint;
  readonly sequence: bigint;
  readonly fee?: bigint;
  readonly gas?: bigint;
  readonly memo?: string;
  readonly feeDenom?: string;
}

/** Encodes the body with CosmJS's registry and signs SIGN_MODE_DIRECT; returns TxRaw bytes. */
export async function signTx(key: TestKey, messages: Any[], o: SignOpts): Promise<Uint8Array> {
  const { TxBody } = await import("cosmjs-types/cosmos/tx/v1beta1/tx");
  const bodyBytes = TxBody.encode(TxBody.fromPartial({ messages, memo: o.memo ?? "" })).finish();
  const gas = o.gas ?? 200_000n;
  const fee = o.fee ?? (gas * 25n + 999n) / 1000n;
  const authInfoBytes = makeAuthInfoBytes(
    [{ pubkey: encodePubkey(encodeSecp256k1Pubkey(key.pubkey)), sequence: Number(o.sequence) }],
    [{ denom: o.feeDenom ?? "uinf", amount: fee.toString() }],
    Number(gas),
    undefined,
    undefined,
  );
  const signDoc = makeSignDoc(bodyBytes, authInfoBytes, o.chainId, Number(o.accountNumber));
  const wallet = await DirectSecp256k1Wallet.fromKey(key.privkey, "infer");
  const { signature } = await wallet.signDirect(key.address, signDoc);
  return TxRaw.encode({ bodyBytes, authInfoBytes, signatures: [Buffer.from(signature.signature, "base64")] }).finish();
}

/** Faster signing for benchmarks: the same bytes CosmJS makes, signed with @cosmjs/crypto directly. */
export async function signTxFast(key: TestKey, messages: Any[], o: SignOpts): Promise<Uint8Array> {
  const { TxBody } = await import("cosmjs-types/cosmos/tx/v1beta1/tx");
  const bodyBytes = TxBody.encode(TxBody.fromPartial({ messages, memo: o.memo ?? "" })).finish();
  const gas = o.gas ?? 200_000n;
  const fee = o.fee ?? (gas * 25n + 999n) / 1000n;
  const authInfoBytes = makeAuthInfoBytes(
    [{ pubkey: encodePubkey(encodeSecp256k1Pubkey(key.pubkey)), sequence: Number(o.sequence) }],
    [{ denom: "uinf", amount: fee.toString() }],
    Number(gas),
    undefined,
    undefined,
  );
  const signBytes = makeSignBytes(makeSignDoc(bodyBytes, authInfoBytes, o.chainId, Number(o.accountNumber)));
  const sig = await Secp256k1.createSignature(sha256(signBytes), key.privkey);
  return TxRaw.encode({ bodyBytes, authInfoBytes, signatures: [new Uint8Array([...sig.r(32), ...sig.s(32)])] }).finish();
}

/**
 * A tx several test keys sign, through client/multiSign.ts (the one path the CLI and
 * `ensureWorkerRegistered` sign co-signed txs with); the first signer pays the fee.
 */
export async function signMultiTx(
  signers: ReadonlyArray<{ readonly key: TestKey; readonly accountNumber: bigint; readonly sequence: bigint }>,
  messages: ReadonlyArray<{ readonly typeUrl: string; readonly value: unknown }>,
  o: { readonly chainId: string; readonly gas?: bigint; readonly fee?: bigint; readonly memo?: string },
): Promise<Uint8Array> {
  const accounts = await Promise.all(
    signers.map(async (s) => ({ signer: await DirectSecp256k1Wallet.fromKey(s.key.privkey, "infer"), address: s.key.address, pubkey: s.key.pubkey, accountNumber: s.accountNumber, sequence: s.sequence })),
  );
  const gas = o.gas ?? 200_000n;
  const fee = o.fee ?? (gas * 25n + 999n) / 1000n;
  const raw = await signMulti(accounts, inferchainRegistry(), o.chainId, messages, { amount: [{ denom: "uinf", amount: fee.toString() }], gas: gas.toString() }, o.memo ?? "");
  return TxRaw.encode(raw).finish();
}
