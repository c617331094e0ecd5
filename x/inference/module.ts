/** Registration of x/inference with the app. */
import type { AppModule } from "../../base/module";
import { endBlocker } from "./abci";
import * as genesis from "./genesis";
import type { InferenceKeeper } from "./keeper";
import { inferenceMsgHandlers } from "./msgServer";
import { inferenceQueries } from "./queries";

export function inferenceModule(k: InferenceKeeper): AppModule {
  return {
    name: "inference",
    msgHandlers: inferenceMsgHandlers(k),
    queries: inferenceQueries(k),
    protoFiles: ["inferchain/inference/v1/query.proto", "inferchain/inference/v1/tx.proto"],
    defaultGenesis: genesis.defaultGenesis,
    initGenesis: (ctx, raw) => genesis.initGenesis(k, ctx, raw),
    exportGenesis: (ctx) => genesis.exportGenesis(k, ctx),
    endBlock: (ctx) => endBlocker(k, ctx),
  };
}
