/**
 * Committed state: LevelDB on disk, an ordered in-memory copy for reads, and a Merkle
 * Patricia Trie (Ethereum's, with SHA-256 for keys and nodes) over every key whose root is the
 * app hash. Blocks update the trie with BatchMPT (mpt.ts: one synchronous descent per block);
 * proofs are built and checked with @ethereumjs/mpt over the same nodes.
 *
 * Level layout:
 *   s/<key>                 → value bytes (the flat state the keepers read; latest version only)
 *   t/<node hash>           → trie node (content-addressed, shared by every version that has it)
 *   o/<height>/<node hash>  → orphan: the node is in version height−1 but not in version height
 *   r/<node hash>           → that height (finds the orphan record when a node comes back)
 *   m/commit                → CommitInfo (last committed height and app hash)
 *   m/pruned                → the lowest version whose trie is still complete
 *
 * `stage()` (called at the end of FinalizeBlock) feeds one block's writes into the trie and
 * returns the new root; the trie's new nodes stay in memory. `commit()` writes, in one atomic
 * LevelDB batch: the state, the trie nodes the new root reaches (not the intermediate ones a
 * block's successive writes created and replaced), the orphan records of the nodes the new
 * version dropped, and, every `interval` heights, the deletion of the nodes that only pruned
 * versions reach (see pruning.ts). A crash leaves either the previous block or this one, never
 * a mix, and CometBFT's handshake replays what is missing.
 *
 * Pruning is orphan-based, as in IAVL, with one twist for content addressing: a node dropped
 * at height w may be created again later (a key set back to an old value recreates the same
 * leaf), so a commit that writes a node with an orphan record removes that record (it is live
 * again). Then "orphaned at w and not re-created since" means "in no version ≥ w", and once
 * every version below w is pruned the node is unreachable from every kept version. This relies
 * on a node never appearing twice within one version, which hashed keys guarantee (two
 * identical nodes would need two keys whose SHA-256 share the same long suffix). `nothing`
 * records no orphans (it never deletes), so nodes dropped while it was set are kept for good.
 */
import { createHash } from "node:crypto";
import { ClassicLevel } from "classic-level";
import { createMPT, createMerkleProof, verifyMerkleProof, type MerklePatriciaTrie } from "@ethereumjs/mpt";
import { ValueEncoding, type BatchDBOp, type DB } from "@ethereumjs/util";
import { MemKV, type KVReader } from "./kv";
import { PRUNING_DEFAULT, pruneBelow, type PruningOptions } from "./pruning";
import { BatchMPT, rlpItem } from "./mpt";
import { GenerationalCache } from "./cache";

const STATE = "s/";
const TRIE = "t/";
const ORPHAN = "o/";
const ORPHAN_OF = "r/";
const COMMIT_KEY = "m/commit";
const PRUNED_KEY = "m/pruned";
/** At most this many orphans are deleted per commit; a larger backlog goes over later prunes. */
const MAX_PRUNE_PER_COMMIT = 100_000;
const enc = new TextEncoder();

export interface CommitInfo {
  readonly height: bigint;
  readonly appHash: Uint8Array;
}

/** What one commit did to the trie's node store. */
export interface CommitStats {
  readonly nodesWritten: number;
  readonly nodesOrphaned: number;
  readonly nodesRevived: number;
  readonly nodesPruned: number;
}

/** A value of the last committed version with its Merkle proof against that version's app hash. */
export interface ProvenValue {
  readonly height: bigint;
  readonly appHash: Uint8Array;
  readonly value: Uint8Array | undefined;
  readonly proof: Uint8Array[];
}

/** Committed trie nodes kept in memory (cache.ts: the recently used ones). */
const NODE_CACHE_ENTRIES = 200_000;

/**
 * The trie's node store: new nodes wait in memory until the block commits; committed nodes
 * the last blocks wrote or read stay in a bounded cache, so the next block's paths (which
 * start from them) do not go to LevelDB. Nodes are content-addressed and immutable, so a
 * cached node is never stale.
 */
class TrieDB implements DB<string, Uint8Array> {
  readonly pending = new Map<string, Uint8Array>();
  private readonly cache: GenerationalCache<string, Uint8Array>;
  constructor(
    private readonly level: ClassicLevel<string, Uint8Array>,
    cacheEntries: number,
  ) {
    this.cache = new GenerationalCache(cacheEntries);
  }

  async get(key: string | Uint8Array): Promise<Uint8Array | undefined> {
    const k = typeof key === "string" ? key : Buffer.from(key).toString("hex");
    const p = this.pending.get(k);
    if (p) return p;
    const c = this.cache.get(k);
    if (c) return c;
    const v = await this.level.get(TRIE + k);
    if (v) this.remember(k, v);
    return v;
  }

  /**
   * A node by hex hash, synchronously (the block path: BatchMPT's descent and the orphan walk):
   * pending, then the cache, then LevelDB's `getSync`. Throws if it is missing.
   */
  node(k: string): Uint8Array {
    const p = this.pending.get(k);
    if (p) return p;
    const c = this.cache.get(k);
    if (c) return c;
    const v = this.level.getSync(TRIE + k);
    if (!v) throw new Error(`store: trie node ${k} is missing`);
    this.remember(k, v);
    return v;
  }

  /** A committed node (written by this commit, or read back from LevelDB). */
  remember(k: string, node: Uint8Array): void {
    this.cache.set(k, node);
  }

  /** A node pruning deleted from LevelDB. */
  forget(k: string): void {
    this.cache.delete(k);
  }
  async put(key: string, value: Uint8Array): Promise<void> {
    this.pending.set(key, value);
  }
  async del(): Promise<void> {
    // Nodes are shared between versions: only commit() decides, from orphan records, what goes.
  }
  async batch(ops: BatchDBOp<string, Uint8Array>[]): Promise<void> {
    for (const op of ops) if (op.type === "put") this.pending.set(op.key, op.value);
  }
  shallowCopy(): DB<string, Uint8Array> {
    return this;
  }
  async open(): Promise<void> {}
}

function encodeCommitInfo(c: CommitInfo): Uint8Array {
  const h = Buffer.alloc(8);
  h.writeBigUInt64BE(c.height);
  return Buffer.concat([h, Buffer.from(c.appHash)]);
}

function decodeCommitInfo(b: Uint8Array): CommitInfo {
  const buf = Buffer.from(b);
  return { height: buf.readBigUInt64BE(0), appHash: new Uint8Array(buf.subarray(8)) };
}

const encodeHeight = (h: bigint): Uint8Array => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(h);
  return b;
};
const decodeHeight = (b: Uint8Array): bigint => Buffer.from(b).readBigUInt64BE(0);
/** Fixed-width hex, so LevelDB's key order is height order. */
const heightKey = (h: bigint): string => h.toString(16).padStart(16, "0");
const orphanKey = (height: bigint, hash: string): string => `${ORPHAN}${heightKey(height)}/${hash}`;
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

const keyBytes = (key: string): Uint8Array => enc.encode(key);

/** The trie hashes keys and nodes with SHA-256 (native), not Ethereum's keccak (pure JS here). */
const sha256 = (b: Uint8Array): Uint8Array => createHash("sha256").update(b).digest();
const TRIE_OPTS = { useKeyHashing: true, useKeyHashingFunction: sha256 } as const;
const EMPTY_ROOT_HEX = hex(sha256(Uint8Array.of(0x80)));

/**
 * The stored children (by hash) of a serialized trie node, read straight off its RLP (the
 * block path runs it on every new and every dropped node). A branch is a 17-item list (16
 * children, then a value), an extension or leaf a 2-item list (hex-prefix path, then child or
 * value; a path whose first nibble is 2 or 3 is a leaf's). A child is a 32-byte hash or, under
 * 32 bytes, the node itself embedded as a list (which cannot hold a hash). Leaf values are data.
 */
export function childHashes(serialized: Uint8Array): string[] {
  const out: string[] = [];
  const visit = (start: number, end: number): void => {
    const items: Array<{ start: number; end: number; list: boolean }> = [];
    for (let p = start; p < end; ) {
      const it = rlpItem(serialized, p);
      items.push(it);
      p = it.end;
    }
    let children: typeof items;
    if (items.length === 17) children = items.slice(0, 16);
    else if (items.length === 2) {
      const path = items[0];
      const first = path.end > path.start ? serialized[path.start] : 0;
      children = first >> 4 >= 2 ? [] : [items[1]];
    } else throw new Error(`store: not a trie node (${items.length} items)`);
    for (const c of children) {
      if (c.list) visit(c.start, c.end);
      else if (c.end - c.start === 32) out.push(Buffer.from(serialized.buffer, serialized.byteOffset + c.start, 32).toString("hex"));
    }
  };
  const top = rlpItem(serialized, 0);
  if (!top.list) throw new Error("store: not a trie node");
  visit(top.start, top.end);
  return out;
}

export class CommitStore {
  /** The state as of the last commit; branches for blocks and CheckTx read from here. */
  readonly state = new MemKV();
  private lastCommit: CommitInfo;
  private staged: { height: bigint; root: Uint8Array; writes: Array<[string, Uint8Array | null]> } | undefined;
  private pruning: PruningOptions = PRUNING_DEFAULT;
  private prunedBelow: bigint;
  private lastStats: CommitStats = { nodesWritten: 0, nodesOrphaned: 0, nodesRevived: 0, nodesPruned: 0 };
  /** The block path's trie (stage); `trie` (@ethereumjs/mpt, same nodes) builds proofs. */
  private readonly mpt: BatchMPT;

  private constructor(
    private readonly level: ClassicLevel<string, Uint8Array>,
    private readonly trieDb: TrieDB,
    private readonly trie: MerklePatriciaTrie,
    lastCommit: CommitInfo,
    prunedBelow: bigint,
  ) {
    this.lastCommit = lastCommit;
    this.prunedBelow = prunedBelow;
    this.mpt = new BatchMPT((h) => trieDb.node(h));
  }

  /** `nodeCacheEntries`: committed trie nodes kept in memory (default 200,000; tests use tiny ones). */
  static async open(dir: string, opts: { pruning?: PruningOptions; nodeCacheEntries?: number } = {}): Promise<CommitStore> {
    const level = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: "utf8", valueEncoding: "view" });
    await level.open();
    const raw = await level.get(COMMIT_KEY);
    const pruned = await level.get(PRUNED_KEY);
    const trieDb = new TrieDB(level, opts.nodeCacheEntries ?? NODE_CACHE_ENTRIES);
    const lastCommit = raw ? decodeCommitInfo(raw) : { height: 0n, appHash: new Uint8Array() };
    const trie = await createMPT({
      db: trieDb,
      ...TRIE_OPTS,
      valueEncoding: ValueEncoding.Bytes,
      cacheSize: 50_000,
      ...(lastCommit.height > 0n ? { root: lastCommit.appHash } : {}),
    });
    const store = new CommitStore(level, trieDb, trie, lastCommit, pruned ? decodeHeight(pruned) : 1n);
    if (opts.pruning) store.setPruning(opts.pruning);
    // The flat state into memory, 10,000 entries a call (not one await per entry); keys and
    // values were checked when they were written.
    const it = level.iterator({ gte: STATE, lt: "s0" });
    try {
      for (let rows = await it.nextv(10_000); rows.length > 0; rows = await it.nextv(10_000)) {
        for (const [k, v] of rows) store.state.load(k.slice(STATE.length), v);
      }
    } finally {
      await it.close();
    }
    return store;
  }

  /** Which old versions later commits keep (app.toml `pruning`); the default is `default`. */
  setPruning(o: PruningOptions): void {
    this.pruning = o;
  }

  get pruningOptions(): PruningOptions {
    return this.pruning;
  }

  /** The lowest version whose trie is complete (older roots can no longer be proven). */
  get earliestVersion(): bigint {
    return this.prunedBelow;
  }

  /** What the last commit wrote, orphaned and pruned. */
  get lastCommitStats(): CommitStats {
    return this.lastStats;
  }

  get lastCommitInfo(): CommitInfo {
    return this.lastCommit;
  }

  /** The root an empty state hashes to (the app hash before genesis writes anything). */
  get emptyRoot(): Uint8Array {
    return this.trie.EMPTY_TRIE_ROOT;
  }

  /**
   * Applies one block's writes (in key order) to the trie and returns the new root. The flat
   * state is untouched until `commit()`; staging again for the same height replaces the
   * previous attempt.
   */
  async stage(height: bigint, writes: Array<[string, Uint8Array | null]>): Promise<Uint8Array> {
    this.trieDb.pending.clear();
    const hashed = writes.map(([k, v]) => ({ key: BatchMPT.hashKey(keyBytes(k)), value: v }));
    const pending = this.trieDb.pending;
    const root = this.mpt.update(hex(this.committedRoot()), hashed, (h, node) => pending.set(h, node));
    this.staged = { height, root, writes };
    return root;
  }

  /**
   * Writes the staged block, its trie nodes, its orphan records, any due pruning and the
   * commit info in one atomic batch; memory is updated only after the batch is on disk.
   */
  async commit(): Promise<CommitInfo> {
    const staged = this.staged;
    if (!staged) throw new Error("commit without a staged block");
    const info: CommitInfo = { height: staged.height, appHash: staged.root };
    const { fresh, live } = this.freshNodes(hex(staged.root));
    // `nothing` keeps every node, so it spends nothing on orphan records; a later switch to a
    // pruning strategy prunes only what is dropped from then on.
    const tracking = this.pruning.keepRecent > 0;
    const orphans = tracking ? this.orphanedNodes(hex(this.committedRoot()), fresh, live) : [];

    const batch = this.level.batch();
    for (const [k, v] of staged.writes) {
      if (v === null) batch.del(STATE + k);
      else batch.put(STATE + k, v);
    }
    for (const [h, node] of fresh) batch.put(TRIE + h, node);

    // A written node with an orphan record is live again: drop the record.
    const freshHashes = [...fresh.keys()];
    const records = tracking && freshHashes.length > 0 ? await this.level.getMany(freshHashes.map((h) => ORPHAN_OF + h)) : [];
    let revived = 0;
    for (const [i, r] of records.entries()) {
      if (!r) continue;
      batch.del(orphanKey(decodeHeight(r), freshHashes[i]));
      batch.del(ORPHAN_OF + freshHashes[i]);
      revived++;
    }
    const heightBytes = encodeHeight(info.height);
    for (const h of orphans) {
      batch.put(orphanKey(info.height, h), heightBytes);
      batch.put(ORPHAN_OF + h, heightBytes);
    }

    // Nodes orphaned at or below the lowest kept version are in no kept version.
    let pruned = 0;
    const prunedNodes: string[] = [];
    let prunedBelow = this.prunedBelow;
    const lowest = pruneBelow(this.pruning, info.height);
    if (lowest !== undefined && lowest > this.prunedBelow) {
      let complete = true;
      for await (const k of this.level.keys({ gte: ORPHAN, lt: `${ORPHAN}${heightKey(lowest + 1n)}`, limit: MAX_PRUNE_PER_COMMIT + 1 })) {
        if (pruned === MAX_PRUNE_PER_COMMIT) {
          complete = false;
          break;
        }
        const h = k.slice(ORPHAN.length + 17);
        if (fresh.has(h)) continue; // revived by this very block (its records are deleted above)
        batch.del(k);
        batch.del(ORPHAN_OF + h);
        batch.del(TRIE + h);
        prunedNodes.push(h);
        pruned++;
      }
      if (complete) {
        prunedBelow = lowest;
        batch.put(PRUNED_KEY, encodeHeight(lowest));
      }
    }
    batch.put(COMMIT_KEY, encodeCommitInfo(info));
    await batch.write();

    // Exact-size copies: a value that is a view into a larger buffer (protobuf writers slice a
    // shared pool) would keep that whole buffer alive for as long as the key lives.
    for (const [k, v] of staged.writes) {
      if (v === null) this.state.delete(k);
      else this.state.set(k, v.byteLength === v.buffer.byteLength ? v : v.slice());
    }
    for (const [h, node] of fresh) this.trieDb.remember(h, node);
    for (const h of prunedNodes) this.trieDb.forget(h);
    this.trieDb.pending.clear();
    this.lastCommit = info;
    this.prunedBelow = prunedBelow;
    this.staged = undefined;
    this.lastStats = { nodesWritten: fresh.size, nodesOrphaned: orphans.length, nodesRevived: revived, nodesPruned: pruned };
    return info;
  }

  /** The last committed root (the empty root before the first commit). */
  private committedRoot(): Uint8Array {
    return this.lastCommit.height > 0n ? this.lastCommit.appHash : this.trie.EMPTY_TRIE_ROOT;
  }

  /**
   * The new version's nodes that this block created (reachable from the new root through
   * pending nodes), and the stored nodes they point to (shared with the previous version).
   */
  private freshNodes(root: string): { fresh: Map<string, Uint8Array>; live: Set<string> } {
    const fresh = new Map<string, Uint8Array>();
    const live = new Set<string>();
    const stack = root === EMPTY_ROOT_HEX ? [] : [root];
    while (stack.length > 0) {
      const h = stack.pop()!;
      if (fresh.has(h) || live.has(h)) continue;
      const node = this.trieDb.pending.get(h);
      if (!node) {
        live.add(h);
        continue;
      }
      fresh.set(h, node);
      stack.push(...childHashes(node));
    }
    return { fresh, live };
  }

  /**
   * The previous version's nodes that the new version no longer has: walked from the old root,
   * stopping at any node the new version holds (its whole subtree is shared).
   */
  private orphanedNodes(oldRoot: string, fresh: Map<string, Uint8Array>, live: Set<string>): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    const stack = oldRoot === EMPTY_ROOT_HEX ? [] : [oldRoot];
    while (stack.length > 0) {
      const h = stack.pop()!;
      if (fresh.has(h) || live.has(h) || seen.has(h)) continue;
      seen.add(h);
      out.push(h);
      // The node cache usually has it: staging just walked these paths.
      stack.push(...childHashes(this.trieDb.node(h)));
    }
    return out;
  }

  /**
   * The committed value of `key` and its Merkle proof against the committed app hash, both of
   * the last committed version, even between FinalizeBlock (stage) and Commit.
   */
  async provenValue(key: string): Promise<ProvenValue> {
    const c = this.lastCommit;
    const root = this.committedRoot();
    const value = this.state.get(key);
    const view = this.trie.shallowCopy(false);
    view.root(root);
    const proof = await createMerkleProof(view, keyBytes(key));
    return { height: c.height, appHash: root, value, proof };
  }

  /** A Merkle proof (trie nodes, root first) that `key` holds its committed value. */
  async proof(key: string): Promise<Uint8Array[]> {
    return (await this.provenValue(key)).proof;
  }

  /** Nodes in the trie store (a key scan: for benchmarks and tests, not the block path). */
  async trieNodeCount(): Promise<number> {
    let n = 0;
    for await (const _ of this.level.keys({ gte: TRIE, lt: "t0" })) n++;
    return n;
  }

  /** Every stored trie node hash (tests: compare with what the kept roots reach). */
  async storedNodes(): Promise<Set<string>> {
    const out = new Set<string>();
    for await (const k of this.level.keys({ gte: TRIE, lt: "t0" })) out.add(k.slice(TRIE.length));
    return out;
  }

  /** The nodes reachable from `roots` (a full walk; throws on a missing node). */
  async reachableNodes(roots: readonly Uint8Array[]): Promise<Set<string>> {
    const out = new Set<string>();
    const stack = roots.map(hex).filter((h) => h !== EMPTY_ROOT_HEX);
    while (stack.length > 0) {
      const h = stack.pop()!;
      if (out.has(h)) continue;
      const node = await this.level.get(TRIE + h);
      if (!node) throw new Error(`store: trie node ${h} is missing`);
      out.add(h);
      stack.push(...childHashes(node));
    }
    return out;
  }

  async close(): Promise<void> {
    await this.level.close();
  }
}

/** Checks a proof from `CommitStore.proof` against an app hash; returns the proven value or null. */
export async function verifyProof(appHash: Uint8Array, key: string, proof: Uint8Array[]): Promise<Uint8Array | null> {
  const value = await verifyMerkleProof(keyBytes(key), proof, { ...TRIE_OPTS, root: appHash });
  return value;
}

export type { KVReader };
export type { PruningOptions } from "./pruning";
