/** Message handlers of x/models: validation (stateless, in CheckTx) and effects (on the msg branch). */
import { updateParamsHandler, type ParamsUpdate } from "../../base/params";
import {
  MsgRegisterModel,
  MsgRegisterModelResponse,
  MsgUpdateParams,
} from "../../gen/inferchain/models/v1/tx";
import type { Context } from "../../base/context";
import type { MsgHandler, MsgResponse } from "../../base/module";
import { Bech32Prefix, parseAddress } from "../../base/types/address";
import { BASE_DENOM, formatCoins, parseAmount } from "../../base/types/coins";
import { ErrInsufficientDeposit, ErrInvalidParams, ErrModelExists, ErrUnauthorizedParams } from "./errors";
import { emitRegisterModel, emitUpdateParams } from "./events";
import type { BankKeeper } from "./expectedKeepers";
import { MODELS_MODULE_ACCOUNT, type ModelsKeeper } from "./keeper";
import { fromWire, type ModelsParams } from "./params";
import { specFromWire, validateModelSpec, type ModelSpec } from "./types";

const TYPE_URL = "/inferchain.models.v1.";

const response = (name: string, value: Uint8Array): MsgResponse => ({ typeUrl: TYPE_URL + name, value });

// ---------------------------------------------------------------- MsgRegisterModel

export interface RegisterModel {
  readonly owner: string;
  readonly spec: ModelSpec;
  readonly deposit: bigint;
}

export function msgRegisterModelHandler(models: ModelsKeeper, bank: BankKeeper): MsgHandler<RegisterModel> {
  return {
    typeUrl: TYPE_URL + "MsgRegisterModel",
    decode(value: Uint8Array): RegisterModel {
      const m = MsgRegisterModel.decode(value);
      return { owner: m.owner, spec: specFromWire(m), deposit: parseAmount(m.deposit, "deposit") };
    },
    signers: (msg) => [msg.owner],
    validateBasic(msg): void {
      parseAddress(msg.owner, Bech32Prefix.account, "owner");
      validateModelSpec(msg.spec);
    },
    execute(ctx: Context, msg): MsgResponse {
      if (models.hasModel(ctx.store, msg.spec.id)) throw ErrModelExists.wrap(`model ${msg.spec.id}`);
      const { registrationDeposit } = models.getParams(ctx.store);
      if (msg.deposit < registrationDeposit) {
        throw ErrInsufficientDeposit.wrap(`deposit ${msg.deposit}${BASE_DENOM} is below registration_deposit ${registrationDeposit}${BASE_DENOM}`);
      }
      const coins = [{ denom: BASE_DENOM, amount: msg.deposit }];
      if (msg.deposit > 0n) bank.sendCoinsFromAccountToModule(ctx, msg.owner, MODELS_MODULE_ACCOUNT, coins);
      models.setModel(ctx.store, { ...msg.spec, owner: msg.owner, deposit: msg.deposit, registeredHeight: ctx.block.height });
      emitRegisterModel(ctx.events, msg.spec.id, msg.owner, msg.spec.onnxSha256, formatCoins(coins));
      return response("MsgRegisterModelResponse", MsgRegisterModelResponse.encode({}).finish());
    },
  };
}

// ---------------------------------------------------------------- MsgUpdateParams

export type UpdateParams = ParamsUpdate<ModelsParams>;

export function msgUpdateParamsHandler(models: ModelsKeeper): MsgHandler<UpdateParams> {
  return updateParamsHandler({
    typeUrl: TYPE_URL + "MsgUpdateParams",
    decode(value) {
      const m = MsgUpdateParams.decode(value);
      if (!m.params) throw ErrInvalidParams.wrap("params missing");
      return { authority: m.authority, params: fromWire(m.params) };
    },
    getParams: (s) => models.getParams(s),
    setParams: (s, p) => models.setParams(s, p),
    unauthorized: ErrUnauthorizedParams,
    emit: (ctx, authority) => emitUpdateParams(ctx.events, authority),
  });
}
