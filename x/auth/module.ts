/** Registration of x/auth with the app: queries and genesis (its ante handler is wired in app/app.ts). */
import type { AppModule } from "../../base/module";
import * as genesis from "./genesis";
import type { AuthKeeper } from "./keeper";
import { authQueries } from "./queries";

export function authModule(auth: AuthKeeper): AppModule {
  return {
    name: "auth",
    queries: authQueries(auth),
    protoFiles: ["cosmos/auth/v1beta1/query.proto", "inferchain/auth/v1/auth.proto"],
    defaultGenesis: genesis.defaultGenesis,
    initGenesis: (ctx, raw) => genesis.initGenesis(auth, ctx, raw),
    exportGenesis: (ctx) => genesis.exportGenesis(auth, ctx),
  };
}
