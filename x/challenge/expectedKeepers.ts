/**
 * What x/challenge needs from other modules; app/app.ts wires the real keepers in. Bank only
 * moves coins (bonds in and out of the `challenge` module account, audit rewards out of the
 * verification pool); staking only lists who may verify a model; slashing is the one slash
 * path; inference owns the jobs a dispute holds and settles; models checks outputs and compares
 * them under the model's metric. Plain types come from the other modules' types.ts.
 */
import type { Context } from "../../base/context";
import type { KVReader } from "../../base/store/kv";
import type { Coin } from "../../base/types/coins";
import type { QuantizedTensor } from "../models/tensor";
import type { Model } from "../models/types";
import type { SlashArgs, SlashEvent } from "../slashing/types";

export interface BankKeeper {
  /** The verification pool's balance (audit rewards never exceed it); genesis checks the bonds held. */
  getBalance(s: KVReader, address: string, denom: string): bigint;
  /** A bond into the challenge module account; throws ErrInsufficientFunds. */
  sendCoinsFromAccountToModule(ctx: Context, from: string, module: string, coins: readonly Coin[]): void;
  /** Bonds back or shared out; audit rewards from the verification pool. */
  sendCoinsFromModuleToAccount(ctx: Context, module: string, to: string, coins: readonly Coin[]): void;
}

/** A validator able to verify a model's results (x/staking's ModelWorker). */
export interface ModelWorker {
  /** infervaloper1… */
  readonly operator: string;
  /** infer1…: the hot key that signs MsgCommitVerification / MsgRevealVerification. */
  readonly worker: string;
  /** Bonded tokens (uinf): the draw's weight. */
  readonly tokens: bigint;
}

export interface StakingKeeper {
  /** Bonded, unjailed validators whose worker serves `modelId` (any order: the draw sorts them). */
  workersForModel(s: KVReader, modelId: string): ModelWorker[];
}

/** A slash request as challenge makes it: x/slashing's SlashArgs, without a base power or jail length. */
export type SlashRequest = Omit<SlashArgs, "basePower">;

/** What challenge reads back from a slash: its record id and what was actually cut (uinf). */
export type SlashOutcome = Pick<SlashEvent, "id" | "amount">;

export interface SlashingKeeper {
  /** The one slash path (kinds `invalid_result`, `bad_verification`, `data_unavailable`). All or nothing; throws an AppError. */
  slash(ctx: Context, args: SlashRequest): SlashOutcome;
}

/** What a dispute needs to know about a job (x/inference's view of it). */
export interface DisputableJob {
  readonly id: bigint;
  /** infer1… that paid the fee. */
  readonly client: string;
  readonly modelId: string;
  /** The worker's validator (infervaloper1…) and its worker key (infer1…). */
  readonly operator: string;
  readonly worker: string;
  readonly fee: bigint;
  /** Height the current worker was assigned the job at: the stake its audit rate was fixed against, and a FAULT's infraction height. */
  readonly assignedHeight: bigint;
  /** Height the result was included at (0 before a result). */
  readonly resultHeight: bigint;
  /** The job finalizes at the end of this block unless held first. */
  readonly challengeEndHeight: bigint;
  /** `result_posted` (open to a dispute), `disputed` (held), `finalized`, or another status name. */
  readonly status: "result_posted" | "disputed" | "finalized" | string;
  readonly cannotRun: boolean;
  readonly opened: boolean;
  /** The opened output; empty until opened. */
  readonly output: Uint8Array;
  /** Inline input, or a job by URI's provided bytes (empty until provided, and once pruned). */
  readonly input: Uint8Array;
  /** The rate (ppm) the job was assigned with (security.ts); 0 for a job assigned before the rule: the base rate. */
  readonly auditRatePpm: bigint;
  /** A job by URI: its http(s) URI and hex sha256 (both empty for an inline input). */
  readonly inputUri: string;
  readonly inputSha256: string;
  readonly pruned: boolean;
}

export interface InferenceKeeper {
  /** Ids of the jobs whose result was posted at `height` and are not finalized yet, in id order. */
  resultsIncludedAt(s: KVReader, height: bigint): bigint[];
  jobForDispute(s: KVReader, jobId: bigint): DisputableJob | undefined;
  /**
   * RESULT_POSTED → DISPUTED with `dispute_id` set, off the finalization queue (its escrow stays).
   * Throws an AppError unless the job is RESULT_POSTED and height ≤ its challenge_end_height.
   */
  holdForDispute(ctx: Context, jobId: bigint, disputeId: bigint): void;
  /**
   * Ends the hold. `fault`: the whole escrowed fee back to the client, FAILED with a reason.
   * Otherwise: finalized now exactly as the window's end would (fee split, or the refund of a
   * cannot-run result).
   */
  settleDispute(ctx: Context, jobId: bigint, fault: boolean): void;
  /**
   * Posts a job by URI's input bytes on chain (MsgProvideData): they must hash to its
   * input_sha256 and fit the model's input spec; kept as the job's input until it is pruned.
   * Throws an AppError otherwise.
   */
  provideInput(ctx: Context, jobId: bigint, data: Uint8Array): void;
  /** The worker's opened result (MsgOpenResult, checked there against commitment and sealed output). */
  openedResult(s: KVReader, jobId: bigint): { readonly output: Uint8Array; readonly cannotRun: boolean } | undefined;
}

export interface ModelsKeeper {
  getModel(s: KVReader, id: string): Model | undefined;
  /** Checks a result against the model's outputs (size, canonical encoding, spec); throws an AppError. */
  decodeOutput(model: Model, output: Uint8Array): QuantizedTensor[];
  /** x/models' divergence.ts `diverges(model.metric, model.threshold, a, b)`. */
  diverges(model: Model, a: readonly QuantizedTensor[], b: readonly QuantizedTensor[]): boolean;
}
