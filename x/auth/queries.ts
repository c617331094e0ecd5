/** gRPC/ABCI query handlers of x/auth (`cosmos.auth.v1beta1.Query`, `inferchain.auth.v1.Query`). */
import {
  QueryAccountRequest,
  QueryAccountResponse,
  QueryAccountsRequest,
  QueryAccountsResponse,
  QueryParamsRequest,
  QueryParamsResponse,
} from "cosmjs-types/cosmos/auth/v1beta1/query";
import { QueryFeeParamsRequest, QueryFeeParamsResponse } from "../../gen/inferchain/auth/v1/auth";
import type { QueryHandler } from "../../base/module";
import { addressArgument, decodeRequest, encodeResponse, notFound } from "../../base/query";
import { paginate } from "../../base/pagination";
import type { Any } from "cosmjs-types/google/protobuf/any";
import { BASE_ACCOUNT_TYPE, MODULE_ACCOUNT_TYPE, accountToAny, type AuthKeeper } from "./keeper";
import { ACCOUNTS_PREFIX } from "./keys";

const SERVICE = "/cosmos.auth.v1beta1.Query/";

export function authQueries(auth: AuthKeeper): QueryHandler[] {
  return [
    {
      path: SERVICE + "Account",
      handle(ctx, data) {
        const req = decodeRequest(QueryAccountRequest, data);
        addressArgument(req.address);
        const acc = auth.getAccount(ctx.store, req.address);
        if (!acc) throw notFound(`account ${req.address} not found`);
        return encodeResponse(QueryAccountResponse, { account: accountToAny(acc) });
      },
    },
    {
      path: SERVICE + "Accounts",
      handle(ctx, data) {
        const req = decodeRequest(QueryAccountsRequest, data);
        // The stored bytes are a type tag and the Any's value (keeper.ts), so a page is copied
        // out without a decode and a re-encode.
        const page = paginate(ctx.store, ACCOUNTS_PREFIX, req.pagination, (key): Any => {
          const raw = ctx.store.get(key);
          if (!raw || (raw[0] !== 1 && raw[0] !== 2)) throw new Error(`auth: bad account record at ${key}`);
          return { typeUrl: raw[0] === 2 ? MODULE_ACCOUNT_TYPE : BASE_ACCOUNT_TYPE, value: raw.subarray(1) };
        });
        return encodeResponse(QueryAccountsResponse, { accounts: page.items, pagination: page.pagination });
      },
    },
    {
      path: SERVICE + "Params",
      handle(ctx, data) {
        decodeRequest(QueryParamsRequest, data);
        return encodeResponse(QueryParamsResponse, { params: auth.getParams(ctx.store) });
      },
    },
    {
      path: "/inferchain.auth.v1.Query/FeeParams",
      handle(ctx, data) {
        decodeRequest(QueryFeeParamsRequest, data);
        return encodeResponse(QueryFeeParamsResponse, { params: auth.getFeeParams(ctx.store) });
      },
    },
  ];
}
