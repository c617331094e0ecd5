/**
 * x/inference's errors (codespace "inference"). Numbers are public API: never renumber, only
 * append. Each refusal a client or worker must tell apart has its own code.
 */
import { registerError } from "../../base/errors";

export const CODESPACE = "inference";
export const ErrUnknownModel = registerError(CODESPACE, 2, "model not found");
/** `input_uri` + `input_sha256` (inputs served under the data-availability rule) come later. */
export const ErrInputUriNotSupported = registerError(CODESPACE, 3, "input by uri is not supported yet; send the input inline");
export const ErrInvalidInput = registerError(CODESPACE, 4, "input does not fit the model's input spec");
export const ErrInvalidFee = registerError(CODESPACE, 5, "invalid job fee");
export const ErrFeeBelowMinimum = registerError(CODESPACE, 6, "fee below the model's min_fee");
export const ErrUnknownJob = registerError(CODESPACE, 7, "job not found");
export const ErrNotAssignedWorker = registerError(CODESPACE, 8, "signer is not the job's assigned worker");
/** The job is pending (re)assignment, has a result already, or is finalized or failed. */
export const ErrJobNotAwaitingResult = registerError(CODESPACE, 9, "job is not awaiting a result");
export const ErrInvalidOutput = registerError(CODESPACE, 10, "output does not fit the model's output spec");
export const ErrAfterHardDeadline = registerError(CODESPACE, 11, "result after the job's hard deadline");
export const ErrInvalidParams = registerError(CODESPACE, 12, "invalid inference params");
export const ErrUnauthorizedParams = registerError(CODESPACE, 13, "only the params authority may change inference params");
export const ErrInvalidGenesis = registerError(CODESPACE, 14, "invalid inference genesis");
/** A cannot-run result (`cannot_run = true`) must not carry an output. */
export const ErrCannotRunWithOutput = registerError(CODESPACE, 15, "a cannot-run result must carry no output");
/** `reason` longer than 256 UTF-8 bytes, or given without `cannot_run`. */
export const ErrInvalidReason = registerError(CODESPACE, 16, "invalid cannot-run reason");
