import { fromAscii } from "@cosmjs/encoding";
import { Decimal } from "@cosmjs/math";
import {
  QueryParamsRequest as CosmosParamsRequest,
  QueryParamsResponse as CosmosParamsResponse,
  QuerySigningInfoRequest,
  QuerySigningInfoResponse,
  QuerySigningInfosRequest,
  QuerySigningInfosResponse,
} from "cosmjs-types/cosmos/slashing/v1beta1/query";
import {
  QueryParamsRequest,
  QueryParamsResponse,
  QuerySlashEventsRequest,
  QuerySlashEventsResponse,
} from "../../gen/inferchain/slashing/v1/query";
import type { QueryContext } from "../../base/context";
import type { QueryHandler } from "../../base/module";
import { GrpcStatus, QueryError } from "../../base/query";
import { beginBlocker } from "./abci";
import type { SlashingKeeper } from "./keeper";
import { slashingQueries } from "./queries";
import { testContext, testSetup } from "./testutil";
import { consAddressString } from "./types";

const M = 1_000_000n;

function handler(k: SlashingKeeper, path: string): QueryHandler {
  const h = slashingQueries(k).find((q) => q.path === path);
  if (!h) throw new Error(`no query ${path}`);
  return h;
}

function grpcCode(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof QueryError) return e.grpcCode;
    throw e;
  }
  return undefined;
}

function withValidators(n: number) {
  const s = testSetup();
  const vals = Array.from({ length: n }, (_, i) => s.staking.addValidator(s.store, { index: i, tokens: 100n * M }));
  const q: QueryContext = { store: s.store, height: 10n };
  return { ...s, vals, q };
}

describe("cosmos.slashing.v1beta1.Query", () => {
  test("Params: Decs as 18-decimal atomics that CosmJS reads back, the jail as seconds = blocks", () => {
    const { k, q } = withValidators(0);
    const res = CosmosParamsResponse.decode(handler(k, "/cosmos.slashing.v1beta1.Query/Params").handle(q, CosmosParamsRequest.encode({}).finish()));
    const dec = (b: Uint8Array): string => Decimal.fromAtomics(fromAscii(b), 18).toString();
    expect(res.params.signedBlocksWindow).toBe(20n);
    expect(fromAscii(res.params.minSignedPerWindow)).toBe("500000000000000000");
    expect(dec(res.params.minSignedPerWindow)).toBe("0.5");
    expect(dec(res.params.slashFractionDoubleSign)).toBe("1");
    expect(dec(res.params.slashFractionDowntime)).toBe("0.0001");
    expect(res.params.downtimeJailDuration).toEqual({ seconds: 20n, nanos: 0 });
  });

  test("SigningInfo by infervalcons address; bad address and unknown key have their gRPC codes", () => {
    const { store, k, vals, q } = withValidators(1);
    for (let h = 2n; h <= 4n; h++) {
      beginBlocker(k, testContext(store, h), { lastCommit: [{ validatorAddress: vals[0].consAddress, power: 100n, signed: h !== 3n }], misbehavior: [] });
    }
    const path = "/cosmos.slashing.v1beta1.Query/SigningInfo";
    const cons = consAddressString(vals[0].consAddress);
    expect(cons.startsWith("infervalcons1")).toBe(true);
    const res = QuerySigningInfoResponse.decode(handler(k, path).handle(q, QuerySigningInfoRequest.encode({ consAddress: cons }).finish()));
    expect(res.valSigningInfo).toEqual({ address: cons, startHeight: 2n, indexOffset: 3n, jailedUntil: { seconds: 0n, nanos: 0 }, tombstoned: false, missedBlocksCounter: 1n });

    expect(grpcCode(() => handler(k, path).handle(q, QuerySigningInfoRequest.encode({ consAddress: vals[0].operator }).finish()))).toBe(GrpcStatus.INVALID_ARGUMENT);
    const unknown = consAddressString(new Uint8Array(20).fill(9));
    expect(grpcCode(() => handler(k, path).handle(q, QuerySigningInfoRequest.encode({ consAddress: unknown }).finish()))).toBe(GrpcStatus.NOT_FOUND);
  });

  test("SigningInfos pages by key and by offset, with a total when asked", () => {
    const { store, k, vals, q } = withValidators(5);
    beginBlocker(k, testContext(store, 2n), { lastCommit: vals.map((v) => ({ validatorAddress: v.consAddress, power: 100n, signed: true })), misbehavior: [] });
    const path = "/cosmos.slashing.v1beta1.Query/SigningInfos";
    const all = vals.map((v) => consAddressString(v.consAddress)).sort();
    const page = (pagination: Partial<QuerySigningInfosRequest["pagination"]>): QuerySigningInfosResponse =>
      QuerySigningInfosResponse.decode(handler(k, path).handle(q, QuerySigningInfosRequest.encode(QuerySigningInfosRequest.fromPartial({ pagination })).finish()));

    const p1 = page({ limit: 2n, countTotal: true });
    expect(p1.info.map((i) => i.address)).toEqual(all.slice(0, 2));
    expect(p1.pagination?.total).toBe(5n);
    const p2 = page({ limit: 2n, key: p1.pagination?.nextKey });
    expect(p2.info.map((i) => i.address)).toEqual(all.slice(2, 4));
    const p3 = page({ limit: 2n, key: p2.pagination?.nextKey });
    expect(p3.info.map((i) => i.address)).toEqual(all.slice(4));
    expect(p3.pagination?.nextKey.length).toBe(0);
    expect(page({ offset: 3n }).info.map((i) => i.address)).toEqual(all.slice(3));
    expect(page({ reverse: true, limit: 1n }).info.map((i) => i.address)).toEqual([all[4]]);
    expect(grpcCode(() => page({ offset: 1n, key: p1.pagination?.nextKey }))).toBe(GrpcStatus.INVALID_ARGUMENT);
  });
});

describe("inferchain.slashing.v1.Query", () => {
  test("SlashEvents: all, one validator's, paged", () => {
    const { store, k, vals, q } = withValidators(2);
    const ctx = testContext(store, 10n);
    const base = { infractionHeight: 9n, fractionPpm: 1000n, kind: "bad_verification", reporters: [], jail: false, tombstone: false };
    k.slash(ctx, { ...base, operator: vals[0].operator });
    k.slash(ctx, { ...base, operator: vals[1].operator });
    k.slash(ctx, { ...base, operator: vals[0].operator, reason: "again" });
    const path = "/inferchain.slashing.v1.Query/SlashEvents";
    const ask = (r: Partial<QuerySlashEventsRequest>): QuerySlashEventsResponse =>
      QuerySlashEventsResponse.decode(handler(k, path).handle(q, QuerySlashEventsRequest.encode(QuerySlashEventsRequest.fromPartial(r)).finish()));

    expect(ask({}).events.map((e) => e.id)).toEqual([1n, 2n, 3n]);
    const mine = ask({ validator: vals[0].operator });
    // The second slash of vals[0] takes 0.1% of the 99.9 INF the first left.
    expect(mine.events.map((e) => e.id)).toEqual([1n, 3n]);
    expect(mine.events[1]).toMatchObject({ validator: vals[0].operator, kind: "bad_verification", fractionPpm: 1000n, amount: "99900", treasuryAmount: "99900", reason: "again" });
    const first = ask({ pagination: { key: new Uint8Array(), offset: 0n, limit: 2n, countTotal: true, reverse: false } });
    expect(first.events.map((e) => e.id)).toEqual([1n, 2n]);
    expect(first.pagination?.total).toBe(3n);
    expect(ask({ pagination: { key: first.pagination?.nextKey ?? new Uint8Array(), offset: 0n, limit: 2n, countTotal: false, reverse: false } }).events.map((e) => e.id)).toEqual([3n]);
    expect(grpcCode(() => ask({ validator: "infer1nope" }))).toBe(GrpcStatus.INVALID_ARGUMENT);
  });

  test("Params: every param, ppm and blocks as integers", () => {
    const { store, k, q } = withValidators(0);
    k.setParams(store, { ...k.getParams(store), reporterRewardPpm: 123n, burnSlashed: true });
    const res = QueryParamsResponse.decode(handler(k, "/inferchain.slashing.v1.Query/Params").handle(q, QueryParamsRequest.encode({}).finish()));
    expect(res.params).toEqual(k.getParams(store));
    expect(res.params?.reporterRewardPpm).toBe(123n);
    expect(res.params?.burnSlashed).toBe(true);
  });
});
