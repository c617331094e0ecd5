export {
  StakingKeeper,
  BONDED_POOL,
  NOT_BONDED_POOL,
  BondStatus,
  consAddress,
  powerOf,
  sharesForAmount,
  sharesToUnbond,
  tokensForShares,
  type CommissionRates,
  type Delegation,
  type Description,
  type ModelWorker,
  type Pool,
  type StakingValidatorView,
  type UnbondingEntry,
  type Validator,
  type Worker,
} from "./keeper";
export { stakingModule } from "./module";
export type { ModelsKeeper, EvidenceKeeper, StakingDeps } from "./expectedKeepers";
export { type StakingGenesis, type GenesisValidator, type GenesisParams, defaultGenesis } from "./genesis";
export { type StakingParams, defaultParams, DEFAULT_PARAMS_AUTHORITY } from "./params";
export { ED25519_PUBKEY_TYPE_URL } from "./msgServer";
export { toCosmosValidator } from "./queries";
export * as stakingKeys from "./keys";
export * as stakingErrors from "./errors";
export * as stakingEvents from "./events";
