/**
 * x/staking genesis. A new chain lists its validators like gentxs; each self-delegation moves
 * at InitChain from the operator's genesis balance (x/bank runs first) into the staking pools:
 *
 *   {"params": {"unbonding_blocks": "100", "max_validators": 100, "max_entries": 7,
 *               "bond_denom": "uinf", "min_self_delegation": "1000000",
 *               "params_authority": "infer1…", "min_commission_rate_ppm": 0},
 *    "validators": [{"operator_address": "infervaloper1…", "consensus_pubkey": "<base64 ed25519>",
 *                    "self_delegation": "10000000", "moniker": "node0", "commission_rate_ppm": 100000}]}
 *
 * Optional per validator: `commission_max_rate_ppm` (default 1000000),
 * `commission_max_change_rate_ppm` (default 10000), `min_self_delegation` (default the param).
 * An exported genesis carries the whole staking state under `state` instead (its coins are
 * already in the pools in x/bank's export), and its `validators` list is empty.
 * initGenesis returns the initial validator set for ResponseInitChain.
 */
import type { ValidatorUpdate } from "cosmjs-types/tendermint/abci/types";
import type { ConsensusParams } from "cosmjs-types/tendermint/types/params";
import type { Context, QueryContext } from "../../base/context";
import { AppError } from "../../base/errors";
import { genesisJsonReaders } from "../../base/genesisJson";
import { Bech32Prefix } from "../../base/types/address";
import { PPM } from "../../base/types/math";
import { ErrInvalidGenesis } from "./errors";
import { BondStatus, type StakingKeeper, type Validator } from "./keeper";
import type { StakingDeps } from "./expectedKeepers";
import {
  checkConsensusKey,
  checkModelsRegistered,
  checkUnbondingOutlivesEvidence,
  createValidator,
  msgRegisterWorkerHandler,
  validateCommission,
  validateDescription,
  validateModelIds,
} from "./msgServer";
import { defaultParams, validateParams, type StakingParams } from "./params";

type Int = string | number;

const MAX_HEIGHT = (1n << 63n) - 1n;

export interface GenesisParams {
  readonly unbonding_blocks: string;
  readonly max_validators: number;
  readonly max_entries: number;
  readonly bond_denom: string;
  readonly min_self_delegation: string;
  readonly params_authority: string;
  readonly min_commission_rate_ppm: number;
}

export interface GenesisValidator {
  readonly operator_address: string;
  /** base64 of the 32-byte ed25519 public key (CometBFT's priv_validator_key.json `pub_key.value`). */
  readonly consensus_pubkey: string;
  readonly self_delegation: string;
  readonly moniker: string;
  readonly commission_rate_ppm: Int;
  readonly commission_max_rate_ppm?: Int;
  readonly commission_max_change_rate_ppm?: Int;
  readonly min_self_delegation?: string;
}

export interface ExportedValidator {
  readonly operator_address: string;
  readonly consensus_pubkey: string;
  readonly jailed: boolean;
  readonly status: string;
  readonly tokens: string;
  readonly delegator_shares: string;
  readonly description: { moniker: string; identity: string; website: string; security_contact: string; details: string };
  readonly commission: { rate_ppm: number; max_rate_ppm: number; max_change_rate_ppm: number };
  readonly min_self_delegation: string;
  readonly unbonding_height: string;
  readonly unbonding_completion_height: string;
}

export interface ExportedState {
  readonly validators: readonly ExportedValidator[];
  readonly delegations: ReadonlyArray<{ delegator_address: string; validator_address: string; shares: string }>;
  readonly unbonding_entries: ReadonlyArray<{
    id: string;
    delegator_address: string;
    validator_address: string;
    creation_height: string;
    completion_height: string;
    initial_balance: string;
    balance: string;
  }>;
  readonly last_validator_powers: ReadonlyArray<{ validator_address: string; power: string }>;
  readonly workers: ReadonlyArray<{ operator_address: string; worker_address: string; model_ids: string[] }>;
  readonly next_unbonding_id: string;
}

export interface GenesisWorker {
  readonly operator_address: string;
  readonly worker_address: string;
  readonly model_ids: readonly string[];
}

export interface StakingGenesis {
  readonly params: GenesisParams;
  readonly validators: readonly GenesisValidator[];
  /** Worker keys of genesis validators, registered as MsgRegisterWorker would (after `validators`). */
  readonly workers?: readonly GenesisWorker[];
  readonly state?: ExportedState;
}

export function paramsToGenesis(p: StakingParams): GenesisParams {
  return {
    unbonding_blocks: p.unbondingBlocks.toString(),
    max_validators: p.maxValidators,
    max_entries: p.maxEntries,
    bond_denom: p.bondDenom,
    min_self_delegation: p.minSelfDelegation.toString(),
    params_authority: p.paramsAuthority,
    min_commission_rate_ppm: p.minCommissionRatePpm,
  };
}

export function defaultGenesis(): StakingGenesis {
  return { params: paramsToGenesis(defaultParams()), validators: [] };
}

// ---------------------------------------------------------------- parsing

const { str, address } = genesisJsonReaders(ErrInvalidGenesis);

function uint(x: unknown, what: string): bigint {
  if (typeof x === "number" && Number.isSafeInteger(x) && x >= 0) return BigInt(x);
  if (typeof x === "string" && /^[0-9]{1,40}$/.test(x)) return BigInt(x);
  throw ErrInvalidGenesis.wrap(`${what} must be a non-negative integer (number or decimal string)`);
}

/** A height or id in an exported state: stored as uint64 and later added to (windows, `+ 1`), so it stays below 2^63. */
function height(x: unknown, what: string): bigint {
  const n = uint(x, what);
  if (n > MAX_HEIGHT) throw ErrInvalidGenesis.wrap(`${what} ${n} exceeds 2^63 - 1`);
  return n;
}

function small(x: unknown, what: string): number {
  const n = uint(x, what);
  if (n > 0xffff_ffffn) throw ErrInvalidGenesis.wrap(`${what} is too large`);
  return Number(n);
}

function base64Key(x: unknown, what: string): Uint8Array {
  const s = str(x, what);
  const b = Buffer.from(s, "base64");
  if (b.toString("base64") !== s) throw ErrInvalidGenesis.wrap(`${what} is not canonical base64`);
  return new Uint8Array(b);
}

/** Runs `f`, turning any AppError into an invalid-genesis error that says where. */
function at<T>(where: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    const detail = e.is(ErrInvalidGenesis) ? e.message : `${e.message} (${e.codespace} ${e.code})`;
    throw new AppError(ErrInvalidGenesis.codespace, ErrInvalidGenesis.code, `${where}: ${detail}`, e);
  }
}

export function parseParams(raw: unknown): StakingParams {
  const d = paramsToGenesis(defaultParams());
  const p = { ...d, ...((raw ?? {}) as Partial<GenesisParams>) };
  const params: StakingParams = {
    unbondingBlocks: uint(p.unbonding_blocks, "params.unbonding_blocks"),
    maxValidators: small(p.max_validators, "params.max_validators"),
    maxEntries: small(p.max_entries, "params.max_entries"),
    bondDenom: str(p.bond_denom, "params.bond_denom"),
    minSelfDelegation: uint(p.min_self_delegation, "params.min_self_delegation"),
    paramsAuthority: str(p.params_authority, "params.params_authority"),
    minCommissionRatePpm: small(p.min_commission_rate_ppm, "params.min_commission_rate_ppm"),
  };
  at("params", () => validateParams(params));
  return params;
}

const STATUS_NAMES: Readonly<Record<string, BondStatus>> = {
  BOND_STATUS_UNBONDED: BondStatus.BOND_STATUS_UNBONDED,
  BOND_STATUS_UNBONDING: BondStatus.BOND_STATUS_UNBONDING,
  BOND_STATUS_BONDED: BondStatus.BOND_STATUS_BONDED,
};
const statusName = (s: BondStatus): string => Object.keys(STATUS_NAMES).find((k) => STATUS_NAMES[k] === s) ?? "BOND_STATUS_UNSPECIFIED";

// ---------------------------------------------------------------- init

function modelIdList(x: unknown): string[] {
  if (!Array.isArray(x) || !x.every((id) => typeof id === "string")) throw ErrInvalidGenesis.wrap("model_ids must be a list of strings");
  return [...(x as string[])];
}

/**
 * `consensusParams`: CometBFT's from InitChain. Its `evidence.max_age_num_blocks` is kept (the
 * app never changes consensus params) and, with x/slashing's `max_evidence_age_blocks` (its
 * genesis runs first), must be below `unbonding_blocks`.
 */
export function initGenesis(staking: StakingKeeper, deps: StakingDeps, ctx: Context, raw: unknown, consensusParams?: ConsensusParams): ValidatorUpdate[] {
  const g = (raw ?? defaultGenesis()) as Partial<StakingGenesis>;
  const params = parseParams(g.params);
  staking.setParams(ctx.store, params);
  const cometAge = consensusParams?.evidence?.maxAgeNumBlocks;
  if (cometAge !== undefined) staking.setConsensusEvidenceMaxAge(ctx.store, cometAge);
  at("params", () => checkUnbondingOutlivesEvidence(staking, deps.evidence, ctx.store, params.unbondingBlocks));
  if (g.state !== undefined) restoreState(staking, deps, ctx, params, g.state);

  const validators = g.validators ?? [];
  if (!Array.isArray(validators)) throw ErrInvalidGenesis.wrap("validators must be a list");
  for (const [i, v] of validators.entries()) {
    at(`validators[${i}]`, () => {
      const gv = v as Partial<GenesisValidator>;
      const operator = address(gv.operator_address, Bech32Prefix.operator, "operator_address");
      const msg = {
        operator,
        delegatorAddress: "",
        consPubkey: checkConsensusKey(base64Key(gv.consensus_pubkey, "consensus_pubkey")),
        value: { denom: params.bondDenom, amount: uint(gv.self_delegation, "self_delegation") },
        commission: {
          ratePpm: small(gv.commission_rate_ppm, "commission_rate_ppm"),
          maxRatePpm: gv.commission_max_rate_ppm === undefined ? Number(PPM) : small(gv.commission_max_rate_ppm, "commission_max_rate_ppm"),
          maxChangeRatePpm: gv.commission_max_change_rate_ppm === undefined ? 10_000 : small(gv.commission_max_change_rate_ppm, "commission_max_change_rate_ppm"),
        },
        minSelfDelegation: gv.min_self_delegation === undefined ? params.minSelfDelegation : uint(gv.min_self_delegation, "min_self_delegation"),
        description: { moniker: str(gv.moniker, "moniker"), identity: "", website: "", securityContact: "", details: "" },
      };
      validateCommission(msg.commission);
      validateDescription(msg.description);
      createValidator(staking, ctx, msg);
    });
  }
  const workers = g.workers ?? [];
  if (!Array.isArray(workers)) throw ErrInvalidGenesis.wrap("workers must be a list");
  for (const [i, w] of workers.entries()) {
    at(`workers[${i}]`, () => {
      const gw = w as Partial<GenesisWorker>;
      // Genesis is trusted as a whole (every validator agreed to it before block 1), so the
      // worker's co-signature is not asked for here; every other check of MsgRegisterWorker is.
      const handler = msgRegisterWorkerHandler(staking, deps.models);
      const msg = { operator: str(gw.operator_address, "operator_address"), worker: str(gw.worker_address, "worker_address"), modelIds: modelIdList(gw.model_ids) };
      handler.validateBasic(msg);
      handler.execute(ctx, msg);
    });
  }
  staking.applyValidatorSetUpdates(ctx);
  // CometBFT takes the whole initial set from InitChain (not a diff): the set as it now stands.
  const powers = staking.lastPowers(ctx.store);
  const out: ValidatorUpdate[] = [];
  for (const v of staking.bondedValidators(ctx.store)) {
    const full = staking.getValidator(ctx.store, v.operator);
    if (full) out.push({ pubKey: { ed25519: full.consPubkey }, power: powers.get(v.operator) ?? 0n });
  }
  return out;
}

/** Restores an exported state and checks it against itself and the pool balances x/bank restored. */
function restoreState(staking: StakingKeeper, deps: StakingDeps, ctx: Context, params: StakingParams, st: ExportedState): void {
  const s = ctx.store;
  const list = <T>(x: unknown, what: string): T[] => {
    if (!Array.isArray(x)) throw ErrInvalidGenesis.wrap(`state.${what} must be a list`);
    return x as T[];
  };
  let bondedTokens = 0n;
  let notBondedTokens = 0n;
  const shares = new Map<string, bigint>();
  for (const [i, ev] of list<ExportedValidator>(st.validators, "validators").entries()) {
    at(`state.validators[${i}]`, () => {
      const status = STATUS_NAMES[str(ev.status, "status")];
      if (status === undefined) throw ErrInvalidGenesis.wrap(`unknown status ${str(ev.status, "status")}`);
      const d = ev.description ?? { moniker: "", identity: "", website: "", security_contact: "", details: "" };
      const c = ev.commission ?? { rate_ppm: 0, max_rate_ppm: 0, max_change_rate_ppm: 0 };
      const v: Validator = {
        operator: address(ev.operator_address, Bech32Prefix.operator, "operator_address"),
        consPubkey: checkConsensusKey(base64Key(ev.consensus_pubkey, "consensus_pubkey")),
        jailed: ev.jailed === true,
        status,
        tokens: uint(ev.tokens, "tokens"),
        delegatorShares: uint(ev.delegator_shares, "delegator_shares"),
        description: { moniker: str(d.moniker, "moniker"), identity: str(d.identity ?? "", "identity"), website: str(d.website ?? "", "website"), securityContact: str(d.security_contact ?? "", "security_contact"), details: str(d.details ?? "", "details") },
        commission: { ratePpm: small(c.rate_ppm, "rate_ppm"), maxRatePpm: small(c.max_rate_ppm, "max_rate_ppm"), maxChangeRatePpm: small(c.max_change_rate_ppm, "max_change_rate_ppm") },
        minSelfDelegation: uint(ev.min_self_delegation, "min_self_delegation"),
        unbondingHeight: height(ev.unbonding_height, "unbonding_height"),
        unbondingCompletionHeight: height(ev.unbonding_completion_height, "unbonding_completion_height"),
      };
      validateCommission(v.commission);
      if (staking.getValidator(s, v.operator)) throw ErrInvalidGenesis.wrap(`duplicate validator ${v.operator}`);
      staking.setValidator(s, v);
      if (v.status === BondStatus.BOND_STATUS_UNBONDING) staking.queueValidatorUnbonding(s, v);
      if (v.status === BondStatus.BOND_STATUS_BONDED) bondedTokens += v.tokens;
      else notBondedTokens += v.tokens;
      shares.set(v.operator, v.delegatorShares);
    });
  }
  for (const [i, d] of list<ExportedState["delegations"][number]>(st.delegations, "delegations").entries()) {
    at(`state.delegations[${i}]`, () => {
      const delegator = address(d.delegator_address, Bech32Prefix.account, "delegator_address");
      const operator = address(d.validator_address, Bech32Prefix.operator, "validator_address");
      const left = shares.get(operator);
      const n = uint(d.shares, "shares");
      if (left === undefined) throw ErrInvalidGenesis.wrap(`no validator ${operator}`);
      if (n === 0n || staking.getDelegation(s, delegator, operator)) throw ErrInvalidGenesis.wrap("zero or duplicate delegation");
      shares.set(operator, left - n);
      staking.setDelegation(s, { delegator, operator, shares: n });
    });
  }
  for (const [operator, left] of shares) {
    if (left !== 0n) throw ErrInvalidGenesis.wrap(`delegations to ${operator} do not add up to its delegator_shares`);
  }
  let maxId = 0n;
  for (const [i, e] of list<ExportedState["unbonding_entries"][number]>(st.unbonding_entries, "unbonding_entries").entries()) {
    at(`state.unbonding_entries[${i}]`, () => {
      const entry = {
        id: height(e.id, "id"),
        delegator: address(e.delegator_address, Bech32Prefix.account, "delegator_address"),
        operator: address(e.validator_address, Bech32Prefix.operator, "validator_address"),
        creationHeight: height(e.creation_height, "creation_height"),
        completionHeight: height(e.completion_height, "completion_height"),
        initialBalance: uint(e.initial_balance, "initial_balance"),
        balance: uint(e.balance, "balance"),
      };
      if (entry.id === 0n || staking.getUnbondingEntry(s, entry.id)) throw ErrInvalidGenesis.wrap(`zero or duplicate id ${entry.id}`);
      if (entry.balance > entry.initialBalance) throw ErrInvalidGenesis.wrap("balance exceeds initial_balance");
      staking.insertUnbondingEntry(s, entry);
      notBondedTokens += entry.balance;
      if (entry.id > maxId) maxId = entry.id;
    });
  }
  const nextId = height(st.next_unbonding_id, "state.next_unbonding_id");
  if (nextId <= maxId) throw ErrInvalidGenesis.wrap("state.next_unbonding_id must exceed every entry id");
  staking.setNextUnbondingId(s, nextId);
  for (const [i, lp] of list<ExportedState["last_validator_powers"][number]>(st.last_validator_powers, "last_validator_powers").entries()) {
    at(`state.last_validator_powers[${i}]`, () => {
      const operator = address(lp.validator_address, Bech32Prefix.operator, "validator_address");
      const v = staking.getValidator(s, operator);
      if (!v || v.status !== BondStatus.BOND_STATUS_BONDED) throw ErrInvalidGenesis.wrap(`${operator} is not a bonded validator`);
      staking.setLastPower(s, operator, uint(lp.power, "power"));
    });
  }
  for (const v of staking.validators(s)) {
    if (v.status === BondStatus.BOND_STATUS_BONDED && !staking.lastPowers(s).has(v.operator)) {
      throw ErrInvalidGenesis.wrap(`bonded validator ${v.operator} has no last power`);
    }
  }
  for (const [i, w] of list<ExportedState["workers"][number]>(st.workers, "workers").entries()) {
    at(`state.workers[${i}]`, () => {
      const operator = address(w.operator_address, Bech32Prefix.operator, "operator_address");
      const worker = address(w.worker_address, Bech32Prefix.account, "worker_address");
      const modelIds = list<string>(w.model_ids, "workers.model_ids");
      validateModelIds(deps.models, modelIds);
      checkModelsRegistered(deps.models, s, modelIds);
      if (!staking.getValidator(s, operator)) throw ErrInvalidGenesis.wrap(`no validator ${operator}`);
      if (staking.operatorOfWorker(s, worker) !== undefined) throw ErrInvalidGenesis.wrap(`worker ${worker} listed twice`);
      staking.setWorker(s, { operator, worker, modelIds });
    });
  }
  const { bonded, notBonded } = staking.pool(s);
  if (bonded !== bondedTokens || notBonded !== notBondedTokens) {
    throw ErrInvalidGenesis.wrap(
      `pool balances (bonded ${bonded}, not bonded ${notBonded}) differ from the staking state (bonded ${bondedTokens}, not bonded ${notBondedTokens})`,
    );
  }
}

// ---------------------------------------------------------------- export

export function exportGenesis(staking: StakingKeeper, ctx: QueryContext): StakingGenesis {
  const s = ctx.store;
  const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");
  return {
    params: paramsToGenesis(staking.getParams(s)),
    validators: [],
    state: {
      validators: [...staking.validators(s)].map((v) => ({
        operator_address: v.operator,
        consensus_pubkey: b64(v.consPubkey),
        jailed: v.jailed,
        status: statusName(v.status),
        tokens: v.tokens.toString(),
        delegator_shares: v.delegatorShares.toString(),
        description: { moniker: v.description.moniker, identity: v.description.identity, website: v.description.website, security_contact: v.description.securityContact, details: v.description.details },
        commission: { rate_ppm: v.commission.ratePpm, max_rate_ppm: v.commission.maxRatePpm, max_change_rate_ppm: v.commission.maxChangeRatePpm },
        min_self_delegation: v.minSelfDelegation.toString(),
        unbonding_height: v.unbondingHeight.toString(),
        unbonding_completion_height: v.unbondingCompletionHeight.toString(),
      })),
      delegations: [...staking.allDelegations(s)].map((d) => ({ delegator_address: d.delegator, validator_address: d.operator, shares: d.shares.toString() })),
      unbonding_entries: [...staking.allUnbondingEntries(s)].map((e) => ({
        id: e.id.toString(),
        delegator_address: e.delegator,
        validator_address: e.operator,
        creation_height: e.creationHeight.toString(),
        completion_height: e.completionHeight.toString(),
        initial_balance: e.initialBalance.toString(),
        balance: e.balance.toString(),
      })),
      last_validator_powers: [...staking.lastPowers(s)].map(([operator, power]) => ({ validator_address: operator, power: power.toString() })),
      workers: [...staking.workers(s)].map((w) => ({ operator_address: w.operator, worker_address: w.worker, model_ids: [...w.modelIds] })),
      next_unbonding_id: staking.getNextUnbondingId(s).toString(),
    },
  };
}
