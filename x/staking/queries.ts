/**
 * gRPC/ABCI query handlers of x/staking: the Cosmos ones CosmJS's staking extension calls
 * (`cosmos.staking.v1beta1.Query`) and inferchain's own (`inferchain.staking.v1.Query`).
 * Lists are paginated by key (`next_key` = the next row's store-key suffix) or by offset, and
 * always report `total`.
 */
import { PubKey as Ed25519PubKey } from "cosmjs-types/cosmos/crypto/ed25519/keys";
import type { PageRequest, PageResponse } from "cosmjs-types/cosmos/base/query/v1beta1/pagination";
import {
  QueryDelegationRequest,
  QueryDelegationResponse,
  QueryDelegatorDelegationsRequest,
  QueryDelegatorDelegationsResponse,
  QueryDelegatorUnbondingDelegationsRequest,
  QueryDelegatorUnbondingDelegationsResponse,
  QueryParamsRequest,
  QueryParamsResponse,
  QueryPoolRequest,
  QueryPoolResponse,
  QueryUnbondingDelegationRequest,
  QueryUnbondingDelegationResponse,
  QueryValidatorDelegationsRequest,
  QueryValidatorDelegationsResponse,
  QueryValidatorRequest,
  QueryValidatorResponse,
  QueryValidatorUnbondingDelegationsRequest,
  QueryValidatorUnbondingDelegationsResponse,
  QueryValidatorsRequest,
  QueryValidatorsResponse,
} from "cosmjs-types/cosmos/staking/v1beta1/query";
import type {
  DelegationResponse,
  UnbondingDelegation,
  Validator as CosmosValidator,
} from "cosmjs-types/cosmos/staking/v1beta1/staking";
import {
  QueryParamsRequest as OwnParamsRequest,
  QueryParamsResponse as OwnParamsResponse,
  QueryUnbondingEntriesRequest,
  QueryUnbondingEntriesResponse,
  QueryWorkerRequest,
  QueryWorkerResponse,
  QueryWorkersForModelRequest,
  QueryWorkersForModelResponse,
} from "../../gen/inferchain/staking/v1/query";
import type { QueryHandler } from "../../app/module";
import { decodeRequest, encodeResponse, invalidArgument, notFound } from "../../app/query";
import type { KVReader } from "../../app/store/kv";
import { Bech32Prefix, parseAddress } from "../../app/types/address";
import { BondStatus, isValidModelId, type Delegation, type StakingKeeper, type UnbondingEntry, type Validator } from "./keeper";
import { ED25519_PUBKEY_TYPE_URL } from "./msgServer";
import { ppmToAtomics, toCosmos, toStored } from "./params";

const SERVICE = "/cosmos.staking.v1beta1.Query/";
const OWN_SERVICE = "/inferchain.staking.v1.Query/";
const DEFAULT_LIMIT = 100n;
const MAX_LIMIT = 1000n;
const enc = new TextEncoder();
const dec = new TextDecoder();

const STATUS_FILTER: Readonly<Record<string, BondStatus>> = {
  BOND_STATUS_BONDED: BondStatus.BOND_STATUS_BONDED,
  BOND_STATUS_UNBONDING: BondStatus.BOND_STATUS_UNBONDING,
  BOND_STATUS_UNBONDED: BondStatus.BOND_STATUS_UNBONDED,
};

function checked(addr: string, prefix: string, field: string): string {
  try {
    parseAddress(addr, prefix, field);
  } catch (e) {
    throw invalidArgument((e as Error).message);
  }
  return addr;
}
const delegatorArg = (a: string): string => checked(a, Bech32Prefix.account, "delegator address");
const validatorArg = (a: string): string => checked(a, Bech32Prefix.operator, "validator address");

/** One page of rows already in key order: by `key` (first row ≥ key; ≤ when reversed) or by `offset`. */
export function paginate<T>(rows: ReadonlyArray<readonly [string, T]>, req: PageRequest | undefined): { items: T[]; pagination: PageResponse } {
  const ordered = req?.reverse ? [...rows].reverse() : rows;
  const limit = req && req.limit > 0n ? (req.limit > MAX_LIMIT ? MAX_LIMIT : req.limit) : DEFAULT_LIMIT;
  const hasKey = req !== undefined && req.key.length > 0;
  if (hasKey && req.offset > 0n) throw invalidArgument("pagination: set either key or offset, not both");
  let start = 0;
  if (hasKey) {
    const key = dec.decode(req.key);
    start = ordered.findIndex(([k]) => (req.reverse ? k <= key : k >= key));
    if (start < 0) start = ordered.length;
  } else if (req && req.offset > 0n) {
    start = req.offset > BigInt(ordered.length) ? ordered.length : Number(req.offset);
  }
  const end = start + Number(limit);
  const items = ordered.slice(start, end).map(([, v]) => v);
  const nextKey = end < ordered.length ? enc.encode(ordered[end][0]) : new Uint8Array();
  return { items, pagination: { nextKey, total: BigInt(ordered.length) } };
}

export function toCosmosValidator(v: Validator): CosmosValidator {
  return {
    operatorAddress: v.operator,
    consensusPubkey: { typeUrl: ED25519_PUBKEY_TYPE_URL, value: Ed25519PubKey.encode({ key: v.consPubkey }).finish() },
    jailed: v.jailed,
    status: v.status as number,
    tokens: v.tokens.toString(),
    delegatorShares: v.delegatorShares.toString(),
    description: { ...v.description },
    unbondingHeight: v.unbondingHeight,
    unbondingTime: { seconds: 0n, nanos: 0 },
    commission: {
      commissionRates: {
        rate: ppmToAtomics(BigInt(v.commission.ratePpm)).toString(),
        maxRate: ppmToAtomics(BigInt(v.commission.maxRatePpm)).toString(),
        maxChangeRate: ppmToAtomics(BigInt(v.commission.maxChangeRatePpm)).toString(),
      },
      updateTime: { seconds: 0n, nanos: 0 },
    },
    minSelfDelegation: v.minSelfDelegation.toString(),
    unbondingOnHoldRefCount: 0n,
    unbondingIds: [],
  };
}

function delegationResponse(staking: StakingKeeper, s: KVReader, d: Delegation, denom: string): DelegationResponse {
  const v = staking.getValidator(s, d.operator);
  const amount = v ? staking.delegationValue(v, d) : 0n;
  return {
    delegation: { delegatorAddress: d.delegator, validatorAddress: d.operator, shares: d.shares.toString() },
    balance: { denom, amount: amount.toString() },
  };
}

/** Entries of one (delegator, validator) pair, in the Cosmos shape (completion_time unset: windows are in blocks). */
function unbondingDelegation(delegator: string, operator: string, entries: readonly UnbondingEntry[]): UnbondingDelegation {
  return {
    delegatorAddress: delegator,
    validatorAddress: operator,
    entries: entries.map((e) => ({
      creationHeight: e.creationHeight,
      completionTime: { seconds: 0n, nanos: 0 },
      initialBalance: e.initialBalance.toString(),
      balance: e.balance.toString(),
      unbondingId: e.id,
      unbondingOnHoldRefCount: 0n,
    })),
  };
}

/** Groups entries by a key (kept in first-seen order of the sorted keys). */
function groupBy(entries: readonly UnbondingEntry[], key: (e: UnbondingEntry) => string): Array<[string, UnbondingEntry[]]> {
  const groups = new Map<string, UnbondingEntry[]>();
  for (const e of entries) {
    const k = key(e);
    const g = groups.get(k);
    if (g) g.push(e);
    else groups.set(k, [e]);
  }
  return [...groups.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

export function stakingQueries(staking: StakingKeeper): QueryHandler[] {
  return [
    {
      path: SERVICE + "Validators",
      handle(ctx, data) {
        const req = decodeRequest(QueryValidatorsRequest, data);
        let want: BondStatus | undefined;
        if (req.status !== "") {
          want = STATUS_FILTER[req.status];
          if (want === undefined) throw invalidArgument(`invalid validator status ${req.status}`);
        }
        const rows: Array<[string, Validator]> = [];
        for (const v of staking.validators(ctx.store)) if (want === undefined || v.status === want) rows.push([v.operator, v]);
        const page = paginate(rows, req.pagination);
        return encodeResponse(QueryValidatorsResponse, { validators: page.items.map(toCosmosValidator), pagination: page.pagination });
      },
    },
    {
      path: SERVICE + "Validator",
      handle(ctx, data) {
        const req = decodeRequest(QueryValidatorRequest, data);
        const v = staking.getValidator(ctx.store, validatorArg(req.validatorAddr));
        if (!v) throw notFound(`validator ${req.validatorAddr} not found`);
        return encodeResponse(QueryValidatorResponse, { validator: toCosmosValidator(v) });
      },
    },
    {
      path: SERVICE + "ValidatorDelegations",
      handle(ctx, data) {
        const req = decodeRequest(QueryValidatorDelegationsRequest, data);
        const operator = validatorArg(req.validatorAddr);
        const denom = staking.getParams(ctx.store).bondDenom;
        const rows = [...staking.validatorDelegations(ctx.store, operator)].map((d) => [d.delegator, d] as const);
        const page = paginate(rows, req.pagination);
        return encodeResponse(QueryValidatorDelegationsResponse, {
          delegationResponses: page.items.map((d) => delegationResponse(staking, ctx.store, d, denom)),
          pagination: page.pagination,
        });
      },
    },
    {
      path: SERVICE + "ValidatorUnbondingDelegations",
      handle(ctx, data) {
        const req = decodeRequest(QueryValidatorUnbondingDelegationsRequest, data);
        const operator = validatorArg(req.validatorAddr);
        const rows = groupBy(staking.validatorUnbondingEntries(ctx.store, operator), (e) => e.delegator);
        const page = paginate(rows, req.pagination);
        return encodeResponse(QueryValidatorUnbondingDelegationsResponse, {
          unbondingResponses: page.items.map((entries) => unbondingDelegation(entries[0].delegator, operator, entries)),
          pagination: page.pagination,
        });
      },
    },
    {
      path: SERVICE + "Delegation",
      handle(ctx, data) {
        const req = decodeRequest(QueryDelegationRequest, data);
        const d = staking.getDelegation(ctx.store, delegatorArg(req.delegatorAddr), validatorArg(req.validatorAddr));
        if (!d) throw notFound(`delegation with delegator ${req.delegatorAddr} not found for validator ${req.validatorAddr}`);
        const denom = staking.getParams(ctx.store).bondDenom;
        return encodeResponse(QueryDelegationResponse, { delegationResponse: delegationResponse(staking, ctx.store, d, denom) });
      },
    },
    {
      path: SERVICE + "DelegatorDelegations",
      handle(ctx, data) {
        const req = decodeRequest(QueryDelegatorDelegationsRequest, data);
        const delegator = delegatorArg(req.delegatorAddr);
        const denom = staking.getParams(ctx.store).bondDenom;
        const rows = [...staking.delegatorDelegations(ctx.store, delegator)].map((d) => [d.operator, d] as const);
        const page = paginate(rows, req.pagination);
        return encodeResponse(QueryDelegatorDelegationsResponse, {
          delegationResponses: page.items.map((d) => delegationResponse(staking, ctx.store, d, denom)),
          pagination: page.pagination,
        });
      },
    },
    {
      path: SERVICE + "UnbondingDelegation",
      handle(ctx, data) {
        const req = decodeRequest(QueryUnbondingDelegationRequest, data);
        const delegator = delegatorArg(req.delegatorAddr);
        const operator = validatorArg(req.validatorAddr);
        const entries = staking.delegationUnbondingEntries(ctx.store, delegator, operator);
        if (entries.length === 0) throw notFound(`unbonding delegation with delegator ${delegator} not found for validator ${operator}`);
        return encodeResponse(QueryUnbondingDelegationResponse, { unbond: unbondingDelegation(delegator, operator, entries) });
      },
    },
    {
      path: SERVICE + "DelegatorUnbondingDelegations",
      handle(ctx, data) {
        const req = decodeRequest(QueryDelegatorUnbondingDelegationsRequest, data);
        const delegator = delegatorArg(req.delegatorAddr);
        const rows = groupBy(staking.delegatorUnbondingEntries(ctx.store, delegator), (e) => e.operator);
        const page = paginate(rows, req.pagination);
        return encodeResponse(QueryDelegatorUnbondingDelegationsResponse, {
          unbondingResponses: page.items.map((entries) => unbondingDelegation(delegator, entries[0].operator, entries)),
          pagination: page.pagination,
        });
      },
    },
    {
      path: SERVICE + "Pool",
      handle(ctx, data) {
        decodeRequest(QueryPoolRequest, data);
        const p = staking.pool(ctx.store);
        return encodeResponse(QueryPoolResponse, { pool: { bondedTokens: p.bonded.toString(), notBondedTokens: p.notBonded.toString() } });
      },
    },
    {
      path: SERVICE + "Params",
      handle(ctx, data) {
        decodeRequest(QueryParamsRequest, data);
        return encodeResponse(QueryParamsResponse, { params: toCosmos(staking.getParams(ctx.store)) });
      },
    },
    {
      path: OWN_SERVICE + "Params",
      handle(ctx, data) {
        decodeRequest(OwnParamsRequest, data);
        return encodeResponse(OwnParamsResponse, { params: toStored(staking.getParams(ctx.store)) });
      },
    },
    {
      path: OWN_SERVICE + "Worker",
      handle(ctx, data) {
        const req = decodeRequest(QueryWorkerRequest, data);
        if ((req.operatorAddress === "") === (req.workerAddress === "")) throw invalidArgument("set exactly one of operator_address and worker_address");
        const operator =
          req.operatorAddress !== ""
            ? validatorArg(req.operatorAddress)
            : staking.operatorOfWorker(ctx.store, checked(req.workerAddress, Bech32Prefix.account, "worker address"));
        const w = operator === undefined ? undefined : staking.getWorker(ctx.store, operator);
        if (!w) throw notFound(`worker for ${req.operatorAddress || req.workerAddress} not found`);
        return encodeResponse(QueryWorkerResponse, { worker: { operatorAddress: w.operator, workerAddress: w.worker, modelIds: [...w.modelIds] } });
      },
    },
    {
      path: OWN_SERVICE + "WorkersForModel",
      handle(ctx, data) {
        const req = decodeRequest(QueryWorkersForModelRequest, data);
        if (!isValidModelId(req.modelId)) throw invalidArgument(`invalid model id ${JSON.stringify(req.modelId)}`);
        const workers = staking.workersForModel(ctx.store, req.modelId).map((w) => ({ operatorAddress: w.operator, workerAddress: w.worker, tokens: w.tokens.toString() }));
        return encodeResponse(QueryWorkersForModelResponse, { workers });
      },
    },
    {
      path: OWN_SERVICE + "UnbondingEntries",
      handle(ctx, data) {
        const req = decodeRequest(QueryUnbondingEntriesRequest, data);
        const entries = staking.delegatorUnbondingEntries(ctx.store, delegatorArg(req.delegatorAddress)).map((e) => ({
          id: e.id,
          delegatorAddress: e.delegator,
          validatorAddress: e.operator,
          creationHeight: e.creationHeight,
          completionHeight: e.completionHeight,
          initialBalance: e.initialBalance.toString(),
          balance: e.balance.toString(),
        }));
        return encodeResponse(QueryUnbondingEntriesResponse, { entries });
      },
    },
  ];
}
