/**
 * The ante handler: the stateful checks every tx passes before its messages run, in the
 * Cosmos order: timeout and memo, size gas, signers' accounts and sequences, signatures
 * (SIGN_MODE_DIRECT over the exact received body and auth-info bytes), fee, sequence bump.
 * It runs on the tx's branch; if it throws, the tx changes nothing and is not charged.
 */
import { createPublicKey, verify as opensslVerify, type KeyObject } from "node:crypto";
import type { KVReader } from "../../base/store/kv";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { SignDoc } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import type { Context } from "../../base/context";
import {
  ErrInsufficientFee,
  ErrInvalidCoins,
  ErrInvalidPubKey,
  ErrMalformedSignature,
  ErrMemoTooLarge,
  ErrFutureSequence,
  ErrTxTimeoutHeight,
  ErrUnauthorized,
  ErrUnknownAddress,
  ErrWrongSequence,
  ErrInsufficientFunds,
  AppError,
} from "../../base/errors";
import type { DecodedTx } from "../../base/tx";
import { secp256k1Address } from "../../base/types/address";
import { BASE_DENOM, formatCoins } from "../../base/types/coins";
import { emitAccountSequence, emitFee, emitSignature } from "./events";
import type { BankKeeper } from "./expectedKeepers";
import type { AuthKeeper } from "./keeper";
import { parseGasPrice, requiredFee, type GasPrice } from "./params";

export const FEE_COLLECTOR = "fee_collector";

const CURVE_ORDER = secp256k1.Point.CURVE().n;
const HALF_ORDER = CURVE_ORDER >> 1n;

/**
 * Remembers signatures already verified (a pure function of tx bytes, signer index, account
 * number and key), so FinalizeBlock and rechecks do not verify again what CheckTx did.
 */
class SigCache {
  private readonly seen = new Set<string>();
  constructor(private readonly max: number) {}
  has(k: string): boolean {
    return this.seen.has(k);
  }
  add(k: string): void {
    if (this.seen.size >= this.max) this.seen.clear();
    this.seen.add(k);
  }
}

/** DER prefix of a SubjectPublicKeyInfo holding a compressed secp256k1 point (OpenSSL's input format). */
const SPKI_SECP256K1_COMPRESSED = Buffer.from("3036301006072a8648ce3d020106052b8104000a032200", "hex");
const keyObjects = new Map<string, KeyObject | null>();

/** The key as an OpenSSL key object (cached); null if it is not a point on the curve. */
function opensslKey(pubkey: Uint8Array): KeyObject | null {
  const hex = Buffer.from(pubkey).toString("hex");
  let k = keyObjects.get(hex);
  if (k === undefined) {
    try {
      k = createPublicKey({ key: Buffer.concat([SPKI_SECP256K1_COMPRESSED, pubkey]), format: "der", type: "spki" });
    } catch {
      k = null;
    }
    if (keyObjects.size >= 100_000) keyObjects.clear();
    keyObjects.set(hex, k);
  }
  return k;
}

/**
 * ECDSA secp256k1 over sha256(message): OpenSSL (node:crypto), about 5× faster than the pure-JS
 * curve. Low-s is checked before this, so OpenSSL's acceptance of high-s never matters.
 */
export function verifySecp256k1(signature: Uint8Array, message: Uint8Array, pubkey: Uint8Array): boolean {
  const key = opensslKey(pubkey);
  if (!key) return false;
  try {
    return opensslVerify("sha256", message, { key, dsaEncoding: "ieee-p1363" }, signature);
  } catch {
    return false;
  }
}

/** The tx hash covers body, auth info and signatures; the rest of the sign doc is chain id and account number. */
function sigCacheKey(tx: DecodedTx, i: number, accountNumber: bigint, chainId: string, pubkey: Uint8Array): string {
  return `${Buffer.from(tx.hash).toString("hex")}/${i}/${accountNumber}/${chainId}/${Buffer.from(pubkey).toString("hex")}`;
}

export interface AnteOptions {
  /** Node-local extra floor (app.toml minimum-gas-prices), applied in CheckTx only, as in the Cosmos SDK. */
  readonly localMinGasPrice?: GasPrice;
}

function checkSignatureShape(sig: Uint8Array, i: number): void {
  if (sig.length !== 64) throw ErrMalformedSignature.wrap(`signature ${i} is ${sig.length} bytes, want 64 (r ‖ s)`);
  const r = BigInt("0x" + Buffer.from(sig.subarray(0, 32)).toString("hex"));
  const s = BigInt("0x" + Buffer.from(sig.subarray(32)).toString("hex"));
  if (r === 0n || r >= CURVE_ORDER || s === 0n || s >= CURVE_ORDER) {
    throw ErrMalformedSignature.wrap(`signature ${i}: r or s out of range`);
  }
  if (s > HALF_ORDER) throw ErrMalformedSignature.wrap(`signature ${i}: s is not in the lower half of the order (high-s)`);
}

export class AnteHandler {
  private readonly sigCache = new SigCache(100_000);

  constructor(
    private readonly auth: AuthKeeper,
    private readonly bank: BankKeeper,
    private readonly opts: AnteOptions = {},
  ) {}

  run(ctx: Context, tx: DecodedTx): void {
    const params = this.auth.getParams(ctx.store);
    const feeParams = this.auth.getFeeParams(ctx.store);

    if (tx.timeoutHeight > 0n && ctx.block.height > tx.timeoutHeight) {
      throw ErrTxTimeoutHeight.wrap(`block height ${ctx.block.height} is past the tx's timeout height ${tx.timeoutHeight}`);
    }
    // Counted in UTF-8 bytes, as the Cosmos SDK does.
    const memoBytes = BigInt(Buffer.byteLength(tx.memo, "utf8"));
    if (memoBytes > params.maxMemoCharacters) {
      throw ErrMemoTooLarge.wrap(`memo is ${memoBytes} bytes, limit ${params.maxMemoCharacters}`);
    }
    ctx.gas.consume(params.txSizeCostPerByte * BigInt(tx.bytes.length), "txSize");

    // Fee: uinf only, at least gas limit × min gas price.
    for (const c of tx.fee.amount) {
      if (c.denom !== BASE_DENOM) throw ErrInvalidCoins.wrap(`fees are paid in ${BASE_DENOM}, got ${c.denom}`);
    }
    const paid = tx.fee.amount.find((c) => c.denom === BASE_DENOM)?.amount ?? 0n;
    let need = requiredFee(tx.fee.gasLimit, parseGasPrice(feeParams.minGasPrice));
    if ((ctx.mode === "check" || ctx.mode === "recheck") && this.opts.localMinGasPrice) {
      const local = requiredFee(tx.fee.gasLimit, this.opts.localMinGasPrice);
      if (local > need) need = local;
    }
    if (paid < need) {
      throw ErrInsufficientFee.wrap(`insufficient fees; got: ${paid}${BASE_DENOM} required: ${need}${BASE_DENOM}`);
    }
    if (!tx.signers.some((s) => s.address === tx.fee.payer)) {
      throw ErrUnauthorized.wrap(`fee payer ${tx.fee.payer} has not signed the tx`);
    }

    // Signers: accounts, keys, sequences, signatures.
    for (const [i, signer] of tx.signers.entries()) {
      const acc = this.auth.getAccount(ctx.store, signer.address);
      if (!acc) throw ErrUnknownAddress.wrap(`account ${signer.address} not found`);
      const pubkey = acc.pubkey ?? signer.pubkey;
      if (!pubkey) throw ErrInvalidPubKey.wrap(`signer ${i} (${signer.address}) has no public key on chain and none in the tx`);
      if (acc.pubkey && signer.pubkey && Buffer.compare(Buffer.from(acc.pubkey), Buffer.from(signer.pubkey)) !== 0) {
        throw ErrInvalidPubKey.wrap(`signer ${i}: public key differs from the one on chain`);
      }
      if (secp256k1Address(pubkey) !== signer.address) {
        throw ErrInvalidPubKey.wrap(`signer ${i}: public key does not match address ${signer.address}`);
      }
      if (signer.sequence < acc.sequence) {
        throw ErrWrongSequence.wrap(`account sequence mismatch, expected ${acc.sequence}, got ${signer.sequence}`);
      }
      if (signer.sequence > acc.sequence) {
        throw ErrFutureSequence.wrap(`account sequence mismatch, expected ${acc.sequence}, got ${signer.sequence}`);
      }
      ctx.gas.consume(params.sigVerifyCostSecp256k1, "ante verify: secp256k1");
      if (ctx.mode !== "simulate") this.verifySignature(ctx.block.chainId, tx, i, pubkey, acc.accountNumber, acc.sequence);
      emitAccountSequence(ctx.events, signer.address, signer.sequence);
      emitSignature(ctx.events, Buffer.from(signer.signature).toString("base64"));
    }

    // Fee payment.
    if (paid === 0n && ctx.mode === "simulate") {
      // A simulated tx carries no fee yet, but the real one will pay: charge the gas of that
      // transfer (on this throw-away branch) so the estimate covers it.
      try {
        this.bank.sendCoinsFromAccountToModule(ctx, tx.fee.payer, FEE_COLLECTOR, [{ denom: BASE_DENOM, amount: 1n }]);
      } catch (e) {
        if (!(e instanceof AppError && e.is(ErrInsufficientFunds))) throw e;
      }
    }
    if (paid > 0n) {
      try {
        this.bank.sendCoinsFromAccountToModule(ctx, tx.fee.payer, FEE_COLLECTOR, tx.fee.amount);
      } catch (e) {
        if (e instanceof AppError && e.is(ErrInsufficientFunds)) {
          throw ErrInsufficientFunds.wrap(`${tx.fee.payer} cannot pay fee ${formatCoins(tx.fee.amount)}`);
        }
        throw e;
      }
    }
    emitFee(ctx.events, formatCoins(tx.fee.amount), tx.fee.payer);

    // Sequence bump; the key is stored on first use.
    for (const signer of tx.signers) {
      const acc = this.auth.getAccount(ctx.store, signer.address);
      if (!acc) throw ErrUnknownAddress.wrap(`account ${signer.address} not found`);
      this.auth.setAccount(ctx.store, { ...acc, sequence: acc.sequence + 1n, pubkey: acc.pubkey ?? signer.pubkey });
    }
  }

  /**
   * Starts verifying the tx's signatures on libuv's thread pool (other cores) against the
   * accounts as they are now; results land in the signature cache, so the ante handler finds
   * them there. Never throws: anything odd is left for the ante handler to judge.
   */
  prefetch(store: KVReader, chainId: string, tx: DecodedTx): Promise<void> {
    const jobs: Promise<void>[] = [];
    for (const [i, signer] of tx.signers.entries()) {
      const acc = this.auth.getAccount(store, signer.address);
      const pubkey = acc?.pubkey ?? signer.pubkey;
      if (!acc || !pubkey || signer.signature.length !== 64) continue;
      const cacheKey = sigCacheKey(tx, i, acc.accountNumber, chainId, pubkey);
      const key = opensslKey(pubkey);
      if (this.sigCache.has(cacheKey) || !key) continue;
      const signBytes = SignDoc.encode({ bodyBytes: tx.bodyBytes, authInfoBytes: tx.authInfoBytes, chainId, accountNumber: acc.accountNumber }).finish();
      jobs.push(
        new Promise<void>((resolve) => {
          try {
            opensslVerify("sha256", signBytes, { key, dsaEncoding: "ieee-p1363" }, signer.signature, (err, ok) => {
              if (!err && ok) this.sigCache.add(cacheKey);
              resolve();
            });
          } catch {
            resolve();
          }
        }),
      );
    }
    return Promise.all(jobs).then(() => undefined);
  }

  private verifySignature(chainId: string, tx: DecodedTx, i: number, pubkey: Uint8Array, accountNumber: bigint, sequence: bigint): void {
    const sig = tx.signers[i].signature;
    checkSignatureShape(sig, i);
    const cacheKey = sigCacheKey(tx, i, accountNumber, chainId, pubkey);
    if (this.sigCache.has(cacheKey)) return;
    const signBytes = SignDoc.encode({ bodyBytes: tx.bodyBytes, authInfoBytes: tx.authInfoBytes, chainId, accountNumber }).finish();
    if (!verifySecp256k1(sig, signBytes, pubkey)) {
      throw ErrUnauthorized.wrap(
        `signature verification failed; please verify account number (${accountNumber}), sequence (${sequence}) and chain-id (${chainId})`,
      );
    }
    this.sigCache.add(cacheKey);
  }
}
