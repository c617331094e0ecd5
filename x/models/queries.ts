/** gRPC/ABCI query handlers of x/models (`inferchain.models.v1.Query`); one handler serves both. */
import {
  QueryModelRequest,
  QueryModelResponse,
  QueryModelsRequest,
  QueryModelsResponse,
  QueryParamsRequest,
  QueryParamsResponse,
} from "../../gen/inferchain/models/v1/query";
import type { QueryHandler } from "../../app/module";
import { decodeRequest, encodeResponse, invalidArgument, notFound } from "../../app/query";
import type { ModelsKeeper } from "./keeper";
import { toStored } from "./params";
import { isValidModelId, modelToWire, type Model } from "./types";

const SERVICE = "/inferchain.models.v1.Query/";
export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;

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
        if (req.limit > MAX_PAGE_LIMIT) throw invalidArgument(`limit ${req.limit} above ${MAX_PAGE_LIMIT}`);
        const limit = req.limit === 0 ? DEFAULT_PAGE_LIMIT : req.limit;
        const page: Model[] = [];
        let nextId = "";
        for (const m of models.models(ctx.store, req.startId)) {
          if (page.length === limit) {
            nextId = m.id;
            break;
          }
          page.push(m);
        }
        return encodeResponse(QueryModelsResponse, { models: page.map(modelToWire), nextId });
      },
    },
  ];
}
