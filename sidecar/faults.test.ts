import { parseGenesis } from "../x/models/genesis";
import { checkOutputAgainstSpec, encodeTensorList } from "../x/models/tensor";
import { builtinModels } from "../lib/models/builtin";
import { commitmentMatches, sealedLength, sealMatches } from "../x/inference/seal";
import { testAccount, testPubkey, testSecretKey, testWorker } from "../x/inference/testutil";
import { openingFor, openSealedResult, SealedResultError, sealResult } from "../client/results";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Collusion, collusionDir } from "./collusion";
import { fakeOutputs, fakesJob, faultSeed, outputShapes, parseFaultMode, parseFaultRate, sealingKey } from "./faults";

const [mlp, silero] = parseGenesis({ models: builtinModels() }).models;
const mlpInput = (rows: number) => [{ name: "x", shape: [BigInt(rows), 16n], values: new Array<bigint>(rows * 16).fill(1n) }];

describe("fault modes", () => {
  test("dynamic output dims follow the input's batch; fixed dims are the spec's", () => {
    expect(outputShapes(mlp, mlpInput(3))).toEqual([[3n, 8n]]);
    expect(outputShapes(silero, [{ name: "input", shape: [1n, 512n], values: [] }])).toEqual([[1n, 1n], [2n, 1n, 64n], [2n, 1n, 64n]]);
  });

  test("lazy: zeros of the right names and shapes, which pass the chain's output check", () => {
    const out = fakeOutputs("lazy", mlp, mlpInput(2));
    expect(out).toEqual([{ name: "y", shape: [2n, 8n], values: new Array<bigint>(16).fill(0n) }]);
    expect(checkOutputAgainstSpec(mlp, out)).toBeUndefined();
    expect(() => encodeTensorList(out)).not.toThrow();
  });

  test("random: values in [-1, 1] at the model's scale, right shapes, and not all equal", () => {
    const out = fakeOutputs("random", silero, [{ name: "input", shape: [1n, 512n], values: [] }]);
    expect(out.map((t) => t.name)).toEqual(["output", "hn", "cn"]);
    expect(checkOutputAgainstSpec(silero, out)).toBeUndefined();
    const all = out.flatMap((t) => t.values);
    expect(all.length).toBe(1 + 128 + 128);
    for (const v of all) expect(v >= -(1n << 16n) && v <= 1n << 16n).toBe(true);
    expect(new Set(all.map(String)).size).toBeGreaterThan(10);
  });

  test("parses the flag", () => {
    expect(parseFaultMode("offline")).toBe("offline");
    expect(parseFaultMode("bad-seal")).toBe("bad-seal");
    expect(() => parseFaultMode("copy")).toThrow(/lazy, random, offline/);
  });
});

describe("fault mode bad-seal", () => {
  const WORKER = testWorker(3);
  const CLIENT = testAccount(4);
  const job = { id: 21n, worker: WORKER, clientPubkey: testPubkey(CLIENT) };
  const output = encodeTensorList(fakeOutputs("lazy", mlp, mlpInput(1)));
  const sealed = sealResult({ ...job, clientPubkey: sealingKey("bad-seal", job.clientPubkey, testSecretKey(WORKER)) }, output, testSecretKey(WORKER));
  const onChain = { ...job, commitment: sealed.commitment, sealedOutput: sealed.sealedOutput, cannotRun: false };

  test("every other mode seals to the client's key", () => {
    for (const mode of [undefined, "lazy", "random", "offline"] as const) expect(sealingKey(mode, job.clientPubkey, testSecretKey(WORKER))).toBe(job.clientPubkey);
  });

  test("the commitment is to the real output, but the client cannot open the seal: grounds for a challenge", () => {
    expect(sealedLength(BigInt(output.length))).toBe(BigInt(sealed.sealedOutput.length));
    expect(commitmentMatches(sealed.commitment, job.id, WORKER, output, sealed.salt)).toBe(true);
    let err: unknown;
    try {
      openSealedResult(onChain, mlp, testSecretKey(CLIENT));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SealedResultError);
    expect((err as SealedResultError).problem).toBe("cannot_decrypt");
    expect((err as SealedResultError).challengeable).toBe(true);
  });

  test("the worker's opening matches its commitment but fails the chain's re-encryption check", () => {
    const o = openingFor(onChain, output, testSecretKey(WORKER));
    expect(commitmentMatches(onChain.commitment, job.id, WORKER, o.output, o.salt)).toBe(true);
    expect(sealMatches(job.id, job.clientPubkey, onChain.sealedOutput, o.output, o.salt, o.ephemeralKey)).toBe(false);
    // An honest seal of the same output opens and passes both checks.
    const honest = sealResult(job, output, testSecretKey(WORKER));
    expect(sealMatches(job.id, job.clientPubkey, honest.sealedOutput, o.output, o.salt, o.ephemeralKey)).toBe(true);
  });
});

describe("--fault-rate", () => {
  const seed = faultSeed(testSecretKey(testWorker(3)));
  const faked = (sd: Uint8Array, ppm: number, n = 10_000): bigint[] => Array.from({ length: n }, (_, i) => BigInt(i + 1)).filter((id) => fakesJob(sd, id, ppm));

  test("0 fakes nothing, 10^6 everything, 10% about a tenth of the jobs (10,000 jobs: within 9-11%)", () => {
    expect(faked(seed, 0)).toEqual([]);
    expect(faked(seed, 1_000_000, 100)).toHaveLength(100);
    const n = faked(seed, 100_000).length;
    expect(n).toBeGreaterThan(900);
    expect(n).toBeLessThan(1100);
  });

  test("the same jobs for the same key every time; another worker key fakes other jobs", () => {
    expect(faked(seed, 100_000)).toEqual(faked(faultSeed(testSecretKey(testWorker(3))), 100_000));
    const other = new Set(faked(faultSeed(testSecretKey(testWorker(4))), 100_000));
    const mine = faked(seed, 100_000);
    // Independent choices: the overlap is about 10% of 10%, nowhere near all of them.
    expect(mine.filter((id) => other.has(id)).length).toBeLessThan(mine.length / 4);
  });

  test("parses parts per million in 0..10^6 and nothing else", () => {
    expect(parseFaultRate("100000")).toBe(100_000);
    expect(parseFaultRate("0")).toBe(0);
    for (const bad of ["10%", "0.1", "-1", "1000001", ""]) expect(() => parseFaultRate(bad)).toThrow(/parts per million/);
  });
});

describe("--collude", () => {
  const W = "infer1qvpsxqcrqvpsxqcrqvpsxqcrqvpsxqcrwrdjwl";
  const OTHER = "infer1qgpqyqszqgpqyqszqgpqyqszqgpqyqsz0nvny7";

  test("a name is a directory under the tmpdir, a path is itself; anything else is refused", () => {
    expect(collusionDir("g1")).toBe(path.join(os.tmpdir(), "inferchain-collude", "g1"));
    expect(collusionDir("/x/y")).toBe("/x/y");
    expect(() => collusionDir("a b")).toThrow(/group name/);
    expect(() => collusionDir("")).toThrow(/group/);
  });

  test("what the group's worker posted is what a member reads back; nothing for another worker or job", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-collude-test-"));
    try {
      const worker = new Collusion(dir);
      const verifier = new Collusion(dir);
      worker.publish(W, 7n, new Uint8Array([1, 2, 3]));
      expect(verifier.outputFor(W, 7n)).toEqual(new Uint8Array([1, 2, 3]));
      expect(verifier.outputFor(W, 8n)).toBeUndefined();
      expect(verifier.outputFor(OTHER, 7n)).toBeUndefined();
      expect(() => worker.publish("../../etc", 1n, new Uint8Array())).toThrow(/not an address/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
