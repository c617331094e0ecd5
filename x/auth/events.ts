/** Events x/auth emits for every tx (Cosmos SDK names, so explorers and CosmJS read them). */
import type { EventManager } from "../../base/events";

export const EventTypeTx = "tx";
export const AttributeKeyFee = "fee";
export const AttributeKeyFeePayer = "fee_payer";
export const AttributeKeyAccountSequence = "acc_seq";
export const AttributeKeySignature = "signature";

export function emitFee(em: EventManager, fee: string, payer: string): void {
  em.emit(EventTypeTx, { [AttributeKeyFee]: fee, [AttributeKeyFeePayer]: payer });
}
export function emitAccountSequence(em: EventManager, address: string, sequence: bigint): void {
  em.emit(EventTypeTx, { [AttributeKeyAccountSequence]: `${address}/${sequence}` });
}
export function emitSignature(em: EventManager, signatureBase64: string): void {
  em.emit(EventTypeTx, { [AttributeKeySignature]: signatureBase64 });
}
