/**
 * Tx decoding: `cosmos.tx.v1beta1.TxRaw` bytes → a checked domain tx. Everything here is
 * stateless, so CheckTx can refuse garbage before it touches state. Every way a tx can be
 * malformed maps to its own error code.
 */
import { createHash } from "node:crypto";
import { PubKey } from "cosmjs-types/cosmos/crypto/secp256k1/keys";
import { SignMode } from "cosmjs-types/cosmos/tx/signing/v1beta1/signing";
import { AuthInfo, TxBody, TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import {
  AppError,
  ErrInvalidGasLimit,
  ErrInvalidPubKey,
  ErrInvalidRequest,
  ErrNoSignatures,
  ErrNonCanonicalEncoding,
  ErrNotSupported,
  ErrTooManySignatures,
  ErrTxDecode,
  ErrTxTooLarge,
  ErrTxTruncated,
  ErrUnauthorized,
  ErrUnknownExtensionOptions,
  ErrUnknownRequest,
  ErrUnsupportedSignMode,
} from "./errors";
import type { MsgHandler } from "./module";
import { parseCoins, type Coin } from "./types/coins";

export const SECP256K1_PUBKEY_TYPE_URL = "/cosmos.crypto.secp256k1.PubKey";
/** Gas limits above this are refused outright (a block's gas is bounded by consensus params too). */
export const MAX_GAS_LIMIT = 100_000_000n;

export interface DecodedMsg {
  readonly typeUrl: string;
  readonly msg: unknown;
  readonly handler: MsgHandler<unknown>;
}

export interface SignerInfo {
  readonly address: string;
  readonly pubkey?: Uint8Array;
  readonly sequence: bigint;
  readonly signature: Uint8Array;
}

export interface DecodedTx {
  readonly bytes: Uint8Array;
  readonly hash: Uint8Array;
  readonly bodyBytes: Uint8Array;
  readonly authInfoBytes: Uint8Array;
  readonly msgs: readonly DecodedMsg[];
  readonly memo: string;
  readonly timeoutHeight: bigint;
  /** Required signers in order of first appearance; the first pays the fee unless `fee.payer` is set. */
  readonly signers: readonly SignerInfo[];
  readonly fee: { readonly amount: readonly Coin[]; readonly gasLimit: bigint; readonly payer: string };
}

export type MsgLookup = (typeUrl: string) => MsgHandler<unknown> | undefined;

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

/** Decodes one protobuf message, telling truncated input from garbage, and insists on canonical bytes. */
function decodeStrict<T>(what: string, codec: { decode(b: Uint8Array): T; encode(m: T): { finish(): Uint8Array } }, bytes: Uint8Array): T {
  let msg: T;
  try {
    msg = codec.decode(bytes);
  } catch (e) {
    const m = (e as Error).message ?? String(e);
    if (e instanceof RangeError && /index out of range|premature EOF/i.test(m)) throw ErrTxTruncated.wrap(`${what}: ${m}`);
    throw ErrTxDecode.wrap(`${what}: ${m}`);
  }
  let again: Uint8Array;
  try {
    again = codec.encode(msg).finish();
  } catch (e) {
    throw ErrTxDecode.wrap(`${what}: ${(e as Error).message}`);
  }
  if (!bytesEqual(again, bytes)) {
    throw ErrNonCanonicalEncoding.wrap(`${what} has unknown fields, duplicate fields or non-minimal encoding`);
  }
  return msg;
}

/**
 * `simulate`: the tx comes from a client estimating gas (CosmJS's `simulate`), which sends no
 * gas limit and SIGN_MODE_UNSPECIFIED with an empty signature, as the Cosmos SDK allows.
 */
export function decodeTx(bytes: Uint8Array, lookup: MsgLookup, maxTxBytes: bigint, simulate = false): DecodedTx {
  if (BigInt(bytes.length) > maxTxBytes) throw ErrTxTooLarge.wrap(`tx is ${bytes.length} bytes, limit ${maxTxBytes}`);
  if (bytes.length === 0) throw ErrTxDecode.wrap("empty tx");
  const raw = decodeStrict("TxRaw", TxRaw, bytes);
  const body = decodeStrict("TxBody", TxBody, raw.bodyBytes);
  const authInfo = decodeStrict("AuthInfo", AuthInfo, raw.authInfoBytes);

  if (body.extensionOptions.length > 0 || body.nonCriticalExtensionOptions.length > 0) {
    throw ErrUnknownExtensionOptions.wrap("extension options are not supported");
  }
  // Fields the chain does not implement are refused rather than ignored: a signer who set
  // them meant something by it.
  if (body.timeoutTimestamp !== undefined) throw ErrNotSupported.wrap("timeout_timestamp is not supported; use timeout_height");
  if (body.unordered) throw ErrNotSupported.wrap("unordered transactions are not supported");
  if (authInfo.tip !== undefined) throw ErrNotSupported.wrap("tips are not supported");
  if (body.messages.length === 0) throw ErrInvalidRequest.wrap("tx must contain at least one message");

  const msgs: DecodedMsg[] = [];
  const signerAddrs: string[] = [];
  for (const [i, any] of body.messages.entries()) {
    const handler = lookup(any.typeUrl);
    if (!handler) throw ErrUnknownRequest.wrap(`unrecognized message type ${JSON.stringify(any.typeUrl)} at index ${i}`);
    let msg: unknown;
    try {
      msg = handler.decode(any.value);
    } catch (e) {
      if (e instanceof AppError) throw e;
      throw ErrTxDecode.wrap(`message ${i} (${any.typeUrl}): ${(e as Error).message}`);
    }
    handler.validateBasic(msg);
    for (const s of handler.signers(msg)) if (!signerAddrs.includes(s)) signerAddrs.push(s);
    msgs.push({ typeUrl: any.typeUrl, msg, handler });
  }

  const fee = authInfo.fee;
  if (!fee) throw ErrInvalidRequest.wrap("tx has no fee");
  if (fee.gasLimit < (simulate ? 0n : 1n) || fee.gasLimit > MAX_GAS_LIMIT) {
    throw ErrInvalidGasLimit.wrap(`gas limit ${fee.gasLimit} outside 1..${MAX_GAS_LIMIT}`);
  }
  if (fee.granter !== "") throw ErrInvalidRequest.wrap("fee grants are not supported");

  if (raw.signatures.length === 0) throw ErrNoSignatures.wrap(`tx needs ${signerAddrs.length} signature(s)`);
  if (authInfo.signerInfos.length !== signerAddrs.length || raw.signatures.length !== signerAddrs.length) {
    throw ErrUnauthorized.wrap(
      `wrong number of signers; expected ${signerAddrs.length}, got ${authInfo.signerInfos.length} signer infos and ${raw.signatures.length} signatures`,
    );
  }
  if (signerAddrs.length > 7) throw ErrTooManySignatures.wrap(`${signerAddrs.length} signers`);

  const signers: SignerInfo[] = signerAddrs.map((address, i) => {
    const info = authInfo.signerInfos[i];
    const single = info.modeInfo?.single;
    const modeOk = single !== undefined && (single.mode === SignMode.SIGN_MODE_DIRECT || (simulate && single.mode === SignMode.SIGN_MODE_UNSPECIFIED));
    if (!modeOk) {
      throw ErrUnsupportedSignMode.wrap(`signer ${i}: only SIGN_MODE_DIRECT is accepted`);
    }
    let pubkey: Uint8Array | undefined;
    if (info.publicKey) {
      if (info.publicKey.typeUrl !== SECP256K1_PUBKEY_TYPE_URL) {
        throw ErrInvalidPubKey.wrap(`signer ${i}: unsupported key type ${JSON.stringify(info.publicKey.typeUrl)}`);
      }
      try {
        pubkey = PubKey.decode(info.publicKey.value).key;
      } catch (e) {
        throw ErrInvalidPubKey.wrap(`signer ${i}: ${(e as Error).message}`);
      }
      if (pubkey.length !== 33) throw ErrInvalidPubKey.wrap(`signer ${i}: key is ${pubkey.length} bytes, want 33 (compressed)`);
    }
    return { address, pubkey, sequence: info.sequence, signature: raw.signatures[i] };
  });

  return {
    bytes,
    hash: createHash("sha256").update(bytes).digest(),
    bodyBytes: raw.bodyBytes,
    authInfoBytes: raw.authInfoBytes,
    msgs,
    memo: body.memo,
    timeoutHeight: body.timeoutHeight,
    signers,
    fee: { amount: parseCoins(fee.amount), gasLimit: fee.gasLimit, payer: fee.payer !== "" ? fee.payer : signerAddrs[0] },
  };
}
