import { Branch, MemKV } from "./kv";

const b = (s: string): Uint8Array => new TextEncoder().encode(s);
const keys = (it: Iterable<[string, Uint8Array]>): string[] => [...it].map(([k]) => k);

describe("MemKV", () => {
  test("iterates a prefix in byte order, forwards and backwards", () => {
    const kv = new MemKV();
    for (const k of ["a/2", "a/10", "b/1", "a/1", "a", "a0"]) kv.set(k, b(k));
    expect(keys(kv.iterate("a/"))).toEqual(["a/1", "a/10", "a/2"]);
    expect(keys(kv.iterate("a/", true))).toEqual(["a/2", "a/10", "a/1"]);
    expect(keys(kv.iterate("c/"))).toEqual([]);
  });

  test("refuses non-ASCII keys and empty values", () => {
    const kv = new MemKV();
    expect(() => kv.set("é", b("x"))).toThrow(/printable ASCII/);
    expect(() => kv.set("", b("x"))).toThrow(/empty key/);
    expect(() => kv.set("k", new Uint8Array())).toThrow(/empty value/);
  });
});

describe("Branch", () => {
  test("reads through, writes stay until write(), deletes hide parent keys", () => {
    const base = new MemKV();
    base.set("x/1", b("one"));
    base.set("x/3", b("three"));
    const br = new Branch(base);
    br.set("x/2", b("two"));
    br.delete("x/3");
    br.set("x/1", b("uno"));
    expect(keys(br.iterate("x/"))).toEqual(["x/1", "x/2"]);
    expect(keys(br.iterate("x/", true))).toEqual(["x/2", "x/1"]);
    expect(new TextDecoder().decode(br.get("x/1"))).toBe("uno");
    expect(base.get("x/2")).toBeUndefined();
    expect(br.changes().map(([k, v]) => [k, v === null])).toEqual([
      ["x/1", false],
      ["x/2", false],
      ["x/3", true],
    ]);
    br.write();
    expect(keys(base.iterate("x/"))).toEqual(["x/1", "x/2"]);
    expect(br.changes()).toEqual([]);
  });

  test("nested branches drop cleanly", () => {
    const base = new MemKV();
    const outer = new Branch(base);
    outer.set("k", b("outer"));
    const inner = new Branch(outer);
    inner.set("k", b("inner"));
    inner.set("j", b("j"));
    expect(new TextDecoder().decode(inner.get("k"))).toBe("inner");
    // dropped: outer unchanged
    expect(new TextDecoder().decode(outer.get("k"))).toBe("outer");
    expect(outer.get("j")).toBeUndefined();
    expect(keys(inner.iterate(""))).toEqual(["j", "k"]);
  });
});
