/**
 * Issue 8: one direction for every import (test/support/layering.ts has the rules). Runs them
 * over the tree, and over a small made-up tree holding one of each break, so a rule that stops
 * firing is caught too.
 */
import path from "node:path";
import { importCycles, importGraph, layeringBreaks, readTree } from "./support/layering";

const ROOT = path.resolve(__dirname, "..");

describe("import directions", () => {
  const files = readTree(ROOT);
  const edges = importGraph(files);

  test("the tree is read and its imports resolved", () => {
    expect(files.size).toBeGreaterThan(200);
    // Every relative import of a .ts file resolves (an unresolved one would hide an edge).
    expect(edges.length).toBeGreaterThan(1000);
    expect(edges.some((e) => e.from === "app/app.ts" && e.to === "x/staking/index.ts")).toBe(true);
    expect(edges.some((e) => e.from === "base/baseapp.ts" && e.typeOnly)).toBe(true);
  });

  test("no layer imports what it may not, and modules meet only through expectedKeepers", () => {
    expect(layeringBreaks(edges)).toEqual([]);
  });

  test("no import cycles", () => {
    expect(importCycles(edges)).toEqual([]);
  });
});

describe("the rules fire", () => {
  const tree = new Map<string, string>([
    ["base/baseapp.ts", `import { bankModule } from "../x/bank";\nimport type { Ctx } from "./context";\n`],
    ["base/context.ts", `import { BaseApp } from "./baseapp";\nexport interface Ctx { a: number }\n`],
    ["x/bank/index.ts", `export { BankKeeper } from "./keeper";\nexport type { Coin } from "./types";\nexport const bankModule = 1;\n`],
    ["x/bank/keeper.ts", `export class BankKeeper {}\n`],
    ["x/bank/types.ts", `export interface Coin { denom: string }\n`],
    ["x/bank/keeper.test.ts", `import { createApp } from "../../app/app";\nimport { chain } from "../../test/support/chain";\nimport { grpc } from "../../server/grpc";\n`],
    ["x/staking/keeper.ts", `import { bankModule } from "../bank";\nimport type { Coin } from "../bank/types";\nimport type { BankKeeper } from "../bank";\nimport { type Coin as C2 } from "../bank/types";\n`],
    ["x/staking/testutil.ts", `import { BankKeeper } from "../bank/keeper";\n`],
    ["x/staking/expectedKeepers.ts", `import type { Ctx } from "../../base/context";\n`],
    ["app/app.ts", `import { BankKeeper } from "../x/bank";\nexport function createApp(): void {}\n`],
    ["client/queries.ts", `import { startNode } from "../server/node";\nimport type { Coin } from "../x/bank/types";\n`],
    ["lib/tensors.ts", `const m = require("../cmd/common");\n`],
    ["sidecar/sidecar.ts", `import { q } from "../client/queries";\nconst s = import("../server/node");\n`],
    ["server/node.ts", `export { run } from "../sidecar/sidecar";\n`],
    ["server/grpc.ts", `export const grpc = 1;\n`],
    ["cmd/common.ts", `import { q } from "../client/queries";\n`],
    ["test/support/chain.ts", `jest.mock("../../cmd/common");\nexport const chain = 1;\n`],
    ["gen/x.ts", `import "../base/context";\n`],
  ]);
  const edges = importGraph(tree);

  test("each kind of break is reported once, and what is allowed is not", () => {
    expect(layeringBreaks(edges)).toEqual(
      [
        "base/baseapp.ts -> x/bank/index.ts: base/ may not import x/",
        "client/queries.ts -> server/node.ts: client/ may not import server/",
        "gen/x.ts -> base/context.ts: gen/ may not import base/",
        "lib/tensors.ts -> cmd/common.ts: lib/ may not import cmd/",
        "server/node.ts -> sidecar/sidecar.ts: server/ may not import sidecar/",
        "sidecar/sidecar.ts -> server/node.ts: sidecar/ may not import server/",
        "test/support/chain.ts -> cmd/common.ts: test/ may not import cmd/",
        "x/bank/keeper.test.ts -> server/grpc.ts: x/ may not import server/",
        "x/staking/keeper.ts -> x/bank/index.ts: x/staking imports code from x/bank (reach it through x/staking/expectedKeepers.ts)",
        "x/staking/keeper.ts -> x/bank/index.ts: x/staking names x/bank's keeper (declare what it needs in x/staking/expectedKeepers.ts)",
      ].sort(),
    );
  });

  test("type-only imports are told apart, in both spellings", () => {
    const fromStaking = edges.filter((e) => e.from === "x/staking/keeper.ts").map((e) => [e.to, e.typeOnly]);
    expect(fromStaking).toEqual([
      ["x/bank/index.ts", false],
      ["x/bank/types.ts", true],
      ["x/bank/index.ts", true],
      ["x/bank/types.ts", true],
    ]);
  });

  test("a cycle is found, type-only edges included", () => {
    expect(importCycles(edges)).toEqual([
      ["base/baseapp.ts", "base/context.ts"],
      ["client/queries.ts", "server/node.ts", "sidecar/sidecar.ts"],
    ]);
  });
});
