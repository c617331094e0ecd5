// Test helper (commitStore.test.ts): commits the deterministic workload block after block,
// with aggressive pruning, printing "<height> <app hash hex>" after each commit, until it is
// SIGKILLed. Runs the TypeScript sources through swc, as jest does.
const path = require("node:path");
const swc = require("@swc/core");
require.extensions[".ts"] = (module, filename) => {
  const { code } = swc.transformFileSync(filename, { jsc: { target: "es2022", parser: { syntax: "typescript" } }, module: { type: "commonjs" } });
  module._compile(code, filename);
};
const { CommitStore } = require(path.join(__dirname, "..", "commitStore.ts"));
const { pruningOptions } = require(path.join(__dirname, "..", "pruning.ts"));
const { blockWrites } = require(path.join(__dirname, "workload.ts"));

(async () => {
  const store = await CommitStore.open(process.argv[2], { pruning: pruningOptions("custom", 3, 2) });
  for (let h = Number(store.lastCommitInfo.height) + 1; ; h++) {
    await store.stage(BigInt(h), blockWrites(h));
    const c = await store.commit();
    process.stdout.write(`${c.height} ${Buffer.from(c.appHash).toString("hex")}\n`);
  }
})();
