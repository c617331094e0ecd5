/**
 * The sidecar (SPEC §5): one per validator, beside `inferd start`. It signs with the
 * validator's hot worker key, never the operator key.
 *
 *   start    client.toml → RPC; keyring → worker key; x/staking Worker → served models;
 *            x/models → each model's registry entry; file + sha256 check + one onnxruntime
 *            session per model; metrics server; signer queue; block subscription
 *   per block  job_assigned events naming this worker → fetch the job → queue; each tx of
 *            ours in the block → confirmed or failed; every `resyncEveryBlocks` blocks, and
 *            after every (re)connect, "resume from chain state": every ASSIGNED job of this
 *            worker not yet answered is queued
 *   per job  decode → dequantize → run → quantize → encode → keep the output under
 *            <home>/sidecar/results (resultStore.ts) → seal it to the job's client
 *            (client/results.ts: commitment + ECIES, the ephemeral key and salt derived from
 *            the worker key) → MsgSubmitResult{commitment, sealed_output} through the signer
 *            queue (broadcast_tx_sync; the block that includes it confirms it); up to
 *            `maxConcurrent` jobs at once, the waiting ones by earliest hard deadline
 *            (scheduler.ts). A retry posts the kept result again rather than running anew.
 *   opening  `openResult(job)` (called when a dispute asks, by the verifier role): the kept
 *            output and the re-derived key and salt as MsgOpenResult
 *   verifier when its validator is drawn to verify a disputed result: re-run, commit, reveal
 *            (verifier.ts, handed every block and every resume)
 *   data     a job by URI: its input fetched (capped at max_uri_input_bytes, timed out,
 *            checked against input_sha256) and kept under <home>/sidecar/inputs, served by hash
 *            on `--data-address` (dataServer.ts); a `data_requested` event naming this worker
 *            (and every resume: the open requests of its jobs) → MsgProvideData with the kept
 *            bytes, so a request never expires on an honest worker
 *   faults   (tests and scenarios only) --fault MODE on every job, or on the --fault-rate
 *            share of them (faults.ts fakesJob); --collude GROUP shares each posted output with
 *            the group's verifiers (collusion.ts)
 *
 * A job whose input onnxruntime refuses, or whose output cannot be quantized or does not fit
 * the model's output spec, gets a signed cannot-run result (`cannot_run`, the error as the
 * reason): the client gets its fee back and the worker pays no no-response penalty. A job this
 * sidecar cannot take up at all (a model it has not loaded) is logged, counted and dropped. An
 * input by URI that cannot be fetched or does not hash to input_sha256 is logged, counted and
 * retried at the next resume (up to MAX_TRIES), never answered cannot-run: a client that serves
 * its URI to verifiers but not to the worker would otherwise turn a signed cannot-run into a
 * FAULT; left, the job costs at most the bounded no-response penalty. A result that did not land (RPC error, dropped from the mempool, failed in its
 * block) is retried while the job is still assigned to us, up to MAX_TRIES times.
 */
import http from "node:http";
import { GasPrice } from "@cosmjs/stargate";
import type { Logger } from "pino";
import type { Model } from "../x/models/types";
import { msgProvideData, setupChallengeExtension, type ChallengeExtension } from "../client/challenge";
import { connectQueryClient, JobStatus, type InferchainQueryClient, type Job } from "../client/queries";
import { msgOpenResult, msgSubmitResult } from "../client/registry";
import { openingFor, sealResult } from "../client/results";
import { SignerQueue, TxRejectedError } from "../client/signerQueue";
import { openKeyring, KeyNotFoundError } from "../client/keyring";
import { Backoff, sleep } from "./backoff";
import { BlockWatcher, type BlockInfo } from "./chainEvents";
import { InputStore, resolveInput, serveData } from "./dataServer";
import type { ExecutionProviderName, ProviderChoice } from "./executionProvider";
import { Collusion } from "./collusion";
import { faultSeed, fakesJob, sealingKey, type FaultMode } from "./faults";
import { SidecarMetrics, serveMetrics } from "./metrics";
import { loadModels } from "./models";
import { runJob, type LoadedModel } from "./pipeline";
import { ResultStore, type PostedResult } from "./resultStore";
import { DEFAULT_MAX_CONCURRENT, DeadlineScheduler, byDeadline, cannotRunReason } from "./scheduler";
import { Verifier } from "./verifier";
import type { VerifierFaultMode } from "./verifierFaults";

export interface SidecarConfig {
  readonly home: string;
  /** http://host:port */
  readonly rpcUrl: string;
  readonly chainId?: string;
  readonly keyringBackend: "test" | "file";
  readonly passphrase?: () => Promise<string>;
  readonly workerKey: string;
  readonly modelsDir: string;
  readonly executionProvider: ExecutionProviderName;
  /** host:port, or "" for no metrics server. */
  readonly metricsAddress: string;
  readonly fault?: FaultMode;
  /** With `fault`: the share of jobs (ppm) it misbehaves on, chosen per job by faults.ts fakesJob; every job without. */
  readonly faultRatePpm?: number;
  /** How it verifies when drawn (tests only; honest without). */
  readonly verifierFault?: VerifierFaultMode;
  /** `--collude GROUP` (tests only): shares its posted outputs with the group and reveals the group's worker's output when drawn (collusion.ts). */
  readonly collude?: string;
  /** e.g. 0.025uinf */
  readonly gasPrice: string;
  /** host:port of the data server (inputs of its jobs by URI, by hash), or "" / absent for none. */
  readonly dataAddress?: string;
  /** Other validators' data servers (host:port), tried for an input after its URI. */
  readonly dataPeers?: readonly string[];
  readonly resyncEveryBlocks?: number;
  /** Jobs run at once (default 4); the waiting ones go by earliest hard deadline. */
  readonly maxConcurrent?: number;
  readonly stallMs?: number;
  readonly log: Logger;
  /** Human progress lines (model loading) — stdout. */
  readonly progress: (line: string) => void;
  /** Warnings a person must see (provider fallback, missing registration) — stderr. */
  readonly warn: (line: string) => void;
}

export class SidecarSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SidecarSetupError";
  }
}

const MAX_TRIES = 3;
/** A submitted result not seen in a block after this many blocks is taken as dropped. */
const SUBMITTED_TIMEOUT_BLOCKS = 10n;
/** Finished jobs are forgotten this many blocks after they finish. */
const FORGET_AFTER_BLOCKS = 50n;
const GAS_MARGIN = 1.3;
/** Kept results (and fetched inputs) older than this are deleted at start: every dispute over them is long over. */
const KEEP_RESULTS_MS = 7 * 24 * 3600 * 1000;
/** A MsgProvideData not seen settled after this many blocks is sent again (while the request is open). */
const PROVIDE_RETRY_BLOCKS = 3n;
/** x/inference's default max_uri_input_bytes, when its params cannot be read. */
const DEFAULT_MAX_URI_INPUT_BYTES = 65_536;

type JobState = "queued" | "running" | "submitted" | "done" | "ignored";

interface Tracked {
  readonly key: string;
  job: Job;
  state: JobState;
  txhash?: string;
  /** Height at which the state last changed. */
  since: bigint;
}

/** `id/attempts`: a job reassigned to us later is new work. */
const jobKey = (j: Job): string => `${j.id}/${j.attempts}`;

export class Sidecar {
  private height = 0n;
  private readonly tracked = new Map<string, Tracked>();
  private readonly tries = new Map<string, number>();
  private readonly byTx = new Map<string, Tracked>();
  private readonly scheduler: DeadlineScheduler<Tracked>;
  private watcher: BlockWatcher | undefined;
  private readonly gas = new Map<string, { bytes: number; gas: number }>();
  private blocksSinceResync = 0;
  private stopping = false;
  /** The verifier role, from start() on. */
  private verifier: Verifier | undefined;
  private challenge: ChallengeExtension["challenge"] | undefined;
  /** Data requests answered (job id → height sent), so a request is answered once per try. */
  private readonly provided = new Map<bigint, bigint>();
  private readonly collusion: Collusion | undefined;
  private readonly faultSeed: Uint8Array;
  private resolveDone!: () => void;
  /** Resolves once the sidecar has stopped. */
  readonly done = new Promise<void>((r) => (this.resolveDone = r));

  constructor(
    private readonly cfg: SidecarConfig,
    readonly worker: { readonly address: string; readonly operator: string },
    readonly models: ReadonlyMap<string, LoadedModel>,
    readonly provider: ProviderChoice,
    readonly metrics: SidecarMetrics,
    private readonly query: InferchainQueryClient,
    private readonly signer: SignerQueue,
    private readonly server: http.Server | undefined,
    /** The worker key's secret (seals and opens results) and where posted results are kept. */
    private readonly sealing: { readonly secretKey: Uint8Array; readonly results: ResultStore },
    /** Inputs of jobs by URI: kept, served (server), capped at x/inference's max_uri_input_bytes. */
    private readonly inputs?: { readonly store: InputStore; readonly server?: http.Server; readonly maxBytes: number },
  ) {
    this.collusion = cfg.collude !== undefined ? new Collusion(cfg.collude) : undefined;
    this.faultSeed = faultSeed(sealing.secretKey);
    this.scheduler = new DeadlineScheduler<Tracked>(
      cfg.maxConcurrent ?? DEFAULT_MAX_CONCURRENT,
      (t) => (this.stopping ? Promise.resolve() : this.handle(t)),
      (t, e) => {
        // Never let one job take the sidecar down.
        t.state = "done";
        this.cfg.log.error({ job: t.job.id.toString(), err: (e as Error).message }, "job failed");
      },
      (n) => this.metrics.queueDepth.set(n),
    );
  }

  /** Subscribes to blocks and starts answering jobs (and verifying, when drawn). */
  start(): void {
    const challenge = setupChallengeExtension(this.query).challenge;
    this.challenge = challenge;
    const verifier = new Verifier({
      home: this.cfg.home,
      worker: this.worker,
      models: this.models,
      chain: { dispute: challenge.dispute, disputes: challenge.disputes, job: (id) => this.query.inferchain.inference.job(id) },
      signer: this.signer,
      metrics: this.metrics,
      log: this.cfg.log.child({ role: "verifier" }),
      openResult: (id) => this.openResult(id),
      fault: this.cfg.verifierFault,
      collusion: this.collusion,
      resyncEveryBlocks: this.cfg.resyncEveryBlocks,
      inputOf: (job) => this.inputOf(job),
    });
    this.verifier = verifier;
    this.watcher = new BlockWatcher({
      rpcUrl: this.cfg.rpcUrl,
      log: this.cfg.log,
      stallMs: this.cfg.stallMs,
      onBlock: (b) => this.onBlock(b),
      onConnected: async () => {
        this.metrics.connected.set(1);
        await this.resume("connected");
        await verifier.resume("connected");
      },
      onDisconnected: () => {
        this.metrics.connected.set(0);
        this.metrics.reconnects.inc();
      },
    });
  }

  async stop(): Promise<void> {
    if (this.stopping) return this.done;
    this.stopping = true;
    await this.watcher?.stop();
    this.scheduler.clear();
    await this.scheduler.idle();
    await this.verifier?.stop();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    await new Promise<void>((r) => (this.inputs?.server ? this.inputs.server.close(() => r()) : r()));
    for (const m of this.models.values()) await m.session.release().catch(() => undefined);
    this.cfg.log.info("sidecar stopped");
    this.resolveDone();
    return this.done;
  }

  /** The fault mode this worker plays on `job` (its --fault, on the --fault-rate share of its jobs), or undefined: honest. */
  faultFor(job: Pick<Job, "id">): FaultMode | undefined {
    const f = this.cfg.fault;
    if (f === undefined || this.cfg.faultRatePpm === undefined) return f;
    return fakesJob(this.faultSeed, job.id, this.cfg.faultRatePpm) ? f : undefined;
  }

  get queueDepth(): number {
    return this.scheduler.waitingCount;
  }

  // ------------------------------------------------------------------ chain state

  /** Queues every job assigned to this worker that is not being handled yet. */
  async resume(why: string): Promise<void> {
    const jobs = await this.query.inferchain.inference.jobs({ status: JobStatus.JOB_STATUS_ASSIGNED, worker: this.worker.address });
    let queued = 0;
    const assigned = new Set<string>();
    // Earliest hard deadline first, so the free slots go to the most urgent jobs.
    const urgent = [...jobs].sort((a, b) => byDeadline({ job: a }, { job: b }));
    for (const job of urgent) {
      assigned.add(jobKey(job));
      if (this.enqueue(job)) queued++;
    }
    // A submitted result whose tx never showed up in a block: dropped from the mempool.
    for (const t of this.tracked.values()) {
      if (t.state === "submitted" && assigned.has(t.key) && this.height - t.since > SUBMITTED_TIMEOUT_BLOCKS) {
        this.cfg.log.warn({ job: t.job.id.toString(), txhash: t.txhash }, "result tx not included; retrying");
        this.byTx.delete(t.txhash ?? "");
        this.tracked.delete(t.key);
        if (this.enqueue(t.job)) queued++;
      }
    }
    this.blocksSinceResync = 0;
    await this.answerDataRequests(why);
    if (queued > 0 || why !== "periodic") this.cfg.log.info({ why, assigned: jobs.length, queued, height: this.height.toString() }, "resumed from chain state");
  }

  private async onBlock(b: BlockInfo): Promise<void> {
    this.height = b.height;
    this.metrics.height.set(Number(b.height));
    this.verifier?.onBlock(b);
    for (const tx of b.txs) {
      const t = this.byTx.get(tx.hash);
      if (!t) continue;
      this.byTx.delete(tx.hash);
      t.since = b.height;
      if (tx.code === 0) {
        t.state = "done";
        this.metrics.confirmed.inc({ model: t.job.modelId });
        this.cfg.log.info({ job: t.job.id.toString(), height: b.height.toString(), txhash: tx.hash }, "result included");
      } else {
        this.metrics.failed.inc({ model: t.job.modelId, reason: "tx_failed" });
        this.cfg.log.warn({ job: t.job.id.toString(), code: tx.code, codespace: tx.codespace, log: tx.log }, "result tx failed in its block");
        // Out of gas: the estimate for this model was too low.
        if (tx.codespace === "sdk" && tx.code === 11) this.gas.delete(t.job.modelId);
        // Forget it, so the next resume retries it if the job is still ours.
        this.tracked.delete(t.key);
      }
    }
    const ids = new Set<bigint>();
    for (const e of b.events) {
      if (e.type === "job_assigned" && e.attributes.worker === this.worker.address && /^[0-9]+$/.test(e.attributes.job_id ?? "")) ids.add(BigInt(e.attributes.job_id));
    }
    const requested: bigint[] = [];
    for (const e of b.events) {
      if (e.type === "data_requested" && e.attributes.worker === this.worker.address && /^[0-9]+$/.test(e.attributes.job_id ?? "")) requested.push(BigInt(e.attributes.job_id));
    }
    for (const id of requested) await this.provideData(id);
    for (const id of ids) {
      try {
        const job = await this.query.inferchain.inference.job(id);
        if (job) this.enqueue(job);
      } catch (e) {
        this.cfg.log.warn({ job: id.toString(), err: (e as Error).message }, "cannot fetch assigned job; the next resume will");
      }
    }
    if (++this.blocksSinceResync >= (this.cfg.resyncEveryBlocks ?? 5)) await this.resume("periodic");
    for (const [k, t] of this.tracked) {
      if ((t.state === "done" || t.state === "ignored") && b.height - t.since > FORGET_AFTER_BLOCKS) {
        this.tracked.delete(k);
        this.tries.delete(k);
      }
    }
  }

  // ------------------------------------------------------------------ jobs

  /** Queues a job assigned to us that is not tracked yet; true if it was queued. */
  private enqueue(job: Job): boolean {
    const key = jobKey(job);
    if (this.tracked.has(key) || job.status !== JobStatus.JOB_STATUS_ASSIGNED || job.worker !== this.worker.address) return false;
    if (this.height > 0n && job.hardDeadlineHeight > 0n && BigInt(this.height) > job.hardDeadlineHeight) return false;
    const tries = this.tries.get(key) ?? 0;
    const t: Tracked = { key, job, state: "queued", since: this.height };
    this.tracked.set(key, t);
    if (this.faultFor(job) === "offline") {
      t.state = "ignored";
      this.cfg.log.info({ job: job.id.toString(), model: job.modelId }, "fault offline: not answering");
      return false;
    }
    if (tries >= MAX_TRIES) {
      t.state = "ignored";
      this.cfg.log.error({ job: job.id.toString(), tries }, "giving up on job after repeated failures");
      return false;
    }
    this.tries.set(key, tries + 1);
    this.scheduler.push(t);
    return true;
  }

  private async handle(t: Tracked): Promise<void> {
    const job = t.job;
    const id = job.id.toString();
    const loaded = this.models.get(job.modelId);
    t.state = "running";
    if (!loaded) {
      t.state = "done";
      this.metrics.failed.inc({ model: job.modelId, reason: "no_model" });
      this.cfg.log.error({ job: id, model: job.modelId }, "job for a model this sidecar has not loaded (restart it after changing the worker's models)");
      return;
    }
    // An input by URI: kept from an earlier try, else fetched and checked against its hash.
    let input = job.input;
    if (input.length === 0 && job.inputUri !== "") {
      try {
        input = await this.inputOf(job);
      } catch (e) {
        this.metrics.failed.inc({ model: job.modelId, reason: "input_uri" });
        this.cfg.log.warn({ job: id, uri: job.inputUri, sha256: job.inputSha256, err: (e as Error).message }, "cannot fetch the job's input; retrying at the next resume");
        // Forgotten, so the next resume queues it again (up to MAX_TRIES).
        this.tracked.delete(t.key);
        return;
      }
      this.cfg.log.info({ job: id, bytes: input.length, sha256: job.inputSha256 }, "input fetched and kept");
    }
    // Posted before (the tx did not land): the same result again, so the chain only ever sees
    // one result per job from us, and an opening reveals exactly it.
    const kept = this.sealing.results.load(job);
    if (kept) {
      this.cfg.log.info({ job: id, cannotRun: kept.cannotRun }, "posting the result kept from an earlier attempt");
      await this.post(t, loaded.model, kept, 0);
      return;
    }
    let output: Uint8Array;
    const started = performance.now();
    try {
      output = await runJob(loaded, input, this.faultFor(job));
    } catch (e) {
      // onnxruntime refused the input, or the output cannot be quantized / does not fit the
      // output spec: say so, signed, instead of letting the job time out.
      const reason = cannotRunReason(e);
      this.metrics.failed.inc({ model: job.modelId, reason: "cannot_run" });
      this.cfg.log.warn({ job: id, err: reason }, "cannot run job; posting a cannot-run result");
      await this.post(t, loaded.model, { cannotRun: true, reason }, 0);
      return;
    }
    const seconds = (performance.now() - started) / 1000;
    this.metrics.observeInference(job.modelId, seconds);
    await this.post(t, loaded.model, { cannotRun: false, output }, seconds);
  }

  /** Keeps the result, seals it to the job's client and submits it. */
  private async post(t: Tracked, model: Model, r: PostedResult, seconds: number): Promise<void> {
    const job = t.job;
    let sealed;
    try {
      // Under --fault bad-seal, sealed to the worker's own key: the client cannot open it.
      const to = { ...job, clientPubkey: sealingKey(this.faultFor(job), job.clientPubkey, this.sealing.secretKey) };
      sealed = sealResult(to, r.cannotRun ? new Uint8Array() : r.output, this.sealing.secretKey);
      this.sealing.results.save(job, r);
    } catch (e) {
      // No key to seal to (a job from before sealed results), or the home is not writable.
      t.state = "done";
      this.metrics.failed.inc({ model: job.modelId, reason: "seal" });
      this.cfg.log.error({ job: job.id.toString(), err: (e as Error).message }, "cannot seal or keep the result; not posting it");
      return;
    }
    // --collude: the group's verifiers reveal what we committed to, should one be drawn.
    if (this.collusion && !r.cannotRun) {
      try {
        this.collusion.publish(this.worker.address, job.id, r.output);
      } catch (e) {
        this.cfg.log.warn({ job: job.id.toString(), dir: this.collusion.dir, err: (e as Error).message }, "collude: cannot share the output with the group");
      }
    }
    const msg = msgSubmitResult({
      worker: this.worker.address,
      jobId: job.id,
      commitment: sealed.commitment,
      sealedOutput: sealed.sealedOutput,
      cannotRun: r.cannotRun,
      reason: r.cannotRun ? r.reason : "",
    });
    await this.submit(t, model, msg, sealed.sealedOutput.length, seconds);
  }

  /**
   * Opens this worker's sealed result of `jobId` (MsgOpenResult) with what it kept when it
   * posted and the ephemeral key and salt derived again; resolves with the tx hash once the
   * node accepted it into its mempool. The verifier role calls it when a dispute over one of
   * our jobs reaches its opening phase. Throws when the job is not ours or nothing was kept.
   */
  async openResult(jobId: bigint): Promise<string> {
    const job = await this.query.inferchain.inference.job(jobId);
    if (!job) throw new Error(`job ${jobId} not found`);
    if (job.worker !== this.worker.address) throw new Error(`job ${jobId}'s result is ${job.worker}'s, not ours`);
    const kept = this.sealing.results.load(job);
    if (!kept) throw new Error(`job ${jobId}: no kept result under ${this.sealing.results.dir}`);
    const msg = msgOpenResult(openingFor(job, kept.cannotRun ? new Uint8Array() : kept.output, this.sealing.secretKey));
    const gas = Math.ceil((await this.signer.simulate([msg])) * GAS_MARGIN) + 10_000;
    const b = await this.signer.submit([msg], gas);
    this.cfg.log.info({ job: jobId.toString(), txhash: b.txhash, cannotRun: kept.cannotRun }, "result opened");
    return b.txhash;
  }

  // ------------------------------------------------------------------ data availability

  /** A job's input bytes: on chain, kept, its URI, or a peer's data server (dataServer.ts `resolveInput`). */
  private inputOf(job: Job): Promise<Uint8Array> {
    const inputs = this.inputs ?? { store: new InputStore(this.cfg.home), maxBytes: DEFAULT_MAX_URI_INPUT_BYTES };
    return resolveInput(job, { store: inputs.store, maxBytes: inputs.maxBytes, peers: this.cfg.dataPeers });
  }

  /** Every open data request of this worker's jobs not answered in the last few blocks gets an answer. */
  private async answerDataRequests(why: string): Promise<void> {
    if (!this.challenge || this.cfg.fault === "withhold") return;
    let open;
    try {
      open = await this.challenge.dataRequests(this.worker.address);
    } catch (e) {
      this.cfg.log.warn({ why, err: (e as Error).message }, "cannot list open data requests; the next resume will");
      return;
    }
    for (const r of open) if (r.worker === this.worker.address) await this.provideData(r.jobId);
  }

  /**
   * Answers a data request for one of our jobs with MsgProvideData: the kept bytes (fetched
   * again from the URI if they are gone). Under `--fault withhold` it never does. Failures are
   * logged; the next resume tries again while the request is open.
   */
  private async provideData(jobId: bigint): Promise<void> {
    const id = jobId.toString();
    if (this.cfg.fault === "withhold") {
      this.cfg.log.info({ job: id }, "fault withhold: not providing the input");
      return;
    }
    const sent = this.provided.get(jobId);
    if (sent !== undefined && this.height - sent < PROVIDE_RETRY_BLOCKS) return;
    this.provided.set(jobId, this.height);
    try {
      const job = await this.query.inferchain.inference.job(jobId);
      if (!job || job.worker !== this.worker.address || job.inputUri === "") return;
      const data = await this.inputOf(job);
      const msg = msgProvideData({ worker: this.worker.address, jobId, data });
      const gas = Math.ceil((await this.signer.simulate([msg])) * GAS_MARGIN) + 10_000;
      const b = await this.signer.submit([msg], gas);
      this.metrics.dataProvided.inc();
      this.cfg.log.info({ job: id, bytes: data.length, txhash: b.txhash }, "data request answered");
    } catch (e) {
      this.cfg.log.warn({ job: id, err: (e as Error).message }, "cannot answer the data request; retrying");
      this.provided.delete(jobId);
    }
  }

  /** Signs and broadcasts a result (or a cannot-run result) through the signer queue. */
  private async submit(t: Tracked, model: Model, msg: ReturnType<typeof msgSubmitResult>, bytes: number, seconds: number): Promise<void> {
    const job = t.job;
    const id = job.id.toString();
    try {
      const gas = await this.gasFor(model, msg, bytes);
      const b = await this.signer.submit([msg], gas);
      t.state = "submitted";
      t.txhash = b.txhash;
      t.since = this.height;
      this.byTx.set(b.txhash, t);
      this.metrics.submitted.inc({ model: job.modelId });
      const cannotRun = msg.value.cannotRun;
      this.cfg.log.info(
        { job: id, model: job.modelId, ms: Math.round(seconds * 1e4) / 10, txhash: b.txhash, sequence: b.sequence.toString(), gas, ...(cannotRun ? { cannotRun, reason: msg.value.reason } : {}) },
        cannotRun ? "cannot-run result submitted" : "result submitted",
      );
    } catch (e) {
      const rejected = e instanceof TxRejectedError || /simulat|rpc error|failed to execute message/i.test((e as Error).message);
      this.metrics.failed.inc({ model: job.modelId, reason: rejected ? "rejected" : "broadcast" });
      this.cfg.log.warn({ job: id, err: (e as Error).message }, rejected ? "result refused by the node" : "cannot broadcast result; will retry");
      // Forget the job: if it is still ours at the next resume, it runs again (up to MAX_TRIES).
      this.tracked.delete(t.key);
    }
  }

  /** Gas for a result of `bytes` output bytes: simulated once per model (and again for a larger output), with a margin. */
  private async gasFor(model: Model, msg: ReturnType<typeof msgSubmitResult>, bytes: number): Promise<number> {
    const cached = this.gas.get(model.id);
    if (cached && bytes <= cached.bytes) return cached.gas;
    const used = await this.signer.simulate([msg]);
    const gas = Math.ceil(used * GAS_MARGIN) + 10_000;
    this.gas.set(model.id, { bytes, gas });
    return gas;
  }
}

// ------------------------------------------------------------------ startup

function hint(cfg: SidecarConfig, what: string): string {
  const h = `--home ${cfg.home}`;
  return (
    `${what}\n` +
    `  create the worker key:   inferd keys add ${cfg.workerKey} ${h}\n` +
    `  fund it (for fees):      inferd tx bank send validator <worker address> 100000000uinf ${h} --yes\n` +
    `  register it (operator):  inferd tx staking register-worker <worker address> --models mlp-16x8,silero-vad --from validator ${h} --yes`
  );
}

/** Retries `f` with backoff while the node cannot be reached. */
async function withRetry<T>(cfg: SidecarConfig, what: string, f: () => Promise<T>, stopped: () => boolean): Promise<T> {
  const backoff = new Backoff({ initialMs: 500, maxMs: 10_000 });
  for (;;) {
    try {
      return await f();
    } catch (e) {
      if (stopped()) throw e;
      const delay = backoff.next();
      cfg.log.warn({ err: (e as Error).message, retryInMs: delay }, `${what} failed; retrying`);
      await sleep(delay);
    }
  }
}

/**
 * Everything the sidecar needs before its first block: key, registration, models (checked
 * and opened), metrics server, signer. Throws a SidecarSetupError a person can act on.
 */
export async function createSidecar(cfg: SidecarConfig, o: { stopped?: () => boolean } = {}): Promise<Sidecar> {
  const stopped = o.stopped ?? (() => false);
  const keyring = await openKeyring({ home: cfg.home, backend: cfg.keyringBackend, passphrase: cfg.passphrase });
  let key;
  try {
    key = await keyring.show(cfg.workerKey);
  } catch (e) {
    if (e instanceof KeyNotFoundError) throw new SidecarSetupError(hint(cfg, `no key "${cfg.workerKey}" in the keyring of ${cfg.home}.`));
    throw e;
  }
  const address = key.address;
  const results = ResultStore.forHome(cfg.home);
  const pruned = results.prune(KEEP_RESULTS_MS);
  if (pruned > 0) cfg.log.info({ dir: results.dir, files: pruned }, "old kept results deleted");
  const sealing = { secretKey: await keyring.privateKey(key.name), results };
  const inputStore = new InputStore(cfg.home);
  const oldInputs = inputStore.prune(KEEP_RESULTS_MS);
  if (oldInputs > 0) cfg.log.info({ dir: inputStore.dir, files: oldInputs }, "old kept inputs deleted");
  const { query, comet } = await withRetry(cfg, `connecting to ${cfg.rpcUrl}`, () => connectQueryClient(cfg.rpcUrl), stopped);

  // Registration: wait for it (a localnet registers its workers right after the first blocks).
  let worker = await withRetry(cfg, "worker query", () => query.inferchain.staking.workerByAddress(address), stopped);
  if (!worker) {
    cfg.warn(hint(cfg, `worker key "${cfg.workerKey}" (${address}) is not registered by any validator; waiting for the registration…`));
    while (!worker) {
      if (stopped()) throw new SidecarSetupError("stopped before the worker was registered");
      await sleep(2000);
      worker = await withRetry(cfg, "worker query", () => query.inferchain.staking.workerByAddress(address), stopped);
    }
  }
  cfg.log.info({ worker: address, operator: worker.operatorAddress, models: worker.modelIds }, "worker registered");

  const models: Model[] = [];
  for (const id of worker.modelIds) {
    const m = await withRetry(cfg, `model ${id} query`, () => query.inferchain.models.model(id), stopped);
    if (!m) cfg.warn(`model ${id} is served by this worker but not in the registry; skipping it`);
    else models.push(m);
  }
  let loaded;
  try {
    loaded = await loadModels(models, { modelsDir: cfg.modelsDir, executionProvider: cfg.executionProvider, progress: cfg.progress, warn: cfg.warn });
  } catch (e) {
    throw new SidecarSetupError((e as Error).message);
  }
  cfg.log.info({ requested: loaded.provider.requested, provider: loaded.provider.used, fallback: loaded.provider.fallbackReason }, "execution provider");

  const metrics = new SidecarMetrics();
  metrics.providerInfo.set({ requested: loaded.provider.requested, provider: loaded.provider.used }, 1);
  let server: http.Server | undefined;
  if (cfg.metricsAddress !== "") {
    try {
      server = await serveMetrics(metrics, cfg.metricsAddress);
    } catch (e) {
      throw new SidecarSetupError(`cannot serve metrics on ${cfg.metricsAddress}: ${(e as Error).message}`);
    }
    cfg.log.info({ address: `http://${cfg.metricsAddress}/metrics` }, "metrics");
  }
  let maxUriInputBytes = DEFAULT_MAX_URI_INPUT_BYTES;
  try {
    const p = await query.inferchain.inference.params();
    if (p && p.maxUriInputBytes > 0n) maxUriInputBytes = Number(p.maxUriInputBytes);
  } catch (e) {
    cfg.log.warn({ err: (e as Error).message, maxUriInputBytes }, "cannot read x/inference params; capping inputs by URI at the default");
  }
  let dataServer: http.Server | undefined;
  if (cfg.dataAddress) {
    try {
      dataServer = await serveData(inputStore, cfg.dataAddress, { withhold: cfg.fault === "withhold", onServe: (_sha, ok) => metrics.dataServed.inc({ found: String(ok) }) });
    } catch (e) {
      server?.close();
      throw new SidecarSetupError(`cannot serve data on ${cfg.dataAddress}: ${(e as Error).message}`);
    }
    cfg.log.info({ address: `http://${cfg.dataAddress}/data/<sha256>` }, "data server");
  }
  let signer: SignerQueue;
  try {
    signer = await SignerQueue.create({ rpcUrl: cfg.rpcUrl, comet, signer: await keyring.signer(key.name), gasPrice: GasPrice.fromString(cfg.gasPrice), chainId: cfg.chainId });
  } catch (e) {
    server?.close();
    dataServer?.close();
    throw new SidecarSetupError((e as Error).message);
  }
  for (const f of [cfg.fault, cfg.verifierFault]) if (f) cfg.warn(`FAULT MODE ${f}${f === cfg.fault && cfg.faultRatePpm !== undefined ? ` on ${cfg.faultRatePpm} ppm of its jobs` : ""}: this sidecar misbehaves on purpose (tests only)`);
  if (cfg.collude !== undefined) cfg.warn(`COLLUDING in group ${cfg.collude}: shares its outputs and reveals the group's worker's when drawn (tests only)`);
  return new Sidecar(cfg, { address, operator: worker.operatorAddress }, loaded.models, loaded.provider, metrics, query, signer, server, sealing, {
    store: inputStore,
    server: dataServer,
    maxBytes: maxUriInputBytes,
  });
}
