/** gRPC/ABCI query handlers of x/bank (`cosmos.bank.v1beta1.Query`). */
import {
  QueryAllBalancesRequest,
  QueryAllBalancesResponse,
  QueryBalanceRequest,
  QueryBalanceResponse,
  QueryParamsRequest,
  QueryParamsResponse,
  QuerySpendableBalancesRequest,
  QuerySpendableBalancesResponse,
  QuerySupplyOfRequest,
  QuerySupplyOfResponse,
  QueryTotalSupplyRequest,
  QueryTotalSupplyResponse,
} from "cosmjs-types/cosmos/bank/v1beta1/query";
import type { QueryHandler } from "../../app/module";
import { decodeRequest, encodeResponse, invalidArgument } from "../../app/query";
import { parseAddress } from "../../app/types/address";
import { toWire, validateDenom } from "../../app/types/coins";
import type { BankKeeper } from "./keeper";

const SERVICE = "/cosmos.bank.v1beta1.Query/";

function checkedAddress(a: string): string {
  try {
    parseAddress(a);
  } catch (e) {
    throw invalidArgument((e as Error).message);
  }
  return a;
}

function checkedDenom(d: string): string {
  try {
    validateDenom(d);
  } catch (e) {
    throw invalidArgument((e as Error).message);
  }
  return d;
}

export function bankQueries(bank: BankKeeper): QueryHandler[] {
  return [
    {
      path: SERVICE + "Balance",
      handle(ctx, data) {
        const req = decodeRequest(QueryBalanceRequest, data);
        const amount = bank.getBalance(ctx.store, checkedAddress(req.address), checkedDenom(req.denom));
        return encodeResponse(QueryBalanceResponse, { balance: { denom: req.denom, amount: amount.toString() } });
      },
    },
    {
      path: SERVICE + "AllBalances",
      handle(ctx, data) {
        const req = decodeRequest(QueryAllBalancesRequest, data);
        const coins = bank.getAllBalances(ctx.store, checkedAddress(req.address));
        return encodeResponse(QueryAllBalancesResponse, { balances: toWire(coins), pagination: { nextKey: new Uint8Array(), total: BigInt(coins.length) } });
      },
    },
    {
      path: SERVICE + "SpendableBalances",
      handle(ctx, data) {
        const req = decodeRequest(QuerySpendableBalancesRequest, data);
        const coins = bank.getAllBalances(ctx.store, checkedAddress(req.address));
        return encodeResponse(QuerySpendableBalancesResponse, { balances: toWire(coins), pagination: { nextKey: new Uint8Array(), total: BigInt(coins.length) } });
      },
    },
    {
      path: SERVICE + "TotalSupply",
      handle(ctx, data) {
        decodeRequest(QueryTotalSupplyRequest, data);
        const coins = bank.totalSupply(ctx.store);
        return encodeResponse(QueryTotalSupplyResponse, { supply: toWire(coins), pagination: { nextKey: new Uint8Array(), total: BigInt(coins.length) } });
      },
    },
    {
      path: SERVICE + "SupplyOf",
      handle(ctx, data) {
        const req = decodeRequest(QuerySupplyOfRequest, data);
        const amount = bank.getSupply(ctx.store, checkedDenom(req.denom));
        return encodeResponse(QuerySupplyOfResponse, { amount: { denom: req.denom, amount: amount.toString() } });
      },
    },
    {
      path: SERVICE + "Params",
      handle(ctx, data) {
        decodeRequest(QueryParamsRequest, data);
        return encodeResponse(QueryParamsResponse, { params: bank.getParams(ctx.store) });
      },
    },
  ];
}
