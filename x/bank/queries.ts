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
import type { QueryHandler } from "../../base/module";
import { addressArgument, decodeRequest, encodeResponse, invalidArgument } from "../../base/query";
import { validateDenom } from "../../base/types/coins";
import { paginate, type Page, type PageRequestLike } from "../../base/pagination";
import type { KVReader } from "../../base/store/kv";
import type { BankKeeper } from "./keeper";
import { SUPPLY_PREFIX, balancesPrefix } from "./keys";

const SERVICE = "/cosmos.bank.v1beta1.Query/";

function checkedDenom(d: string): string {
  try {
    validateDenom(d);
  } catch (e) {
    throw invalidArgument((e as Error).message);
  }
  return d;
}

/** One page of an address's balances, by denom (no vesting: spendable = all). */
function balancesPage(bank: BankKeeper, s: KVReader, address: string, req: PageRequestLike | undefined): Page<{ denom: string; amount: string }> {
  return paginate(s, balancesPrefix(address), req, (_key, denom) => ({ denom, amount: bank.getBalance(s, address, denom).toString() }));
}

export function bankQueries(bank: BankKeeper): QueryHandler[] {
  return [
    {
      path: SERVICE + "Balance",
      handle(ctx, data) {
        const req = decodeRequest(QueryBalanceRequest, data);
        const amount = bank.getBalance(ctx.store, addressArgument(req.address), checkedDenom(req.denom));
        return encodeResponse(QueryBalanceResponse, { balance: { denom: req.denom, amount: amount.toString() } });
      },
    },
    {
      path: SERVICE + "AllBalances",
      handle(ctx, data) {
        const req = decodeRequest(QueryAllBalancesRequest, data);
        const page = balancesPage(bank, ctx.store, addressArgument(req.address), req.pagination);
        return encodeResponse(QueryAllBalancesResponse, { balances: page.items, pagination: page.pagination });
      },
    },
    {
      path: SERVICE + "SpendableBalances",
      handle(ctx, data) {
        const req = decodeRequest(QuerySpendableBalancesRequest, data);
        const page = balancesPage(bank, ctx.store, addressArgument(req.address), req.pagination);
        return encodeResponse(QuerySpendableBalancesResponse, { balances: page.items, pagination: page.pagination });
      },
    },
    {
      path: SERVICE + "TotalSupply",
      handle(ctx, data) {
        const req = decodeRequest(QueryTotalSupplyRequest, data);
        const page = paginate(ctx.store, SUPPLY_PREFIX, req.pagination, (_key, denom) => ({ denom, amount: bank.getSupply(ctx.store, denom).toString() }));
        return encodeResponse(QueryTotalSupplyResponse, { supply: page.items, pagination: page.pagination });
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
