import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { BranchMPTNode, ExtensionMPTNode, decodeMPTNode, decodeRawMPTNode, isRawMPTNode } from "@ethereumjs/mpt";
import { CommitStore, childHashes, verifyProof } from "./commitStore";
import { PRUNING_DEFAULT, PRUNING_EVERYTHING, PRUNING_NOTHING, PruningConfigError, pruneBelow, pruningOptions, type PruningOptions } from "./pruning";
import { blockWrites, stateAfter } from "./testdata/workload";

const b = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (x: Uint8Array): string => Buffer.from(x).toString("hex");
const sorted = (s: Set<string>): string[] => [...s].sort();

/** Commits `blocks` workload blocks; returns the root of every committed height. */
async function run(store: CommitStore, from: number, blocks: number, roots: Map<number, Uint8Array>, check?: () => Promise<void>): Promise<void> {
  for (let h = from; h < from + blocks; h++) {
    await store.stage(BigInt(h), blockWrites(h));
    roots.set(h, (await store.commit()).appHash);
    if (check) await check();
  }
}

/** The stored trie is exactly the union of the versions still kept: nothing missing, nothing leaked. */
async function expectExactlyKept(store: CommitStore, roots: Map<number, Uint8Array>): Promise<void> {
  const latest = Number(store.lastCommitInfo.height);
  const kept = [...roots.entries()].filter(([h]) => h >= Number(store.earliestVersion) && h <= latest).map(([, r]) => r);
  expect(sorted(await store.storedNodes())).toEqual(sorted(await store.reachableNodes(kept)));
}

describe("pruning options", () => {
  test("app.toml strategies map to keep-recent/interval, and bad values are refused", () => {
    expect(pruningOptions("default")).toBe(PRUNING_DEFAULT);
    expect(pruningOptions("")).toBe(PRUNING_DEFAULT);
    expect(pruningOptions("nothing")).toBe(PRUNING_NOTHING);
    expect(pruningOptions("everything")).toBe(PRUNING_EVERYTHING);
    expect(pruningOptions("custom", "7", "3")).toEqual({ strategy: "custom", keepRecent: 7, interval: 3 });
    expect(() => pruningOptions("custom", "1", "3")).toThrow(PruningConfigError);
    expect(() => pruningOptions("custom", "5", "0")).toThrow(/pruning-interval/);
    expect(() => pruningOptions("custom", "-5", "1")).toThrow(/whole number/);
    expect(() => pruningOptions("custom", undefined, "1")).toThrow(/pruning-keep-recent/);
    expect(() => pruningOptions("all")).toThrow(/one of default, nothing, everything, custom/);
  });

  test("versions below height − keep-recent + 1 are pruned at multiples of the interval", () => {
    const o: PruningOptions = { strategy: "custom", keepRecent: 3, interval: 5 };
    expect(pruneBelow(o, 4n)).toBeUndefined();
    expect(pruneBelow(o, 10n)).toBe(8n);
    expect(pruneBelow(PRUNING_NOTHING, 1000n)).toBeUndefined();
    expect(pruneBelow(PRUNING_EVERYTHING, 20n)).toBe(19n);
  });
});

/** childHashes through @ethereumjs/mpt's own node decoding (slower; the reference). */
function referenceChildHashes(serialized: Uint8Array): string[] {
  const out: string[] = [];
  const visit = (node: ReturnType<typeof decodeRawMPTNode>): void => {
    const refs: unknown[] = node instanceof BranchMPTNode ? node.getChildren().map(([, c]) => c) : node instanceof ExtensionMPTNode ? [node.value()] : [];
    for (const r of refs) {
      if (isRawMPTNode(r as Uint8Array)) visit(decodeRawMPTNode(r as Uint8Array[]));
      else if (r instanceof Uint8Array && r.length === 32) out.push(hex(r));
    }
  };
  visit(decodeMPTNode(serialized));
  return out;
}

describe("CommitStore pruning", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-prune-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each([
    ["custom keep 3 every 2", { strategy: "custom", keepRecent: 3, interval: 2 } as PruningOptions],
    ["everything", PRUNING_EVERYTHING],
    ["custom keep 2 every 1", { strategy: "custom", keepRecent: 2, interval: 1 } as PruningOptions],
  ])("%s: after every commit the store holds exactly the kept versions' nodes", async (_name, pruning) => {
    const store = await CommitStore.open(dir, { pruning });
    const roots = new Map<number, Uint8Array>();
    let revived = 0;
    await run(store, 1, 60, roots, async () => {
      revived += store.lastCommitStats.nodesRevived;
      await expectExactlyKept(store, roots);
    });
    // Keys went back to earlier values, so dropped nodes came back, and old versions went.
    expect(revived).toBeGreaterThan(0);
    expect(store.earliestVersion).toBe(pruneBelow(pruning, 60n) ?? store.earliestVersion);
    expect(store.earliestVersion).toBeGreaterThan(50n);
    await expect(store.reachableNodes([roots.get(1)!])).rejects.toThrow(/missing/);
    // The latest state is intact: every key proves its value against the app hash.
    const want = stateAfter(60);
    expect(store.state.size).toBe(want.size);
    for (const [k, v] of want) {
      const p = await store.provenValue(k);
      expect(hex(p.value!)).toBe(hex(v));
      expect(hex((await verifyProof(p.appHash, k, p.proof))!)).toBe(hex(v));
    }
    await store.close();
  });

  test("childHashes reads the same children off the RLP as @ethereumjs/mpt's decoder", async () => {
    const store = await CommitStore.open(dir, { pruning: PRUNING_NOTHING });
    await run(store, 1, 20, new Map());
    const level = (store as unknown as { level: { get(k: string): Promise<Uint8Array | undefined> } }).level;
    let refs = 0;
    for (const h of await store.storedNodes()) {
      const node = (await level.get(`t/${h}`))!;
      const got = childHashes(node);
      expect(got).toEqual(referenceChildHashes(node));
      refs += got.length;
    }
    expect(refs).toBeGreaterThan(100);
    // A branch with an embedded child and a long-form (≥ 56-byte) value; an extension; a leaf.
    const { RLP } = await import("@ethereumjs/rlp");
    const h32 = new Uint8Array(32).fill(9);
    const embeddedLeaf = [Uint8Array.of(0x35), Uint8Array.of(1)];
    const branch = RLP.encode([h32, embeddedLeaf, ...Array.from({ length: 14 }, () => new Uint8Array()), new Uint8Array(60).fill(1)]);
    expect(childHashes(branch)).toEqual(referenceChildHashes(branch));
    expect(childHashes(branch)).toEqual([hex(h32)]);
    const ext = RLP.encode([Uint8Array.of(0x00, 0x12), h32]);
    expect(childHashes(ext)).toEqual([hex(h32)]);
    const leaf = RLP.encode([Uint8Array.of(0x20, 0x12), h32]);
    expect(childHashes(leaf)).toEqual([]);
    expect(referenceChildHashes(leaf)).toEqual([]);
    await store.close();
  });

  test("nothing keeps every version, and no intermediate node a block created and replaced", async () => {
    const store = await CommitStore.open(dir, { pruning: PRUNING_NOTHING });
    const roots = new Map<number, Uint8Array>();
    await run(store, 1, 30, roots);
    expect(store.earliestVersion).toBe(1n);
    expect(store.lastCommitStats.nodesOrphaned).toBe(0);
    expect(sorted(await store.storedNodes())).toEqual(sorted(await store.reachableNodes([...roots.values()])));
    await store.close();
  });

  test("a node that comes back in the block that prunes its old version is kept", async () => {
    const store = await CommitStore.open(dir, { pruning: { strategy: "custom", keepRecent: 2, interval: 1 } });
    const roots = new Map<number, Uint8Array>();
    const commit = async (h: number, writes: Array<[string, Uint8Array | null]>): Promise<void> => {
      await store.stage(BigInt(h), writes);
      roots.set(h, (await store.commit()).appHash);
      await expectExactlyKept(store, roots);
    };
    // A one-key trie: its root is the leaf, so the root of height 1 is dropped at 2 and comes back at 3.
    await commit(1, [["only", b("v1")]]);
    await commit(2, [["only", b("v2")]]);
    expect(store.lastCommitStats.nodesOrphaned).toBe(1);
    await commit(3, [["only", b("v1")]]);
    expect(hex(roots.get(3)!)).toBe(hex(roots.get(1)!));
    expect(store.lastCommitStats.nodesRevived).toBe(1);
    await commit(4, [["only", b("v3")]]);
    await commit(5, [["only", null]]);
    expect(await store.trieNodeCount()).toBe(1);
    await commit(6, [["other", b("x")]]);
    expect(await store.trieNodeCount()).toBe(1);
    await store.close();
  });

  test("a commit that fails before its batch is written leaves the previous commit and its pruning state", async () => {
    const pruning: PruningOptions = { strategy: "custom", keepRecent: 2, interval: 1 };
    let store = await CommitStore.open(dir, { pruning });
    const roots = new Map<number, Uint8Array>();
    await run(store, 1, 10, roots);
    const before = { info: store.lastCommitInfo, earliest: store.earliestVersion, nodes: sorted(await store.storedNodes()) };
    // The process dies inside commit(): after the orphan walk and the prune scan, before the write.
    const level = (store as unknown as { level: { batch: () => { write: () => Promise<void> } } }).level;
    const realBatch = level.batch.bind(level);
    level.batch = () => Object.assign(realBatch(), { write: () => Promise.reject(new Error("killed")) });
    await store.stage(11n, blockWrites(11));
    await expect(store.commit()).rejects.toThrow("killed");
    await store.close();

    store = await CommitStore.open(dir, { pruning });
    expect(store.lastCommitInfo).toEqual(before.info);
    expect(store.earliestVersion).toBe(before.earliest);
    expect(sorted(await store.storedNodes())).toEqual(before.nodes);
    // CometBFT replays block 11; the store picks up as if nothing happened.
    await run(store, 11, 10, roots, () => expectExactlyKept(store, roots));
    expect(store.state.size).toBe(stateAfter(20).size);
    await store.close();
  });

  test("SIGKILL at any point of commit and prune loses no committed state and leaves no missing node", async () => {
    const child = path.join(__dirname, "testdata", "crashChild.cjs");
    const roots = new Map<number, Uint8Array>();
    let reported = 0;
    for (let cycle = 0; cycle < 4; cycle++) {
      const p = spawn(process.execPath, [child, dir], { stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      p.stderr.on("data", (d) => (stderr += String(d)));
      const lines = readline.createInterface({ input: p.stdout });
      const killAfter = 20 + cycle * 37;
      let seen = 0;
      const exited = new Promise<void>((resolve) => p.on("exit", () => resolve()));
      lines.on("line", (line) => {
        const [h, root] = line.split(" ");
        roots.set(Number(h), Buffer.from(root, "hex"));
        reported = Math.max(reported, Number(h));
        if (++seen === killAfter) p.kill("SIGKILL");
      });
      await exited;
      expect(stderr).toBe("");
      expect(seen).toBeGreaterThanOrEqual(killAfter);

      const store = await CommitStore.open(dir, { pruning: pruningOptions("custom", 3, 2) });
      const height = Number(store.lastCommitInfo.height);
      // Every commit the child reported is on disk (the kill may land after a write, before its line).
      expect(height).toBeGreaterThanOrEqual(reported);
      expect(height).toBeLessThanOrEqual(reported + 1);
      roots.set(height, store.lastCommitInfo.appHash);
      if (height > reported) reported = height;
      await expectExactlyKept(store, roots);
      const want = stateAfter(height);
      expect(store.state.size).toBe(want.size);
      for (const [k, v] of want) {
        const pv = await store.provenValue(k);
        expect(hex(pv.value!)).toBe(hex(v));
        expect(hex((await verifyProof(store.lastCommitInfo.appHash, k, pv.proof))!)).toBe(hex(v));
      }
      await store.close();
    }
  }, 120_000);
});
