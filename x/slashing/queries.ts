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
import type { QueryHandler } from "../../app/module";
import { decodeRequest, encodeResponse, invalidArgument, notFound } from "../../app/query";
import type { KVReader } from "../../app/store/kv";
import { Bech32Prefix, parseAddress } from "../../app/types/address";
import { type SlashingKeeper, type ValidatorSigningInfo, slashEventToWire } from "./keeper";
import { EVENTS_PREFIX, SIGNING_INFOS_PREFIX, trailingNumber, validatorEventsPrefix } from "./keys";
import { toCosmos } from "./params";
import { ValidatorSigningInfo as StoredSigningInfo } from "../../gen/inferchain/slashing/v1/slashing";

const COSMOS = "/cosmos.slashing.v1beta1.Query/";
const OWN = "/inferchain.slashing.v1.Query/";

const DEFAULT_LIMIT = 100n;
const MAX_LIMIT = 1000n;

/** The fields of Cosmos's PageRequest that pagination reads (cosmjs-types' and gen's are the same message). */
export interface PageRequestLike {
  readonly key: Uint8Array;
  readonly offset: bigint;
  readonly limit: bigint;
  readonly countTotal: boolean;
  readonly reverse: boolean;
}

export interface Page {
  readonly entries: Array<[string, Uint8Array]>;
  /** The key suffix (ASCII) to resume from; empty after the last page. */
  readonly nextKey: Uint8Array;
  /** Entries under the prefix, when count_total was asked for. */
  readonly total: bigint;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * Cosmos pagination over the keys under `prefix`: resume from `key` (a previous `next_key`)
 * or skip `offset`, then take `limit` (default 100, at most 1000), in reverse if asked.
 */
export function paginate(s: KVReader, prefix: string, req: PageRequestLike | undefined): Page {
  const key = req?.key ?? new Uint8Array();
  const offset = req?.offset ?? 0n;
  if (key.length > 0 && offset > 0n) throw invalidArgument("paginate: use either key or offset, not both");
  const limit = req && req.limit > 0n ? (req.limit < MAX_LIMIT ? req.limit : MAX_LIMIT) : DEFAULT_LIMIT;
  const reverse = req?.reverse ?? false;
  const countTotal = req?.countTotal ?? false;
  const from = dec.decode(key);

  const entries: Array<[string, Uint8Array]> = [];
  let nextKey = new Uint8Array();
  let seen = 0n;
  let total = 0n;
  for (const [k, v] of s.iterate(prefix, reverse)) {
    const suffix = k.slice(prefix.length);
    total++;
    if (from !== "" && (reverse ? suffix > from : suffix < from)) continue;
    if (seen++ < offset) continue;
    if (BigInt(entries.length) < limit) {
      entries.push([k, v]);
      continue;
    }
    if (nextKey.length === 0) nextKey = enc.encode(suffix);
    if (!countTotal) break;
  }
  return { entries, nextKey, total: countTotal ? total : 0n };
}

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
        try {
          parseAddress(req.consAddress, Bech32Prefix.consensus, "cons_address");
        } catch (e) {
          throw invalidArgument((e as Error).message);
        }
        const info = k.getSigningInfo(ctx.store, req.consAddress);
        if (!info) throw notFound(`SigningInfo not found for validator ${req.consAddress}`);
        return encodeResponse(QuerySigningInfoResponse, { valSigningInfo: toCosmosInfo(info) });
      },
    },
    {
      path: COSMOS + "SigningInfos",
      handle(ctx, data) {
        const req = decodeRequest(QuerySigningInfosRequest, data);
        const page = paginate(ctx.store, SIGNING_INFOS_PREFIX, req.pagination);
        return encodeResponse(QuerySigningInfosResponse, {
          info: page.entries.map(([, v]) => toCosmosInfo(StoredSigningInfo.decode(v))),
          pagination: { nextKey: page.nextKey, total: page.total },
        });
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
          try {
            parseAddress(req.validator, Bech32Prefix.operator, "validator");
          } catch (e) {
            throw invalidArgument((e as Error).message);
          }
          prefix = validatorEventsPrefix(req.validator);
        }
        const page = paginate(ctx.store, prefix, req.pagination);
        const events = page.entries.map(([key]) => {
          const e = k.getSlashEvent(ctx.store, trailingNumber(key));
          if (!e) throw new Error(`slash event index ${key} points at nothing`);
          return slashEventToWire(e);
        });
        return encodeResponse(QuerySlashEventsResponse, { events, pagination: { nextKey: page.nextKey, total: page.total } });
      },
    },
  ];
}
