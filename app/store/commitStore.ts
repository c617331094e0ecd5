/**
 * Committed state: LevelDB on disk, an ordered in-memory copy for reads, and a Merkle
 * Patricia Trie (@ethereumjs/mpt, with SHA-256 for keys and nodes) over every key whose root
 * is the app hash.
 *
 * Level layout:
 *   s/<key>         → value bytes (the flat state the keepers read)
 *   t/<node hash>   → trie node (the Merkle tree; never pruned, so old roots stay provable)
 *   m/commit        → CommitInfo (last committed height and app hash)
 *
 * `stage()` (called at the end of FinalizeBlock) feeds one block's writes into the trie and
 * returns the new root; the trie's new nodes stay in memory. `commit()` writes state, trie
 * nodes and the commit info in one atomic LevelDB batch, so a crash leaves either the
 * previous block or this one, never a mix, and CometBFT's handshake replays what is missing.
 */
import { createHash } from "node:crypto";
import { ClassicLevel } from "classic-level";
import { createMPT, createMerkleProof, verifyMerkleProof, type MerklePatriciaTrie } from "@ethereumjs/mpt";
import { ValueEncoding, type BatchDBOp, type DB } from "@ethereumjs/util";
import { MemKV, type KVReader } from "./kv";

const STATE = "s/";
const TRIE = "t/";
const COMMIT_KEY = "m/commit";
const enc = new TextEncoder();

export interface CommitInfo {
  readonly height: bigint;
  readonly appHash: Uint8Array;
}

/** The trie's node store: new nodes wait in memory until the block commits. */
class TrieDB implements DB<string, Uint8Array> {
  readonly pending = new Map<string, Uint8Array>();
  constructor(private readonly level: ClassicLevel<string, Uint8Array>) {}

  async get(key: string | Uint8Array): Promise<Uint8Array | undefined> {
    const k = typeof key === "string" ? key : Buffer.from(key).toString("hex");
    return this.pending.get(k) ?? (await this.level.get(TRIE + k));
  }
  async put(key: string, value: Uint8Array): Promise<void> {
    this.pending.set(key, value);
  }
  async del(): Promise<void> {
    // Nodes are content-addressed and shared between roots; keeping them keeps history provable.
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

const keyBytes = (key: string): Uint8Array => enc.encode(key);

/** The trie hashes keys and nodes with SHA-256 (native), not Ethereum's keccak (pure JS here). */
const sha256 = (b: Uint8Array): Uint8Array => createHash("sha256").update(b).digest();
const TRIE_OPTS = { useKeyHashing: true, useKeyHashingFunction: sha256 } as const;

export class CommitStore {
  /** The state as of the last commit; branches for blocks and CheckTx read from here. */
  readonly state = new MemKV();
  private lastCommit: CommitInfo;
  private staged: { height: bigint; root: Uint8Array; writes: Array<[string, Uint8Array | null]> } | undefined;

  private constructor(
    private readonly level: ClassicLevel<string, Uint8Array>,
    private readonly trieDb: TrieDB,
    private readonly trie: MerklePatriciaTrie,
    lastCommit: CommitInfo,
  ) {
    this.lastCommit = lastCommit;
  }

  static async open(dir: string): Promise<CommitStore> {
    const level = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: "utf8", valueEncoding: "view" });
    await level.open();
    const raw = await level.get(COMMIT_KEY);
    const trieDb = new TrieDB(level);
    const lastCommit = raw ? decodeCommitInfo(raw) : { height: 0n, appHash: new Uint8Array() };
    const trie = await createMPT({
      db: trieDb,
      ...TRIE_OPTS,
      valueEncoding: ValueEncoding.Bytes,
      cacheSize: 50_000,
      ...(lastCommit.height > 0n ? { root: lastCommit.appHash } : {}),
    });
    const store = new CommitStore(level, trieDb, trie, lastCommit);
    for await (const [k, v] of level.iterator({ gte: STATE, lt: "s0" })) {
      store.state.set(k.slice(STATE.length), v);
    }
    return store;
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
    if (this.staged) {
      this.trie.root(this.lastCommit.height > 0n ? this.lastCommit.appHash : this.trie.EMPTY_TRIE_ROOT);
      this.trieDb.pending.clear();
    }
    for (const [k, v] of writes) {
      if (v === null) await this.trie.del(keyBytes(k));
      else await this.trie.put(keyBytes(k), v);
    }
    const root = this.trie.root();
    this.staged = { height, root, writes };
    return root;
  }

  /** Writes the staged block, its trie nodes and the commit info in one atomic batch. */
  async commit(): Promise<CommitInfo> {
    const staged = this.staged;
    if (!staged) throw new Error("commit without a staged block");
    const info: CommitInfo = { height: staged.height, appHash: staged.root };
    const batch = this.level.batch();
    for (const [k, v] of staged.writes) {
      if (v === null) batch.del(STATE + k);
      else batch.put(STATE + k, v);
    }
    for (const [k, v] of this.trieDb.pending) batch.put(TRIE + k, v);
    batch.put(COMMIT_KEY, encodeCommitInfo(info));
    await batch.write();
    for (const [k, v] of staged.writes) {
      if (v === null) this.state.delete(k);
      else this.state.set(k, v);
    }
    this.trieDb.pending.clear();
    this.lastCommit = info;
    this.staged = undefined;
    return info;
  }

  /** A Merkle proof (trie nodes, root first) that `key` holds its committed value. */
  async proof(key: string): Promise<Uint8Array[]> {
    return createMerkleProof(this.trie, keyBytes(key));
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
