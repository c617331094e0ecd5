/**
 * What a handler sees while it runs: a (gas-metered) branch of state, the block it runs in,
 * an event sink and the execution mode. Handlers get nothing else: no clock, no environment.
 */
import { InvariantError } from "./errors";
import { EventManager } from "./events";
import type { GasMeter } from "./gas";
import { Branch, type KVReader, type KVStore } from "./store/kv";

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

/** A validator's vote in the last commit, as CometBFT reports it in FinalizeBlock. */
export interface VoteInfo {
  /** Consensus address: the first 20 bytes of sha256(ed25519 public key). */
  readonly validatorAddress: Uint8Array;
  readonly power: bigint;
  /** False only when the validator's precommit is absent from the commit; a nil vote counts as signed (Cosmos semantics). */
  readonly signed: boolean;
}

/** Evidence of a consensus fault, from FinalizeBlock's `misbehavior`. */
export interface Misbehavior {
  readonly kind: "duplicate_vote" | "light_client_attack";
  readonly validatorAddress: Uint8Array;
  /** The validator's power at the infraction height. */
  readonly power: bigint;
  readonly height: bigint;
  readonly totalVotingPower: bigint;
}

/** What begin-block hooks learn about the block beyond its header. */
export interface BlockHookInfo {
  readonly lastCommit: readonly VoteInfo[];
  readonly misbehavior: readonly Misbehavior[];
}

export type BranchOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/**
 * Runs `f` on a branch of `ctx.store` with its own event sink: the writes and events reach
 * `ctx` only if `f` returns. An InvariantError (broken committed state) propagates; any other
 * exception drops the branch and is returned, for the caller to turn into an event. Block
 * hooks (BaseApp) and per-item block work (x/inference's jobs) isolate failures with it.
 */
export function onBranch<T>(ctx: Context, f: (c: Context) => T): BranchOutcome<T> {
  const branch = new Branch(ctx.store);
  const events = new EventManager();
  let value: T;
  try {
    value = f({ ...ctx, store: branch, events });
  } catch (e) {
    if (e instanceof InvariantError) throw e;
    return { ok: false, error: e };
  }
  branch.write();
  for (const e of events.events()) ctx.events.emitEvent(e);
  return { ok: true, value };
}
