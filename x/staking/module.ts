/** Registration of x/staking with the app. */
import type { AppModule } from "../../app/module";
import { endBlocker } from "./abci";
import * as genesis from "./genesis";
import type { StakingKeeper } from "./keeper";
import { stakingMsgHandlers } from "./msgServer";
import { stakingQueries } from "./queries";

export function stakingModule(staking: StakingKeeper): AppModule {
  return {
    name: "staking",
    msgHandlers: stakingMsgHandlers(staking),
    queries: stakingQueries(staking),
    protoFiles: [
      "cosmos/staking/v1beta1/query.proto",
      "cosmos/staking/v1beta1/tx.proto",
      "inferchain/staking/v1/query.proto",
      "inferchain/staking/v1/tx.proto",
    ],
    defaultGenesis: genesis.defaultGenesis,
    initGenesis: (ctx, raw) => genesis.initGenesis(staking, ctx, raw),
    exportGenesis: (ctx) => genesis.exportGenesis(staking, ctx),
    endBlock: (ctx) => endBlocker(staking, ctx),
  };
}
