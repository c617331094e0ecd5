/**
 * Genesis content that `inferd init` and `inferd localnet init` write: a validator per home
 * (operator key `validator` in the home's test keyring, its self-delegation in staking
 * genesis, as a gentx would), its sidecar's hot key `worker` (funded for result fees, and
 * listed in `app_state.staking.workers` serving the built-in models), the built-in models,
 * and one params authority for every module (the first validator's operator account) so
 * localnets can change params.
 *
 * x/staking genesis does not read `workers` yet (only an exported `state` carries workers), so
 * until it does, `ensureWorkerRegistered` (client/worker.ts) registers the worker with a
 * MsgRegisterWorker once the chain runs; it does nothing when genesis already did.
 */
import fs from "node:fs";
import path from "node:path";
import { accountOperator } from "../base/types/address";
import { builtinModelGenesis, builtinModels } from "../lib/models/builtin";
import { VALIDATOR_KEY, WORKER_KEY, paths } from "../client/home";
import { addGenesisAccount, type Genesis } from "../server/home";
import { openKeyring } from "../client/keyring";

/** 1,000 INF balance, 10 INF self-delegated: voting power 10, as CometBFT's own default. */
export const VALIDATOR_BALANCE = 1_000_000_000n;
export const VALIDATOR_SELF_DELEGATION = 10_000_000n;
/** The sidecar's hot key (client/home.ts WORKER_KEY) is funded with 100 INF for result fees. */
export const WORKER_BALANCE = 100_000_000n;

/** A genesis worker registration, in the shape of x/staking's exported `state.workers`. */
export interface GenesisWorker {
  readonly operator_address: string;
  readonly worker_address: string;
  readonly model_ids: string[];
}

export interface GenesisValidatorInfo {
  readonly moniker: string;
  readonly account: string;
  readonly operator: string;
  readonly mnemonicFile: string;
  readonly worker: string;
}

/** Creates the home's worker key (mnemonic beside the keyring), funds it and lists its registration for the built-in models. */
export async function addGenesisWorker(home: string, genesis: Genesis, operator: string): Promise<string> {
  const keyring = await openKeyring({ home, backend: "test" });
  const { info, mnemonic } = await keyring.add(WORKER_KEY, { overwrite: true });
  fs.writeFileSync(path.join(home, "keyring-test", `${WORKER_KEY}.mnemonic`), mnemonic + "\n", { mode: 0o600 });
  addGenesisAccount(genesis, info.address, [{ denom: "uinf", amount: WORKER_BALANCE.toString() }]);
  const staking = (genesis.app_state.staking ??= {}) as { workers?: GenesisWorker[] };
  staking.workers = (staking.workers ?? []).filter((w) => w.operator_address !== operator);
  staking.workers.push({ operator_address: operator, worker_address: info.address, model_ids: builtinModels().map((m) => m.id) });
  return info.address;
}

/** Creates the home's operator key (mnemonic saved beside the keyring) and stakes it in `genesis`. */
export async function addGenesisValidator(home: string, genesis: Genesis, moniker: string): Promise<GenesisValidatorInfo> {
  const keyring = await openKeyring({ home, backend: "test" });
  const { info, mnemonic } = await keyring.add(VALIDATOR_KEY, { overwrite: true });
  const mnemonicFile = path.join(home, "keyring-test", `${VALIDATOR_KEY}.mnemonic`);
  fs.writeFileSync(mnemonicFile, mnemonic + "\n", { mode: 0o600 });
  const pv = JSON.parse(fs.readFileSync(paths(home).privValidatorKey, "utf8")) as { pub_key: { value: string } };
  addGenesisAccount(genesis, info.address, [{ denom: "uinf", amount: VALIDATOR_BALANCE.toString() }]);
  const staking = (genesis.app_state.staking ??= {}) as { validators?: unknown[] };
  (staking.validators ??= []).push({
    operator_address: accountOperator(info.address),
    consensus_pubkey: pv.pub_key.value,
    self_delegation: VALIDATOR_SELF_DELEGATION.toString(),
    moniker,
    commission_rate_ppm: 100_000,
  });
  // The app returns the validator set from staking at InitChain; CometBFT's own list must be empty.
  genesis.validators = [];
  const worker = await addGenesisWorker(home, genesis, accountOperator(info.address));
  return { moniker, account: info.address, operator: accountOperator(info.address), mnemonicFile, worker };
}

/** Built-in models in the registry, and `authority` as every module's params authority. */
export async function finishGenesis(genesis: Genesis, authority: string): Promise<void> {
  const models = (genesis.app_state.models ??= {}) as { models?: unknown[]; params?: Record<string, unknown> };
  models.models = await builtinModelGenesis();
  for (const m of ["staking", "slashing", "models"]) {
    const g = (genesis.app_state[m] ??= {}) as { params?: Record<string, unknown> };
    g.params = { ...(g.params ?? {}), params_authority: authority };
  }
}
