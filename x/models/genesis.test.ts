import type { Context, QueryContext } from "../../base/context";
import type { AppError } from "../../base/errors";
import { EventManager } from "../../base/events";
import { GasMeter } from "../../base/gas";
import { Branch, MemKV } from "../../base/store/kv";
import { accountAddress } from "../../base/types/address";
import * as errors from "./errors";
import { defaultGenesis, exportGenesis, initGenesis, modelFromJson, modelToJson, parseGenesis, type ModelGenesis } from "./genesis";
import { ModelsKeeper } from "./keeper";
import { DEFAULT_PARAMS_AUTHORITY } from "./params";
import { sampleModel } from "./testutil";

const alice = accountAddress(new Uint8Array(20).fill(1));

const mlp: ModelGenesis = {
  id: "mlp-16x8",
  onnx_sha256: "ab".repeat(32),
  uri: "file:mlp-16x8.onnx",
  inputs: [{ name: "x", dtype: "float32", shape: [-1, 16] }],
  outputs: [{ name: "y", dtype: "float32", shape: [-1, 8] }],
  metric: "MAX_ABS_DIFF",
  threshold: "8",
  quant_scale_bits: 16,
  min_fee: "1000",
  max_input_bytes: "8192",
  max_output_bytes: "4096",
  sla_blocks: "10",
};

function ctx(): Context {
  return {
    store: new Branch(new MemKV()),
    gas: new GasMeter(undefined),
    events: new EventManager(),
    block: { chainId: "test", height: 1n, timeSeconds: 0n, hash: new Uint8Array(), proposer: new Uint8Array() },
    mode: "genesis",
  };
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

describe("models genesis", () => {
  test("the default genesis: default params, no models; absent genesis means the same", () => {
    expect(defaultGenesis()).toEqual({ params: { registration_deposit: "10000000", params_authority: DEFAULT_PARAMS_AUTHORITY }, models: [] });
    expect(parseGenesis(undefined)).toEqual(parseGenesis(defaultGenesis()));
  });

  test("models listed in genesis need no owner or deposit, and export round-trips", () => {
    const c = ctx();
    const k = new ModelsKeeper();
    initGenesis(k, c, { params: { registration_deposit: "5", params_authority: alice }, models: [mlp] });
    expect(k.getModel(c.store, "mlp-16x8")).toEqual(sampleModel({ id: "mlp-16x8" }));
    const exported = exportGenesis(k, { store: c.store, height: 1n } satisfies QueryContext);
    expect(exported).toEqual({ params: { registration_deposit: "5", params_authority: alice }, models: [{ ...mlp, owner: "", deposit: "0", registered_height: "0" }] });
    // Through JSON and back into a fresh store: the same state.
    const c2 = ctx();
    initGenesis(k, c2, JSON.parse(JSON.stringify(exported)));
    expect((c2.store as Branch).changes()).toEqual((c.store as Branch).changes());
  });

  test("integers may be JSON numbers or decimal strings", () => {
    const m = modelFromJson({ ...mlp, threshold: 8, max_input_bytes: 8192, sla_blocks: "10", quant_scale_bits: "16", inputs: [{ name: "x", dtype: "float32", shape: ["-1", "16"] }] });
    expect(m).toEqual(sampleModel());
    expect(modelToJson(m)).toEqual({ ...mlp, owner: "", deposit: "0", registered_height: "0" });
  });

  test("an input's max_abs reads, exports and validates; \"0\" is no bound", () => {
    const bounded = modelFromJson({ ...mlp, inputs: [{ name: "x", dtype: "float32", shape: [-1, 16], max_abs: "128" }] });
    expect(bounded.inputs[0].maxAbs).toBe(128n);
    expect(modelToJson(bounded).inputs[0]).toEqual({ name: "x", dtype: "float32", shape: [-1, 16], max_abs: "128" });
    expect(modelFromJson({ ...mlp, inputs: [{ name: "x", dtype: "float32", shape: [-1, 16], max_abs: "0" }] })).toEqual(sampleModel());
    expect(codeOf(() => modelFromJson({ ...mlp, outputs: [{ name: "y", dtype: "float32", shape: [-1, 8], max_abs: "1" }] }))).toBe(code(errors.ErrInvalidTensorSpec));
    expect(codeOf(() => modelFromJson({ ...mlp, inputs: [{ name: "x", dtype: "float32", shape: [-1, 16], max_abs: "-1" }] }))).not.toBe("ok");
  });

  test.each<[string, unknown, AppError]>([
    ["models not a list", { models: {} }, errors.ErrInvalidGenesis],
    ["duplicate ids", { models: [mlp, mlp] }, errors.ErrInvalidGenesis],
    ["a fractional integer", { models: [{ ...mlp, threshold: 1.5 }] }, errors.ErrInvalidGenesis],
    ["a missing field", { models: [{ ...mlp, sla_blocks: undefined }] }, errors.ErrInvalidGenesis],
    ["quant_scale_bits 40", { models: [{ ...mlp, quant_scale_bits: 40 }] }, errors.ErrInvalidGenesis],
    ["a proto enum name for dtype", { models: [{ ...mlp, inputs: [{ name: "x", dtype: "DTYPE_FLOAT32", shape: [1] }] }] }, errors.ErrInvalidTensorSpec],
    ["an unknown metric", { models: [{ ...mlp, metric: "L2" }] }, errors.ErrInvalidMetric],
    ["an invalid spec", { models: [{ ...mlp, sla_blocks: "0" }] }, errors.ErrInvalidSla],
    ["a negative deposit", { models: [{ ...mlp, deposit: "-5" }] }, errors.ErrInvalidGenesis],
    ["a bad authority", { params: { params_authority: "cosmos1xyz" } }, errors.ErrInvalidParams],
    ["a negative registration deposit", { params: { registration_deposit: "-1" } }, errors.ErrInvalidParams],
  ])("refuses %s", (_, raw, err) => {
    expect(codeOf(() => parseGenesis(raw))).toBe(code(err));
  });

  test("a model with an owner keeps it (an export of a running chain)", () => {
    const m = modelFromJson({ ...mlp, owner: alice, deposit: "10000000", registered_height: "77" });
    expect(m).toMatchObject({ owner: alice, deposit: 10_000_000n, registeredHeight: 77n });
  });
});
