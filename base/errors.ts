/**
 * Coded errors. Every rejection the chain can give has a (codespace, code) pair that never
 * changes once released; the ABCI edge turns an AppError into `{code, codespace, log}`.
 * Modules register their own codespace in their `errors.ts`, numbering from 2 (1 is
 * reserved for "internal" in every codespace, as in the Cosmos SDK).
 */
export class AppError extends Error {
  constructor(
    readonly codespace: string,
    readonly code: number,
    message: string,
    readonly cause?: unknown,
  ) {
    super(message);
    this.name = "AppError";
  }

  /** The same error kind with a more specific message (`ErrInsufficientFunds.wrap("...")`). */
  wrap(detail: string): AppError {
    return new AppError(this.codespace, this.code, `${detail}: ${this.message}`, this.cause);
  }

  is(other: AppError): boolean {
    return this.codespace === other.codespace && this.code === other.code;
  }
}

const registered = new Map<string, string>();

/** Declares an error kind; throws at load time if two kinds share a (codespace, code). */
export function registerError(codespace: string, code: number, message: string): AppError {
  const key = `${codespace}/${code}`;
  const prior = registered.get(key);
  if (prior !== undefined) {
    throw new Error(`error ${key} registered twice ("${prior}" and "${message}")`);
  }
  if (code < 2) throw new Error(`error ${key}: codes start at 2`);
  registered.set(key, message);
  return new AppError(codespace, code, message);
}

/** Cosmos SDK's root codespace, with the SDK's own numbers so clients read them the same way. */
export const SDK = "sdk";
export const ErrTxDecode = registerError(SDK, 2, "tx parse error");
export const ErrUnauthorized = registerError(SDK, 4, "unauthorized");
export const ErrInsufficientFunds = registerError(SDK, 5, "insufficient funds");
export const ErrUnknownRequest = registerError(SDK, 6, "unknown request");
export const ErrInvalidAddress = registerError(SDK, 7, "invalid address");
export const ErrInvalidPubKey = registerError(SDK, 8, "invalid pubkey");
export const ErrUnknownAddress = registerError(SDK, 9, "unknown address");
export const ErrInvalidCoins = registerError(SDK, 10, "invalid coins");
export const ErrOutOfGas = registerError(SDK, 11, "out of gas");
export const ErrMemoTooLarge = registerError(SDK, 12, "memo too large");
export const ErrInsufficientFee = registerError(SDK, 13, "insufficient fee");
export const ErrTooManySignatures = registerError(SDK, 14, "maximum number of signatures exceeded");
export const ErrNoSignatures = registerError(SDK, 15, "no signatures supplied");
export const ErrInvalidRequest = registerError(SDK, 18, "invalid request");
export const ErrTxTooLarge = registerError(SDK, 21, "tx too large");
export const ErrKeyNotFound = registerError(SDK, 22, "key not found");
export const ErrInvalidChainID = registerError(SDK, 28, "invalid chain-id");
export const ErrInvalidType = registerError(SDK, 29, "invalid type");
export const ErrTxTimeoutHeight = registerError(SDK, 30, "tx timeout height");
export const ErrUnknownExtensionOptions = registerError(SDK, 31, "unknown extension options");
export const ErrWrongSequence = registerError(SDK, 32, "incorrect account sequence");
export const ErrNotSupported = registerError(SDK, 37, "feature not supported");
export const ErrInvalidGasLimit = registerError(SDK, 41, "invalid gas limit");
/** An unexpected exception inside a tx (a bug or a deterministic runtime error), recovered as the SDK does. */
export const ErrPanic = registerError(SDK, 111222, "panic");

/**
 * Rejections the SDK folds into one code but a user needs told apart: inferchain's own
 * codespace for the transaction pipeline.
 */
export const TX = "tx";
export const ErrTxTruncated = registerError(TX, 2, "tx bytes end inside a field (truncated)");
export const ErrMalformedSignature = registerError(TX, 3, "malformed signature");
export const ErrFutureSequence = registerError(TX, 4, "account sequence is ahead of the account");
export const ErrNonCanonicalEncoding = registerError(TX, 5, "tx bytes are not in canonical form");
export const ErrUnsupportedSignMode = registerError(TX, 6, "unsupported sign mode");
export const ErrBlockGasExceeded = registerError(TX, 7, "tx gas limit exceeds the block gas limit");

/**
 * A broken invariant of committed state (a queue naming a missing record, a pool that does not
 * add up): the one kind of exception that stops the node in FinalizeBlock. Anything else thrown
 * by a tx or a block hook is deterministic bad input or a bug in one item's handling, and fails
 * that tx or item (with its branch dropped) instead of halting every node.
 */
export class InvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvariantError";
  }
}

/** An exception as one line for a log or event: its class and message (at most 256 characters), never a stack. */
export function errorText(e: unknown): string {
  const s = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return s.length > 256 ? s.slice(0, 256) : s;
}

/** Returned for exceptions that are not AppErrors; the message is not shown to clients. */
export const ErrInternal = new AppError("undefined", 1, "internal error");

export function asAppError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  return new AppError(ErrInternal.codespace, ErrInternal.code, ErrInternal.message, e);
}
