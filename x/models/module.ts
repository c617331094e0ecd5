/** Registration of x/models with the app. */
import type { AppModule } from "../../base/module";
import type { BankKeeper } from "./expectedKeepers";
import * as genesis from "./genesis";
import type { ModelsKeeper } from "./keeper";
import { msgRegisterModelHandler, msgUpdateParamsHandler } from "./msgServer";
import { modelsQueries } from "./queries";

export function modelsModule(models: ModelsKeeper, bank: BankKeeper): AppModule {
  return {
    name: "models",
    msgHandlers: [msgRegisterModelHandler(models, bank), msgUpdateParamsHandler(models)],
    queries: modelsQueries(models),
    protoFiles: ["inferchain/models/v1/query.proto", "inferchain/models/v1/tx.proto"],
    defaultGenesis: genesis.defaultGenesis,
    initGenesis: (ctx, raw) => genesis.initGenesis(models, ctx, raw),
    exportGenesis: (ctx) => genesis.exportGenesis(models, ctx),
  };
}
