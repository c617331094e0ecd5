import type { QueryClient } from "@cosmjs/stargate";
import { Job } from "../gen/inferchain/inference/v1/inference";
import { QueryJobsRequest, QueryJobsResponse } from "../gen/inferchain/inference/v1/query";
import { setupInferchainExtension } from "./queries";

const enc = new TextEncoder();

describe("inferchain query extension", () => {
  test("jobs() follows next_key past a short or empty page (a sparse filter's bounded walk)", async () => {
    const asked: Uint8Array[] = [];
    const pages: QueryJobsResponse[] = [
      { jobs: [], pagination: { nextKey: enc.encode("00000000000000005001"), total: 0n } },
      { jobs: [Job.fromPartial({ id: 7001n })], pagination: { nextKey: enc.encode("00000000000000009001"), total: 0n } },
      { jobs: [Job.fromPartial({ id: 9500n })], pagination: { nextKey: new Uint8Array(), total: 0n } },
    ];
    const base = {
      queryAbci: async (path: string, data: Uint8Array) => {
        expect(path).toBe("/inferchain.inference.v1.Query/Jobs");
        asked.push(QueryJobsRequest.decode(data).pagination!.key);
        return { value: QueryJobsResponse.encode(pages[asked.length - 1]).finish(), height: 1 };
      },
    } as unknown as QueryClient;
    const jobs = await setupInferchainExtension(base).inferchain.inference.jobs({ client: "infer1x" });
    expect(jobs.map((j) => j.id)).toEqual([7001n, 9500n]);
    expect(asked.map((k) => new TextDecoder().decode(k))).toEqual(["", "00000000000000005001", "00000000000000009001"]);
  });
});
