import { expectedSequence } from "./signerQueue";
import { parseJobStatus, jobStatusName, JobStatus, isNotFound } from "./queries";

describe("client helpers", () => {
  test("the sequence the node wants, from a mismatch log (stale or future)", () => {
    expect(expectedSequence("account sequence mismatch, expected 12, got 11: incorrect account sequence")).toBe(12n);
    expect(expectedSequence("account sequence mismatch, expected 3, got 9: account sequence is ahead of the account")).toBe(3n);
    expect(expectedSequence("insufficient fee")).toBeUndefined();
  });

  test("job status names both ways", () => {
    expect(parseJobStatus("assigned")).toBe(JobStatus.JOB_STATUS_ASSIGNED);
    expect(parseJobStatus("JOB_STATUS_RESULT_POSTED")).toBe(JobStatus.JOB_STATUS_RESULT_POSTED);
    expect(parseJobStatus("4")).toBe(JobStatus.JOB_STATUS_FINALIZED);
    expect(() => parseJobStatus("done")).toThrow(/unknown job status/);
    expect(() => parseJobStatus("unspecified")).toThrow();
    expect(jobStatusName(JobStatus.JOB_STATUS_FAILED)).toBe("FAILED");
  });

  test("NotFound query errors are told apart from others", () => {
    expect(isNotFound(new Error("Query failed with (22): rpc error: code = NotFound desc = job 9: key not found"))).toBe(true);
    expect(isNotFound(new Error("Query failed with (18): rpc error: code = InvalidArgument desc = bad"))).toBe(false);
  });
});
