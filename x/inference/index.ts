export {
  InferenceKeeper,
  JOB_ESCROW_MODULE,
  VERIFICATION_POOL_MODULE,
  KIND_LATE_RESULT,
  KIND_NO_RESPONSE,
  KIND_NO_RESPONSE_REFUND,
  type InferenceKeeperOptions,
} from "./keeper";
export { inferenceModule } from "./module";
export { type InferenceGenesis, type JobJson, defaultGenesis, jobToJson, jobFromJson } from "./genesis";
export { type InferenceParams, defaultParams, validateParams, DEFAULT_PARAMS_AUTHORITY } from "./params";
export { type Job, type DisputableJob, JobStatus, isOpen, jobToWire, jobFromWire } from "./types";
export { ASSIGN_DOMAIN, assignmentSeed, drawBelow, eligibleWorkers, pickByStake, sampleWorker } from "./assignment";
export { splitFee, latePenalty, resultTiming, type FeeSplit } from "./fees";
export { MSG_SUBMIT_JOB, MSG_SUBMIT_RESULT, MSG_OPEN_RESULT, MSG_UPDATE_PARAMS, TENSOR_GAS_PER_BYTE } from "./msgServer";
export {
  COMMITMENT_BYTES,
  SALT_BYTES,
  SEAL_OVERHEAD,
  SealError,
  commitmentMatches,
  openSealedOutput,
  resultCommitment,
  sealMatches,
  sealOutput,
  sealedLength,
} from "./seal";
export type {
  BankKeeper as InferenceBankKeeper,
  StakingKeeper as InferenceStakingKeeper,
  SlashingKeeper as InferenceSlashingKeeper,
  ModelsKeeper as InferenceModelsKeeper,
  AccountKeeper as InferenceAccountKeeper,
  ChallengeKeeper as InferenceChallengeKeeper,
  ModelWorker,
} from "./expectedKeepers";
export * as inferenceEvents from "./events";
export * as inferenceErrors from "./errors";
export * as inferenceKeys from "./keys";
