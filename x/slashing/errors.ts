/**
 * x/slashing's errors (codespace "slashing"). Numbers are public API: never renumber, only
 * append. Where the meaning is the Cosmos SDK's, so is the number (2, 4–7, 9, 10), so Cosmos
 * tooling reads an unjail refusal the same way. 3 and 8 (Cosmos: bad validator address, no
 * signing info) have no use here and stay unassigned.
 */
import { registerError } from "../../base/errors";

export const CODESPACE = "slashing";
export const ErrNoValidatorForAddress = registerError(CODESPACE, 2, "address is not associated with any known validator");
export const ErrValidatorJailed = registerError(CODESPACE, 4, "validator still jailed; cannot be unjailed");
export const ErrValidatorNotJailed = registerError(CODESPACE, 5, "validator not jailed; cannot be unjailed");
export const ErrMissingSelfDelegation = registerError(CODESPACE, 6, "validator has no self-delegation; cannot be unjailed");
export const ErrSelfDelegationTooLowToUnjail = registerError(CODESPACE, 7, "validator's self delegation less than minimum; cannot be unjailed");
export const ErrValidatorTombstoned = registerError(CODESPACE, 9, "validator already tombstoned; cannot be unjailed");
export const ErrInvalidSigner = registerError(CODESPACE, 10, "expected the params authority as the signer of MsgUpdateParams");
export const ErrInvalidParams = registerError(CODESPACE, 11, "invalid slashing params");
export const ErrInvalidGenesis = registerError(CODESPACE, 12, "invalid slashing genesis");
/** A module called the slash path with arguments it must never pass (a bug in the caller). */
export const ErrInvalidSlash = registerError(CODESPACE, 13, "invalid slash request");
export const ErrEvidenceOutlivesUnbonding = registerError(
  CODESPACE,
  14,
  "max_evidence_age_blocks must be below staking's unbonding_blocks (evidence must land while the stake is still slashable)",
);
