/**
 * Small fakes of `expectedKeepers.ts` for x/challenge's unit tests. Bank and staking are
 * x/inference's fakes (x/slashing's underneath: state in the KV store under `fake/…`, so a
 * dropped branch rolls them back), the slash path is the real x/slashing keeper over them, the
 * model checks and divergence are x/models' real functions, and `FakeInference` holds jobs the
 * way x/inference will (result posted, held, settled, opened) with their fees in the real
 * `job_escrow` account: a test can follow every uinf. Not used by the state machine.
 */
import { createHash } from "node:crypto";
import { blake3 } from "@noble/hashes/blake3.js";
import type { Event } from "cosmjs-types/tendermint/abci/types";
import { onBranch, type Context } from "../../base/context";
import { AppError, InvariantError } from "../../base/errors";
import type { MsgHandler, MsgResponse } from "../../base/module";
import { MemKV, type KVReader, type KVStore } from "../../base/store/kv";
import { moduleAddress, operatorAccount } from "../../base/types/address";
import { BASE_DENOM } from "../../base/types/coins";
import { decodeInput, decodeOutput, diverges, type Model, type QuantizedTensor } from "../models";
import { FakeBank, FakeStaking, JOB_ESCROW_MODULE, MODEL, TREASURY_MODULE, VERIFICATION_POOL_MODULE, ctxAt, sampleInput, sampleOutput, testAccount, totalBalances } from "../inference/testutil";
import { SlashingKeeper } from "../slashing";
import { defaultParams as slashingDefaults } from "../slashing/params";
import { endBlocker } from "./abci";
import { verificationCommitment } from "./commitment";
import type { DisputableJob, InferenceKeeper, ModelsKeeper } from "./expectedKeepers";
import { ChallengeKeeper, CHALLENGE_MODULE } from "./keeper";
import { defaultParams, type ChallengeParams } from "./params";

export { FakeBank, FakeStaking, MODEL, ctxAt, sampleInput, sampleOutput, testAccount, totalBalances, CHALLENGE_MODULE, JOB_ESCROW_MODULE, TREASURY_MODULE, VERIFICATION_POOL_MODULE };

const enc = new TextEncoder();
const dec = new TextDecoder();
const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "base64"));

export class FakeModels implements ModelsKeeper {
  readonly models = new Map<string, Model>([[MODEL.id, MODEL]]);
  getModel(_s: KVReader, id: string): Model | undefined {
    return this.models.get(id);
  }
  decodeOutput(model: Model, output: Uint8Array): QuantizedTensor[] {
    return decodeOutput(model, output);
  }
  diverges(model: Model, a: readonly QuantizedTensor[], b: readonly QuantizedTensor[]): boolean {
    return diverges(model.metric, model.threshold, a, b);
  }
}

/** A fake job: what `DisputableJob` shows, plus the output its worker posted (sealed on the real chain). */
export interface FakeJob extends DisputableJob {
  readonly posted: Uint8Array;
  readonly disputeId: bigint;
}

const FIELDS = ["id", "client", "modelId", "operator", "worker", "fee", "resultHeight", "challengeEndHeight", "status", "cannotRun", "opened", "output", "input", "posted", "disputeId", "auditRatePpm", "assignedHeight", "inputUri", "inputSha256", "pruned"] as const;

function encodeJob(j: FakeJob): Uint8Array {
  return enc.encode(
    FIELDS.map((f) => {
      const v = j[f];
      return v instanceof Uint8Array ? b64(v) : String(v);
    }).join("|"),
  );
}

function decodeJob(raw: Uint8Array): FakeJob {
  const p = dec.decode(raw).split("|");
  return {
    id: BigInt(p[0]),
    client: p[1],
    modelId: p[2],
    operator: p[3],
    worker: p[4],
    fee: BigInt(p[5]),
    resultHeight: BigInt(p[6]),
    challengeEndHeight: BigInt(p[7]),
    status: p[8],
    cannotRun: p[9] === "true",
    opened: p[10] === "true",
    output: unb64(p[11]),
    input: unb64(p[12]),
    posted: unb64(p[13]),
    disputeId: BigInt(p[14]),
    auditRatePpm: BigInt(p[15]),
    assignedHeight: BigInt(p[16]),
    inputUri: p[17],
    inputSha256: p[18],
    pruned: p[19] === "true",
  };
}

/** The refusal x/inference would give for a hold it cannot make. */
export const ErrFakeHold = new AppError("fake_inference", 2, "job cannot be held");
export const ErrFakeOpen = new AppError("fake_inference", 3, "no dispute asks for this opening");
export const ErrFakeInput = new AppError("fake_inference", 4, "input refused");

/**
 * x/inference as x/challenge sees it, with state under `fake/inference/…`. Jobs go straight to
 * RESULT_POSTED (`postResult`), escrowing the fee; `finalizeDue` is x/inference's end-block
 * finalization (run it after x/challenge's, as app.ts orders them).
 */
export class FakeInference implements InferenceKeeper {
  /** Set by `testSetup`: the keeper `wantsOpening` is asked of (app.ts wires it the same lazy way). */
  challenge?: { wantsOpening(s: KVReader, jobId: bigint): boolean };
  /** Challenge window of new results. */
  window = 10n;

  constructor(readonly bank: FakeBank) {}

  private key(id: bigint): string {
    return `fake/inference/job/${id.toString().padStart(20, "0")}`;
  }
  private put(s: KVStore, j: FakeJob): void {
    s.set(this.key(j.id), encodeJob(j));
  }
  job(s: KVReader, id: bigint): FakeJob | undefined {
    const raw = s.get(this.key(id));
    return raw ? decodeJob(raw) : undefined;
  }
  private update(s: KVStore, id: bigint, f: (j: FakeJob) => FakeJob): void {
    const j = this.job(s, id);
    if (!j) throw new Error(`fake inference: no job ${id}`);
    this.put(s, f(j));
  }

  /**
   * A result posted at the context's height by `worker` of `operator` for `client`, whose fee is
   * minted and escrowed; `auditRatePpm` is the rate x/inference fixed at assignment (default 0:
   * the base rate), `assignedHeight` when (default: the result's height); `inputUri` and
   * `inputSha256` make it a job by URI (no input on chain).
   */
  postResult(
    ctx: Context,
    a: { client: string; operator: string; worker: string; fee?: bigint; output: Uint8Array; cannotRun?: boolean; modelId?: string; auditRatePpm?: bigint; assignedHeight?: bigint; inputUri?: string; inputSha256?: string },
  ): bigint {
    const raw = ctx.store.get("fake/inference/next");
    const id = raw ? BigInt(dec.decode(raw)) : 1n;
    ctx.store.set("fake/inference/next", enc.encode((id + 1n).toString()));
    const fee = a.fee ?? 1_000n;
    this.bank.mint(ctx.store, a.client, fee);
    this.bank.send(ctx.store, a.client, moduleAddress(JOB_ESCROW_MODULE), fee);
    this.put(ctx.store, {
      id,
      client: a.client,
      modelId: a.modelId ?? MODEL.id,
      operator: a.operator,
      worker: a.worker,
      fee,
      resultHeight: ctx.block.height,
      challengeEndHeight: ctx.block.height + this.window,
      status: "result_posted",
      cannotRun: a.cannotRun ?? false,
      opened: false,
      output: new Uint8Array(),
      input: a.inputUri ? new Uint8Array() : sampleInput(),
      posted: a.cannotRun ? new Uint8Array() : a.output,
      disputeId: 0n,
      auditRatePpm: a.auditRatePpm ?? 0n,
      assignedHeight: a.assignedHeight ?? ctx.block.height,
      inputUri: a.inputUri ?? "",
      inputSha256: a.inputSha256 ?? "",
      pruned: false,
    });
    ctx.store.set(`fake/inference/included/${ctx.block.height.toString().padStart(20, "0")}/${id.toString().padStart(20, "0")}`, Uint8Array.of(1));
    return id;
  }

  resultsIncludedAt(s: KVReader, height: bigint): bigint[] {
    const prefix = `fake/inference/included/${height.toString().padStart(20, "0")}/`;
    return [...s.iterate(prefix)].map(([k]) => BigInt(k.slice(prefix.length))).filter((id) => this.job(s, id)?.status === "result_posted" || this.job(s, id)?.status === "disputed");
  }

  jobForDispute(s: KVReader, jobId: bigint): DisputableJob | undefined {
    return this.job(s, jobId);
  }

  holdForDispute(ctx: Context, jobId: bigint, disputeId: bigint): void {
    const j = this.job(ctx.store, jobId);
    if (!j || j.status !== "result_posted" || ctx.block.height > j.challengeEndHeight) throw ErrFakeHold.wrap(`job ${jobId}`);
    this.put(ctx.store, { ...j, status: "disputed", disputeId });
  }

  settleDispute(ctx: Context, jobId: bigint, fault: boolean): void {
    const j = this.job(ctx.store, jobId);
    if (!j || j.status !== "disputed") throw new InvariantError(`fake inference: job ${jobId} is not held`);
    const to = fault || j.cannotRun ? j.client : operatorAccount(j.operator);
    this.bank.send(ctx.store, moduleAddress(JOB_ESCROW_MODULE), to, j.fee);
    this.put(ctx.store, { ...j, status: fault ? "failed" : "finalized" });
  }

  /** MsgProvideData's effect, as x/inference checks it: the job's hash, the model's input spec (without its inline size cap). */
  provideInput(ctx: Context, jobId: bigint, data: Uint8Array): void {
    const j = this.job(ctx.store, jobId);
    if (!j) throw ErrFakeInput.wrap(`no job ${jobId}`);
    if (j.inputUri === "" || createHash("sha256").update(data).digest("hex") !== j.inputSha256) throw ErrFakeInput.wrap(`job ${jobId}: not its input`);
    try {
      decodeInput({ ...MODEL, maxInputBytes: 1n << 20n }, data);
    } catch (e) {
      throw ErrFakeInput.wrap((e as Error).message);
    }
    if (!j.pruned) this.put(ctx.store, { ...j, input: data });
  }

  /** x/inference's pruning of a finished job's bytes. */
  prune(s: KVStore, jobId: bigint): void {
    this.update(s, jobId, (j) => ({ ...j, input: new Uint8Array(), pruned: true }));
  }

  /** The record deleted (the last prune step). */
  remove(s: KVStore, jobId: bigint): void {
    s.delete(this.key(jobId));
  }

  openedResult(s: KVReader, jobId: bigint): { output: Uint8Array; cannotRun: boolean } | undefined {
    const j = this.job(s, jobId);
    return j?.opened ? { output: j.output, cannotRun: j.cannotRun } : undefined;
  }

  /** MsgOpenResult, as x/inference will accept it: only while the job's dispute asks. Opens `output` (default: what was posted). */
  open(ctx: Context, jobId: bigint, output?: Uint8Array): void {
    if (!this.challenge?.wantsOpening(ctx.store, jobId)) throw ErrFakeOpen.wrap(`job ${jobId}`);
    this.update(ctx.store, jobId, (j) => ({ ...j, opened: true, output: output ?? j.posted }));
  }

  /** x/inference's end-block finalization of results whose window has ended undisputed. */
  finalizeDue(ctx: Context): void {
    for (const [k, raw] of ctx.store.iterate("fake/inference/job/")) {
      const j = decodeJob(raw);
      if (j.status !== "result_posted" || j.challengeEndHeight > ctx.block.height) continue;
      const to = j.cannotRun ? j.client : operatorAccount(j.operator);
      this.bank.send(ctx.store, moduleAddress(JOB_ESCROW_MODULE), to, j.fee);
      ctx.store.set(k, encodeJob({ ...j, status: "finalized" }));
    }
  }
}

export interface TestSetup {
  readonly store: MemKV;
  readonly bank: FakeBank;
  readonly staking: FakeStaking;
  readonly slashing: SlashingKeeper;
  readonly models: FakeModels;
  readonly inference: FakeInference;
  readonly k: ChallengeKeeper;
}

/** A store, the fakes, the real slash path and a keeper with `params` over the defaults. */
export function testSetup(params: Partial<ChallengeParams> = {}): TestSetup {
  const store = new MemKV();
  const bank = new FakeBank();
  const staking = new FakeStaking(bank);
  const slashing = new SlashingKeeper({ staking, bank, treasury: TREASURY_MODULE });
  slashing.setParams(store, slashingDefaults());
  const models = new FakeModels();
  const inference = new FakeInference(bank);
  const k = new ChallengeKeeper({ bank, staking, slashing, inference, models, verificationPool: VERIFICATION_POOL_MODULE });
  inference.challenge = k;
  k.setParams(store, { ...defaultParams(), ...params });
  return { store, bank, staking, slashing, models, inference, k };
}

export interface TestValidator {
  readonly operator: string;
  /** The operator's account (same bytes): where its rewards and shares go. */
  readonly account: string;
  readonly worker: string;
}

/** The worker key of test validator `i` (distinct from its operator account). */
export function testWorker(i: number): string {
  return testAccount(100 + i);
}

/** Adds bonded validator `i` with `tokens` whose worker serves `modelIds` (default MODEL). */
export function addValidator(t: TestSetup, i: number, tokens: bigint, modelIds: readonly string[] = [MODEL.id]): TestValidator {
  const v = t.staking.addValidator(t.store, { index: i, tokens });
  const worker = testWorker(i);
  t.staking.setWorker(t.store, v.operator, worker, modelIds);
  return { operator: v.operator, account: v.account, worker };
}

/** A canonical MODEL output far from `sampleOutput()` (diverges under its MAX_ABS_DIFF metric). */
export const WRONG_OUTPUT = sampleOutput(1, 1_000_000n);

/** A fixed 32-byte salt per verifier index. */
export function saltOf(i: number): Uint8Array {
  return new Uint8Array(32).fill(i + 1);
}

/** A verifier's commitment to `output` (empty: cannot run). */
export function commitmentOf(output: Uint8Array, salt: Uint8Array, verifier: string): Uint8Array {
  return verificationCommitment(output, salt, verifier);
}

/** The fake supply's uinf in every account and pool (nothing created or lost unless burned). */
export function supply(t: TestSetup): bigint {
  return totalBalances(t.store);
}

export function balance(t: TestSetup, address: string): bigint {
  return t.bank.getBalance(t.store, address, BASE_DENOM);
}

export function moduleBalance(t: TestSetup, name: string): bigint {
  return balance(t, moduleAddress(name));
}

/** The test chain's block hash at `height` (BLAKE3 of "block <height>"). */
export function hashAt(height: bigint): Uint8Array {
  return blake3(enc.encode(`block ${height}`));
}

/** A finalize context at `height` with `hashAt(height)`. */
export function blockCtx(t: TestSetup, height: bigint): Context {
  return ctxAt(t.store, height, hashAt(height));
}

/** End of block: x/challenge's hook, then x/inference's finalization (app.ts's order). */
export function endBlock(t: TestSetup, ctx: Context): void {
  endBlocker(t.k, ctx);
  t.inference.finalizeDue(ctx);
}

/**
 * One message as BaseApp runs it: validateBasic, then execute on a branch written only if it
 * succeeds. Returns the response, or the AppError it was refused with.
 */
export function deliver<M>(ctx: Context, h: MsgHandler<M>, msg: M): MsgResponse | AppError {
  try {
    h.validateBasic(msg);
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  const r = onBranch(ctx, (c) => h.execute(c, msg));
  if (r.ok) return r.value;
  if (r.error instanceof AppError) return r.error;
  throw r.error;
}

/** The message was refused with `want`'s codespace and code. */
export function expectError(r: MsgResponse | AppError, want: AppError): void {
  expect(r).toBeInstanceOf(AppError);
  expect({ codespace: (r as AppError).codespace, code: (r as AppError).code }).toEqual({ codespace: want.codespace, code: want.code });
}

/** The message succeeded; its response. */
export function expectOk(r: MsgResponse | AppError): MsgResponse {
  if (r instanceof AppError) throw new Error(`refused: ${r.message}`);
  return r;
}

/** Attributes of every event of `type` (without `msg_index`). */
export function attrsOf(events: readonly Event[], type: string): Array<Record<string, string>> {
  return events.filter((e) => e.type === type).map((e) => Object.fromEntries(e.attributes.filter((a) => a.key !== "msg_index").map((a) => [a.key, a.value])));
}
