/**
 * Small fakes of `expectedKeepers.ts` for x/inference's unit tests. Bank and staking extend
 * x/slashing's fakes (state in the KV store under `fake/…`, so a dropped branch rolls them back),
 * and the slash path is the real x/slashing keeper over them: a test can follow every uinf from
 * the client through escrow, stake and pools. Not used by the state machine.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";
import { MsgSubmitResult } from "../../gen/inferchain/inference/v1/tx";
import type { Context } from "../../base/context";
import { EventManager } from "../../base/events";
import { GasMeter } from "../../base/gas";
import { Branch, MemKV, type KVReader, type KVStore } from "../../base/store/kv";
import { moduleAddress } from "../../base/types/address";
import { BASE_DENOM, type Coin } from "../../base/types/coins";
import { decodeInput, decodeOutput, encodeTensorList, isValidModelId, type Model, type QuantizedTensor } from "../models";
import { sampleModel } from "../models/testutil";
import { SlashingKeeper, TREASURY_MODULE } from "../slashing";
import { defaultParams as challengeDefaults } from "../challenge/params";
import { jobAuditRate, maxSecuredFee, minSecuringStake, type SecurityParams } from "../challenge/security";
import { FakeBank as SlashingFakeBank, FakeStaking as SlashingFakeStaking, testAccount, testValidatorAddrs } from "../slashing/testutil";
import type { AccountKeeper, BankKeeper, ChallengeKeeper, ModelWorker, ModelsKeeper, StakingKeeper } from "./expectedKeepers";
import { InferenceKeeper, JOB_ESCROW_MODULE, VERIFICATION_POOL_MODULE } from "./keeper";
import { defaultParams, type InferenceParams } from "./params";
import { openSealedOutput, resultCommitment, sealOutput } from "./seal";
import type { Job } from "./types";

export { testAccount, testValidatorAddrs, TREASURY_MODULE, JOB_ESCROW_MODULE, VERIFICATION_POOL_MODULE };

const enc = new TextEncoder();
const dec = new TextDecoder();

function single(coins: readonly Coin[]): bigint {
  if (coins.length !== 1 || coins[0].denom !== BASE_DENOM) throw new Error("fake bank: one uinf coin at a time");
  return coins[0].amount;
}

/** x/slashing's fake bank, plus what inference asks of bank. */
export class FakeBank extends SlashingFakeBank implements BankKeeper {
  getBalance(s: KVReader, address: string, denom: string): bigint {
    return denom === BASE_DENOM ? this.balance(s, address) : 0n;
  }
  sendCoinsFromAccountToModule(ctx: Context, from: string, module: string, coins: readonly Coin[]): void {
    this.send(ctx.store, from, moduleAddress(module), single(coins));
  }
}

/** x/slashing's fake staking, plus worker keys and `workersForModel`. */
export class FakeStaking extends SlashingFakeStaking implements StakingKeeper {
  /** Authorises `worker` for validator `operator`, serving `modelIds`. */
  setWorker(s: KVStore, operator: string, worker: string, modelIds: readonly string[]): void {
    s.set(`fake/staking/worker/${operator}`, enc.encode([worker, ...modelIds].join("|")));
  }

  workersForModel(s: KVReader, modelId: string): ModelWorker[] {
    const out: ModelWorker[] = [];
    for (const [k, raw] of s.iterate("fake/staking/worker/")) {
      const [worker, ...models] = dec.decode(raw).split("|");
      const v = this.validator(s, k.slice("fake/staking/worker/".length));
      if (!v || v.jailed || !v.bonded || !models.includes(modelId)) continue;
      out.push({ operator: v.operator, worker, tokens: v.tokens });
    }
    return out;
  }
}

/** The secp256k1 secret key of a test account (any address has one: derived from it). */
export function testSecretKey(address: string): Uint8Array {
  return sha256(utf8ToBytes(`inferchain/test-key/${address}`));
}

const pubkeys = new Map<string, Uint8Array>();

/** The compressed public key of `testSecretKey(address)`. */
export function testPubkey(address: string): Uint8Array {
  let p = pubkeys.get(address);
  if (!p) {
    p = secp256k1.getPublicKey(testSecretKey(address), true);
    pubkeys.set(address, p);
  }
  return p;
}

/** Accounts as x/auth has them after their first tx: every address has `testPubkey`, except those in `withoutKey`. */
export class FakeAccounts implements AccountKeeper {
  readonly withoutKey = new Set<string>();
  getAccount(_s: KVReader, address: string): { readonly pubkey?: Uint8Array } | undefined {
    return this.withoutKey.has(address) ? { pubkey: undefined } : { pubkey: testPubkey(address) };
  }
}

/**
 * x/challenge as inference asks it: the jobs whose opening a dispute wants (`want`), and the
 * per-job audit rate by x/challenge's own rule (security.ts) under `security` (default: its
 * default params: 5% base, 25% max, 2× safety, 100% slash).
 */
export class FakeChallenge implements ChallengeKeeper {
  readonly want = new Set<bigint>();
  security: SecurityParams;
  constructor(security: Partial<SecurityParams> = {}) {
    const d = challengeDefaults();
    this.security = { auditRatePpm: d.auditRatePpm, maxAuditRatePpm: d.maxAuditRatePpm, safetyFactorPpm: d.safetyFactorPpm, slashFractionInvalidResultPpm: d.slashFractionInvalidResultPpm, ...security };
  }
  wantsOpening(_s: KVReader, jobId: bigint): boolean {
    return this.want.has(jobId);
  }
  jobAuditRate(_s: KVReader, fee: bigint, stake: bigint): bigint | undefined {
    return jobAuditRate(this.security, fee, stake);
  }
  securityLimits(_s: KVReader, fee: bigint, stake: bigint): { maxFee: bigint; stakeNeeded: bigint | undefined } {
    return { maxFee: maxSecuredFee(this.security, stake, this.security.maxAuditRatePpm), stakeNeeded: minSecuringStake(this.security, fee, this.security.maxAuditRatePpm) };
  }
}

/** A worker's sealed result and its opening: deterministic salt and ephemeral key per job and `label`. */
export interface TestSeal {
  readonly commitment: Uint8Array;
  readonly sealedOutput: Uint8Array;
  readonly output: Uint8Array;
  readonly salt: Uint8Array;
  readonly ephemeralKey: Uint8Array;
}

export function sealFor(job: Pick<Job, "id" | "worker" | "clientPubkey">, output: Uint8Array, label = ""): TestSeal {
  const salt = sha256(utf8ToBytes(`salt/${job.id}/${label}`));
  const ephemeralKey = sha256(utf8ToBytes(`ephemeral/${job.id}/${label}`));
  return { commitment: resultCommitment(job.id, job.worker, output, salt), sealedOutput: sealOutput(job.id, job.clientPubkey, output, salt, ephemeralKey), output, salt, ephemeralKey };
}

/** MsgSubmitResult bytes as `job`'s worker (or `worker`) posts them: `output` sealed to the job's client. */
export function resultMsgBytes(job: Pick<Job, "id" | "worker" | "clientPubkey">, output: Uint8Array = sampleOutput(), o: { cannotRun?: boolean; reason?: string; worker?: string } = {}): Uint8Array {
  const s = sealFor(job, output);
  return MsgSubmitResult.encode({ worker: o.worker ?? job.worker, jobId: job.id, commitment: s.commitment, sealedOutput: s.sealedOutput, cannotRun: o.cannotRun ?? false, reason: o.reason ?? "" }).finish();
}

/** A job's result as its client reads it: the sealed output opened with the client's test key. */
export function clientOutput(job: Pick<Job, "id" | "client" | "sealedOutput">): Uint8Array {
  return openSealedOutput(job.id, job.sealedOutput, testSecretKey(job.client)).output;
}

export class FakeModels implements ModelsKeeper {
  readonly models = new Map<string, Model>();
  add(m: Model): Model {
    this.models.set(m.id, m);
    return m;
  }
  getModel(_s: KVReader, id: string): Model | undefined {
    return this.models.get(id);
  }
  // x/models' own rules, as its keeper offers them.
  isValidModelId(id: string): boolean {
    return isValidModelId(id);
  }
  decodeInput(model: Model, input: Uint8Array): QuantizedTensor[] {
    return decodeInput(model, input);
  }
  decodeOutput(model: Model, output: Uint8Array): QuantizedTensor[] {
    return decodeOutput(model, output);
  }
}

/** A finalize-mode context at `height` whose block hash is `hash` (default: 32 bytes of the height). */
export function ctxAt(store: KVStore, height: bigint, hash?: Uint8Array, gasLimit?: bigint): Context {
  return {
    store,
    gas: new GasMeter(gasLimit),
    events: new EventManager(),
    block: { chainId: "test", height, timeSeconds: 0n, hash: hash ?? new Uint8Array(32).fill(Number(height % 256n)), proposer: new Uint8Array(20) },
    mode: "finalize",
  };
}

/** Runs a message handler the way BaseApp does: decode, validateBasic, then execute on a branch written only on success; returns the response bytes. */
export function deliver<M>(
  t: Pick<TestSetup, "store">,
  h: { decode(b: Uint8Array): M; validateBasic(m: M): void; execute(c: Context, m: M): { value: Uint8Array } },
  bytes: Uint8Array,
  height: bigint,
  gasLimit?: bigint,
): Uint8Array {
  const msg = h.decode(bytes);
  h.validateBasic(msg);
  const branch = new Branch(t.store);
  const out = h.execute(ctxAt(branch, height, undefined, gasLimit), msg);
  branch.write();
  return out.value;
}

/** The sample model (x float32 [-1,16] → y float32 [-1,8], sla 10, min_fee 1000). */
export const MODEL = sampleModel();

/** A canonical input for MODEL: `rows` rows of 16 values from `base` (a large base makes ~10-byte varints). */
export function sampleInput(rows = 1, base = 0n): Uint8Array {
  return encodeTensorList([{ name: "x", shape: [BigInt(rows), 16n], values: Array.from({ length: rows * 16 }, (_, i) => base + BigInt(i)) }]);
}

/** A canonical output for MODEL: `rows` rows of 8 values from `base`. */
export const BIG = 1n << 60n;
export function sampleOutput(rows = 1, base = 0n): Uint8Array {
  return encodeTensorList([{ name: "y", shape: [BigInt(rows), 8n], values: Array.from({ length: rows * 8 }, (_, i) => base + BigInt(i)) }]);
}

export interface TestValidator {
  readonly operator: string;
  readonly account: string;
  readonly worker: string;
}

export interface TestSetup {
  readonly store: MemKV;
  readonly accounts: FakeAccounts;
  readonly bank: FakeBank;
  readonly staking: FakeStaking;
  readonly slashing: SlashingKeeper;
  readonly models: FakeModels;
  readonly k: InferenceKeeper;
}

/** A store, the fakes, the real slash path and a keeper with `params` over the defaults; MODEL is registered. */
export function testSetup(params: Partial<InferenceParams> = {}): TestSetup {
  const store = new MemKV();
  const accounts = new FakeAccounts();
  const bank = new FakeBank();
  const staking = new FakeStaking(bank);
  const slashing = new SlashingKeeper({ staking, bank });
  const models = new FakeModels();
  models.add(MODEL);
  const k = new InferenceKeeper({ accounts, bank, staking, slashing, models, treasury: TREASURY_MODULE });
  k.setParams(store, { ...defaultParams(), ...params });
  return { store, accounts, bank, staking, slashing, models, k };
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

/** The client account used by tests, funded with `amount`. */
export function fundedClient(t: TestSetup, amount: bigint, i = 1): string {
  const client = testAccount(i);
  t.bank.mint(t.store, client, amount);
  return client;
}

/** Sum of uinf over every fake account (fake supply check: nothing created or lost). */
export function totalBalances(s: KVReader): bigint {
  let sum = 0n;
  for (const [, v] of s.iterate("fake/bank/")) sum += BigInt(dec.decode(v));
  return sum;
}
