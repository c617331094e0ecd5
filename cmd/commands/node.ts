/** `inferd init`, `start`, `genesis add-account` and `localnet init`: making and running node homes. */
import fs from "node:fs";
import path from "node:path";
import { Command, Option } from "commander";
import { parseCoinsString, toWire } from "../../app/types/coins";
import { parseAddress } from "../../app/types/address";
import { startNode } from "../../server/node";
import { CliError } from "../errors";
import { DEFAULT_HOME, addGenesisAccount, initHome, paths, portsFor, readGenesis, setTomlValues, writeGenesis } from "../home";
import { expandHome } from "./keys";
import { openKeyring } from "../keyring";
import { VALIDATOR_KEY, addGenesisValidator, finishGenesis, type GenesisValidatorInfo } from "../genesisSetup";
import { runningNodes, startLocalnet, stopLocalnet, waitForBlocks } from "../localnet";

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
      const home = expandHome(o.home);
      const { nodeId } = initHome({ home, moniker, chainId: o.chainId, overwrite: o.overwrite, timeoutCommit: o.timeoutCommit, p2pHost: o.p2pHost });
      const genesis = readGenesis(home);
      const v = await addGenesisValidator(home, genesis, moniker);
      await finishGenesis(genesis, v.account);
      writeGenesis(home, genesis);
      process.stdout.write(`initialized ${home} (chain ${o.chainId}, node id ${nodeId})\n`);
      process.stdout.write(`validator ${v.operator}: operator key "${VALIDATOR_KEY}" = ${v.account} (mnemonic in ${v.mnemonicFile})\n`);
    });
}

async function resolveAddress(home: string, backend: string, addrOrKey: string): Promise<string> {
  try {
    parseAddress(addrOrKey);
    return addrOrKey;
  } catch {
    if (backend !== "test" && backend !== "file") throw new CliError(`unknown keyring backend ${backend}`);
    const kr = await openKeyring({ home, backend });
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
    .action(async (o: { home: string; abciOnly: boolean; logLevel?: string }) => {
      const node = await startNode({ home: expandHome(o.home), abciOnly: o.abciOnly, logLevel: o.logLevel });
      for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => void node.stop(sig));
      process.exitCode = await node.done;
    });
}


export function localnetCommand(): Command {
  const l = new Command("localnet").description("A local multi-validator network on loopback");
  l.addCommand(
    new Command("init")
      .description("Write ready-to-start homes DIR/node0..N-1 sharing one genesis (node i on the default ports + 100·i)")
      .option("--validators <n>", "number of validators", "1")
      .option("--output <dir>", "where the homes go", "./.localnet")
      .option("--chain-id <id>", "chain id", "inferchain-localnet")
      .option("--account <addr=coins...>", "extra funded genesis account (repeatable)", (v: string, acc: string[]) => [...acc, v], [] as string[])
      .option("--timeout-commit <duration>", "CometBFT timeout_commit (block time)", "1s")
      .option("--overwrite", "replace existing homes", false)
      .action(async (o: { validators: string; output: string; chainId: string; account: string[]; timeoutCommit: string; overwrite: boolean }) => {
        const n = Number(o.validators);
        if (!Number.isInteger(n) || n < 1 || n > 50) throw new CliError("--validators must be 1..50");
        const out = path.resolve(expandHome(o.output));
        if (fs.existsSync(out) && fs.readdirSync(out).length > 0) {
          if (!o.overwrite) throw new CliError(`${out} is not empty (use --overwrite)`);
          fs.rmSync(out, { recursive: true, force: true });
        }
        const homes = Array.from({ length: n }, (_, i) => path.join(out, `node${i}`));
        const ids = homes.map((home, i) => initHome({ home, moniker: `node${i}`, chainId: o.chainId, index: i, timeoutCommit: o.timeoutCommit }).nodeId);
        const genesis = readGenesis(homes[0]);
        const validators: GenesisValidatorInfo[] = [];
        for (const [i, home] of homes.entries()) validators.push(await addGenesisValidator(home, genesis, `node${i}`));
        await finishGenesis(genesis, validators[0].account);
        for (const a of o.account) {
          const m = /^([^=]+)=(.+)$/.exec(a);
          if (!m) throw new CliError(`--account wants ADDR=COINS, got ${a}`);
          parseAddress(m[1]);
          addGenesisAccount(genesis, m[1], toWire(parseCoinsString(/^[0-9]+$/.test(m[2]) ? `${m[2]}uinf` : m[2])));
        }
        for (const [i, home] of homes.entries()) {
          writeGenesis(home, genesis);
          const peers = ids.map((id, j) => (j === i ? "" : `${id}@127.0.0.1:${portsFor(j).p2p}`)).filter(Boolean).join(",");
          const file = paths(home).cometConfig;
          fs.writeFileSync(file, setTomlValues(fs.readFileSync(file, "utf8"), { "p2p.persistent_peers": peers }));
        }
        for (const [i, home] of homes.entries()) {
          const p = portsFor(i);
          process.stdout.write(`node${i}: ${home}  validator ${validators[i].operator} (key "${VALIDATOR_KEY}")  rpc 127.0.0.1:${p.rpc}  grpc 127.0.0.1:${p.grpc}  p2p 127.0.0.1:${p.p2p}\n`);
        }
        process.stdout.write(`start each with: inferd start --home ${homes[0]}\n`);
      }),
  );
  l.addCommand(
    new Command("start")
      .description("Start every node of a localnet (own log file each, DIR/nodeI/inferd.log), wait for blocks; Ctrl-C stops all")
      .option("--output <dir>", "the localnet directory", "./.localnet")
      .option("--detach", "return once blocks are made, leaving the nodes running (stop with `inferd localnet stop`)", false)
      .option("--timeout <seconds>", "how long to wait for the first blocks", "60")
      .action(async (o: { output: string; detach: boolean; timeout: string }) => {
        const dir = path.resolve(expandHome(o.output));
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
        const n = await stopLocalnet(path.resolve(expandHome(o.output)));
        process.stdout.write(n > 0 ? `stopped ${n} node(s)\n` : "no localnet running\n");
      }),
  );
  return l;
}
