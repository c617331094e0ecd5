/** Registration of x/bank with the app. */
import type { AppModule } from "../../base/module";
import * as genesis from "./genesis";
import type { BankKeeper } from "./keeper";
import { msgSendHandler } from "./msgServer";
import { bankQueries } from "./queries";

export function bankModule(bank: BankKeeper, blockedAddresses: () => ReadonlySet<string>): AppModule {
  return {
    name: "bank",
    msgHandlers: [msgSendHandler(bank, blockedAddresses)],
    queries: bankQueries(bank),
    protoFiles: ["cosmos/bank/v1beta1/query.proto", "cosmos/bank/v1beta1/tx.proto"],
    defaultGenesis: genesis.defaultGenesis,
    initGenesis: (ctx, raw) => genesis.initGenesis(bank, ctx, raw),
    exportGenesis: (ctx) => genesis.exportGenesis(bank, ctx),
  };
}
