import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { mulberry32 } from "../../test/support/rng";
import { CommitStore, verifyProof } from "./commitStore";

const b = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (x: Uint8Array): string => Buffer.from(x).toString("hex");

describe("CommitStore", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-store-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("the app hash depends on every key and value but not on write order", async () => {
    const s1 = await CommitStore.open(path.join(dir, "a"));
    const s2 = await CommitStore.open(path.join(dir, "b"));
    const h1 = await s1.stage(1n, [["k/1", b("x")], ["k/2", b("y")]]);
    const h2 = await s2.stage(1n, [["k/2", b("y")], ["k/1", b("x")]]);
    expect(Buffer.from(h1)).toEqual(Buffer.from(h2));
    await s1.commit();
    await s2.commit();
    const h3 = await s1.stage(2n, [["k/2", b("z")]]);
    expect(Buffer.from(h3)).not.toEqual(Buffer.from(h1));
    const h4 = await s2.stage(2n, [["k/3", b("y")]]);
    expect(Buffer.from(h4)).not.toEqual(Buffer.from(h3));
    await s1.close();
    await s2.close();
  });

  test("commit is durable, restaging replaces an uncommitted block, and proofs verify", async () => {
    let s = await CommitStore.open(dir);
    await s.stage(1n, [["a", b("1")], ["b", b("2")]]);
    const c1 = await s.commit();
    // A block that never commits (crash between FinalizeBlock and Commit) leaves no trace.
    await s.stage(2n, [["a", b("lost")]]);
    await s.close();

    s = await CommitStore.open(dir);
    expect(s.lastCommitInfo.height).toBe(1n);
    expect(Buffer.from(s.lastCommitInfo.appHash)).toEqual(Buffer.from(c1.appHash));
    expect(new TextDecoder().decode(s.state.get("a"))).toBe("1");

    // Staging twice for one height keeps only the second attempt.
    await s.stage(2n, [["a", b("first try")]]);
    const h2 = await s.stage(2n, [["c", b("3")]]);
    const c2 = await s.commit();
    expect(Buffer.from(c2.appHash)).toEqual(Buffer.from(h2));
    expect(new TextDecoder().decode(s.state.get("a"))).toBe("1");

    const proof = await s.proof("c");
    expect(new TextDecoder().decode((await verifyProof(c2.appHash, "c", proof))!)).toBe("3");
    // The same proof does not verify against the previous root.
    await expect(verifyProof(c1.appHash, "c", proof)).rejects.toThrow();
    // Deleting a key removes it from the tree.
    await s.stage(3n, [["c", null]]);
    const c3 = await s.commit();
    expect(await verifyProof(c3.appHash, "c", await s.proof("c"))).toBeNull();
    expect(s.state.get("c")).toBeUndefined();
    await s.close();
  });
  test("between stage and commit, the value and its proof both come from the last committed version", async () => {
    const s = await CommitStore.open(dir);
    await s.stage(1n, [["a", b("old")], ["b", b("2")]]);
    const c1 = await s.commit();
    // FinalizeBlock of height 2 has staged a new value; Commit has not run yet.
    const staged = await s.stage(2n, [["a", b("new")]]);
    expect(Buffer.from(staged)).not.toEqual(Buffer.from(c1.appHash));
    const p = await s.provenValue("a");
    expect(p.height).toBe(1n);
    expect(Buffer.from(p.appHash)).toEqual(Buffer.from(c1.appHash));
    expect(new TextDecoder().decode(p.value)).toBe("old");
    expect(new TextDecoder().decode((await verifyProof(c1.appHash, "a", p.proof))!)).toBe("old");
    expect(new TextDecoder().decode((await verifyProof(c1.appHash, "a", await s.proof("a")))!)).toBe("old");
    // After Commit both move to the new version together.
    const c2 = await s.commit();
    const q = await s.provenValue("a");
    expect(q.height).toBe(2n);
    expect(new TextDecoder().decode(q.value)).toBe("new");
    expect(new TextDecoder().decode((await verifyProof(c2.appHash, "a", q.proof))!)).toBe("new");
    await s.close();
  });
  test("a committed value does not keep the buffer it was sliced from alive", async () => {
    const s = await CommitStore.open(dir);
    // Protobuf writers hand out views into a shared pool; a long-lived key must not pin it.
    const pool = new Uint8Array(64 * 1024).fill(7);
    await s.stage(1n, [["k", pool.subarray(100, 110)]]);
    await s.commit();
    const v = s.state.get("k")!;
    expect(v.byteLength).toBe(10);
    expect(v.buffer.byteLength).toBe(10);
    // Deleting the key drops it from the in-memory state.
    await s.stage(2n, [["k", null]]);
    await s.commit();
    expect(s.state.size).toBe(0);
    await s.close();
  });
  test("a node cache of 4 entries (every trie read from LevelDB) gives the same roots, values and proofs, across a reopen", async () => {
    // Seeded: blocks of puts and deletes over 300 keys.
    const random = mulberry32(11);
    const r = (n: number): number => Math.floor(random() * n);
    const blocks = Array.from({ length: 30 }, () => {
      const m = new Map<string, Uint8Array | null>();
      for (let i = 0; i < 40; i++) m.set(`k/${r(300)}`, r(4) === 0 ? null : b(`v${r(1000)}`));
      return [...m].sort((x, y) => (x[0] < y[0] ? -1 : 1));
    });
    const big = await CommitStore.open(path.join(dir, "big"));
    let tiny = await CommitStore.open(path.join(dir, "tiny"), { nodeCacheEntries: 4 });
    for (const [i, w] of blocks.entries()) {
      const h = BigInt(i + 1);
      expect(hex(await tiny.stage(h, w))).toBe(hex(await big.stage(h, w)));
      await big.commit();
      await tiny.commit();
      if (i === 14) {
        // Crash-free close and reopen mid-run: the committed state and trie carry on.
        await tiny.close();
        tiny = await CommitStore.open(path.join(dir, "tiny"), { nodeCacheEntries: 4 });
        expect(tiny.lastCommitInfo.height).toBe(15n);
      }
    }
    // (Values read back from LevelDB are Buffers: compare bytes.)
    const entries = (st: CommitStore): string[] => [...st.state.iterate("")].map(([k, v]) => `${k}=${hex(v)}`);
    expect(entries(tiny)).toEqual(entries(big));
    for (const k of ["k/1", "k/150", "k/299"]) {
      const p = await tiny.provenValue(k);
      expect(await verifyProof(p.appHash, k, p.proof)).toEqual(p.value ?? null);
    }
    await big.close();
    await tiny.close();
  });
});
