export { SlashingKeeper, SLASHING_MODULE, TREASURY_MODULE, type SlashingKeeperOptions } from "./keeper";
export { consAddressString, type SlashEvent, type ReporterReward, type CorrelationRecord, type SlashArgs, type CompensateArgs } from "./types";
export { slash, compensate, TOMBSTONE_JAILED_UNTIL } from "./slash";
export { slashingModule } from "./module";
export { type SlashingGenesis, defaultGenesis } from "./genesis";
export {
  type SlashingParams,
  defaultParams,
  validateParams,
  KIND_DOUBLE_SIGN,
  KIND_DOWNTIME,
  KIND_CORRELATION,
  DEFAULT_PARAMS_AUTHORITY,
} from "./params";
export type { StakingKeeper as SlashingStakingKeeper, BankKeeper as SlashingBankKeeper, ValidatorView, ConsensusSigner, UnbondingEntryRef } from "./expectedKeepers";
export * as slashingKeys from "./keys";
