/** `inferd start --with-sidecar`: the node's own sidecar, once its worker is registered (client/worker.ts). */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ensureWorkerRegistered, waitForHeight } from "../client/worker";

/**
 * `inferd start --with-sidecar`: once the node makes blocks, registers the home's worker
 * (if needed) and runs `inferd sidecar --home H` as a child, its output in H/sidecar.log.
 */
export async function startHomeSidecar(home: string, o: { rpcUrl: string; log: (msg: string) => void; extraArgs?: readonly string[] }): Promise<ChildProcess> {
  await waitForHeight(o.rpcUrl, 1, 120_000);
  const reg = await ensureWorkerRegistered(home, { rpcUrl: o.rpcUrl });
  o.log(`${reg.registered ? "registered" : "found"} worker ${reg.worker} of ${reg.operator} for ${reg.modelIds.join(", ")}`);
  const logFile = path.join(home, "sidecar.log");
  const fd = fs.openSync(logFile, "a");
  const child = spawn(process.execPath, [path.join(__dirname, "inferd.js"), "sidecar", "--home", home, ...(o.extraArgs ?? [])], { stdio: ["ignore", fd, fd] });
  fs.closeSync(fd);
  o.log(`sidecar started (pid ${child.pid}), log ${logFile}`);
  return child;
}
