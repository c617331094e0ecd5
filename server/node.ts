/**
 * Runs one node: the ABCI app (LevelDB state), its gRPC query server, and, unless
 * `abciOnly`, CometBFT as a child process with the same home. Signals go to the child;
 * when it exits the app shuts down too. Both write to one log stream (stdout).
 */
import { spawn, type ChildProcess } from "node:child_process";
import type http from "node:http";
import readline from "node:readline";
import pino, { type Logger } from "pino";
import { createInferchainApp } from "../app/app";
import { startAbciServer } from "../base/abci/server";
import type { BaseApp } from "../base/baseapp";
import { QueryError } from "../base/query";
import { parseGasPrice } from "../x/auth";
import { paths } from "../client/home";
import { cometbftBinary, readAppConfig } from "./home";
import { serveRegistry } from "../lib/metricsServer";
import { startGrpcServer } from "./grpc";
import { NodeMetrics } from "./metrics";

export interface NodeOptions {
  readonly home: string;
  readonly abciOnly?: boolean;
  readonly logLevel?: string;
  readonly logger?: Logger;
}

export interface RunningNode {
  readonly app: BaseApp;
  /** Resolves with the exit code once the node has stopped. */
  readonly done: Promise<number>;
  stop(signal?: NodeJS.Signals): Promise<number>;
}

/** `0.025uinf` → 0.025 as an exact gas price (the denom must be uinf). */
function localGasPrice(s: string): ReturnType<typeof parseGasPrice> | undefined {
  if (s.trim() === "") return undefined;
  const m = /^([0-9.]+)uinf$/.exec(s.trim());
  if (!m) throw new Error(`app.toml minimum-gas-prices must look like 0.025uinf, got ${JSON.stringify(s)}`);
  return parseGasPrice(m[1]);
}

export async function startNode(o: NodeOptions): Promise<RunningNode> {
  const cfg = readAppConfig(o.home);
  const log = o.logger ?? pino({ level: o.logLevel ?? cfg.logLevel, base: { module: "inferd" } });
  const app = await createInferchainApp({ dbDir: paths(o.home).appDb, localMinGasPrice: localGasPrice(cfg.minimumGasPrices) });
  app.store.setPruning(cfg.pruning);
  log.info({ pruning: cfg.pruning.strategy, keepRecent: cfg.pruning.keepRecent, interval: cfg.pruning.interval, earliestVersion: app.store.earliestVersion.toString() }, "state pruning");
  const info = app.info({ version: "", blockVersion: 0n, p2pVersion: 0n, abciVersion: "" });
  log.info({ height: info.lastBlockHeight.toString(), appHash: Buffer.from(info.lastBlockAppHash).toString("hex") }, "app state loaded");

  const metrics = new NodeMetrics(paths(o.home).appDb);
  const abci = await startAbciServer(app, cfg.abciAddress, log.child({ module: "abci" }), {
    clock: () => process.hrtime.bigint(),
    yieldToIo: () => new Promise((resolve) => setImmediate(resolve)),
    observe: metrics.observe,
  });
  // Metrics are for watching the node: one that cannot bind its port still runs, and says so.
  let metricsServer: http.Server | undefined;
  if (cfg.metricsAddress !== "") {
    try {
      metricsServer = await serveRegistry(metrics.registry, cfg.metricsAddress, "app.toml [telemetry] address");
      log.info({ address: cfg.metricsAddress }, "Prometheus metrics at /metrics");
    } catch (e) {
      log.error({ address: cfg.metricsAddress, err: e instanceof Error ? e.message : String(e) }, "metrics server not started");
    }
  }
  const grpc = cfg.grpcEnable
    ? await startGrpcServer({
        address: cfg.grpcAddress,
        protoFiles: app.protoFiles(),
        logger: log.child({ module: "grpc" }),
        router: {
          paths: () => app.queryPaths(),
          query: async (path, data, height) => {
            if (height !== 0n && height !== app.lastHeight) throw new QueryError(3, `only the latest height (${app.lastHeight}) can be queried`);
            // Through the ABCI scheduler, behind any waiting consensus request (base/abci/server.ts);
            // its QueryErrors reach the gRPC server as they are.
            const value = await abci.query(path, data);
            return { value, height: app.lastHeight };
          },
        },
      })
    : undefined;
  if (grpc) log.info({ address: cfg.grpcAddress }, "gRPC server listening (reflection on)");

  let child: ChildProcess | undefined;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  let stopping = false;

  const shutdown = async (code: number): Promise<void> => {
    await grpc?.close();
    await new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()));
    await abci.close();
    await app.store.close();
    log.info({ code }, "inferd stopped");
    resolveDone(code);
  };

  if (!o.abciOnly) {
    child = spawn(cometbftBinary(), ["start", "--home", o.home], { stdio: ["ignore", "pipe", "pipe"] });
    for (const stream of [child.stdout!, child.stderr!]) {
      readline.createInterface({ input: stream }).on("line", (line) => process.stdout.write(`${line}\n`));
    }
    child.on("exit", (code, signal) => {
      log.info({ code, signal }, "cometbft exited");
      if (!stopping) log.error("cometbft stopped on its own; stopping the app");
      stopping = true;
      void shutdown(code ?? (signal ? 1 : 0));
    });
    log.info({ pid: child.pid, home: o.home }, "cometbft started");
  }

  const stop = async (signal: NodeJS.Signals = "SIGTERM"): Promise<number> => {
    if (!stopping) {
      stopping = true;
      if (child && child.exitCode === null) child.kill(signal);
      else void shutdown(0);
    }
    return done;
  };
  return { app, done, stop };
}
