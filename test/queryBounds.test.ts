/**
 * Queries are bounded (issue 7, finding 6), through the whole app as CometBFT's ABCI Query and
 * the gRPC server reach it: every list is a page of at most 1000 rows, counting is bounded,
 * and a query too expensive for the query gas is refused with Cosmos's out-of-gas code.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { QueryAccountsRequest, QueryAccountsResponse } from "cosmjs-types/cosmos/auth/v1beta1/query";
import { BaseAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import type { ResponseQuery } from "cosmjs-types/tendermint/abci/types";
import { createInferchainApp } from "../app/app";
import type { BaseApp } from "../base/baseapp";
import { accountAddress } from "../base/types/address";
import { Job as WireJob } from "../gen/inferchain/inference/v1/inference";
import { QueryJobsRequest, QueryJobsResponse } from "../gen/inferchain/inference/v1/query";
import { jobIndexKeys, jobKey } from "../x/inference/keys";
import { jobToWire, newJob } from "../x/inference/types";

const ACCOUNTS = "/cosmos.auth.v1beta1.Query/Accounts";
const JOBS = "/inferchain.inference.v1.Query/Jobs";
const N = 1_200;

const addr = (i: number): string => accountAddress(Uint8Array.from({ length: 20 }, (_, j) => (j < 4 ? (i >> (8 * j)) & 0xff : 7)));

describe("bounded queries through the app", () => {
  let dir: string;
  let app: BaseApp;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-queries-"));
    app = await createInferchainApp({ dbDir: dir });
    const accounts = Array.from({ length: N }, (_, i) => ({ address: addr(i) }));
    await app.initChain({
      chainId: "queries-1",
      time: { seconds: 1_700_000_000n, nanos: 0 },
      consensusParams: undefined,
      validators: [],
      appStateBytes: new TextEncoder().encode(JSON.stringify({ auth: { accounts } })),
      initialHeight: 1n,
    });
    await app.finalizeBlock({ txs: [], decidedLastCommit: { round: 0, votes: [] }, misbehavior: [], hash: new Uint8Array(32), height: 1n, time: { seconds: 1_700_000_001n, nanos: 0 }, nextValidatorsHash: new Uint8Array(), proposerAddress: new Uint8Array(20) });
    await app.commit();
  });
  afterAll(async () => {
    await app.store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const query = (p: string, data: Uint8Array): Promise<ResponseQuery> => app.query({ path: p, data, height: 0n, prove: false });
  const accounts = async (pagination: Partial<QueryAccountsRequest["pagination"]> | undefined) => {
    const r = await query(ACCOUNTS, QueryAccountsRequest.encode(QueryAccountsRequest.fromPartial({ pagination })).finish());
    expect(r.log).toBe("");
    return QueryAccountsResponse.decode(r.value);
  };
  const addresses = (r: QueryAccountsResponse): string[] => r.accounts.map((a) => BaseAccount.decode(a.value).address);

  test("Accounts pages by key: limit, next_key, and every account exactly once", async () => {
    const first = await accounts({ limit: 7n });
    expect(first.accounts).toHaveLength(7);
    expect(first.pagination!.nextKey.length).toBeGreaterThan(0);
    const seen = addresses(first);
    let key = first.pagination!.nextKey;
    while (key.length > 0) {
      const page = await accounts({ key, limit: 500n });
      seen.push(...addresses(page));
      key = page.pagination!.nextKey;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort());
    for (let i = 0; i < N; i++) expect(seen).toContain(addr(i));
    const counted = await accounts({ limit: 1n, countTotal: true });
    expect(counted.pagination!.total).toBe(BigInt(seen.length));
  });

  test("Accounts: no pagination gives the default page of 100; a limit above the maximum gives 1000", async () => {
    expect((await accounts(undefined)).accounts).toHaveLength(100);
    const big = await accounts({ limit: 100_000n });
    expect(big.accounts).toHaveLength(1000);
    expect(big.pagination!.nextKey.length).toBeGreaterThan(0);
  });

  test("a bad page request is InvalidArgument (ABCI sdk code 18)", async () => {
    const both = await query(ACCOUNTS, QueryAccountsRequest.encode(QueryAccountsRequest.fromPartial({ pagination: { key: new Uint8Array([65]), offset: 1n } })).finish());
    expect([both.codespace, both.code]).toEqual(["sdk", 18]);
    expect(both.log).toMatch(/code = InvalidArgument desc = invalid request, either offset or key is expected, got both/);
    const deep = await query(ACCOUNTS, QueryAccountsRequest.encode(QueryAccountsRequest.fromPartial({ pagination: { offset: 1_000_000n } })).finish());
    expect([deep.codespace, deep.code]).toEqual(["sdk", 18]);
  });

  test("a query past the query gas is refused as out of gas (ABCI sdk code 11, gRPC ResourceExhausted)", async () => {
    const client = addr(1);
    for (let id = 1n; id <= 40n; id++) {
      const j = newJob({ id, client, modelId: "m", input: new Uint8Array(100_000), fee: 1n, height: 1n });
      app.store.state.set(jobKey(id), WireJob.encode(jobToWire(j)).finish());
      for (const k of jobIndexKeys(j)) app.store.state.set(k, Uint8Array.of(1));
    }
    const req = (limit: bigint): Uint8Array => QueryJobsRequest.encode({ status: 0, client, worker: "", pagination: { key: new Uint8Array(), offset: 0n, limit, countTotal: false, reverse: false } }).finish();
    const r = await query(JOBS, req(40n));
    expect([r.codespace, r.code]).toEqual(["sdk", 11]);
    expect(r.log).toMatch(/code = ResourceExhausted desc = query out of gas/);
    const small = await query(JOBS, req(3n));
    expect(small.code).toBe(0);
    expect(QueryJobsResponse.decode(small.value).jobs).toHaveLength(3);
  });
});
