export {
  SlashingKeeper,
  SLASHING_MODULE,
  TREASURY_MODULE,
  consAddressString,
  type SlashingKeeperOptions,
  type SlashEvent,
  type ReporterReward,
  type CorrelationRecord,
} from "./keeper";
export { slash, compensate, type SlashArgs, type CompensateArgs, TOMBSTONE_JAILED_UNTIL } from "./slash";
export { slashingModule } from "./module";
export { type SlashingGenesis, defaultGenesis } from "./genesis";
export {
  type SlashingParams,
  defaultParams,
  validateParams,
  PPM,
  KIND_DOUBLE_SIGN,
  KIND_DOWNTIME,
  KIND_CORRELATION,
  DEFAULT_PARAMS_AUTHORITY,
} from "./params";
export type { StakingKeeper as SlashingStakingKeeper, BankKeeper as SlashingBankKeeper, ValidatorView, UnbondingEntryRef } from "./expectedKeepers";
export * as slashingKeys from "./keys";
