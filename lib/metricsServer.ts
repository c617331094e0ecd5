/**
 * GET /metrics for a prom-client registry: the node (`inferd start`, app.toml `[telemetry]`)
 * and the sidecar (`--metrics-address`) serve theirs with it.
 */
import http from "node:http";
import type { Registry } from "prom-client";

/** Serves `registry` at http://host:port/metrics; resolves once listening. */
export async function serveRegistry(registry: Registry, address: string, what = "metrics address"): Promise<http.Server> {
  const m = /^(.*):([0-9]+)$/.exec(address);
  if (!m) throw new Error(`${what} must be host:port, got ${address}`);
  const server = http.createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404).end("try /metrics\n");
      return;
    }
    registry
      .metrics()
      .then((body) => res.writeHead(200, { "content-type": registry.contentType }).end(body))
      .catch((e: unknown) => res.writeHead(500).end(String(e)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(m[2]), m[1].replace(/^\[|\]$/g, "") || "127.0.0.1", () => resolve());
  });
  return server;
}
