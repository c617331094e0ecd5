/** Plain state access for accounts and auth params. All checks live in the callers. */
import { BaseAccount, ModuleAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { PubKey } from "cosmjs-types/cosmos/crypto/secp256k1/keys";
import type { Any } from "cosmjs-types/google/protobuf/any";
import type { KVReader, KVStore } from "../../base/store/kv";
import { moduleAddress } from "../../base/types/address";
import { ACCOUNTS_PREFIX, FEE_PARAMS_KEY, NEXT_ACCOUNT_NUMBER_KEY, PARAMS_KEY, accountKey } from "./keys";
import { FeeParams, Params, defaultFeeParams, defaultParams } from "./params";

export const BASE_ACCOUNT_TYPE = "/cosmos.auth.v1beta1.BaseAccount";
export const MODULE_ACCOUNT_TYPE = "/cosmos.auth.v1beta1.ModuleAccount";
export const SECP256K1_PUBKEY_TYPE = "/cosmos.crypto.secp256k1.PubKey";

/** The domain view of an account, whatever its wire type. */
export interface Account {
  readonly address: string;
  readonly accountNumber: bigint;
  readonly sequence: bigint;
  /** Compressed secp256k1 key, once the account has signed. */
  readonly pubkey?: Uint8Array;
  /** Set for module accounts. */
  readonly moduleName?: string;
}

function u64(n: bigint): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
}

export function encodeAccount(a: Account): Uint8Array {
  const pubKey: Any | undefined = a.pubkey
    ? { typeUrl: SECP256K1_PUBKEY_TYPE, value: PubKey.encode({ key: a.pubkey }).finish() }
    : undefined;
  const base = BaseAccount.fromPartial({ address: a.address, pubKey, accountNumber: a.accountNumber, sequence: a.sequence });
  if (a.moduleName !== undefined) {
    return ModuleAccount.encode(ModuleAccount.fromPartial({ baseAccount: base, name: a.moduleName, permissions: [] })).finish();
  }
  return BaseAccount.encode(base).finish();
}

export function accountToAny(a: Account): Any {
  return { typeUrl: a.moduleName !== undefined ? MODULE_ACCOUNT_TYPE : BASE_ACCOUNT_TYPE, value: encodeAccount(a) };
}

/** Stored bytes start with a one-byte tag: 1 = BaseAccount, 2 = ModuleAccount. */
function store(a: Account): Uint8Array {
  return Buffer.concat([Buffer.from([a.moduleName !== undefined ? 2 : 1]), encodeAccount(a)]);
}

function load(raw: Uint8Array): Account {
  const body = raw.subarray(1);
  const fromBase = (b: BaseAccount, moduleName?: string): Account => ({
    address: b.address,
    accountNumber: b.accountNumber,
    sequence: b.sequence,
    pubkey: b.pubKey ? PubKey.decode(b.pubKey.value).key : undefined,
    moduleName,
  });
  if (raw[0] === 2) {
    const m = ModuleAccount.decode(body);
    return fromBase(m.baseAccount ?? BaseAccount.fromPartial({}), m.name);
  }
  return fromBase(BaseAccount.decode(body));
}

export class AuthKeeper {
  getAccount(s: KVReader, address: string): Account | undefined {
    const raw = s.get(accountKey(address));
    return raw ? load(raw) : undefined;
  }

  setAccount(s: KVStore, a: Account): void {
    s.set(accountKey(a.address), store(a));
  }

  /** Creates an account with the next account number (Cosmos: on first receipt of funds). */
  newAccount(s: KVStore, address: string, moduleName?: string): Account {
    const raw = s.get(NEXT_ACCOUNT_NUMBER_KEY);
    const n = raw ? Buffer.from(raw).readBigUInt64BE(0) : 0n;
    s.set(NEXT_ACCOUNT_NUMBER_KEY, u64(n + 1n));
    const a: Account = { address, accountNumber: n, sequence: 0n, moduleName };
    this.setAccount(s, a);
    return a;
  }

  getOrCreateModuleAccount(s: KVStore, name: string): Account {
    const address = moduleAddress(name);
    return this.getAccount(s, address) ?? this.newAccount(s, address, name);
  }

  *accounts(s: KVReader): IterableIterator<Account> {
    for (const [, v] of s.iterate(ACCOUNTS_PREFIX)) yield load(v);
  }

  getParams(s: KVReader): Params {
    const raw = s.get(PARAMS_KEY);
    return raw ? Params.decode(raw) : defaultParams();
  }
  setParams(s: KVStore, p: Params): void {
    s.set(PARAMS_KEY, Params.encode(p).finish());
  }
  getFeeParams(s: KVReader): FeeParams {
    const raw = s.get(FEE_PARAMS_KEY);
    return raw ? FeeParams.decode(raw) : defaultFeeParams();
  }
  setFeeParams(s: KVStore, p: FeeParams): void {
    s.set(FEE_PARAMS_KEY, FeeParams.encode(p).finish());
  }
}
