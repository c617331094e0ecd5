/**
 * `--collude GROUP` (SPEC §5), for tests and scenarios: sidecars of one group share outputs off
 * chain. The group is a directory every member can write: GROUP itself when it names a path
 * (contains a "/"), else `<os tmpdir>/inferchain-collude/GROUP` (sidecars on one machine).
 *
 *   worker    after it posts a result (faked or not), it writes the output it committed to as
 *             `<group>/<worker address>/<job id>.bin`, before the result can be audited;
 *   verifier  drawn for a job whose worker published its output in the group, it commits to
 *             and reveals those bytes instead of what it computed (on time, as usual), so it
 *             agrees with whatever the worker opens; drawn for anyone else's job it is honest.
 *
 * The chain cannot see the channel; what keeps colluders below 1/3 of the stake from flipping a
 * verdict is the committee's majority (x/challenge verdict.ts) and the slash of every verifier on
 * the losing side.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const BECH32 = /^[a-z0-9]+1[02-9ac-hj-np-z]+$/;

/** The directory of a group: the path itself, or a name under the tmpdir. */
export function collusionDir(group: string): string {
  if (group.trim() === "") throw new Error("--collude wants a group name or directory");
  if (group.includes("/") || group.includes(path.sep)) return path.resolve(group);
  if (!/^[A-Za-z0-9._-]+$/.test(group)) throw new Error(`--collude: a group name is letters, digits, '.', '_' or '-' (or give a directory), got ${JSON.stringify(group)}`);
  return path.join(os.tmpdir(), "inferchain-collude", group);
}

/** One sidecar's end of a group's channel. */
export class Collusion {
  readonly dir: string;

  constructor(group: string) {
    this.dir = collusionDir(group);
  }

  private file(worker: string, jobId: bigint): string {
    if (!BECH32.test(worker)) throw new Error(`not an address: ${JSON.stringify(worker)}`);
    return path.join(this.dir, worker, `${jobId}.bin`);
  }

  /** The worker side: the output `worker` committed to for `jobId` (written whole: temp file, then rename). */
  publish(worker: string, jobId: bigint, output: Uint8Array): void {
    const f = this.file(worker, jobId);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(`${f}.tmp`, output);
    fs.renameSync(`${f}.tmp`, f);
  }

  /** The verifier side: what the group's `worker` posted for `jobId`; undefined when it is not in the group (or did not publish). */
  outputFor(worker: string, jobId: bigint): Uint8Array | undefined {
    try {
      return new Uint8Array(fs.readFileSync(this.file(worker, jobId)));
    } catch {
      return undefined;
    }
  }
}
