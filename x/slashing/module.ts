/** Registration of x/slashing with the app. */
import type { AppModule } from "../../base/module";
import { beginBlocker, endBlocker } from "./abci";
import * as genesis from "./genesis";
import type { SlashingKeeper } from "./keeper";
import { msgCosmosUpdateParamsHandler, msgUnjailHandler, msgUpdateParamsHandler } from "./msgServer";
import { slashingQueries } from "./queries";

export function slashingModule(k: SlashingKeeper): AppModule {
  return {
    name: "slashing",
    msgHandlers: [msgUnjailHandler(k), msgUpdateParamsHandler(k), msgCosmosUpdateParamsHandler(k)],
    queries: slashingQueries(k),
    protoFiles: [
      "cosmos/slashing/v1beta1/query.proto",
      "cosmos/slashing/v1beta1/tx.proto",
      "inferchain/slashing/v1/query.proto",
      "inferchain/slashing/v1/tx.proto",
    ],
    defaultGenesis: genesis.defaultGenesis,
    initGenesis: (ctx, raw) => genesis.initGenesis(k, ctx, raw),
    exportGenesis: (ctx) => genesis.exportGenesis(k, ctx),
    beginBlock: (ctx, info) => beginBlocker(k, ctx, info),
    endBlock: (ctx) => endBlocker(k, ctx),
  };
}
