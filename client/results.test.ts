import { JobStatus, type Job } from "../gen/inferchain/inference/v1/inference";
import { commitmentMatches, resultCommitment, sealMatches, sealOutput } from "../x/inference/seal";
import { jobToWire, newJob } from "../x/inference/types";
import { MODEL, sampleInput, sampleOutput, testAccount, testPubkey, testSecretKey, testWorker } from "../x/inference/testutil";
import { encodeTensorList } from "../x/models/tensor";
import { SealedResultError, deriveSealSecrets, openSealedResult, openingFor, sealResult } from "./results";

const CLIENT = testAccount(1);
const WORKER = testWorker(1);
const WORKER_KEY = testSecretKey(WORKER);

/** A job of CLIENT assigned to WORKER, with `output` sealed and committed as the sidecar does. */
function answered(id: bigint, output: Uint8Array, cannotRun = false): Job {
  const job = { ...jobToWire(newJob({ id, client: CLIENT, modelId: MODEL.id, input: sampleInput(), fee: 1000n, height: 1n, clientPubkey: testPubkey(CLIENT) })), worker: WORKER };
  const s = sealResult(job, output, WORKER_KEY);
  return { ...job, status: JobStatus.JOB_STATUS_RESULT_POSTED, commitment: s.commitment, sealedOutput: s.sealedOutput, cannotRun };
}

function problem(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof SealedResultError) return `${e.problem}${e.challengeable ? " (challenge)" : ""}`;
    throw e;
  }
  return "opened";
}

describe("openSealedResult (the client's side)", () => {
  test("the client's key opens the result: the output, checked against the commitment and decoded by the model's output spec", () => {
    const r = openSealedResult(answered(5n, sampleOutput()), MODEL, testSecretKey(CLIENT));
    expect(Buffer.from(r.output)).toEqual(Buffer.from(sampleOutput()));
    expect(r.cannotRun).toBe(false);
    expect(r.tensors).toEqual([{ name: "y", shape: [1n, 8n], values: [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n] }]);
  });

  test("a cannot-run result opens to nothing", () => {
    const r = openSealedResult(answered(5n, new Uint8Array(), true), MODEL, testSecretKey(CLIENT));
    expect(r).toMatchObject({ cannotRun: true, tensors: [] });
    expect(r.output.length).toBe(0);
  });

  test("no result yet, or another key: refused, and not grounds for a challenge", () => {
    const pending = jobToWire(newJob({ id: 1n, client: CLIENT, modelId: MODEL.id, input: sampleInput(), fee: 1000n, height: 1n, clientPubkey: testPubkey(CLIENT) }));
    expect(problem(() => openSealedResult(pending, MODEL, testSecretKey(CLIENT)))).toBe("no_result");
    expect(problem(() => openSealedResult(answered(5n, sampleOutput()), MODEL, testSecretKey(testAccount(2))))).toBe("not_client");
    expect(problem(() => openSealedResult(answered(5n, sampleOutput()), MODEL, new Uint8Array(32)))).toBe("not_client");
  });

  test("a sealed output that does not open, or does not match the commitment, or breaks the output spec: refused, grounds for a challenge", () => {
    const job = answered(5n, sampleOutput());
    const tampered = Uint8Array.from(job.sealedOutput);
    tampered[40] ^= 1;
    expect(problem(() => openSealedResult({ ...job, sealedOutput: tampered }, MODEL, testSecretKey(CLIENT)))).toBe("cannot_decrypt (challenge)");

    // Committed to one output, sent the client another.
    const { salt, ephemeralKey } = deriveSealSecrets(WORKER_KEY, 5n, sampleOutput());
    const swapped = sealOutput(5n, testPubkey(CLIENT), sampleOutput(1, 3n), salt, ephemeralKey);
    expect(problem(() => openSealedResult({ ...job, sealedOutput: swapped }, MODEL, testSecretKey(CLIENT)))).toBe("commitment_mismatch (challenge)");

    const wrongShape = encodeTensorList([{ name: "y", shape: [1n, 7n], values: Array.from({ length: 7 }, () => 0n) }]);
    expect(problem(() => openSealedResult(answered(6n, wrongShape), MODEL, testSecretKey(CLIENT)))).toBe("output_spec (challenge)");
    expect(problem(() => openSealedResult({ ...answered(7n, sampleOutput()), cannotRun: true }, MODEL, testSecretKey(CLIENT)))).toBe("output_spec (challenge)");
  });
});

describe("sealing and opening for a worker", () => {
  test("the ephemeral key and salt are derived again from the worker key, the job and the output, and differ when any of them does", () => {
    const a = deriveSealSecrets(WORKER_KEY, 5n, sampleOutput());
    expect(deriveSealSecrets(WORKER_KEY, 5n, sampleOutput())).toEqual(a);
    for (const b of [deriveSealSecrets(WORKER_KEY, 6n, sampleOutput()), deriveSealSecrets(WORKER_KEY, 5n, sampleOutput(1, 1n)), deriveSealSecrets(testSecretKey(testWorker(2)), 5n, sampleOutput())]) {
      expect(Buffer.from(b.ephemeralKey).equals(Buffer.from(a.ephemeralKey))).toBe(false);
      expect(Buffer.from(b.salt).equals(Buffer.from(a.salt))).toBe(false);
    }
    expect(a.salt.length).toBe(32);
  });

  test("sealResult is what the chain accepts: the commitment of the output and salt, and a seal that re-encrypts to itself", () => {
    const job = answered(5n, sampleOutput());
    const s = deriveSealSecrets(WORKER_KEY, 5n, sampleOutput());
    expect(Buffer.from(job.commitment)).toEqual(Buffer.from(resultCommitment(5n, WORKER, sampleOutput(), s.salt)));
    expect(sealMatches(5n, testPubkey(CLIENT), job.sealedOutput, sampleOutput(), s.salt, s.ephemeralKey)).toBe(true);
  });

  test("openingFor gives the MsgOpenResult the chain checks, and refuses an output that is not the one committed to", () => {
    const job = answered(5n, sampleOutput());
    const o = openingFor(job, sampleOutput(), WORKER_KEY);
    expect(o).toMatchObject({ worker: WORKER, jobId: 5n });
    expect(commitmentMatches(job.commitment, 5n, WORKER, o.output, o.salt)).toBe(true);
    expect(sealMatches(5n, job.clientPubkey, job.sealedOutput, o.output, o.salt, o.ephemeralKey)).toBe(true);
    expect(() => openingFor(job, sampleOutput(1, 1n), WORKER_KEY)).toThrow(/not the one committed to/);
    expect(() => openingFor(job, sampleOutput(), testSecretKey(testWorker(2)))).toThrow(/not the one committed to/);
  });
});
