/**
 * What x/slashing needs from other modules. x/staking implements `StakingKeeper`
 * (in x/staking/keeper.ts); x/bank implements `BankKeeper`. Wired in app/app.ts.
 */
import type { Context } from "../../base/context";
import type { KVReader } from "../../base/store/kv";
import type { Coin } from "../../base/types/coins";

/** The staking facts slashing reads about one validator. */
export interface ValidatorView {
  /** infervaloper1… */
  readonly operator: string;
  /** The operator's account address (infer1…, same bytes as `operator`). */
  readonly account: string;
  /** 20-byte consensus address: sha256(ed25519 pubkey)[:20]. */
  readonly consAddress: Uint8Array;
  /** Bonded tokens (uinf), after slashes. */
  readonly tokens: bigint;
  readonly jailed: boolean;
  /** In the active set sent to CometBFT. */
  readonly bonded: boolean;
  /** Tokens the operator has self-delegated (for the unjail minimum). */
  readonly selfDelegation: bigint;
  /**
   * The least self-delegation (uinf) with which the validator may be unjailed: its own
   * `min_self_delegation`, or the chain-wide floor if higher. Absent: any self-delegation > 0.
   */
  readonly minSelfDelegation?: bigint;
}

/** What liveness reads about a validator in the last commit, once per vote: no more. */
export interface ConsensusSigner {
  /** infervaloper1… */
  readonly operator: string;
  readonly jailed: boolean;
}

/** An unbonding entry of some delegation to a validator. */
export interface UnbondingEntryRef {
  readonly delegator: string;
  readonly operator: string;
  /** Stable id of the entry within the chain (for slashUnbondingEntry). */
  readonly id: bigint;
  readonly creationHeight: bigint;
  readonly completionHeight: bigint;
  readonly initialBalance: bigint;
  readonly balance: bigint;
}

export interface StakingKeeper {
  validator(s: KVReader, operator: string): ValidatorView | undefined;
  validatorByConsAddress(s: KVReader, consAddress: Uint8Array): ValidatorView | undefined;
  /** The same validator's operator and jailed flag alone (liveness asks this for every vote of every block). */
  consensusSigner(s: KVReader, consAddress: Uint8Array): ConsensusSigner | undefined;
  /** The active set, highest power first. */
  bondedValidators(s: KVReader): ValidatorView[];
  totalBondedTokens(s: KVReader): bigint;
  /** Unbonding entries towards `operator` created at or after `minCreationHeight` that have not matured yet, by id. */
  unbondingEntriesSince(s: KVReader, operator: string, minCreationHeight: bigint): UnbondingEntryRef[];
  /**
   * Cuts up to `amount` from a validator's bonded tokens (share value drops for all its
   * delegators) and moves the coins from the bonded pool to module account `toModule`.
   * Returns what was actually cut (≤ tokens).
   */
  slashValidatorTokens(ctx: Context, operator: string, amount: bigint, toModule: string): bigint;
  /** Cuts up to `amount` from one unbonding entry's balance, moving the coins from the not-bonded pool to `toModule`. Returns what was cut. */
  slashUnbondingEntry(ctx: Context, entry: UnbondingEntryRef, amount: bigint, toModule: string): bigint;
  /** Removes the validator from the active set at the end of this block (power update 0). */
  jail(ctx: Context, operator: string): void;
  unjail(ctx: Context, operator: string): void;
  /** How long undelegated stake stays slashable (staking's `unbonding_blocks`): evidence older than this cannot reach it. */
  unbondingBlocks(s: KVReader): bigint;
}

export interface BankKeeper {
  sendCoinsFromModuleToAccount(ctx: Context, module: string, to: string, coins: readonly Coin[]): void;
  sendCoinsFromModuleToModule(ctx: Context, from: string, to: string, coins: readonly Coin[]): void;
  burnCoins(ctx: Context, module: string, coins: readonly Coin[]): void;
}
