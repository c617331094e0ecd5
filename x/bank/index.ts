export { BankKeeper, type BankViewKeeper, type BankSendKeeper, type BankModuleKeeper, type BankMintKeeper } from "./keeper";
export { bankModule } from "./module";
export { type BankGenesis, defaultGenesis } from "./genesis";
export * as bankKeys from "./keys";
