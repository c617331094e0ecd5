/**
 * Summarizes a V8 `.cpuprofile` (from `node --cpu-prof`): the top functions by self time,
 * the same grouped by file/package, and the inclusive ("total") time of the top functions.
 *
 *   node dist/bench/profile-summary.js FILE.cpuprofile [--top 20]
 *
 * Self time is summed from the sample time deltas, so it is in milliseconds of wall time the
 * thread spent in that function's own code. "(idle)" is time the event loop waited for I/O.
 */
import fs from "node:fs";
import path from "node:path";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface FunctionStat {
  readonly name: string;
  readonly location: string;
  readonly selfMs: number;
  readonly totalMs: number;
}

export interface ProfileSummary {
  readonly file: string;
  readonly durationMs: number;
  readonly idleMs: number;
  readonly functions: FunctionStat[];
  readonly files: Array<{ readonly file: string; readonly selfMs: number }>;
}

const ROOT = process.cwd();

/** `file:///work/main/dist/x/auth/ante.js` → `dist/x/auth/ante.js`; node_modules paths keep the package. */
function shortUrl(url: string): string {
  if (!url) return "";
  let p = url.startsWith("file://") ? url.slice("file://".length) : url;
  const nm = p.lastIndexOf("node_modules/");
  if (nm >= 0) return p.slice(nm);
  if (p.startsWith(ROOT + path.sep)) p = p.slice(ROOT.length + 1);
  return p;
}

/** Groups a location into a "file" bucket: node_modules packages collapse to the package name. */
function fileBucket(location: string, name: string): string {
  if (!location) return name.startsWith("(") ? name : "(native / V8 builtins)";
  const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(location);
  if (m) return `node_modules/${m[1]}`;
  if (location.startsWith("node:")) return "(node internals)";
  return location.replace(/:\d+$/, "");
}

export function summarizeProfile(file: string): ProfileSummary {
  const prof = JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of prof.nodes) byId.set(n.id, n);
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const keyOf = (n: ProfileNode): string => {
    const cf = n.callFrame;
    const loc = shortUrl(cf.url);
    return `${cf.functionName || "(anonymous)"}\u0000${loc ? `${loc}:${cf.lineNumber + 1}` : ""}`;
  };
  const keys = new Map<number, string>();
  for (const n of prof.nodes) keys.set(n.id, keyOf(n));

  const self = new Map<string, number>();
  const total = new Map<string, number>();
  // Stacks repeat a lot; remember each node's set of distinct function keys on its stack.
  const stackKeys = new Map<number, string[]>();
  const stackOf = (id: number): string[] => {
    const have = stackKeys.get(id);
    if (have) return have;
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) seen.add(keys.get(cur)!);
    const out = [...seen];
    stackKeys.set(id, out);
    return out;
  };

  let durationUs = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attribute the time after it (the next delta) to it.
    const dt = i + 1 < prof.timeDeltas.length ? prof.timeDeltas[i + 1] : 0;
    if (dt <= 0) continue;
    durationUs += dt;
    const id = prof.samples[i];
    const k = keys.get(id)!;
    self.set(k, (self.get(k) ?? 0) + dt);
    for (const sk of stackOf(id)) total.set(sk, (total.get(sk) ?? 0) + dt);
  }

  const functions: FunctionStat[] = [...self.entries()]
    .map(([k, us]) => {
      const [name, location] = k.split("\u0000");
      return { name, location, selfMs: us / 1000, totalMs: (total.get(k) ?? us) / 1000 };
    })
    .sort((a, b) => b.selfMs - a.selfMs);
  const fileSelf = new Map<string, number>();
  for (const f of functions) {
    const b = fileBucket(f.location, f.name);
    fileSelf.set(b, (fileSelf.get(b) ?? 0) + f.selfMs);
  }
  const files = [...fileSelf.entries()].map(([f, ms]) => ({ file: f, selfMs: ms })).sort((a, b) => b.selfMs - a.selfMs);
  const idleMs = functions.filter((f) => f.name === "(idle)").reduce((s, f) => s + f.selfMs, 0);
  // Inclusive times for functions that never appear as a leaf still matter (e.g. runTx); keep them.
  for (const [k, us] of total) {
    if (self.has(k)) continue;
    const [name, location] = k.split("\u0000");
    functions.push({ name, location, selfMs: 0, totalMs: us / 1000 });
  }
  return { file, durationMs: durationUs / 1000, idleMs, functions, files };
}

const pct = (x: number, of: number): string => (of > 0 ? `${((100 * x) / of).toFixed(1)}%` : "-");
const pad = (s: string, n: number): string => (s.length >= n ? s : s + " ".repeat(n - s.length));
const lpad = (s: string, n: number): string => (s.length >= n ? s : " ".repeat(n - s.length) + s);

/** The report as text lines: top N by self time, top files, and top N by inclusive time (project code only). */
export function formatSummary(s: ProfileSummary, top = 20): string[] {
  const busy = s.durationMs - s.idleMs;
  const out: string[] = [];
  out.push(`profile ${s.file}`);
  out.push(`sampled ${(s.durationMs / 1000).toFixed(1)} s, idle ${(s.idleMs / 1000).toFixed(1)} s (${pct(s.idleMs, s.durationMs)}), busy ${(busy / 1000).toFixed(1)} s`);
  out.push("");
  out.push(`top ${top} functions by self time (% of all samples | % of busy time)`);
  out.push(`${lpad("self ms", 10)} ${lpad("%all", 6)} ${lpad("%busy", 6)} ${lpad("total ms", 10)}  function  location`);
  const bySelf = s.functions.filter((f) => f.selfMs > 0).slice(0, top);
  for (const f of bySelf) {
    const busyPct = f.name === "(idle)" ? "" : pct(f.selfMs, busy);
    out.push(`${lpad(f.selfMs.toFixed(0), 10)} ${lpad(pct(f.selfMs, s.durationMs), 6)} ${lpad(busyPct, 6)} ${lpad(f.totalMs.toFixed(0), 10)}  ${pad(f.name, 28)}  ${f.location}`);
  }
  out.push("");
  out.push(`top ${top} files/packages by self time`);
  for (const f of s.files.slice(0, top)) out.push(`${lpad(f.selfMs.toFixed(0), 10)} ${lpad(pct(f.selfMs, s.durationMs), 6)} ${lpad(f.file === "(idle)" ? "" : pct(f.selfMs, busy), 6)}  ${f.file}`);
  out.push("");
  out.push(`top ${top} project functions (dist/) by inclusive time (self + callees)`);
  const own = s.functions
    .filter((f) => f.location.startsWith("dist/"))
    .sort((a, b) => b.totalMs - a.totalMs)
    .slice(0, top);
  for (const f of own) out.push(`${lpad(f.totalMs.toFixed(0), 10)} ${lpad(pct(f.totalMs, s.durationMs), 6)} ${lpad(pct(f.totalMs, busy), 6)}  ${pad(f.name, 28)}  ${f.location}`);
  return out;
}

/** The newest .cpuprofile in a directory (or the file itself). */
export function findProfile(p: string): string {
  if (fs.statSync(p).isFile()) return p;
  const files = fs
    .readdirSync(p)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => path.join(p, f))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (files.length === 0) throw new Error(`no .cpuprofile in ${p}`);
  return files[0];
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const topIdx = args.indexOf("--top");
  const top = topIdx >= 0 ? Number(args[topIdx + 1]) : 20;
  const files = args.filter((a, i) => a !== "--top" && (topIdx < 0 || i !== topIdx + 1));
  if (files.length === 0 || !Number.isInteger(top) || top < 1) {
    process.stderr.write("usage: node dist/bench/profile-summary.js FILE.cpuprofile|DIR [--top 20]\n");
    process.exit(2);
  }
  for (const f of files) process.stdout.write(formatSummary(summarizeProfile(findProfile(f)), top).join("\n") + "\n");
}
