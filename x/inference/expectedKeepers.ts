/**
 * What x/inference needs from other modules; app/app.ts wires the real keepers in. Bank is
 * asked only to move coins (never to mint); staking only for the validators able to take a
 * model's jobs; slashing for its one slash path; models for the registry entry and its rules
 * (model ids, tensor checks); auth for the client's public key (results are sealed to it);
 * challenge whether a dispute wants a result opened and what audit rate secures a job. Plain types come from the other modules'
 * types.ts.
 */
import type { Context } from "../../base/context";
import type { KVReader } from "../../base/store/kv";
import type { Coin } from "../../base/types/coins";
import type { Model } from "../models/types";
import type { CompensateArgs, SlashArgs, SlashEvent } from "../slashing/types";

export interface BankKeeper {
  /** Genesis checks that the job escrow holds exactly the open jobs' fees. */
  getBalance(s: KVReader, address: string, denom: string): bigint;
  /** Escrows a job's fee; throws ErrInsufficientFunds. */
  sendCoinsFromAccountToModule(ctx: Context, from: string, module: string, coins: readonly Coin[]): void;
  /** Refunds and the worker's share. */
  sendCoinsFromModuleToAccount(ctx: Context, module: string, to: string, coins: readonly Coin[]): void;
  /** The verification pool's and the treasury's shares. */
  sendCoinsFromModuleToModule(ctx: Context, from: string, to: string, coins: readonly Coin[]): void;
}

/** A validator able to take a model's jobs (x/staking's ModelWorker). */
export interface ModelWorker {
  /** infervaloper1… */
  readonly operator: string;
  /** infer1…: the hot key that signs MsgSubmitResult. */
  readonly worker: string;
  /** Bonded tokens (uinf): the sampling weight. */
  readonly tokens: bigint;
}

export interface StakingKeeper {
  /** Bonded, unjailed validators whose worker serves `modelId` (any order: sampling sorts them). */
  workersForModel(s: KVReader, modelId: string): ModelWorker[];
}

/** A slash request as inference makes it: x/slashing's SlashArgs, without a base power or jail length. */
export type SlashRequest = Omit<SlashArgs, "basePower" | "jailBlocks">;

/** What inference reads back from a slash: its record id and what was actually cut (uinf). */
export type SlashOutcome = Pick<SlashEvent, "id" | "amount">;

export interface SlashingKeeper {
  /** The one slash path: fraction × stake at risk to reporters and the treasury. All or nothing. */
  slash(ctx: Context, args: SlashRequest): SlashOutcome;
  /** The same path for a debt: `amount` (capped at the stake at risk) to `beneficiary`. All or nothing. */
  compensate(ctx: Context, args: CompensateArgs): SlashOutcome;
}

/** The model registry (x/models' keeper). */
export interface ModelsKeeper {
  getModel(s: KVReader, id: string): Model | undefined;
  /** x/models' model-id rule (stateless: validateBasic and genesis use it). */
  isValidModelId(id: string): boolean;
  /** Checks a job input against the model's inputs (size, canonical encoding, spec); throws an AppError. */
  decodeInput(model: Model, input: Uint8Array): unknown;
  /** Checks a result against the model's outputs; throws an AppError. */
  decodeOutput(model: Model, output: Uint8Array): unknown;
}

/** x/auth's accounts: the key a job's results are sealed to. */
export interface AccountKeeper {
  /** The account, with its compressed secp256k1 `pubkey` once it has signed a tx. */
  getAccount(s: KVReader, address: string): { readonly pubkey?: Uint8Array } | undefined;
}

/** x/challenge, as x/inference asks it (wired after both keepers exist; absent until then). */
export interface ChallengeKeeper {
  /** A dispute asks the worker of `jobId` to open its sealed result now (MsgOpenResult). */
  wantsOpening(s: KVReader, jobId: bigint): boolean;
  /**
   * The audit rate (ppm) a job with `fee` gets on a validator with `stake` bonded uinf, so that
   * faking it never pays (per-job economic security); undefined when that validator's stake
   * cannot secure the fee at any allowed rate: it is not assigned the job.
   */
  jobAuditRate(s: KVReader, fee: bigint, stake: bigint): bigint | undefined;
  /**
   * For a refused submission: the largest fee a validator with `stake` can be assigned, and the
   * smallest stake that could be assigned `fee` (undefined if none could).
   */
  securityLimits(s: KVReader, fee: bigint, stake: bigint): { readonly maxFee: bigint; readonly stakeNeeded: bigint | undefined };
}
