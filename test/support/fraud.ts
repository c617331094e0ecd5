/**
 * Fraud scenarios (issue 10, item 4) on a real localnet: `inferd localnet init/start` with one
 * sidecar per validator (CometBFT, onnxruntime, the sidecars' fault modes), a client that
 * submits a few hundred mlp-16x8 jobs, and the measurements of bench/fraud.ts (which prints
 * them) and test/integration/fraud.multinode.test.ts (which asserts the goals on a short run).
 *
 * The client is the one party that can read every result: it opens each sealed result with its
 * key and compares it with an honest run here (same onnxruntime, same model file, the model's
 * divergence metric), so it knows which jobs were faked whatever the chain decided. A verdict
 * contrary to that truth is a flipped verdict.
 *
 * Scenarios (node indexes; every other validator honest):
 *   fake-all          node 1 `--fault random` on every job
 *   fake-10pct        node 1 `--fault random --fault-rate 100000`
 *   collusion         node 1 `--fault random` and node 2 colluding with it (`--collude`): node 2,
 *                     when drawn for node 1's job, reveals node 1's faked output; the honest
 *                     validators get extra delegations so the group holds < 1/3 of the stake
 *   lazy-verifiers    node 3 `--fault lazy-verifier` (reveals zeros when drawn)
 *   random-verifiers  node 3 `--fault random-verifier`
 *   griefer           a funded account challenges honest results with min_challenge_bond
 *   withhold          node 1 `--fault withhold`: every job goes by URI (the client serves the
 *                     inputs on a loopback HTTP server); node 1 answers its jobs but never
 *                     provides an input when asked: the client asks (MsgRequestData) for some
 *                     of node 1's results and, as a control, some honest workers'; skipped on a
 *                     build without URI jobs
 */
import { decodeTensorList, encodeTensorList, type QuantizedTensor } from "../../x/models/tensor";
import { diverges } from "../../x/models/divergence";
import type { Model } from "../../x/models/types";
import { isAudited } from "../../x/challenge/draw";
import { quantizeValue } from "../../lib/quant";
import { defaultModelsDir } from "../../lib/models/builtin";
import { openKeyring } from "../../client/keyring";
import { openSealedResult } from "../../client/results";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { msgChallenge, msgRequestData, type Dispute } from "../../client/challenge";
import { sha256Hex } from "../../x/inference/inputUri";
import { inferchainTypes, msgSubmitJob } from "../../client/registry";
import { JobStatus, type Job } from "../../client/queries";
import { DisputeStatus, Verdict } from "../../gen/inferchain/challenge/v1/challenge";
import { loadModels } from "../../sidecar/models";
import { runJob } from "../../sidecar/pipeline";
import { FAULT_MODES } from "../../sidecar/faultModes";
import { balance, homeSigner, sendTx, submitJobMsg } from "./sidecar";
import { Localnet, slashEvents, validatorState, waitFor, type LocalnetQueryClient } from "./localnet";
import { mulberry32 } from "./rng";

export const SCENARIOS = ["fake-all", "fake-10pct", "collusion", "lazy-verifiers", "random-verifiers", "griefer", "withhold"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

const MODEL_ID = "mlp-16x8";
/** Above a result tx's gas (~3,000 uinf at 0.025uinf), so an honest worker earns on each job. */
const FEE = 10_000n;
const GAS_PER_JOB = 300_000;
const INF = 1_000_000n;
const FAKER = 1;
const COLLUDER = 2;
const BAD_VERIFIER = 3;

/** What a scenario runs: the localnet's fault modes and who the fraudster is. */
export interface ScenarioPlan {
  readonly name: ScenarioName;
  readonly what: string;
  readonly faults: Readonly<Record<number, string>>;
  readonly faultRates?: Readonly<Record<number, number>>;
  readonly collude?: readonly number[];
  /** The node whose wealth change is the fraudster's profit; undefined: the griefer account. */
  readonly fraudster?: number;
  /** Stake delegated to nodes after the start (uinf). */
  readonly delegate?: Readonly<Record<number, bigint>>;
  /** Honest results the griefer challenges. */
  readonly griefChallenges?: number;
  /** Needs URI jobs and the worker fault mode `withhold` (data availability): jobs go by URI. */
  readonly needsDataAvailability?: boolean;
  /** Data requests the client makes of the fraudster's results (and a third as many of honest ones). */
  readonly dataRequests?: number;
}

export function scenarioPlan(name: ScenarioName, validators: number, jobs: number): ScenarioPlan {
  if (validators < 5) throw new Error("the fraud scenarios need at least 5 validators");
  const others = (except: readonly number[]): number[] => Array.from({ length: validators }, (_, i) => i).filter((i) => !except.includes(i));
  switch (name) {
    case "fake-all":
      return { name, what: `node ${FAKER} --fault random on every job`, faults: { [FAKER]: "random" }, fraudster: FAKER };
    case "fake-10pct":
      return { name, what: `node ${FAKER} --fault random --fault-rate 100000 (10% of its jobs)`, faults: { [FAKER]: "random" }, faultRates: { [FAKER]: 100_000 }, fraudster: FAKER };
    case "collusion":
      return {
        name,
        what: `node ${FAKER} --fault random, node ${COLLUDER} colluding (--collude), each honest validator +5 INF delegated`,
        faults: { [FAKER]: "random" },
        collude: [FAKER, COLLUDER],
        fraudster: FAKER,
        // 10 + 10 of 20 + 15·(n − 2) INF: 30.8% with 5 validators, below 1/3.
        delegate: Object.fromEntries(others([FAKER, COLLUDER]).map((i) => [i, 5n * INF])),
      };
    case "lazy-verifiers":
      return { name, what: `node ${BAD_VERIFIER} --fault lazy-verifier`, faults: { [BAD_VERIFIER]: "lazy-verifier" }, fraudster: BAD_VERIFIER };
    case "random-verifiers":
      return { name, what: `node ${BAD_VERIFIER} --fault random-verifier`, faults: { [BAD_VERIFIER]: "random-verifier" }, fraudster: BAD_VERIFIER };
    case "griefer":
      return { name, what: "an account challenges honest results with min_challenge_bond", faults: {}, griefChallenges: Math.max(2, Math.min(20, Math.floor(jobs / 30))) };
    case "withhold":
      return {
        name,
        what: `node ${FAKER} --fault withhold; every job by URI; the client asks for inputs with MsgRequestData`,
        faults: { [FAKER]: "withhold" },
        fraudster: FAKER,
        needsDataAvailability: true,
        dataRequests: Math.max(3, Math.min(20, Math.floor(jobs / 30))),
      };
  }
}

/** Does this build (chain and sidecar) have URI jobs and the `withhold` fault mode? */
export function dataAvailabilitySupported(): boolean {
  return inferchainTypes.some(([url]) => url.endsWith("MsgRequestData")) && (FAULT_MODES as readonly string[]).includes("withhold");
}

/** Genesis params for measuring: default audits and committees, short appeal windows, results kept. */
export const MEASUREMENT_PARAMS = {
  challenge: { appeal_window_blocks: "4" },
  inference: { challenge_window_blocks: "10", job_retention_blocks: "100000" },
} as const;

export interface ScenarioOptions {
  readonly validators: number;
  readonly jobs: number;
  readonly portRange: readonly [number, number];
  readonly timeoutCommit?: string;
  /** Jobs per MsgSubmitJob tx. */
  readonly batch?: number;
  /** Extra genesis param edits (after MEASUREMENT_PARAMS). */
  readonly params?: { challenge?: Record<string, unknown>; inference?: Record<string, unknown> };
  readonly seed?: number;
  /** Submit the next batch only while fewer disputes than this are open (default: no bound). */
  readonly maxActiveDisputes?: number;
  /** Bound on waiting for the last jobs and disputes to end. */
  readonly settleMs?: number;
  readonly keep?: boolean;
  readonly log: (line: string) => void;
}

/** One scenario's measurements (the JSON fields of bench:fraud, and what the table shows). */
export interface ScenarioResult {
  readonly name: ScenarioName;
  readonly what: string;
  readonly skipped?: string;
  readonly jobs: number;
  readonly results: number;
  readonly faked_jobs: number;
  /** 1-based index, in result order, of the first faked job whose dispute reached FAULT; -1 when none did. */
  readonly faked_jobs_to_detection: number;
  readonly detected_within_100: boolean;
  /** The fraudster's first invalid_result slash height − its first faked result's height; -1 when not slashed. */
  readonly blocks_fault_to_slash: number;
  readonly honest_slashed: number;
  readonly verdicts_flipped: number;
  readonly verification_ratio: number;
  readonly fraud_profit_uinf: string;
  readonly griefer_loss_uinf: string;
  // not in the JSON line
  readonly disputes: number;
  readonly audits: number;
  readonly verifierExecutions: number;
  /** Audit rate (ppm) of the fraudster's jobs as the chain set it (the job's audit_rate_ppm when it has one, else the param). */
  readonly auditRatePpm: number;
  readonly fraudsterSlashed: boolean;
  /** The fraudster's bonded tokens at the start (its slashable stake). */
  readonly fraudsterStakeUinf: string;
  /** The fee of every job. */
  readonly feeUinf: string;
  readonly fraudsterTombstoned: boolean;
  readonly fraudsterJailed: boolean;
  readonly honestMeanGainUinf: string;
  readonly colludingStakeShare?: number;
  /** Seats of colluding verifiers in disputes of the fraudster's jobs that revealed (collusion only). */
  readonly colluderReveals: number;
  /** Times a colluding verifier's sidecar revealed the group's worker's output instead of its own (from its log). */
  readonly colluderSharedReveals: number;
  /** x/slashing records of the colluding verifiers. */
  readonly colluderSlashes: number;
  /** The griefer's challenges that the chain took. */
  readonly challenges: number;
  /** Data requests made of the fraudster's results and of honest workers' (withhold). */
  readonly dataRequestsWithheld: number;
  readonly dataRequestsHonest: number;
  /** The fraudster's data_unavailable slash records. */
  readonly unavailableSlashes: number;
  /** Slashes of honest validators of other kinds (downtime, no_response: the box, not the protocol), by kind. */
  readonly otherHonestSlashes: Readonly<Record<string, number>>;
  /** Every x/slashing record of an honest validator: node, kind, fraction and heights. */
  readonly honestSlashRecords: readonly string[];
  readonly blocks: number;
  readonly seconds: number;
}

/** The JSON object of one scenario, as the issue gives it (integers as numbers, amounts as strings). */
export function resultJson(r: ScenarioResult): Record<string, unknown> {
  return {
    name: r.name,
    faked_jobs: r.faked_jobs,
    faked_jobs_to_detection: r.faked_jobs_to_detection,
    detected_within_100: r.detected_within_100,
    blocks_fault_to_slash: r.blocks_fault_to_slash,
    honest_slashed: r.honest_slashed,
    verdicts_flipped: r.verdicts_flipped,
    verification_ratio: r.verification_ratio,
    fraud_profit_uinf: r.fraud_profit_uinf,
    griefer_loss_uinf: r.griefer_loss_uinf,
  };
}

/** Random mlp inputs (one row of 16 values in [-2, 2]), encoded as a job carries them. */
function randomInputs(model: Model, n: number, seed: number): Uint8Array[] {
  const rnd = mulberry32(seed);
  const spec = model.inputs[0];
  return Array.from({ length: n }, () => {
    const t: QuantizedTensor = { name: spec.name, shape: [1n, 16n], values: Array.from({ length: 16 }, () => quantizeValue(rnd() * 4 - 2, model.quantScaleBits)) };
    return encodeTensorList([t]);
  });
}

const isFinal = (d: Dispute): boolean => d.status === DisputeStatus.DISPUTE_STATUS_FINAL_FAULT || d.status === DisputeStatus.DISPUTE_STATUS_FINAL_OK;
const reachedFault = (d: Dispute): boolean => d.status === DisputeStatus.DISPUTE_STATUS_FINAL_FAULT || d.rounds.some((r) => r.verdict === Verdict.VERDICT_FAULT);
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const ACTIVE_JOB = [JobStatus.JOB_STATUS_PENDING, JobStatus.JOB_STATUS_ASSIGNED, JobStatus.JOB_STATUS_RESULT_POSTED, JobStatus.JOB_STATUS_DISPUTED];

/** A skipped scenario's line. */
function skippedResult(plan: ScenarioPlan, why: string): ScenarioResult {
  return {
    name: plan.name,
    what: plan.what,
    skipped: why,
    jobs: 0,
    results: 0,
    faked_jobs: 0,
    faked_jobs_to_detection: -1,
    detected_within_100: false,
    blocks_fault_to_slash: -1,
    honest_slashed: 0,
    verdicts_flipped: 0,
    verification_ratio: 0,
    fraud_profit_uinf: "0",
    griefer_loss_uinf: "0",
    disputes: 0,
    audits: 0,
    verifierExecutions: 0,
    auditRatePpm: 0,
    fraudsterSlashed: false,
    fraudsterStakeUinf: "0",
    feeUinf: FEE.toString(),
    fraudsterTombstoned: false,
    fraudsterJailed: false,
    honestMeanGainUinf: "0",
    colluderReveals: 0,
    colluderSharedReveals: 0,
    colluderSlashes: 0,
    challenges: 0,
    dataRequestsWithheld: 0,
    dataRequestsHonest: 0,
    unavailableSlashes: 0,
    otherHonestSlashes: {},
    honestSlashRecords: [],
    blocks: 0,
    seconds: 0,
  };
}

/** `f`, tried again (up to 6 times, backing off) when the node does not answer: a busy 2-core box drops a connection now and then. */
async function retrying<T>(f: () => Promise<T>, tries = 6): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await f();
    } catch (e) {
      if (i >= tries) throw e;
      await new Promise((r) => setTimeout(r, 500 * i));
    }
  }
}

/** A validator's wealth: operator account + worker key balances + bonded tokens. */
async function wealth(net: Localnet, q: LocalnetQueryClient, i: number): Promise<bigint> {
  const v = net.validators[i];
  const rpc = net.rpcUrl();
  return retrying(async () => (await balance(rpc, v.account)) + (await balance(rpc, v.worker)) + (await validatorState(q, v.operator)).tokens);
}

/** Runs one scenario on a fresh localnet and measures it; the localnet is stopped (and removed unless `keep` or a failure). */
export async function runFraudScenario(plan: ScenarioPlan, o: ScenarioOptions): Promise<ScenarioResult> {
  if (plan.needsDataAvailability && !dataAvailabilitySupported()) {
    return skippedResult(plan, "this chain has no URI jobs (MsgRequestData) and the sidecar no --fault withhold yet (issue 10 item 2, data availability)");
  }
  const started = Date.now();
  const log = o.log;
  const batch = o.batch ?? 10;
  const net = await Localnet.start({
    validators: o.validators,
    portRange: o.portRange,
    timeoutCommit: o.timeoutCommit,
    accounts: { client: 10n ** 13n, griefer: 10n ** 12n, delegator: 10n ** 12n },
    faults: plan.faults,
    faultRates: plan.faultRates,
    collude: plan.collude,
    appState: (s) => {
      const cp = s.challenge.params as Record<string, unknown>;
      Object.assign(cp, MEASUREMENT_PARAMS.challenge, o.params?.challenge ?? {});
      // A chain with per-job audit rates (issue 10 item 1) bounds the base rate by max_audit_rate_ppm.
      if ("max_audit_rate_ppm" in cp && Number(cp.audit_rate_ppm) > Number(cp.max_audit_rate_ppm)) cp.max_audit_rate_ppm = String(cp.audit_rate_ppm);
      Object.assign(s.inference.params as object, MEASUREMENT_PARAMS.inference, o.params?.inference ?? {});
    },
  });
  let failed = true;
  const { q, comet } = await net.connect();
  try {
    const rpc = net.rpcUrl();
    const n = net.validators.length;
    log(`${plan.name}: localnet of ${n} validators up (${net.dir}); ${plan.what}`);
    const model = (await q.inferchain.models.model(MODEL_ID))!;
    const challengeParams = (await q.challenge.params())!;

    // Stake: delegations first (they change who is assigned and drawn).
    if (plan.delegate && Object.keys(plan.delegate).length > 0) {
      const d = await homeSigner(net.home(0), "delegator");
      const msgs = Object.entries(plan.delegate).map(([i, amount]) => ({
        typeUrl: "/cosmos.staking.v1beta1.MsgDelegate",
        value: { delegatorAddress: d.address, validatorAddress: net.validators[Number(i)].operator, amount: { denom: "uinf", amount: amount.toString() } },
      }));
      const r = await sendTx(rpc, d, msgs, 300_000 * msgs.length);
      if (r.code !== 0) throw new Error(`delegation failed: ${r.log}`);
    }
    const faulty = new Set<number>([...Object.keys(plan.faults).map(Number), ...(plan.collude ?? [])]);
    const honest = net.validators.map((v) => v.index).filter((i) => !faulty.has(i));
    const stakes = await Promise.all(net.validators.map(async (v) => (await retrying(() => validatorState(q, v.operator))).tokens));
    const totalStake = stakes.reduce((a, b) => a + b, 0n);
    const colludingStakeShare = plan.collude ? Number((plan.collude.reduce((a, i) => a + stakes[i], 0n) * 1_000_000n) / totalStake) / 1e6 : undefined;
    if (colludingStakeShare !== undefined) log(`${plan.name}: colluding group holds ${(colludingStakeShare * 100).toFixed(1)}% of the stake`);

    const before = await Promise.all(net.validators.map((v) => wealth(net, q, v.index)));
    const griefer = await homeSigner(net.home(0), "griefer");
    const grieferBefore = await balance(rpc, griefer.address);
    const client = await homeSigner(net.home(0), "client");
    const clientKey = await (await openKeyring({ home: net.home(0), backend: "test" })).privateKey("client");

    // An honest run here of every input the client sends.
    const inputs = randomInputs(model, 32, o.seed ?? 1);
    const loaded = await loadModels([model], { modelsDir: defaultModelsDir(), executionProvider: "cpu", progress: () => undefined, warn: () => undefined });
    const honestOut = new Map<string, QuantizedTensor[]>();
    for (const input of inputs) honestOut.set(hex(input), decodeTensorList(await runJob(loaded.models.get(MODEL_ID)!, input)));
    for (const m of loaded.models.values()) await m.session.release();
    // URI jobs: the client serves its inputs on loopback.
    let origin: http.Server | undefined;
    let originUrl = "";
    if (plan.needsDataAvailability) {
      const srv = http.createServer((req, res) => {
        const m = /^\/in\/([0-9]+)\.bin$/.exec(req.url ?? "");
        const body = m ? inputs[Number(m[1])] : undefined;
        res.writeHead(body ? 200 : 404, { "content-type": "application/octet-stream" });
        res.end(body ? Buffer.from(body) : undefined);
      });
      await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
      origin = srv;
      originUrl = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    }
    const submitMsg = (input: Uint8Array) => {
      if (!plan.needsDataAvailability) return submitJobMsg(client.address, MODEL_ID, input, FEE);
      return msgSubmitJob({ client: client.address, modelId: MODEL_ID, input: new Uint8Array(), inputUri: `${originUrl}/in/${inputs.indexOf(input)}.bin`, inputSha256: sha256Hex(input), fee: FEE.toString() });
    };
    const requested: Array<{ jobId: bigint; worker: string; height: number }> = [];

    // Jobs, in batches; the griefer challenges an honest result now and then.
    const startHeight = Number((await comet.status()).syncInfo.latestBlockHeight);
    const ids: bigint[] = [];
    const inputOf = new Map<bigint, Uint8Array>();
    const challenged: bigint[] = [];
    const batches = Math.ceil(o.jobs / batch);
    const griefEvery = plan.griefChallenges ? Math.max(1, Math.floor(batches / plan.griefChallenges)) : 0;
    let grieferLoss = 0n;
    const ACTIVE_DISPUTE = [DisputeStatus.DISPUTE_STATUS_DRAWING, DisputeStatus.DISPUTE_STATUS_COMMIT, DisputeStatus.DISPUTE_STATUS_REVEAL, DisputeStatus.DISPUTE_STATUS_OPEN, DisputeStatus.DISPUTE_STATUS_APPEALABLE];
    const activeDisputes = async (): Promise<number> => {
      let n = 0;
      for (const s of ACTIVE_DISPUTE) n += (await q.challenge.disputes({ status: s })).length;
      return n;
    };
    for (let b = 0; b < batches; b++) {
      if (o.maxActiveDisputes !== undefined) await waitFor("open disputes to fall below the bound", async () => ((await activeDisputes()) < o.maxActiveDisputes! ? true : undefined), 300_000, 500);
      const k = Math.min(batch, o.jobs - b * batch);
      const mine = Array.from({ length: k }, (_, j) => inputs[(b * batch + j) % inputs.length]);
      const r = await sendTx(rpc, client, mine.map(submitMsg), GAS_PER_JOB * k);
      if (r.code !== 0) throw new Error(`submitting jobs failed (code ${r.code}): ${r.log}`);
      const got = r.events.filter((e) => e.type === "job_submitted").map((e) => BigInt(e.attributes.find((a) => a.key === "job_id")!.value));
      got.forEach((id, j) => inputOf.set(id, mine[j]));
      ids.push(...got);
      if (griefEvery > 0 && b % griefEvery === 0 && challenged.length < plan.griefChallenges!) {
        const target = await waitFor(`a result of batch ${b}`, async () => {
          for (const id of got) {
            const j = await q.inferchain.inference.job(id);
            if (j && j.status === JobStatus.JOB_STATUS_RESULT_POSTED) return j;
          }
          return undefined;
        }, 60_000).catch(() => undefined);
        if (target) {
          // The job's audit may hold it first (decided in the next block): the node then drops the
          // challenge from its mempool at the recheck, and it is never included.
          const c = await sendTx(rpc, griefer, [msgChallenge({ challenger: griefer.address, jobId: target.id, bond: BigInt(challengeParams.minChallengeBond) })], 400_000).catch((e: Error) => ({ code: -1, log: e.message }));
          if (c.code === 0) challenged.push(target.id);
          else log(`${plan.name}: challenge of job ${target.id} did not land: ${c.log}`);
        }
      }
      // Data requests, while the results are open: the fraudster's, and every third batch an honest one.
      if (plan.dataRequests) {
        const fraudWorker = net.validators[plan.fraudster!].worker;
        const mineWithheld = requested.filter((x) => x.worker === fraudWorker).length;
        const ask: Job[] = [];
        for (const id of got) {
          // Its result, within a few blocks (a request is taken while the result is open).
          const j = await waitFor(`job ${id}'s result`, async () => {
            const x = await q.inferchain.inference.job(id).catch(() => undefined);
            return x && x.status !== JobStatus.JOB_STATUS_ASSIGNED && x.status !== JobStatus.JOB_STATUS_PENDING ? x : undefined;
          }, 20_000, 300).catch(() => undefined);
          if (!j || j.status !== JobStatus.JOB_STATUS_RESULT_POSTED) continue;
          if (j.worker === fraudWorker ? mineWithheld + ask.filter((x) => x.worker === fraudWorker).length < plan.dataRequests : b % 3 === 0 && !ask.some((x) => x.worker !== fraudWorker)) ask.push(j);
        }
        for (const j of ask) {
          const c = await sendTx(rpc, client, [msgRequestData({ requester: client.address, jobId: j.id, bond: BigInt(challengeParams.dataRequestBond) })], 400_000).catch((e: Error) => ({ code: -1, log: e.message, height: 0 }));
          if (c.code === 0) requested.push({ jobId: j.id, worker: j.worker, height: c.height ?? 0 });
          else log(`${plan.name}: data request for job ${j.id} did not land: ${c.log}`);
        }
      }
      // Keep the backlog small: the workers answer within their SLA.
      await waitFor("the backlog to drain", async () => ((await q.inferchain.inference.jobs({ status: JobStatus.JOB_STATUS_ASSIGNED })).length < 4 * batch ? true : undefined), 120_000, 500);
      if ((b + 1) % 5 === 0 || b === batches - 1) log(`${plan.name}: ${ids.length}/${o.jobs} jobs submitted`);
    }

    // Every job and dispute to its end.
    await waitFor(
      "every job and dispute to end",
      async () => {
        for (const s of ACTIVE_JOB) if ((await q.inferchain.inference.jobs({ status: s })).length > 0) return undefined;
        if (requested.length > 0 && (await q.challenge.dataRequests()).length > 0) return undefined;
        return (await activeDisputes()) === 0 ? true : undefined;
      },
      o.settleMs ?? 600_000,
      1000,
    );
    const endHeight = Number((await comet.status()).syncInfo.latestBlockHeight);

    // The truth, job by job.
    const jobs: Job[] = [];
    for (const id of ids) jobs.push((await retrying(() => q.inferchain.inference.job(id)))!);
    const disputesOf = new Map<bigint, Dispute[]>();
    for (const j of jobs) disputesOf.set(j.id, await retrying(() => q.challenge.disputes({ jobId: j.id })));
    const answered = jobs.filter((j) => j.resultHeight > 0n);
    const faked = new Set<bigint>();
    for (const j of answered) {
      if (j.cannotRun) continue;
      let out: QuantizedTensor[] | undefined;
      try {
        out = openSealedResult(j, model, clientKey).tensors;
      } catch {
        out = undefined; // a result the client cannot open is as bad as a faked one
      }
      if (!out || diverges(model.metric, model.threshold, out, honestOut.get(hex(inputOf.get(j.id)!))!)) faked.add(j.id);
    }
    const fakedInOrder = answered.filter((j) => faked.has(j.id)).sort((a, b) => (a.resultHeight === b.resultHeight ? Number(a.id - b.id) : Number(a.resultHeight - b.resultHeight)));
    const firstCaught = fakedInOrder.findIndex((j) => (disputesOf.get(j.id) ?? []).some(reachedFault));
    let flipped = 0;
    let verifierExecutions = 0;
    let disputes = 0;
    let audits = 0;
    for (const j of jobs) {
      for (const d of disputesOf.get(j.id) ?? []) {
        disputes++;
        if (d.challenger === "") audits++;
        for (const r of d.rounds) verifierExecutions += r.verifiers.filter((v) => v.commitment.length > 0).length;
        if (!isFinal(d)) continue;
        const fault = d.status === DisputeStatus.DISPUTE_STATUS_FINAL_FAULT;
        if (fault !== faked.has(j.id)) {
          flipped++;
          log(`${plan.name}: job ${j.id} (worker ${j.worker}) final ${fault ? "FAULT" : "OK"} but ${faked.has(j.id) ? "faked" : "honest"}: a flipped verdict`);
        }
      }
    }

    // Slashes and money.
    origin?.close();
    const PROTOCOL_KINDS = new Set(["invalid_result", "bad_verification", "data_unavailable"]);
    let honestSlashed = 0;
    const otherHonestSlashes: Record<string, number> = {};
    const honestSlashRecords: string[] = [];
    for (const i of honest) {
      const ev = await retrying(() => slashEvents(q, net.validators[i].operator));
      if (ev.some((e) => PROTOCOL_KINDS.has(e.kind))) honestSlashed++;
      for (const e of ev) honestSlashRecords.push(`node ${i}: ${e.kind} ${e.fractionPpm} ppm (${e.amount} uinf), infraction height ${e.infractionHeight}, slashed at ${e.height}`);
      for (const e of ev) if (!PROTOCOL_KINDS.has(e.kind)) otherHonestSlashes[e.kind] = (otherHonestSlashes[e.kind] ?? 0) + 1;
    }
    const after = await Promise.all(net.validators.map((v) => wealth(net, q, v.index)));
    const gains = after.map((a, i) => a - before[i]);
    const honestMean = honest.length > 0 ? honest.reduce((s, i) => s + gains[i], 0n) / BigInt(honest.length) : 0n;
    grieferLoss = grieferBefore - (await retrying(() => balance(rpc, griefer.address)));
    let blocksToSlash = -1;
    let fraudsterSlashed = false;
    let tomb = false;
    let jailed = false;
    let auditRatePpm = Number(challengeParams.auditRatePpm);
    let unavailableSlashes = 0;
    if (plan.fraudster !== undefined) {
      const v = net.validators[plan.fraudster];
      const ev = await retrying(() => slashEvents(q, v.operator));
      const inv = ev.find((e) => e.kind === "invalid_result");
      fraudsterSlashed = ev.length > 0;
      tomb = ev.some((e) => e.tombstoned);
      jailed = (await retrying(() => validatorState(q, v.operator))).jailed;
      if (inv && fakedInOrder.length > 0) blocksToSlash = Number(BigInt(inv.height) - fakedInOrder[0].resultHeight);
      // Withholding: from the first data request of its results to its first data_unavailable slash.
      const unavailable = ev.filter((e) => e.kind === "data_unavailable");
      unavailableSlashes = unavailable.length;
      const firstAsk = requested.find((x) => x.worker === v.worker);
      if (plan.needsDataAvailability && unavailable.length > 0 && firstAsk) blocksToSlash = Number(BigInt(unavailable[0].height)) - firstAsk.height;
      // Per-job audit rates (issue 10 item 1), when the chain sets them.
      const rates = answered.filter((j) => j.worker === v.worker).map((j) => Number((j as { auditRatePpm?: bigint }).auditRatePpm ?? 0n)).filter((x) => x > 0);
      if (rates.length > 0) auditRatePpm = Math.min(...rates);
    }
    const profit = plan.fraudster !== undefined ? gains[plan.fraudster] : -grieferLoss;
    const colluders = (plan.collude ?? []).filter((i) => i !== plan.fraudster).map((i) => net.validators[i]);
    let colluderReveals = 0;
    let colluderSharedReveals = 0;
    let colluderSlashes = 0;
    for (const c of colluders) {
      for (const j of answered) {
        if (plan.fraudster === undefined || j.worker !== net.validators[plan.fraudster].worker) continue;
        for (const d of disputesOf.get(j.id) ?? []) for (const r of d.rounds) colluderReveals += r.verifiers.filter((v) => v.operator === c.operator && v.revealed).length;
      }
      colluderSharedReveals += (net.sidecarLog(c.index).match(/collude: revealing the group's worker's output/g) ?? []).length;
      colluderSlashes += (await retrying(() => slashEvents(q, c.operator))).length;
    }
    failed = false;
    const result: ScenarioResult = {
      name: plan.name,
      what: plan.what,
      jobs: ids.length,
      results: answered.length,
      faked_jobs: faked.size,
      faked_jobs_to_detection: firstCaught >= 0 ? firstCaught + 1 : -1,
      detected_within_100: firstCaught >= 0 && firstCaught < 100,
      blocks_fault_to_slash: blocksToSlash,
      honest_slashed: honestSlashed,
      verdicts_flipped: flipped,
      verification_ratio: answered.length > 0 ? Math.round((verifierExecutions / answered.length) * 10_000) / 10_000 : 0,
      fraud_profit_uinf: profit.toString(),
      griefer_loss_uinf: grieferLoss.toString(),
      disputes,
      audits,
      verifierExecutions,
      auditRatePpm,
      fraudsterSlashed,
      fraudsterStakeUinf: (plan.fraudster !== undefined ? stakes[plan.fraudster] : 0n).toString(),
      feeUinf: FEE.toString(),
      fraudsterTombstoned: tomb,
      fraudsterJailed: jailed,
      honestMeanGainUinf: honestMean.toString(),
      colludingStakeShare,
      colluderReveals,
      colluderSharedReveals,
      colluderSlashes,
      challenges: challenged.length,
      dataRequestsWithheld: plan.fraudster !== undefined ? requested.filter((x) => x.worker === net.validators[plan.fraudster!].worker).length : 0,
      dataRequestsHonest: plan.fraudster !== undefined ? requested.filter((x) => x.worker !== net.validators[plan.fraudster!].worker).length : 0,
      unavailableSlashes,
      otherHonestSlashes,
      honestSlashRecords,
      blocks: endHeight - startHeight,
      seconds: Math.round((Date.now() - started) / 1000),
    };
    log(`${plan.name}: ${JSON.stringify(resultJson(result))}`);
    return result;
  } finally {
    comet.disconnect();
    await net.stop(failed || o.keep === true);
  }
}

// ---------------------------------------------------------------------------- theory

/** P(a worker faking every job is audited within `n` faked jobs) at audit rate p: 1 − (1 − p)^n. */
export function detectionProbability(ratePpm: number, n: number): number {
  return 1 - Math.pow(1 - ratePpm / 1e6, n);
}

/**
 * Monte Carlo over the chain's own audit draw (x/challenge/draw.ts isAudited): `trials` runs of
 * a worker faking consecutive jobs, each result's audit decided by a fresh random block hash;
 * the share of runs with an audit within the first `n` faked jobs.
 */
export function monteCarloDetection(ratePpm: number, n: number, trials: number, seed = 1): number {
  const rnd = mulberry32(seed);
  const hash = new Uint8Array(32);
  let detected = 0;
  let jobId = 1n;
  for (let t = 0; t < trials; t++) {
    for (let k = 0; k < n; k++) {
      for (let i = 0; i < 32; i++) hash[i] = Math.floor(rnd() * 256);
      if (isAudited(hash, jobId++, BigInt(ratePpm))) {
        detected++;
        break;
      }
    }
  }
  return detected / trials;
}
