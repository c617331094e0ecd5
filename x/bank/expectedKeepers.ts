/** What x/bank needs from x/auth. */
import type { KVReader, KVStore } from "../../base/store/kv";

export interface AccountKeeper {
  getAccount(s: KVReader, address: string): unknown | undefined;
  newAccount(s: KVStore, address: string, moduleName?: string): unknown;
  getOrCreateModuleAccount(s: KVStore, name: string): { readonly address: string };
}
