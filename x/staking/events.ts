/** Events of x/staking, with the Cosmos SDK's names and attributes where Cosmos has them. */
import type { EventManager } from "../../base/events";

export const EventTypeCreateValidator = "create_validator";
export const EventTypeDelegate = "delegate";
export const EventTypeUnbond = "unbond";
export const EventTypeCompleteUnbonding = "complete_unbonding";
export const EventTypeRegisterWorker = "register_worker";
export const EventTypeUpdateParams = "update_staking_params";
/** Staking's own jailing (self-delegation fell below the minimum); slashing emits its own events for its jails. */
export const EventTypeJail = "staking_jail";

export const AttributeKeyValidator = "validator";
export const AttributeKeyDelegator = "delegator";
export const AttributeKeyAmount = "amount";
export const AttributeKeyNewShares = "new_shares";
export const AttributeKeyCompletionHeight = "completion_height";
export const AttributeKeyUnbondingId = "unbonding_id";
export const AttributeKeyWorker = "worker";
export const AttributeKeyModelIds = "model_ids";
export const AttributeKeyAuthority = "authority";
export const AttributeKeyReason = "reason";

/** `amount` attributes are Cosmos coin strings: `1000000uinf`. */
const coin = (amount: bigint, denom: string): string => `${amount}${denom}`;

export function emitCreateValidator(em: EventManager, validator: string, amount: bigint, denom: string): void {
  em.emit(EventTypeCreateValidator, { [AttributeKeyValidator]: validator, [AttributeKeyAmount]: coin(amount, denom) });
}

export function emitDelegate(em: EventManager, validator: string, delegator: string, amount: bigint, denom: string, newShares: bigint): void {
  em.emit(EventTypeDelegate, {
    [AttributeKeyValidator]: validator,
    [AttributeKeyDelegator]: delegator,
    [AttributeKeyAmount]: coin(amount, denom),
    [AttributeKeyNewShares]: newShares.toString(),
  });
}

export function emitUnbond(em: EventManager, validator: string, delegator: string, amount: bigint, denom: string, completionHeight: bigint, id: bigint): void {
  em.emit(EventTypeUnbond, {
    [AttributeKeyValidator]: validator,
    [AttributeKeyDelegator]: delegator,
    [AttributeKeyAmount]: coin(amount, denom),
    [AttributeKeyCompletionHeight]: completionHeight.toString(),
    [AttributeKeyUnbondingId]: id.toString(),
  });
}

export function emitCompleteUnbonding(em: EventManager, validator: string, delegator: string, amount: bigint, denom: string, id: bigint): void {
  em.emit(EventTypeCompleteUnbonding, {
    [AttributeKeyValidator]: validator,
    [AttributeKeyDelegator]: delegator,
    [AttributeKeyAmount]: coin(amount, denom),
    [AttributeKeyUnbondingId]: id.toString(),
  });
}

export function emitRegisterWorker(em: EventManager, validator: string, worker: string, modelIds: readonly string[]): void {
  em.emit(EventTypeRegisterWorker, { [AttributeKeyValidator]: validator, [AttributeKeyWorker]: worker, [AttributeKeyModelIds]: modelIds.join(",") });
}

export function emitUpdateParams(em: EventManager, authority: string): void {
  em.emit(EventTypeUpdateParams, { [AttributeKeyAuthority]: authority });
}

export function emitJail(em: EventManager, validator: string, reason: string): void {
  em.emit(EventTypeJail, { [AttributeKeyValidator]: validator, [AttributeKeyReason]: reason });
}
