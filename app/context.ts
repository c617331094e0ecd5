/**
 * What a handler sees while it runs: a (gas-metered) branch of state, the block it runs in,
 * an event sink and the execution mode. Handlers get nothing else: no clock, no environment.
 */
import type { EventManager } from "./events";
import type { GasMeter } from "./gas";
import type { KVReader, KVStore } from "./store/kv";

export type ExecMode = "check" | "recheck" | "simulate" | "prepare" | "process" | "finalize" | "genesis";

export interface BlockInfo {
  readonly chainId: string;
  readonly height: bigint;
  /** Block time from the header (seconds since the epoch); deterministic across nodes. */
  readonly timeSeconds: bigint;
  readonly hash: Uint8Array;
  readonly proposer: Uint8Array;
}

export interface Context {
  readonly store: KVStore;
  readonly gas: GasMeter;
  readonly events: EventManager;
  readonly block: BlockInfo;
  readonly mode: ExecMode;
}

export interface QueryContext {
  readonly store: KVReader;
  readonly height: bigint;
}
