/**
 * The MsgUpdateParams handler of a module with governable params: the message names its
 * `authority` (its one signer), which must be the module's current `params_authority`; the new
 * params are decoded and checked by the module, stored, and announced by the module's event;
 * the response is the module's empty `MsgUpdateParamsResponse`.
 */
import type { Context } from "./context";
import type { MsgHandler, MsgResponse } from "./module";
import type { KVReader, KVStore } from "./store/kv";
import { Bech32Prefix, parseAddress } from "./types/address";

export interface ParamsUpdate<P> {
  readonly authority: string;
  readonly params: P;
}

export interface ParamsUpdateSpec<P extends { readonly paramsAuthority: string }> {
  /** The module's MsgUpdateParams type URL; the response's is this + "Response". */
  readonly typeUrl: string;
  /** Wire bytes → authority and checked params; throws the module's AppError on bad params. */
  decode(value: Uint8Array): ParamsUpdate<P>;
  getParams(s: KVReader): P;
  setParams(s: KVStore, p: P): void;
  /** The module's "only the params authority may change …" error. */
  readonly unauthorized: { wrap(detail: string): Error };
  emit(ctx: Context, authority: string): void;
}

export function updateParamsHandler<P extends { readonly paramsAuthority: string }>(spec: ParamsUpdateSpec<P>): MsgHandler<ParamsUpdate<P>> {
  return {
    typeUrl: spec.typeUrl,
    decode: (value) => spec.decode(value),
    signers: (msg) => [msg.authority],
    validateBasic(msg): void {
      parseAddress(msg.authority, Bech32Prefix.account, "authority");
    },
    execute(ctx: Context, msg): MsgResponse {
      const current = spec.getParams(ctx.store);
      if (msg.authority !== current.paramsAuthority) throw spec.unauthorized.wrap(`signer ${msg.authority}, authority ${current.paramsAuthority}`);
      spec.setParams(ctx.store, msg.params);
      spec.emit(ctx, msg.authority);
      // An empty message encodes to no bytes.
      return { typeUrl: `${spec.typeUrl}Response`, value: new Uint8Array() };
    },
  };
}
