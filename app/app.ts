/**
 * The one place modules are wired together: keepers are built here and handed to each other
 * through the interfaces the consumers declare (each module's expectedKeepers.ts), so the
 * compiler checks every match here; the module list is also the order in which genesis and the
 * block hooks run.
 */
import { BaseApp } from "../base/baseapp";
import type { AppModule } from "../base/module";
import { CommitStore } from "../base/store/commitStore";
import { moduleAddress } from "../base/types/address";
import { AnteHandler, AuthKeeper, FEE_COLLECTOR, authModule, type GasPrice } from "../x/auth";
import { BankKeeper, bankModule } from "../x/bank";
import { BONDED_POOL, NOT_BONDED_POOL, StakingKeeper, stakingModule } from "../x/staking";
import { MODELS_MODULE_ACCOUNT, ModelsKeeper, modelsModule } from "../x/models";
import { SLASHING_MODULE, SlashingKeeper, TREASURY_MODULE, slashingModule } from "../x/slashing";
import { InferenceKeeper, JOB_ESCROW_MODULE, VERIFICATION_POOL_MODULE, inferenceModule } from "../x/inference";
import { CHALLENGE_MODULE, ChallengeKeeper, challengeModule } from "../x/challenge";

export interface InferchainOptions {
  /** LevelDB directory of the application state. */
  readonly dbDir: string;
  /** app.toml `minimum-gas-prices`: a node-local floor for CheckTx on top of the consensus minimum. */
  readonly localMinGasPrice?: GasPrice;
  readonly version?: string;
}

/** Module accounts that may not receive funds through MsgSend. */
const MODULE_ACCOUNTS = [
  FEE_COLLECTOR,
  BONDED_POOL,
  NOT_BONDED_POOL,
  SLASHING_MODULE,
  TREASURY_MODULE,
  MODELS_MODULE_ACCOUNT,
  JOB_ESCROW_MODULE,
  VERIFICATION_POOL_MODULE,
  CHALLENGE_MODULE,
] as const;

function wire(opts: Pick<InferchainOptions, "localMinGasPrice">): { modules: AppModule[]; ante: AnteHandler; auth: AuthKeeper } {
  const auth = new AuthKeeper();
  const bank = new BankKeeper(auth);
  const blocked: ReadonlySet<string> = new Set(MODULE_ACCOUNTS.map(moduleAddress));
  const staking = new StakingKeeper(bank);
  // x/staking's keeper as x/slashing's StakingKeeper: validator views and the slash cuts.
  const slashing = new SlashingKeeper({ staking, bank });
  const models = new ModelsKeeper();
  const inference = new InferenceKeeper({ accounts: auth, bank, staking, slashing, models, treasury: TREASURY_MODULE });
  // Disputes hold and settle jobs (x/challenge → x/inference); assignment asks each job's audit
  // rate and disputes ask for openings (x/inference → x/challenge, set once both exist).
  const challenge = new ChallengeKeeper({ bank, staking, slashing, inference, models, verificationPool: VERIFICATION_POOL_MODULE });
  inference.setChallengeKeeper(challenge);
  const ante = new AnteHandler(auth, bank, { localMinGasPrice: opts.localMinGasPrice });
  // Genesis and block-hook order. Bank before staking (genesis self-delegations are paid from
  // balances); models and bank before challenge and inference (their genesis checks models, the
  // bonds and the escrow); challenge before inference, so a result audited or challenged in this
  // block is held before its window could close; inference and slashing before staking, so SLA
  // and dispute slashes, jailing and top-ups land in the same block's set.
  const modules = [
    authModule(auth),
    bankModule(bank, () => blocked),
    modelsModule(models, bank),
    challengeModule(challenge),
    inferenceModule(inference),
    slashingModule(slashing),
    stakingModule(staking, {
      // x/models' id rule and registry; x/slashing's evidence age (unbonding must outlast it).
      models,
      evidence: { maxEvidenceAgeBlocks: (s) => slashing.getParams(s).maxEvidenceAgeBlocks },
    }),
  ];
  return { modules, ante, auth };
}

export async function createInferchainApp(opts: InferchainOptions): Promise<BaseApp> {
  const store = await CommitStore.open(opts.dbDir);
  const { modules, ante, auth } = wire(opts);
  return new BaseApp(store, { modules, ante, maxTxBytes: (s) => auth.getFeeParams(s).maxTxBytes, version: opts.version });
}

/** Every module's default genesis, keyed by module name (the `app_state` of a new genesis.json). */
export function defaultAppState(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of wire({}).modules) if (m.defaultGenesis) out[m.name] = m.defaultGenesis();
  return out;
}
