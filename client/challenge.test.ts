import type { QueryClient } from "@cosmjs/stargate";
import { Dispute as WireDispute, DisputeStatus } from "../gen/inferchain/challenge/v1/challenge";
import { MsgChallenge, MsgRevealVerification } from "../gen/inferchain/challenge/v1/tx";
import { QueryDisputeRequest, QueryDisputeResponse, QueryDisputesRequest, QueryDisputesResponse } from "../gen/inferchain/challenge/v1/query";
import { msgChallenge, msgRevealVerification, parseDisputeStatus, setupChallengeExtension } from "./challenge";
import { inferchainRegistry } from "./registry";

const enc = new TextEncoder();

describe("x/challenge client", () => {
  test("disputes() sends the filter and follows next_key past a short page; bonds become bigint", async () => {
    const asked: QueryDisputesRequest[] = [];
    const wire = (id: bigint): WireDispute => WireDispute.fromPartial({ id, rounds: [{ number: 1, bond: "2000000" }] });
    const pages: QueryDisputesResponse[] = [
      { disputes: [], pagination: { nextKey: enc.encode("00000000000000000005"), total: 0n } },
      { disputes: [wire(5n), wire(6n)], pagination: { nextKey: new Uint8Array(), total: 0n } },
    ];
    const base = {
      queryAbci: async (path: string, data: Uint8Array) => {
        expect(path).toBe("/inferchain.challenge.v1.Query/Disputes");
        asked.push(QueryDisputesRequest.decode(data));
        return { value: QueryDisputesResponse.encode(pages[asked.length - 1]).finish(), height: 1 };
      },
    } as unknown as QueryClient;
    const ds = await setupChallengeExtension(base).challenge.disputes({ validator: "infer1x", status: DisputeStatus.DISPUTE_STATUS_REVEAL });
    expect(ds.map((d) => d.id)).toEqual([5n, 6n]);
    expect(ds[0].rounds[0].bond).toBe(2_000_000n);
    expect(asked.map((r) => [r.validator, r.status, r.jobId, new TextDecoder().decode(r.pagination!.key)])).toEqual([
      ["infer1x", DisputeStatus.DISPUTE_STATUS_REVEAL, 0n, ""],
      ["infer1x", DisputeStatus.DISPUTE_STATUS_REVEAL, 0n, "00000000000000000005"],
    ]);
  });

  test("dispute() answers undefined for NotFound and throws anything else", async () => {
    let fail = "rpc error: code = NotFound desc = dispute 9: key not found";
    const base = {
      queryAbci: async (_path: string, data: Uint8Array) => {
        if (QueryDisputeRequest.decode(data).id === 1n) return { value: QueryDisputeResponse.encode({ dispute: WireDispute.fromPartial({ id: 1n }) }).finish(), height: 1 };
        throw new Error(fail);
      },
    } as unknown as QueryClient;
    const q = setupChallengeExtension(base).challenge;
    expect((await q.dispute(1n))?.id).toBe(1n);
    expect(await q.dispute(9n)).toBeUndefined();
    fail = "connection refused";
    await expect(q.dispute(9n)).rejects.toThrow("connection refused");
  });

  test("statuses by name, enum name or number", () => {
    expect(parseDisputeStatus("commit")).toBe(DisputeStatus.DISPUTE_STATUS_COMMIT);
    expect(parseDisputeStatus("DISPUTE_STATUS_FINAL_FAULT")).toBe(DisputeStatus.DISPUTE_STATUS_FINAL_FAULT);
    expect(parseDisputeStatus("7")).toBe(DisputeStatus.DISPUTE_STATUS_FINAL_OK);
    expect(() => parseDisputeStatus("done")).toThrow(/unknown dispute status/);
    expect(() => parseDisputeStatus("0")).toThrow(/unknown dispute status/);
  });

  test("the messages are in the shared registry and round-trip through it", () => {
    const registry = inferchainRegistry();
    const c = msgChallenge({ challenger: "infer1c", jobId: 7n, bond: 1_000_000n });
    expect(MsgChallenge.decode(registry.encode(c))).toEqual({ challenger: "infer1c", jobId: 7n, bond: "1000000" });
    const r = msgRevealVerification({ verifier: "infer1v", disputeId: 3n, output: new Uint8Array([1, 2]), salt: new Uint8Array(32).fill(4), cannotRun: false });
    expect(MsgRevealVerification.decode(registry.encode(r))).toEqual(r.value);
  });
});
