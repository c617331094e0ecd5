/**
 * gRPC/ABCI query handlers of x/staking: the Cosmos ones CosmJS's staking extension calls
 * (`cosmos.staking.v1beta1.Query`) and inferchain's own (`inferchain.staking.v1.Query`).
 * Every list is one page of a store index (base/pagination.ts: Cosmos semantics, at most 1000
 * rows, `next_key` = the next row's key suffix, `total` with count_total); only the rows on
 * the page are read.
 */
import { PubKey as Ed25519PubKey } from "cosmjs-types/cosmos/crypto/ed25519/keys";
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
import type { QueryHandler } from "../../base/module";
import { paginate, paginateRows, type PageRequestLike, type PageResponseLike } from "../../base/pagination";
import { addressArgument, decodeRequest, encodeResponse, invalidArgument, notFound } from "../../base/query";
import type { KVReader } from "../../base/store/kv";
import { Bech32Prefix } from "../../base/types/address";
import { ppmToAtomics } from "../../base/types/math";
import type { ModelsKeeper } from "./expectedKeepers";
import { BondStatus, entryToWire, type Delegation, type StakingKeeper, type UnbondingEntry, type Validator } from "./keeper";
import { ED25519_PUBKEY_TYPE_URL } from "./msgServer";
import { toCosmos, toStored } from "./params";
import {
  VALIDATORS_PREFIX,
  delegatorDelegationsPrefix,
  delegatorUnbondingPrefix,
  modelWorkersPrefix,
  validatorDelegationsPrefix,
  validatorUnbondingPrefix,
} from "./keys";

const SERVICE = "/cosmos.staking.v1beta1.Query/";
const OWN_SERVICE = "/inferchain.staking.v1.Query/";

const STATUS_FILTER: Readonly<Record<string, BondStatus>> = {
  BOND_STATUS_BONDED: BondStatus.BOND_STATUS_BONDED,
  BOND_STATUS_UNBONDING: BondStatus.BOND_STATUS_UNBONDING,
  BOND_STATUS_UNBONDED: BondStatus.BOND_STATUS_UNBONDED,
};

const delegatorArg = (a: string): string => addressArgument(a, Bech32Prefix.account, "delegator address");
const validatorArg = (a: string): string => addressArgument(a, Bech32Prefix.operator, "validator address");

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

/** getValidator, reading each validator once per query (a page of one validator's delegations). */
function validatorReader(staking: StakingKeeper, s: KVReader): (operator: string) => Validator | undefined {
  const seen = new Map<string, Validator | undefined>();
  return (operator) => {
    if (!seen.has(operator)) seen.set(operator, staking.getValidator(s, operator));
    return seen.get(operator);
  };
}

function delegationResponse(staking: StakingKeeper, validator: (operator: string) => Validator | undefined, d: Delegation, denom: string): DelegationResponse {
  const v = validator(d.operator);
  const amount = v ? staking.delegationValue(v, d) : 0n;
  return {
    delegation: { delegatorAddress: d.delegator, validatorAddress: d.operator, shares: d.shares.toString() },
    balance: { denom, amount: amount.toString() },
  };
}

/**
 * One page of a delegation index (`prefix`, then the other side's address) as Cosmos
 * DelegationResponses; `pair` turns a key suffix into (delegator, operator).
 */
function delegationsPage(
  staking: StakingKeeper,
  s: KVReader,
  prefix: string,
  pagination: PageRequestLike | undefined,
  pair: (suffix: string) => [string, string],
): { delegationResponses: DelegationResponse[]; pagination: PageResponseLike } {
  const denom = staking.getParams(s).bondDenom;
  const validatorOf = validatorReader(staking, s);
  const page = paginate(s, prefix, pagination, (key, suffix) => {
    const d = staking.getDelegation(s, ...pair(suffix));
    if (!d) throw new Error(`staking: delegation index key ${key} names no delegation`);
    return d;
  });
  return { delegationResponses: page.items.map((d) => delegationResponse(staking, validatorOf, d, denom)), pagination: page.pagination };
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

/** Groups a page's entries by a key, in first-seen order. */
function groupBy(entries: readonly UnbondingEntry[], key: (e: UnbondingEntry) => string): UnbondingEntry[][] {
  const groups = new Map<string, UnbondingEntry[]>();
  for (const e of entries) {
    const k = key(e);
    const g = groups.get(k);
    if (g) g.push(e);
    else groups.set(k, [e]);
  }
  return [...groups.values()];
}

/** The unbonding entry an index key (`…/<id>`) names. */
function entryAt(staking: StakingKeeper, s: KVReader, key: string): UnbondingEntry {
  const e = staking.getUnbondingEntry(s, BigInt(key.slice(key.lastIndexOf("/") + 1)));
  if (!e) throw new Error(`staking: unbonding index ${key} names a missing entry`);
  return e;
}

export function stakingQueries(staking: StakingKeeper, models: Pick<ModelsKeeper, "isValidModelId">): QueryHandler[] {
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
        // The status is in no key: as in Cosmos (FilteredPaginate) the filter reads each
        // validator it walks, within the scan bound and the query's gas; those it accepts are
        // kept for the page.
        const accepted = new Map<string, Validator>();
        const load = (operator: string): Validator => {
          const v = accepted.get(operator) ?? staking.getValidator(ctx.store, operator);
          if (!v) throw new Error(`staking: validator key ${operator} without a validator`);
          return v;
        };
        const accept =
          want === undefined
            ? undefined
            : (key: string): boolean => {
                const v = load(key.slice(VALIDATORS_PREFIX.length));
                if (v.status === want) accepted.set(v.operator, v);
                return v.status === want;
              };
        const page = paginate(ctx.store, VALIDATORS_PREFIX, req.pagination, (_k, operator) => load(operator), { accept });
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
        const page = delegationsPage(staking, ctx.store, validatorDelegationsPrefix(operator), req.pagination, (delegator) => [delegator, operator]);
        return encodeResponse(QueryValidatorDelegationsResponse, page);
      },
    },
    {
      path: SERVICE + "ValidatorUnbondingDelegations",
      handle(ctx, data) {
        const req = decodeRequest(QueryValidatorUnbondingDelegationsRequest, data);
        const operator = validatorArg(req.validatorAddr);
        // The index is by entry id, so a page is `limit` entries grouped by delegator; a
        // delegator whose entries straddle two pages appears in both.
        const page = paginate(ctx.store, validatorUnbondingPrefix(operator), req.pagination, (key) => entryAt(staking, ctx.store, key));
        return encodeResponse(QueryValidatorUnbondingDelegationsResponse, {
          unbondingResponses: groupBy(page.items, (e) => e.delegator).map((entries) => unbondingDelegation(entries[0].delegator, operator, entries)),
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
        const validatorOf = validatorReader(staking, ctx.store);
        return encodeResponse(QueryDelegationResponse, { delegationResponse: delegationResponse(staking, validatorOf, d, denom) });
      },
    },
    {
      path: SERVICE + "DelegatorDelegations",
      handle(ctx, data) {
        const req = decodeRequest(QueryDelegatorDelegationsRequest, data);
        const delegator = delegatorArg(req.delegatorAddr);
        const page = delegationsPage(staking, ctx.store, delegatorDelegationsPrefix(delegator), req.pagination, (operator) => [delegator, operator]);
        return encodeResponse(QueryDelegatorDelegationsResponse, page);
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
        // Keys are <operator>/<id>: one row per validator (its entries, at most max_entries).
        const page = paginateRows(
          ctx.store,
          delegatorUnbondingPrefix(delegator),
          req.pagination,
          (keys) => keys.map((k) => entryAt(staking, ctx.store, k)).sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)),
          { rowOf: (suffix) => suffix.slice(0, suffix.indexOf("/")) },
        );
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
            : staking.operatorOfWorker(ctx.store, addressArgument(req.workerAddress, Bech32Prefix.account, "worker address"));
        const w = operator === undefined ? undefined : staking.getWorker(ctx.store, operator);
        if (!w) throw notFound(`worker for ${req.operatorAddress || req.workerAddress} not found`);
        return encodeResponse(QueryWorkerResponse, { worker: { operatorAddress: w.operator, workerAddress: w.worker, modelIds: [...w.modelIds] } });
      },
    },
    {
      path: OWN_SERVICE + "WorkersForModel",
      handle(ctx, data) {
        const req = decodeRequest(QueryWorkersForModelRequest, data);
        if (!models.isValidModelId(req.modelId)) throw invalidArgument(`invalid model id ${JSON.stringify(req.modelId)}`);
        // Bonded, unjailed validators only (as workersForModel): the filter reads each one walked.
        const serving = (operator: string): Validator | undefined => {
          const v = staking.getValidator(ctx.store, operator);
          return v && !v.jailed && v.status === BondStatus.BOND_STATUS_BONDED && staking.getWorker(ctx.store, operator) ? v : undefined;
        };
        const prefix = modelWorkersPrefix(req.modelId);
        const page = paginate(
          ctx.store,
          prefix,
          req.pagination,
          (_k, operator) => ({ operatorAddress: operator, workerAddress: staking.getWorker(ctx.store, operator)!.worker, tokens: serving(operator)!.tokens.toString() }),
          { accept: (key) => serving(key.slice(prefix.length)) !== undefined },
        );
        return encodeResponse(QueryWorkersForModelResponse, { workers: page.items, pagination: page.pagination });
      },
    },
    {
      path: OWN_SERVICE + "UnbondingEntries",
      handle(ctx, data) {
        const req = decodeRequest(QueryUnbondingEntriesRequest, data);
        const page = paginate(ctx.store, delegatorUnbondingPrefix(delegatorArg(req.delegatorAddress)), req.pagination, (key) => entryAt(staking, ctx.store, key));
        return encodeResponse(QueryUnbondingEntriesResponse, { entries: page.items.map(entryToWire), pagination: page.pagination });
      },
    },
  ];
}
