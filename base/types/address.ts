/** Bech32 addresses: `infer` for accounts, `infervaloper` for operators, `infervalcons` for consensus keys. */
import { fromBech32, toBech32 } from "@cosmjs/encoding";
import { ripemd160 } from "@noble/hashes/legacy.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { ErrInvalidAddress } from "../errors";

export const Bech32Prefix = {
  account: "infer",
  operator: "infervaloper",
  consensus: "infervalcons",
} as const;

/** Checks a bech32 address of the given prefix; returns its 20 or 32 address bytes. */
export function parseAddress(addr: string, prefix: string = Bech32Prefix.account, field = "address"): Uint8Array {
  let decoded: { prefix: string; data: Uint8Array };
  try {
    decoded = fromBech32(addr);
  } catch (e) {
    throw ErrInvalidAddress.wrap(`invalid ${field} ${JSON.stringify(addr)}: ${(e as Error).message}`);
  }
  if (decoded.prefix !== prefix) {
    throw ErrInvalidAddress.wrap(`invalid ${field} ${JSON.stringify(addr)}: expected prefix ${prefix}, got ${decoded.prefix}`);
  }
  // One address, one spelling: the upper-case form decodes too, but as a store key it would
  // be a different account that no key can sign for.
  if (toBech32(decoded.prefix, decoded.data) !== addr) {
    throw ErrInvalidAddress.wrap(`invalid ${field} ${JSON.stringify(addr)}: not in canonical (lower-case) form`);
  }
  if (decoded.data.length !== 20 && decoded.data.length !== 32) {
    throw ErrInvalidAddress.wrap(`invalid ${field} ${JSON.stringify(addr)}: ${decoded.data.length} bytes`);
  }
  return decoded.data;
}

export function accountAddress(bytes: Uint8Array): string {
  return toBech32(Bech32Prefix.account, bytes);
}

/** The account (infer1…) of a validator operator (infervaloper1…): the same bytes, as Cosmos's `sdk.AccAddress(valAddr)`. */
export function operatorAccount(operator: string, field = "validator address"): string {
  return accountAddress(parseAddress(operator, Bech32Prefix.operator, field));
}

/** The operator address (infervaloper1…) of an account (infer1…): the same bytes. */
export function accountOperator(account: string): string {
  return toBech32(Bech32Prefix.operator, parseAddress(account));
}

// Pure functions of their input, called for every tx: memoized (bounded).
const pubkeyAddresses = new Map<string, string>();
const moduleAddresses = new Map<string, string>();

/** Cosmos address of a compressed secp256k1 key: ripemd160(sha256(pubkey)). */
export function secp256k1Address(pubkey: Uint8Array): string {
  const hex = Buffer.from(pubkey).toString("hex");
  let a = pubkeyAddresses.get(hex);
  if (a === undefined) {
    a = accountAddress(ripemd160(sha256(pubkey)));
    if (pubkeyAddresses.size >= 100_000) pubkeyAddresses.clear();
    pubkeyAddresses.set(hex, a);
  }
  return a;
}

/** Cosmos module-account address: the first 20 bytes of sha256(module name). */
export function moduleAddress(name: string): string {
  let a = moduleAddresses.get(name);
  if (a === undefined) {
    a = accountAddress(sha256(new TextEncoder().encode(name)).slice(0, 20));
    moduleAddresses.set(name, a);
  }
  return a;
}
