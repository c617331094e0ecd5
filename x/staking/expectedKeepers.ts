/** What x/staking needs from other modules (the consumer declares it; app/app.ts wires it). */
import type { Context } from "../../base/context";
import type { KVReader } from "../../base/store/kv";
import type { Coin } from "../../base/types/coins";

export interface BankKeeper {
  /** Pool balances for the Pool query. */
  getBalance(s: KVReader, address: string, denom: string): bigint;
  /** Delegating: the delegator's coins into a pool; throws ErrInsufficientFunds. */
  sendCoinsFromAccountToModule(ctx: Context, from: string, module: string, coins: readonly Coin[]): void;
  /** Paying out a matured unbonding entry. */
  sendCoinsFromModuleToAccount(ctx: Context, module: string, to: string, coins: readonly Coin[]): void;
  /** Moving tokens between the bonded and not-bonded pools, and slashed coins to their destination. */
  sendCoinsFromModuleToModule(ctx: Context, from: string, to: string, coins: readonly Coin[]): void;
}

/**
 * The model registry (x/models implements it; app/app.ts wires it). x/staking keeps no
 * model-id rule of its own: what a model id is, and whether one is registered, is x/models'
 * to say.
 */
export interface ModelsKeeper {
  /** x/models' model-id rule (stateless; MsgRegisterWorker's validateBasic uses it). */
  isValidModelId(id: string): boolean;
  /** The model is registered. */
  hasModel(s: KVReader, id: string): boolean;
}

/**
 * x/slashing's view of consensus-fault evidence (wired in app/app.ts). Staking checks every
 * change of `unbonding_blocks` against it: evidence must land while the stake it names still
 * sits in unbonding entries.
 */
export interface EvidenceKeeper {
  /** Evidence older than this (blocks) is ignored by x/slashing. */
  maxEvidenceAgeBlocks(s: KVReader): bigint;
}

/** Everything x/staking's handlers take from other modules. */
export interface StakingDeps {
  readonly models: ModelsKeeper;
  readonly evidence: EvidenceKeeper;
}
