/**
 * x/slashing genesis, Cosmos-shaped JSON (uint64s and amounts as decimal strings):
 *
 *   {"params": {"signed_blocks_window": "20", "min_signed_per_window_ppm": "500000", …,
 *               "params_authority": "infer1…"},
 *    "signing_infos": [{"address": "infervalcons1…", "start_height": "1", "index_offset": "0",
 *                       "jailed_until_height": "0", "tombstoned": false,
 *                       "missed_blocks_counter": "0", "last_seen_height": "0",
 *                       "recorded_height": "0"}],
 *    "missed_blocks": [{"address": "infervalcons1…", "indexes": ["3", "7"]}],
 *    "liveness": {"height": "6", "counted": ["infervalcons1…"]},
 *    "slash_events": [{"id": "1", "validator": "infervaloper1…", "kind": "double_sign", …}],
 *    "correlation_records": [{"slash_id": "1", …, "due_height": "60", "done": false}],
 *    "next_slash_event_id": "2"}
 *
 * Every field may be left out (defaults; params are merged field by field over the defaults).
 * Signing infos carry their values as of now, as queries show them. `liveness` is who the last
 * liveness pass counted, at which height, in commit order, and `recorded_height` the
 * last_seen_height of the stored record (keys.ts: a counted validator's record is written
 * only when more than the height changes); both default to "nothing moves": the state they
 * describe is imported exactly, so export then import is the identity on the store.
 */
import type { Context, QueryContext } from "../../base/context";
import { genesisJsonReaders } from "../../base/genesisJson";
import { Bech32Prefix } from "../../base/types/address";
import { ErrInvalidGenesis } from "./errors";
import { fromBech32 } from "@cosmjs/encoding";
import type { Liveness, SlashingKeeper } from "./keeper";
import { defaultParams, isValidKind, validateParams, type SlashingParams } from "./params";
import { CONS_ADDRESS_LENGTH, consAddressString, type CorrelationRecord, type SlashEvent, type ValidatorSigningInfo } from "./types";

export interface ParamsJson {
  readonly signed_blocks_window: string;
  readonly min_signed_per_window_ppm: string;
  readonly downtime_jail_blocks: string;
  readonly slash_fraction_downtime_ppm: string;
  readonly slash_fraction_double_sign_ppm: string;
  readonly max_evidence_age_blocks: string;
  readonly reporter_reward_ppm: string;
  readonly burn_slashed: boolean;
  readonly correlation_window_blocks: string;
  readonly correlation_multiplier: string;
  readonly correlation_exempt_kinds: readonly string[];
  readonly params_authority: string;
}

export interface SigningInfoJson {
  readonly address: string;
  readonly start_height: string;
  readonly index_offset: string;
  readonly jailed_until_height: string;
  readonly tombstoned: boolean;
  readonly missed_blocks_counter: string;
  readonly last_seen_height: string;
  /** ≤ last_seen_height; below it only for a validator in `liveness.counted`, counted at `liveness.height`. */
  readonly recorded_height: string;
}

export interface LivenessJson {
  readonly height: string;
  /** infervalcons1…, in commit order. */
  readonly counted: readonly string[];
}

export interface SlashEventJson {
  readonly id: string;
  readonly validator: string;
  readonly infraction_height: string;
  readonly height: string;
  readonly kind: string;
  readonly fraction_ppm: string;
  readonly stake_at_risk: string;
  readonly amount: string;
  readonly validator_amount: string;
  readonly unbonding_amount: string;
  readonly reporters: ReadonlyArray<{ readonly address: string; readonly amount: string }>;
  readonly treasury_amount: string;
  readonly burned_amount: string;
  readonly jailed: boolean;
  readonly tombstoned: boolean;
  readonly reason: string;
}

export interface CorrelationRecordJson {
  readonly slash_id: string;
  readonly validator: string;
  readonly kind: string;
  readonly height: string;
  readonly infraction_height: string;
  readonly stake: string;
  readonly amount: string;
  readonly top_up: string;
  readonly due_height: string;
  readonly done: boolean;
}

export interface SlashingGenesis {
  readonly params: ParamsJson;
  readonly signing_infos: readonly SigningInfoJson[];
  readonly missed_blocks: ReadonlyArray<{ readonly address: string; readonly indexes: readonly string[] }>;
  readonly liveness: LivenessJson;
  readonly slash_events: readonly SlashEventJson[];
  readonly correlation_records: readonly CorrelationRecordJson[];
  readonly next_slash_event_id: string;
}

function paramsToJson(p: SlashingParams): ParamsJson {
  return {
    signed_blocks_window: p.signedBlocksWindow.toString(),
    min_signed_per_window_ppm: p.minSignedPerWindowPpm.toString(),
    downtime_jail_blocks: p.downtimeJailBlocks.toString(),
    slash_fraction_downtime_ppm: p.slashFractionDowntimePpm.toString(),
    slash_fraction_double_sign_ppm: p.slashFractionDoubleSignPpm.toString(),
    max_evidence_age_blocks: p.maxEvidenceAgeBlocks.toString(),
    reporter_reward_ppm: p.reporterRewardPpm.toString(),
    burn_slashed: p.burnSlashed,
    correlation_window_blocks: p.correlationWindowBlocks.toString(),
    correlation_multiplier: p.correlationMultiplier.toString(),
    correlation_exempt_kinds: [...p.correlationExemptKinds],
    params_authority: p.paramsAuthority,
  };
}

export function defaultGenesis(): SlashingGenesis {
  return { params: paramsToJson(defaultParams()), signing_infos: [], missed_blocks: [], liveness: { height: "0", counted: [] }, slash_events: [], correlation_records: [], next_slash_event_id: "1" };
}

// ------------------------------------------------------------------ parsing

const { str, bool, obj, list, address } = genesisJsonReaders(ErrInvalidGenesis);

/**
 * Heights, ids, offsets and params: at most 2^63 − 1, so the `+ 1` and `+ window` a block
 * applies to them (index_offset, next ids, jailed_until) can never leave their uint64 fields.
 */
function uint(v: unknown, what: string): bigint {
  if (typeof v !== "string" || !/^[0-9]{1,20}$/.test(v)) throw ErrInvalidGenesis.wrap(`${what} must be a decimal string`);
  const n = BigInt(v);
  if (n >= 1n << 63n) throw ErrInvalidGenesis.wrap(`${what} exceeds 2^63 - 1`);
  return n;
}

function amount(v: unknown, what: string): bigint {
  if (typeof v !== "string" || !/^[0-9]{1,78}$/.test(v)) throw ErrInvalidGenesis.wrap(`${what} must be a decimal string`);
  return BigInt(v);
}

function parseParams(raw: unknown): SlashingParams {
  const p = { ...paramsToJson(defaultParams()), ...obj(raw ?? {}, "params") } as Record<string, unknown>;
  const kinds = list(p.correlation_exempt_kinds, "params.correlation_exempt_kinds").map((k, i) => str(k, `params.correlation_exempt_kinds[${i}]`));
  const params: SlashingParams = {
    signedBlocksWindow: uint(p.signed_blocks_window, "params.signed_blocks_window"),
    minSignedPerWindowPpm: uint(p.min_signed_per_window_ppm, "params.min_signed_per_window_ppm"),
    downtimeJailBlocks: uint(p.downtime_jail_blocks, "params.downtime_jail_blocks"),
    slashFractionDowntimePpm: uint(p.slash_fraction_downtime_ppm, "params.slash_fraction_downtime_ppm"),
    slashFractionDoubleSignPpm: uint(p.slash_fraction_double_sign_ppm, "params.slash_fraction_double_sign_ppm"),
    maxEvidenceAgeBlocks: uint(p.max_evidence_age_blocks, "params.max_evidence_age_blocks"),
    reporterRewardPpm: uint(p.reporter_reward_ppm, "params.reporter_reward_ppm"),
    burnSlashed: bool(p.burn_slashed, "params.burn_slashed"),
    correlationWindowBlocks: uint(p.correlation_window_blocks, "params.correlation_window_blocks"),
    correlationMultiplier: uint(p.correlation_multiplier, "params.correlation_multiplier"),
    correlationExemptKinds: kinds,
    paramsAuthority: str(p.params_authority, "params.params_authority"),
  };
  try {
    validateParams(params);
  } catch (e) {
    throw ErrInvalidGenesis.wrap((e as Error).message);
  }
  return params;
}

/** A signing info as of now, and the last_seen_height of its stored record. */
interface ParsedSigningInfo {
  readonly info: ValidatorSigningInfo;
  readonly recordedHeight: bigint;
}

function parseSigningInfo(raw: unknown, i: number): ParsedSigningInfo {
  const w = `signing_infos[${i}]`;
  const o = obj(raw, w);
  const info: ValidatorSigningInfo = {
    address: address(o.address, Bech32Prefix.consensus, `${w}.address`),
    startHeight: uint(o.start_height ?? "0", `${w}.start_height`),
    indexOffset: uint(o.index_offset ?? "0", `${w}.index_offset`),
    jailedUntilHeight: uint(o.jailed_until_height ?? "0", `${w}.jailed_until_height`),
    tombstoned: bool(o.tombstoned ?? false, `${w}.tombstoned`),
    missedBlocksCounter: uint(o.missed_blocks_counter ?? "0", `${w}.missed_blocks_counter`),
    lastSeenHeight: uint(o.last_seen_height ?? "0", `${w}.last_seen_height`),
  };
  const recordedHeight = o.recorded_height === undefined ? info.lastSeenHeight : uint(o.recorded_height, `${w}.recorded_height`);
  if (recordedHeight > info.lastSeenHeight) throw ErrInvalidGenesis.wrap(`${w}: recorded_height above last_seen_height`);
  if (info.lastSeenHeight - recordedHeight > info.indexOffset) throw ErrInvalidGenesis.wrap(`${w}: more blocks since recorded_height than index_offset counts`);
  return { info, recordedHeight };
}

function parseSlashEvent(raw: unknown, i: number): SlashEvent {
  const w = `slash_events[${i}]`;
  const o = obj(raw, w);
  const kind = str(o.kind, `${w}.kind`);
  if (!isValidKind(kind)) throw ErrInvalidGenesis.wrap(`${w}.kind: invalid kind ${JSON.stringify(kind)}`);
  const e: SlashEvent = {
    id: uint(o.id, `${w}.id`),
    validator: address(o.validator, Bech32Prefix.operator, `${w}.validator`),
    infractionHeight: uint(o.infraction_height, `${w}.infraction_height`),
    height: uint(o.height, `${w}.height`),
    kind,
    fractionPpm: uint(o.fraction_ppm, `${w}.fraction_ppm`),
    stakeAtRisk: amount(o.stake_at_risk, `${w}.stake_at_risk`),
    amount: amount(o.amount, `${w}.amount`),
    validatorAmount: amount(o.validator_amount, `${w}.validator_amount`),
    unbondingAmount: amount(o.unbonding_amount, `${w}.unbonding_amount`),
    reporters: list(o.reporters, `${w}.reporters`).map((r, j) => {
      const ro = obj(r, `${w}.reporters[${j}]`);
      return { address: address(ro.address, Bech32Prefix.account, `${w}.reporters[${j}].address`), amount: amount(ro.amount, `${w}.reporters[${j}].amount`) };
    }),
    treasuryAmount: amount(o.treasury_amount ?? "0", `${w}.treasury_amount`),
    burnedAmount: amount(o.burned_amount ?? "0", `${w}.burned_amount`),
    jailed: bool(o.jailed ?? false, `${w}.jailed`),
    tombstoned: bool(o.tombstoned ?? false, `${w}.tombstoned`),
    reason: str(o.reason ?? "", `${w}.reason`),
  };
  if (e.id === 0n) throw ErrInvalidGenesis.wrap(`${w}.id: ids start at 1`);
  if (e.amount !== e.validatorAmount + e.unbondingAmount) throw ErrInvalidGenesis.wrap(`${w}: amount is not validator_amount + unbonding_amount`);
  const paid = e.reporters.reduce((s, r) => s + r.amount, 0n) + e.treasuryAmount + e.burnedAmount;
  if (paid !== e.amount) throw ErrInvalidGenesis.wrap(`${w}: reporters + treasury + burned do not add up to amount`);
  return e;
}

function parseCorrelation(raw: unknown, i: number): CorrelationRecord {
  const w = `correlation_records[${i}]`;
  const o = obj(raw, w);
  return {
    slashId: uint(o.slash_id, `${w}.slash_id`),
    validator: address(o.validator, Bech32Prefix.operator, `${w}.validator`),
    kind: str(o.kind, `${w}.kind`),
    height: uint(o.height, `${w}.height`),
    infractionHeight: uint(o.infraction_height, `${w}.infraction_height`),
    stake: amount(o.stake, `${w}.stake`),
    amount: amount(o.amount, `${w}.amount`),
    topUp: amount(o.top_up ?? "0", `${w}.top_up`),
    dueHeight: uint(o.due_height, `${w}.due_height`),
    done: bool(o.done ?? false, `${w}.done`),
  };
}

export interface ParsedGenesis {
  readonly params: SlashingParams;
  /** As stored: each record as of its recorded height. */
  readonly signingInfos: readonly ValidatorSigningInfo[];
  readonly liveness: Liveness;
  readonly missed: ReadonlyMap<string, readonly bigint[]>;
  readonly slashEvents: readonly SlashEvent[];
  readonly correlations: readonly CorrelationRecord[];
  readonly nextSlashEventId: bigint;
}

export function parseGenesis(raw: unknown): ParsedGenesis {
  const g = obj(raw ?? defaultGenesis(), "slashing genesis");
  const params = parseParams(g.params);

  const parsed = list(g.signing_infos, "signing_infos").map(parseSigningInfo);
  const signingInfos = parsed.map((p) => p.info);
  const byAddress = new Map(signingInfos.map((s) => [s.address, s]));
  if (byAddress.size !== signingInfos.length) throw ErrInvalidGenesis.wrap("signing_infos: an address is listed twice");
  const liveness = parseLiveness(g.liveness, byAddress);
  for (const { info, recordedHeight } of parsed) {
    if (recordedHeight < info.lastSeenHeight && !(liveness.names.has(info.address) && info.lastSeenHeight === liveness.height)) {
      throw ErrInvalidGenesis.wrap(`signing info ${info.address}: recorded_height below last_seen_height, but not counted at liveness.height`);
    }
  }

  const missed = new Map<string, bigint[]>();
  for (const [i, raw] of list(g.missed_blocks, "missed_blocks").entries()) {
    const o = obj(raw, `missed_blocks[${i}]`);
    const a = address(o.address, Bech32Prefix.consensus, `missed_blocks[${i}].address`);
    if (!byAddress.has(a)) throw ErrInvalidGenesis.wrap(`missed_blocks[${i}]: no signing info for ${a}`);
    if (missed.has(a)) throw ErrInvalidGenesis.wrap(`missed_blocks: ${a} listed twice`);
    const indexes = list(o.indexes, `missed_blocks[${i}].indexes`).map((x, j) => uint(x, `missed_blocks[${i}].indexes[${j}]`));
    if (new Set(indexes).size !== indexes.length) throw ErrInvalidGenesis.wrap(`missed_blocks[${i}]: an index is listed twice`);
    for (const x of indexes) if (x >= params.signedBlocksWindow) throw ErrInvalidGenesis.wrap(`missed_blocks[${i}]: index ${x} is outside the window`);
    missed.set(a, indexes);
  }
  for (const s of signingInfos) {
    const n = BigInt(missed.get(s.address)?.length ?? 0);
    if (n !== s.missedBlocksCounter) throw ErrInvalidGenesis.wrap(`signing info ${s.address}: missed_blocks_counter ${s.missedBlocksCounter} but ${n} missed blocks listed`);
  }

  const slashEvents = list(g.slash_events, "slash_events").map(parseSlashEvent);
  const ids = new Set(slashEvents.map((e) => e.id));
  if (ids.size !== slashEvents.length) throw ErrInvalidGenesis.wrap("slash_events: an id is listed twice");
  const maxId = slashEvents.reduce((m, e) => (e.id > m ? e.id : m), 0n);
  const nextSlashEventId = g.next_slash_event_id === undefined ? maxId + 1n : uint(g.next_slash_event_id, "next_slash_event_id");
  if (nextSlashEventId <= maxId || nextSlashEventId === 0n) throw ErrInvalidGenesis.wrap(`next_slash_event_id ${nextSlashEventId} must exceed every event id (${maxId})`);

  const correlations = list(g.correlation_records, "correlation_records").map(parseCorrelation);
  const seen = new Set<bigint>();
  for (const c of correlations) {
    if (!ids.has(c.slashId)) throw ErrInvalidGenesis.wrap(`correlation record ${c.slashId}: no such slash event`);
    if (seen.has(c.slashId)) throw ErrInvalidGenesis.wrap(`correlation record ${c.slashId} listed twice`);
    seen.add(c.slashId);
  }
  const stored = parsed.map(({ info, recordedHeight }) => ({ ...info, lastSeenHeight: recordedHeight, indexOffset: info.indexOffset - (info.lastSeenHeight - recordedHeight) }));
  return { params, signingInfos: stored, liveness: { height: liveness.height, counted: liveness.counted }, missed, slashEvents, correlations, nextSlashEventId };
}

function parseLiveness(raw: unknown, infos: ReadonlyMap<string, ValidatorSigningInfo>): Liveness & { readonly names: ReadonlySet<string> } {
  const o = obj(raw ?? { height: "0", counted: [] }, "liveness");
  const height = uint(o.height ?? "0", "liveness.height");
  const names = list(o.counted ?? [], "liveness.counted").map((a, i) => address(a, Bech32Prefix.consensus, `liveness.counted[${i}]`));
  const unique = new Set(names);
  if (unique.size !== names.length) throw ErrInvalidGenesis.wrap("liveness.counted: an address is listed twice");
  if ((height === 0n) !== (names.length === 0)) throw ErrInvalidGenesis.wrap("liveness: a height needs counted validators, and counted validators a height");
  const counted = new Uint8Array(names.length * CONS_ADDRESS_LENGTH);
  for (const [i, a] of names.entries()) {
    const info = infos.get(a);
    if (!info) throw ErrInvalidGenesis.wrap(`liveness.counted[${i}]: no signing info for ${a}`);
    if (info.lastSeenHeight > height) throw ErrInvalidGenesis.wrap(`liveness.counted[${i}]: last seen after liveness.height`);
    const bytes = fromBech32(a).data;
    if (bytes.length !== CONS_ADDRESS_LENGTH) throw ErrInvalidGenesis.wrap(`liveness.counted[${i}]: not a ${CONS_ADDRESS_LENGTH}-byte consensus address`);
    counted.set(bytes, i * CONS_ADDRESS_LENGTH);
  }
  return { height, counted, names: unique };
}

export function initGenesis(k: SlashingKeeper, ctx: Context, raw: unknown): void {
  const g = parseGenesis(raw);
  k.setParams(ctx.store, g.params);
  for (const s of g.signingInfos) k.setSigningInfo(ctx.store, s);
  k.setLiveness(ctx.store, { height: 0n, counted: new Uint8Array() }, g.liveness);
  for (const [a, indexes] of g.missed) for (const x of indexes) k.setMissed(ctx.store, a, x, true);
  for (const e of g.slashEvents) k.setSlashEvent(ctx.store, e);
  k.setNextEventId(ctx.store, g.nextSlashEventId);
  for (const c of g.correlations) {
    // A window that closed before this chain's first block is decided in its first block.
    const rec = { ...c, dueHeight: c.dueHeight < ctx.block.height ? ctx.block.height : c.dueHeight };
    k.setCorrelation(ctx.store, rec);
    if (!rec.done) k.enqueueCorrelation(ctx.store, rec.dueHeight, rec.slashId);
  }
}

export function exportGenesis(k: SlashingKeeper, ctx: QueryContext): SlashingGenesis {
  const infos = [...k.signingInfos(ctx.store)];
  const liveness = k.getLiveness(ctx.store);
  const counted: string[] = [];
  for (let at = 0; at < liveness.counted.length; at += CONS_ADDRESS_LENGTH) counted.push(consAddressString(liveness.counted.subarray(at, at + CONS_ADDRESS_LENGTH)));
  return {
    params: paramsToJson(k.getParams(ctx.store)),
    signing_infos: infos.map((s) => ({
      address: s.address,
      start_height: s.startHeight.toString(),
      index_offset: s.indexOffset.toString(),
      jailed_until_height: s.jailedUntilHeight.toString(),
      tombstoned: s.tombstoned,
      missed_blocks_counter: s.missedBlocksCounter.toString(),
      last_seen_height: s.lastSeenHeight.toString(),
      recorded_height: (k.getStoredSigningInfo(ctx.store, s.address)?.lastSeenHeight ?? s.lastSeenHeight).toString(),
    })),
    missed_blocks: infos
      .map((s) => ({ address: s.address, indexes: k.missedIndexes(ctx.store, s.address).map((x) => x.toString()) }))
      .filter((m) => m.indexes.length > 0),
    liveness: { height: liveness.height.toString(), counted },
    slash_events: [...k.slashEvents(ctx.store)].map((e) => ({
      id: e.id.toString(),
      validator: e.validator,
      infraction_height: e.infractionHeight.toString(),
      height: e.height.toString(),
      kind: e.kind,
      fraction_ppm: e.fractionPpm.toString(),
      stake_at_risk: e.stakeAtRisk.toString(),
      amount: e.amount.toString(),
      validator_amount: e.validatorAmount.toString(),
      unbonding_amount: e.unbondingAmount.toString(),
      reporters: e.reporters.map((r) => ({ address: r.address, amount: r.amount.toString() })),
      treasury_amount: e.treasuryAmount.toString(),
      burned_amount: e.burnedAmount.toString(),
      jailed: e.jailed,
      tombstoned: e.tombstoned,
      reason: e.reason,
    })),
    correlation_records: [...k.correlations(ctx.store)].map((c) => ({
      slash_id: c.slashId.toString(),
      validator: c.validator,
      kind: c.kind,
      height: c.height.toString(),
      infraction_height: c.infractionHeight.toString(),
      stake: c.stake.toString(),
      amount: c.amount.toString(),
      top_up: c.topUp.toString(),
      due_height: c.dueHeight.toString(),
      done: c.done,
    })),
    next_slash_event_id: k.getNextEventId(ctx.store).toString(),
  };
}
