/**
 * What this sidecar posted for each job, under `<home>/sidecar/results/`: the output bytes it
 * sealed (`<job>-<tag>.bin`) or the reason of a cannot-run result (`<job>-<tag>.cannot-run`).
 * A retry posts the same result again instead of running the job anew, and an opening (a
 * dispute asks, MsgOpenResult) reveals exactly what was sealed, even under --fault or after a
 * restart. The seal's ephemeral key and salt are derived from the worker key
 * (client/results.ts), so only the output is kept. `<tag>` is a hash of the job's input and
 * client key: a job id reused by another chain in the same home never picks up a stale file.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Job } from "../gen/inferchain/inference/v1/inference";

export type PostedResult = { readonly cannotRun: false; readonly output: Uint8Array } | { readonly cannotRun: true; readonly reason: string };

type JobRef = Pick<Job, "id" | "input" | "clientPubkey">;

export class ResultStore {
  constructor(readonly dir: string) {}

  static forHome(home: string): ResultStore {
    return new ResultStore(path.join(home, "sidecar", "results"));
  }

  private base(job: JobRef): string {
    const tag = createHash("sha256").update(job.input).update(job.clientPubkey).digest("hex").slice(0, 16);
    return path.join(this.dir, `${job.id}-${tag}`);
  }

  /** Written before the result is broadcast (temp file + rename, so a crash never leaves half a file). */
  save(job: JobRef, r: PostedResult): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const base = this.base(job);
    const [file, other, bytes] = r.cannotRun ? [`${base}.cannot-run`, `${base}.bin`, Buffer.from(r.reason, "utf8")] : [`${base}.bin`, `${base}.cannot-run`, r.output];
    const tmp = `${file}.tmp`;
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
    fs.rmSync(other, { force: true });
  }

  load(job: JobRef): PostedResult | undefined {
    const base = this.base(job);
    try {
      return { cannotRun: false, output: new Uint8Array(fs.readFileSync(`${base}.bin`)) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    try {
      return { cannotRun: true, reason: fs.readFileSync(`${base}.cannot-run`, "utf8") };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    return undefined;
  }

  /** Deletes files older than `maxAgeMs` (long after any dispute of theirs has ended); returns how many. */
  prune(maxAgeMs: number, now = Date.now()): number {
    return pruneOlderThan(this.dir, maxAgeMs, now);
  }
}

/** Deletes the files of `dir` last written more than `maxAgeMs` before `now`; returns how many (a missing dir: 0). */
export function pruneOlderThan(dir: string, maxAgeMs: number, now: number): number {
  let removed = 0;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      if (now - fs.statSync(file).mtimeMs > maxAgeMs) {
        fs.rmSync(file, { force: true });
        removed++;
      }
    } catch {
      // gone meanwhile
    }
  }
  return removed;
}
