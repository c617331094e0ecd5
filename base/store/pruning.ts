/**
 * Which old state versions the commit store keeps: the `pruning` setting of app.toml, named as
 * in the Cosmos SDK.
 *
 *   default     keep the last 100 versions, prune every 10 blocks
 *   nothing     keep every version (an archive node)
 *   everything  keep the last 2 versions, prune every 10 blocks
 *   custom      `pruning-keep-recent` (≥ 2) and `pruning-interval` (≥ 1)
 *
 * The Cosmos SDK's default keeps 362,880 versions (three weeks of 5 s blocks) because it
 * serves historical queries and state-sync snapshots from them. This app serves every query
 * at the latest height only (ABCI and gRPC refuse other heights) and has no state sync, so an
 * old version is reachable by nobody; the default keeps a short window for proofs in flight
 * and for an operator's debugging. `everything` keeps 2, as in Cosmos: the latest version
 * is all a CometBFT handshake replay needs (it replays blocks on top of the app's last
 * commit), and the one before it keeps a /store/key proof that started just before a Commit
 * valid. Pruning never affects the app hash: it only deletes trie nodes that no kept version
 * reaches.
 */

export type PruningStrategy = "default" | "nothing" | "everything" | "custom";

export interface PruningOptions {
  readonly strategy: PruningStrategy;
  /** Versions kept, the latest included; 0 = all. */
  readonly keepRecent: number;
  /** Prune every this many heights; 0 = never. */
  readonly interval: number;
}

export const PRUNING_DEFAULT: PruningOptions = { strategy: "default", keepRecent: 100, interval: 10 };
export const PRUNING_NOTHING: PruningOptions = { strategy: "nothing", keepRecent: 0, interval: 0 };
export const PRUNING_EVERYTHING: PruningOptions = { strategy: "everything", keepRecent: 2, interval: 10 };

/** The smallest keep-recent: the latest version and the one a proof may still be reading. */
export const MIN_KEEP_RECENT = 2;

export class PruningConfigError extends Error {}

/**
 * Builds the options from app.toml's strings. `keepRecent` and `interval` are read only for
 * `custom` (as in Cosmos, where the other strategies ignore them).
 */
export function pruningOptions(strategy: string, keepRecent?: string | number, interval?: string | number): PruningOptions {
  switch (strategy) {
    case "":
    case "default":
      return PRUNING_DEFAULT;
    case "nothing":
      return PRUNING_NOTHING;
    case "everything":
      return PRUNING_EVERYTHING;
    case "custom": {
      const k = parseCount("pruning-keep-recent", keepRecent);
      const i = parseCount("pruning-interval", interval);
      if (k < MIN_KEEP_RECENT) throw new PruningConfigError(`pruning-keep-recent must be at least ${MIN_KEEP_RECENT} with pruning = "custom", got ${k}`);
      if (i < 1) throw new PruningConfigError(`pruning-interval must be at least 1 with pruning = "custom", got ${i}`);
      return { strategy: "custom", keepRecent: k, interval: i };
    }
    default:
      throw new PruningConfigError(`pruning must be one of default, nothing, everything, custom; got ${JSON.stringify(strategy)}`);
  }
}

function parseCount(name: string, v: string | number | undefined): number {
  const s = String(v ?? "").trim();
  if (!/^[0-9]{1,9}$/.test(s)) throw new PruningConfigError(`${name} must be a whole number, got ${JSON.stringify(v ?? "")}`);
  return Number(s);
}

/**
 * The lowest version still kept after committing `height`, when this commit is a pruning
 * one; undefined when nothing is pruned at this height.
 */
export function pruneBelow(o: PruningOptions, height: bigint): bigint | undefined {
  if (o.keepRecent === 0 || o.interval === 0) return undefined;
  if (height % BigInt(o.interval) !== 0n) return undefined;
  const lowest = height - BigInt(o.keepRecent) + 1n;
  return lowest > 1n ? lowest : undefined;
}
