import { JobStatus } from "../../gen/inferchain/inference/v1/inference";
import { jobToWire, newJob } from "../../x/inference/types";
import { MODEL, sampleInput, sampleOutput, testAccount, testPubkey, testSecretKey, testWorker } from "../../x/inference/testutil";
import { SealedResultError, sealResult } from "../../client/results";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { CliError } from "../../client/errors";
import { sha256Hex } from "../../client/inputData";
import { clientResult, jobInputByUri, jobToJson } from "./inference";
import type { InferchainQueryClient } from "../../client/queries";

describe("inferd query inference job", () => {
  test("shows a cannot-run result with its reason, and a pruned job's hashes", () => {
    const base = jobToWire(newJob({ id: 3n, client: "infer1client", modelId: MODEL.id, input: sampleInput(), fee: 1000n, height: 1n }));
    const cannot = jobToJson({ ...base, status: JobStatus.JOB_STATUS_RESULT_POSTED, cannotRun: true, cannotRunReason: "onnxruntime: bad input" }, MODEL);
    expect(cannot).toMatchObject({ id: "3", status: "JOB_STATUS_RESULT_POSTED", cannot_run: true, cannot_run_reason: "onnxruntime: bad input", output: "" });
    expect(cannot.result).toBeUndefined();
    const pruned = jobToJson({ ...base, status: JobStatus.JOB_STATUS_FINALIZED, input: new Uint8Array(), pruned: true, inputSha256: "ab".repeat(32), outputSha256: "cd".repeat(32), pruneHeight: 99n });
    expect(pruned).toMatchObject({ pruned: true, prune_height: "99", input: "", input_sha256: "ab".repeat(32), output_sha256: "cd".repeat(32) });
    // The rate its result is drawn for audit at (per-job economic security; 0: the base rate).
    expect(jobToJson({ ...base, status: JobStatus.JOB_STATUS_ASSIGNED, auditRatePpm: 150_000n })).toMatchObject({ audit_rate_ppm: "150000" });
  });

  describe("sealed results (issue 9)", () => {
    const client = testAccount(1);
    const worker = testWorker(1);
    const job = (() => {
      const j = { ...jobToWire(newJob({ id: 4n, client, modelId: MODEL.id, input: sampleInput(), fee: 1000n, height: 1n, clientPubkey: testPubkey(client) })), worker };
      const s = sealResult(j, sampleOutput(), testSecretKey(worker));
      return { ...j, status: JobStatus.JOB_STATUS_RESULT_POSTED, commitment: s.commitment, sealedOutput: s.sealedOutput };
    })();

    test("without the client's key: the commitment and the sealed size, no result", () => {
      const out = jobToJson(job, MODEL);
      expect(out).toMatchObject({ commitment: Buffer.from(job.commitment).toString("hex"), sealed_output_bytes: sampleOutput().length + 81, opened: false, output: "" });
      expect(out.result).toBeUndefined();
    });

    test("with it: the result opened and dequantized as before", () => {
      const opened = clientResult(job, MODEL, testSecretKey(client))!;
      const out = jobToJson(job, MODEL, opened);
      expect(out.result).toEqual({ y: { dims: [1, 8], data: [0, 1, 2, 3, 4, 5, 6, 7].map((v) => v / 2 ** MODEL.quantScaleBits) } });
    });

    test("no result yet: nothing to open; another key: a SealedResultError", () => {
      expect(clientResult({ ...job, status: JobStatus.JOB_STATUS_ASSIGNED, commitment: new Uint8Array(), sealedOutput: new Uint8Array() }, MODEL, testSecretKey(client))).toBeUndefined();
      expect(() => clientResult(job, MODEL, testSecretKey(testAccount(2)))).toThrow(SealedResultError);
    });

    test("an output the worker opened on chain, its sealed bytes pruned: shown as it is", () => {
      const opened = clientResult({ ...job, status: JobStatus.JOB_STATUS_FINALIZED, sealedOutput: new Uint8Array(), opened: true, output: sampleOutput() }, MODEL, testSecretKey(testAccount(2)))!;
      expect(Buffer.from(opened.output)).toEqual(Buffer.from(sampleOutput()));
    });
  });
});

describe("inferd infer --input-uri", () => {
  const q = { inferchain: { inference: { params: async () => ({ maxUriInputBytes: 65_536n }) } } } as unknown as InferchainQueryClient;

  test("checks the URI and the hash as the chain does; downloads, hashes and checks the bytes when no hash is given", async () => {
    const good = sampleInput(3);
    const server = http.createServer((req, res) => res.end(Buffer.from(req.url === "/good" ? good : Buffer.from("junk"))));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect(await jobInputByUri(q, MODEL, `${base}/good`, undefined)).toEqual({ inputUri: `${base}/good`, inputSha256: sha256Hex(good) });
      await expect(jobInputByUri(q, MODEL, `${base}/junk`, undefined)).rejects.toThrow(/are not an input of/);
      // With a hash: taken as given (lowercased), nothing downloaded.
      expect(await jobInputByUri(q, MODEL, "https://unreachable.invalid/x", "AB".repeat(32))).toEqual({ inputUri: "https://unreachable.invalid/x", inputSha256: "ab".repeat(32) });
      await expect(jobInputByUri(q, MODEL, "ftp://x/y", "ab".repeat(32))).rejects.toThrow(CliError);
      await expect(jobInputByUri(q, MODEL, "https://x/y", "abc")).rejects.toThrow(/--input-sha256/);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
