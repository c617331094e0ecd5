import { MsgRegisterModel, MsgUpdateParams } from "../../gen/inferchain/models/v1/tx";
import { Metric } from "../../gen/inferchain/models/v1/models";
import type { Context } from "../../base/context";
import { AppError, ErrInsufficientFunds, ErrInvalidAddress, ErrInvalidCoins } from "../../base/errors";
import { EventManager } from "../../base/events";
import { GasMeter } from "../../base/gas";
import { Branch, MemKV } from "../../base/store/kv";
import { accountAddress } from "../../base/types/address";
import type { Coin } from "../../base/types/coins";
import * as errors from "./errors";
import type { BankKeeper } from "./expectedKeepers";
import { MODELS_MODULE_ACCOUNT, ModelsKeeper } from "./keeper";
import { msgRegisterModelHandler, msgUpdateParamsHandler } from "./msgServer";
import { sampleSpec } from "./testutil";
import { modelToWire } from "./types";

const alice = accountAddress(new Uint8Array(20).fill(1));
const bob = accountAddress(new Uint8Array(20).fill(2));

/** A bank with balances in a map; records every escrow. */
class FakeBank implements BankKeeper {
  readonly balances = new Map<string, bigint>([[alice, 50_000_000n]]);
  readonly sends: Array<{ from: string; module: string; coins: readonly Coin[] }> = [];
  sendCoinsFromAccountToModule(_ctx: Context, from: string, module: string, coins: readonly Coin[]): void {
    const amount = coins[0].amount;
    const have = this.balances.get(from) ?? 0n;
    if (have < amount) throw ErrInsufficientFunds.wrap(`${from} has ${have}`);
    this.balances.set(from, have - amount);
    this.balances.set(module, (this.balances.get(module) ?? 0n) + amount);
    this.sends.push({ from, module, coins });
  }
}

function setup(): { ctx: Context; models: ModelsKeeper; bank: FakeBank } {
  const ctx: Context = {
    store: new Branch(new MemKV()),
    gas: new GasMeter(undefined),
    events: new EventManager(),
    block: { chainId: "test", height: 42n, timeSeconds: 0n, hash: new Uint8Array(32), proposer: new Uint8Array(20) },
    mode: "finalize",
  };
  return { ctx, models: new ModelsKeeper(), bank: new FakeBank() };
}

function registerBytes(over: Partial<MsgRegisterModel> = {}): Uint8Array {
  const w = modelToWire({ ...sampleSpec(), owner: "", deposit: 0n, registeredHeight: 0n });
  return MsgRegisterModel.encode(
    MsgRegisterModel.fromPartial({ ...w, owner: alice, deposit: "10000000", ...over }),
  ).finish();
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    const a = e as AppError;
    return `${a.codespace}/${a.code}`;
  }
  return "ok";
}
const code = (e: AppError): string => `${e.codespace}/${e.code}`;

describe("MsgRegisterModel", () => {
  test("registers the model, escrows the deposit in the models account and emits register_model", () => {
    const { ctx, models, bank } = setup();
    const h = msgRegisterModelHandler(models, bank);
    expect(h.typeUrl).toBe("/inferchain.models.v1.MsgRegisterModel");
    const msg = h.decode(registerBytes({ deposit: "12000000" }));
    expect(h.signers(msg)).toEqual([alice]);
    h.validateBasic(msg);
    const resp = h.execute(ctx, msg);
    expect(resp.typeUrl).toBe("/inferchain.models.v1.MsgRegisterModelResponse");

    const m = models.getModel(ctx.store, "mlp-16x8");
    expect(m).toEqual({ ...sampleSpec(), owner: alice, deposit: 12_000_000n, registeredHeight: 42n });
    expect(bank.sends).toEqual([{ from: alice, module: MODELS_MODULE_ACCOUNT, coins: [{ denom: "uinf", amount: 12_000_000n }] }]);
    expect(bank.balances.get(alice)).toBe(38_000_000n);
    expect(ctx.events.events()).toEqual([
      {
        type: "register_model",
        attributes: [
          { key: "model_id", value: "mlp-16x8", index: true },
          { key: "owner", value: alice, index: true },
          { key: "onnx_sha256", value: "ab".repeat(32), index: true },
          { key: "deposit", value: "12000000uinf", index: true },
        ],
      },
    ]);
  });

  test("a taken id is refused, and the first registration stays", () => {
    const { ctx, models, bank } = setup();
    const h = msgRegisterModelHandler(models, bank);
    h.execute(ctx, h.decode(registerBytes()));
    const again = h.decode(registerBytes({ uri: "file:other.onnx" }));
    expect(codeOf(() => h.execute(ctx, again))).toBe(code(errors.ErrModelExists));
    expect(models.getModel(ctx.store, "mlp-16x8")?.uri).toBe("file:mlp-16x8.onnx");
    expect(bank.sends).toHaveLength(1);
  });

  test("a deposit below the param is refused before any coins move; exactly the param is enough", () => {
    const { ctx, models, bank } = setup();
    const h = msgRegisterModelHandler(models, bank);
    expect(codeOf(() => h.execute(ctx, h.decode(registerBytes({ deposit: "9999999" }))))).toBe(code(errors.ErrInsufficientDeposit));
    expect(bank.sends).toHaveLength(0);
    expect(models.hasModel(ctx.store, "mlp-16x8")).toBe(false);
    expect(codeOf(() => h.execute(ctx, h.decode(registerBytes({ deposit: "10000000" }))))).toBe("ok");
  });

  test("an owner who cannot pay gets bank's insufficient funds", () => {
    const { ctx, models, bank } = setup();
    const h = msgRegisterModelHandler(models, bank);
    const msg = h.decode(registerBytes({ owner: bob }));
    expect(codeOf(() => h.execute(ctx, msg))).toBe(code(ErrInsufficientFunds));
  });

  test("with registration_deposit 0 a zero deposit registers without touching the bank", () => {
    const { ctx, models, bank } = setup();
    models.setParams(ctx.store, { registrationDeposit: 0n, paramsAuthority: alice });
    const h = msgRegisterModelHandler(models, bank);
    h.execute(ctx, h.decode(registerBytes({ owner: bob, deposit: "0" })));
    expect(bank.sends).toHaveLength(0);
    expect(models.getModel(ctx.store, "mlp-16x8")?.deposit).toBe(0n);
    expect(ctx.events.events()[0].attributes.find((a) => a.key === "deposit")?.value).toBe("0uinf");
  });

  test("decode refuses unknown enums and malformed amounts; validateBasic the rest", () => {
    const { models, bank } = setup();
    const h = msgRegisterModelHandler(models, bank);
    expect(codeOf(() => h.decode(registerBytes({ metric: 9 as Metric })))).toBe(code(errors.ErrInvalidMetric));
    expect(codeOf(() => h.decode(registerBytes({ deposit: "1.5" })))).toBe(code(ErrInvalidCoins));
    expect(codeOf(() => h.decode(registerBytes({ minFee: "" })))).toBe(code(errors.ErrInvalidFee));
    expect(codeOf(() => h.validateBasic(h.decode(registerBytes({ owner: "cosmos1abc" }))))).toBe(code(ErrInvalidAddress));
    expect(codeOf(() => h.validateBasic(h.decode(registerBytes({ id: "Bad" }))))).toBe(code(errors.ErrInvalidModelId));
    expect(codeOf(() => h.validateBasic(h.decode(registerBytes({ slaBlocks: 0n }))))).toBe(code(errors.ErrInvalidSla));
  });

  test("issue 7: a sla_blocks whose hard deadline (height + 2 × sla_blocks) would overflow int64 is refused at registration", () => {
    const { models, bank } = setup();
    const h = msgRegisterModelHandler(models, bank);
    // 2^62: height + 2^63 no longer fits the int64 hard_deadline_height; it used to halt EndBlock.
    for (const slaBlocks of [1n << 62n, (1n << 64n) - 1n, 100_001n]) {
      expect(codeOf(() => h.validateBasic(h.decode(registerBytes({ slaBlocks }))))).toBe(code(errors.ErrInvalidSla));
    }
    expect(codeOf(() => h.validateBasic(h.decode(registerBytes({ slaBlocks: 100_000n }))))).toBe("ok");
    expect(codeOf(() => h.validateBasic(h.decode(registerBytes({ maxOutputBytes: 1n << 40n }))))).toBe(code(errors.ErrInvalidSizeLimit));
  });
});

describe("MsgUpdateParams", () => {
  const bytes = (authority: string, registrationDeposit: string, paramsAuthority: string): Uint8Array =>
    MsgUpdateParams.encode({ authority, params: { registrationDeposit, paramsAuthority } }).finish();

  test("only the params authority may change params; the change takes effect and is announced", () => {
    const { ctx, models } = setup();
    models.setParams(ctx.store, { registrationDeposit: 5n, paramsAuthority: alice });
    const h = msgUpdateParamsHandler(models);
    const byBob = h.decode(bytes(bob, "7", bob));
    expect(h.signers(byBob)).toEqual([bob]);
    expect(codeOf(() => h.execute(ctx, byBob))).toBe(code(errors.ErrUnauthorizedParams));
    expect(models.getParams(ctx.store)).toEqual({ registrationDeposit: 5n, paramsAuthority: alice });

    h.execute(ctx, h.decode(bytes(alice, "7", bob)));
    expect(models.getParams(ctx.store)).toEqual({ registrationDeposit: 7n, paramsAuthority: bob });
    expect(ctx.events.events()).toEqual([{ type: "update_params", attributes: [{ key: "authority", value: alice, index: true }] }]);
  });

  test("invalid params are refused at decode", () => {
    const { models } = setup();
    const h = msgUpdateParamsHandler(models);
    expect(codeOf(() => h.decode(bytes(alice, "-1", alice)))).toBe(code(errors.ErrInvalidParams));
    expect(codeOf(() => h.decode(bytes(alice, "1", "")))).toBe(code(errors.ErrInvalidParams));
    expect(codeOf(() => h.decode(MsgUpdateParams.encode({ authority: alice, params: undefined }).finish()))).toBe(code(errors.ErrInvalidParams));
  });

  test("the default authority is the gov module address: no one can sign for it", () => {
    const { ctx, models } = setup();
    expect(models.getParams(ctx.store).paramsAuthority).toMatch(/^infer1/);
    expect(models.getParams(ctx.store).registrationDeposit).toBe(10_000_000n);
    const h = msgUpdateParamsHandler(models);
    expect(codeOf(() => h.execute(ctx, h.decode(bytes(alice, "1", alice))))).toBe(code(errors.ErrUnauthorizedParams));
  });
});

describe("ModelsKeeper", () => {
  test("models() iterates in id order from a start id", () => {
    const { ctx, models } = setup();
    for (const id of ["zeta", "alpha", "mid.1", "mid-0"]) models.setModel(ctx.store, { ...sampleSpec({ id }), owner: "", deposit: 0n, registeredHeight: 0n });
    expect([...models.models(ctx.store)].map((m) => m.id)).toEqual(["alpha", "mid-0", "mid.1", "zeta"]);
    expect([...models.models(ctx.store, "mid.1")].map((m) => m.id)).toEqual(["mid.1", "zeta"]);
    expect([...models.models(ctx.store, "n")].map((m) => m.id)).toEqual(["zeta"]);
    expect(models.getModel(ctx.store, "nope")).toBeUndefined();
    expect(models.hasModel(ctx.store, "alpha")).toBe(true);
  });
});
