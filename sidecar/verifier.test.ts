/** @jest-environment ./test/support/onnxruntimeEnvironment.js */
/**
 * The sidecar's verifier role against a fake chain and signer (no node): it commits to what it
 * computed and reveals exactly those bytes; a restarted sidecar reveals from its saved record
 * (and re-sends the same commitment, never a second one); a phase it cannot make is skipped and
 * counted; the verifier fault modes; and it opens its own result when a dispute asks.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import type { EncodeObject } from "@cosmjs/proto-signing";
import type * as ort from "onnxruntime-node";
import { Tensor } from "onnxruntime-node";
import type { Job } from "../gen/inferchain/inference/v1/inference";
import { MsgCommitVerification, MsgRevealVerification } from "../gen/inferchain/challenge/v1/tx";
import { decodeTensorList } from "../x/models/tensor";
import { jobToWire, newJob } from "../x/inference/types";
import { MODEL, sampleInput, sampleOutput } from "../x/inference/testutil";
import { DisputeKind, DisputeStatus, Verdict, newRound, newVerifier, type Dispute } from "../x/challenge/types";
import { latestRound, verificationCommitment, type DisputesFilter } from "../client/challenge";
import { MSG_COMMIT_VERIFICATION, MSG_REVEAL_VERIFICATION } from "../client/registry";
import { TxRejectedError } from "../client/signerQueue";
import type { BlockInfo, ChainEvent } from "./chainEvents";
import { SidecarMetrics } from "./metrics";
import type { LoadedModel } from "./pipeline";
import { Collusion } from "./collusion";
import { Verifier, type VerifierChain, type VerifierOptions } from "./verifier";
import type { VerifierFaultMode } from "./verifierFaults";

const ME = "infer1qyqszqgpqyqszqgpqyqszqgpqyqszqgp7h2k0g";
const OTHER = "infer1qgpqyqszqgpqyqszqgpqyqszqgpqyqsz0nvny7";
const JOB_WORKER = "infer1qvpsxqcrqvpsxqcrqvpsxqcrqvpsxqcrwrdjwl";
const OUTPUT = sampleOutput(1, 7n);
const SALT = new Uint8Array(32).fill(9);

function dispute(id: bigint, status: DisputeStatus, o: { worker?: string; verifiers?: string[]; commitEnd?: bigint } = {}): Dispute {
  const commitEnd = o.commitEnd ?? 15n;
  const round = { ...newRound(1, "", 0n, 10n), commitEndHeight: commitEnd, revealEndHeight: commitEnd + 5n, openEndHeight: commitEnd + 10n, verifiers: (o.verifiers ?? [OTHER, ME]).map((w) => newVerifier("infervaloper1x", w)) };
  return {
    id,
    jobId: 100n + id,
    kind: DisputeKind.DISPUTE_KIND_AUDIT,
    status,
    operator: "infervaloper1job",
    worker: o.worker ?? JOB_WORKER,
    modelId: MODEL.id,
    challenger: "",
    openedHeight: 9n,
    resultHeight: 8n,
    rounds: [round],
    opened: false,
    openedOutput: new Uint8Array(),
    openedCannotRun: false,
    appealEndHeight: 0n,
    finalVerdict: Verdict.VERDICT_UNSPECIFIED,
    finalHeight: 0n,
  };
}

/** Disputes and jobs as the chain has them; the signer's messages change them as x/challenge would. */
class FakeChain implements VerifierChain {
  readonly ds = new Map<bigint, Dispute>();

  put(d: Dispute): void {
    this.ds.set(d.id, d);
  }

  status(id: bigint, status: DisputeStatus): void {
    this.put({ ...this.ds.get(id)!, status });
  }

  seat(id: bigint, worker = ME) {
    return latestRound(this.ds.get(id)!)!.verifiers.find((v) => v.worker === worker)!;
  }

  async dispute(id: bigint): Promise<Dispute | undefined> {
    return this.ds.get(id);
  }

  async disputes(f: DisputesFilter): Promise<Dispute[]> {
    return [...this.ds.values()].filter((d) => d.status === f.status && (d.worker === f.validator || d.rounds.some((r) => r.verifiers.some((v) => v.worker === f.validator))));
  }

  async job(id: bigint): Promise<Job | undefined> {
    return { ...jobToWire(newJob({ id, client: OTHER, modelId: MODEL.id, input: sampleInput(), fee: 1000n, height: 1n })), worker: JOB_WORKER };
  }

  /** MsgCommitVerification / MsgRevealVerification, checked as the chain checks them. */
  apply(m: EncodeObject): void {
    const edit = (id: bigint, f: (v: ReturnType<FakeChain["seat"]>) => ReturnType<FakeChain["seat"]>): void => {
      const d = this.ds.get(id)!;
      const r = latestRound(d)!;
      this.put({ ...d, rounds: [{ ...r, verifiers: r.verifiers.map((v) => (v.worker === ME ? f(v) : v)) }] });
    };
    if (m.typeUrl === MSG_COMMIT_VERIFICATION) {
      const v = m.value as MsgCommitVerification;
      if (this.ds.get(v.disputeId)!.status !== DisputeStatus.DISPUTE_STATUS_COMMIT || this.seat(v.disputeId).commitment.length > 0) throw new TxRejectedError(9, "challenge", "wrong phase or committed already");
      edit(v.disputeId, (s) => ({ ...s, commitment: v.commitment }));
    } else if (m.typeUrl === MSG_REVEAL_VERIFICATION) {
      const v = m.value as MsgRevealVerification;
      const seat = this.seat(v.disputeId);
      if (Buffer.compare(verificationCommitment(v.output, v.salt, v.verifier), seat.commitment) !== 0) throw new TxRejectedError(14, "challenge", "reveal does not match the commitment");
      edit(v.disputeId, (s) => ({ ...s, output: v.output, cannotRun: v.cannotRun, revealed: true }));
    }
  }
}

interface Rig {
  readonly v: Verifier;
  readonly sent: EncodeObject[];
  readonly hashes: string[];
  readonly metrics: SidecarMetrics;
  readonly opened: bigint[];
  readonly runs: { n: number };
}

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-verifier-"));
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

const silent = pino({ level: "silent" });
const fakeSession = (out: Float32Array): ort.InferenceSession => ({ run: async () => ({ y: new Tensor("float32", out, [1, 8]) }), release: async () => undefined }) as unknown as ort.InferenceSession;

/** A verifier on `chain`; `deliver` false: the signer accepts txs but they never reach the chain (dropped). */
function rig(chain: FakeChain, o: { fault?: VerifierFaultMode; run?: VerifierOptions["run"] | "honest"; deliver?: boolean; collusion?: VerifierOptions["collusion"]; openTx?: boolean } = {}): Rig {
  const sent: EncodeObject[] = [];
  const hashes: string[] = [];
  const opened: bigint[] = [];
  const runs = { n: 0 };
  const metrics = new SidecarMetrics();
  const session = fakeSession(new Float32Array(8).fill(0.25));
  const models = new Map<string, LoadedModel>([[MODEL.id, { model: MODEL, session, fileBytes: 1 }]]);
  const signer = {
    simulate: async () => 50_000,
    submit: async (msgs: readonly EncodeObject[]) => {
      if (o.deliver !== false) chain.apply(msgs[0]);
      sent.push(msgs[0]);
      const txhash = `TX${hashes.length}`;
      hashes.push(txhash);
      return { txhash, sequence: BigInt(hashes.length), fee: { amount: [], gas: "0" } };
    },
  };
  const run =
    o.run === "honest"
      ? undefined
      : (o.run ??
        (async () => {
          runs.n++;
          return OUTPUT;
        }));
  const v = new Verifier({ home, worker: { address: ME, operator: "infervaloper1me" }, models, chain, signer, metrics, log: silent, fault: o.fault, collusion: o.collusion, run, salt: () => SALT, random: () => 0.75, openResult: async (id) => (opened.push(id), o.openTx ? `OPEN${opened.length}` : undefined) });
  return { v, sent, hashes, metrics, opened, runs };
}

function block(height: bigint, events: ChainEvent[] = [], txs: string[] = []): BlockInfo {
  return { height, events, txs: txs.map((hash) => ({ hash, code: 0, codespace: "", log: "" })) };
}

const drawn = (id: bigint, workers: string[]): ChainEvent => ({ type: "verifiers_drawn", attributes: { dispute_id: id.toString(), workers: workers.join(",") } });
const phase = (id: bigint, p: string, worker = JOB_WORKER): ChainEvent => ({ type: "dispute_phase", attributes: { dispute_id: id.toString(), phase: p, worker } });

async function at(r: Rig, b: BlockInfo): Promise<void> {
  r.v.onBlock(b);
  await r.v.idle();
}

/** A counter's value for one label value. */
async function counter(c: { get(): Promise<{ values: Array<{ value: number; labels: Record<string, string | number | undefined> }> }> }, label: string, value: string): Promise<number> {
  return (await c.get()).values.filter((x) => x.labels[label] === value).reduce((n, x) => n + x.value, 0);
}

const recordFile = (id: bigint, round = 1): string => path.join(home, "sidecar", "verifications", `${id}-${round}.json`);

describe("sidecar verifier", () => {
  test("drawn: commits sha256(output ‖ salt ‖ worker), then reveals those same bytes; the record goes once revealed", async () => {
    const chain = new FakeChain();
    chain.put(dispute(1n, DisputeStatus.DISPUTE_STATUS_COMMIT));
    const r = rig(chain);
    await at(r, block(11n, [drawn(1n, [OTHER, ME])]));
    expect(r.sent.map((m) => m.typeUrl)).toEqual([MSG_COMMIT_VERIFICATION]);
    const commit = r.sent[0].value as MsgCommitVerification;
    expect(commit).toMatchObject({ verifier: ME, disputeId: 1n });
    expect(Buffer.from(commit.commitment)).toEqual(Buffer.from(verificationCommitment(OUTPUT, SALT, ME)));
    expect(fs.existsSync(recordFile(1n))).toBe(true);
    await at(r, block(12n, [], [r.hashes[0]]));
    expect(await counter(r.metrics.verificationsCommitted, "model", MODEL.id)).toBe(1);
    expect(await counter(r.metrics.disputesSeen, "role", "verifier")).toBe(1);

    chain.status(1n, DisputeStatus.DISPUTE_STATUS_REVEAL);
    await at(r, block(16n, [phase(1n, "reveal")]));
    expect(r.sent.map((m) => m.typeUrl)).toEqual([MSG_COMMIT_VERIFICATION, MSG_REVEAL_VERIFICATION]);
    const reveal = r.sent[1].value as MsgRevealVerification;
    expect(reveal).toMatchObject({ verifier: ME, disputeId: 1n, cannotRun: false });
    expect(Buffer.from(reveal.output)).toEqual(Buffer.from(OUTPUT));
    expect(Buffer.from(reveal.salt)).toEqual(Buffer.from(SALT));
    expect(chain.seat(1n).revealed).toBe(true);
    await at(r, block(17n, [], [r.hashes[1]]));
    expect(await counter(r.metrics.verificationsRevealed, "model", MODEL.id)).toBe(1);
    expect(r.runs.n).toBe(1);
    expect(fs.existsSync(recordFile(1n))).toBe(false);
  });

  test("the default run is the worker's own pipeline (runJob on the model's session)", async () => {
    const chain = new FakeChain();
    chain.put(dispute(1n, DisputeStatus.DISPUTE_STATUS_COMMIT));
    const r = rig(chain, { run: "honest" });
    await at(r, block(11n, [drawn(1n, [ME])]));
    chain.status(1n, DisputeStatus.DISPUTE_STATUS_REVEAL);
    await at(r, block(16n, [phase(1n, "reveal")]));
    const [y] = decodeTensorList((r.sent[1].value as MsgRevealVerification).output);
    expect(y.shape).toEqual([1n, 8n]);
    expect(new Set(y.values).size).toBe(1);
    expect(y.values[0]).toBeGreaterThan(0n);
  });

  test("an input the runtime refuses: commits to, and reveals, a cannot-run (empty) output", async () => {
    const chain = new FakeChain();
    chain.put(dispute(1n, DisputeStatus.DISPUTE_STATUS_COMMIT));
    const r = rig(chain, {
      run: async () => {
        throw new Error("onnxruntime: bad input");
      },
    });
    await at(r, block(11n, [drawn(1n, [ME])]));
    chain.status(1n, DisputeStatus.DISPUTE_STATUS_REVEAL);
    await at(r, block(16n, [phase(1n, "reveal")]));
    expect(r.sent[1].value).toMatchObject({ cannotRun: true, output: new Uint8Array() });
    expect(chain.seat(1n).revealed).toBe(true);
  });

  test("restarted after committing: reveals from its record, without running the job again", async () => {
    const chain = new FakeChain();
    chain.put(dispute(1n, DisputeStatus.DISPUTE_STATUS_COMMIT));
    const first = rig(chain);
    await at(first, block(11n, [drawn(1n, [OTHER, ME])]));
    await first.v.stop();
    chain.status(1n, DisputeStatus.DISPUTE_STATUS_REVEAL);

    const second = rig(chain, {
      run: async () => {
        throw new Error("must not run again");
      },
    });
    await second.v.resume("connected");
    await second.v.idle();
    // Nothing before the first block: its height decides what can still make its phase.
    expect(second.sent).toEqual([]);
    await at(second, block(16n));
    expect(second.sent.map((m) => m.typeUrl)).toEqual([MSG_REVEAL_VERIFICATION]);
    expect(Buffer.from((second.sent[0].value as MsgRevealVerification).output)).toEqual(Buffer.from(OUTPUT));
    expect(chain.seat(1n).revealed).toBe(true);
  });

  test("restarted after a commit that never landed: re-sends the same commitment from its record", async () => {
    const chain = new FakeChain();
    chain.put(dispute(1n, DisputeStatus.DISPUTE_STATUS_COMMIT));
    const first = rig(chain, { deliver: false });
    await at(first, block(11n, [drawn(1n, [ME])]));
    const lost = (first.sent[0].value as MsgCommitVerification).commitment;
    await first.v.stop();

    const second = rig(chain, {
      run: async () => {
        throw new Error("must not run again");
      },
    });
    await second.v.resume("connected");
    await at(second, block(13n));
    expect(second.sent.map((m) => m.typeUrl)).toEqual([MSG_COMMIT_VERIFICATION]);
    expect(Buffer.from((second.sent[0].value as MsgCommitVerification).commitment)).toEqual(Buffer.from(lost));
    expect(Buffer.from(chain.seat(1n).commitment)).toEqual(Buffer.from(lost));
  });

  test("a commit that failed in its block is sent again (the same commitment) while the phase lasts", async () => {
    const chain = new FakeChain();
    chain.put(dispute(1n, DisputeStatus.DISPUTE_STATUS_COMMIT));
    const r = rig(chain, { deliver: false });
    await at(r, block(11n, [drawn(1n, [ME])]));
    r.v.onBlock({ height: 12n, events: [], txs: [{ hash: r.hashes[0], code: 11, codespace: "sdk", log: "out of gas" }] });
    await r.v.idle();
    expect(r.sent.map((m) => m.typeUrl)).toEqual([MSG_COMMIT_VERIFICATION, MSG_COMMIT_VERIFICATION]);
    expect(r.sent[1].value).toEqual(r.sent[0].value);
    expect(r.runs.n).toBe(1);
    expect(await counter(r.metrics.verificationsFailed, "reason", "tx_failed")).toBe(1);
  });

  test("a phase it cannot make is skipped and counted: commit past commit_end, reveal past reveal_end, reveal with no commitment", async () => {
    const chain = new FakeChain();
    chain.put(dispute(1n, DisputeStatus.DISPUTE_STATUS_COMMIT, { commitEnd: 15n }));
    const r = rig(chain);
    // Block 15 seen: a tx lands in 16 at the earliest, after commit_end.
    await at(r, block(15n, [drawn(1n, [ME])]));
    expect(r.sent).toEqual([]);
    expect(r.runs.n).toBe(0);
    chain.status(1n, DisputeStatus.DISPUTE_STATUS_REVEAL);
    await at(r, block(16n, [phase(1n, "reveal")]));
    expect(r.sent).toEqual([]);
    expect(await counter(r.metrics.verificationsFailed, "reason", "missed_commit")).toBe(1);

    // Committed in time, but back only after reveal_end (20).
    chain.put(dispute(2n, DisputeStatus.DISPUTE_STATUS_COMMIT, { commitEnd: 15n }));
    const s = rig(chain);
    await at(s, block(11n, [drawn(2n, [ME])]));
    await s.v.stop();
    chain.status(2n, DisputeStatus.DISPUTE_STATUS_REVEAL);
    const t = rig(chain);
    await t.v.resume("connected");
    await at(t, block(20n));
    expect(t.sent).toEqual([]);
    expect(await counter(t.metrics.verificationsFailed, "reason", "missed_reveal")).toBe(1);
  });

  test("only its own seat: not drawn, it does nothing", async () => {
    const chain = new FakeChain();
    chain.put(dispute(1n, DisputeStatus.DISPUTE_STATUS_COMMIT, { verifiers: [OTHER] }));
    const r = rig(chain);
    await at(r, block(11n, [drawn(1n, [OTHER])]));
    await r.v.resume("periodic");
    await r.v.idle();
    expect(r.sent).toEqual([]);
    expect(r.runs.n).toBe(0);
  });

  test("lazy-verifier reveals zeros of the right shape, random-verifier random values, without running the model", async () => {
    for (const [id, fault] of [[1n, "lazy-verifier"], [2n, "random-verifier"]] as const) {
      const chain = new FakeChain();
      chain.put(dispute(id, DisputeStatus.DISPUTE_STATUS_COMMIT));
      const r = rig(chain, { fault });
      await at(r, block(11n, [drawn(id, [ME])]));
      chain.status(id, DisputeStatus.DISPUTE_STATUS_REVEAL);
      await at(r, block(16n, [phase(id, "reveal")]));
      expect(r.runs.n).toBe(0);
      const [y] = decodeTensorList((r.sent[1].value as MsgRevealVerification).output);
      expect(y.name).toBe("y");
      expect(y.shape).toEqual([1n, 8n]);
      if (fault === "lazy-verifier") expect(y.values.every((x) => x === 0n)).toBe(true);
      else expect(y.values.every((x) => x !== 0n)).toBe(true);
      expect(chain.seat(id).revealed).toBe(true);
    }
  });

  test("--collude: drawn for the group's worker's job, it commits to and reveals the output that worker shared, not its own; other jobs honestly", async () => {
    const group = new Collusion(path.join(home, "group"));
    const FAKED = sampleOutput(1, -3n);
    group.publish(JOB_WORKER, 101n, FAKED);
    const chain = new FakeChain();
    chain.put(dispute(1n, DisputeStatus.DISPUTE_STATUS_COMMIT)); // job 101 of JOB_WORKER: in the group
    chain.put(dispute(2n, DisputeStatus.DISPUTE_STATUS_COMMIT, { worker: OTHER, verifiers: [ME] })); // job 102 of OTHER: not
    const r = rig(chain, { collusion: group });
    await at(r, block(11n, [drawn(1n, [ME]), drawn(2n, [ME])]));
    for (const id of [1n, 2n]) chain.status(id, DisputeStatus.DISPUTE_STATUS_REVEAL);
    await at(r, block(16n, [phase(1n, "reveal"), phase(2n, "reveal", OTHER)]));
    const reveals = r.sent.filter((m) => m.typeUrl === MSG_REVEAL_VERIFICATION).map((m) => m.value as MsgRevealVerification);
    expect(reveals.map((x) => [x.disputeId, Buffer.from(x.output).toString("hex")])).toEqual([
      [1n, Buffer.from(FAKED).toString("hex")],
      [2n, Buffer.from(OUTPUT).toString("hex")],
    ]);
    expect(r.runs.n).toBe(1); // only the other job was re-run
    expect(chain.seat(1n).revealed && chain.seat(2n).revealed).toBe(true);
  });

  test("no-show never commits, so never reveals", async () => {
    const chain = new FakeChain();
    chain.put(dispute(1n, DisputeStatus.DISPUTE_STATUS_COMMIT));
    const r = rig(chain, { fault: "no-show" });
    await at(r, block(11n, [drawn(1n, [ME])]));
    chain.status(1n, DisputeStatus.DISPUTE_STATUS_REVEAL);
    await at(r, block(16n, [phase(1n, "reveal")]));
    expect(r.sent).toEqual([]);
    expect(r.runs.n).toBe(0);
  });

  test("a dispute of its own job in OPEN: opens the sealed result once", async () => {
    const chain = new FakeChain();
    chain.put(dispute(3n, DisputeStatus.DISPUTE_STATUS_OPEN, { worker: ME, verifiers: [OTHER] }));
    const r = rig(chain);
    await at(r, block(21n, [phase(3n, "open", ME)]));
    await at(r, block(22n, [phase(3n, "open", ME)]));
    await r.v.resume("periodic");
    await at(r, block(23n));
    expect(r.opened).toEqual([103n]);
    expect(await counter(r.metrics.openings, "outcome", "sent")).toBe(1);
    expect(await counter(r.metrics.disputesSeen, "role", "worker")).toBe(1);
    expect(r.sent).toEqual([]);
  });

  test("an opening dropped from the mempool is sent again while the open phase lasts; one that landed is not", async () => {
    const chain = new FakeChain();
    chain.put(dispute(3n, DisputeStatus.DISPUTE_STATUS_OPEN, { worker: ME, verifiers: [OTHER], commitEnd: 5n })); // open phase ends at 15
    const r = rig(chain, { openTx: true });
    await at(r, block(6n, [phase(3n, "open", ME)]));
    expect(r.opened).toEqual([103n]);
    for (const h of [7n, 8n]) await at(r, block(h)); // OPEN1 never shows up
    expect(r.opened).toEqual([103n]);
    await at(r, block(9n)); // more than 2 blocks: dropped; asked again
    expect(r.opened).toEqual([103n, 103n]);
    await at(r, block(10n, [], ["OPEN2"]));
    chain.put({ ...chain.ds.get(3n)!, opened: true });
    for (const h of [11n, 12n, 13n, 14n, 15n]) await at(r, block(h, [phase(3n, "open", ME)]));
    await r.v.resume("periodic");
    await r.v.idle();
    expect(r.opened).toEqual([103n, 103n]);
  });

  test("a final dispute's record is deleted", async () => {
    const chain = new FakeChain();
    chain.put(dispute(1n, DisputeStatus.DISPUTE_STATUS_COMMIT));
    const r = rig(chain);
    await at(r, block(11n, [drawn(1n, [ME])]));
    expect(fs.existsSync(recordFile(1n))).toBe(true);
    chain.status(1n, DisputeStatus.DISPUTE_STATUS_FINAL_OK);
    await at(r, block(12n, [{ type: "dispute_final", attributes: { dispute_id: "1" } }]));
    expect(fs.existsSync(recordFile(1n))).toBe(false);
  });
});
