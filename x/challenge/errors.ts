/**
 * x/challenge's errors (codespace "challenge"). Numbers are public API: never renumber, only
 * append. Each refusal a challenger, verifier or appellant must tell apart has its own code.
 */
import { registerError } from "../../base/errors";

export const CODESPACE = "challenge";
export const ErrUnknownJob = registerError(CODESPACE, 2, "job not found");
/** The job has no posted result open to dispute: pending, assigned, disputed already, finalized or failed. */
export const ErrJobNotChallengeable = registerError(CODESPACE, 3, "job has no result open to a challenge");
export const ErrChallengeWindowClosed = registerError(CODESPACE, 4, "the job's challenge window has closed");
/** Not a positive decimal integer of uinf. */
export const ErrInvalidBond = registerError(CODESPACE, 5, "invalid bond");
/** Below min_challenge_bond, or below appeal_bond_multiplier × the previous bond for an appeal. */
export const ErrBondTooLow = registerError(CODESPACE, 6, "bond below the required minimum");
export const ErrUnknownDispute = registerError(CODESPACE, 7, "dispute not found");
/** The signer is not the worker key of a verifier drawn for the dispute's current round. */
export const ErrNotVerifier = registerError(CODESPACE, 8, "signer is not a verifier of the dispute's current round");
/** The dispute is not in the phase the message belongs to (too early, or over). */
export const ErrWrongPhase = registerError(CODESPACE, 9, "dispute is not in the phase this message needs");
/** The phase's end height has passed (its end is processed at the end of that block). */
export const ErrPhaseEnded = registerError(CODESPACE, 10, "the phase's window has closed");
export const ErrAlreadyCommitted = registerError(CODESPACE, 11, "verifier has committed already");
export const ErrNoCommitment = registerError(CODESPACE, 12, "reveal without a commitment");
export const ErrAlreadyRevealed = registerError(CODESPACE, 13, "verifier has revealed already");
/** sha256(output ‖ salt ‖ verifier address) differs from the committed value. */
export const ErrCommitmentMismatch = registerError(CODESPACE, 14, "reveal does not match the commitment");
/** Not 32 bytes. */
export const ErrInvalidCommitment = registerError(CODESPACE, 15, "invalid commitment");
/** Not 32 bytes. */
export const ErrInvalidSalt = registerError(CODESPACE, 16, "invalid salt");
/** Does not fit the model's output spec, or an output with cannot_run, or none without it. */
export const ErrInvalidOutput = registerError(CODESPACE, 17, "revealed output is invalid");
/** Only the losing party of the standing verdict may appeal. */
export const ErrNotAppellant = registerError(CODESPACE, 18, "signer may not appeal this verdict");
export const ErrInvalidParams = registerError(CODESPACE, 19, "invalid challenge params");
export const ErrUnauthorizedParams = registerError(CODESPACE, 20, "only the params authority may change challenge params");
export const ErrInvalidGenesis = registerError(CODESPACE, 21, "invalid challenge genesis");
/** The job's own worker key or operator account challenging its result. */
export const ErrSelfChallenge = registerError(CODESPACE, 22, "a worker may not challenge its own result");
// Data availability (issue 10). Numbered from 40 so that codes other work adds meanwhile (23…)
// cannot collide.
/** MsgRequestData for a job whose input is inline (there is nothing to make available). */
export const ErrNotUriJob = registerError(CODESPACE, 40, "the job's input is not by uri");
/** MsgRequestData outside the job's open result: before its result, or once it finalized or failed. */
export const ErrDataRequestWindow = registerError(CODESPACE, 41, "data may be requested only while the job's result is open or disputed");
/** MsgRequestData for a job whose input bytes are on chain already. */
export const ErrDataOnChain = registerError(CODESPACE, 42, "the job's input is on chain already");
/** A second MsgRequestData for a job while one is open. */
export const ErrDataRequestOpen = registerError(CODESPACE, 43, "the job has an open data request");
/** MsgProvideData for a job without an open data request. */
export const ErrNoDataRequest = registerError(CODESPACE, 44, "the job has no open data request");
/** MsgProvideData signed by another key than the job's worker. */
export const ErrNotJobWorker = registerError(CODESPACE, 45, "signer is not the job's worker");
/** MsgProvideData after the request's deadline_height. */
export const ErrDataRequestExpired = registerError(CODESPACE, 46, "the data request's deadline has passed");
/** MsgProvideData whose bytes do not hash to the job's input_sha256. */
export const ErrDataHashMismatch = registerError(CODESPACE, 47, "data does not hash to the job's input_sha256");
/** MsgProvideData with no bytes. */
export const ErrInvalidData = registerError(CODESPACE, 48, "invalid data");
