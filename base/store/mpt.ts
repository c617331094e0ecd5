/**
 * A synchronous, batch-updating Merkle Patricia Trie with the same nodes and roots as
 * @ethereumjs/mpt configured as the store does (keys hashed with SHA-256, nodes hashed with
 * SHA-256, values as raw bytes). The trie of a set of keys is canonical (one shape per key set),
 * so the roots agree whatever the order of writes: mpt.test.ts checks it against @ethereumjs/mpt
 * on random workloads and the golden app hashes pin it.
 *
 * Why not @ethereumjs/mpt on the block path: it inserts one key at a time through an async node
 * store, decoding, re-encoding and hashing every node on the key's path for every write; a block
 * of 1,000 writes cost ~100 ms there. Here a block's writes are sorted by hashed key and applied
 * in one descent: every node on the union of their paths is read once (synchronously: the
 * caller's `load` reads pending nodes, a cache, or LevelDB's `getSync`), rebuilt once and hashed
 * once. Only nodes of the new version are produced (no intermediates).
 *
 * Node shapes (Ethereum's): a leaf is [hexPrefix(path, leaf), value]; an extension
 * [hexPrefix(path), child]; a branch [c0 … c15, value] (value always empty here: every key is
 * 32 bytes, so none is a prefix of another). A child is its node's RLP inline when that is
 * under 32 bytes, else the 32-byte hash; the root is always hashed.
 */
import { createHash } from "node:crypto";

const sha256 = (b: Uint8Array): Buffer => createHash("sha256").update(b).digest();

/** Key nibbles: hashed keys are 32 bytes, 64 nibbles. */
const KEY_NIBBLES = 64;

/** A child: a stored node by its 32-byte hash, or a node in memory (new, or embedded in its parent). */
type Ref = Uint8Array | Node;

interface Leaf {
  readonly kind: 0;
  readonly path: readonly number[];
  readonly value: Uint8Array;
}
interface Extension {
  readonly kind: 1;
  readonly path: readonly number[];
  readonly child: Ref;
}
interface BranchNode {
  readonly kind: 2;
  readonly children: Array<Ref | null>;
}
type Node = Leaf | Extension | BranchNode;

/** One write of a batch: the hashed key and the value (null = delete). */
export interface HashedWrite {
  readonly key: Uint8Array;
  readonly value: Uint8Array | null;
}

const nibble = (key: Uint8Array, i: number): number => (i & 1 ? key[i >> 1] & 0x0f : key[i >> 1] >> 4);

// ------------------------------------------------------------------ RLP

function lengthPrefix(len: number, short: number, long: number): number[] {
  if (len < 56) return [short + len];
  const bytes: number[] = [];
  for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return [long + bytes.length, ...bytes];
}

function rlpBytes(b: Uint8Array): Uint8Array {
  if (b.length === 1 && b[0] < 0x80) return b;
  const head = lengthPrefix(b.length, 0x80, 0xb7);
  const out = new Uint8Array(head.length + b.length);
  out.set(head);
  out.set(b, head.length);
  return out;
}

/** An RLP list of already-encoded items. */
function rlpList(items: readonly Uint8Array[]): Uint8Array {
  let len = 0;
  for (const it of items) len += it.length;
  const head = lengthPrefix(len, 0xc0, 0xf7);
  const out = new Uint8Array(head.length + len);
  out.set(head);
  let p = head.length;
  for (const it of items) {
    out.set(it, p);
    p += it.length;
  }
  return out;
}

const EMPTY_ITEM = Uint8Array.of(0x80);

/** One RLP item at `pos`: where its payload starts and ends, and whether it is a list. */
export function rlpItem(b: Uint8Array, pos: number): { start: number; end: number; next: number; list: boolean } {
  const h = b[pos];
  if (h < 0x80) return { start: pos, end: pos + 1, next: pos + 1, list: false };
  if (h <= 0xb7) return { start: pos + 1, end: pos + 1 + h - 0x80, next: pos + 1 + h - 0x80, list: false };
  if (h < 0xc0 || h > 0xf7) {
    const list = h >= 0xc0;
    const n = h - (list ? 0xf7 : 0xb7);
    let len = 0;
    for (let i = 1; i <= n; i++) len = len * 256 + b[pos + i];
    return { start: pos + 1 + n, end: pos + 1 + n + len, next: pos + 1 + n + len, list };
  }
  return { start: pos + 1, end: pos + 1 + h - 0xc0, next: pos + 1 + h - 0xc0, list: true };
}

// ------------------------------------------------------------------ hex prefix

function hexPrefix(path: readonly number[], leaf: boolean): Uint8Array {
  const odd = path.length & 1;
  const out = new Uint8Array((path.length >> 1) + 1);
  const flag = (leaf ? 2 : 0) + odd;
  let i = 0;
  if (odd) out[0] = (flag << 4) | path[i++];
  else out[0] = flag << 4;
  for (let o = 1; i < path.length; i += 2, o++) out[o] = (path[i] << 4) | path[i + 1];
  return out;
}

function fromHexPrefix(b: Uint8Array, start: number, end: number): { path: number[]; leaf: boolean } {
  const flag = b[start] >> 4;
  const path: number[] = [];
  if (flag & 1) path.push(b[start] & 0x0f);
  for (let i = start + 1; i < end; i++) path.push(b[i] >> 4, b[i] & 0x0f);
  return { path, leaf: flag >= 2 };
}

// ------------------------------------------------------------------ decode / encode

function decodeAt(b: Uint8Array, start: number, end: number): Node {
  const items: Array<ReturnType<typeof rlpItem>> = [];
  for (let p = start; p < end; ) {
    const it = rlpItem(b, p);
    items.push(it);
    p = it.next;
  }
  const ref = (it: ReturnType<typeof rlpItem>): Ref | null => {
    if (it.list) return decodeAt(b, it.start, it.end);
    if (it.end === it.start) return null;
    if (it.end - it.start !== 32) throw new Error("mpt: child reference is neither a hash nor an embedded node");
    return b.subarray(it.start, it.end);
  };
  if (items.length === 17) {
    if (items[16].end !== items[16].start) throw new Error("mpt: branch with a value (keys are fixed-length)");
    return { kind: 2, children: items.slice(0, 16).map(ref) };
  }
  if (items.length !== 2) throw new Error(`mpt: not a trie node (${items.length} items)`);
  const { path, leaf } = fromHexPrefix(b, items[0].start, items[0].end);
  if (leaf) return { kind: 0, path, value: b.slice(items[1].start, items[1].end) };
  const child = ref(items[1]);
  if (child === null) throw new Error("mpt: extension without a child");
  return { kind: 1, path, child };
}

/** A serialized node (RLP) as a Node; children stay references. */
export function decodeNode(serialized: Uint8Array): Node {
  const top = rlpItem(serialized, 0);
  if (!top.list) throw new Error("mpt: not a trie node");
  return decodeAt(serialized, top.start, top.end);
}

/**
 * A batch-updating trie over a node store. `load` returns a stored node's serialization by hex
 * hash (throwing if it is missing); `put` receives every node of the new version this update
 * created, by hex hash (the root always, others when 32 bytes or more).
 */
export class BatchMPT {
  constructor(private readonly load: (hash: string) => Uint8Array) {}

  static hashKey(key: Uint8Array): Buffer {
    return sha256(key);
  }

  /** The root of an empty trie (SHA-256 of RLP ""). */
  static readonly EMPTY_ROOT: Uint8Array = new Uint8Array(sha256(EMPTY_ITEM));
  static readonly EMPTY_ROOT_HEX = Buffer.from(BatchMPT.EMPTY_ROOT).toString("hex");

  /**
   * Applies `writes` (hashed keys, each at most once, any order) to the trie at `root` (hex)
   * and returns the new root; the new nodes go to `put`.
   */
  update(root: string, writes: HashedWrite[], put: (hash: string, node: Uint8Array) => void): Uint8Array {
    // Sorted by hashed key; latin1 strings compare in byte order, faster than Buffer.compare.
    const tagged = writes.map((w) => ({ w, k: Buffer.from(w.key.buffer, w.key.byteOffset, w.key.length).toString("latin1") }));
    tagged.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
    for (let i = 1; i < tagged.length; i++) if (tagged[i - 1].k === tagged[i].k) throw new Error("mpt: a key written twice in one batch");
    const sorted = tagged.map((t) => t.w);
    const top = root === BatchMPT.EMPTY_ROOT_HEX ? null : decodeNode(this.load(root));
    const next = this.apply(top, 0, sorted, 0, sorted.length);
    if (next === null) return new Uint8Array(BatchMPT.EMPTY_ROOT);
    const serialized = this.encode(next, put);
    const h = sha256(serialized);
    put(h.toString("hex"), serialized);
    return new Uint8Array(h);
  }

  private resolve(ref: Ref): Node {
    return ref instanceof Uint8Array ? decodeNode(this.load(Buffer.from(ref.buffer, ref.byteOffset, 32).toString("hex"))) : ref;
  }

  /** The node at `depth` after writes[lo, hi) (which all share the node's key prefix). */
  private apply(node: Node | null, depth: number, w: HashedWrite[], lo: number, hi: number): Node | null {
    if (lo === hi) return node;
    if (depth === KEY_NIBBLES) {
      // One key: the write replaces (or removes) the leaf with the empty path.
      const v = w[lo].value;
      return v === null ? null : { kind: 0, path: [], value: v };
    }
    if (node === null) return this.build(depth, w, lo, hi);
    // A leaf or an extension is a branch with one child, at its first nibble; the branch
    // update collapses it back if nothing else lands beside it.
    if (node.kind !== 2) {
      const rest = node.path.slice(1);
      const inner: Ref = node.kind === 0 ? { kind: 0, path: rest, value: node.value } : rest.length === 0 ? node.child : { kind: 1, path: rest, child: node.child };
      const children: Array<Ref | null> = new Array<Ref | null>(16).fill(null);
      children[node.path[0]] = inner;
      return this.applyBranch(children, depth, w, lo, hi);
    }
    return this.applyBranch([...node.children], depth, w, lo, hi);
  }

  private applyBranch(children: Array<Ref | null>, depth: number, w: HashedWrite[], lo: number, hi: number): Node | null {
    for (let i = lo; i < hi; ) {
      const n = nibble(w[i].key, depth);
      let j = i + 1;
      while (j < hi && nibble(w[j].key, depth) === n) j++;
      const c = children[n];
      children[n] = this.apply(c === null ? null : this.resolve(c), depth + 1, w, i, j);
      i = j;
    }
    return this.collapse(children);
  }

  /** A branch's canonical form: none left → nothing; one child → that child one nibble longer. */
  private collapse(children: Array<Ref | null>): Node | null {
    let only = -1;
    let count = 0;
    for (let n = 0; n < 16; n++) {
      if (children[n] !== null) {
        count++;
        only = n;
      }
    }
    if (count === 0) return null;
    if (count > 1) return { kind: 2, children };
    const child = this.resolve(children[only]!);
    if (child.kind === 0) return { kind: 0, path: [only, ...child.path], value: child.value };
    if (child.kind === 1) return { kind: 1, path: [only, ...child.path], child: child.child };
    return { kind: 1, path: [only], child: children[only]! };
  }

  /** A new subtree holding the puts of writes[lo, hi) (deletes of absent keys do nothing). */
  private build(depth: number, w: HashedWrite[], lo: number, hi: number): Node | null {
    const puts: HashedWrite[] = [];
    for (let i = lo; i < hi; i++) if (w[i].value !== null) puts.push(w[i]);
    return this.buildPuts(depth, puts, 0, puts.length);
  }

  private buildPuts(depth: number, p: HashedWrite[], lo: number, hi: number): Node | null {
    if (lo === hi) return null;
    if (hi - lo === 1) {
      const path: number[] = [];
      for (let i = depth; i < KEY_NIBBLES; i++) path.push(nibble(p[lo].key, i));
      return { kind: 0, path, value: p[lo].value! };
    }
    // Common prefix of a sorted run = that of its first and last keys.
    let d = depth;
    while (nibble(p[lo].key, d) === nibble(p[hi - 1].key, d)) d++;
    const children: Array<Ref | null> = new Array<Ref | null>(16).fill(null);
    for (let i = lo; i < hi; ) {
      const n = nibble(p[i].key, d);
      let j = i + 1;
      while (j < hi && nibble(p[j].key, d) === n) j++;
      children[n] = this.buildPuts(d + 1, p, i, j);
      i = j;
    }
    const branch: BranchNode = { kind: 2, children };
    if (d === depth) return branch;
    const path: number[] = [];
    for (let i = depth; i < d; i++) path.push(nibble(p[lo].key, i));
    return { kind: 1, path, child: branch };
  }

  /** A node's RLP; new children of 32 bytes or more are hashed and handed to `put`. */
  private encode(node: Node, put: (hash: string, node: Uint8Array) => void): Uint8Array {
    if (node.kind === 0) return rlpList([rlpBytes(hexPrefix(node.path, true)), rlpBytes(node.value)]);
    if (node.kind === 1) return rlpList([rlpBytes(hexPrefix(node.path, false)), this.childItem(node.child, put)]);
    // A branch: 16 children and the empty value, written into one buffer.
    const items: Array<Uint8Array | null> = new Array<Uint8Array | null>(16);
    let len = 1;
    for (let n = 0; n < 16; n++) {
      const c = node.children[n];
      if (c === null) {
        items[n] = null;
        len += 1;
      } else if (c instanceof Uint8Array) {
        items[n] = c;
        len += 33;
      } else {
        const item = this.childItem(c, put);
        items[n] = item;
        len += item.length;
      }
    }
    const head = lengthPrefix(len, 0xc0, 0xf7);
    const out = new Uint8Array(head.length + len);
    out.set(head);
    let p = head.length;
    for (let n = 0; n < 16; n++) {
      const c = items[n];
      const stored = node.children[n];
      if (c === null) out[p++] = 0x80;
      else if (stored instanceof Uint8Array) {
        out[p++] = 0xa0;
        out.set(c, p);
        p += 32;
      } else {
        out.set(c, p);
        p += c.length;
      }
    }
    out[p] = 0x80;
    return out;
  }

  /** A child as its parent holds it: the 32-byte hash (as an RLP string), or the node inline when under 32 bytes. */
  private childItem(r: Ref, put: (hash: string, node: Uint8Array) => void): Uint8Array {
    if (r instanceof Uint8Array) return rlpBytes(r);
    const s = this.encode(r, put);
    if (s.length < 32) return s;
    const h = sha256(s);
    put(h.toString("hex"), s);
    return rlpBytes(h);
  }
}
