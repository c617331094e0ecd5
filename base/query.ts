import { GasCosts } from "./gas";
import type { KVReader } from "./store/kv";
import { parseAddress } from "./types/address";

/**
 * Query errors carry a gRPC status; the ABCI edge turns them into a Cosmos-style log
 * (`rpc error: code = NotFound desc = ...`) that CosmJS recognises.
 */
export const GrpcStatus = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

const STATUS_NAMES: Record<number, string> = {
  3: "InvalidArgument",
  5: "NotFound",
  8: "ResourceExhausted",
  12: "Unimplemented",
  13: "Internal",
  14: "Unavailable",
};

export class QueryError extends Error {
  constructor(
    readonly grpcCode: number,
    message: string,
  ) {
    super(message);
    this.name = "QueryError";
  }

  /** The log line the Cosmos SDK gives for a failed gRPC query over ABCI. */
  get abciLog(): string {
    return `rpc error: code = ${STATUS_NAMES[this.grpcCode] ?? "Unknown"} desc = ${this.message}`;
  }
}

export const notFound = (what: string): QueryError => new QueryError(GrpcStatus.NOT_FOUND, `${what}: key not found`);
export const invalidArgument = (what: string): QueryError => new QueryError(GrpcStatus.INVALID_ARGUMENT, what);

/** A query's address argument, checked as `parseAddress` checks it (prefix and field as there); InvalidArgument if it is not one. */
export function addressArgument(addr: string, prefix?: string, field?: string): string {
  try {
    parseAddress(addr, prefix, field);
  } catch (e) {
    throw invalidArgument((e as Error).message);
  }
  return addr;
}

/** Decodes a request with its cosmjs-types/ts-proto codec, as an InvalidArgument on garbage. */
export function decodeRequest<T>(codec: { decode(b: Uint8Array): T }, data: Uint8Array): T {
  try {
    return codec.decode(data);
  } catch (e) {
    throw invalidArgument(`cannot decode request: ${(e as Error).message}`);
  }
}

export function encodeResponse<T>(codec: { encode(m: T): { finish(): Uint8Array } }, msg: T): Uint8Array {
  return codec.encode(msg).finish();
}

/**
 * What one query may cost, in the same gas units as a tx's store reads (base/gas.ts): about
 * 1 MB of values, or 3,000 point reads, or 14,000 keys walked. It bounds how long one query
 * holds the app's single thread, and so how long it can delay FinalizeBlock (a few ms:
 * docs/PERFORMANCE.md, `bench/queryFlood.ts`). A query past it fails with ResourceExhausted
 * (ABCI: sdk code 11, out of gas).
 */
export const QUERY_GAS_LIMIT = 3_000_000n;

export class QueryGasMeter {
  // A number, not a bigint: it is added to once per key walked, and a query's gas stays far
  // below 2^53 (the limit is checked on every add).
  private used = 0;
  private readonly max: number;
  constructor(readonly limit: bigint = QUERY_GAS_LIMIT) {
    this.max = Number(limit);
  }

  get consumed(): bigint {
    return BigInt(this.used);
  }

  consume(amount: number, descriptor: string): void {
    this.used += amount;
    if (this.used > this.max) {
      throw new QueryError(
        GrpcStatus.RESOURCE_EXHAUSTED,
        `query out of gas in location: ${descriptor}; limit ${this.limit}, used ${this.used}: ask for a smaller page (pagination.limit)`,
      );
    }
  }
}

// A tx's gas prices (base/gas.ts), as numbers for the per-key hot path.
const READ_FLAT = Number(GasCosts.readFlat);
const READ_PER_BYTE = Number(GasCosts.readPerByte);
const HAS = Number(GasCosts.has);
const ITER_NEXT_FLAT = Number(GasCosts.iterNextFlat);

/** `iterateFrom` of the committed store (MemKV): a seek instead of a walk. */
interface SeekableReader extends KVReader {
  iterateFrom(prefix: string, start: string, reverse?: boolean): IterableIterator<[string, Uint8Array]>;
}
const seekable = (s: KVReader): s is SeekableReader => typeof (s as Partial<SeekableReader>).iterateFrom === "function";

/**
 * The read-only store a query sees: every read is charged to the query's meter. `keys` walks
 * keys only (a count or a skip charges for the key, never the value).
 */
export class MeteredReader implements KVReader {
  constructor(
    private readonly inner: KVReader,
    readonly meter: QueryGasMeter,
  ) {}

  get(key: string): Uint8Array | undefined {
    const v = this.inner.get(key);
    this.meter.consume(READ_FLAT + READ_PER_BYTE * (key.length + (v?.length ?? 0)), "Read");
    return v;
  }

  has(key: string): boolean {
    this.meter.consume(HAS, "Has");
    return this.inner.has(key);
  }

  *iterate(prefix: string, reverse = false): IterableIterator<[string, Uint8Array]> {
    for (const [k, v] of this.inner.iterate(prefix, reverse)) {
      this.meter.consume(ITER_NEXT_FLAT + READ_PER_BYTE * (k.length + v.length), "IterNext");
      yield [k, v];
    }
  }

  /** Keys under `prefix` from `start` (inclusive; "" = the first), ascending or descending. */
  *keys(prefix: string, start: string, reverse = false): IterableIterator<string> {
    const from = start === "" ? undefined : start;
    const it = from !== undefined && seekable(this.inner) ? this.inner.iterateFrom(prefix, from, reverse) : this.inner.iterate(prefix, reverse);
    for (const [k] of it) {
      this.meter.consume(ITER_NEXT_FLAT + READ_PER_BYTE * k.length, "IterKey");
      if (from !== undefined && (reverse ? k > from : k < from)) continue;
      yield k;
    }
  }
}

/** The Cosmos SDK's ABCI code (codespace "sdk") for a failed query; 1 ("undefined") for the rest. */
export function abciCodeOf(grpcCode: number): number {
  switch (grpcCode) {
    case GrpcStatus.NOT_FOUND:
      return 22; // ErrKeyNotFound
    case GrpcStatus.UNIMPLEMENTED:
      return 6; // ErrUnknownRequest
    case GrpcStatus.INVALID_ARGUMENT:
      return 18; // ErrInvalidRequest
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return 11; // ErrOutOfGas
    default:
      return 1;
  }
}
