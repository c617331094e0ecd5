/**
 * x/inference's errors (codespace "inference"). Numbers are public API: never renumber, only
 * append. Each refusal a client or worker must tell apart has its own code.
 */
import { AppError, registerError } from "../../base/errors";

export const CODESPACE = "inference";
export const ErrUnknownModel = registerError(CODESPACE, 2, "model not found");
/** No longer returned: jobs by URI are accepted since issue 10 (ErrInvalidInputUri and ErrInvalidInputSha256 say what is wrong with one). */
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
// Sealed results (issue 9).
/** `commitment` is not 32 bytes. */
export const ErrInvalidCommitment = registerError(CODESPACE, 17, "invalid result commitment");
/** `sealed_output` shorter than a sealed empty output, above the model's bound, or with no ephemeral public key in front. */
export const ErrInvalidSealedOutput = registerError(CODESPACE, 18, "invalid sealed output");
/** The client account has no secp256k1 public key on chain (it cannot exist after signing, but is checked). */
export const ErrNoClientPubkey = registerError(CODESPACE, 19, "the client account has no public key to seal results to");
/** MsgOpenResult while no module asks for openings (x/challenge not wired). */
export const ErrOpeningNotAvailable = registerError(CODESPACE, 20, "openings are not enabled on this chain");
/** MsgOpenResult for a job whose result no dispute asks to be opened now. */
export const ErrOpeningNotRequested = registerError(CODESPACE, 21, "no dispute asks for this result to be opened");
export const ErrAlreadyOpened = registerError(CODESPACE, 22, "result already opened");
/** The opened output and salt do not hash to the posted commitment. */
export const ErrCommitmentMismatch = registerError(CODESPACE, 23, "opening does not match the result's commitment");
/** Sealing the opened output and salt again with the revealed ephemeral key does not give the posted sealed output. */
export const ErrSealMismatch = registerError(CODESPACE, 24, "opening does not re-encrypt to the sealed output");
/** `salt` or `ephemeral_key` not 32 bytes. */
export const ErrInvalidOpening = registerError(CODESPACE, 25, "invalid opening");
/** A dispute may hold only a RESULT_POSTED job. */
export const ErrJobNotDisputable = registerError(CODESPACE, 26, "job has no result open to a dispute");
/** A dispute after the job's challenge_end_height. */
export const ErrChallengeWindowClosed = registerError(CODESPACE, 27, "the job's challenge window has closed");
/** settleDispute for a job no dispute holds. */
export const ErrJobNotDisputed = registerError(CODESPACE, 28, "job is not held by a dispute");
/**
 * MsgSubmitJob whose fee no validator serving the model can secure: even the largest stake
 * would need an audit rate above max_audit_rate_ppm for faking to cost more than the fee (SPEC
 * §4 "Economic security check"). The log names the fee, the largest fee that stake secures and
 * the stake this fee needs.
 */
export const ErrFeeNotSecured = registerError(CODESPACE, 29, "no validator serving the model has the stake to secure this fee");
// Inputs by URI and data availability (issue 10). Numbered from 40 so that codes other work adds
// meanwhile (29…) cannot collide.
/** input_uri is not an http(s) URI of printable ASCII with a host of at most 512 bytes, or comes with inline input, or without input_sha256. */
export const ErrInvalidInputUri = registerError(CODESPACE, 40, "invalid input_uri");
/** input_sha256 is not 64 lowercase hex digits, or is given without input_uri. */
export const ErrInvalidInputSha256 = registerError(CODESPACE, 41, "invalid input_sha256");
/** Input bytes offered for a job by URI (x/challenge MsgProvideData) do not hash to its input_sha256. */
export const ErrInputHashMismatch = registerError(CODESPACE, 42, "input does not hash to the job's input_sha256");
/** Input bytes offered for a job that is not by URI. */
export const ErrNotUriJob = registerError(CODESPACE, 43, "the job's input is not by uri");

/** A tensor-spec error from x/models, re-coded as this module's `err` (its message kept). */
export function recode(err: AppError, f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (e instanceof AppError) throw new AppError(err.codespace, err.code, `${e.message}: ${err.message}`, e);
    throw e;
  }
}
