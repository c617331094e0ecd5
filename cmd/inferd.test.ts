/**
 * Issue 12 (CLI start-up): defining the CLI, which is all that `inferd --help`, `--version` and
 * `status` need, loads none of the heavy modules; each command loads them when it runs
 * (`npm run bench:cli` has the figures). A static import of any of these from a command module
 * makes `buildCli()` throw here.
 */
const HEAVY = [
  "@cosmjs/stargate",
  "@cosmjs/tendermint-rpc",
  "@cosmjs/proto-signing",
  "@cosmjs/amino",
  "@cosmjs/crypto",
  "@noble/curves/secp256k1.js",
  "onnxruntime-node",
  "pino",
  "prom-client",
  "@grpc/grpc-js",
  "classic-level",
  "../client/keyring",
  "../client/queries",
  "../client/registry",
  "../client/results",
  "../server/node",
  "../server/home",
  "../sidecar",
  "../sidecar/faults",
  "../app/app",
];

test("buildCli() defines every command without loading CosmJS, the keyring, the node, the sidecar or onnxruntime", () => {
  for (const m of HEAVY) {
    jest.doMock(m, () => {
      throw new Error(`${m} loaded while defining the CLI`);
    });
  }
  // inferd.ts reads the version from dist/'s layout (../../package.json), which is not there from the sources.
  jest.doMock("../../package.json", () => ({ version: "0.0.0-test" }), { virtual: true });
  jest.isolateModules(() => {
    const { buildCli } = require("./inferd") as typeof import("./inferd");
    const program = buildCli();
    expect(program.commands.map((c) => c.name())).toEqual(["init", "start", "keys", "genesis", "localnet", "tx", "query", "infer", "sidecar", "params", "status"]);
    expect(program.helpInformation()).toContain("sidecar [options]");
    expect(program.version()).toBe("0.0.0-test");
  });
});
