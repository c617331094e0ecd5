/** x/staking's errors (codespace "staking"). Numbers are public API: never renumber, only append. */
import { registerError } from "../../base/errors";

export const CODESPACE = "staking";
export const ErrInvalidParams = registerError(CODESPACE, 2, "invalid staking params");
export const ErrInvalidGenesis = registerError(CODESPACE, 3, "invalid staking genesis");
export const ErrValidatorExists = registerError(CODESPACE, 4, "validator already exists for this operator address");
export const ErrNoValidator = registerError(CODESPACE, 5, "validator does not exist");
export const ErrConsensusKeyInUse = registerError(CODESPACE, 6, "consensus key is already used by another validator");
export const ErrBadConsensusKey = registerError(CODESPACE, 7, "consensus key must be a 32-byte ed25519 public key");
export const ErrBadCommission = registerError(CODESPACE, 8, "invalid commission rates");
export const ErrSelfDelegationBelowMinimum = registerError(CODESPACE, 9, "self-delegation is below the minimum self-delegation");
export const ErrBadMinSelfDelegation = registerError(CODESPACE, 10, "min_self_delegation must be a positive integer");
export const ErrBadDenom = registerError(CODESPACE, 11, "invalid coin denomination: only the bond denom can be staked");
export const ErrNoDelegation = registerError(CODESPACE, 12, "no delegation for this delegator and validator");
export const ErrInsufficientShares = registerError(CODESPACE, 13, "cannot undelegate more than is delegated");
export const ErrInvalidExchangeRate = registerError(CODESPACE, 14, "validator has shares but no tokens (fully slashed)");
export const ErrDelegationTooSmall = registerError(CODESPACE, 15, "amount too small to issue or redeem a share");
export const ErrTooManyUnbondingEntries = registerError(CODESPACE, 16, "too many unbonding entries for this delegator and validator");
export const ErrUnauthorizedParams = registerError(CODESPACE, 17, "only the params authority may change staking params");
export const ErrWorkerIsOperator = registerError(CODESPACE, 18, "a worker key must not be a validator operator's account");
export const ErrWorkerInUse = registerError(CODESPACE, 19, "worker key is already registered by another validator");
export const ErrBadModelId = registerError(CODESPACE, 20, "invalid model id");
export const ErrBadDescription = registerError(CODESPACE, 21, "invalid validator description");
export const ErrOperatorIsWorker = registerError(CODESPACE, 22, "account is registered as a worker key and cannot operate a validator");
export const ErrUnknownModel = registerError(CODESPACE, 23, "model is not registered in x/models");
export const ErrUnbondingShorterThanEvidenceAge = registerError(
  CODESPACE,
  24,
  "unbonding_blocks must exceed the evidence max age (x/slashing's max_evidence_age_blocks and CometBFT's evidence.max_age_num_blocks)",
);
