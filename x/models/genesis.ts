/**
 * x/models genesis, Cosmos-style JSON (64-bit integers as decimal strings; 32-bit ones and
 * shape dims as numbers; either form is accepted on input):
 *
 *   {"params": {"registration_deposit": "10000000", "params_authority": "infer1…"},
 *    "models": [{"id": "mlp-16x8", "onnx_sha256": "…", "uri": "file:mlp-16x8.onnx",
 *                "inputs": [{"name": "x", "dtype": "float32", "shape": [-1, 16]}],
 *                "outputs": [{"name": "y", "dtype": "float32", "shape": [-1, 8]}],
 *                "metric": "MAX_ABS_DIFF", "threshold": "8", "quant_scale_bits": 16,
 *                "min_fee": "1000", "max_input_bytes": "8192", "max_output_bytes": "4096",
 *                "sla_blocks": "10", "owner": "", "deposit": "0", "registered_height": "0"}]}
 *
 * Models listed here need no deposit and may have no owner. A `deposit` above 0 (an export of
 * a running chain) must be backed by the "models" module account's balance in bank genesis.
 */
import type { Context, QueryContext } from "../../base/context";
import { genesisJsonReaders } from "../../base/genesisJson";
import { ErrInvalidGenesis } from "./errors";
import type { ModelsKeeper } from "./keeper";
import { defaultParams, validateParams, type ModelsParams } from "./params";
import { parseDTypeName, parseMetricName, validateModel, type DTypeName, type MetricName, type Model, type TensorSpec } from "./types";

export interface TensorSpecJson {
  readonly name: string;
  readonly dtype: DTypeName;
  /** -1 for a dynamic axis. */
  readonly shape: readonly number[];
  /** Inputs only: the largest |value| (decimal string); absent: no bound. */
  readonly max_abs?: string;
}

export interface ModelGenesis {
  readonly id: string;
  readonly onnx_sha256: string;
  readonly uri: string;
  readonly inputs: readonly TensorSpecJson[];
  readonly outputs: readonly TensorSpecJson[];
  readonly metric: MetricName;
  readonly threshold: string;
  readonly quant_scale_bits: number;
  readonly min_fee: string;
  readonly max_input_bytes: string;
  readonly max_output_bytes: string;
  readonly sla_blocks: string;
  /** Absent or "": no owner. */
  readonly owner?: string;
  /** Absent: "0". */
  readonly deposit?: string;
  /** Absent: "0". */
  readonly registered_height?: string;
}

export interface ModelsGenesis {
  readonly params: { readonly registration_deposit: string; readonly params_authority: string };
  readonly models: readonly ModelGenesis[];
}

function paramsToJson(p: ModelsParams): ModelsGenesis["params"] {
  return { registration_deposit: p.registrationDeposit.toString(), params_authority: p.paramsAuthority };
}

export function defaultGenesis(): ModelsGenesis {
  return { params: paramsToJson(defaultParams()), models: [] };
}

/** An integer given as a JSON number or a decimal string. */
function int(v: unknown, what: string): bigint {
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === "string" && /^-?[0-9]{1,30}$/.test(v)) return BigInt(v);
  throw ErrInvalidGenesis.wrap(`${what} must be an integer (number or decimal string)`);
}

const { str, obj } = genesisJsonReaders(ErrInvalidGenesis);

/** A list that must be there (the shared reader reads absent as empty). */
function list(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw ErrInvalidGenesis.wrap(`${what} must be a list`);
  return v;
}

function tensorSpecFromJson(raw: unknown, what: string): TensorSpec {
  const t = obj(raw, what);
  const spec = {
    name: str(t.name, `${what}.name`),
    dtype: parseDTypeName(t.dtype),
    shape: list(t.shape, `${what}.shape`).map((d, i) => int(d, `${what}.shape[${i}]`)),
  };
  const maxAbs = t.max_abs === undefined ? 0n : int(t.max_abs, `${what}.max_abs`);
  return maxAbs === 0n ? spec : { ...spec, maxAbs };
}

function tensorSpecToJson(t: TensorSpec): TensorSpecJson {
  // Dims are validated to -1..2^31-1, so they are exact as JSON numbers.
  const json = { name: t.name, dtype: t.dtype, shape: t.shape.map((d) => Number(d)) };
  return t.maxAbs === undefined || t.maxAbs === 0n ? json : { ...json, max_abs: t.maxAbs.toString() };
}

/** A genesis (or CLI) JSON model → a checked domain model. */
export function modelFromJson(raw: unknown, what = "model"): Model {
  const m = obj(raw, what);
  const qbits = int(m.quant_scale_bits, `${what}.quant_scale_bits`);
  if (qbits < 0n || qbits > 32n) throw ErrInvalidGenesis.wrap(`${what}.quant_scale_bits must be in 0..32`);
  const model: Model = {
    id: str(m.id, `${what}.id`),
    onnxSha256: str(m.onnx_sha256, `${what}.onnx_sha256`),
    uri: str(m.uri, `${what}.uri`),
    inputs: list(m.inputs, `${what}.inputs`).map((t, i) => tensorSpecFromJson(t, `${what}.inputs[${i}]`)),
    outputs: list(m.outputs, `${what}.outputs`).map((t, i) => tensorSpecFromJson(t, `${what}.outputs[${i}]`)),
    metric: parseMetricName(m.metric),
    threshold: int(m.threshold, `${what}.threshold`),
    quantScaleBits: Number(qbits),
    minFee: int(m.min_fee, `${what}.min_fee`),
    maxInputBytes: int(m.max_input_bytes, `${what}.max_input_bytes`),
    maxOutputBytes: int(m.max_output_bytes, `${what}.max_output_bytes`),
    slaBlocks: int(m.sla_blocks, `${what}.sla_blocks`),
    owner: m.owner === undefined ? "" : str(m.owner, `${what}.owner`),
    deposit: m.deposit === undefined ? 0n : int(m.deposit, `${what}.deposit`),
    registeredHeight: m.registered_height === undefined ? 0n : int(m.registered_height, `${what}.registered_height`),
  };
  validateModel(model);
  return model;
}

export function modelToJson(m: Model): ModelGenesis {
  return {
    id: m.id,
    onnx_sha256: m.onnxSha256,
    uri: m.uri,
    inputs: m.inputs.map(tensorSpecToJson),
    outputs: m.outputs.map(tensorSpecToJson),
    metric: m.metric,
    threshold: m.threshold.toString(),
    quant_scale_bits: m.quantScaleBits,
    min_fee: m.minFee.toString(),
    max_input_bytes: m.maxInputBytes.toString(),
    max_output_bytes: m.maxOutputBytes.toString(),
    sla_blocks: m.slaBlocks.toString(),
    owner: m.owner,
    deposit: m.deposit.toString(),
    registered_height: m.registeredHeight.toString(),
  };
}

export function parseGenesis(raw: unknown): { params: ModelsParams; models: Model[] } {
  const g = raw === undefined || raw === null ? {} : obj(raw, "models genesis");
  const d = defaultParams();
  const p = g.params === undefined ? {} : obj(g.params, "params");
  const params: ModelsParams = {
    registrationDeposit: p.registration_deposit === undefined ? d.registrationDeposit : int(p.registration_deposit, "params.registration_deposit"),
    paramsAuthority: p.params_authority === undefined ? d.paramsAuthority : str(p.params_authority, "params.params_authority"),
  };
  validateParams(params);
  const seen = new Set<string>();
  const models = (g.models === undefined ? [] : list(g.models, "models")).map((raw, i) => {
    const m = modelFromJson(raw, `models[${i}]`);
    if (seen.has(m.id)) throw ErrInvalidGenesis.wrap(`models[${i}]: duplicate id ${m.id}`);
    seen.add(m.id);
    return m;
  });
  return { params, models };
}

export function initGenesis(models: ModelsKeeper, ctx: Context, raw: unknown): void {
  const g = parseGenesis(raw);
  models.setParams(ctx.store, g.params);
  for (const m of g.models) models.setModel(ctx.store, m);
}

export function exportGenesis(models: ModelsKeeper, ctx: QueryContext): ModelsGenesis {
  return { params: paramsToJson(models.getParams(ctx.store)), models: [...models.models(ctx.store)].map(modelToJson) };
}
