/**
 * Where the .proto files named by modules (`AppModule.protoFiles`) resolve: the chain's own
 * `proto/` folder and the Cosmos, gogoproto, cosmos_proto, amino, google and tendermint ones
 * shipped in the @protobufs packages. Used for gRPC reflection and by tests that load a module's
 * protos; it only resolves folders.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The @protobufs packages are each named after their import prefix ("cosmos/...", "gogoproto/..."), so their parent folder is the include root. */
const PROTOBUF_PACKAGES = ["cosmos", "cosmos_proto", "gogoproto", "google", "amino", "tendermint"] as const;

/** Include dirs under which the Cosmos SDK, gogoproto, cosmos_proto, amino, google and tendermint .proto files resolve. */
export function cosmosProtoIncludeDirs(): string[] {
  const dirs = PROTOBUF_PACKAGES.map((name) =>
    path.dirname(path.dirname(require.resolve(`@protobufs/${name}/package.json`))),
  );
  return [...new Set(dirs)];
}

/** The chain's own `proto/` folder at the repository root, found from both the sources and `dist/`; undefined when absent. */
export function chainProtoIncludeDir(): string | undefined {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) {
      const proto = path.join(dir, "proto");
      return fs.existsSync(proto) ? proto : undefined;
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** All include dirs: the chain's own protos first, then the Cosmos ones. */
export function protoIncludeDirs(): string[] {
  const chain = chainProtoIncludeDir();
  return chain === undefined ? cosmosProtoIncludeDirs() : [chain, ...cosmosProtoIncludeDirs()];
}
