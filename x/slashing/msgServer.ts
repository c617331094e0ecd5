/** Message handlers of x/slashing: validation and effects. */
import {
  MsgUnjail,
  MsgUnjailResponse,
  MsgUpdateParams as CosmosMsgUpdateParams,
  MsgUpdateParamsResponse as CosmosMsgUpdateParamsResponse,
} from "cosmjs-types/cosmos/slashing/v1beta1/tx";
import { MsgUpdateParams, MsgUpdateParamsResponse } from "../../gen/inferchain/slashing/v1/tx";
import type { Context } from "../../base/context";
import type { MsgHandler, MsgResponse } from "../../base/module";
import { Bech32Prefix, operatorAccount, parseAddress } from "../../base/types/address";
import {
  ErrEvidenceOutlivesUnbonding,
  ErrInvalidSigner,
  ErrMissingSelfDelegation,
  ErrNoValidatorForAddress,
  ErrSelfDelegationTooLowToUnjail,
  ErrValidatorJailed,
  ErrValidatorNotJailed,
  ErrValidatorTombstoned,
} from "./errors";
import { emitUnjail, emitUpdateParams } from "./events";
import type { SlashingKeeper } from "./keeper";
import { fromCosmos, fromWire, mergeCosmos, type CosmosSubset, type SlashingParams } from "./params";
import { consAddressString } from "./types";

export interface Unjail {
  /** infervaloper1… */
  readonly validator: string;
}

export function msgUnjailHandler(k: SlashingKeeper): MsgHandler<Unjail> {
  return {
    typeUrl: "/cosmos.slashing.v1beta1.MsgUnjail",
    decode: (value) => ({ validator: MsgUnjail.decode(value).validatorAddr }),
    // The operator's account signs: same address bytes, account prefix.
    signers: (msg) => [operatorAccount(msg.validator, "validator_addr")],
    validateBasic(msg): void {
      parseAddress(msg.validator, Bech32Prefix.operator, "validator_addr");
    },
    execute(ctx: Context, msg): MsgResponse {
      const v = k.staking.validator(ctx.store, msg.validator);
      if (!v) throw ErrNoValidatorForAddress.wrap(`no validator ${msg.validator}`);
      if (!v.jailed) throw ErrValidatorNotJailed.wrap(`${msg.validator} is not jailed`);
      const info = k.getSigningInfo(ctx.store, consAddressString(v.consAddress));
      if (info?.tombstoned) throw ErrValidatorTombstoned.wrap(`${msg.validator} was tombstoned for a consensus fault`);
      if (info && ctx.block.height < info.jailedUntilHeight) {
        throw ErrValidatorJailed.wrap(`${msg.validator} is jailed until height ${info.jailedUntilHeight} (now ${ctx.block.height})`);
      }
      if (v.selfDelegation <= 0n) throw ErrMissingSelfDelegation.wrap(`${msg.validator} has no self-delegation`);
      const min = v.minSelfDelegation ?? 1n;
      if (v.selfDelegation < min) {
        throw ErrSelfDelegationTooLowToUnjail.wrap(`${msg.validator} self-delegates ${v.selfDelegation}, below its minimum ${min}`);
      }
      k.staking.unjail(ctx, msg.validator);
      emitUnjail(ctx.events, msg.validator);
      return { typeUrl: "/cosmos.slashing.v1beta1.MsgUnjailResponse", value: MsgUnjailResponse.encode({}).finish() };
    },
  };
}

/**
 * Replaces params, from the params authority only. A new liveness window starts every
 * validator's window over (bitmap indexes mean nothing under another window length).
 */
function updateParams(k: SlashingKeeper, ctx: Context, authority: string, next: (current: SlashingParams) => SlashingParams): void {
  const current = k.getParams(ctx.store);
  if (authority !== current.paramsAuthority) {
    throw ErrInvalidSigner.wrap(`expected ${current.paramsAuthority}, got ${authority}`);
  }
  const p = next(current);
  // Evidence acted on must still find the stake it names: undelegated stake leaves after unbonding_blocks.
  const unbonding = k.staking.unbondingBlocks(ctx.store);
  if (p.maxEvidenceAgeBlocks >= unbonding) {
    throw ErrEvidenceOutlivesUnbonding.wrap(`max_evidence_age_blocks ${p.maxEvidenceAgeBlocks} ≥ unbonding_blocks ${unbonding}`);
  }
  if (p.signedBlocksWindow !== current.signedBlocksWindow) {
    for (const info of [...k.signingInfos(ctx.store)]) {
      k.clearMissed(ctx.store, info.address);
      k.setSigningInfo(ctx.store, { ...info, startHeight: ctx.block.height, indexOffset: 0n, missedBlocksCounter: 0n });
    }
  }
  k.setParams(ctx.store, p);
  emitUpdateParams(ctx.events, authority);
}

export interface UpdateParams {
  readonly authority: string;
  readonly params: SlashingParams;
}

export function msgUpdateParamsHandler(k: SlashingKeeper): MsgHandler<UpdateParams> {
  return {
    typeUrl: "/inferchain.slashing.v1.MsgUpdateParams",
    decode(value) {
      const m = MsgUpdateParams.decode(value);
      return { authority: m.authority, params: fromWire(m.params) };
    },
    signers: (msg) => [msg.authority],
    validateBasic(msg): void {
      parseAddress(msg.authority, Bech32Prefix.account, "authority");
    },
    execute(ctx, msg): MsgResponse {
      updateParams(k, ctx, msg.authority, () => msg.params);
      return { typeUrl: "/inferchain.slashing.v1.MsgUpdateParamsResponse", value: MsgUpdateParamsResponse.encode({}).finish() };
    },
  };
}

export interface CosmosUpdateParams {
  readonly authority: string;
  readonly params: CosmosSubset;
}

/** Cosmos's MsgUpdateParams sets the Cosmos subset of params and keeps the rest. */
export function msgCosmosUpdateParamsHandler(k: SlashingKeeper): MsgHandler<CosmosUpdateParams> {
  return {
    typeUrl: "/cosmos.slashing.v1beta1.MsgUpdateParams",
    decode(value) {
      const m = CosmosMsgUpdateParams.decode(value);
      return { authority: m.authority, params: fromCosmos(m.params) };
    },
    signers: (msg) => [msg.authority],
    validateBasic(msg): void {
      parseAddress(msg.authority, Bech32Prefix.account, "authority");
    },
    execute(ctx, msg): MsgResponse {
      updateParams(k, ctx, msg.authority, (current) => mergeCosmos(current, msg.params));
      return { typeUrl: "/cosmos.slashing.v1beta1.MsgUpdateParamsResponse", value: CosmosMsgUpdateParamsResponse.encode({}).finish() };
    },
  };
}
