/**
 * x/staking message handlers, fed the wire bytes CosmJS produces (cosmjs-types encoders,
 * Cosmos Dec atomics), through decode → validateBasic → execute on a branch, as BaseApp runs
 * them; and the query handlers, answered in the Cosmos wire types CosmJS decodes.
 */
import { toBech32 } from "@cosmjs/encoding";
import { sha256 } from "@noble/hashes/sha2.js";
import { PubKey as Ed25519PubKey } from "cosmjs-types/cosmos/crypto/ed25519/keys";
import { PubKey as Secp256k1PubKey } from "cosmjs-types/cosmos/crypto/secp256k1/keys";
import {
  QueryDelegationRequest,
  QueryDelegationResponse,
  QueryDelegatorDelegationsRequest,
  QueryDelegatorDelegationsResponse,
  QueryParamsRequest,
  QueryParamsResponse,
  QueryPoolRequest,
  QueryPoolResponse,
  QueryUnbondingDelegationRequest,
  QueryUnbondingDelegationResponse,
  QueryValidatorRequest,
  QueryValidatorResponse,
  QueryValidatorsRequest,
  QueryValidatorsResponse,
} from "cosmjs-types/cosmos/staking/v1beta1/query";
import { MsgCreateValidator, MsgDelegate, MsgUndelegate, MsgUndelegateResponse, MsgUpdateParams as CosmosMsgUpdateParams } from "cosmjs-types/cosmos/staking/v1beta1/tx";
import { MsgRegisterWorker, MsgUpdateParams } from "../../gen/inferchain/staking/v1/tx";
import { QueryWorkerRequest, QueryWorkerResponse, QueryWorkersForModelRequest, QueryWorkersForModelResponse } from "../../gen/inferchain/staking/v1/query";
import type { Context } from "../../base/context";
import { AppError, ErrInsufficientFunds, ErrInvalidAddress, ErrInvalidCoins } from "../../base/errors";
import { EventManager } from "../../base/events";
import { GasMeter } from "../../base/gas";
import type { AnyMsgHandler, MsgResponse } from "../../base/module";
import { QueryError } from "../../base/query";
import { Branch, MemKV, type KVReader, type KVStore } from "../../base/store/kv";
import { moduleAddress } from "../../base/types/address";
import { isValidModelId } from "../models";
import type { Coin } from "../../base/types/coins";
import { endBlocker } from "./abci";
import * as errors from "./errors";
import type { BankKeeper, StakingDeps } from "./expectedKeepers";
import { BondStatus, StakingKeeper } from "./keeper";
import { stakingMsgHandlers } from "./msgServer";
import { defaultParams } from "./params";
import { stakingQueries } from "./queries";

const INF = 1_000_000n;
const DEC = (s: string): string => {
  // "0.1" → Cosmos Dec atomics "100000000000000000"
  const [i, f = ""] = s.split(".");
  return (BigInt(i) * 10n ** 18n + BigInt((f + "0".repeat(18)).slice(0, 18))).toString();
};

class FakeBank implements BankKeeper {
  getBalance(s: KVReader, address: string, denom: string): bigint {
    const raw = s.get(`fakebank/${address}/${denom}`);
    return raw ? BigInt(new TextDecoder().decode(raw)) : 0n;
  }
  set(s: KVStore, address: string, denom: string, amount: bigint): void {
    if (amount === 0n) s.delete(`fakebank/${address}/${denom}`);
    else s.set(`fakebank/${address}/${denom}`, new TextEncoder().encode(amount.toString()));
  }
  private send(s: KVStore, from: string, to: string, coins: readonly Coin[]): void {
    for (const c of coins) {
      const have = this.getBalance(s, from, c.denom);
      if (have < c.amount) throw ErrInsufficientFunds.wrap(`${from} has ${have}`);
      this.set(s, from, c.denom, have - c.amount);
      this.set(s, to, c.denom, this.getBalance(s, to, c.denom) + c.amount);
    }
  }
  sendCoinsFromAccountToModule(ctx: Context, from: string, module: string, coins: readonly Coin[]): void {
    this.send(ctx.store, from, moduleAddress(module), coins);
  }
  sendCoinsFromModuleToAccount(ctx: Context, module: string, to: string, coins: readonly Coin[]): void {
    this.send(ctx.store, moduleAddress(module), to, coins);
  }
  sendCoinsFromModuleToModule(ctx: Context, from: string, to: string, coins: readonly Coin[]): void {
    this.send(ctx.store, moduleAddress(from), moduleAddress(to), coins);
  }
}

interface Actor {
  readonly account: string;
  readonly operator: string;
  readonly consPubkey: Uint8Array;
}
function actor(name: string): Actor {
  const bytes = sha256(new TextEncoder().encode(name)).slice(0, 20);
  return { account: toBech32("infer", bytes), operator: toBech32("infervaloper", bytes), consPubkey: sha256(new TextEncoder().encode(`cons/${name}`)) };
}

const code = (e: AppError): string => `${e.codespace}/${e.code}`;

/** A fake model registry: x/models' id rule over a fixed set of registered ids. */
class FakeModels {
  readonly registered = new Set(["resnet50", "bert-base", "mlp-16x8"]);
  isValidModelId(id: string): boolean {
    return isValidModelId(id);
  }
  hasModel(_s: KVReader, id: string): boolean {
    return this.registered.has(id);
  }
}

class Chain {
  readonly root = new MemKV();
  readonly bank = new FakeBank();
  readonly staking = new StakingKeeper(this.bank);
  readonly models = new FakeModels();
  /** x/slashing's max_evidence_age_blocks as staking sees it. */
  evidenceAge = 2n;
  readonly deps: StakingDeps = { models: this.models, evidence: { maxEvidenceAgeBlocks: () => this.evidenceAge } };
  readonly handlers = new Map<string, AnyMsgHandler>(stakingMsgHandlers(this.staking, this.deps).map((h) => [h.typeUrl, h]));
  readonly queries = new Map(stakingQueries(this.staking, this.models).map((q) => [q.path, q]));
  height = 1n;
  lastEvents = new EventManager();

  constructor() {
    this.staking.setParams(this.root, { ...defaultParams(), unbondingBlocks: 5n, paramsAuthority: actor("gov-key").account });
  }
  fund(a: string, amount: bigint): void {
    this.bank.set(this.root, a, "uinf", this.bank.getBalance(this.root, a, "uinf") + amount);
  }
  balance(a: string): bigint {
    return this.bank.getBalance(this.root, a, "uinf");
  }

  /** decode → validateBasic → execute on a branch written only on success (as BaseApp runs a message). */
  deliver(typeUrl: string, value: Uint8Array): { signers: readonly string[]; response: MsgResponse } {
    const h = this.handlers.get(typeUrl);
    if (!h) throw new Error(`no handler for ${typeUrl}`);
    const msg = h.decode(value);
    h.validateBasic(msg);
    const signers = h.signers(msg);
    const branch = new Branch(this.root);
    this.lastEvents = new EventManager();
    const ctx: Context = { store: branch, gas: new GasMeter(undefined), events: this.lastEvents, block: { chainId: "t", height: this.height, timeSeconds: 0n, hash: new Uint8Array(32), proposer: new Uint8Array(20) }, mode: "finalize" };
    const response = h.execute(ctx, msg);
    branch.write();
    return { signers, response };
  }

  /** The error code a delivery fails with. */
  refuse(typeUrl: string, value: Uint8Array): string {
    try {
      this.deliver(typeUrl, value);
    } catch (e) {
      if (e instanceof AppError) return code(e);
      throw e;
    }
    return "accepted";
  }

  endBlock(): void {
    const branch = new Branch(this.root);
    endBlocker(this.staking, { store: branch, gas: new GasMeter(undefined), events: new EventManager(), block: { chainId: "t", height: this.height, timeSeconds: 0n, hash: new Uint8Array(32), proposer: new Uint8Array(20) }, mode: "finalize" });
    branch.write();
    this.height++;
  }

  query<Res>(path: string, req: Uint8Array, res: { decode(b: Uint8Array): Res }): Res {
    const q = this.queries.get(path);
    if (!q) throw new Error(`no query ${path}`);
    return res.decode(q.handle({ store: this.root, height: this.height }, req));
  }

  queryError(path: string, req: Uint8Array): number {
    try {
      this.queries.get(path)!.handle({ store: this.root, height: this.height }, req);
    } catch (e) {
      if (e instanceof QueryError) return e.grpcCode;
      throw e;
    }
    return 0;
  }

  attrs(type: string): Record<string, string> {
    const e = this.lastEvents.events().find((x) => x.type === type);
    return e ? Object.fromEntries(e.attributes.map((a) => [a.key, a.value])) : {};
  }
}

function createValidatorBytes(a: Actor, amount: bigint, over: Partial<MsgCreateValidator> = {}): Uint8Array {
  return MsgCreateValidator.encode(
    MsgCreateValidator.fromPartial({
      description: { moniker: "alice-node" },
      commission: { rate: DEC("0.1"), maxRate: DEC("0.2"), maxChangeRate: DEC("0.01") },
      minSelfDelegation: "1",
      delegatorAddress: "",
      validatorAddress: a.operator,
      pubkey: { typeUrl: "/cosmos.crypto.ed25519.PubKey", value: Ed25519PubKey.encode({ key: a.consPubkey }).finish() },
      value: { denom: "uinf", amount: amount.toString() },
      ...over,
    }),
  ).finish();
}

const CREATE = "/cosmos.staking.v1beta1.MsgCreateValidator";
const DELEGATE = "/cosmos.staking.v1beta1.MsgDelegate";
const UNDELEGATE = "/cosmos.staking.v1beta1.MsgUndelegate";
const COSMOS_PARAMS = "/cosmos.staking.v1beta1.MsgUpdateParams";
const OWN_PARAMS = "/inferchain.staking.v1.MsgUpdateParams";
const WORKER = "/inferchain.staking.v1.MsgRegisterWorker";

describe("MsgCreateValidator", () => {
  test("Cosmos Dec atomics become ppm; the signer is the operator's account; the validator and its self-delegation exist", () => {
    const c = new Chain();
    const a = actor("alice");
    c.fund(a.account, 20n * INF);
    const { signers, response } = c.deliver(CREATE, createValidatorBytes(a, 10n * INF));
    expect(signers).toEqual([a.account]);
    expect(response.typeUrl).toBe("/cosmos.staking.v1beta1.MsgCreateValidatorResponse");
    const v = c.staking.getValidator(c.root, a.operator)!;
    expect(v.commission).toEqual({ ratePpm: 100_000, maxRatePpm: 200_000, maxChangeRatePpm: 10_000 });
    expect(v.tokens).toBe(10n * INF);
    expect(c.attrs("create_validator")).toEqual({ validator: a.operator, amount: "10000000uinf" });
    expect(c.balance(a.account)).toBe(10n * INF);
  });

  test("malformed messages are refused with their own codes before touching state", () => {
    const c = new Chain();
    const a = actor("alice");
    c.fund(a.account, 20n * INF);
    const ed = (key: Uint8Array) => ({ typeUrl: "/cosmos.crypto.ed25519.PubKey", value: Ed25519PubKey.encode({ key }).finish() });
    const cases: Array<[string, Partial<MsgCreateValidator>, string]> = [
      ["rate finer than ppm", { commission: { rate: "100000000000000001", maxRate: DEC("0.2"), maxChangeRate: DEC("0.01") } }, code(errors.ErrBadCommission)],
      ["rate as a decimal string", { commission: { rate: "0.1", maxRate: DEC("0.2"), maxChangeRate: DEC("0.01") } }, code(errors.ErrBadCommission)],
      ["rate above max rate", { commission: { rate: DEC("0.3"), maxRate: DEC("0.2"), maxChangeRate: DEC("0.01") } }, code(errors.ErrBadCommission)],
      ["max rate above 100%", { commission: { rate: DEC("0.3"), maxRate: DEC("1.5"), maxChangeRate: DEC("0.01") } }, code(errors.ErrBadCommission)],
      ["secp256k1 consensus key", { pubkey: { typeUrl: "/cosmos.crypto.secp256k1.PubKey", value: Secp256k1PubKey.encode({ key: new Uint8Array(33) }).finish() } }, code(errors.ErrBadConsensusKey)],
      ["short ed25519 key", { pubkey: ed(new Uint8Array(31)) }, code(errors.ErrBadConsensusKey)],
      ["no key", { pubkey: undefined }, code(errors.ErrBadConsensusKey)],
      ["someone else's delegator address", { delegatorAddress: actor("bob").account }, code(ErrInvalidAddress)],
      ["account address as validator address", { validatorAddress: a.account }, code(ErrInvalidAddress)],
      ["zero self-delegation", { value: { denom: "uinf", amount: "0" } }, code(ErrInvalidCoins)],
      ["zero min self-delegation", { minSelfDelegation: "0" }, code(errors.ErrBadMinSelfDelegation)],
      ["value below own min self-delegation", { minSelfDelegation: "20000000" }, code(errors.ErrSelfDelegationBelowMinimum)],
      ["empty moniker", { description: { moniker: " ", identity: "", website: "", securityContact: "", details: "" } }, code(errors.ErrBadDescription)],
      ["other denom", { value: { denom: "uatom", amount: "10000000" } }, code(errors.ErrBadDenom)],
    ];
    const got = cases.map(([name, over]) => [name, c.refuse(CREATE, createValidatorBytes(a, 10n * INF, over))]);
    expect(got).toEqual(cases.map(([name, , want]) => [name, want]));
    expect(c.staking.getValidator(c.root, a.operator)).toBeUndefined();
    // The same message, well formed, passes (so the cases above fail for their own reason).
    expect(c.refuse(CREATE, createValidatorBytes(a, 10n * INF, { delegatorAddress: a.account }))).toBe("accepted");
  });

  test("an account registered as some validator's worker cannot create a validator", () => {
    const c = new Chain();
    const a = actor("alice");
    const w = actor("worker");
    c.fund(a.account, 20n * INF);
    c.fund(w.account, 20n * INF);
    c.deliver(CREATE, createValidatorBytes(a, 10n * INF));
    c.deliver(WORKER, MsgRegisterWorker.encode({ operator: a.operator, worker: w.account, modelIds: [] }).finish());
    expect(c.refuse(CREATE, createValidatorBytes(w, 10n * INF))).toBe(code(errors.ErrOperatorIsWorker));
  });
});

describe("MsgDelegate / MsgUndelegate", () => {
  test("delegate and undelegate as CosmJS encodes them; events carry Cosmos attributes and the completion height", () => {
    const c = new Chain();
    const a = actor("alice");
    const d = actor("dave");
    c.fund(a.account, 20n * INF);
    c.fund(d.account, 20n * INF);
    c.deliver(CREATE, createValidatorBytes(a, 10n * INF));
    c.endBlock();
    const del = c.deliver(DELEGATE, MsgDelegate.encode({ delegatorAddress: d.account, validatorAddress: a.operator, amount: { denom: "uinf", amount: "4000000" } }).finish());
    expect(del.signers).toEqual([d.account]);
    expect(c.attrs("delegate")).toEqual({ validator: a.operator, delegator: d.account, amount: "4000000uinf", new_shares: (4n * INF * 10n ** 18n).toString() });
    expect(c.refuse(DELEGATE, MsgDelegate.encode({ delegatorAddress: d.account, validatorAddress: a.operator, amount: { denom: "stake", amount: "1" } }).finish())).toBe(code(errors.ErrBadDenom));
    expect(c.refuse(DELEGATE, MsgDelegate.encode({ delegatorAddress: d.account, validatorAddress: actor("x").operator, amount: { denom: "uinf", amount: "1" } }).finish())).toBe(code(errors.ErrNoValidator));
    expect(c.refuse(DELEGATE, MsgDelegate.encode({ delegatorAddress: d.account, validatorAddress: a.operator, amount: { denom: "uinf", amount: "17000000" } }).finish())).toBe(code(ErrInsufficientFunds));

    c.height = 7n;
    const und = c.deliver(UNDELEGATE, MsgUndelegate.encode({ delegatorAddress: d.account, validatorAddress: a.operator, amount: { denom: "uinf", amount: "1500000" } }).finish());
    expect(und.response.typeUrl).toBe("/cosmos.staking.v1beta1.MsgUndelegateResponse");
    expect(MsgUndelegateResponse.decode(und.response.value).amount).toEqual({ denom: "uinf", amount: "1500000" });
    expect(c.attrs("unbond")).toMatchObject({ validator: a.operator, delegator: d.account, amount: "1500000uinf", completion_height: "12" });
    expect(c.refuse(UNDELEGATE, MsgUndelegate.encode({ delegatorAddress: d.account, validatorAddress: a.operator, amount: { denom: "uinf", amount: "2500001" } }).finish())).toBe(code(errors.ErrInsufficientShares));
  });
});

describe("params", () => {
  test("only params_authority may update; the Cosmos message maps unbonding_time seconds to blocks and keeps the rest", () => {
    const c = new Chain();
    const gov = actor("gov-key");
    const mallory = actor("mallory");
    const cosmos = (authority: string, over: Record<string, unknown> = {}): Uint8Array =>
      CosmosMsgUpdateParams.encode(
        CosmosMsgUpdateParams.fromPartial({
          authority,
          params: { unbondingTime: { seconds: 50n, nanos: 0 }, maxValidators: 7, maxEntries: 3, historicalEntries: 0, bondDenom: "uinf", minCommissionRate: DEC("0.05"), ...over },
        }),
      ).finish();
    expect(c.refuse(COSMOS_PARAMS, cosmos(mallory.account))).toBe(code(errors.ErrUnauthorizedParams));
    expect(c.staking.getParams(c.root).unbondingBlocks).toBe(5n);
    expect(c.refuse(COSMOS_PARAMS, cosmos(gov.account, { bondDenom: "uother" }))).toBe(code(errors.ErrInvalidParams));
    expect(c.refuse(COSMOS_PARAMS, cosmos(gov.account, { maxValidators: 0 }))).toBe(code(errors.ErrInvalidParams));
    expect(c.refuse(COSMOS_PARAMS, cosmos(gov.account, { unbondingTime: { seconds: 50n, nanos: 1 } }))).toBe(code(errors.ErrInvalidParams));
    const { signers } = c.deliver(COSMOS_PARAMS, cosmos(gov.account));
    expect(signers).toEqual([gov.account]);
    expect(c.staking.getParams(c.root)).toEqual({ ...defaultParams(), paramsAuthority: gov.account, unbondingBlocks: 50n, maxValidators: 7, maxEntries: 3, minCommissionRatePpm: 50_000 });

    const q = c.query("/cosmos.staking.v1beta1.Query/Params", QueryParamsRequest.encode({}).finish(), QueryParamsResponse);
    expect(q.params).toMatchObject({ unbondingTime: { seconds: 50n, nanos: 0 }, maxValidators: 7, maxEntries: 3, bondDenom: "uinf", minCommissionRate: DEC("0.05") });
  });

  test("inferchain's MsgUpdateParams sets every param, including the authority (which then changes hands)", () => {
    const c = new Chain();
    const gov = actor("gov-key");
    const next = actor("next-gov");
    const full = (authority: string, paramsAuthority: string): Uint8Array =>
      MsgUpdateParams.encode({
        authority,
        params: { unbondingBlocks: 9n, maxValidators: 4, maxEntries: 2, bondDenom: "uinf", minSelfDelegation: "2000000", paramsAuthority, minCommissionRatePpm: 0 },
      }).finish();
    expect(c.refuse(OWN_PARAMS, full(next.account, next.account))).toBe(code(errors.ErrUnauthorizedParams));
    expect(c.refuse(OWN_PARAMS, full(gov.account, "not-an-address"))).toBe(code(errors.ErrInvalidParams));
    c.deliver(OWN_PARAMS, full(gov.account, next.account));
    expect(c.staking.getParams(c.root)).toMatchObject({ unbondingBlocks: 9n, minSelfDelegation: 2_000_000n, paramsAuthority: next.account });
    expect(c.refuse(OWN_PARAMS, full(gov.account, gov.account))).toBe(code(errors.ErrUnauthorizedParams));
    expect(c.refuse(OWN_PARAMS, full(next.account, gov.account))).toBe("accepted");
  });
});

describe("MsgRegisterWorker", () => {
  test("the operator authorises a hot key; it replaces the previous one; the key is never the operator and never shared", () => {
    const c = new Chain();
    const a = actor("alice");
    const b = actor("bob");
    const w1 = actor("w1");
    const w2 = actor("w2");
    c.fund(a.account, 20n * INF);
    c.fund(b.account, 20n * INF);
    c.deliver(CREATE, createValidatorBytes(a, 10n * INF));
    c.deliver(CREATE, createValidatorBytes(b, 10n * INF));
    c.endBlock();
    const reg = (op: Actor, worker: string, modelIds: string[]): Uint8Array => MsgRegisterWorker.encode({ operator: op.operator, worker, modelIds }).finish();

    const { signers } = c.deliver(WORKER, reg(a, w1.account, ["resnet50", "bert-base"]));
    // The worker key co-signs; the operator's account signs first (and so pays the fee).
    expect(signers).toEqual([a.account, w1.account]);
    expect(c.attrs("register_worker")).toEqual({ validator: a.operator, worker: w1.account, model_ids: "resnet50,bert-base" });
    expect(c.staking.workerOf(c.root, a.operator)).toBe(w1.account);

    expect(c.refuse(WORKER, reg(a, a.account, []))).toBe(code(errors.ErrWorkerIsOperator));
    expect(c.refuse(WORKER, reg(a, b.account, []))).toBe(code(errors.ErrWorkerIsOperator));
    expect(c.refuse(WORKER, reg(b, w1.account, []))).toBe(code(errors.ErrWorkerInUse));
    expect(c.refuse(WORKER, reg(actor("nobody"), w2.account, []))).toBe(code(errors.ErrNoValidator));
    expect(c.refuse(WORKER, reg(a, w2.account, ["a/b"]))).toBe(code(errors.ErrBadModelId));
    expect(c.refuse(WORKER, reg(a, w2.account, ["resnet50", "resnet50"]))).toBe(code(errors.ErrBadModelId));

    c.deliver(WORKER, reg(a, w2.account, ["bert-base"]));
    expect(c.staking.operatorOfWorker(c.root, w1.account)).toBeUndefined();
    const q = c.query("/inferchain.staking.v1.Query/Worker", QueryWorkerRequest.encode({ operatorAddress: "", workerAddress: w2.account }).finish(), QueryWorkerResponse);
    expect(q.worker).toEqual({ operatorAddress: a.operator, workerAddress: w2.account, modelIds: ["bert-base"] });
    expect(c.queryError("/inferchain.staking.v1.Query/Worker", QueryWorkerRequest.encode({ operatorAddress: "", workerAddress: w1.account }).finish())).toBe(5);
    const m = c.query("/inferchain.staking.v1.Query/WorkersForModel", QueryWorkersForModelRequest.encode({ modelId: "bert-base" }).finish(), QueryWorkersForModelResponse);
    expect(m.workers).toEqual([{ operatorAddress: a.operator, workerAddress: w2.account, tokens: "10000000" }]);
    // Now w1 is free again and bob may take it.
    expect(c.refuse(WORKER, reg(b, w1.account, ["resnet50"]))).toBe("accepted");
  });
});

describe("MsgRegisterWorker: one model-id rule, registered models only", () => {
  test("ids follow x/models' rule (staking's old rule allowed upper case and `:`); unregistered models are refused with their own code", () => {
    const c = new Chain();
    const a = actor("alice");
    const w = actor("w");
    c.fund(a.account, 20n * INF);
    c.deliver(CREATE, createValidatorBytes(a, 10n * INF));
    const reg = (modelIds: string[]): Uint8Array => MsgRegisterWorker.encode({ operator: a.operator, worker: w.account, modelIds }).finish();
    expect(c.refuse(WORKER, reg(["Resnet50"]))).toBe(code(errors.ErrBadModelId));
    expect(c.refuse(WORKER, reg(["resnet:50"]))).toBe(code(errors.ErrBadModelId));
    expect(c.refuse(WORKER, reg(["resnet50", "gpt-9"]))).toBe(code(errors.ErrUnknownModel));
    expect(c.staking.workerOf(c.root, a.operator)).toBeUndefined();
    expect(c.refuse(WORKER, reg(["resnet50", "mlp-16x8"]))).toBe("accepted");
    // WorkersForModel answers by the same rule.
    expect(c.queryError("/inferchain.staking.v1.Query/WorkersForModel", QueryWorkersForModelRequest.encode({ modelId: "Resnet50" }).finish())).toBe(3);
  });
});

describe("params: bounds and the evidence age", () => {
  const full = (authority: string, over: Partial<Record<string, unknown>> = {}): Uint8Array =>
    MsgUpdateParams.encode({
      authority,
      params: { unbondingBlocks: 9n, maxValidators: 4, maxEntries: 2, bondDenom: "uinf", minSelfDelegation: "2000000", paramsAuthority: authority, minCommissionRatePpm: 0, ...over },
    }).finish();

  test("every count and height param has an upper bound; the edges are accepted", () => {
    const c = new Chain();
    const gov = actor("gov-key").account;
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["unbonding_blocks 10^9", { unbondingBlocks: 1_000_000_000n }, "accepted"],
      ["unbonding_blocks 10^9 + 1", { unbondingBlocks: 1_000_000_001n }, code(errors.ErrInvalidParams)],
      ["unbonding_blocks 2^64 - 1", { unbondingBlocks: (1n << 64n) - 1n }, code(errors.ErrInvalidParams)],
      ["max_validators 10000", { maxValidators: 10_000 }, "accepted"],
      ["max_validators 10001", { maxValidators: 10_001 }, code(errors.ErrInvalidParams)],
      ["max_entries 1000", { maxEntries: 1000 }, "accepted"],
      ["max_entries 1001", { maxEntries: 1001 }, code(errors.ErrInvalidParams)],
      ["max_entries 2^32 - 1", { maxEntries: 0xffff_ffff }, code(errors.ErrInvalidParams)],
      ["min_self_delegation 2^256", { minSelfDelegation: (1n << 256n).toString() }, code(errors.ErrInvalidParams)],
    ];
    expect(cases.map(([name, over]) => [name, c.refuse(OWN_PARAMS, full(gov, over))])).toEqual(cases.map(([name, , want]) => [name, want]));
  });

  test("unbonding_blocks must stay above x/slashing's max_evidence_age_blocks and CometBFT's evidence age", () => {
    const c = new Chain();
    const gov = actor("gov-key").account;
    c.evidenceAge = 9n;
    expect(c.refuse(OWN_PARAMS, full(gov, { unbondingBlocks: 9n }))).toBe(code(errors.ErrUnbondingShorterThanEvidenceAge));
    expect(c.refuse(OWN_PARAMS, full(gov, { unbondingBlocks: 10n }))).toBe("accepted");
    // The Cosmos message is checked the same way.
    const cosmos = CosmosMsgUpdateParams.encode(
      CosmosMsgUpdateParams.fromPartial({ authority: gov, params: { unbondingTime: { seconds: 5n, nanos: 0 }, maxValidators: 7, maxEntries: 3, historicalEntries: 0, bondDenom: "uinf", minCommissionRate: "0" } }),
    ).finish();
    expect(c.refuse(COSMOS_PARAMS, cosmos)).toBe(code(errors.ErrUnbondingShorterThanEvidenceAge));
    // CometBFT's age from InitChain counts too.
    c.evidenceAge = 1n;
    c.staking.setConsensusEvidenceMaxAge(c.root, 20n);
    expect(c.refuse(OWN_PARAMS, full(gov, { unbondingBlocks: 20n }))).toBe(code(errors.ErrUnbondingShorterThanEvidenceAge));
    expect(c.refuse(OWN_PARAMS, full(gov, { unbondingBlocks: 21n }))).toBe("accepted");
  });
});

describe("Cosmos staking queries", () => {
  function threeValidators(): { c: Chain; vs: Actor[] } {
    const c = new Chain();
    const vs = ["v1", "v2", "v3"].map(actor);
    for (const [i, v] of vs.entries()) {
      c.fund(v.account, 100n * INF);
      c.deliver(CREATE, createValidatorBytes(v, BigInt(i + 2) * INF));
    }
    return { c, vs };
  }

  test("Validators: status filter, key and offset pagination, total", () => {
    const { c, vs } = threeValidators();
    c.staking.setParams(c.root, { ...c.staking.getParams(c.root), maxValidators: 2 });
    c.endBlock();
    const sorted = vs.map((v) => v.operator).sort();
    const page = (status: string, pagination?: object) => c.query("/cosmos.staking.v1beta1.Query/Validators", QueryValidatorsRequest.encode(QueryValidatorsRequest.fromPartial({ status, pagination })).finish(), QueryValidatorsResponse);

    const all = page("");
    expect(all.validators.map((v) => v.operatorAddress)).toEqual(sorted);
    expect(all.pagination?.total).toBe(3n);
    const bonded = page("BOND_STATUS_BONDED");
    expect(bonded.validators.map((v) => v.operatorAddress).sort()).toEqual([vs[1].operator, vs[2].operator].sort());
    expect(bonded.validators.every((v) => v.status === 3)).toBe(true);
    expect(page("BOND_STATUS_UNBONDED").validators.map((v) => v.operatorAddress)).toEqual([vs[0].operator]);

    const first = page("", { limit: 2n, countTotal: true });
    expect(first.validators.map((v) => v.operatorAddress)).toEqual(sorted.slice(0, 2));
    expect(first.pagination?.total).toBe(3n);
    expect(page("", { limit: 2n }).pagination?.total).toBe(0n); // Cosmos: counted only when asked or with limit 0
    const second = page("", { limit: 2n, key: first.pagination!.nextKey });
    expect(second.validators.map((v) => v.operatorAddress)).toEqual(sorted.slice(2));
    expect(second.pagination?.nextKey.length).toBe(0);
    expect(page("", { offset: 1n, limit: 1n }).validators.map((v) => v.operatorAddress)).toEqual([sorted[1]]);
    expect(c.queryError("/cosmos.staking.v1beta1.Query/Validators", QueryValidatorsRequest.encode(QueryValidatorsRequest.fromPartial({ status: "BONDED" })).finish())).toBe(3);
  });

  test("Validator, Delegation, DelegatorDelegations, UnbondingDelegation and Pool in the Cosmos wire shape", () => {
    const { c, vs } = threeValidators();
    c.endBlock();
    const d = actor("dave");
    c.fund(d.account, 10n * INF);
    c.deliver(DELEGATE, MsgDelegate.encode({ delegatorAddress: d.account, validatorAddress: vs[0].operator, amount: { denom: "uinf", amount: "3000000" } }).finish());
    c.deliver(UNDELEGATE, MsgUndelegate.encode({ delegatorAddress: d.account, validatorAddress: vs[0].operator, amount: { denom: "uinf", amount: "1000000" } }).finish());

    const v = c.query("/cosmos.staking.v1beta1.Query/Validator", QueryValidatorRequest.encode({ validatorAddr: vs[0].operator }).finish(), QueryValidatorResponse).validator!;
    expect(v).toMatchObject({
      operatorAddress: vs[0].operator,
      jailed: false,
      status: BondStatus.BOND_STATUS_BONDED,
      tokens: "4000000",
      delegatorShares: (4n * INF * 10n ** 18n).toString(),
      description: { moniker: "alice-node" },
      commission: { commissionRates: { rate: DEC("0.1"), maxRate: DEC("0.2"), maxChangeRate: DEC("0.01") } },
      minSelfDelegation: "1",
    });
    expect(v.consensusPubkey?.typeUrl).toBe("/cosmos.crypto.ed25519.PubKey");
    expect(Ed25519PubKey.decode(v.consensusPubkey!.value).key).toEqual(vs[0].consPubkey);
    expect(c.queryError("/cosmos.staking.v1beta1.Query/Validator", QueryValidatorRequest.encode({ validatorAddr: actor("x").operator }).finish())).toBe(5);

    const del = c.query("/cosmos.staking.v1beta1.Query/Delegation", QueryDelegationRequest.encode({ delegatorAddr: d.account, validatorAddr: vs[0].operator }).finish(), QueryDelegationResponse);
    expect(del.delegationResponse).toEqual({
      delegation: { delegatorAddress: d.account, validatorAddress: vs[0].operator, shares: (2n * INF * 10n ** 18n).toString() },
      balance: { denom: "uinf", amount: "2000000" },
    });
    expect(c.queryError("/cosmos.staking.v1beta1.Query/Delegation", QueryDelegationRequest.encode({ delegatorAddr: d.account, validatorAddr: vs[1].operator }).finish())).toBe(5);
    const dd = c.query("/cosmos.staking.v1beta1.Query/DelegatorDelegations", QueryDelegatorDelegationsRequest.encode(QueryDelegatorDelegationsRequest.fromPartial({ delegatorAddr: d.account })).finish(), QueryDelegatorDelegationsResponse);
    expect(dd.delegationResponses.map((r) => r.balance.amount)).toEqual(["2000000"]);
    expect(dd.pagination?.total).toBe(1n);

    const ub = c.query("/cosmos.staking.v1beta1.Query/UnbondingDelegation", QueryUnbondingDelegationRequest.encode({ delegatorAddr: d.account, validatorAddr: vs[0].operator }).finish(), QueryUnbondingDelegationResponse);
    expect(ub.unbond?.entries).toHaveLength(1);
    expect(ub.unbond?.entries[0]).toMatchObject({ creationHeight: c.height, initialBalance: "1000000", balance: "1000000", unbondingId: 1n });

    const pool = c.query("/cosmos.staking.v1beta1.Query/Pool", QueryPoolRequest.encode({}).finish(), QueryPoolResponse).pool!;
    expect(pool).toEqual({ bondedTokens: (2n + 3n + 4n + 3n - 1n) * INF + "", notBondedTokens: "1000000" });
  });
});
