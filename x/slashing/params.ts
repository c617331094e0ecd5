/**
 * Slashing params: defaults, validation, and the mapping to the Cosmos `Params` wire type
 * (`/cosmos.slashing.v1beta1.Query/Params`, `cosmos.slashing.v1beta1.MsgUpdateParams`).
 * Fractions are ppm here and Cosmos `Dec` atomics (18 implied decimals) on the Cosmos wire;
 * the Cosmos `downtime_jail_duration` carries `downtime_jail_blocks` as its seconds.
 */
import { Params as CosmosParams } from "cosmjs-types/cosmos/slashing/v1beta1/slashing";
import { Params } from "../../gen/inferchain/slashing/v1/slashing";
import { moduleAddress, parseAddress } from "../../base/types/address";
import { ATOMICS_PER_PPM, PPM, ppmToAtomics } from "../../base/types/math";
import { ErrInvalidParams } from "./errors";

export { Params, CosmosParams };

/** Kinds the slash path itself uses; callers add their own (`invalid_result`, `bad_verification`, …). */
export const KIND_DOUBLE_SIGN = "double_sign";
export const KIND_DOWNTIME = "downtime";
/** Reserved for correlation top-ups: no caller may slash with it. */
export const KIND_CORRELATION = "correlation";
const KIND = /^[a-z][a-z0-9_]{0,31}$/;

export function isValidKind(kind: string): boolean {
  return KIND.test(kind);
}

/** Params as keepers use them: the generated message, read-only. */
export type SlashingParams = Readonly<Params>;

/** No gov module yet: by default nobody holds the authority's key, so params change only by genesis. */
export const DEFAULT_PARAMS_AUTHORITY = moduleAddress("gov");

/**
 * Localnet-friendly defaults (1-second blocks): liveness over 20 blocks, at least half signed,
 * else 0.01% and 20 blocks in jail; double sign 100% and tombstone (SPEC's slash table);
 * reporters get 10% of what they caused to be slashed; evidence up to 50 blocks old and
 * correlation over ±50 blocks (both kept below staking's 100 unbonding blocks, so undelegating
 * after a fault cannot outlast the evidence or the top-up) with Ethereum's multiplier 3;
 * liveness faults are not correlated.
 */
export function defaultParams(): SlashingParams {
  return {
    signedBlocksWindow: 20n,
    minSignedPerWindowPpm: 500_000n,
    downtimeJailBlocks: 20n,
    slashFractionDowntimePpm: 100n,
    slashFractionDoubleSignPpm: 1_000_000n,
    maxEvidenceAgeBlocks: 50n,
    reporterRewardPpm: 100_000n,
    burnSlashed: false,
    correlationWindowBlocks: 50n,
    correlationMultiplier: 3n,
    // Faults an honest but slow or unlucky validator can commit are not multiplied by the
    // correlation penalty: downtime, an SLA timeout, a verifier's 1% for a missed reveal or
    // a minority vote, and an expired data request (x/challenge: a liveness fault, which many
    // validators commit at once when a network or storage outage hits them all); on a small
    // set one late verifier would otherwise lose correlation_multiplier × its share of the stake.
    correlationExemptKinds: [KIND_DOWNTIME, "no_response", "bad_verification", "data_unavailable"],
    paramsAuthority: DEFAULT_PARAMS_AUTHORITY,
  };
}

/**
 * Upper bounds, so `height + param` never leaves the uint64 height fields (heights stay far
 * below 2^63 plus 10^9) and no block's work grows with a param: the liveness window and the
 * correlation window bound the keys a block reads per validator and per slash.
 */
export const MAX_WINDOW = 1_000_000n;
/** Also the most any caller of the slash path may jail for (`jailBlocks`). */
export const MAX_JAIL_BLOCKS = 1_000_000_000n;
export const MAX_EVIDENCE_AGE_BLOCKS = 1_000_000_000n;
const MAX_MULTIPLIER = 1_000n;

function ppm(name: string, v: bigint): void {
  if (v < 0n || v > PPM) throw ErrInvalidParams.wrap(`${name} must be in 0..1000000 ppm, got ${v}`);
}

function blocks(name: string, v: bigint, max: bigint): void {
  if (v < 1n || v > max) throw ErrInvalidParams.wrap(`${name} must be in 1..${max} blocks, got ${v}`);
}

export function validateParams(p: SlashingParams): void {
  blocks("signed_blocks_window", p.signedBlocksWindow, MAX_WINDOW);
  ppm("min_signed_per_window_ppm", p.minSignedPerWindowPpm);
  blocks("downtime_jail_blocks", p.downtimeJailBlocks, MAX_JAIL_BLOCKS);
  ppm("slash_fraction_downtime_ppm", p.slashFractionDowntimePpm);
  ppm("slash_fraction_double_sign_ppm", p.slashFractionDoubleSignPpm);
  blocks("max_evidence_age_blocks", p.maxEvidenceAgeBlocks, MAX_EVIDENCE_AGE_BLOCKS);
  ppm("reporter_reward_ppm", p.reporterRewardPpm);
  blocks("correlation_window_blocks", p.correlationWindowBlocks, MAX_WINDOW);
  if (p.correlationMultiplier < 0n || p.correlationMultiplier > MAX_MULTIPLIER) {
    throw ErrInvalidParams.wrap(`correlation_multiplier must be in 0..${MAX_MULTIPLIER}, got ${p.correlationMultiplier}`);
  }
  const seen = new Set<string>();
  for (const k of p.correlationExemptKinds) {
    if (!isValidKind(k)) throw ErrInvalidParams.wrap(`correlation_exempt_kinds: invalid kind ${JSON.stringify(k)}`);
    if (seen.has(k)) throw ErrInvalidParams.wrap(`correlation_exempt_kinds: ${k} listed twice`);
    seen.add(k);
  }
  try {
    parseAddress(p.paramsAuthority, undefined, "params_authority");
  } catch (e) {
    throw ErrInvalidParams.wrap((e as Error).message);
  }
}

/** Wire params from a message → checked params. */
export function fromWire(p: Params | undefined): SlashingParams {
  if (!p) throw ErrInvalidParams.wrap("params missing");
  validateParams(p);
  return p;
}

/** Blocks a validator must sign per window: window × min_signed rounded half to even (Cosmos's RoundInt64). */
export function minSignedPerWindow(p: SlashingParams): bigint {
  const n = p.signedBlocksWindow * p.minSignedPerWindowPpm;
  const q = n / PPM;
  const r2 = (n % PPM) * 2n;
  return r2 > PPM || (r2 === PPM && q % 2n === 1n) ? q + 1n : q;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function ppmToDec(v: bigint): Uint8Array {
  return enc.encode(ppmToAtomics(v).toString());
}

/** A Cosmos Dec (atomics as ASCII bytes) → ppm, exactly or not at all. */
function decToPpm(name: string, b: Uint8Array): bigint {
  const s = b.length === 0 ? "0" : dec.decode(b);
  if (!/^[0-9]{1,40}$/.test(s)) throw ErrInvalidParams.wrap(`${name}: ${JSON.stringify(s)} is not a Dec (18-decimal atomics)`);
  const a = BigInt(s);
  if (a % ATOMICS_PER_PPM !== 0n) throw ErrInvalidParams.wrap(`${name}: ${s} has more precision than ppm`);
  return a / ATOMICS_PER_PPM;
}

export function toCosmos(p: SlashingParams): CosmosParams {
  return {
    signedBlocksWindow: p.signedBlocksWindow,
    minSignedPerWindow: ppmToDec(p.minSignedPerWindowPpm),
    downtimeJailDuration: { seconds: p.downtimeJailBlocks, nanos: 0 },
    slashFractionDoubleSign: ppmToDec(p.slashFractionDoubleSignPpm),
    slashFractionDowntime: ppmToDec(p.slashFractionDowntimePpm),
  };
}

/** The Cosmos subset of params, checked for form (exact ppm, whole blocks); range checks come on merge. */
export interface CosmosSubset {
  readonly signedBlocksWindow: bigint;
  readonly minSignedPerWindowPpm: bigint;
  readonly downtimeJailBlocks: bigint;
  readonly slashFractionDoubleSignPpm: bigint;
  readonly slashFractionDowntimePpm: bigint;
}

export function fromCosmos(p: CosmosParams | undefined): CosmosSubset {
  if (!p) throw ErrInvalidParams.wrap("params missing");
  const d = p.downtimeJailDuration;
  if (!d || d.nanos !== 0) throw ErrInvalidParams.wrap("downtime_jail_duration must be whole seconds (it counts blocks)");
  return {
    signedBlocksWindow: p.signedBlocksWindow,
    minSignedPerWindowPpm: decToPpm("min_signed_per_window", p.minSignedPerWindow),
    downtimeJailBlocks: d.seconds,
    slashFractionDoubleSignPpm: decToPpm("slash_fraction_double_sign", p.slashFractionDoubleSign),
    slashFractionDowntimePpm: decToPpm("slash_fraction_downtime", p.slashFractionDowntime),
  };
}

/** Sets the Cosmos subset over the current params; the inferchain-only ones stay as they are. */
export function mergeCosmos(current: SlashingParams, c: CosmosSubset): SlashingParams {
  const next: SlashingParams = { ...current, ...c };
  validateParams(next);
  return next;
}
