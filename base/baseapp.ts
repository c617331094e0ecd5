/**
 * The base application: the ABCI 2.0 state machine that every module plugs into.
 *
 * State flows through branches (write-back caches):
 *   committed (CommitStore.state)
 *     ├─ checkState   CheckTx runs here; reset after every Commit, then CometBFT rechecks
 *     └─ blockState   FinalizeBlock runs here (over InitChain's writes for the first block)
 *          └─ tx branch → msg branch   dropped when the ante handler or a message fails
 * FinalizeBlock returns the Merkle root of the block's writes as the app hash; Commit only
 * writes. Nothing here reads a clock, randomness or the environment.
 */
import { u64be } from "./types/bytes";
import {
  type ExecTxResult,
  type RequestCheckTx,
  type RequestFinalizeBlock,
  type RequestInfo,
  type RequestInitChain,
  type RequestPrepareProposal,
  type RequestProcessProposal,
  type RequestQuery,
  type ResponseCheckTx,
  type ResponseCommit,
  type ResponseFinalizeBlock,
  type ResponseInfo,
  type ResponseInitChain,
  type ResponsePrepareProposal,
  type ResponseProcessProposal,
  type ResponseQuery,
  type ValidatorUpdate,
  type Event,
  CheckTxType,
  MisbehaviorType,
  ResponseProcessProposal_ProposalStatus,
} from "cosmjs-types/tendermint/abci/types";
import { BlockIDFlag } from "cosmjs-types/tendermint/types/validator";
import { TxMsgData } from "cosmjs-types/cosmos/base/abci/v1beta1/abci";
import { SimulateRequest, SimulateResponse } from "cosmjs-types/cosmos/tx/v1beta1/service";
import { ProofOps } from "cosmjs-types/tendermint/crypto/proof";
import type { Any } from "cosmjs-types/google/protobuf/any";
import { onBranch, type BlockHookInfo, type BlockInfo, type Context, type ExecMode, type QueryContext } from "./context";
import { AppError, ErrBlockGasExceeded, ErrInvalidRequest, ErrPanic, InvariantError, asAppError, errorText } from "./errors";
import { EventManager } from "./events";
import { GasKV, GasMeter } from "./gas";
import type { AnyMsgHandler, AppModule, QueryHandler } from "./module";
import { GrpcStatus, MeteredReader, QUERY_GAS_LIMIT, QueryError, QueryGasMeter, abciCodeOf, decodeRequest, encodeResponse } from "./query";
import { Branch, type KVReader, type KVStore } from "./store/kv";
import { type CommitStore } from "./store/commitStore";
import { decodeTx, type DecodedTx } from "./tx";

export const APP_NAME = "inferchain";
export const APP_VERSION = 1n;
/**
 * The base layer's own keys (not a module's): `app/chain_id` → the chain id set at genesis;
 * `app/max_block_gas` → u64be, the block gas limit (consensus params `block.max_gas` at genesis).
 */
const CHAIN_ID_KEY = "app/chain_id";
const MAX_BLOCK_GAS_KEY = "app/max_block_gas";
/**
 * The block gas limit when genesis sets none (CometBFT's `max_gas` -1 means unlimited): a block
 * is always bounded, and the largest single tx (`MAX_GAS_LIMIT`) still fits.
 */
export const DEFAULT_MAX_BLOCK_GAS = 100_000_000n;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** The stateful checks every tx passes before its messages (x/auth's ante handler). */
export interface AnteHandler {
  run(ctx: Context, tx: DecodedTx): void;
  /** Optional: start expensive stateless-ish work (signature checks) off the main thread. */
  prefetch?(store: KVReader, chainId: string, tx: DecodedTx): Promise<void>;
}

export interface AppOptions {
  /** Modules in the order their genesis and block hooks run. */
  readonly modules: readonly AppModule[];
  readonly ante: AnteHandler;
  /** The largest tx the app accepts, read from consensus params in state. */
  readonly maxTxBytes: (s: KVReader) => bigint;
  readonly version?: string;
}

export interface TxOutcome {
  readonly result: ExecTxResult;
  readonly ok: boolean;
}

function errorResult(e: AppError, gasWanted: bigint, gasUsed: bigint, events: Event[] = []): ExecTxResult {
  return { code: e.code, codespace: e.codespace, log: e.message, data: new Uint8Array(), info: "", gasWanted, gasUsed, events };
}

export function blockHookInfo(req: Pick<RequestFinalizeBlock, "decidedLastCommit" | "misbehavior">): BlockHookInfo {
  return {
    lastCommit: (req.decidedLastCommit?.votes ?? []).map((v) => ({
      validatorAddress: v.validator?.address ?? new Uint8Array(),
      power: v.validator?.power ?? 0n,
      // Only an absent precommit is a missed block (as in Cosmos): a validator that voted nil
      // (late or rejected proposal) was online and signed.
      signed: v.blockIdFlag !== BlockIDFlag.BLOCK_ID_FLAG_ABSENT,
    })),
    misbehavior: req.misbehavior.map((m) => ({
      kind: m.type === MisbehaviorType.LIGHT_CLIENT_ATTACK ? "light_client_attack" : "duplicate_vote",
      validatorAddress: m.validator?.address ?? new Uint8Array(),
      power: m.validator?.power ?? 0n,
      height: m.height,
      totalVotingPower: m.totalVotingPower,
    })),
  };
}

/** Emitted (block event) when a module's block hook failed and its writes were dropped. */
export const EVENT_BLOCK_HOOK_ERROR = "block_hook_error";

/**
 * Freezes an object graph (plain objects and arrays). Byte arrays cannot be frozen in
 * JavaScript; they are only ever read.
 */
function deepFreeze<T>(o: T): T {
  if (typeof o !== "object" || o === null || ArrayBuffer.isView(o) || Object.isFrozen(o)) return o;
  Object.freeze(o);
  for (const v of Object.values(o as object)) deepFreeze(v);
  return o;
}

/** `/cosmos.bank.v1beta1.MsgSend` → `bank`, `/inferchain.inference.v1.MsgSubmitJob` → `inference`. */
function moduleOf(typeUrl: string): string {
  const parts = typeUrl.replace(/^\//, "").split(".");
  return parts.length >= 3 ? parts[1] : parts[0];
}

export class BaseApp {
  private readonly msgRouter = new Map<string, AnyMsgHandler>();
  private readonly queryRouter = new Map<string, QueryHandler>();
  private checkState: Branch;
  /** InitChain's writes, applied under the first block. */
  private genesisState: Branch | undefined;
  private chainId: string;
  private readonly decoded = new Map<string, DecodedTx>();

  constructor(
    readonly store: CommitStore,
    private readonly opts: AppOptions,
  ) {
    for (const m of opts.modules) {
      for (const h of m.msgHandlers ?? []) {
        if (this.msgRouter.has(h.typeUrl)) throw new Error(`message ${h.typeUrl} registered twice`);
        this.msgRouter.set(h.typeUrl, h);
      }
      for (const q of m.queries ?? []) this.addQuery(q);
    }
    this.addQuery({ path: "/cosmos.tx.v1beta1.Service/Simulate", handle: (ctx, data) => this.simulate(ctx, data) });
    this.checkState = new Branch(store.state);
    const raw = store.state.get(CHAIN_ID_KEY);
    this.chainId = raw ? dec.decode(raw) : "";
  }

  private addQuery(q: QueryHandler): void {
    if (this.queryRouter.has(q.path)) throw new Error(`query ${q.path} registered twice`);
    this.queryRouter.set(q.path, q);
  }

  /** Every query path served (ABCI and gRPC). */
  queryPaths(): string[] {
    return [...this.queryRouter.keys()].sort();
  }

  /** Proto files describing the services, for gRPC reflection. */
  protoFiles(): string[] {
    const files = new Set<string>(["cosmos/tx/v1beta1/service.proto"]);
    for (const m of this.opts.modules) for (const f of m.protoFiles ?? []) files.add(f);
    return [...files];
  }

  get lastHeight(): bigint {
    return this.store.lastCommitInfo.height;
  }

  // ---------------------------------------------------------------- ABCI: info connection

  /** Info: CometBFT calls it at startup (handshake) to learn what the app has committed. */
  info(_req: RequestInfo): ResponseInfo {
    const c = this.store.lastCommitInfo;
    return {
      data: APP_NAME,
      version: this.opts.version ?? "0.1.0",
      appVersion: APP_VERSION,
      lastBlockHeight: c.height,
      lastBlockAppHash: c.height > 0n ? c.appHash : new Uint8Array(),
    };
  }

  /** Query: served at the last committed height, with the path = the gRPC method name. */
  async query(req: RequestQuery): Promise<ResponseQuery> {
    const height = this.lastHeight;
    const base = { index: 0n, key: req.data, value: new Uint8Array(), proofOps: undefined, height, codespace: "", info: "", log: "", code: 0 };
    if (req.height !== 0n && req.height !== height) {
      return { ...base, code: ErrInvalidRequest.code, codespace: ErrInvalidRequest.codespace, log: `only the latest height (${height}) can be queried; got ${req.height}` };
    }
    if (req.path === "/store/key" || req.path === "store/key") {
      const key = dec.decode(req.data);
      if (!req.prove) return { ...base, value: this.store.state.get(key) ?? new Uint8Array() };
      // Value and proof from one committed version: between FinalizeBlock and Commit the trie
      // already holds the next root, but clients verify against the last committed app hash.
      const p = await this.store.provenValue(key);
      return { ...base, height: p.height, value: p.value ?? new Uint8Array(), proofOps: this.proofOps(key, p.proof) };
    }
    try {
      const value = this.runQuery(req.path, req.data);
      return { ...base, value };
    } catch (e) {
      const qe = e instanceof QueryError ? e : new QueryError(GrpcStatus.INTERNAL, "internal error");
      const code = abciCodeOf(qe.grpcCode);
      return { ...base, code, codespace: code === 1 ? "undefined" : "sdk", log: qe.abciLog };
    }
  }

  /**
   * Runs one query against committed state; throws QueryError. Shared by ABCI and gRPC. Every
   * read is charged to a meter with QUERY_GAS_LIMIT, so no query holds the thread for long.
   */
  runQuery(path: string, data: Uint8Array, gasLimit: bigint = QUERY_GAS_LIMIT): Uint8Array {
    const q = this.queryRouter.get(path);
    if (!q) throw new QueryError(GrpcStatus.UNIMPLEMENTED, `unknown query path ${path}`);
    const ctx: QueryContext = { store: new MeteredReader(this.store.state, new QueryGasMeter(gasLimit)), height: this.lastHeight };
    try {
      return q.handle(ctx, data);
    } catch (e) {
      if (e instanceof QueryError) throw e;
      if (e instanceof AppError) throw new QueryError(GrpcStatus.INVALID_ARGUMENT, e.message);
      throw e;
    }
  }

  private proofOps(key: string, nodes: Uint8Array[]): ProofOps {
    return { ops: nodes.map((n) => ({ type: "inferchain/mpt-node", key: enc.encode(key), data: n })) };
  }

  // ---------------------------------------------------------------- ABCI: mempool connection

  /** CheckTx: CometBFT calls it for each new tx (and again after each block, RECHECK) before admitting it to the mempool. */
  checkTx(req: RequestCheckTx): ResponseCheckTx {
    const mode: ExecMode = req.type === CheckTxType.RECHECK ? "recheck" : "check";
    const block = this.blockInfoForNext();
    const { result } = this.runTx(mode, this.checkState, req.tx, block);
    // The mempool ignores events and data (and CosmJS misreads CheckTx data, which CometBFT
    // sends as hex): neither is sent, as in the Cosmos SDK.
    return { ...result, data: new Uint8Array(), events: [] };
  }

  /**
   * Called by the ABCI server as soon as a CheckTx arrives, before its turn: verifies its
   * signatures in parallel with whatever runs now. CheckTx then finds them verified.
   */
  prefetchCheckTx(bytes: Uint8Array): Promise<void> {
    if (!this.opts.ante.prefetch) return Promise.resolve();
    let tx: DecodedTx;
    try {
      tx = this.decode(bytes, this.opts.maxTxBytes(this.checkState), false);
    } catch {
      return Promise.resolve();
    }
    return this.opts.ante.prefetch(this.checkState, this.chainId, tx);
  }

  // ---------------------------------------------------------------- ABCI: consensus connection

  /** InitChain: called once, at genesis; module genesis runs in module order. */
  async initChain(req: RequestInitChain): Promise<ResponseInitChain> {
    const state = new Branch(this.store.state);
    this.chainId = req.chainId;
    state.set(CHAIN_ID_KEY, enc.encode(req.chainId));
    const maxGas = req.consensusParams?.block?.maxGas ?? -1n;
    state.set(MAX_BLOCK_GAS_KEY, u64be(maxGas > 0n ? maxGas : DEFAULT_MAX_BLOCK_GAS));
    let appState: Record<string, unknown> = {};
    if (req.appStateBytes.length > 0) {
      const parsed: unknown = JSON.parse(dec.decode(req.appStateBytes));
      if (typeof parsed !== "object" || parsed === null) throw new Error("genesis app_state must be a JSON object");
      appState = parsed as Record<string, unknown>;
    }
    const block: BlockInfo = { chainId: req.chainId, height: req.initialHeight, timeSeconds: req.time?.seconds ?? 0n, hash: new Uint8Array(), proposer: new Uint8Array() };
    const ctx = this.context(state, "genesis", block, new GasMeter(undefined), new EventManager());
    const validators: ValidatorUpdate[] = [];
    for (const m of this.opts.modules) {
      const v = m.initGenesis?.(ctx, appState[m.name], req.consensusParams);
      if (v) validators.push(...v);
    }
    this.genesisState = state;
    this.checkState = new Branch(state);
    // The genesis state's root goes into block 1's header (clients read it as the latest app hash).
    const appHash = await this.store.stage(0n, state.changes());
    // Empty validators = CometBFT keeps genesis.json's; a staking module returns its own set.
    return { consensusParams: undefined, validators, appHash };
  }

  /**
   * PrepareProposal: CometBFT calls it on the proposer with the mempool's txs (FIFO). The txs run
   * exactly as FinalizeBlock will run them (ante, then messages; a failed message keeps the fee
   * and sequence bump), on one branch, in order, so a tx that depends on an earlier one in the
   * block (funds, sequence) sees its effects. A tx that fails the ante handler here, or would
   * pass the block's byte or gas limit, is left out; everything kept passes ProcessProposal's
   * identical run. Block hooks do not run: their inputs (the decided last commit) are not known
   * yet, so they can change neither this choice nor ProcessProposal's verdict.
   */
  prepareProposal(req: RequestPrepareProposal): ResponsePrepareProposal {
    const state = new Branch(this.genesisState ?? this.store.state);
    const block = this.blockInfo(req.height, req.time?.seconds ?? 0n, new Uint8Array(), req.proposerAddress);
    const maxGas = this.maxBlockGas(state);
    const txs: Uint8Array[] = [];
    let bytes = 0n;
    let gas = 0n;
    for (const tx of req.txs) {
      if (bytes + BigInt(tx.length) > req.maxTxBytes) continue;
      const out = this.runTx("prepare", state, tx, block, maxGas - gas);
      if (!out.ok) continue;
      txs.push(tx);
      bytes += BigInt(tx.length);
      gas += out.result.gasWanted;
    }
    return { txs };
  }

  /**
   * ProcessProposal: every validator runs the proposal's txs as PrepareProposal and
   * FinalizeBlock do and rejects it if any tx fails the ante handler (undecodable, bad
   * signature or sequence, unpaid fee) or the txs' gas limits add up past the block gas limit.
   * That is only a Byzantine (or buggy) proposer's block: CometBFT then prevotes nil and moves
   * to the next round and proposer. A tx whose messages fail is valid (it pays its fee).
   */
  processProposal(req: RequestProcessProposal): ResponseProcessProposal {
    const state = new Branch(this.genesisState ?? this.store.state);
    const block = this.blockInfo(req.height, req.time?.seconds ?? 0n, req.hash, req.proposerAddress);
    let gasLeft = this.maxBlockGas(state);
    for (const tx of req.txs) {
      const out = this.runTx("process", state, tx, block, gasLeft);
      if (!out.ok) return { status: ResponseProcessProposal_ProposalStatus.REJECT };
      gasLeft -= out.result.gasWanted;
    }
    return { status: ResponseProcessProposal_ProposalStatus.ACCEPT };
  }

  /**
   * FinalizeBlock: executes the decided block on a staged branch and returns the new app hash:
   * begin-block hooks, the txs (each with its own result; a tx that fails the ante handler is
   * recorded as failed and changes nothing), end-block hooks. Each hook runs on its own branch
   * (runHook): only an InvariantError stops the node.
   */
  async finalizeBlock(req: RequestFinalizeBlock): Promise<ResponseFinalizeBlock> {
    const state = new Branch(this.genesisState ?? this.store.state);
    const block = this.blockInfo(req.height, req.time?.seconds ?? 0n, req.hash, req.proposerAddress);
    const blockEvents = new EventManager();
    const hookInfo = blockHookInfo(req);
    for (const m of this.opts.modules) {
      if (m.beginBlock) this.runHook(state, block, blockEvents, m.name, "begin_block", (ctx) => m.beginBlock!(ctx, hookInfo));
    }
    const txResults = req.txs.map((tx) => this.runTx("finalize", state, tx, block).result);
    const validatorUpdates: ValidatorUpdate[] = [];
    for (const m of this.opts.modules) {
      if (!m.endBlock) continue;
      const updates = this.runHook(state, block, blockEvents, m.name, "end_block", (ctx) => m.endBlock!(ctx));
      if (updates) validatorUpdates.push(...updates);
    }
    // The first block also carries InitChain's writes.
    let changes = state.changes();
    if (this.genesisState) {
      state.write();
      changes = this.genesisState.changes();
    }
    const appHash = await this.store.stage(req.height, changes);
    return { events: blockEvents.events(), txResults, validatorUpdates, consensusParamUpdates: undefined, appHash };
  }

  /**
   * One module's block hook on its own branch. An InvariantError (committed state is broken)
   * stops the node; any other exception is deterministic bad data or a bug in that hook: its
   * writes are dropped, a `block_hook_error` event says so, and the block goes on (a hook that
   * isolates its items, as x/inference does per job, loses only the bad item).
   */
  private runHook<T>(state: KVStore, block: BlockInfo, blockEvents: EventManager, module: string, hook: string, fn: (ctx: Context) => T): T | undefined {
    const r = onBranch(this.context(state, "finalize", block, new GasMeter(undefined), blockEvents), fn);
    if (r.ok) return r.value;
    blockEvents.emit(EVENT_BLOCK_HOOK_ERROR, { module, hook, error: errorText(r.error) });
    return undefined;
  }

  /** Commit: writes the staged block in one atomic batch; the mempool then rechecks against it. */
  async commit(): Promise<ResponseCommit> {
    await this.store.commit();
    this.genesisState = undefined;
    this.checkState = new Branch(this.store.state);
    return { retainHeight: 0n };
  }

  // ---------------------------------------------------------------- tx execution

  /** The block gas limit stored at genesis (DEFAULT_MAX_BLOCK_GAS for a state written before it was). */
  maxBlockGas(s: KVReader): bigint {
    const raw = s.get(MAX_BLOCK_GAS_KEY);
    return raw ? Buffer.from(raw).readBigUInt64BE(0) : DEFAULT_MAX_BLOCK_GAS;
  }

  private blockInfo(height: bigint, timeSeconds: bigint, hash: Uint8Array, proposer: Uint8Array): BlockInfo {
    return { chainId: this.chainId, height, timeSeconds, hash, proposer };
  }

  /** CheckTx and simulation run as if in the next block. */
  private blockInfoForNext(): BlockInfo {
    return this.blockInfo(this.lastHeight + 1n, 0n, new Uint8Array(), new Uint8Array());
  }

  private context(store: KVStore, mode: ExecMode, block: BlockInfo, gas: GasMeter, events: EventManager): Context {
    return { store, gas, events, block, mode };
  }

  /**
   * Runs one tx on `parent` and, if the ante handler passes, writes its effects there.
   * In a block (prepare, process, finalize: the same transition) a failed message reverts the
   * messages but keeps the fee and sequence bump, and the tx counts as included (`ok`); in
   * CheckTx and simulation the tx is refused whole; on RECHECK it is kept with its ante effects
   * only (code 0, the message's error in the log). `gasLeft`: the block gas still
   * free; a tx whose gas limit does not fit fails before the ante handler.
   */
  runTx(mode: ExecMode, parent: KVStore, bytes: Uint8Array, block: BlockInfo, gasLeft?: bigint): TxOutcome {
    const inBlock = mode === "prepare" || mode === "process" || mode === "finalize";
    let tx: DecodedTx;
    try {
      tx = this.decode(bytes, this.opts.maxTxBytes(parent), mode === "simulate");
    } catch (e) {
      return { result: errorResult(this.surface(e, mode), 0n, 0n), ok: false };
    }
    const gasWanted = tx.fee.gasLimit;
    if (mode !== "simulate") {
      const limit = gasLeft ?? this.maxBlockGas(parent);
      if (gasWanted > limit) {
        const err = ErrBlockGasExceeded.wrap(`gas limit ${gasWanted}, ${gasLeft === undefined ? "block gas limit" : "block gas left"} ${limit}`);
        return { result: errorResult(err, gasWanted, 0n), ok: false };
      }
    }
    const meter = new GasMeter(mode === "simulate" ? undefined : gasWanted);
    const txBranch = new Branch(parent);
    const anteEvents = new EventManager();
    try {
      this.opts.ante.run(this.context(new GasKV(txBranch, meter), mode, block, meter, anteEvents), tx);
    } catch (e) {
      return { result: errorResult(this.surface(e, mode), gasWanted, meter.consumed), ok: false };
    }

    const msgBranch = new Branch(txBranch);
    const events: Event[] = [...anteEvents.events()];
    const responses: Any[] = [];
    try {
      for (const [i, m] of tx.msgs.entries()) {
        const em = new EventManager();
        em.emit("message", { action: m.typeUrl, sender: tx.signers[0].address, module: moduleOf(m.typeUrl) });
        const resp = m.handler.execute(this.context(new GasKV(msgBranch, meter), mode, block, meter, em), m.msg);
        events.push(...em.withMsgIndex(i));
        responses.push(resp);
      }
    } catch (e) {
      const err = this.surface(e, mode);
      // In a block the fee and sequence bump stand (Cosmos semantics); in CheckTx and simulation
      // the tx is refused whole.
      if (inBlock) txBranch.write();
      if (mode === "recheck") {
        // A tx admitted earlier whose message no longer holds (a reveal after its phase, a
        // model id taken meanwhile) stays in the mempool with its ante effects, and fails in
        // its block with its fee and sequence standing, as in the Cosmos SDK (whose CheckTx
        // runs no message at all). Evicting it would also evict every later tx of its sender,
        // whose sequences would then have a gap.
        txBranch.write();
        return { result: { ...errorResult(err.wrap("failed to execute message"), gasWanted, meter.consumed), code: 0, codespace: "" }, ok: true };
      }
      return { result: errorResult(err.wrap("failed to execute message"), gasWanted, meter.consumed, anteEvents.events()), ok: inBlock };
    }
    msgBranch.write();
    txBranch.write();
    const data = TxMsgData.encode({ data: [], msgResponses: responses }).finish();
    return { result: { code: 0, codespace: "", log: "", info: "", data, gasWanted, gasUsed: meter.consumed, events }, ok: true };
  }

  /**
   * Decoding is a pure function of the bytes, so a tx seen in CheckTx is not decoded again by
   * recheck, PrepareProposal, ProcessProposal and FinalizeBlock. Only successes are kept.
   */
  private decode(bytes: Uint8Array, maxTxBytes: bigint, simulate: boolean): DecodedTx {
    if (BigInt(bytes.length) > maxTxBytes || simulate) return decodeTx(bytes, (t) => this.msgRouter.get(t), maxTxBytes, simulate);
    const key = Buffer.from(bytes).toString("base64");
    const hit = this.decoded.get(key);
    if (hit) return hit;
    // Frozen: the same object serves every later run of these bytes, so no run may change it.
    const tx = deepFreeze(decodeTx(bytes, (t) => this.msgRouter.get(t), maxTxBytes));
    if (this.decoded.size >= 20_000) this.decoded.clear();
    this.decoded.set(key, tx);
    return tx;
  }

  /**
   * AppErrors become result codes. An InvariantError (broken committed state) stops the node in
   * FinalizeBlock. Any other exception is a bug that every node meets the same way on the same
   * bytes and state (the txs and state are identical, the code is deterministic): in a block it
   * fails the tx with `panic` (sdk 111222, as the Cosmos SDK recovers panics), its writes
   * dropped, so no tx can halt the chain; in CheckTx and simulation it is an internal error.
   */
  private surface(e: unknown, mode: ExecMode): AppError {
    if (e instanceof AppError) return e;
    if (e instanceof InvariantError && mode === "finalize") throw e;
    if (mode === "prepare" || mode === "process" || mode === "finalize") return ErrPanic.wrap(errorText(e));
    return asAppError(e);
  }

  private simulate(ctx: QueryContext, data: Uint8Array): Uint8Array {
    const req = decodeRequest(SimulateRequest, data);
    if (req.txBytes.length === 0) throw new QueryError(GrpcStatus.INVALID_ARGUMENT, "simulate needs tx_bytes");
    const { result } = this.runTx("simulate", new Branch(ctx.store), req.txBytes, this.blockInfoForNext());
    if (result.code !== 0) {
      throw new QueryError(GrpcStatus.INVALID_ARGUMENT, `${result.log}: codespace ${result.codespace} code ${result.code}`);
    }
    return encodeResponse(SimulateResponse, {
      gasInfo: { gasWanted: result.gasWanted, gasUsed: result.gasUsed },
      result: { data: new Uint8Array(), log: "", events: result.events, msgResponses: TxMsgData.decode(result.data).msgResponses },
    });
  }
}
