import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { QueryAccountRequest } from "cosmjs-types/cosmos/auth/v1beta1/query";
import { QueryBalanceRequest, QueryBalanceResponse } from "cosmjs-types/cosmos/bank/v1beta1/query";
import { DescriptorProto, FileDescriptorProto } from "cosmjs-types/google/protobuf/descriptor";

import { cosmosProtoIncludeDirs } from "../base/protoIncludes";
import { QueryError } from "../base/query";
import { BLOCK_HEIGHT_METADATA, GrpcServer, QueryRouter, startGrpcServer } from "./grpc";

const BALANCE = "/cosmos.bank.v1beta1.Query/Balance";
const PARAMS = "/cosmos.bank.v1beta1.Query/Params";
const ACCOUNT = "/cosmos.auth.v1beta1.Query/Account";
const LATEST_HEIGHT = 100n;

/** A router that really decodes and encodes, like the chain's handlers: the balance is derived from the request. */
class FakeRouter implements QueryRouter {
  readonly calls: { path: string; data: Uint8Array; height: bigint }[] = [];

  paths(): readonly string[] {
    return [BALANCE, PARAMS, ACCOUNT];
  }

  async query(path: string, data: Uint8Array, height: bigint): Promise<{ value: Uint8Array; height: bigint }> {
    this.calls.push({ path, data, height });
    const answered = height > 0n ? height : LATEST_HEIGHT;
    switch (path) {
      case BALANCE: {
        const req = QueryBalanceRequest.decode(data);
        const amount = (BigInt(req.address.length) * 1000n + answered).toString();
        return { value: QueryBalanceResponse.encode({ balance: { denom: req.denom, amount } }).finish(), height: answered };
      }
      case ACCOUNT: {
        const req = QueryAccountRequest.decode(data);
        throw new QueryError(grpc.status.NOT_FOUND, `account ${req.address} not found`);
      }
      default:
        throw new Error("store exploded");
    }
  }
}

interface UnaryResult {
  readonly error: grpc.ServiceError | null;
  readonly value: Buffer | undefined;
  readonly header: grpc.Metadata | undefined;
  readonly trailer: grpc.Metadata | undefined;
}

/** One raw-bytes unary call, collecting response headers and trailers. */
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

function balanceRequest(address: string, denom: string): Uint8Array {
  return QueryBalanceRequest.encode({ address, denom }).finish();
}

interface ReflectionResponse {
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}

/** Sends one request on a ServerReflectionInfo stream (v1 or v1alpha) and returns the first answer. */
async function reflect(address: string, version: "v1" | "v1alpha", request: object): Promise<ReflectionResponse> {
  const file = path.join(path.dirname(require.resolve("@grpc/reflection/package.json")), "build/proto/grpc/reflection", version, "reflection.proto");
  const def = await protoLoader.load(file, { defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    grpc: { reflection: Record<string, { ServerReflection: grpc.ServiceClientConstructor }> };
  };
  const client = new pkg.grpc.reflection[version]!.ServerReflection(address, grpc.credentials.createInsecure());
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

/**
 * Checks what a protoc-based client (grpcurl, Go's protodesc) needs: every import can
 * be had (fetched by file name when the answer left it out, as those clients do) and
 * every type reference resolves in its file or one that file imports.
 */
async function expectSelfContained(address: string, answer: readonly FileDescriptorProto[]): Promise<Map<string, FileDescriptorProto>> {
  const files = new Map(answer.map((f) => [f.name, f]));
  for (let missing = [...files.values()].flatMap((f) => f.dependency).filter((d) => !files.has(d)); missing.length > 0; ) {
    for (const name of missing) {
      const res = await reflect(address, "v1alpha", { fileByFilename: name });
      if (res.errorResponse !== undefined) throw new Error(`import ${name} cannot be had: ${res.errorResponse.errorMessage}`);
      for (const b of res.fileDescriptorResponse!.fileDescriptorProto) {
        const f = FileDescriptorProto.decode(b);
        if (!files.has(f.name)) files.set(f.name, f);
      }
    }
    missing = [...files.values()].flatMap((f) => f.dependency).filter((d) => !files.has(d));
  }

  const defined = new Map<string, Set<string>>(); // file → fully-qualified names, with leading dot
  const collect = (scope: string, messages: readonly DescriptorProto[], into: Set<string>): void => {
    for (const m of messages) {
      const fqn = `${scope}.${m.name}`;
      into.add(fqn);
      for (const e of m.enumType) into.add(`${fqn}.${e.name}`);
      collect(fqn, m.nestedType, into);
    }
  };
  for (const f of files.values()) {
    const names = new Set<string>();
    const scope = f.package === "" ? "" : `.${f.package}`;
    collect(scope, f.messageType, names);
    for (const e of f.enumType) names.add(`${scope}.${e.name}`);
    defined.set(f.name, names);
  }
  for (const f of files.values()) {
    const visible = new Set([f.name, ...f.dependency].flatMap((n) => [...defined.get(n)!]));
    const refs: string[] = [];
    const walk = (messages: readonly DescriptorProto[]): void => {
      for (const m of messages) {
        for (const field of [...m.field, ...m.extension]) refs.push(field.typeName, field.extendee);
        walk(m.nestedType);
      }
    };
    walk(f.messageType);
    for (const ext of f.extension) refs.push(ext.typeName, ext.extendee);
    for (const s of f.service) for (const method of s.method) refs.push(method.inputType, method.outputType);
    for (const ref of refs.filter((r) => r !== "")) {
      if (!visible.has(ref)) throw new Error(`${f.name}: ${ref} is not defined in the file or its imports ${JSON.stringify(f.dependency)}`);
    }
    const badNames = f.messageType.flatMap((m) => m.field.map((field) => field.name)).filter((n) => !/^[A-Za-z_]\w*$/.test(n));
    expect(badNames).toEqual([]);
  }

  // Imports must not form a cycle.
  const done = new Set<string>();
  const visit = (name: string, trail: readonly string[]): void => {
    if (trail.includes(name)) throw new Error(`import cycle ${[...trail, name].join(" -> ")}`);
    if (done.has(name)) return;
    for (const dep of files.get(name)!.dependency) visit(dep, [...trail, name]);
    done.add(name);
  };
  for (const name of files.keys()) visit(name, []);
  return files;
}

async function fileContainingSymbol(address: string, symbol: string): Promise<FileDescriptorProto[]> {
  const res = await reflect(address, "v1alpha", { fileContainingSymbol: symbol });
  expect(res.errorResponse).toBeUndefined();
  return res.fileDescriptorResponse!.fileDescriptorProto.map((b) => FileDescriptorProto.decode(b));
}

describe("startGrpcServer", () => {
  const router = new FakeRouter();
  const errors: { o: object; msg?: string }[] = [];
  let server: GrpcServer;
  let address: string;
  let client: grpc.Client;

  beforeAll(async () => {
    server = await startGrpcServer({
      address: "127.0.0.1:0",
      router,
      // tx.proto declares cosmos.bank.v1beta1.Msg, which is loaded but not served
      protoFiles: ["cosmos/bank/v1beta1/query.proto", "cosmos/bank/v1beta1/tx.proto", "cosmos/auth/v1beta1/query.proto"],
      logger: { info: () => undefined, error: (o, msg) => errors.push({ o, msg }) },
    });
    address = `127.0.0.1:${server.port}`;
    client = new grpc.Client(address, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client.close();
    await server.close();
  });

  beforeEach(() => {
    router.calls.length = 0;
    errors.length = 0;
  });

  it("binds an ephemeral port", () => {
    expect(server.port).toBeGreaterThan(0);
  });

  it("passes request bytes through and answers at the latest height", async () => {
    const request = balanceRequest("cosmos1alice", "uinfer");
    const res = await unary(client, BALANCE, request);

    expect(res.error).toBeNull();
    expect(router.calls).toEqual([{ path: BALANCE, data: expect.any(Uint8Array), height: 0n }]);
    expect(Buffer.from(router.calls[0]!.data)).toEqual(Buffer.from(request));
    expect(QueryBalanceResponse.decode(res.value!).balance).toEqual({ denom: "uinfer", amount: "12100" });
    expect(res.header!.get(BLOCK_HEIGHT_METADATA)).toEqual(["100"]);
    expect(res.trailer!.get(BLOCK_HEIGHT_METADATA)).toEqual(["100"]);
  });

  it("answers at the height asked for in x-cosmos-block-height", async () => {
    const md = new grpc.Metadata();
    md.set(BLOCK_HEIGHT_METADATA, "7");
    const res = await unary(client, BALANCE, balanceRequest("cosmos1bob", "uinfer"), md);

    expect(res.error).toBeNull();
    expect(router.calls.map((c) => c.height)).toEqual([7n]);
    expect(QueryBalanceResponse.decode(res.value!).balance?.amount).toBe("10007");
    expect(res.header!.get(BLOCK_HEIGHT_METADATA)).toEqual(["7"]);
  });

  it("rejects a malformed height without querying", async () => {
    const md = new grpc.Metadata();
    md.set(BLOCK_HEIGHT_METADATA, "-3");
    const res = await unary(client, BALANCE, balanceRequest("cosmos1bob", "uinfer"), md);

    expect(res.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(router.calls).toHaveLength(0);
  });

  it("turns a QueryError into its status and message", async () => {
    const res = await unary(client, ACCOUNT, QueryAccountRequest.encode({ address: "cosmos1ghost" }).finish());

    expect(res.error?.code).toBe(grpc.status.NOT_FOUND);
    expect(res.error?.details).toBe("account cosmos1ghost not found");
    expect(errors).toHaveLength(0);
  });

  it("turns any other failure into INTERNAL and logs it", async () => {
    const res = await unary(client, PARAMS, new Uint8Array());

    expect(res.error?.code).toBe(grpc.status.INTERNAL);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.o).toMatchObject({ path: PARAMS });
  });

  it("answers UNIMPLEMENTED for a method the router does not serve", async () => {
    const res = await unary(client, "/cosmos.bank.v1beta1.Query/TotalSupply", new Uint8Array());

    expect(res.error?.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(router.calls).toHaveLength(0);
  });

  describe("reflection", () => {
    it.each(["v1", "v1alpha"] as const)("lists exactly the served services (%s)", async (version) => {
      const res = await reflect(address, version, { listServices: "*" });
      const names = res.listServicesResponse!.service.map((s) => s.name).sort();
      expect(names).toEqual(["cosmos.auth.v1beta1.Query", "cosmos.bank.v1beta1.Query"]);
    });

    it("returns the file declaring cosmos.bank.v1beta1.Query with everything it imports", async () => {
      const files = await fileContainingSymbol(address, "cosmos.bank.v1beta1.Query");

      const query = files[0]!.service.find((s) => s.name === "Query");
      const balance = query?.method.find((m) => m.name === "Balance");
      expect(balance).toMatchObject({
        inputType: ".cosmos.bank.v1beta1.QueryBalanceRequest",
        outputType: ".cosmos.bank.v1beta1.QueryBalanceResponse",
      });
      const response = files[0]!.messageType.find((m) => m.name === "QueryBalanceResponse");
      expect(response?.field).toEqual([expect.objectContaining({ name: "balance", typeName: ".cosmos.base.v1beta1.Coin" })]);
      await expectSelfContained(address, files);
    });

    it("serves well-known types under protoc's file names", async () => {
      const files = await fileContainingSymbol(address, "cosmos.auth.v1beta1.Query");

      expect(files.map((f) => f.name)).toContain("google/protobuf/any.proto");
      expect(files.map((f) => f.name)).not.toContain("google/protobuf/descriptor.proto");
      await expectSelfContained(address, files);
    });

    it("answers NOT_FOUND for an unknown symbol", async () => {
      const res = await reflect(address, "v1alpha", { fileContainingSymbol: "cosmos.nope.Query" });
      expect(res.errorResponse?.errorCode).toBe(grpc.status.NOT_FOUND);
    });
  });
});

describe("reflection descriptors for the chain's own protos", () => {
  let dir: string;
  let server: GrpcServer;
  let address: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "grpc-test-"));
    const file = path.join(dir, "jobs.proto");
    fs.writeFileSync(
      file,
      `syntax = "proto3";
package inferchain.test.v1;
import "cosmos/base/v1beta1/coin.proto";
import "google/protobuf/descriptor.proto";
import "gogoproto/gogo.proto";

message Job {
  uint64 id = 1;
  map<string, cosmos.base.v1beta1.Coin> price_by_model = 2 [(gogoproto.nullable) = false];
  reserved 10 to 12;
  extend google.protobuf.MessageOptions { string job_tag = 70001; }
}
message QueryJobRequest { uint64 id = 1; }
message QueryJobResponse { Job job = 1; }
service Query { rpc Job(QueryJobRequest) returns (QueryJobResponse); }
`,
    );
    const router: QueryRouter = {
      paths: () => ["/inferchain.test.v1.Query/Job"],
      query: () => Promise.reject(new QueryError(grpc.status.UNIMPLEMENTED, "not here")),
    };
    server = await startGrpcServer({ address: "127.0.0.1:0", router, protoFiles: [file] });
    address = `127.0.0.1:${server.port}`;
  });

  afterAll(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("are what protoc would write", async () => {
    const files = await fileContainingSymbol(address, "inferchain.test.v1.Query");
    const job = files[0]!.messageType.find((m) => m.name === "Job")!;

    // map entries are named <Field>Entry
    expect(job.field.find((f) => f.name === "price_by_model")?.typeName).toBe(".inferchain.test.v1.Job.PriceByModelEntry");
    expect(job.nestedType.map((n) => n.name)).toEqual(["PriceByModelEntry"]);
    // nested extensions are extensions, not fields
    expect(job.field.map((f) => f.name)).toEqual(["id", "price_by_model"]);
    expect(job.extension).toEqual([expect.objectContaining({ name: "job_tag", extendee: ".google.protobuf.MessageOptions" })]);
    // reserved ranges have an exclusive end
    expect(job.reservedRange).toEqual([{ start: 10, end: 13 }]);
    const all = await expectSelfContained(address, files);
    // descriptor.proto, imported for the extension, keeps its proto2 syntax
    expect(all.get("google/protobuf/descriptor.proto")?.syntax).toBe("proto2");
    expect(files[0]!.syntax).toBe("proto3");
  });
});

describe("cosmosProtoIncludeDirs", () => {
  it("resolves every import prefix the Cosmos protos use", () => {
    const dirs = cosmosProtoIncludeDirs();
    for (const file of [
      "cosmos/bank/v1beta1/query.proto",
      "gogoproto/gogo.proto",
      "cosmos_proto/cosmos.proto",
      "amino/amino.proto",
      "google/protobuf/any.proto",
      "google/api/annotations.proto",
      "tendermint/types/types.proto",
    ]) {
      expect(dirs.some((d) => fs.existsSync(path.join(d, file)))).toBe(true);
    }
  });
});

describe("startGrpcServer arguments", () => {
  it("rejects a malformed method path", async () => {
    const router: QueryRouter = { paths: () => ["cosmos.bank.v1beta1.Query.Balance"], query: () => Promise.reject(new Error("unused")) };
    await expect(startGrpcServer({ address: "127.0.0.1:0", router, protoFiles: [] })).rejects.toThrow(/invalid gRPC method path/);
  });

  it("reports services it serves without a descriptor", async () => {
    const router: QueryRouter = { paths: () => ["/inferchain.nope.v1.Query/Thing"], query: () => Promise.reject(new Error("unused")) };
    const errors: object[] = [];
    const server = await startGrpcServer({
      address: "127.0.0.1:0",
      router,
      protoFiles: ["cosmos/bank/v1beta1/query.proto"],
      logger: { info: () => undefined, error: (o) => errors.push(o) },
    });
    await server.close();
    expect(errors).toEqual([{ services: ["inferchain.nope.v1.Query"] }]);
  });
});
