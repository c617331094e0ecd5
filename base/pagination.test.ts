import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, MAX_SCAN_KEYS, paginate, paginateRows, type PageRequestLike } from "./pagination";
import { GrpcStatus, MeteredReader, QueryError, QueryGasMeter } from "./query";
import { MemKV } from "./store/kv";

const enc = new TextEncoder();
const dec = new TextDecoder();
const pad = (n: number): string => n.toString().padStart(6, "0");

/** `p/<000001>` … `p/<n>` → "v<i>", plus keys just outside the prefix on both sides. */
function store(n: number): MemKV {
  const s = new MemKV();
  s.set("o/000001", enc.encode("before"));
  for (let i = 1; i <= n; i++) s.set(`p/${pad(i)}`, enc.encode(`v${i}`));
  s.set("q/000001", enc.encode("after"));
  return s;
}

const req = (r: Partial<PageRequestLike>): PageRequestLike => ({ key: new Uint8Array(), offset: 0n, limit: 0n, countTotal: false, reverse: false, ...r });

function codeOf(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof QueryError) return e.grpcCode;
    throw e;
  }
  return undefined;
}

/** A page of the values, loading through `s` (so loads are metered when it is). */
function values(s: MeteredReader | MemKV, r: PageRequestLike | undefined, loaded: string[] = []) {
  return paginate(s, "p/", r, (key, suffix) => {
    loaded.push(suffix);
    return dec.decode(s.get(key)!);
  });
}

describe("paginate (Cosmos semantics)", () => {
  test("key pages forwards and in reverse; next_key is the next row's suffix; empty at the end", () => {
    const s = store(5);
    const p1 = values(s, req({ limit: 2n }));
    expect(p1.items).toEqual(["v1", "v2"]);
    expect(dec.decode(p1.pagination.nextKey)).toBe(pad(3));
    const p2 = values(s, req({ limit: 2n, key: p1.pagination.nextKey }));
    expect(p2.items).toEqual(["v3", "v4"]);
    const p3 = values(s, req({ limit: 2n, key: p2.pagination.nextKey }));
    expect(p3.items).toEqual(["v5"]);
    expect(p3.pagination.nextKey).toHaveLength(0);

    const r1 = values(s, req({ limit: 3n, reverse: true }));
    expect(r1.items).toEqual(["v5", "v4", "v3"]);
    const r2 = values(s, req({ limit: 3n, reverse: true, key: r1.pagination.nextKey }));
    expect(r2.items).toEqual(["v2", "v1"]);
    expect(r2.pagination.nextKey).toHaveLength(0);
  });

  test("a key between rows resumes at the next row; offset skips; key and offset together are refused", () => {
    const s = store(5);
    expect(values(s, req({ limit: 1n, key: enc.encode(`${pad(2)}x`) })).items).toEqual(["v3"]);
    expect(values(s, req({ limit: 1n, reverse: true, key: enc.encode(`${pad(2)}x`) })).items).toEqual(["v2"]);
    expect(values(s, req({ offset: 3n, limit: 10n })).items).toEqual(["v4", "v5"]);
    expect(values(s, req({ offset: 9n })).items).toEqual([]);
    expect(codeOf(() => values(s, req({ offset: 1n, key: enc.encode(pad(2)) })))).toBe(GrpcStatus.INVALID_ARGUMENT);
  });

  test("count_total counts every row with offset paging, is ignored with a key, and is implied by limit 0", () => {
    const s = store(7);
    expect(values(s, req({ limit: 2n, countTotal: true })).pagination.total).toBe(7n);
    expect(values(s, req({ limit: 2n, offset: 6n, countTotal: true })).pagination.total).toBe(7n);
    expect(values(s, req({ limit: 2n })).pagination.total).toBe(0n);
    expect(values(s, req({ limit: 2n, key: enc.encode(pad(3)), countTotal: true })).pagination.total).toBe(0n);
    expect(values(s, req({})).pagination.total).toBe(7n);
    expect(values(s, undefined).pagination.total).toBe(7n);
  });

  test("limit 0 is 100; a limit above the maximum is capped at 1000", () => {
    const s = store(1_200);
    expect(BigInt(values(s, undefined).items.length)).toBe(DEFAULT_PAGE_LIMIT);
    const big = values(s, req({ limit: 1_000_000n }));
    expect(BigInt(big.items.length)).toBe(MAX_PAGE_LIMIT);
    expect(dec.decode(big.pagination.nextKey)).toBe(pad(1001));
  });

  test("only the rows returned are loaded, whatever the offset or count", () => {
    const s = store(300);
    const loaded: string[] = [];
    values(s, req({ offset: 250n, limit: 3n, countTotal: true }), loaded);
    expect(loaded).toEqual([pad(251), pad(252), pad(253)]);
  });

  test("offsets and asked-for counts past MAX_SCAN_KEYS are refused; the count limit 0 implies is dropped", () => {
    const n = Number(MAX_SCAN_KEYS) + 500;
    const s = store(n);
    expect(codeOf(() => values(s, req({ offset: MAX_SCAN_KEYS + 1n })))).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(codeOf(() => values(s, req({ limit: 10n, countTotal: true })))).toBe(GrpcStatus.INVALID_ARGUMENT);
    const implied = values(s, req({}));
    expect(implied.items).toHaveLength(100);
    expect(implied.pagination.total).toBe(0n);
    expect(dec.decode(implied.pagination.nextKey)).toBe(pad(101));
    // Deep pages by key stay cheap: a seek, not a walk.
    const meter = new QueryGasMeter();
    const deep = values(new MeteredReader(s, meter), req({ key: enc.encode(pad(n - 1)), limit: 5n }));
    expect(deep.items).toEqual([`v${n - 1}`, `v${n}`]);
    expect(meter.consumed).toBeLessThan(10_000n);
  });

  test("a key filter that matches little ends a short page after MAX_SCAN_KEYS keys, with the key to resume from", () => {
    const n = Number(MAX_SCAN_KEYS) * 2;
    const s = store(n);
    const wanted = new Set([pad(3), pad(n - 1)]);
    const page = paginate(s, "p/", req({ limit: 10n }), (_k, suffix) => suffix, { accept: (k) => wanted.has(k.slice(2)) });
    expect(page.items).toEqual([pad(3)]);
    expect(page.pagination.nextKey.length).toBeGreaterThan(0);
    const rest = paginate(s, "p/", req({ limit: 10n, key: page.pagination.nextKey }), (_k, suffix) => suffix, { accept: (k) => wanted.has(k.slice(2)) });
    expect(rest.items).toEqual([pad(n - 1)]);
    expect(rest.pagination.nextKey).toHaveLength(0);
  });

  test("rows of several keys: limit, next_key and total count rows, and a page holds whole rows", () => {
    const s = new MemKV();
    for (const op of ["a", "b", "c"]) for (const id of [1, 2, 3]) s.set(`u/${op}/${id}`, enc.encode(`${op}${id}`));
    const rowOf = (suffix: string): string => suffix.slice(0, suffix.indexOf("/"));
    const load = (keys: string[]): string[] => keys.map((k) => dec.decode(s.get(k)!));
    const p1 = paginateRows(s, "u/", req({ limit: 2n, countTotal: true }), load, { rowOf });
    expect(p1.items).toEqual([["a1", "a2", "a3"], ["b1", "b2", "b3"]]);
    expect(p1.pagination.total).toBe(3n);
    expect(dec.decode(p1.pagination.nextKey)).toBe("c/1");
    expect(paginateRows(s, "u/", req({ limit: 2n, key: p1.pagination.nextKey }), load, { rowOf }).items).toEqual([["c1", "c2", "c3"]]);
    const r1 = paginateRows(s, "u/", req({ limit: 1n, reverse: true }), load, { rowOf });
    expect(r1.items).toEqual([["c3", "c2", "c1"]]);
    expect(paginateRows(s, "u/", req({ limit: 1n, reverse: true, key: r1.pagination.nextKey }), load, { rowOf }).items).toEqual([["b3", "b2", "b1"]]);
  });
});

describe("query gas", () => {
  test("every read is charged; past the limit the query fails with ResourceExhausted", () => {
    const s = store(1_000);
    const meter = new QueryGasMeter(50_000n);
    expect(codeOf(() => values(new MeteredReader(s, meter), req({ limit: 1000n })))).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    const ok = new QueryGasMeter(50_000n);
    expect(values(new MeteredReader(s, ok), req({ limit: 10n })).items).toHaveLength(10);
    expect(ok.consumed).toBeGreaterThan(10_000n); // ten point reads at 1,000 flat each
  });

  test("counting walks keys without charging for values", () => {
    const s = new MemKV();
    for (let i = 0; i < 100; i++) s.set(`p/${pad(i)}`, new Uint8Array(10_000));
    const meter = new QueryGasMeter();
    paginate(new MeteredReader(s, meter), "p/", req({ limit: 1n, countTotal: true }), (k) => k);
    expect(meter.consumed).toBeLessThan(100n * 100n);
  });
});
