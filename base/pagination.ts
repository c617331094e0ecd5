/**
 * Cosmos pagination for every list query (cosmos-sdk `types/query.Paginate`): rows are the keys
 * under one store prefix, in key order, and a page is found by a seek and a bounded walk.
 *
 * - `key` resumes from a previous `next_key` (the first row's key suffix under the prefix;
 *   rows ≥ key, or ≤ key with `reverse`); `offset` skips rows instead; setting both is refused.
 * - `limit` 0 means 100; more than 1000 is capped at 1000.
 * - `count_total` (with offset paging only; ignored with `key`, as in Cosmos) counts the rows
 *   without reading a value; as in Cosmos, `limit` 0 implies it.
 * - Only the rows returned are loaded (decoded); everything else is a key walk, bounded: an
 *   offset or an asked-for count past MAX_SCAN_KEYS is refused (InvalidArgument); the count
 *   implied by `limit` 0 is dropped instead (total 0); a filtered page that has walked
 *   MAX_SCAN_KEYS keys stops early with the `next_key` to resume from.
 * The query's gas meter (base/query.ts) bounds the rest (value bytes, point reads).
 */
import { MeteredReader, invalidArgument } from "./query";
import type { KVReader } from "./store/kv";

export const DEFAULT_PAGE_LIMIT = 100n;
export const MAX_PAGE_LIMIT = 1000n;
/** The most keys one query may walk to skip an offset, count a total or fill a filtered page. */
export const MAX_SCAN_KEYS = 5_000n;

/** The fields of cosmos.base.query.v1beta1.PageRequest (cosmjs-types' and gen's are one message). */
export interface PageRequestLike {
  readonly key: Uint8Array;
  readonly offset: bigint;
  readonly limit: bigint;
  readonly countTotal: boolean;
  readonly reverse: boolean;
}

/** cosmos.base.query.v1beta1.PageResponse. */
export interface PageResponseLike {
  readonly nextKey: Uint8Array;
  readonly total: bigint;
}

export interface Page<T> {
  readonly items: T[];
  readonly pagination: PageResponseLike;
}

export interface PageOptions {
  /**
   * A filter on the key alone (e.g. membership in another index, a `has`); refused keys are
   * not rows. It must not decode the row: that is what the pagination exists to avoid.
   */
  readonly accept?: (key: string) => boolean;
  /**
   * For rows stored as several consecutive keys: the row a key suffix belongs to (e.g. the
   * `<operator>` of `<operator>/<id>`). Default: each key is its own row.
   */
  readonly rowOf?: (suffix: string) => string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A request with defaults applied and checked; throws InvalidArgument. `implicitCount`: the count only `limit` 0 asked for. */
export function normalizePageRequest(req: PageRequestLike | undefined): PageRequestLike & { readonly implicitCount: boolean } {
  const key = req?.key ?? new Uint8Array();
  const offset = req?.offset ?? 0n;
  if (key.length > 0 && offset > 0n) throw invalidArgument("invalid request, either offset or key is expected, got both");
  if (offset > MAX_SCAN_KEYS) throw invalidArgument(`pagination offset ${offset} is above the maximum ${MAX_SCAN_KEYS}; page with next_key instead`);
  const limit = req === undefined || req.limit === 0n ? DEFAULT_PAGE_LIMIT : req.limit > MAX_PAGE_LIMIT ? MAX_PAGE_LIMIT : req.limit;
  const asked = req?.countTotal ?? false;
  const implicit = !asked && (req === undefined || req.limit === 0n);
  return { key, offset, limit, countTotal: key.length === 0 && (asked || implicit), implicitCount: key.length === 0 && implicit, reverse: req?.reverse ?? false };
}

/** Keys under `prefix` from `start` on, charged to the query meter when the store has one. */
function walkKeys(s: KVReader, prefix: string, start: string, reverse: boolean): Iterable<string> {
  if (s instanceof MeteredReader) return s.keys(prefix, start, reverse);
  // Unmetered readers (tests, tools): the same walk, without charges.
  return (function* (): IterableIterator<string> {
    for (const [k] of s.iterate(prefix, reverse)) {
      if (start !== "" && (reverse ? k > start : k < start)) continue;
      yield k;
    }
  })();
}

/**
 * One page of rows made of one or more consecutive keys (see `PageOptions.rowOf`); `load`
 * gets each returned row's keys in walk order and its first key's suffix.
 */
export function paginateRows<T>(
  s: KVReader,
  prefix: string,
  request: PageRequestLike | undefined,
  load: (keys: string[], suffix: string) => T,
  opts: PageOptions = {},
): Page<T> {
  const req = normalizePageRequest(request);
  const rowOf = opts.rowOf;
  const accept = opts.accept;
  const from = req.key.length > 0 ? prefix + dec.decode(req.key) : "";
  // Numbers on the per-key path: offset ≤ MAX_SCAN_KEYS and limit ≤ MAX_PAGE_LIMIT (checked).
  const offset = Number(req.offset);
  const limit = Number(req.limit);
  const maxScan = Number(MAX_SCAN_KEYS);
  const page: Array<{ keys: string[]; suffix: string }> = [];
  let rows = 0; // rows seen from the start key on
  let rowId: string | undefined;
  let onPage = false;
  let nextKey = new Uint8Array();
  let counted = req.countTotal;
  let walked = 0; // keys walked that are not on the page

  /**
   * Called for each walked key that is not on the page; past MAX_SCAN_KEYS it refuses an offset
   * skip or an asked-for count, and otherwise ends the page here. True: stop walking.
   */
  const budgetSpent = (key: string, skipping: boolean): boolean => {
    if (++walked <= maxScan) return false;
    if (skipping) {
      throw invalidArgument(`pagination offset ${req.offset}: more than ${MAX_SCAN_KEYS} keys to skip; page with next_key instead`);
    }
    if (req.countTotal && !req.implicitCount) throw invalidArgument(`count_total: more than ${MAX_SCAN_KEYS} keys to count; page with next_key instead`);
    counted = false;
    // A sparse filter ends a short page here; the client resumes from this key.
    if (nextKey.length === 0) nextKey = enc.encode(key.slice(prefix.length));
    return true;
  };

  for (const k of walkKeys(s, prefix, from, req.reverse)) {
    if (accept && !accept(k)) {
      if (budgetSpent(k, rows < offset)) break;
      continue;
    }
    const id = rowOf ? rowOf(k.slice(prefix.length)) : k;
    if (id === rowId) {
      if (onPage) page[page.length - 1].keys.push(k);
      else if (budgetSpent(k, rows <= offset)) break;
      continue;
    }
    rowId = id;
    rows++;
    onPage = false;
    if (rows <= offset) {
      if (budgetSpent(k, true)) break;
      continue;
    }
    if (page.length < limit) {
      page.push({ keys: [k], suffix: k.slice(prefix.length) });
      onPage = true;
      continue;
    }
    if (nextKey.length === 0) nextKey = enc.encode(k.slice(prefix.length));
    if (!req.countTotal || budgetSpent(k, false)) break;
  }
  const items = page.map((r) => load(r.keys, r.suffix));
  return { items, pagination: { nextKey, total: counted ? BigInt(rows) : 0n } };
}

/** One page of rows that are one key each; `load` decodes only the rows returned. */
export function paginate<T>(
  s: KVReader,
  prefix: string,
  request: PageRequestLike | undefined,
  load: (key: string, suffix: string) => T,
  opts: Omit<PageOptions, "rowOf"> = {},
): Page<T> {
  return paginateRows(s, prefix, request, (keys, suffix) => load(keys[0], suffix), opts);
}
