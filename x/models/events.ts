/** Events of x/models: declared types, attribute keys and the only constructors handlers use. */
import type { EventManager } from "../../base/events";

export const EventTypeRegisterModel = "register_model";
export const EventTypeUpdateParams = "update_params";

export const AttributeKeyModelId = "model_id";
export const AttributeKeyOwner = "owner";
export const AttributeKeyOnnxSha256 = "onnx_sha256";
export const AttributeKeyDeposit = "deposit";
export const AttributeKeyAuthority = "authority";

/** `deposit` is a coin string (`10000000uinf`), like bank's `amount`. */
export function emitRegisterModel(em: EventManager, modelId: string, owner: string, onnxSha256: string, deposit: string): void {
  em.emit(EventTypeRegisterModel, {
    [AttributeKeyModelId]: modelId,
    [AttributeKeyOwner]: owner,
    [AttributeKeyOnnxSha256]: onnxSha256,
    [AttributeKeyDeposit]: deposit,
  });
}

export function emitUpdateParams(em: EventManager, authority: string): void {
  em.emit(EventTypeUpdateParams, { [AttributeKeyAuthority]: authority });
}
