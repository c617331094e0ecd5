/**
 * gRPC/ABCI query handlers of x/slashing: `cosmos.slashing.v1beta1.Query` (what CosmJS's
 * slashing extension calls; `jailed_until` carries the jail's end height as its seconds) and
 * `inferchain.slashing.v1.Query`.
 */
import {
  QueryParamsRequest as CosmosQueryParamsRequest,
  QueryParamsResponse as CosmosQueryParamsResponse,
  QuerySigningInfoRequest,
  QuerySigningInfoResponse,
  QuerySigningInfosRequest,
  QuerySigningInfosResponse,
} from "cosmjs-types/cosmos/slashing/v1beta1/query";
import type { ValidatorSigningInfo as CosmosSigningInfo } from "cosmjs-types/cosmos/slashing/v1beta1/slashing";
import {
  QueryParamsRequest,
  QueryParamsResponse,
  QuerySlashEventsRequest,
  QuerySlashEventsResponse,
} from "../../gen/inferchain/slashing/v1/query";
import type { QueryHandler } from "../../base/module";
import { addressArgument, decodeRequest, encodeResponse, notFound } from "../../base/query";
import { paginate } from "../../base/pagination";
import { Bech32Prefix } from "../../base/types/address";
import { trailingNumber } from "../../base/store/keys";
import type { SlashingKeeper } from "./keeper";
import { EVENTS_PREFIX, SIGNING_INFOS_PREFIX, validatorEventsPrefix } from "./keys";
import { toCosmos } from "./params";
import { slashEventToWire, type ValidatorSigningInfo } from "./types";

const COSMOS = "/cosmos.slashing.v1beta1.Query/";
const OWN = "/inferchain.slashing.v1.Query/";

function toCosmosInfo(i: ValidatorSigningInfo): CosmosSigningInfo {
  return {
    address: i.address,
    startHeight: i.startHeight,
    indexOffset: i.indexOffset,
    jailedUntil: { seconds: i.jailedUntilHeight, nanos: 0 },
    tombstoned: i.tombstoned,
    missedBlocksCounter: i.missedBlocksCounter,
  };
}

export function slashingQueries(k: SlashingKeeper): QueryHandler[] {
  return [
    {
      path: COSMOS + "Params",
      handle(ctx, data) {
        decodeRequest(CosmosQueryParamsRequest, data);
        return encodeResponse(CosmosQueryParamsResponse, { params: toCosmos(k.getParams(ctx.store)) });
      },
    },
    {
      path: COSMOS + "SigningInfo",
      handle(ctx, data) {
        const req = decodeRequest(QuerySigningInfoRequest, data);
        addressArgument(req.consAddress, Bech32Prefix.consensus, "cons_address");
        const info = k.getSigningInfo(ctx.store, req.consAddress);
        if (!info) throw notFound(`SigningInfo not found for validator ${req.consAddress}`);
        return encodeResponse(QuerySigningInfoResponse, { valSigningInfo: toCosmosInfo(info) });
      },
    },
    {
      path: COSMOS + "SigningInfos",
      handle(ctx, data) {
        const req = decodeRequest(QuerySigningInfosRequest, data);
        const page = paginate(ctx.store, SIGNING_INFOS_PREFIX, req.pagination, (key, address) => {
          const info = k.getSigningInfo(ctx.store, address);
          if (!info) throw new Error(`signing info ${key} points at nothing`);
          return toCosmosInfo(info);
        });
        return encodeResponse(QuerySigningInfosResponse, { info: page.items, pagination: page.pagination });
      },
    },
    {
      path: OWN + "Params",
      handle(ctx, data) {
        decodeRequest(QueryParamsRequest, data);
        return encodeResponse(QueryParamsResponse, { params: { ...k.getParams(ctx.store) } });
      },
    },
    {
      path: OWN + "SlashEvents",
      handle(ctx, data) {
        const req = decodeRequest(QuerySlashEventsRequest, data);
        let prefix = EVENTS_PREFIX;
        if (req.validator !== "") {
          addressArgument(req.validator, Bech32Prefix.operator, "validator");
          prefix = validatorEventsPrefix(req.validator);
        }
        const page = paginate(ctx.store, prefix, req.pagination, (key) => {
          const e = k.getSlashEvent(ctx.store, trailingNumber(key));
          if (!e) throw new Error(`slash event index ${key} points at nothing`);
          return slashEventToWire(e);
        });
        return encodeResponse(QuerySlashEventsResponse, { events: page.items, pagination: page.pagination });
      },
    },
  ];
}
