/**
 * Message handlers of x/staking: Cosmos `MsgCreateValidator`, `MsgDelegate`, `MsgUndelegate`,
 * `MsgUpdateParams`, and inferchain's `MsgRegisterWorker` and full-params `MsgUpdateParams`.
 * decode → checked domain message; validateBasic → stateless checks (CheckTx); execute →
 * stateful checks and effects on the message's branch.
 */
import { PubKey as Ed25519PubKey } from "cosmjs-types/cosmos/crypto/ed25519/keys";
import {
  MsgCreateValidator,
  MsgCreateValidatorResponse,
  MsgDelegate,
  MsgDelegateResponse,
  MsgUndelegate,
  MsgUndelegateResponse,
  MsgUpdateParams as CosmosMsgUpdateParams,
  MsgUpdateParamsResponse as CosmosMsgUpdateParamsResponse,
} from "cosmjs-types/cosmos/staking/v1beta1/tx";
import type { Params as CosmosParams } from "cosmjs-types/cosmos/staking/v1beta1/staking";
import type { Coin as WireCoin } from "cosmjs-types/cosmos/base/v1beta1/coin";
import {
  MsgRegisterWorker,
  MsgRegisterWorkerResponse,
  MsgUpdateParams,
  MsgUpdateParamsResponse,
} from "../../gen/inferchain/staking/v1/tx";
import type { Params } from "../../gen/inferchain/staking/v1/staking";
import type { Context } from "../../base/context";
import { ErrInvalidAddress, ErrInvalidCoins } from "../../base/errors";
import type { AnyMsgHandler, MsgHandler, MsgResponse } from "../../base/module";
import { Bech32Prefix, accountOperator, operatorAccount, parseAddress } from "../../base/types/address";
import { parseAmount, validateDenom } from "../../base/types/coins";
import { PPM, atomicsToPpm } from "../../base/types/math";
import {
  ErrBadCommission,
  ErrBadConsensusKey,
  ErrBadDenom,
  ErrBadDescription,
  ErrBadMinSelfDelegation,
  ErrBadModelId,
  ErrConsensusKeyInUse,
  ErrNoValidator,
  ErrOperatorIsWorker,
  ErrSelfDelegationBelowMinimum,
  ErrUnauthorizedParams,
  ErrUnbondingShorterThanEvidenceAge,
  ErrUnknownModel,
  ErrValidatorExists,
  ErrWorkerInUse,
  ErrWorkerIsOperator,
} from "./errors";
import { emitCreateValidator, emitDelegate, emitRegisterWorker, emitUpdateParams } from "./events";
import type { KVReader } from "../../base/store/kv";
import type { ModelsKeeper, StakingDeps } from "./expectedKeepers";
import { consAddress, type CommissionRates, type Description, type StakingKeeper } from "./keeper";
import { fromCosmos, fromWire, validateParamsChange, type StakingParams } from "./params";

export const ED25519_PUBKEY_TYPE_URL = "/cosmos.crypto.ed25519.PubKey";
/** Cosmos SDK's description limits. */
const DESCRIPTION_LIMITS: ReadonlyArray<[keyof Description, number]> = [
  ["moniker", 70],
  ["identity", 3000],
  ["website", 140],
  ["securityContact", 140],
  ["details", 280],
];
const MAX_MODELS_PER_WORKER = 64;

const response = (typeUrl: string, value: Uint8Array): MsgResponse => ({ typeUrl, value });

/** A coin of a message: denom and a positive integer amount. */
function parseCoin(c: WireCoin | undefined, what: string): { denom: string; amount: bigint } {
  if (!c) throw ErrInvalidCoins.wrap(`${what} is missing`);
  validateDenom(c.denom);
  return { denom: c.denom, amount: parseAmount(c.amount, what) };
}

function checkPositive(amount: bigint, what: string): void {
  if (amount <= 0n) throw ErrInvalidCoins.wrap(`${what} must be positive`);
}

function checkBondDenom(denom: string, params: StakingParams): void {
  if (denom !== params.bondDenom) throw ErrBadDenom.wrap(`got ${denom}, expected ${params.bondDenom}`);
}

export function validateDescription(d: Description): void {
  if (d.moniker.trim() === "") throw ErrBadDescription.wrap("moniker is empty");
  for (const [field, max] of DESCRIPTION_LIMITS) {
    if (d[field].length > max) throw ErrBadDescription.wrap(`${field} is longer than ${max} characters`);
  }
}

export function validateCommission(c: CommissionRates): void {
  // A number against the bigint PPM: JavaScript compares the two exactly.
  if (c.maxRatePpm > PPM) throw ErrBadCommission.wrap("max rate cannot exceed 100%");
  if (c.ratePpm > c.maxRatePpm) throw ErrBadCommission.wrap("rate cannot exceed the max rate");
  if (c.maxChangeRatePpm > c.maxRatePpm) throw ErrBadCommission.wrap("max change rate cannot exceed the max rate");
}

function decodeDec(atomics: string, what: string): number {
  const ppm = atomicsToPpm(atomics);
  if (ppm === undefined || ppm > PPM) {
    throw ErrBadCommission.wrap(`${what} ${JSON.stringify(atomics)} is not a Dec (18-decimal atomics) in 0..1 with ppm precision`);
  }
  return Number(ppm);
}

export function decodeConsensusPubkey(any: { typeUrl: string; value: Uint8Array } | undefined): Uint8Array {
  if (!any) throw ErrBadConsensusKey.wrap("pubkey is missing");
  if (any.typeUrl !== ED25519_PUBKEY_TYPE_URL) throw ErrBadConsensusKey.wrap(`unsupported key type ${JSON.stringify(any.typeUrl)}`);
  let key: Uint8Array;
  try {
    key = Ed25519PubKey.decode(any.value).key;
  } catch (e) {
    throw ErrBadConsensusKey.wrap((e as Error).message);
  }
  return checkConsensusKey(key);
}

export function checkConsensusKey(key: Uint8Array): Uint8Array {
  if (key.length !== 32) throw ErrBadConsensusKey.wrap(`key is ${key.length} bytes`);
  return key;
}

// ---------------------------------------------------------------- MsgCreateValidator

export interface CreateValidator {
  readonly operator: string;
  /** Empty or the operator's own account (Cosmos ≥ 0.50 deprecates the field). */
  readonly delegatorAddress: string;
  readonly consPubkey: Uint8Array;
  readonly value: { readonly denom: string; readonly amount: bigint };
  readonly commission: CommissionRates;
  readonly minSelfDelegation: bigint;
  readonly description: Description;
}

export function msgCreateValidatorHandler(staking: StakingKeeper): MsgHandler<CreateValidator> {
  return {
    typeUrl: "/cosmos.staking.v1beta1.MsgCreateValidator",
    decode(value: Uint8Array): CreateValidator {
      const m = MsgCreateValidator.decode(value);
      if (!/^[0-9]{1,40}$/.test(m.minSelfDelegation)) throw ErrBadMinSelfDelegation.wrap(`got ${JSON.stringify(m.minSelfDelegation)}`);
      const c = m.commission;
      const d = m.description;
      return {
        operator: m.validatorAddress,
        delegatorAddress: m.delegatorAddress,
        consPubkey: decodeConsensusPubkey(m.pubkey),
        value: parseCoin(m.value, "value"),
        commission: {
          ratePpm: decodeDec(c?.rate ?? "", "commission rate"),
          maxRatePpm: decodeDec(c?.maxRate ?? "", "commission max rate"),
          maxChangeRatePpm: decodeDec(c?.maxChangeRate ?? "", "commission max change rate"),
        },
        minSelfDelegation: BigInt(m.minSelfDelegation),
        description: { moniker: d?.moniker ?? "", identity: d?.identity ?? "", website: d?.website ?? "", securityContact: d?.securityContact ?? "", details: d?.details ?? "" },
      };
    },
    signers: (msg) => [operatorAccount(msg.operator)],
    validateBasic(msg): void {
      parseAddress(msg.operator, Bech32Prefix.operator, "validator address");
      if (msg.delegatorAddress !== "") {
        parseAddress(msg.delegatorAddress, Bech32Prefix.account, "delegator address");
        if (msg.delegatorAddress !== operatorAccount(msg.operator)) throw ErrInvalidAddress.wrap("delegator_address must be empty or the validator's own account");
      }
      checkPositive(msg.value.amount, "self-delegation");
      validateCommission(msg.commission);
      if (msg.minSelfDelegation <= 0n) throw ErrBadMinSelfDelegation.wrap("must be positive");
      if (msg.value.amount < msg.minSelfDelegation) throw ErrSelfDelegationBelowMinimum.wrap(`${msg.value.amount} < ${msg.minSelfDelegation}`);
      validateDescription(msg.description);
    },
    execute(ctx: Context, msg): MsgResponse {
      createValidator(staking, ctx, msg);
      return response("/cosmos.staking.v1beta1.MsgCreateValidatorResponse", MsgCreateValidatorResponse.encode({}).finish());
    },
  };
}

/** The stateful half of MsgCreateValidator, shared with genesis (whose validators are gentxs in effect). */
export function createValidator(staking: StakingKeeper, ctx: Context, msg: CreateValidator): void {
  const s = ctx.store;
  const params = staking.getParams(s);
  checkBondDenom(msg.value.denom, params);
  if (msg.commission.ratePpm < params.minCommissionRatePpm) {
    throw ErrBadCommission.wrap(`rate ${msg.commission.ratePpm} ppm is below the minimum ${params.minCommissionRatePpm} ppm`);
  }
  const minSelf = msg.minSelfDelegation > params.minSelfDelegation ? msg.minSelfDelegation : params.minSelfDelegation;
  if (msg.value.amount < minSelf) throw ErrSelfDelegationBelowMinimum.wrap(`${msg.value.amount} < ${minSelf} (the higher of the validator's own and the chain's minimum)`);
  if (staking.getValidator(s, msg.operator)) throw ErrValidatorExists.wrap(msg.operator);
  if (staking.getValidatorByConsAddress(s, consAddress(msg.consPubkey))) throw ErrConsensusKeyInUse.wrap(Buffer.from(msg.consPubkey).toString("base64"));
  const account = operatorAccount(msg.operator);
  if (staking.operatorOfWorker(s, account) !== undefined) throw ErrOperatorIsWorker.wrap(account);
  staking.createValidator(s, {
    operator: msg.operator,
    consPubkey: msg.consPubkey,
    description: msg.description,
    commission: msg.commission,
    minSelfDelegation: msg.minSelfDelegation,
  });
  staking.delegate(ctx, account, msg.operator, msg.value.amount);
  emitCreateValidator(ctx.events, msg.operator, msg.value.amount, msg.value.denom);
}

// ---------------------------------------------------------------- MsgDelegate, MsgUndelegate

export interface DelegationMsg {
  readonly delegator: string;
  readonly operator: string;
  readonly amount: { readonly denom: string; readonly amount: bigint };
}

function decodeDelegationMsg(m: { delegatorAddress: string; validatorAddress: string; amount?: WireCoin }): DelegationMsg {
  return { delegator: m.delegatorAddress, operator: m.validatorAddress, amount: parseCoin(m.amount, "amount") };
}

function validateDelegationMsg(msg: DelegationMsg): void {
  parseAddress(msg.delegator, Bech32Prefix.account, "delegator address");
  parseAddress(msg.operator, Bech32Prefix.operator, "validator address");
  checkPositive(msg.amount.amount, "amount");
}

export function msgDelegateHandler(staking: StakingKeeper): MsgHandler<DelegationMsg> {
  return {
    typeUrl: "/cosmos.staking.v1beta1.MsgDelegate",
    decode: (value) => decodeDelegationMsg(MsgDelegate.decode(value)),
    signers: (msg) => [msg.delegator],
    validateBasic: validateDelegationMsg,
    execute(ctx: Context, msg): MsgResponse {
      checkBondDenom(msg.amount.denom, staking.getParams(ctx.store));
      const shares = staking.delegate(ctx, msg.delegator, msg.operator, msg.amount.amount);
      emitDelegate(ctx.events, msg.operator, msg.delegator, msg.amount.amount, msg.amount.denom, shares);
      return response("/cosmos.staking.v1beta1.MsgDelegateResponse", MsgDelegateResponse.encode({}).finish());
    },
  };
}

export function msgUndelegateHandler(staking: StakingKeeper): MsgHandler<DelegationMsg> {
  return {
    typeUrl: "/cosmos.staking.v1beta1.MsgUndelegate",
    decode: (value) => decodeDelegationMsg(MsgUndelegate.decode(value)),
    signers: (msg) => [msg.delegator],
    validateBasic: validateDelegationMsg,
    execute(ctx: Context, msg): MsgResponse {
      checkBondDenom(msg.amount.denom, staking.getParams(ctx.store));
      const out = staking.undelegate(ctx, msg.delegator, msg.operator, msg.amount.amount);
      // completion_time stays unset: windows are counted in blocks (the unbond event carries completion_height).
      const value = MsgUndelegateResponse.encode(MsgUndelegateResponse.fromPartial({ amount: { denom: msg.amount.denom, amount: out.amount.toString() } })).finish();
      return response("/cosmos.staking.v1beta1.MsgUndelegateResponse", value);
    },
  };
}

// ---------------------------------------------------------------- params

export interface UpdateCosmosParams {
  readonly authority: string;
  readonly params: CosmosParams | undefined;
}

export interface UpdateParams {
  readonly authority: string;
  readonly params: Params | undefined;
}

/**
 * Evidence of a double sign must land while the stake it names is still slashable: stake
 * undelegated at the infraction leaves after `unbonding_blocks`, so both evidence ages —
 * x/slashing's `max_evidence_age_blocks` (past it the app ignores evidence) and CometBFT's
 * `evidence.max_age_num_blocks` from InitChain (past it CometBFT drops evidence) — must be
 * below it. Checked at genesis and on every change of staking's params; x/slashing checks
 * its own side when its params change.
 */
export function checkUnbondingOutlivesEvidence(staking: StakingKeeper, evidence: StakingDeps["evidence"], s: KVReader, unbondingBlocks: bigint): void {
  const appAge = evidence.maxEvidenceAgeBlocks(s);
  if (unbondingBlocks <= appAge) {
    throw ErrUnbondingShorterThanEvidenceAge.wrap(`unbonding_blocks ${unbondingBlocks} ≤ x/slashing max_evidence_age_blocks ${appAge}`);
  }
  const cometAge = staking.getConsensusEvidenceMaxAge(s);
  if (cometAge !== undefined && unbondingBlocks <= cometAge) {
    throw ErrUnbondingShorterThanEvidenceAge.wrap(`unbonding_blocks ${unbondingBlocks} ≤ CometBFT evidence.max_age_num_blocks ${cometAge}`);
  }
}

function updateParams(staking: StakingKeeper, deps: StakingDeps, ctx: Context, authority: string, next: (current: StakingParams) => StakingParams): void {
  const current = staking.getParams(ctx.store);
  if (authority !== current.paramsAuthority) throw ErrUnauthorizedParams.wrap(`signer ${authority}, authority ${current.paramsAuthority}`);
  const p = next(current);
  validateParamsChange(current, p);
  checkUnbondingOutlivesEvidence(staking, deps.evidence, ctx.store, p.unbondingBlocks);
  staking.setParams(ctx.store, p);
  emitUpdateParams(ctx.events, authority);
}

/** Cosmos `MsgUpdateParams`: sets the Cosmos subset of the params (unbonding_time.seconds = unbonding_blocks). */
export function msgUpdateCosmosParamsHandler(staking: StakingKeeper, deps: StakingDeps): MsgHandler<UpdateCosmosParams> {
  return {
    typeUrl: "/cosmos.staking.v1beta1.MsgUpdateParams",
    decode(value: Uint8Array): UpdateCosmosParams {
      const m = CosmosMsgUpdateParams.decode(value);
      return { authority: m.authority, params: m.params };
    },
    signers: (msg) => [msg.authority],
    validateBasic(msg): void {
      parseAddress(msg.authority, Bech32Prefix.account, "authority");
    },
    execute(ctx: Context, msg): MsgResponse {
      updateParams(staking, deps, ctx, msg.authority, (current) => fromCosmos(current, msg.params));
      return response("/cosmos.staking.v1beta1.MsgUpdateParamsResponse", CosmosMsgUpdateParamsResponse.encode({}).finish());
    },
  };
}

/** inferchain's `MsgUpdateParams`: every staking param, including min_self_delegation and the authority. */
export function msgUpdateParamsHandler(staking: StakingKeeper, deps: StakingDeps): MsgHandler<UpdateParams> {
  return {
    typeUrl: "/inferchain.staking.v1.MsgUpdateParams",
    decode(value: Uint8Array): UpdateParams {
      const m = MsgUpdateParams.decode(value);
      return { authority: m.authority, params: m.params };
    },
    signers: (msg) => [msg.authority],
    validateBasic(msg): void {
      parseAddress(msg.authority, Bech32Prefix.account, "authority");
      fromWire(msg.params);
    },
    execute(ctx: Context, msg): MsgResponse {
      updateParams(staking, deps, ctx, msg.authority, () => fromWire(msg.params));
      return response("/inferchain.staking.v1.MsgUpdateParamsResponse", MsgUpdateParamsResponse.encode({}).finish());
    },
  };
}

// ---------------------------------------------------------------- MsgRegisterWorker

export interface RegisterWorker {
  readonly operator: string;
  readonly worker: string;
  readonly modelIds: readonly string[];
}

/** Stateless: at most 64 ids, each valid by x/models' rule, none twice. */
export function validateModelIds(models: Pick<ModelsKeeper, "isValidModelId">, ids: readonly string[]): void {
  if (ids.length > MAX_MODELS_PER_WORKER) throw ErrBadModelId.wrap(`at most ${MAX_MODELS_PER_WORKER} models per worker`);
  const seen = new Set<string>();
  for (const id of ids) {
    if (!models.isValidModelId(id)) throw ErrBadModelId.wrap(`${JSON.stringify(id)} is not a model id (x/models' rule)`);
    if (seen.has(id)) throw ErrBadModelId.wrap(`${id} listed twice`);
    seen.add(id);
  }
}

/** Stateful: every id is registered in x/models. */
export function checkModelsRegistered(models: ModelsKeeper, s: KVReader, ids: readonly string[]): void {
  for (const id of ids) if (!models.hasModel(s, id)) throw ErrUnknownModel.wrap(id);
}

/**
 * The worker key co-signs (signers: the operator's account, then the worker; the first pays
 * the fee), so nobody can name an address they do not hold: no squatting a future worker, no
 * making someone else's account a worker so it can never operate a validator. A worker is
 * never the operator's own account, never a validator's operator account, never two
 * validators' worker; every model it serves is registered.
 */
export function msgRegisterWorkerHandler(staking: StakingKeeper, models: ModelsKeeper): MsgHandler<RegisterWorker> {
  return {
    typeUrl: "/inferchain.staking.v1.MsgRegisterWorker",
    decode(value: Uint8Array): RegisterWorker {
      const m = MsgRegisterWorker.decode(value);
      return { operator: m.operator, worker: m.worker, modelIds: m.modelIds };
    },
    signers: (msg) => [operatorAccount(msg.operator), msg.worker],
    validateBasic(msg): void {
      parseAddress(msg.operator, Bech32Prefix.operator, "operator");
      parseAddress(msg.worker, Bech32Prefix.account, "worker");
      if (msg.worker === operatorAccount(msg.operator)) throw ErrWorkerIsOperator.wrap("the worker must be a separate hot key, not the operator's account");
      validateModelIds(models, msg.modelIds);
    },
    execute(ctx: Context, msg): MsgResponse {
      registerWorker(staking, models, ctx, msg);
      return response("/inferchain.staking.v1.MsgRegisterWorkerResponse", MsgRegisterWorkerResponse.encode({}).finish());
    },
  };
}

/** The stateful half of MsgRegisterWorker, shared with genesis (whose `workers` are trusted to have been agreed: see README). */
export function registerWorker(staking: StakingKeeper, models: ModelsKeeper, ctx: Context, msg: RegisterWorker): void {
  const s = ctx.store;
  if (!staking.getValidator(s, msg.operator)) throw ErrNoValidator.wrap(msg.operator);
  // A worker key that operates a validator itself could move that validator's stake.
  if (staking.getValidator(s, accountOperator(msg.worker))) throw ErrWorkerIsOperator.wrap(`${msg.worker} operates a validator`);
  const holder = staking.operatorOfWorker(s, msg.worker);
  if (holder !== undefined && holder !== msg.operator) throw ErrWorkerInUse.wrap(`${msg.worker} is the worker of ${holder}`);
  checkModelsRegistered(models, s, msg.modelIds);
  staking.setWorker(s, { operator: msg.operator, worker: msg.worker, modelIds: msg.modelIds });
  emitRegisterWorker(ctx.events, msg.operator, msg.worker, msg.modelIds);
}

export function stakingMsgHandlers(staking: StakingKeeper, deps: StakingDeps): AnyMsgHandler[] {
  return [
    msgCreateValidatorHandler(staking),
    msgDelegateHandler(staking),
    msgUndelegateHandler(staking),
    msgUpdateCosmosParamsHandler(staking, deps),
    msgUpdateParamsHandler(staking, deps),
    msgRegisterWorkerHandler(staking, deps.models),
  ];
}
