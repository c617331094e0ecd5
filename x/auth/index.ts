export { AuthKeeper, type Account, accountToAny } from "./keeper";
export { AnteHandler, FEE_COLLECTOR, type AnteOptions } from "./ante";
export { authModule } from "./module";
export { type AuthGenesis, defaultGenesis } from "./genesis";
export { parseGasPrice, requiredFee, type GasPrice } from "./params";
export * as authKeys from "./keys";
