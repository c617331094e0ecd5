/**
 * The running node's gRPC server (`inferd start`, app.toml [grpc]): raw-bytes calls with
 * cosmjs-types messages, the Cosmos height header, server reflection, and the promise that
 * a query answered over gRPC and over ABCI (CometBFT RPC `abci_query`) is the same bytes.
 */
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { QueryClient, setupAuthExtension, setupBankExtension } from "@cosmjs/stargate";
import { connectComet, type CometClient } from "@cosmjs/tendermint-rpc";
import { QueryAccountRequest, QueryAccountResponse } from "cosmjs-types/cosmos/auth/v1beta1/query";
import { BaseAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { QueryAllBalancesRequest, QueryAllBalancesResponse, QueryBalanceRequest, QueryBalanceResponse } from "cosmjs-types/cosmos/bank/v1beta1/query";
import { SimulateRequest, SimulateResponse } from "cosmjs-types/cosmos/tx/v1beta1/service";
import { FileDescriptorProto } from "cosmjs-types/google/protobuf/descriptor";
import { cleanupNode, rpc, startTestNode, withNodeLogs, type TestNode } from "../support/node";
import { msgSendAny, signTx, testKey, type TestKey } from "../support/txs";

jest.setTimeout(60_000);

const FUNDED = 777_000_000n;
const BALANCE = "/cosmos.bank.v1beta1.Query/Balance";
const ALL_BALANCES = "/cosmos.bank.v1beta1.Query/AllBalances";
const ACCOUNT = "/cosmos.auth.v1beta1.Query/Account";
const SIMULATE = "/cosmos.tx.v1beta1.Service/Simulate";
const HEIGHT_HEADER = "x-cosmos-block-height";

interface UnaryResult {
  readonly error: grpc.ServiceError | null;
  readonly value: Buffer | undefined;
  readonly header: grpc.Metadata | undefined;
  readonly trailer: grpc.Metadata | undefined;
}

/** One raw-bytes unary call, collecting the response headers and trailers. */
function unary(client: grpc.Client, method: string, request: Uint8Array, metadata = new grpc.Metadata()): Promise<UnaryResult> {
  return new Promise((resolve) => {
    let header: grpc.Metadata | undefined;
    let trailer: grpc.Metadata | undefined;
    let outcome: { error: grpc.ServiceError | null; value: Buffer | undefined } | undefined;
    const finish = (): void => {
      if (outcome !== undefined && trailer !== undefined) resolve({ ...outcome, header, trailer });
    };
    const call = client.makeUnaryRequest(
      method,
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => b,
      request,
      metadata,
      { deadline: Date.now() + 10_000 },
      (error, value) => {
        outcome = { error, value };
        finish();
      },
    );
    call.on("metadata", (md) => (header = md));
    call.on("status", (status) => {
      trailer = status.metadata;
      finish();
    });
  });
}

function heightOf(md: grpc.Metadata | undefined): number {
  const v = md?.get(HEIGHT_HEADER) ?? [];
  return v.length === 0 ? -1 : Number(v[0]!.toString());
}

interface ReflectionResponse {
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}

/** One request on a grpc.reflection.v1alpha ServerReflectionInfo stream; the first answer. */
async function reflect(address: string, request: object): Promise<ReflectionResponse> {
  const file = path.join(path.dirname(require.resolve("@grpc/reflection/package.json")), "build/proto/grpc/reflection/v1alpha/reflection.proto");
  const def = await protoLoader.load(file, { defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { grpc: { reflection: { v1alpha: { ServerReflection: grpc.ServiceClientConstructor } } } };
  const client = new pkg.grpc.reflection.v1alpha.ServerReflection(address, grpc.credentials.createInsecure());
  try {
    const stream = (client as unknown as { ServerReflectionInfo(): grpc.ClientDuplexStream<object, ReflectionResponse> }).ServerReflectionInfo();
    const answer = new Promise<ReflectionResponse>((resolve, reject) => {
      stream.once("data", resolve);
      stream.once("error", reject);
    });
    stream.write(request);
    const res = await answer;
    stream.end();
    return res;
  } finally {
    client.close();
  }
}

interface AbciQueryResult {
  response: { code: number; log: string; value: string | null; height: string; codespace: string };
}

/** A raw `abci_query` over CometBFT's JSON-RPC: the ABCI path of the same query. */
async function abciQuery(rpcUrl: string, queryPath: string, data: Uint8Array): Promise<{ code: number; log: string; value: Buffer; height: number }> {
  const r = await rpc<AbciQueryResult>(rpcUrl, "abci_query", { path: queryPath, data: Buffer.from(data).toString("hex"), height: "0", prove: false });
  return { code: r.response.code, log: r.response.log, value: Buffer.from(r.response.value ?? "", "base64"), height: Number(r.response.height) };
}

describe("gRPC queries on a running node", () => {
  let node: TestNode | undefined;
  const failures = { count: 0 };
  const logged = (fn: () => Promise<void>): (() => Promise<void>) => withNodeLogs(() => node, fn, failures);
  let funded: TestKey;
  let client: grpc.Client;
  let comet: CometClient;
  let queryClient: QueryClient & ReturnType<typeof setupBankExtension> & ReturnType<typeof setupAuthExtension>;

  beforeAll(async () => {
    funded = await testKey(201);
    node = await startTestNode({ index: 22, minHeight: 2, accounts: [{ address: funded.address, amount: FUNDED }] });
    client = new grpc.Client(node.h.grpcAddress, grpc.credentials.createInsecure());
    comet = await connectComet(node.h.rpcUrl);
    queryClient = QueryClient.withExtensions(comet, setupBankExtension, setupAuthExtension);
  }, 90_000);

  afterAll(async () => {
    client?.close();
    comet?.disconnect();
    await cleanupNode(node, failures.count > 0);
  });

  test("inferd start serves Prometheus metrics on app.toml's [telemetry] address", logged(async () => {
    // One refused CheckTx (bytes that are not a tx) so the refusal counter has a row.
    const refused = await rpc<{ code: number; codespace: string }>(node!.h.rpcUrl, "broadcast_tx_sync", { tx: Buffer.from("not a tx").toString("base64") });
    expect(refused.code).not.toBe(0);
    const text = await (await fetch(`http://127.0.0.1:${node!.h.ports.metrics}/metrics`)).text();
    const value = (line: string): number => Number(text.split("\n").find((l) => l.startsWith(`${line} `))?.slice(line.length + 1) ?? NaN);
    const status = await rpc<{ sync_info: { latest_block_height: string } }>(node!.h.rpcUrl, "status");
    expect(value("inferchain_block_height")).toBeGreaterThanOrEqual(2);
    expect(value("inferchain_block_height")).toBeLessThanOrEqual(Number(status.sync_info.latest_block_height) + 1);
    expect(value("inferchain_block_time_seconds")).toBeGreaterThan(1_600_000_000);
    expect(value("inferchain_finalize_block_duration_seconds_count")).toBeGreaterThanOrEqual(2);
    expect(value("inferchain_commit_duration_seconds_count")).toBeGreaterThanOrEqual(2);
    expect(value("inferchain_store_bytes")).toBeGreaterThan(0);
    expect(value(`inferchain_check_tx_total{result="refused",codespace="${refused.codespace}",code="${refused.code}"}`)).toBeGreaterThanOrEqual(1);
  }));

  test("Balance with cosmjs-types bytes: the funded amount, and x-cosmos-block-height > 0", logged(async () => {
    const res = await unary(client, BALANCE, QueryBalanceRequest.encode({ address: funded.address, denom: "uinf" }).finish());
    expect(res.error).toBeNull();
    expect(QueryBalanceResponse.decode(res.value!).balance).toEqual({ denom: "uinf", amount: FUNDED.toString() });
    const h = heightOf(res.header);
    expect(h).toBeGreaterThan(0);
    expect(heightOf(res.trailer)).toBe(h);
    const status = await rpc<{ sync_info: { latest_block_height: string } }>(node!.h.rpcUrl, "status");
    expect(h).toBeLessThanOrEqual(Number(status.sync_info.latest_block_height));

    // An address without coins has a zero balance, not an error.
    const empty = await unary(client, BALANCE, QueryBalanceRequest.encode({ address: (await testKey(202)).address, denom: "uinf" }).finish());
    expect(empty.error).toBeNull();
    expect(QueryBalanceResponse.decode(empty.value!).balance).toEqual({ denom: "uinf", amount: "0" });
  }));

  test("errors are gRPC statuses: unknown account NOT_FOUND, bad address INVALID_ARGUMENT, a past height refused", logged(async () => {
    const missing = await unary(client, ACCOUNT, QueryAccountRequest.encode({ address: (await testKey(203)).address }).finish());
    expect(missing.error?.code).toBe(grpc.status.NOT_FOUND);
    const bad = await unary(client, BALANCE, QueryBalanceRequest.encode({ address: "infer1notanaddress", denom: "uinf" }).finish());
    expect(bad.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    const md = new grpc.Metadata();
    md.set(HEIGHT_HEADER, "1");
    const old = await unary(client, BALANCE, QueryBalanceRequest.encode({ address: funded.address, denom: "uinf" }).finish(), md);
    expect(old.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(old.error?.details).toMatch(/only the latest height/);
  }));

  test("reflection lists the bank, auth and tx services and describes them", logged(async () => {
    const list = await reflect(node!.h.grpcAddress, { listServices: "*" });
    const names = list.listServicesResponse!.service.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(["cosmos.bank.v1beta1.Query", "cosmos.auth.v1beta1.Query", "cosmos.tx.v1beta1.Service"]));

    const files = await reflect(node!.h.grpcAddress, { fileContainingSymbol: "cosmos.bank.v1beta1.Query" });
    expect(files.errorResponse).toBeUndefined();
    const decoded = files.fileDescriptorResponse!.fileDescriptorProto.map((b) => FileDescriptorProto.decode(b));
    const methods = decoded.flatMap((f) => f.service.filter((s) => `${f.package}.${s.name}` === "cosmos.bank.v1beta1.Query").flatMap((s) => s.method.map((m) => m.name)));
    expect(methods).toEqual(expect.arrayContaining(["Balance", "AllBalances"]));
  }));

  test("the ABCI query path gives the same bytes as gRPC for the same request", logged(async () => {
    const requests: Array<[string, Uint8Array]> = [
      [BALANCE, QueryBalanceRequest.encode({ address: funded.address, denom: "uinf" }).finish()],
      [ALL_BALANCES, QueryAllBalancesRequest.encode({ address: funded.address, resolveDenom: false }).finish()],
      [ACCOUNT, QueryAccountRequest.encode({ address: funded.address }).finish()],
    ];
    for (const [method, data] of requests) {
      const viaGrpc = await unary(client, method, data);
      expect(viaGrpc.error).toBeNull();
      // Raw CometBFT RPC.
      const viaRpc = await abciQuery(node!.h.rpcUrl, method, data);
      expect(viaRpc.code).toBe(0);
      expect(viaRpc.height).toBeGreaterThan(0);
      expect(viaRpc.value.toString("hex")).toBe(viaGrpc.value!.toString("hex"));
      // CosmJS's QueryClient.
      const viaCosmjs = await queryClient.queryAbci(method, data);
      expect(viaCosmjs.height).toBeGreaterThan(0);
      expect(Buffer.from(viaCosmjs.value).toString("hex")).toBe(viaGrpc.value!.toString("hex"));
    }
    // And the decoded views agree.
    expect(await queryClient.bank.balance(funded.address, "uinf")).toEqual({ denom: "uinf", amount: FUNDED.toString() });
    expect(QueryAllBalancesResponse.decode((await unary(client, ALL_BALANCES, requests[1][1])).value!).balances).toEqual([{ denom: "uinf", amount: FUNDED.toString() }]);
    const acc = QueryAccountResponse.decode((await unary(client, ACCOUNT, requests[2][1])).value!).account!;
    expect(acc.typeUrl).toBe("/cosmos.auth.v1beta1.BaseAccount");
    expect(BaseAccount.decode(acc.value).address).toBe(funded.address);
    expect((await queryClient.auth.account(funded.address))?.typeUrl).toBe("/cosmos.auth.v1beta1.BaseAccount");

    // The same failure both ways: NOT_FOUND over gRPC is the Cosmos log over ABCI.
    const unknown = QueryAccountRequest.encode({ address: (await testKey(204)).address }).finish();
    const abciMissing = await abciQuery(node!.h.rpcUrl, ACCOUNT, unknown);
    expect(abciMissing.code).not.toBe(0);
    expect(abciMissing.log).toMatch(/rpc error: code = NotFound/);
  }));

  test("Simulate of a signed MsgSend over gRPC and ABCI: same gas, nothing committed", logged(async () => {
    const chainId = node!.h.chainId;
    const acc = BaseAccount.decode(QueryAccountResponse.decode((await unary(client, ACCOUNT, QueryAccountRequest.encode({ address: funded.address }).finish())).value!).account!.value);
    const txBytes = await signTx(funded, [msgSendAny(funded.address, (await testKey(205)).address, 1000n)], { chainId, accountNumber: acc.accountNumber, sequence: acc.sequence });
    const data = SimulateRequest.encode(SimulateRequest.fromPartial({ txBytes })).finish();
    const viaGrpc = await unary(client, SIMULATE, data);
    expect(viaGrpc.error).toBeNull();
    const sim = SimulateResponse.decode(viaGrpc.value!);
    expect(sim.gasInfo!.gasUsed).toBeGreaterThan(0n);
    expect(sim.result!.events.some((e) => e.type === "transfer")).toBe(true);
    const viaRpc = await abciQuery(node!.h.rpcUrl, SIMULATE, data);
    expect(viaRpc.code).toBe(0);
    expect(SimulateResponse.decode(viaRpc.value).gasInfo!.gasUsed).toBe(sim.gasInfo!.gasUsed);
    // Simulation writes nothing.
    expect(await queryClient.bank.balance(funded.address, "uinf")).toEqual({ denom: "uinf", amount: FUNDED.toString() });
  }));
});
