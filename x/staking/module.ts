/** Registration of x/staking with the app. */
import type { AppModule } from "../../base/module";
import type { StakingDeps } from "./expectedKeepers";
import { endBlocker } from "./abci";
import * as genesis from "./genesis";
import type { StakingKeeper } from "./keeper";
import { stakingMsgHandlers } from "./msgServer";
import { stakingQueries } from "./queries";

export function stakingModule(staking: StakingKeeper, deps: StakingDeps): AppModule {
  return {
    name: "staking",
    msgHandlers: stakingMsgHandlers(staking, deps),
    queries: stakingQueries(staking, deps.models),
    protoFiles: [
      "cosmos/staking/v1beta1/query.proto",
      "cosmos/staking/v1beta1/tx.proto",
      "inferchain/staking/v1/query.proto",
      "inferchain/staking/v1/tx.proto",
    ],
    defaultGenesis: genesis.defaultGenesis,
    initGenesis: (ctx, raw, consensusParams) => genesis.initGenesis(staking, deps, ctx, raw, consensusParams),
    exportGenesis: (ctx) => genesis.exportGenesis(staking, ctx),
    endBlock: (ctx) => endBlocker(staking, ctx),
  };
}
