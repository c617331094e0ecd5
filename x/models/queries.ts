/** gRPC/ABCI query handlers of x/models (`inferchain.models.v1.Query`); one handler serves both. */
import {
  QueryModelRequest,
  QueryModelResponse,
  QueryModelsRequest,
  QueryModelsResponse,
  QueryParamsRequest,
  QueryParamsResponse,
} from "../../gen/inferchain/models/v1/query";
import type { QueryHandler } from "../../base/module";
import { decodeRequest, encodeResponse, invalidArgument, notFound } from "../../base/query";
import { MAX_PAGE_LIMIT, paginate } from "../../base/pagination";
import type { ModelsKeeper } from "./keeper";
import { MODELS_PREFIX } from "./keys";
import { toStored } from "./params";
import { isValidModelId, modelToWire } from "./types";

const SERVICE = "/inferchain.models.v1.Query/";
const enc = new TextEncoder();
const dec = new TextDecoder();

export function modelsQueries(models: ModelsKeeper): QueryHandler[] {
  return [
    {
      path: SERVICE + "Params",
      handle(ctx, data) {
        decodeRequest(QueryParamsRequest, data);
        return encodeResponse(QueryParamsResponse, { params: toStored(models.getParams(ctx.store)) });
      },
    },
    {
      path: SERVICE + "Model",
      handle(ctx, data) {
        const req = decodeRequest(QueryModelRequest, data);
        if (!isValidModelId(req.id)) throw invalidArgument(`invalid model id ${JSON.stringify(req.id)}`);
        const m = models.getModel(ctx.store, req.id);
        if (!m) throw notFound(`model ${req.id}`);
        return encodeResponse(QueryModelResponse, { model: modelToWire(m) });
      },
    },
    {
      path: SERVICE + "Models",
      handle(ctx, data) {
        const req = decodeRequest(QueryModelsRequest, data);
        // Its own wire form of Cosmos pagination: start_id = key, next_id = next_key.
        if (BigInt(req.limit) > MAX_PAGE_LIMIT) throw invalidArgument(`limit ${req.limit} above ${MAX_PAGE_LIMIT}`);
        const pageReq = { key: enc.encode(req.startId), offset: 0n, limit: BigInt(req.limit), countTotal: false, reverse: false };
        const page = paginate(ctx.store, MODELS_PREFIX, pageReq, (_k, id) => {
          const m = models.getModel(ctx.store, id);
          if (!m) throw new Error(`models: key ${id} without a model`);
          return m;
        });
        return encodeResponse(QueryModelsResponse, { models: page.items.map(modelToWire), nextId: dec.decode(page.pagination.nextKey) });
      },
    },
  ];
}
