import { JobStatus } from "../../gen/inferchain/inference/v1/inference";
import { jobToWire, newJob } from "../../x/inference/types";
import { MODEL, sampleInput } from "../../x/inference/testutil";
import { jobToJson } from "./inference";

describe("inferd query inference job", () => {
  test("shows a cannot-run result with its reason, and a pruned job's hashes", () => {
    const base = jobToWire(newJob({ id: 3n, client: "infer1client", modelId: MODEL.id, input: sampleInput(), fee: 1000n, height: 1n }));
    const cannot = jobToJson({ ...base, status: JobStatus.JOB_STATUS_RESULT_POSTED, cannotRun: true, cannotRunReason: "onnxruntime: bad input" }, MODEL);
    expect(cannot).toMatchObject({ id: "3", status: "JOB_STATUS_RESULT_POSTED", cannot_run: true, cannot_run_reason: "onnxruntime: bad input", output: "" });
    expect(cannot.result).toBeUndefined();
    const pruned = jobToJson({ ...base, status: JobStatus.JOB_STATUS_FINALIZED, input: new Uint8Array(), pruned: true, inputSha256: "ab".repeat(32), outputSha256: "cd".repeat(32), pruneHeight: 99n });
    expect(pruned).toMatchObject({ pruned: true, prune_height: "99", input: "", input_sha256: "ab".repeat(32), output_sha256: "cd".repeat(32) });
  });
});
