/**
 * The import graph of the source tree and the rules it must follow (issue 8, README "Layout"):
 *
 *   base/     imports no module and nothing above it
 *   x/<m>/    base/ and gen/ only; another module only as `import type` of plain types (never a
 *             *Keeper, never a function or constant): modules meet through expectedKeepers.ts
 *   app/      base/ and x/ (the wiring)
 *   lib/      base/, x/ (plain types, the tensor codec), gen/
 *   client/   no app/, sidecar/, server/ or cmd/
 *   sidecar/  no app/, server/ or cmd/
 *   server/   no sidecar/ or cmd/
 *   cmd/      anything; nothing outside cmd/ imports cmd/
 *
 * Tests (*.test.ts) follow their folder's rules but may also use app/ (the real app) and
 * test/support/; tests and testutil.ts may reach into other modules (fakes over real keepers).
 * No import cycles among non-test files, counting type-only imports.
 * Parsed with the TypeScript compiler, so `import type`, `export … from`, `import()`,
 * `require()` and `jest.mock()` are all seen.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";

export interface ImportEdge {
  readonly from: string;
  readonly to: string;
  /** `import type …`, or every imported name marked `type`: no runtime edge. */
  readonly typeOnly: boolean;
  /** Names imported (empty for `import * as`, side-effect imports and `require`). */
  readonly names: readonly string[];
}

const SOURCE_DIRS = ["base", "x", "app", "lib", "client", "sidecar", "server", "cmd", "gen", "test", "bench"];

/** Every .ts file of the tree below `root` (repository-relative, `/`-separated), with its text. */
export function readTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.set(p, fs.readFileSync(path.join(root, p), "utf8"));
    }
  };
  for (const d of SOURCE_DIRS) if (fs.existsSync(path.join(root, d))) walk(d);
  return out;
}

function resolve(from: string, spec: string, files: ReadonlyMap<string, string>): string | undefined {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  for (const c of [base, `${base}.ts`, `${base}/index.ts`]) if (files.has(c)) return c;
  return undefined;
}

/** The relative imports of every file, resolved to files of the tree. */
export function importGraph(files: ReadonlyMap<string, string>): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const [file, text] of files) {
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
    const add = (spec: string, typeOnly: boolean, names: readonly string[]): void => {
      if (!spec.startsWith(".")) return;
      const to = resolve(file, spec, files);
      if (to) edges.push({ from: file, to, typeOnly, names });
    };
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        const clause = node.importClause;
        const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
        const names = [...(clause?.name ? [clause.name.text] : []), ...(named ?? []).map((e) => (e.propertyName ?? e.name).text)];
        const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
        add(node.moduleSpecifier.text, typeOnly, names);
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
        const names = (named ?? []).map((e) => (e.propertyName ?? e.name).text);
        add(node.moduleSpecifier.text, node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly)), names);
      } else if (ts.isCallExpression(node) && node.arguments.length > 0 && ts.isStringLiteral(node.arguments[0])) {
        const callee = node.expression;
        const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
        const isRequire = ts.isIdentifier(callee) && callee.text === "require";
        const isJestMock = ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === "jest";
        if (isImport || isRequire || isJestMock) add(node.arguments[0].text, false, []);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return edges;
}

const isTest = (f: string): boolean => f.endsWith(".test.ts");
const isTestSupport = (f: string): boolean => isTest(f) || f.endsWith("/testutil.ts") || f.startsWith("test/");

/** `x/<m>` for module files, else the top folder. */
export function layerOf(f: string): string {
  const [top, second] = f.split("/");
  return top === "x" && second !== undefined && f.split("/").length > 2 ? `x/${second}` : top;
}

/** Top folders each layer may not import (x/<m> is checked as "x"). */
const FORBIDDEN: Readonly<Record<string, readonly string[]>> = {
  base: ["x", "app", "lib", "client", "sidecar", "server", "cmd", "test", "bench"],
  x: ["app", "lib", "client", "sidecar", "server", "cmd", "test", "bench"],
  app: ["lib", "client", "sidecar", "server", "cmd", "test", "bench"],
  lib: ["app", "client", "sidecar", "server", "cmd", "test", "bench"],
  client: ["app", "sidecar", "server", "cmd", "test", "bench"],
  sidecar: ["app", "server", "cmd", "test", "bench"],
  server: ["sidecar", "cmd", "test", "bench"],
  cmd: ["test", "bench"],
  gen: ["base", "x", "app", "lib", "client", "sidecar", "server", "cmd", "test", "bench"],
  test: ["cmd"],
  bench: ["cmd"],
};

/** Every edge that breaks a rule, as "from -> to: why". */
export function layeringBreaks(edges: readonly ImportEdge[]): string[] {
  const out: string[] = [];
  for (const e of edges) {
    const [fromTop] = e.from.split("/");
    const [toTop] = e.to.split("/");
    const fromLayer = layerOf(e.from);
    const toLayer = layerOf(e.to);
    let forbidden = FORBIDDEN[fromTop] ?? [];
    // A test may build the real app and use the shared test helpers.
    if (isTest(e.from)) forbidden = forbidden.filter((t) => t !== "app" && t !== "test");
    if (forbidden.includes(toTop)) {
      out.push(`${e.from} -> ${e.to}: ${fromTop}/ may not import ${toTop}/`);
      continue;
    }
    if (fromLayer.startsWith("x/") && toLayer.startsWith("x/") && fromLayer !== toLayer && !isTestSupport(e.from)) {
      if (!e.typeOnly) out.push(`${e.from} -> ${e.to}: ${fromLayer} imports code from ${toLayer} (reach it through ${fromLayer}/expectedKeepers.ts)`);
      else if (e.to.endsWith("/keeper.ts") || e.names.some((n) => /Keeper$/.test(n))) out.push(`${e.from} -> ${e.to}: ${fromLayer} names ${toLayer}'s keeper (declare what it needs in ${fromLayer}/expectedKeepers.ts)`);
    }
  }
  return out.sort();
}

/** Import cycles among non-test files (type-only imports included), each as its files in order. */
export function importCycles(edges: readonly ImportEdge[]): string[][] {
  const graph = new Map<string, string[]>();
  for (const e of edges) {
    if (isTestSupport(e.from) || isTestSupport(e.to)) continue;
    graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
    if (!graph.has(e.to)) graph.set(e.to, []);
  }
  // Tarjan's strongly connected components, iteratively (deep graphs would overflow recursion).
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  for (const root of [...graph.keys()].sort()) {
    if (index.has(root)) continue;
    const work: Array<[string, number]> = [[root, 0]];
    while (work.length > 0) {
      const top = work[work.length - 1];
      const [v, i] = top;
      if (i === 0) {
        index.set(v, next);
        low.set(v, next);
        next++;
        stack.push(v);
        onStack.add(v);
      }
      const succ = graph.get(v)!;
      if (i < succ.length) {
        top[1] = i + 1;
        const w = succ[i];
        if (!index.has(w)) work.push([w, 0]);
        else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1][0];
        low.set(parent, Math.min(low.get(parent)!, low.get(v)!));
      }
      if (low.get(v) === index.get(v)) {
        const scc: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          scc.push(w);
        } while (w !== v);
        if (scc.length > 1 || graph.get(v)!.includes(v)) out.push(scc.sort());
      }
    }
  }
  return out;
}
