/** `inferd init`, `start`, `genesis add-account` and `localnet init`: making and running node homes. */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Command, Option } from "commander";
import { parseCoinsString, toWire } from "../../base/types/coins";
import { CliError } from "../../client/errors";
import { DEFAULT_HOME, VALIDATOR_KEY, WORKER_KEY, paths, portsFor, readClientConfig, setTomlValues } from "../../client/home";
import { expandHome } from "./keys";
import { SIDECAR_FAULT_MODES } from "./sidecar";
import type { GenesisValidatorInfo } from "../genesisSetup";

/** The node (app, stores, gRPC), genesis and localnet code loads when its command runs, not when the CLI is defined (issue 12). */
const lazy = {
  address: (): typeof import("../../base/types/address") => require("../../base/types/address"),
  serverNode: (): typeof import("../../server/node") => require("../../server/node"),
  serverHome: (): typeof import("../../server/home") => require("../../server/home"),
  keyring: (): typeof import("../../client/keyring") => require("../../client/keyring"),
  worker: (): typeof import("../../client/worker") => require("../../client/worker"),
  genesisSetup: (): typeof import("../genesisSetup") => require("../genesisSetup"),
  workerSetup: (): typeof import("../workerSetup") => require("../workerSetup"),
  localnet: (): typeof import("../localnet") => require("../localnet"),
};

export function initCommand(): Command {
  return new Command("init")
    .description("Create a node home: CometBFT config and keys, app.toml, client.toml and a genesis with default params")
    .argument("<moniker>", "the node's name")
    .requiredOption("--chain-id <id>", "chain id of the new genesis")
    .addOption(new Option("--home <dir>", "node home directory").default(DEFAULT_HOME))
    .option("--overwrite", "replace an existing genesis and erase the home's data", false)
    .option("--timeout-commit <duration>", "CometBFT timeout_commit (block time)", "1s")
    .option("--p2p-host <host>", "p2p listen host", "127.0.0.1")
    .action(async (moniker: string, o: { chainId: string; home: string; overwrite: boolean; timeoutCommit: string; p2pHost: string }) => {
      const { initHome, readGenesis, writeGenesis } = lazy.serverHome();
      const { addGenesisValidator, finishGenesis } = lazy.genesisSetup();
      const home = expandHome(o.home);
      const { nodeId } = initHome({ home, moniker, chainId: o.chainId, overwrite: o.overwrite, timeoutCommit: o.timeoutCommit, p2pHost: o.p2pHost });
      const genesis = readGenesis(home);
      const v = await addGenesisValidator(home, genesis, moniker);
      await finishGenesis(genesis, v.account);
      writeGenesis(home, genesis);
      process.stdout.write(`initialized ${home} (chain ${o.chainId}, node id ${nodeId})\n`);
      process.stdout.write(`validator ${v.operator}: operator key "${VALIDATOR_KEY}" = ${v.account} (mnemonic in ${v.mnemonicFile})\n`);
      process.stdout.write(`sidecar worker key "${WORKER_KEY}" = ${v.worker} (funded; registered for the built-in models by \`inferd start --with-sidecar\`)\n`);
    });
}

async function resolveAddress(home: string, backend: string, addrOrKey: string): Promise<string> {
  try {
    lazy.address().parseAddress(addrOrKey);
    return addrOrKey;
  } catch {
    if (backend !== "test" && backend !== "file") throw new CliError(`unknown keyring backend ${backend}`);
    const kr = await lazy.keyring().openKeyring({ home, backend });
    return (await kr.show(addrOrKey)).address;
  }
}

export function genesisCommand(): Command {
  const g = new Command("genesis").description("Edit the home's genesis.json before the chain starts");
  g.addCommand(
    new Command("add-account")
      .description("Add a genesis account with a balance (address or key name)")
      .argument("<address_or_key>", "bech32 address or a key name in the keyring")
      .argument("<coins>", "e.g. 1000000000uinf")
      .addOption(new Option("--home <dir>", "node home directory").default(DEFAULT_HOME))
      .addOption(new Option("--keyring-backend <backend>", "keyring backend for key names").choices(["test", "file"]).default("test"))
      .action(async (who: string, coins: string, o: { home: string; keyringBackend: string }) => {
        const { addGenesisAccount, readGenesis, writeGenesis } = lazy.serverHome();
        const home = expandHome(o.home);
        const address = await resolveAddress(home, o.keyringBackend, who);
        const genesis = readGenesis(home);
        addGenesisAccount(genesis, address, toWire(parseCoinsString(coins)));
        writeGenesis(home, genesis);
        process.stdout.write(`added ${address} with ${coins} to ${paths(home).genesis}\n`);
      }),
  );
  return g;
}

export function startCommand(): Command {
  return new Command("start")
    .description("Run the node: the ABCI app and its gRPC server, and CometBFT as a child process (Ctrl-C stops both)")
    .addOption(new Option("--home <dir>", "node home directory").default(DEFAULT_HOME))
    .option("--abci-only", "run only the app; CometBFT runs elsewhere and connects to [abci] address", false)
    .option("--log-level <level>", "app log level (trace, debug, info, warn, error)")
    .option("--with-sidecar", `also run this validator's inference sidecar: once blocks are made, registers the home's "${WORKER_KEY}" key as its worker (if needed) and runs \`inferd sidecar\` (log in <home>/sidecar.log)`, false)
    .action(async (o: { home: string; abciOnly: boolean; logLevel?: string; withSidecar: boolean }) => {
      const home = expandHome(o.home);
      const node = await lazy.serverNode().startNode({ home, abciOnly: o.abciOnly, logLevel: o.logLevel });
      let sidecar: ChildProcess | undefined;
      let stopping = false;
      for (const sig of ["SIGINT", "SIGTERM"] as const) {
        process.on(sig, () => {
          stopping = true;
          sidecar?.kill("SIGTERM");
          void node.stop(sig);
        });
      }
      if (o.withSidecar) {
        const say = (msg: string): void => void process.stdout.write(`${JSON.stringify({ level: 30, module: "inferd", msg })}\n`);
        const rpcUrl = (readClientConfig(home)?.node ?? "tcp://127.0.0.1:26657").replace(/^tcp:\/\//, "http://");
        lazy.workerSetup().startHomeSidecar(home, { rpcUrl, log: say }).then(
          (child) => {
            sidecar = child;
            if (stopping) child.kill("SIGTERM");
            child.on("exit", (code, signal) => {
              if (!stopping) say(`sidecar exited (${code ?? signal}); see ${path.join(home, "sidecar.log")}`);
            });
          },
          (e: unknown) => say(`sidecar not started: ${(e as Error).message}`),
        );
      }
      process.exitCode = await node.done;
      sidecar?.kill("SIGTERM");
    });
}


export function localnetCommand(): Command {
  const l = new Command("localnet").description("A local multi-validator network on loopback");
  l.addCommand(
    new Command("init")
      .description("Write ready-to-start homes DIR/node0..N-1 sharing one genesis (node i on the default ports + 100·(offset + i))")
      .option("--validators <n>", "number of validators", "1")
      .option("--output <dir>", "where the homes go", "./.localnet")
      .option("--chain-id <id>", "chain id", "inferchain-localnet")
      .option("--account <addr=coins...>", "extra funded genesis account (repeatable)", (v: string, acc: string[]) => [...acc, v], [] as string[])
      .option("--timeout-commit <duration>", "CometBFT timeout_commit (block time)", "1s")
      .option("--overwrite", "replace existing homes", false)
      .option("--port-offset <k>", "node i uses the ports of index k + i (each default + 100·(k + i)), so several localnets can run at once", "0")
      .action(async (o: { validators: string; output: string; chainId: string; account: string[]; timeoutCommit: string; overwrite: boolean; portOffset: string }) => {
        const { addGenesisAccount, initHome, readGenesis, writeGenesis } = lazy.serverHome();
        const { addGenesisValidator, finishGenesis } = lazy.genesisSetup();
        const n = Number(o.validators);
        if (!Number.isInteger(n) || n < 1 || n > 50) throw new CliError("--validators must be 1..50");
        const k = Number(o.portOffset);
        if (!Number.isInteger(k) || k < 0 || k + n > 380) throw new CliError("--port-offset must be an integer with offset + validators ≤ 380 (ports stay below 65536)");
        const out = path.resolve(expandHome(o.output));
        if (fs.existsSync(out) && fs.readdirSync(out).length > 0) {
          if (!o.overwrite) throw new CliError(`${out} is not empty (use --overwrite)`);
          fs.rmSync(out, { recursive: true, force: true });
        }
        const homes = Array.from({ length: n }, (_, i) => path.join(out, `node${i}`));
        const ids = homes.map((home, i) => initHome({ home, moniker: `node${i}`, chainId: o.chainId, index: k + i, timeoutCommit: o.timeoutCommit }).nodeId);
        const genesis = readGenesis(homes[0]);
        const validators: GenesisValidatorInfo[] = [];
        for (const [i, home] of homes.entries()) validators.push(await addGenesisValidator(home, genesis, `node${i}`));
        await finishGenesis(genesis, validators[0].account);
        for (const a of o.account) {
          const m = /^([^=]+)=(.+)$/.exec(a);
          if (!m) throw new CliError(`--account wants ADDR=COINS, got ${a}`);
          lazy.address().parseAddress(m[1]);
          addGenesisAccount(genesis, m[1], toWire(parseCoinsString(/^[0-9]+$/.test(m[2]) ? `${m[2]}uinf` : m[2])));
        }
        for (const [i, home] of homes.entries()) {
          writeGenesis(home, genesis);
          const peers = ids.map((id, j) => (j === i ? "" : `${id}@127.0.0.1:${portsFor(k + j).p2p}`)).filter(Boolean).join(",");
          const file = paths(home).cometConfig;
          fs.writeFileSync(file, setTomlValues(fs.readFileSync(file, "utf8"), { "p2p.persistent_peers": peers }));
        }
        for (const [i, home] of homes.entries()) {
          const p = portsFor(k + i);
          process.stdout.write(`node${i}: ${home}  validator ${validators[i].operator} (key "${VALIDATOR_KEY}")  worker ${validators[i].worker} (key "${WORKER_KEY}")  rpc 127.0.0.1:${p.rpc}  grpc 127.0.0.1:${p.grpc}  p2p 127.0.0.1:${p.p2p}\n`);
        }
        process.stdout.write(`start each with: inferd start --home ${homes[0]}\n`);
      }),
  );
  l.addCommand(
    new Command("start")
      .description(
        "Start every node of a localnet (own log file each, DIR/nodeI/inferd.log), wait for blocks, register each validator's worker key " +
          "and start its sidecar (DIR/nodeI/sidecar.log); Ctrl-C stops all",
      )
      .option("--output <dir>", "the localnet directory", "./.localnet")
      .option("--detach", "return once blocks are made, leaving the nodes running (stop with `inferd localnet stop`)", false)
      .option("--timeout <seconds>", "how long to wait for the first blocks", "60")
      .option("--no-sidecars", "start only the nodes (workers are still registered)")
      .option("--sidecar-fault <node=mode...>", `run node i's sidecar in a fault mode (${SIDECAR_FAULT_MODES.join(", ")}), e.g. 1=offline (repeatable)`, (v: string, acc: string[]) => [...acc, v], [] as string[])
      .option("--sidecar-fault-rate <node=ppm...>", "node i's sidecar fakes only this share of its jobs (its --fault-rate, parts per million), e.g. 1=100000 (repeatable)", (v: string, acc: string[]) => [...acc, v], [] as string[])
      .option("--sidecar-collude <node=group...>", "node i's sidecar colludes in GROUP (its --collude), e.g. 1=g (repeatable)", (v: string, acc: string[]) => [...acc, v], [] as string[])
      .action(async (o: { output: string; detach: boolean; timeout: string; sidecars: boolean; sidecarFault: string[]; sidecarFaultRate: string[]; sidecarCollude: string[] }) => {
        const { hasWorkerKey, runningNodes, startLocalnet, startSidecars, stopLocalnet, waitForBlocks } = lazy.localnet();
        const dir = path.resolve(expandHome(o.output));
        const faults = new Map<number, string>();
        for (const f of o.sidecarFault) {
          const m = /^([0-9]+)=(.+)$/.exec(f);
          if (!m || !SIDECAR_FAULT_MODES.includes(m[2])) throw new CliError(`--sidecar-fault wants NODE=${SIDECAR_FAULT_MODES.join("|")}, got ${f}`);
          faults.set(Number(m[1]), m[2]);
        }
        const extra = new Map<number, string[]>();
        for (const [flag, values, sidecarFlag] of [["--sidecar-fault-rate", o.sidecarFaultRate, "--fault-rate"], ["--sidecar-collude", o.sidecarCollude, "--collude"]] as const) {
          for (const f of values) {
            const m = /^([0-9]+)=(.+)$/.exec(f);
            if (!m) throw new CliError(`${flag} wants NODE=VALUE, got ${f}`);
            extra.set(Number(m[1]), [...(extra.get(Number(m[1])) ?? []), sidecarFlag, m[2]]);
          }
        }
        const nodes = startLocalnet(dir);
        const stopAll = async (): Promise<void> => {
          process.stdout.write("stopping localnet…\n");
          await stopLocalnet(dir);
          process.exit(0);
        };
        process.on("SIGINT", () => void stopAll());
        process.on("SIGTERM", () => void stopAll());
        try {
          const heights = await waitForBlocks(nodes, 2n, Number(o.timeout) * 1000);
          for (const n of nodes) process.stdout.write(`node${n.index}: pid ${n.pid}  height ${heights[n.index]}  rpc ${n.rpc}  log ${n.log}\n`);
          if (o.sidecars) {
            await startSidecars(dir, nodes, { extraArgs: (n) => [...(faults.has(n.index) ? ["--fault", faults.get(n.index)!] : []), ...(extra.get(n.index) ?? [])] });
            for (const n of nodes) {
              const fault = faults.get(n.index);
              process.stdout.write(`node${n.index}: sidecar pid ${n.sidecarPid}  metrics http://${n.sidecarMetrics}/metrics  log ${n.sidecarLog}${fault ? `  FAULT ${fault}` : ""}${extra.has(n.index) ? `  ${extra.get(n.index)!.join(" ")}` : ""}\n`);
            }
          } else {
            await Promise.all(nodes.filter((n) => hasWorkerKey(n.home)).map((n) => lazy.worker().ensureWorkerRegistered(n.home, { rpcUrl: n.rpc })));
          }
        } catch (e) {
          await stopLocalnet(dir);
          throw e;
        }
        if (o.detach) {
          process.stdout.write(`localnet running; stop it with: inferd localnet stop --output ${dir}\n`);
          return;
        }
        process.stdout.write("localnet running; Ctrl-C stops all nodes\n");
        // Stay in the foreground until a signal, or until every node has exited.
        for (;;) {
          await new Promise((r) => setTimeout(r, 1000));
          if (runningNodes(dir).length === 0) throw new CliError("every node exited; see the logs");
        }
      }),
  );
  l.addCommand(
    new Command("stop")
      .description("Stop a localnet started with `inferd localnet start`")
      .option("--output <dir>", "the localnet directory", "./.localnet")
      .action(async (o: { output: string }) => {
        const n = await lazy.localnet().stopLocalnet(path.resolve(expandHome(o.output)));
        process.stdout.write(n > 0 ? `stopped ${n} node(s)\n` : "no localnet running\n");
      }),
  );
  l.addCommand(
    new Command("add-node")
      .description(
        "Add a full node (not a validator) to a localnet: home DIR/nodeN with the network's genesis, the next ports, every node as a peer, " +
          "and an unfunded operator key \"validator\"; fund it and run `inferd tx staking create-validator` to make it a validator",
      )
      .option("--output <dir>", "the localnet directory", "./.localnet")
      .option("--moniker <name>", "the node's name (default nodeN)")
      .option("--priv-validator-key <file>", "sign with this priv_validator_key.json instead of a fresh key (two nodes on one key double-sign: slashing tests only)")
      .action(async (o: { output: string; moniker?: string; privValidatorKey?: string }) => {
        const added = await lazy.localnet().addLocalnetNode(path.resolve(expandHome(o.output)), { moniker: o.moniker, privValidatorKey: o.privValidatorKey && path.resolve(expandHome(o.privValidatorKey)) });
        const p = added.ports;
        process.stdout.write(`${path.basename(added.home)}: ${added.home}  node id ${added.nodeId}  operator key "${VALIDATOR_KEY}" = ${added.account}  rpc 127.0.0.1:${p.rpc}  grpc 127.0.0.1:${p.grpc}  p2p 127.0.0.1:${p.p2p}\n`);
        process.stdout.write(`start it with: inferd start --home ${added.home}\n`);
      }),
  );
  return l;
}
