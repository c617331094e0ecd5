/**
 * Genesis content that `inferd init` and `inferd localnet init` write: a validator per home
 * (operator key `validator` in the home's test keyring, its self-delegation in staking
 * genesis, as a gentx would), the built-in models, and one params authority for every
 * module (the first validator's operator account) so localnets can change params.
 */
import fs from "node:fs";
import path from "node:path";
import { accountOperator } from "../x/staking";
import { builtinModelGenesis } from "../lib/models/builtin";
import { addGenesisAccount, paths, type Genesis } from "./home";
import { openKeyring } from "./keyring";

export const VALIDATOR_KEY = "validator";
/** 1,000 INF balance, 10 INF self-delegated: voting power 10, as CometBFT's own default. */
export const VALIDATOR_BALANCE = 1_000_000_000n;
export const VALIDATOR_SELF_DELEGATION = 10_000_000n;

export interface GenesisValidatorInfo {
  readonly moniker: string;
  readonly account: string;
  readonly operator: string;
  readonly mnemonicFile: string;
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
  return { moniker, account: info.address, operator: accountOperator(info.address), mnemonicFile };
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
