import { AppError } from "../../base/errors";
import { Branch, MemKV } from "../../base/store/kv";
import { moduleAddress } from "../../base/types/address";
import { MsgSubmitJob } from "../../gen/inferchain/inference/v1/tx";
import { endBlocker } from "./abci";
import { ErrInvalidGenesis } from "./errors";
import { defaultGenesis, exportGenesis, initGenesis, parseGenesis, type InferenceGenesis, type JobJson } from "./genesis";
import { msgSubmitJobHandler, msgSubmitResultHandler } from "./msgServer";
import { defaultParams } from "./params";
import { FakeModels, JOB_ESCROW_MODULE, MODEL, addValidator, testValidatorAddrs, ctxAt, fundedClient, resultMsgBytes, sampleInput, testSetup, type TestSetup } from "./testutil";
import { JobStatus } from "./types";

const M = 1_000_000n;

function expectGenesisError(f: () => unknown, match: RegExp): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).is(ErrInvalidGenesis)).toBe(true);
  expect((err as AppError).message).toMatch(match);
}

/** A running chain's state: jobs in every status. */
function liveState(): TestSetup {
  const t = testSetup({ challengeWindowBlocks: 5n });
  addValidator(t, 0, 1000n * M);
  addValidator(t, 1, 2000n * M);
  const client = fundedClient(t, 1000n * M);
  const submit = (h: bigint): void => {
    const handler = msgSubmitJobHandler(t.k);
    const b = new Branch(t.store);
    handler.execute(ctxAt(b, h), handler.decode(MsgSubmitJob.encode({ client, modelId: MODEL.id, input: sampleInput(), inputUri: "", inputSha256: "", fee: "5000" }).finish()));
    b.write();
  };
  const answer = (id: bigint, h: bigint): void => {
    const j = t.k.getJob(t.store, id)!;
    const handler = msgSubmitResultHandler(t.k);
    const b = new Branch(t.store);
    handler.execute(ctxAt(b, h), handler.decode(resultMsgBytes(j)));
    b.write();
  };
  for (let i = 0; i < 4; i++) submit(1n);
  endBlocker(t.k, ctxAt(t.store, 1n));
  endBlocker(t.k, ctxAt(t.store, 2n)); // assigned the block after submission (issue 7)
  answer(1n, 3n); // finalizes at 8
  answer(2n, 9n); // result posted, challenge ends 14
  endBlocker(t.k, ctxAt(t.store, 8n));
  submit(9n); // job 5 stays PENDING
  // Job 3 and 4 stay ASSIGNED (hard deadline 22).
  return t;
}

describe("inference genesis", () => {
  test("default genesis: default params, no jobs, next id 1; export gives it back", () => {
    const t = testSetup();
    initGenesis(t.k, ctxAt(t.store, 1n), defaultGenesis());
    expect(t.k.getParams(t.store)).toEqual(defaultParams());
    expect(exportGenesis(t.k, { store: t.store, height: 1n })).toEqual(defaultGenesis());
    // Absent: defaults too.
    const u = testSetup();
    initGenesis(u.k, ctxAt(u.store, 1n), undefined);
    expect(exportGenesis(u.k, { store: u.store, height: 1n })).toEqual(defaultGenesis());
  });

  test("export → import rebuilds the same jobs, indexes and queues, and the chain goes on from there", () => {
    const t = liveState();
    const g = exportGenesis(t.k, { store: t.store, height: 10n });
    expect(g.jobs.map((j) => j.status)).toEqual(["JOB_STATUS_FINALIZED", "JOB_STATUS_RESULT_POSTED", "JOB_STATUS_ASSIGNED", "JOB_STATUS_ASSIGNED", "JOB_STATUS_PENDING"]);
    expect(g.next_job_id).toBe("6");

    // A new chain from this export: the escrow's balance comes from bank genesis.
    const u = testSetup();
    u.bank.mint(u.store, moduleAddress(JOB_ESCROW_MODULE), t.bank.moduleBalance(t.store, JOB_ESCROW_MODULE));
    initGenesis(u.k, ctxAt(u.store, 1n), JSON.parse(JSON.stringify(g)) as unknown);
    const inference = (s: MemKV): Array<[string, string]> => [...s.iterate("inference/")].map(([k, v]) => [k, Buffer.from(v).toString("hex")]);
    expect(inference(u.store)).toEqual(inference(t.store));
    expect(exportGenesis(u.k, { store: u.store, height: 1n })).toEqual(g);

    // The imported queues drive EndBlock: job 2 finalizes at 14.
    u.staking.addValidator(u.store, { index: 0, tokens: 1000n * M });
    u.staking.addValidator(u.store, { index: 1, tokens: 2000n * M });
    endBlocker(u.k, ctxAt(u.store, 14n));
    expect(u.k.getJob(u.store, 2n)?.status).toBe(JobStatus.JOB_STATUS_FINALIZED);
  });

  test("pruned and cannot-run jobs round-trip: the compact record, its hashes and its prune step come back as they were", () => {
    const t = testSetup({ challengeWindowBlocks: 2n, jobRetentionBlocks: 3n, jobRecordRetentionBlocks: 50n });
    addValidator(t, 0, 1000n * M);
    const client = fundedClient(t, 1000n * M);
    for (let i = 0; i < 2; i++) {
      const handler = msgSubmitJobHandler(t.k);
      const b = new Branch(t.store);
      handler.execute(ctxAt(b, 1n), handler.decode(MsgSubmitJob.encode({ client, modelId: MODEL.id, input: sampleInput(), inputUri: "", inputSha256: "", fee: "5000" }).finish()));
      b.write();
    }
    endBlocker(t.k, ctxAt(t.store, 2n));
    const post = (id: bigint, cannotRun: boolean): void => {
      const j = t.k.getJob(t.store, id)!;
      const handler = msgSubmitResultHandler(t.k);
      const b = new Branch(t.store);
      handler.execute(ctxAt(b, 3n), handler.decode(cannotRun ? resultMsgBytes(j, new Uint8Array(), { cannotRun, reason: "no" }) : resultMsgBytes(j)));
      b.write();
    };
    post(1n, false);
    post(2n, true);
    for (let h = 4n; h <= 8n; h++) endBlocker(t.k, ctxAt(t.store, h)); // finalized at 5, pruned at 8
    const g = exportGenesis(t.k, { store: t.store, height: 8n });
    // Results are sealed (issue 9): an unopened output never reached the chain, so there is no
    // output hash; the commitment (which binds the output) stays and the sealed bytes go.
    expect(g.jobs.map((j) => [j.status, j.pruned, j.cannot_run, j.prune_height, j.input === "", j.output_sha256.length, j.commitment.length > 0, j.sealed_output])).toEqual([
      ["JOB_STATUS_FINALIZED", true, false, "58", true, 0, true, ""],
      ["JOB_STATUS_FINALIZED", true, true, "58", true, 0, true, ""],
    ]);
    const u = testSetup();
    initGenesis(u.k, ctxAt(u.store, 1n), JSON.parse(JSON.stringify(g)) as unknown);
    const inference = (s: MemKV): Array<[string, string]> => [...s.iterate("inference/")].map(([k, v]) => [k, Buffer.from(v).toString("hex")]);
    expect(inference(u.store)).toEqual(inference(t.store));
    endBlocker(u.k, ctxAt(u.store, 58n));
    expect(u.k.getJob(u.store, 1n)).toBeUndefined();
  });

  const base = (): InferenceGenesis => {
    const t = liveState();
    return exportGenesis(t.k, { store: t.store, height: 10n });
  };

  function withJobs(jobs: JobJson[], over: Partial<InferenceGenesis> = {}): InferenceGenesis {
    const g = base();
    return { ...g, jobs, ...over };
  }

  test("the escrow must hold exactly the open jobs' fees", () => {
    const t = liveState();
    const g = exportGenesis(t.k, { store: t.store, height: 10n });
    const u = testSetup();
    u.bank.mint(u.store, moduleAddress(JOB_ESCROW_MODULE), 4n * 5000n - 1n);
    expectGenesisError(() => initGenesis(u.k, ctxAt(u.store, 1n), g), /job_escrow account holds 19999uinf; the open jobs' fees add up to 20000uinf/);
  });

  test("a job of a model that is not registered is refused", () => {
    const t = liveState();
    const g = exportGenesis(t.k, { store: t.store, height: 10n });
    const u = testSetup();
    u.models.models.clear();
    u.bank.mint(u.store, moduleAddress(JOB_ESCROW_MODULE), 20_000n);
    expectGenesisError(() => initGenesis(u.k, ctxAt(u.store, 1n), g), /model mlp-16x8 is not registered/);
  });

  test.each<[string, (g: InferenceGenesis) => unknown, RegExp]>([
    ["duplicate ids", (g) => withJobs([g.jobs[0], g.jobs[0]]), /listed twice/],
    ["next_job_id not above every id", (g) => withJobs([...g.jobs], { next_job_id: "5" }), /next_job_id 5 must exceed/],
    ["job id 0", (g) => withJobs([{ ...g.jobs[4], id: "0" }]), /ids start at 1/],
    ["unknown status", (g) => withJobs([{ ...g.jobs[4], status: "JOB_STATUS_APPEALED" }]), /unknown job status/],
    ["zero fee", (g) => withJobs([{ ...g.jobs[4], fee: "0" }]), /fee must be positive/],
    ["ASSIGNED without an assignee", (g) => withJobs([{ ...g.jobs[2], attempts: 0, operator: "", worker: "", tried_operators: [] }]), /ASSIGNED job needs an assignee/],
    ["operator not the last tried", (g) => withJobs([{ ...g.jobs[2], tried_operators: [testValidatorAddrs(5).operator] }]), /last tried operator/],
    ["deadlines out of order", (g) => withJobs([{ ...g.jobs[2], deadline_height: g.jobs[2].hard_deadline_height }]), /deadline_height < hard_deadline_height/],
    ["RESULT_POSTED without a sealed output", (g) => withJobs([{ ...g.jobs[1], sealed_output: "" }]), /posted result needs/],
    ["RESULT_POSTED without a commitment", (g) => withJobs([{ ...g.jobs[1], commitment: "" }]), /posted result needs/],
    ["RESULT_POSTED with a plain output that was never opened", (g) => withJobs([{ ...g.jobs[1], output: "AQ==" }]), /output is set only once the result is opened/],
    ["DISPUTED without a dispute", (g) => withJobs([{ ...g.jobs[1], status: "JOB_STATUS_DISPUTED" }]), /DISPUTED job names its dispute/],
    ["opened but never disputed", (g) => withJobs([{ ...g.jobs[1], opened: true, output: "AQ==" }]), /only a disputed result is opened/],
    ["PENDING with a commitment", (g) => withJobs([{ ...g.jobs[4], commitment: g.jobs[1].commitment }]), /has no result/],
    ["ASSIGNED without the client's key", (g) => withJobs([{ ...g.jobs[2], client_pubkey: "" }]), /needs the client_pubkey/],
    ["a client key that is no key", (g) => withJobs([{ ...g.jobs[2], client_pubkey: Buffer.alloc(33).toString("base64") }]), /compressed secp256k1 public key/],
    ["PENDING with an output", (g) => withJobs([{ ...g.jobs[4], output: "AQ==" }]), /has no result/],
    ["refunded above the fee", (g) => withJobs([{ ...g.jobs[0], refunded: "5001" }]), /refunded must not exceed the fee/],
    ["a pruned open job", (g) => withJobs([{ ...g.jobs[2], pruned: true }]), /only a finished job is pruned/],
    ["a prune height on an open job", (g) => withJobs([{ ...g.jobs[4], prune_height: "50" }]), /only a finished job has a prune height/],
    ["a pruned job with bytes", (g) => withJobs([{ ...g.jobs[0], pruned: true }]), /keeps no input or output bytes/],
    ["cannot_run with an output", (g) => withJobs([{ ...g.jobs[1], cannot_run: true }]), /cannot-run result carries no output/],
    ["a reason without cannot_run", (g) => withJobs([{ ...g.jobs[1], cannot_run_reason: "x" }]), /cannot_run_reason without cannot_run/],
    ["a bad output hash", (g) => withJobs([{ ...g.jobs[0], input: "", output: "", sealed_output: "", pruned: true, output_sha256: "xyz" }]), /64 lowercase hex/],
    ["retention 0", (g) => ({ ...g, params: { ...g.params, job_retention_blocks: "0" } }), /job_retention_blocks must be in 1/],
    ["input by a non-http uri", (g) => withJobs([{ ...g.jobs[4], input: "", input_uri: "ipfs://x", input_sha256: "ab".repeat(32) }]), /input_uri must be an http/],
    ["input by uri without a hash", (g) => withJobs([{ ...g.jobs[4], input: "", input_uri: "https://a.example/x" }]), /input_sha256 must be 64/],
    ["input by uri whose bytes do not hash to it", (g) => withJobs([{ ...g.jobs[4], input_uri: "https://a.example/x", input_sha256: "ab".repeat(32) }]), /must hash to its input_sha256/],
    ["bad client", (g) => withJobs([{ ...g.jobs[4], client: "infer1nope" }]), /client/],
    ["bad base64", (g) => withJobs([{ ...g.jobs[4], input: "!!" }]), /base64/],
    ["bad params", (g) => ({ ...g, params: { ...g.params, protocol_share_ppm: "950000" } }), /must not exceed/],
    ["params not an object", (g) => ({ ...g, params: [] }), /params must be an object/],
  ])("refused: %s", (_name, make, match) => {
    expectGenesisError(() => parseGenesis(make(base()), new FakeModels()), match);
  });

  test("params merge over the defaults field by field, numbers or strings", () => {
    const g = parseGenesis({ params: { max_attempts: "5", challenge_window_blocks: 3 } }, new FakeModels());
    expect(g.params).toEqual({ ...defaultParams(), maxAttempts: 5, challengeWindowBlocks: 3n });
    expect(g.nextJobId).toBe(1n);
  });
});
