/**
 * Staking params: defaults, validation, and the mapping to the Cosmos `Params` wire type
 * (CosmJS's staking extension reads `/cosmos.staking.v1beta1.Query/Params`). Windows are in
 * blocks: the Cosmos `unbonding_time` Duration carries `unbonding_blocks` as its seconds.
 */
import { Params as CosmosParams } from "cosmjs-types/cosmos/staking/v1beta1/staking";
import { Params } from "../../gen/inferchain/staking/v1/staking";
import { moduleAddress, parseAddress } from "../../base/types/address";
import { BASE_DENOM, validateDenom } from "../../base/types/coins";
import { PPM, atomicsToPpm, ppmToAtomics } from "../../base/types/math";
import { ErrInvalidParams } from "./errors";

export { Params };

/** The domain view of params: amounts as bigint. */
export interface StakingParams {
  readonly unbondingBlocks: bigint;
  readonly maxValidators: number;
  readonly maxEntries: number;
  readonly bondDenom: string;
  readonly minSelfDelegation: bigint;
  readonly paramsAuthority: string;
  readonly minCommissionRatePpm: number;
}

/** No gov module yet: by default nobody holds the authority's key, so params change only by genesis. */
export const DEFAULT_PARAMS_AUTHORITY = moduleAddress("gov");

export function defaultParams(): StakingParams {
  return {
    unbondingBlocks: 100n,
    maxValidators: 100,
    maxEntries: 7,
    bondDenom: BASE_DENOM,
    minSelfDelegation: 1_000_000n,
    paramsAuthority: DEFAULT_PARAMS_AUTHORITY,
    minCommissionRatePpm: 0,
  };
}

/**
 * Upper bounds, so no `height + param` can leave the uint64 height fields (heights stay far
 * below 2^63 for any chain's lifetime plus 10^9) and no per-block or per-message loop over a
 * param-sized count is unbounded: the EndBlock set computation walks at most
 * `max_validators` candidates, a delegation has at most `max_entries` unbonding entries.
 */
export const MAX_UNBONDING_BLOCKS = 1_000_000_000n;
export const MAX_VALIDATORS = 10_000;
export const MAX_ENTRIES = 1_000;
/** Cosmos `Int` is 256 bits; no amount param may exceed it. */
export const MAX_AMOUNT = (1n << 256n) - 1n;

export function validateParams(p: StakingParams): void {
  if (p.unbondingBlocks < 1n || p.unbondingBlocks > MAX_UNBONDING_BLOCKS) throw ErrInvalidParams.wrap(`unbonding_blocks must be in 1..${MAX_UNBONDING_BLOCKS}, got ${p.unbondingBlocks}`);
  if (!Number.isInteger(p.maxValidators) || p.maxValidators < 1 || p.maxValidators > MAX_VALIDATORS) {
    throw ErrInvalidParams.wrap(`max_validators must be in 1..${MAX_VALIDATORS}, got ${p.maxValidators}`);
  }
  if (!Number.isInteger(p.maxEntries) || p.maxEntries < 1 || p.maxEntries > MAX_ENTRIES) throw ErrInvalidParams.wrap(`max_entries must be in 1..${MAX_ENTRIES}, got ${p.maxEntries}`);
  try {
    validateDenom(p.bondDenom);
  } catch (e) {
    throw ErrInvalidParams.wrap(`bond_denom: ${(e as Error).message}`);
  }
  if (p.minSelfDelegation < 1n || p.minSelfDelegation > MAX_AMOUNT) throw ErrInvalidParams.wrap("min_self_delegation must be in 1..2^256-1");
  try {
    parseAddress(p.paramsAuthority, undefined, "params_authority");
  } catch (e) {
    throw ErrInvalidParams.wrap((e as Error).message);
  }
  // A number against the bigint PPM: JavaScript compares the two exactly.
  if (!Number.isInteger(p.minCommissionRatePpm) || p.minCommissionRatePpm < 0 || p.minCommissionRatePpm > PPM) {
    throw ErrInvalidParams.wrap("min_commission_rate_ppm must be in 0..1000000");
  }
}

/** A change of params on a running chain: valid, and the bond denom stays (the pools hold it). */
export function validateParamsChange(old: StakingParams, next: StakingParams): void {
  validateParams(next);
  if (next.bondDenom !== old.bondDenom) throw ErrInvalidParams.wrap(`bond_denom cannot change (${old.bondDenom} → ${next.bondDenom})`);
}

export function toStored(p: StakingParams): Params {
  return { ...p, minSelfDelegation: p.minSelfDelegation.toString() };
}

export function fromStored(p: Params): StakingParams {
  return { ...p, minSelfDelegation: BigInt(p.minSelfDelegation) };
}

/** Wire params from a message → domain params (decimal strings checked). */
export function fromWire(p: Params | undefined): StakingParams {
  if (!p) throw ErrInvalidParams.wrap("params missing");
  if (!/^[0-9]{1,40}$/.test(p.minSelfDelegation)) throw ErrInvalidParams.wrap("min_self_delegation must be a decimal integer");
  return fromStored(p);
}

export function toCosmos(p: StakingParams): CosmosParams {
  return {
    unbondingTime: { seconds: p.unbondingBlocks, nanos: 0 },
    maxValidators: p.maxValidators,
    maxEntries: p.maxEntries,
    historicalEntries: 0,
    bondDenom: p.bondDenom,
    minCommissionRate: ppmToAtomics(BigInt(p.minCommissionRatePpm)).toString(),
  };
}

/**
 * Cosmos `Params` from `cosmos.staking.v1beta1.MsgUpdateParams` over the current params: it
 * sets the Cosmos subset and leaves min_self_delegation and params_authority as they are.
 * `historical_entries` is ignored (no historical info is kept).
 */
export function fromCosmos(current: StakingParams, p: CosmosParams | undefined): StakingParams {
  if (!p) throw ErrInvalidParams.wrap("params missing");
  const d = p.unbondingTime;
  if (!d || d.nanos !== 0) throw ErrInvalidParams.wrap("unbonding_time must be whole seconds (it counts blocks)");
  const minCommission = atomicsToPpm(p.minCommissionRate === "" ? "0" : p.minCommissionRate);
  if (minCommission === undefined || minCommission > PPM) {
    throw ErrInvalidParams.wrap(`min_commission_rate ${JSON.stringify(p.minCommissionRate)} is not a Dec (18-decimal atomics) in 0..1 with ppm precision`);
  }
  return {
    ...current,
    unbondingBlocks: d.seconds,
    maxValidators: p.maxValidators,
    maxEntries: p.maxEntries,
    bondDenom: p.bondDenom,
    minCommissionRatePpm: Number(minCommission),
  };
}
