/**
 * Errors that end an `inferd` command. Subcommands throw a `CliError` instead of
 * calling `process.exit`, so the top-level CLI decides how to print and exit (and
 * tests can drive commands in-process).
 */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, opts: { exitCode?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "CliError";
    this.exitCode = opts.exitCode ?? 1;
  }
}

/**
 * Turns anything a command threw into a `CliError`: typed errors keep their message,
 * anything else is still reported on one line rather than as a stack trace.
 */
export function toCliError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  // Duck-typed, not `instanceof Error`: errors from another realm (vm, jest) count too.
  if (typeof err === "object" && err !== null && typeof (err as { message?: unknown }).message === "string") {
    return new CliError(firstLine((err as { message: string }).message), { cause: err });
  }
  return new CliError(firstLine(String(err)), { cause: err });
}

function firstLine(s: string): string {
  const line = s.split(/\r?\n/, 1)[0] ?? "";
  return line.length > 0 ? line : "unknown error";
}
