import { expectedSequence, SignerQueue } from "./signerQueue";
import { inferchainRegistry, msgSubmitJob } from "./registry";
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

describe("SignerQueue.simulate", () => {
  /** A queue whose next sequence is `local` over a node whose committed account sequence is `committed`. */
  function queue(local: bigint, committed: bigint, fail?: Error) {
    const seen: number[] = [];
    const query = {
      tx: {
        simulate: async (_msgs: unknown, _memo: string, _pubkey: unknown, sequence: number) => {
          seen.push(sequence);
          if (fail) throw fail;
          if (BigInt(sequence) !== committed) {
            const why = BigInt(sequence) > committed ? "account sequence is ahead of the account: codespace tx code 4" : "incorrect account sequence: codespace sdk code 32";
            throw new Error(`Query failed with (18): rpc error: code = InvalidArgument desc = account sequence mismatch, expected ${committed}, got ${sequence}: ${why}`);
          }
          return { gasInfo: { gasWanted: 0n, gasUsed: 1234n } };
        },
      },
    };
    const Ctor = SignerQueue as unknown as new (...a: unknown[]) => SignerQueue;
    const q = new Ctor("infer1x", "test", new Uint8Array(33).fill(2), {}, { registry: inferchainRegistry() }, query);
    Object.assign(q, { sequence: local, accountNumber: 0n });
    return { q, seen, sequence: () => (q as unknown as { sequence: bigint }).sequence };
  }
  const msg = msgSubmitJob({ client: "infer1x", modelId: "m", input: new Uint8Array(), inputUri: "", inputSha256: "", fee: "1" });

  test("with txs of ours still in the mempool (the committed sequence behind ours), it simulates at the committed one and keeps its own", async () => {
    const { q, seen, sequence } = queue(5n, 3n);
    expect(await q.simulate([msg])).toBe(1234);
    expect(seen).toEqual([5, 3]);
    expect(sequence()).toBe(5n);
  });

  test("other refusals, and a node that wants a later sequence, are errors (no retry loop)", async () => {
    await expect(queue(5n, 5n, new Error("Query failed with (18): insufficient funds")).q.simulate([msg])).rejects.toThrow(/insufficient funds/);
    const later = queue(2n, 4n);
    await expect(later.q.simulate([msg])).rejects.toThrow(/expected 4, got 2/);
    expect(later.seen).toEqual([2]);
    const same = queue(2n, 2n, new Error("account sequence mismatch, expected 2, got 2"));
    await expect(same.q.simulate([msg])).rejects.toThrow(/expected 2/);
    expect(same.seen).toEqual([2]);
  });
});
