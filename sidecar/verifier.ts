/**
 * The sidecar's verifier role (SPEC §4 "challenge", §5): when its validator is drawn to verify
 * a disputed result, it re-runs the job's input with the same deterministic session it runs
 * jobs with, commits to the output, and reveals it in the reveal phase; when a dispute about
 * one of its own results reaches the OPEN phase, it opens the sealed result.
 *
 *   per block  `verifiers_drawn` naming this worker key, `dispute_opened` about its own job,
 *              and `dispute_phase` / `dispute_final` of a dispute it takes part in → the
 *              dispute is read from chain state and its step taken (below); each tx of ours in
 *              the block → confirmed (metrics) or failed (retried while the phase lasts)
 *   resume     at start, after every (re)connect and every `resyncEveryBlocks` blocks:
 *              `Disputes{validator: me, status}` for COMMIT, REVEAL and OPEN, and every
 *              dispute a saved verification names → the same step
 *   collude    (tests only) with `collusion`, drawn for a job whose worker shared its posted
 *              output in the group: that output is committed and revealed instead of a re-run
 *   step       COMMIT and drawn, not committed: run the job (or fake it in a fault mode), a
 *              random 32-byte salt, the record saved under <home>/sidecar/verifications/
 *              <dispute>-<round>.json *before* MsgCommitVerification is broadcast (so a
 *              restarted sidecar reveals what it committed, and re-sends that same commitment
 *              rather than a second one); REVEAL and committed: MsgRevealVerification from the
 *              record; OPEN and it is the job's worker: `openResult(jobId)`; later phases and
 *              final disputes: the record is deleted
 *
 * Deadline-aware: a tx can land in the next block at the earliest, so a commit (or reveal)
 * whose phase ends before that is skipped and counted (`missed_commit`, `missed_reveal`);
 * so is one whose phase ended while the model ran. Everything is read from chain state
 * each time, so a missed event or a restart costs nothing but the blocks it was away.
 *
 * A job input the runtime refuses is revealed as cannot-run (empty output), as the worker
 * side posts a cannot-run result for it.
 */
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import type { EncodeObject } from "@cosmjs/proto-signing";
import { DisputeStatus, latestRound, msgCommitVerification, msgRevealVerification, newVerificationSalt, verificationCommitment, type Dispute, type DisputesFilter, type Round, type Verifier as Seat } from "../client/challenge";
import type { Job } from "../client/queries";
import type { Broadcasted } from "../client/signerQueue";
import { TxRejectedError } from "../client/signerQueue";
import {
  EventTypeDisputeFinal,
  EventTypeDisputeOpened,
  EventTypeDisputePhase,
  EventTypeVerifiersDrawn,
} from "../x/challenge/events";
import type { BlockInfo } from "./chainEvents";
import type { SidecarMetrics } from "./metrics";
import { runJob, type LoadedModel } from "./pipeline";
import type { Collusion } from "./collusion";
import { fakeVerification, type VerifierFaultMode } from "./verifierFaults";

/** What the verifier reads from the chain (client/challenge.ts and client/queries.ts answer it). */
export interface VerifierChain {
  dispute(id: bigint): Promise<Dispute | undefined>;
  disputes(filter: DisputesFilter): Promise<Dispute[]>;
  job(id: bigint): Promise<Job | undefined>;
}

/** How it signs: the sidecar's one signer queue for the worker key (client/signerQueue.ts). */
export interface VerifierSigner {
  simulate(messages: readonly EncodeObject[]): Promise<number>;
  submit(messages: readonly EncodeObject[], gas: number): Promise<Broadcasted>;
}

export interface VerifierOptions {
  /** The node home; records go to <home>/sidecar/verifications/. */
  readonly home: string;
  /** This validator's worker key (it signs) and operator. */
  readonly worker: { readonly address: string; readonly operator: string };
  readonly models: ReadonlyMap<string, LoadedModel>;
  readonly chain: VerifierChain;
  readonly signer: VerifierSigner;
  readonly metrics: SidecarMetrics;
  readonly log: Logger;
  /** Opens this worker's sealed result of a job (MsgOpenResult); the sealed-results side provides it. */
  readonly openResult?: (jobId: bigint) => Promise<unknown>;
  readonly fault?: VerifierFaultMode;
  /** `--collude GROUP`: drawn for a job of the group's worker, reveal what that worker posted (collusion.ts). */
  readonly collusion?: Pick<Collusion, "outputFor">;
  /** Re-read disputes from chain state every this many blocks (default 5). */
  readonly resyncEveryBlocks?: number;
  /**
   * The input of a job by URI whose bytes are not on chain (the sidecar's resolver: kept copy,
   * the URI, peers' data servers); throws when none gives them. Absent: such jobs are skipped.
   */
  readonly inputOf?: (job: Job) => Promise<Uint8Array>;
  /** The job's output bytes; default: pipeline.ts's runJob, the worker's own path. */
  readonly run?: (m: LoadedModel, input: Uint8Array) => Promise<Uint8Array>;
  readonly salt?: () => Uint8Array;
  /** For random-verifier. */
  readonly random?: () => number;
}

/** What a verifier committed to, kept until it has revealed. */
export interface VerificationRecord {
  readonly disputeId: bigint;
  readonly round: number;
  readonly jobId: bigint;
  readonly verifier: string;
  readonly output: Uint8Array;
  readonly salt: Uint8Array;
  readonly cannotRun: boolean;
  readonly commitment: Uint8Array;
}

const GAS_MARGIN = 1.3;
/** A tx of ours not seen in a block after this many blocks is taken as dropped. */
const PENDING_TIMEOUT_BLOCKS = 4n;
/** The same for an opening: sooner, for the open phase is short and a result never opened is at FAULT. */
const OPEN_TIMEOUT_BLOCKS = 2n;
const ACTIVE: readonly DisputeStatus[] = [DisputeStatus.DISPUTE_STATUS_COMMIT, DisputeStatus.DISPUTE_STATUS_REVEAL, DisputeStatus.DISPUTE_STATUS_OPEN];

type Kind = "commit" | "reveal" | "open";
type Failure = "missed_commit" | "missed_reveal" | "no_model" | "input_uri" | "no_job" | "no_record" | "rejected" | "broadcast" | "tx_failed";

interface Pending {
  readonly disputeId: bigint;
  readonly kind: Kind;
  readonly model: string;
  readonly txhash: string;
  readonly height: bigint;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

// ---------------------------------------------------------------------------- records

/** The saved verifications of one sidecar home: one small JSON file per (dispute, round). */
export class VerificationStore {
  readonly dir: string;

  constructor(home: string) {
    this.dir = path.join(home, "sidecar", "verifications");
  }

  private file(disputeId: bigint, round: number): string {
    return path.join(this.dir, `${disputeId}-${round}.json`);
  }

  /** Written whole (temp file, then rename) and readable by the owner only: the salt is secret until the reveal. */
  save(r: VerificationRecord): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const body = {
      dispute_id: r.disputeId.toString(),
      round: r.round,
      job_id: r.jobId.toString(),
      verifier: r.verifier,
      output: Buffer.from(r.output).toString("base64"),
      salt: hex(r.salt),
      cannot_run: r.cannotRun,
      commitment: hex(r.commitment),
    };
    const file = this.file(r.disputeId, r.round);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(body, null, 2) + "\n", { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  }

  /** The record of (dispute, round); undefined when there is none or it cannot be read. */
  load(disputeId: bigint, round: number): VerificationRecord | undefined {
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(fs.readFileSync(this.file(disputeId, round), "utf8")) as Record<string, unknown>;
    } catch {
      return undefined;
    }
    if (typeof j.output !== "string" || typeof j.salt !== "string" || typeof j.commitment !== "string" || typeof j.verifier !== "string") return undefined;
    return {
      disputeId,
      round,
      jobId: BigInt(String(j.job_id ?? "0")),
      verifier: j.verifier,
      output: new Uint8Array(Buffer.from(j.output, "base64")),
      salt: new Uint8Array(Buffer.from(j.salt, "hex")),
      cannotRun: j.cannot_run === true,
      commitment: new Uint8Array(Buffer.from(j.commitment, "hex")),
    };
  }

  /** (dispute, round) of every saved record. */
  list(): Array<{ disputeId: bigint; round: number }> {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    return names.flatMap((n) => {
      const m = /^([0-9]+)-([0-9]+)\.json$/.exec(n);
      return m ? [{ disputeId: BigInt(m[1]), round: Number(m[2]) }] : [];
    });
  }

  /** Deletes the records of a dispute, except the round `keep`. */
  drop(disputeId: bigint, keep?: number): void {
    for (const r of this.list()) {
      if (r.disputeId === disputeId && r.round !== keep) fs.rmSync(this.file(r.disputeId, r.round), { force: true });
    }
  }
}

// ---------------------------------------------------------------------------- the role

export class Verifier {
  readonly store: VerificationStore;
  private height = 0n;
  private blocksSinceResync = 0;
  /** Disputes to read and step, in the order they were touched. */
  private readonly touched = new Set<bigint>();
  /** Disputes this sidecar takes part in (drawn, or its own job's), not final yet. */
  private readonly involved = new Map<bigint, "verifier" | "worker">();
  private readonly pending = new Map<string, Pending>();
  private readonly byTx = new Map<string, Pending>();
  /** `<dispute>-<round>` → height an opening was asked at. */
  private readonly openAsked = new Map<string, bigint>();
  /** Failures already counted and logged, per `<dispute>-<round>-<reason>`. */
  private readonly reported = new Set<string>();
  private running: Promise<void> | undefined;
  private stopping = false;
  private warnedNoOpener = false;
  private warnedQuery = false;

  constructor(private readonly o: VerifierOptions) {
    this.store = new VerificationStore(o.home);
  }

  private get me(): string {
    return this.o.worker.address;
  }

  /** Reads every dispute this worker takes part in from chain state (and every saved record's); never throws. */
  async resume(why: string): Promise<void> {
    this.blocksSinceResync = 0;
    const found = new Set<bigint>();
    try {
      for (const status of ACTIVE) for (const d of await this.o.chain.disputes({ validator: this.me, status })) found.add(d.id);
      this.warnedQuery = false;
    } catch (e) {
      // x/challenge not on this chain (yet), or the RPC is down: the next resume tries again.
      if (!this.warnedQuery) this.o.log.warn({ err: (e as Error).message }, "cannot query disputes; verifier role idle until the next resume");
      this.warnedQuery = true;
    }
    for (const r of this.store.list()) found.add(r.disputeId);
    for (const id of found) this.touch(id);
    if (found.size > 0 || why !== "periodic") this.o.log.info({ why, disputes: found.size, height: this.height.toString() }, "verifier resumed from chain state");
    this.kick();
  }

  /** One block: its height, our txs' results and the dispute events; the work runs after it returns (see `idle`). */
  onBlock(b: BlockInfo): void {
    this.height = b.height;
    for (const tx of b.txs) {
      const p = this.byTx.get(tx.hash);
      if (!p) continue;
      this.byTx.delete(tx.hash);
      this.pending.delete(`${p.disputeId}/${p.kind}`);
      const what = p.kind === "open" ? "opening" : `verification ${p.kind}`;
      if (tx.code === 0) {
        if (p.kind !== "open") (p.kind === "commit" ? this.o.metrics.verificationsCommitted : this.o.metrics.verificationsRevealed).inc({ model: p.model });
        this.o.log.info({ dispute: p.disputeId.toString(), height: b.height.toString(), txhash: tx.hash }, `${what} included`);
      } else {
        if (p.kind === "open") this.o.metrics.openings.inc({ outcome: "failed" });
        else this.o.metrics.verificationsFailed.inc({ reason: "tx_failed" });
        this.o.log.warn({ dispute: p.disputeId.toString(), code: tx.code, codespace: tx.codespace, log: tx.log }, `${what} failed in its block`);
        if (p.kind === "open") this.dropOpenAsked(p.disputeId);
      }
      this.touch(p.disputeId);
    }
    for (const [key, p] of this.pending) {
      if (b.height - p.height > (p.kind === "open" ? OPEN_TIMEOUT_BLOCKS : PENDING_TIMEOUT_BLOCKS)) {
        this.o.log.warn({ dispute: p.disputeId.toString(), txhash: p.txhash }, `${p.kind === "open" ? "opening" : `verification ${p.kind}`} not included; retrying while the phase lasts`);
        this.pending.delete(key);
        this.byTx.delete(p.txhash);
        if (p.kind === "open") this.dropOpenAsked(p.disputeId);
        this.touch(p.disputeId);
      }
    }
    for (const e of b.events) {
      const a = e.attributes;
      if (!/^[0-9]+$/.test(a.dispute_id ?? "")) continue;
      const id = BigInt(a.dispute_id);
      if (e.type === EventTypeVerifiersDrawn && (a.workers ?? "").split(",").includes(this.me)) this.involve(id, "verifier");
      else if ((e.type === EventTypeDisputeOpened || e.type === EventTypeDisputePhase) && a.worker === this.me) this.involve(id, "worker");
      else if (!((e.type === EventTypeDisputePhase || e.type === EventTypeDisputeFinal) && this.involved.has(id))) continue;
      this.touch(id);
    }
    if (++this.blocksSinceResync >= (this.o.resyncEveryBlocks ?? 5)) {
      void this.resume("periodic");
      return;
    }
    this.kick();
  }

  /** Resolves once every touched dispute has been handled. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.touched.clear();
    await this.idle();
  }

  /** Notes that this sidecar takes part in dispute `id` (counted once). */
  private involve(id: bigint, role: "verifier" | "worker"): void {
    if (this.involved.has(id)) return;
    this.involved.set(id, role);
    this.o.metrics.disputesSeen.inc({ role });
  }

  private touch(id: bigint): void {
    if (!this.stopping) this.touched.add(id);
  }

  /**
   * Steps the touched disputes one at a time, in the background; from the first block on, so
   * every deadline is judged against a known height (a resume at connect waits for it).
   */
  private kick(): void {
    if (this.running || this.touched.size === 0 || this.height === 0n) return;
    this.running = (async () => {
      while (!this.stopping && this.touched.size > 0) {
        const id = this.touched.values().next().value as bigint;
        this.touched.delete(id);
        try {
          const d = await this.o.chain.dispute(id);
          if (d) await this.step(d);
          else this.forget(id);
        } catch (e) {
          this.o.log.warn({ dispute: id.toString(), err: (e as Error).message }, "dispute step failed; the next event or resume retries it");
        }
      }
    })().finally(() => {
      this.running = undefined;
      this.kick();
    });
  }

  private forget(id: bigint): void {
    this.involved.delete(id);
    this.store.drop(id);
    for (const k of [...this.openAsked.keys(), ...this.reported]) {
      if (k.startsWith(`${id}-`)) {
        this.openAsked.delete(k);
        this.reported.delete(k);
      }
    }
  }

  /** The next thing to do for `d`, read fresh from the chain. */
  private async step(d: Dispute): Promise<void> {
    if (d.status === DisputeStatus.DISPUTE_STATUS_FINAL_FAULT || d.status === DisputeStatus.DISPUTE_STATUS_FINAL_OK) {
      this.forget(d.id);
      return;
    }
    const r = latestRound(d);
    if (!r) return;
    const verifying = d.status === DisputeStatus.DISPUTE_STATUS_COMMIT || d.status === DisputeStatus.DISPUTE_STATUS_REVEAL;
    // A record is needed only until its round's reveal phase is over.
    this.store.drop(d.id, verifying ? r.number : undefined);
    if (d.worker === this.me) {
      this.involve(d.id, "worker");
      if (d.status === DisputeStatus.DISPUTE_STATUS_OPEN) await this.open(d, r);
      return;
    }
    const seat = r.verifiers.find((v) => v.worker === this.me);
    if (!seat) return;
    this.involve(d.id, "verifier");
    if (d.status === DisputeStatus.DISPUTE_STATUS_COMMIT) await this.commit(d, r, seat);
    else if (d.status === DisputeStatus.DISPUTE_STATUS_REVEAL) await this.reveal(d, r, seat);
  }

  /** True when a tx sent now cannot land by `end` (the next block is the earliest). */
  private tooLate(end: bigint): boolean {
    return this.height + 1n > end;
  }

  private fail(d: Dispute, r: Round, reason: Failure, detail: Record<string, unknown> = {}): void {
    const key = `${d.id}-${r.number}-${reason}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.o.metrics.verificationsFailed.inc({ reason });
    this.o.log.warn({ dispute: d.id.toString(), round: r.number, job: d.jobId.toString(), reason, height: this.height.toString(), ...detail }, "verification not made");
  }

  private async commit(d: Dispute, r: Round, seat: Seat): Promise<void> {
    if (seat.commitment.length > 0 || this.pending.has(`${d.id}/commit`)) return;
    if (this.o.fault === "no-show") {
      const key = `${d.id}-${r.number}-no_show`;
      if (!this.reported.has(key)) this.o.log.info({ dispute: d.id.toString(), round: r.number }, "fault no-show: not verifying");
      this.reported.add(key);
      return;
    }
    if (this.tooLate(r.commitEndHeight)) return this.fail(d, r, "missed_commit", { commitEnd: r.commitEndHeight.toString() });
    let rec = this.store.load(d.id, r.number);
    if (rec && rec.verifier !== this.me) rec = undefined;
    if (!rec) {
      const output = await this.compute(d, r);
      if (!output) return;
      if (this.tooLate(r.commitEndHeight)) return this.fail(d, r, "missed_commit", { commitEnd: r.commitEndHeight.toString(), afterRun: true });
      const salt = (this.o.salt ?? newVerificationSalt)();
      rec = { disputeId: d.id, round: r.number, jobId: d.jobId, verifier: this.me, ...output, salt, commitment: verificationCommitment(output.output, salt, this.me) };
      this.store.save(rec);
    }
    await this.send(d, r, "commit", [msgCommitVerification({ verifier: this.me, disputeId: d.id, commitment: rec.commitment })], { commitment: hex(rec.commitment), cannotRun: rec.cannotRun });
  }

  /** The job's output as this verifier sees it; undefined (counted) when it cannot take the job up. */
  private async compute(d: Dispute, r: Round): Promise<{ output: Uint8Array; cannotRun: boolean } | undefined> {
    const loaded = this.o.models.get(d.modelId);
    if (!loaded) return void this.fail(d, r, "no_model", { model: d.modelId });
    const job = await this.o.chain.job(d.jobId);
    if (!job) return void this.fail(d, r, "no_job");
    const shared = this.o.collusion?.outputFor(d.worker, d.jobId);
    if (shared) {
      this.o.log.info({ dispute: d.id.toString(), job: d.jobId.toString(), worker: d.worker }, "collude: revealing the group's worker's output");
      return { output: shared, cannotRun: false };
    }
    let input = job.input;
    if (input.length === 0 && job.inputUri !== "") {
      // On chain once provided; else the URI or a peer's data server, checked against the hash.
      try {
        if (!this.o.inputOf) throw new Error("no input resolver");
        input = await this.o.inputOf(job);
      } catch (e) {
        return void this.fail(d, r, "input_uri", { uri: job.inputUri, err: (e as Error).message });
      }
    }
    try {
      const fault = this.o.fault;
      const output = fault === "lazy-verifier" || fault === "random-verifier" ? fakeVerification(fault, loaded.model, input, this.o.random) : await (this.o.run ?? runJob)(loaded, input);
      return { output: output ?? new Uint8Array(), cannotRun: false };
    } catch (e) {
      this.o.log.warn({ dispute: d.id.toString(), job: d.jobId.toString(), err: (e as Error).message }, "cannot run the disputed job; committing to a cannot-run reveal");
      return { output: new Uint8Array(), cannotRun: true };
    }
  }

  private async reveal(d: Dispute, r: Round, seat: Seat): Promise<void> {
    if (seat.revealed) {
      this.store.drop(d.id);
      return;
    }
    // Not committed in time (or a no-show): nothing to reveal.
    if (seat.commitment.length === 0 || this.pending.has(`${d.id}/reveal`)) return;
    if (this.tooLate(r.revealEndHeight)) return this.fail(d, r, "missed_reveal", { revealEnd: r.revealEndHeight.toString() });
    const rec = this.store.load(d.id, r.number);
    if (!rec || !sameBytes(rec.commitment, seat.commitment)) return this.fail(d, r, "no_record", { dir: this.store.dir });
    await this.send(d, r, "reveal", [msgRevealVerification({ verifier: this.me, disputeId: d.id, output: rec.output, salt: rec.salt, cannotRun: rec.cannotRun })], {
      bytes: rec.output.length,
      cannotRun: rec.cannotRun,
    });
  }

  /** An opening of dispute `id` that did not land (dropped, or failed in its block) may be sent again. */
  private dropOpenAsked(id: bigint): void {
    for (const k of this.openAsked.keys()) if (k.startsWith(`${id}-`)) this.openAsked.delete(k);
  }

  /**
   * Its own job's dispute asks the worker to open the sealed result. When the opener gives the
   * tx hash, the opening is watched like a commit or reveal: one that did not land within
   * OPEN_TIMEOUT_BLOCKS (dropped from the mempool) or failed in its block is sent again while
   * the open phase lasts, for a worker whose result is never opened is at FAULT.
   */
  private async open(d: Dispute, r: Round): Promise<void> {
    const key = `${d.id}-${r.number}`;
    if (d.opened || this.openAsked.has(key) || this.pending.has(`${d.id}/open`) || this.tooLate(r.openEndHeight)) return;
    if (!this.o.openResult) {
      if (!this.warnedNoOpener) this.o.log.error({ dispute: d.id.toString(), job: d.jobId.toString() }, "a dispute asks this worker to open its result, but no opener is wired");
      this.warnedNoOpener = true;
      return;
    }
    this.openAsked.set(key, this.height);
    try {
      const txhash = await this.o.openResult(d.jobId);
      if (typeof txhash === "string") {
        const p: Pending = { disputeId: d.id, kind: "open", model: d.modelId, txhash, height: this.height };
        this.pending.set(`${d.id}/open`, p);
        this.byTx.set(txhash, p);
      }
      this.o.metrics.openings.inc({ outcome: "sent" });
      this.o.log.info({ dispute: d.id.toString(), round: r.number, job: d.jobId.toString() }, "opened our sealed result");
    } catch (e) {
      // Asked again at the next event or resume, while the open phase lasts.
      this.openAsked.delete(key);
      this.o.metrics.openings.inc({ outcome: "failed" });
      this.o.log.warn({ dispute: d.id.toString(), job: d.jobId.toString(), err: (e as Error).message }, "cannot open our sealed result");
    }
  }

  private async send(d: Dispute, r: Round, kind: Kind, msgs: EncodeObject[], detail: Record<string, unknown>): Promise<void> {
    try {
      const gas = Math.ceil((await this.o.signer.simulate(msgs)) * GAS_MARGIN) + 10_000;
      const b = await this.o.signer.submit(msgs, gas);
      const p: Pending = { disputeId: d.id, kind, model: d.modelId, txhash: b.txhash, height: this.height };
      this.pending.set(`${d.id}/${kind}`, p);
      this.byTx.set(b.txhash, p);
      this.o.log.info({ dispute: d.id.toString(), round: r.number, job: d.jobId.toString(), txhash: b.txhash, gas, ...detail }, `verification ${kind} submitted`);
    } catch (e) {
      const rejected = e instanceof TxRejectedError || /simulat|rpc error|failed to execute message/i.test((e as Error).message);
      this.o.metrics.verificationsFailed.inc({ reason: rejected ? "rejected" : "broadcast" });
      this.o.log.warn({ dispute: d.id.toString(), err: (e as Error).message }, `verification ${kind} refused; retrying at the next event or resume`);
    }
  }
}
