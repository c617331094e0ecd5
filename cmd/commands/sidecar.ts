/** `inferd sidecar`: runs a validator's inference sidecar (sidecar) against its node. */
import { Command, Option } from "commander";
import type { Sidecar } from "../../sidecar";
import { EXECUTION_PROVIDERS, parseExecutionProvider } from "../../sidecar/executionProvider";
import { FAULT_MODES, VERIFIER_FAULT_MODES } from "../../sidecar/faultModes";
import { DEFAULT_MAX_CONCURRENT, MAX_MAX_CONCURRENT } from "../../sidecar/scheduler";
import { CliError } from "../../client/errors";
import { DEFAULT_HOME } from "../../client/home";
import { resolveClient } from "../common";
import { expandHome } from "./keys";

/** The sidecar itself (onnxruntime, CosmJS, pino) loads when `inferd sidecar` runs, not when the CLI is defined (issue 12). */
const lazy = {
  pino: (): typeof import("pino") => require("pino"),
  sidecar: (): typeof import("../../sidecar") => require("../../sidecar"),
  faults: (): typeof import("../../sidecar/faults") => require("../../sidecar/faults"),
  verifierFaults: (): typeof import("../../sidecar/verifierFaults") => require("../../sidecar/verifierFaults"),
  collusion: (): typeof import("../../sidecar/collusion") => require("../../sidecar/collusion"),
  builtinModels: (): typeof import("../../lib/models/builtin") => require("../../lib/models/builtin"),
  serverHome: (): typeof import("../../server/home") => require("../../server/home"),
  keyring: (): typeof import("../../client/keyring") => require("../../client/keyring"),
};

export const DEFAULT_WORKER_KEY = "worker";

/** Every --fault mode: as a worker (sidecar/faults.ts) or as a verifier (sidecar/verifierFaults.ts). */
export const SIDECAR_FAULT_MODES: readonly string[] = [...FAULT_MODES, ...VERIFIER_FAULT_MODES];

/** The app's telemetry port + 1 (26661 + 100·i → 26662 + 100·i): the sidecar's default metrics address. */
export function defaultSidecarMetricsAddress(home: string): string {
  try {
    const m = /^(.*):([0-9]+)$/.exec(lazy.serverHome().readAppConfig(home).metricsAddress);
    if (m) return `${m[1]}:${Number(m[2]) + 1}`;
  } catch {
    // no app.toml: a sidecar for a node elsewhere
  }
  return "127.0.0.1:26662";
}

interface SidecarFlags {
  home: string;
  node?: string;
  chainId?: string;
  keyringBackend?: string;
  workerKey: string;
  models?: string;
  executionProvider: string;
  metricsAddress?: string;
  fault?: string;
  faultRate?: string;
  collude?: string;
  dataAddress?: string;
  dataPeers?: string;
  logLevel: string;
  resyncBlocks: string;
  maxConcurrent: string;
}

export function sidecarCommand(): Command {
  return new Command("sidecar")
    .description(
      "Run the inference sidecar of a validator: loads the models its worker key serves (sha256-checked), " +
        "answers the jobs assigned to it with onnxruntime, and signs the results with the worker key",
    )
    .addOption(new Option("--home <dir>", "node home (client.toml for the RPC address, keyring with the worker key, app.toml)").default(DEFAULT_HOME))
    .addOption(new Option("--node <url>", "CometBFT RPC endpoint (default: the home's client.toml)"))
    .addOption(new Option("--chain-id <id>", "expected chain id (default: the home's client.toml)"))
    .addOption(new Option("--keyring-backend <backend>", "keyring backend").choices(["test", "file"]))
    .addOption(new Option("--worker-key <name>", "key in the home's keyring registered as this validator's worker").default(DEFAULT_WORKER_KEY))
    .addOption(new Option("--models <dir>", "where file: model URIs resolve (default: the repository's models/)"))
    .addOption(new Option("--execution-provider <ep>", "onnxruntime execution provider; cuda and webgpu fall back to cpu (with the reason) when they cannot start").choices([...EXECUTION_PROVIDERS]).default("cpu"))
    .addOption(new Option("--metrics-address <host:port>", "Prometheus metrics at http://<address>/metrics, \"\" for none (default: the app's telemetry port + 1, 26662 on node 0)"))
    .addOption(
      new Option(
        "--fault <mode>",
        "misbehave on purpose, for tests: as a worker lazy (zeros of the right shape, no model run), random (random values), offline (never answers), " +
          "bad-seal (commits to the real output but seals it to its own key, so neither the client nor an opening can use it), " +
          "withhold (runs jobs by URI but serves their inputs to nobody and never answers a data request); " +
          "as a drawn verifier lazy-verifier (reveals zeros), random-verifier (random values), no-show (never commits)",
      ).choices([...SIDECAR_FAULT_MODES]),
    )
    .addOption(
      new Option(
        "--fault-rate <ppm>",
        "with a worker --fault: misbehave on only this share of jobs, in parts per million (100000 = 10%), each job chosen by a keyed hash of its id that nobody else can predict (default: every job)",
      ),
    )
    .addOption(
      new Option(
        "--collude <group>",
        "for tests: share every posted output with the sidecars of GROUP (a directory when it contains '/', else <tmpdir>/inferchain-collude/GROUP), " +
          "and when drawn to verify a job of the group's worker, reveal that worker's output instead of re-running it",
      ),
    )
    .addOption(new Option("--data-address <host:port>", "serve the inputs of its jobs by URI by hash at http://<address>/data/<sha256> (default: no data server)"))
    .addOption(new Option("--data-peers <host:port,...>", "other validators' data servers, tried for a job's input after its URI"))
    .addOption(new Option("--log-level <level>", "log level (trace, debug, info, warn, error)").default("info"))
    .addOption(new Option("--resync-blocks <n>", "re-read this worker's assigned jobs from chain state every n blocks (besides events)").default("5"))
    .addOption(new Option("--max-concurrent <n>", "jobs run at once (1..256); waiting jobs go by earliest hard deadline").default(String(DEFAULT_MAX_CONCURRENT)))
    .action(async (f: SidecarFlags) => {
      const { createSidecar, SidecarSetupError } = lazy.sidecar();
      const { defaultModelsDir } = lazy.builtinModels();
      const { readPassphraseFromStdin } = lazy.keyring();
      const { parseFaultMode } = lazy.faults();
      const { isVerifierFaultMode } = lazy.verifierFaults();
      const { parseFaultRate } = lazy.faults();
      const workerFault = f.fault && !isVerifierFaultMode(f.fault) ? parseFaultMode(f.fault) : undefined;
      let faultRatePpm: number | undefined;
      if (f.faultRate !== undefined) {
        if (!workerFault) throw new CliError(`--fault-rate needs a worker --fault (${lazy.faults().FAULT_MODES.join(", ")})`);
        try {
          faultRatePpm = parseFaultRate(f.faultRate);
        } catch (e) {
          throw new CliError((e as Error).message);
        }
      }
      if (f.collude !== undefined) {
        try {
          lazy.collusion().collusionDir(f.collude);
        } catch (e) {
          throw new CliError((e as Error).message);
        }
      }
      const home = expandHome(f.home);
      const c = resolveClient({ home, node: f.node, chainId: f.chainId, keyringBackend: f.keyringBackend });
      const resync = Number(f.resyncBlocks);
      if (!Number.isInteger(resync) || resync < 1) throw new CliError("--resync-blocks must be an integer ≥ 1");
      const maxConcurrent = Number(f.maxConcurrent);
      if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1 || maxConcurrent > MAX_MAX_CONCURRENT) throw new CliError(`--max-concurrent must be an integer in 1..${MAX_MAX_CONCURRENT}`);
      const log = lazy.pino()({ level: f.logLevel, base: { module: "sidecar" } });
      let stopped = false;
      let sidecar: Sidecar | undefined;
      const onSignal = (): void => {
        stopped = true;
        if (sidecar) void sidecar.stop();
        else process.exit(130);
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        sidecar = await createSidecar(
          {
            home,
            rpcUrl: c.rpcUrl,
            chainId: c.chainId,
            keyringBackend: c.keyringBackend,
            passphrase: () => readPassphraseFromStdin("Enter keyring passphrase: "),
            workerKey: f.workerKey,
            modelsDir: f.models ? expandHome(f.models) : defaultModelsDir(),
            executionProvider: parseExecutionProvider(f.executionProvider),
            metricsAddress: f.metricsAddress ?? defaultSidecarMetricsAddress(home),
            fault: workerFault,
            faultRatePpm,
            verifierFault: f.fault && isVerifierFaultMode(f.fault) ? f.fault : undefined,
            collude: f.collude,
            gasPrice: c.gasPrices,
            dataAddress: f.dataAddress ?? "",
            dataPeers: (f.dataPeers ?? "").split(",").map((x) => x.trim()).filter((x) => x !== ""),
            resyncEveryBlocks: resync,
            maxConcurrent,
            log,
            progress: (line) => process.stdout.write(line + "\n"),
            warn: (line) => process.stderr.write(line + "\n"),
          },
          { stopped: () => stopped },
        );
      } catch (e) {
        if (e instanceof SidecarSetupError) throw new CliError(e.message);
        throw e;
      }
      if (stopped) {
        await sidecar.stop();
        return;
      }
      process.stdout.write(
        `sidecar for ${sidecar.worker.operator}: worker ${sidecar.worker.address}, ${sidecar.models.size} model(s) on ${sidecar.provider.used}` +
          `${f.fault ? `, fault ${f.fault}` : ""}${faultRatePpm !== undefined ? ` on ${faultRatePpm} ppm of jobs` : ""}${f.collude !== undefined ? `, colluding in ${f.collude}` : ""}; watching ${c.rpcUrl}\n`,
      );
      sidecar.start();
      await sidecar.done;
    });
}
