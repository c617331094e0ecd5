/**
 * SPEC §6: the state machine (base/, x/, app/) must compute the same thing on every node. The
 * determinism rules live in eslint.config.mjs; this test runs them over base/, x/ and app/ and over
 * a fixture holding one of each forbidden construct, so a rule that stops firing is caught too.
 *
 * ESLint's file discovery and config loading use dynamic `import()`, which Jest cannot run
 * without --experimental-vm-modules; so the config is loaded through Jest's own transform and
 * handed to ESLint directly, and the files are listed here and linted with `lintText`.
 */
import fs from "node:fs";
import path from "node:path";
import { ESLint, type Linter } from "eslint";

const ROOT = path.resolve(__dirname, "..");
const STATE_MACHINE_DIRS = ["base", "x", "app"];
const DETERMINISM_RULES = ["no-restricted-properties", "no-restricted-globals", "no-restricted-imports", "no-restricted-syntax"];

// eslint.config.mjs is ESM; Jest's swc transform turns it into CommonJS for require().
const config = (require("../eslint.config.mjs") as { default: Linter.Config[] }).default;

function newESLint(): ESLint {
  return new ESLint({ cwd: ROOT, overrideConfigFile: true, overrideConfig: config });
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(rel));
    else if (e.isFile() && e.name.endsWith(".ts")) out.push(rel);
  }
  return out.sort();
}

function describeMessages(results: ESLint.LintResult[]): string {
  return results
    .flatMap((r) => r.messages.filter((m) => m.severity === 2).map((m) => `${path.relative(ROOT, r.filePath)}:${m.line}:${m.column} ${m.ruleId ?? "(fatal)"}: ${m.message}`))
    .join("\n");
}

/** One forbidden construct per line: the code, the rule that must fire and a fragment of its message. */
const FORBIDDEN: ReadonlyArray<readonly [code: string, rule: string, message: string]> = [
  ["export const a = Math.random();", "no-restricted-properties", "Math.random"],
  ["export const b = Date.now();", "no-restricted-properties", "Date.now"],
  ["export const c = new Date();", "no-restricted-syntax", "new Date()"],
  ["export const c2 = Date();", "no-restricted-syntax", "Date() reads the wall clock"],
  ["export const d = performance.now();", "no-restricted-properties", "performance.now"],
  ["export const e = process.env.HOME;", "no-restricted-globals", "process"],
  ["export const e2 = process.hrtime.bigint();", "no-restricted-globals", "process"],
  ["import { env } from \"node:process\";", "no-restricted-imports", "process"],
  ["export const f = parseFloat(\"1.5\");", "no-restricted-globals", "parseFloat"],
  ["export const g = Number.parseFloat(\"1.5\");", "no-restricted-properties", "Number.parseFloat"],
  ["export const h = (7).toFixed(2);", "no-restricted-syntax", ".toFixed"],
  ["export const i = setTimeout(() => 0, 1);", "no-restricted-globals", "setTimeout"],
  ["export const j = setInterval(() => 0, 1);", "no-restricted-globals", "setInterval"],
  ["export const k = crypto.randomBytes(32);", "no-restricted-syntax", "Random bytes"],
  ["export const l = crypto.randomUUID();", "no-restricted-syntax", "Random bytes"],
  ["export const m = crypto.getRandomValues(new Uint8Array(4));", "no-restricted-syntax", "Random bytes"],
  ["import { randomBytes } from \"node:crypto\";", "no-restricted-syntax", "Random bytes"],
  ["export const n = 0.5;", "no-restricted-syntax", "Floating-point literal"],
  ["export const o = 1e3;", "no-restricted-syntax", "Floating-point literal"],
  ["export const p = .25;", "no-restricted-syntax", "Floating-point literal"],
  ["export const q = 2.5e-3;", "no-restricted-syntax", "Floating-point literal"],
  ["export const r = JSON.stringify({ a: 1 });", "no-restricted-syntax", "JSON.stringify"],
  ["export const s = (1000).toLocaleString();", "no-restricted-syntax", "Locale-dependent"],
  ["export const t = [\"b\", \"a\"].sort((x, y) => x.localeCompare(y));", "no-restricted-syntax", "Locale-dependent"],
  ["export const u = new Intl.NumberFormat(\"en\");", "no-restricted-globals", "Intl"],
];

/** Lines that look close but are fine: these must stay silent. */
const ALLOWED: readonly string[] = [
  "export const v = 10n ** 6n;",
  "export const w = 1_000_000 + 0x1e + 0b101 + 0o17 + 255;",
  "export const x = JSON.parse(\"{}\") as unknown;",
  "export function y(s: string): never { throw new Error(`bad value ${JSON.stringify(s)}`); }",
  "export const z = BigInt(\"42\") * 3n;",
];

describe("determinism lint (SPEC §6)", () => {
  test("base/, x/ and app/ have no determinism violations", async () => {
    const eslint = newESLint();
    const files = STATE_MACHINE_DIRS.flatMap(tsFiles);
    expect(files.length).toBeGreaterThan(10);
    const results: ESLint.LintResult[] = [];
    for (const f of files) results.push(...(await eslint.lintText(fs.readFileSync(path.join(ROOT, f), "utf8"), { filePath: path.join(ROOT, f) })));
    const errors = describeMessages(results);
    if (errors !== "") console.error(`determinism lint errors in base/, x/ and app/:\n${errors}`);
    expect(errors).toBe("");
  });

  test("no inline comment in base/, x/ or app/ switches a determinism rule off", () => {
    const offenders: string[] = [];
    for (const f of STATE_MACHINE_DIRS.flatMap(tsFiles)) {
      const lines = fs.readFileSync(path.join(ROOT, f), "utf8").split("\n");
      lines.forEach((line, i) => {
        if (/eslint-disable|eslint\s+[a-z-]+:\s*(off|0)/.test(line) && (DETERMINISM_RULES.some((r) => line.includes(r)) || /eslint-disable(-next-line|-line)?\s*(\*\/)?\s*$/.test(line))) {
          offenders.push(`${f}:${i + 1}: ${line.trim()}`);
        }
      });
    }
    expect(offenders).toEqual([]);
  });

  test("every forbidden construct is reported in state machine code, with its own message", async () => {
    const eslint = newESLint();
    const code = [...FORBIDDEN.map(([c]) => c), ...ALLOWED].join("\n") + "\n";
    const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, "x/fixture/bad.ts") });
    expect(result.messages.filter((m) => m.fatal)).toEqual([]);
    const byLine = new Map<number, Linter.LintMessage[]>();
    for (const m of result.messages) byLine.set(m.line, [...(byLine.get(m.line) ?? []), m]);

    const missing: string[] = [];
    FORBIDDEN.forEach(([c, rule, message], i) => {
      const hits = byLine.get(i + 1) ?? [];
      if (!hits.some((m) => m.severity === 2 && m.ruleId === rule && m.message.includes(message))) {
        missing.push(`line ${i + 1} \`${c}\`: want ${rule} "${message}", got ${JSON.stringify(hits.map((m) => `${m.ruleId}: ${m.message}`))}`);
      }
    });
    expect(missing).toEqual([]);

    const falseAlarms = ALLOWED.flatMap((c, i) => (byLine.get(FORBIDDEN.length + i + 1) ?? []).map((m) => `\`${c}\`: ${m.ruleId}: ${m.message}`));
    expect(falseAlarms).toEqual([]);
    expect(result.errorCount).toBe(FORBIDDEN.length);
  });

  test("the rules cover base/, x/ and app/ only: tests and node-side code may use clocks and JSON", async () => {
    const eslint = newESLint();
    const code = "export const a = Date.now() + Math.random() + 0.5;\nexport const b = JSON.stringify(process.env);\n";
    for (const filePath of ["base/baseapp.test.ts", "x/bank/keeper.test.ts", "cmd/x.ts", "server/x.ts", "client/x.ts", "sidecar/x.ts", "test/x.ts"]) {
      const [r] = await eslint.lintText(code, { filePath: path.join(ROOT, filePath) });
      expect({ filePath, errors: r.errorCount, fatal: r.fatalErrorCount }).toEqual({ filePath, errors: 0, fatal: 0 });
    }
    for (const filePath of ["base/anything.ts", "app/anything.ts", "x/bank/anything.ts"]) {
      const [r] = await eslint.lintText(code, { filePath: path.join(ROOT, filePath) });
      expect({ filePath, errors: r.errorCount }).toEqual({ filePath, errors: 5 });
    }
    expect(await eslint.isPathIgnored(path.join(ROOT, "gen/inferchain/auth/v1/auth.ts"))).toBe(true);
    expect(await eslint.isPathIgnored(path.join(ROOT, "dist/base/baseapp.js"))).toBe(true);
  });
});
