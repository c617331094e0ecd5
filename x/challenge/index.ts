export { ChallengeKeeper, CHALLENGE_MODULE, KIND_INVALID_RESULT, KIND_BAD_VERIFICATION, KIND_DATA_UNAVAILABLE, type ChallengeKeeperOptions } from "./keeper";
export { challengeModule } from "./module";
export { type ChallengeGenesis, type DisputeJson, defaultGenesis, disputeToJson, disputeFromJson } from "./genesis";
export { type ChallengeParams, defaultParams, validateParams, DEFAULT_PARAMS_AUTHORITY } from "./params";
export { type DataRequest, dataRequestToWire, dataRequestFromWire } from "./types";
export { MSG_REQUEST_DATA, MSG_PROVIDE_DATA } from "./da";
export { type Dispute, type Round, type Verifier, DisputeKind, DisputeStatus, Verdict, isFinal, statusName, kindName, verdictName, disputeToWire, disputeFromWire } from "./types";
export { AUDIT_DOMAIN, VERIFY_DOMAIN, auditSeed, auditThreshold, isAudited, verifySeed, eligibleVerifiers, drawVerifiers } from "./draw";
export { type SecurityParams, jobAuditRate, auditRateOf, maxSecuredFee, minSecuringStake } from "./security";
export { verificationCommitment, SALT_BYTES, COMMITMENT_BYTES } from "./commitment";
export { quorumOf, requiredAppealBond, standingVerdict } from "./verdict";
export { MSG_CHALLENGE, MSG_COMMIT_VERIFICATION, MSG_REVEAL_VERIFICATION, MSG_APPEAL, MSG_UPDATE_PARAMS } from "./msgServer";
export type {
  BankKeeper as ChallengeBankKeeper,
  StakingKeeper as ChallengeStakingKeeper,
  SlashingKeeper as ChallengeSlashingKeeper,
  InferenceKeeper as ChallengeInferenceKeeper,
  ModelsKeeper as ChallengeModelsKeeper,
  DisputableJob,
} from "./expectedKeepers";
export * as challengeEvents from "./events";
export * as challengeErrors from "./errors";
export * as challengeKeys from "./keys";
