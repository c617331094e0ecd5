/**
 * gRPC query server. Every chain query has one handler from request bytes to
 * response bytes (the same one ABCI `Query` uses, keyed by gRPC method path),
 * so this server only moves bytes: it never decodes a message. The .proto
 * files are loaded for server reflection alone, so `grpcurl list/describe`
 * and clients that discover the schema work.
 */
import { createRequire } from "node:module";

import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";

import { protoIncludeDirs } from "../base/protoIncludes";
import { QueryError } from "../base/query";

/** Cosmos convention: request header selecting the query height, and response header carrying the height answered. */
export const BLOCK_HEIGHT_METADATA = "x-cosmos-block-height";

export interface QueryRouter {
  /** Full method paths served, e.g. "/cosmos.bank.v1beta1.Query/Balance". */
  paths(): readonly string[];
  /** Runs one query at the latest committed height (or `height` when > 0). Resolves with the response bytes and the height answered, or rejects with a QueryError (base/query.ts: `grpcCode` is a gRPC status, passed on as-is). */
  query(path: string, data: Uint8Array, height: bigint): Promise<{ value: Uint8Array; height: bigint }>;
}

export interface GrpcLogger {
  info(o: object, msg?: string): void;
  error(o: object, msg?: string): void;
}

export interface GrpcServerOptions {
  /** host:port to bind, e.g. "127.0.0.1:9090"; port 0 picks a free one. */
  readonly address: string;
  readonly router: QueryRouter;
  /** .proto files for reflection, relative to the include dirs, e.g. "cosmos/bank/v1beta1/query.proto". */
  readonly protoFiles: readonly string[];
  readonly logger?: GrpcLogger;
}

export interface GrpcServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the gRPC query server with reflection; resolves once bound. */
export async function startGrpcServer(opts: GrpcServerOptions): Promise<GrpcServer> {
  const services = groupByService(opts.router.paths());
  const descriptors = await loadDescriptors(opts.protoFiles, opts.logger);
  const missing = [...services.keys()].filter((s) => descriptors[s] === undefined);
  if (missing.length > 0) {
    opts.logger?.error({ services: missing }, "grpc services served without a .proto descriptor: reflection cannot describe them");
  }

  const server = new grpc.Server();
  for (const [service, methods] of services) {
    server.addService(passThroughService(service, methods), handlers(service, methods, opts.router, opts.logger));
  }
  new ReflectionService(descriptors, { services: [...services.keys()] }).addToServer(server);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(opts.address, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    );
  }).catch((err: unknown) => {
    server.forceShutdown();
    throw err;
  });
  opts.logger?.info({ address: opts.address, port, services: [...services.keys()] }, "grpc server listening");
  return { port, close: () => shutdown(server) };
}

/** "/pkg.Service/Method" → service "pkg.Service" → method names. */
function groupByService(paths: readonly string[]): Map<string, string[]> {
  const services = new Map<string, string[]>();
  for (const p of paths) {
    const m = /^\/([A-Za-z_][\w.]*)\/([A-Za-z_]\w*)$/.exec(p);
    if (m === null) throw new Error(`invalid gRPC method path ${JSON.stringify(p)}`);
    const [, service, method] = m as unknown as [string, string, string];
    const methods = services.get(service) ?? [];
    if (methods.includes(method)) throw new Error(`duplicate gRPC method path ${p}`);
    methods.push(method);
    services.set(service, methods);
  }
  return services;
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function passThroughService(service: string, methods: readonly string[]): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<Buffer, Uint8Array>> = {};
  for (const method of methods) {
    def[method] = {
      path: `/${service}/${method}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: toBuffer,
      requestDeserialize: (b: Buffer): Buffer => b,
      responseSerialize: toBuffer,
      responseDeserialize: (b: Buffer): Buffer => b,
    };
  }
  return def;
}

function handlers(
  service: string,
  methods: readonly string[],
  router: QueryRouter,
  logger: GrpcLogger | undefined,
): grpc.UntypedServiceImplementation {
  const impl: grpc.UntypedServiceImplementation = {};
  for (const method of methods) {
    const methodPath = `/${service}/${method}`;
    const handler: grpc.handleUnaryCall<Buffer, Uint8Array> = (call, callback) => {
      void (async (): Promise<void> => {
        try {
          const res = await router.query(methodPath, call.request, requestedHeight(call.metadata));
          // Cosmos sends the height as a response header; trailers repeat it for clients that read only those.
          const md = new grpc.Metadata();
          md.set(BLOCK_HEIGHT_METADATA, res.height.toString());
          call.sendMetadata(md);
          callback(null, res.value, md.clone());
        } catch (e) {
          callback(toStatus(e, methodPath, logger));
        }
      })();
    };
    impl[method] = handler;
  }
  return impl;
}

/** Height from the request's `x-cosmos-block-height`; 0 (latest) when absent. */
function requestedHeight(md: grpc.Metadata): bigint {
  const values = md.get(BLOCK_HEIGHT_METADATA);
  if (values.length === 0) return 0n;
  const raw = values[0]!.toString().trim();
  if (!/^\d+$/.test(raw)) {
    throw new QueryError(grpc.status.INVALID_ARGUMENT, `invalid ${BLOCK_HEIGHT_METADATA} header ${JSON.stringify(raw)}`);
  }
  return BigInt(raw);
}

function toStatus(e: unknown, methodPath: string, logger: GrpcLogger | undefined): grpc.ServerErrorResponse {
  const validCode = (c: number): boolean => Number.isInteger(c) && c > grpc.status.OK && c <= grpc.status.UNAUTHENTICATED;
  if (e instanceof QueryError && validCode(e.grpcCode)) {
    return Object.assign(new Error(e.message), { code: e.grpcCode, details: e.message });
  }
  logger?.error({ err: e, path: methodPath }, "grpc query failed unexpectedly");
  const message = e instanceof Error ? e.message : String(e);
  return Object.assign(new Error(message), { code: grpc.status.INTERNAL, details: message });
}

async function loadDescriptors(protoFiles: readonly string[], logger: GrpcLogger | undefined): Promise<protoLoader.PackageDefinition> {
  if (protoFiles.length === 0) return {};
  // keepCase: descriptors must carry the .proto field names, from which clients derive JSON names.
  const pkg = await protoLoader.load([...protoFiles], { includeDirs: protoIncludeDirs(), keepCase: true });
  const unresolved = linkDescriptors(pkg);
  if (unresolved.length > 0) logger?.error({ unresolved }, "grpc reflection: type references left unresolved");
  return pkg;
}

// --- Descriptor repair ---------------------------------------------------------
//
// proto-loader (protobufjs) merges each package into one synthetic file
// ("cosmos_bank_v1beta1.proto") whose type names are relative and which declares no
// imports. @grpc/reflection serves these as they are, and protoc-based clients
// (grpcurl, Go's protodesc) then fail: `"*.base.v1beta1.Coin" not found`. So before
// reflection sees them, each file gets absolute type names and the imports its
// references need, messages are repaired where protobufjs writes them unlike protoc
// (`repairMessage`), and the well-known types get their own files back.

/** The slice of google.protobuf.FileDescriptorProto (as protobufjs decodes it) that the repair touches. */
interface FileDescriptor {
  name: string;
  package: string;
  syntax: string;
  dependency: string[];
  messageType: MessageDescriptor[];
  enumType: NamedDescriptor[];
  service: ServiceDescriptor[];
  extension: FieldDescriptor[];
  options?: object;
}
interface NamedDescriptor {
  name: string;
}
interface MessageDescriptor {
  name: string;
  field: FieldDescriptor[];
  extension: FieldDescriptor[];
  nestedType: MessageDescriptor[];
  enumType: NamedDescriptor[];
  extensionRange: { start: number; end: number }[];
  reservedRange: { start: number; end: number }[];
  options?: { mapEntry?: boolean };
}
interface FieldDescriptor {
  name: string;
  typeName: string;
  extendee: string;
}
interface ServiceDescriptor {
  name: string;
  method: { inputType: string; outputType: string }[];
}
interface DescriptorCodec {
  create(properties: object): FileDescriptor;
  decode(bytes: Uint8Array): FileDescriptor;
  encode(message: FileDescriptor): { finish(): Uint8Array };
}

/**
 * The FileDescriptorProto codec of the protobufjs that proto-loader wrote the
 * descriptors with, so they round-trip exactly. (cosmjs-types' codec does not: it
 * drops proto2 fields equal to its defaults, e.g. `type: TYPE_DOUBLE`, `oneof_index: 0`.)
 */
function descriptorCodec(): DescriptorCodec {
  const fromProtoLoader = createRequire(require.resolve("@grpc/proto-loader"));
  return (fromProtoLoader("protobufjs/ext/descriptor") as { FileDescriptorProto: DescriptorCodec }).FileDescriptorProto;
}

/** Rewrites the package definition's file descriptors in place; returns the type references it could not resolve. */
function linkDescriptors(pkg: protoLoader.PackageDefinition): string[] {
  const codec = descriptorCodec();
  const lists = new Set<Buffer[]>();
  for (const def of Object.values(pkg)) {
    const fdps = (def as { fileDescriptorProtos?: unknown }).fileDescriptorProtos;
    if (Array.isArray(fdps)) lists.add(fdps as Buffer[]);
  }
  const unresolved: string[] = [];
  for (const list of lists) {
    const files = splitWellKnownTypes(
      list.map((b) => codec.decode(b)),
      codec,
    );
    for (const f of files) if (PROTO2_FILES.has(f.name)) f.syntax = "proto2";
    unresolved.push(...linkFiles(files));
    list.splice(0, list.length, ...files.map((f) => Buffer.from(codec.encode(f).finish())));
  }
  return [...new Set(unresolved)];
}

/** google.protobuf types outside descriptor.proto, by the file protoc knows them from. */
const WELL_KNOWN_TYPE_FILES: Readonly<Record<string, string>> = {
  Any: "any", Api: "api", Method: "api", Mixin: "api", Duration: "duration", Empty: "empty",
  FieldMask: "field_mask", SourceContext: "source_context", Struct: "struct", Value: "struct",
  ListValue: "struct", NullValue: "struct", Timestamp: "timestamp", Type: "type", Field: "type",
  Enum: "type", EnumValue: "type", Option: "type", Syntax: "type", DoubleValue: "wrappers",
  FloatValue: "wrappers", Int64Value: "wrappers", UInt64Value: "wrappers", Int32Value: "wrappers",
  UInt32Value: "wrappers", BoolValue: "wrappers", StringValue: "wrappers", BytesValue: "wrappers",
};

/** proto-loader writes every file as proto3; these (by their final names) are proto2, whose defaults and presence proto3 rejects. */
const PROTO2_FILES: ReadonlySet<string> = new Set(["google/protobuf/descriptor.proto", "gogoproto.proto"]);

/**
 * The merged google.protobuf file mixes proto3 well-known types with proto2
 * descriptor.proto, so a client building Any would have to build descriptor.proto
 * as proto3 and fail. Splitting it back into protoc's files ("google/protobuf/any.proto")
 * keeps each valid and matches the names clients already know.
 */
function splitWellKnownTypes(files: readonly FileDescriptor[], codec: DescriptorCodec): FileDescriptor[] {
  const out: FileDescriptor[] = [];
  const split = new Map<string, FileDescriptor>();
  const fileFor = (typeName: string, template: FileDescriptor): FileDescriptor => {
    const name = `google/protobuf/${WELL_KNOWN_TYPE_FILES[typeName] ?? "descriptor"}.proto`;
    let f = split.get(name);
    if (f === undefined) {
      f = codec.create({ name, package: template.package, syntax: template.syntax, messageType: [], enumType: [], service: [], extension: [] });
      if (template.options !== undefined) f.options = template.options;
      split.set(name, f);
      out.push(f);
    }
    return f;
  };
  for (const file of files) {
    if (file.package !== "google.protobuf") {
      out.push(file);
      continue;
    }
    for (const m of file.messageType) fileFor(m.name, file).messageType.push(m);
    for (const e of file.enumType) fileFor(e.name, file).enumType.push(e);
    for (const x of file.extension) fileFor("", file).extension.push(x);
    for (const s of file.service) fileFor("", file).service.push(s);
  }
  return out;
}

function linkFiles(files: readonly FileDescriptor[]): string[] {
  const symbols = new Map<string, string>(); // fully-qualified name (no leading dot) → file name
  const join = (scope: string, name: string): string => (scope === "" ? name : `${scope}.${name}`);
  const indexMessages = (scope: string, messages: readonly MessageDescriptor[], file: string): void => {
    for (const m of messages) {
      repairMessage(m);
      const fqn = join(scope, m.name);
      symbols.set(fqn, file);
      for (const e of m.enumType) symbols.set(join(fqn, e.name), file);
      indexMessages(fqn, m.nestedType, file);
    }
  };
  for (const f of files) {
    indexMessages(f.package, f.messageType, f.name);
    for (const e of f.enumType) symbols.set(join(f.package, e.name), f.name);
    for (const s of f.service) symbols.set(join(f.package, s.name), f.name);
  }

  /** protoc scoping: try the name in the innermost scope, then each enclosing one. */
  const resolve = (scope: string, name: string): string | undefined => {
    if (name.startsWith(".")) return symbols.has(name.slice(1)) ? name.slice(1) : undefined;
    for (let s = scope; ; s = s.includes(".") ? s.slice(0, s.lastIndexOf(".")) : "") {
      const candidate = join(s, name);
      if (symbols.has(candidate)) return candidate;
      if (s === "") return undefined;
    }
  };

  const unresolved: string[] = [];
  for (const f of files) {
    const deps = new Set<string>();
    /** Absolute name for a reference, noting its file as an import; undefined when empty or unknown. */
    const link = (scope: string, name: string | undefined): string | undefined => {
      if (name === undefined || name === "") return undefined;
      const fqn = resolve(scope, name);
      if (fqn === undefined) {
        unresolved.push(`${join(scope, name)} (${f.name})`);
        return undefined;
      }
      const owner = symbols.get(fqn)!;
      if (owner !== f.name) deps.add(owner);
      return `.${fqn}`;
    };
    // Assign only what resolved: protobufjs encodes any own property, so setting "" would add an empty field.
    const linkField = (scope: string, field: FieldDescriptor): void => {
      const typeName = link(scope, field.typeName);
      if (typeName !== undefined) field.typeName = typeName;
      const extendee = link(scope, field.extendee);
      if (extendee !== undefined) field.extendee = extendee;
    };
    const linkMessages = (scope: string, messages: readonly MessageDescriptor[]): void => {
      for (const m of messages) {
        const fqn = join(scope, m.name);
        for (const field of [...m.field, ...m.extension]) linkField(fqn, field);
        linkMessages(fqn, m.nestedType);
      }
    };
    linkMessages(f.package, f.messageType);
    for (const ext of f.extension) linkField(f.package, ext);
    for (const s of f.service) {
      const scope = join(f.package, s.name);
      for (const method of s.method) {
        method.inputType = link(scope, method.inputType) ?? method.inputType;
        method.outputType = link(scope, method.outputType) ?? method.outputType;
      }
    }
    f.dependency = [...deps].sort();
  }
  return unresolved;
}

/** Undoes protobufjs' departures from what protoc would write for one message. */
function repairMessage(m: MessageDescriptor): void {
  // Every extension is also copied into the message it extends, as a field named
  // after it (".gogoproto.nullable" inside FieldOptions): an invalid name, and it makes
  // google.protobuf import cosmos_proto, which imports google.protobuf. The extension
  // itself stays declared in its own file.
  m.field = m.field.filter((field) => !field.name.startsWith("."));
  // Extensions declared inside a message are written among its fields.
  m.extension = [...m.extension, ...m.field.filter((field) => field.extendee !== "")];
  m.field = m.field.filter((field) => field.extendee === "");
  // Ranges are written with protobufjs' inclusive end; descriptors use an exclusive one.
  for (const r of [...m.extensionRange, ...m.reservedRange]) r.end += 1;
  // A map field's entry message is named after the field ("Balances"); protoc requires "BalancesEntry".
  for (const field of m.field) {
    const entry = m.nestedType.find((n) => n.name === field.typeName && n.options?.mapEntry === true);
    if (entry === undefined) continue;
    const name = `${field.name.split("_").map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("")}Entry`;
    entry.name = name;
    field.typeName = name;
  }
}

/** Lets in-flight calls finish for a moment, then cuts the rest. */
function shutdown(server: grpc.Server, graceMs = 2000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.forceShutdown(), graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
