/**
 * Query errors carry a gRPC status; the ABCI edge turns them into a Cosmos-style log
 * (`rpc error: code = NotFound desc = ...`) that CosmJS recognises.
 */
export const GrpcStatus = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
} as const;

const STATUS_NAMES: Record<number, string> = {
  3: "InvalidArgument",
  5: "NotFound",
  12: "Unimplemented",
  13: "Internal",
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
