/** Registration of x/challenge with the app. */
import type { AppModule } from "../../base/module";
import { endBlocker } from "./abci";
import * as genesis from "./genesis";
import type { ChallengeKeeper } from "./keeper";
import { challengeMsgHandlers } from "./msgServer";
import { challengeQueries } from "./queries";

export function challengeModule(k: ChallengeKeeper): AppModule {
  return {
    name: "challenge",
    msgHandlers: challengeMsgHandlers(k),
    queries: challengeQueries(k),
    protoFiles: ["inferchain/challenge/v1/query.proto", "inferchain/challenge/v1/tx.proto"],
    defaultGenesis: genesis.defaultGenesis,
    initGenesis: (ctx, raw) => genesis.initGenesis(k, ctx, raw),
    exportGenesis: (ctx) => genesis.exportGenesis(k, ctx),
    endBlock: (ctx) => endBlocker(k, ctx),
  };
}
