/**
 * A node's side of the home directory (client/home.ts has the layout and client.toml):
 * `cometbft init`, config.toml edits, app.toml, and genesis.json with inferchain's app_state.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse as parseToml } from "smol-toml";
import { defaultAppState } from "../app/app";
import { PruningConfigError, pruningOptions, type PruningOptions } from "../base/store/pruning";
import { DEFAULT_MAX_BLOCK_GAS } from "../base/baseapp";
import { CliError } from "../client/errors";
import { paths, portsFor, setTomlValues, writeClientConfig, type Ports } from "../client/home";

/** The cometbft binary: $COMETBFT_BIN, then PATH, then Go's bin dir (where scripts/install-cometbft.sh puts it). */
export function cometbftBinary(): string {
  const candidates = [process.env.COMETBFT_BIN, "cometbft", path.join(os.homedir(), "go", "bin", "cometbft")].filter((c): c is string => !!c);
  for (const c of candidates) {
    try {
      execFileSync(c, ["version"], { stdio: "ignore" });
      return c;
    } catch {
      // try the next one
    }
  }
  throw new CliError("cometbft not found: run `bash scripts/install-cometbft.sh` (needs Go) or set COMETBFT_BIN");
}

export function runCometbft(args: string[]): string {
  return execFileSync(cometbftBinary(), args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export interface AppConfig {
  readonly minimumGasPrices: string;
  readonly abciAddress: string;
  readonly grpcEnable: boolean;
  readonly grpcAddress: string;
  readonly metricsAddress: string;
  readonly logLevel: string;
  readonly pruning: PruningOptions;
}

export function writeAppConfig(home: string, ports: Ports, minimumGasPrices = "0.025uinf"): void {
  const text = `# inferd application config (the CometBFT side is config.toml)

# Node-local floor on gas prices for CheckTx, on top of the consensus minimum (x/auth fee params).
minimum-gas-prices = "${minimumGasPrices}"

# Old state versions (trie nodes that only an old app hash reaches), as in the Cosmos SDK:
#   default     keep the last 100 versions, prune every 10 blocks
#   nothing     keep every version (an archive node)
#   everything  keep the last 2 versions, prune every 10 blocks
#   custom      keep pruning-keep-recent versions (at least 2), prune every pruning-interval blocks
# Queries are answered at the latest height only, so pruning hides nothing a client can ask for.
# CometBFT's block store is not pruned (new nodes sync blocks from genesis).
pruning = "default"
pruning-keep-recent = "0"
pruning-interval = "0"

[abci]
# Where CometBFT's proxy_app connects.
address = "tcp://127.0.0.1:${ports.abci}"

[grpc]
enable = true
# gRPC queries with server reflection (grpcurl -plaintext ${`127.0.0.1:${ports.grpc}`} list).
address = "127.0.0.1:${ports.grpc}"

[telemetry]
# Prometheus metrics of the app.
address = "127.0.0.1:${ports.metrics}"

[log]
level = "info"
`;
  fs.writeFileSync(paths(home).appConfig, text);
}

export function readAppConfig(home: string): AppConfig {
  const file = paths(home).appConfig;
  if (!fs.existsSync(file)) throw new CliError(`${file} not found: run \`inferd init\` first`);
  const t = parseToml(fs.readFileSync(file, "utf8")) as Record<string, Record<string, unknown> | unknown>;
  const sec = (n: string): Record<string, unknown> => (t[n] as Record<string, unknown>) ?? {};
  let pruning: PruningOptions;
  try {
    pruning = pruningOptions(String(t.pruning ?? "default"), t["pruning-keep-recent"] as string | undefined, t["pruning-interval"] as string | undefined);
  } catch (e) {
    if (e instanceof PruningConfigError) throw new CliError(`${file}: ${e.message}`);
    throw e;
  }
  return {
    minimumGasPrices: String(t["minimum-gas-prices"] ?? ""),
    abciAddress: String(sec("abci").address ?? "tcp://127.0.0.1:26658"),
    grpcEnable: sec("grpc").enable !== false,
    grpcAddress: String(sec("grpc").address ?? "127.0.0.1:9090"),
    metricsAddress: String(sec("telemetry").address ?? "127.0.0.1:26661"),
    logLevel: String(sec("log").level ?? "info"),
    pruning,
  };
}

export interface InitOptions {
  readonly home: string;
  readonly moniker: string;
  readonly chainId: string;
  readonly index?: number;
  readonly overwrite?: boolean;
  /** CometBFT's timeout_commit; localnets use short blocks. */
  readonly timeoutCommit?: string;
  /** p2p listen host; loopback by default so a dev node is not exposed. */
  readonly p2pHost?: string;
}

/** Creates a home with `cometbft init`, then writes inferchain's configs and genesis. */
export function initHome(o: InitOptions): { nodeId: string } {
  const p = paths(o.home);
  if (fs.existsSync(p.genesis) && !o.overwrite) throw new CliError(`${p.genesis} already exists (use --overwrite to start over)`);
  if (o.overwrite) {
    fs.rmSync(path.join(o.home, "data"), { recursive: true, force: true });
    fs.rmSync(p.genesis, { force: true });
  }
  fs.mkdirSync(o.home, { recursive: true });
  runCometbft(["init", "--home", o.home]);
  const ports = portsFor(o.index ?? 0);
  const toml = fs.readFileSync(p.cometConfig, "utf8");
  fs.writeFileSync(
    p.cometConfig,
    setTomlValues(toml, {
      moniker: o.moniker,
      proxy_app: `tcp://127.0.0.1:${ports.abci}`,
      "rpc.laddr": `tcp://127.0.0.1:${ports.rpc}`,
      "p2p.laddr": `tcp://${o.p2pHost ?? "127.0.0.1"}:${ports.p2p}`,
      "p2p.addr_book_strict": false,
      "p2p.allow_duplicate_ip": true,
      "consensus.timeout_commit": o.timeoutCommit ?? "1s",
      "tx_index.indexer": "kv",
      "instrumentation.prometheus_listen_addr": `127.0.0.1:${ports.cometMetrics}`,
      "rpc.pprof_laddr": "",
    }),
  );
  writeAppConfig(o.home, ports);
  writeClientConfig(o.home, { chainId: o.chainId, node: `tcp://127.0.0.1:${ports.rpc}`, keyringBackend: "test", output: "text", gasPrices: "0.025uinf" });
  const genesis = readGenesis(o.home);
  genesis.chain_id = o.chainId;
  genesis.app_state = defaultAppState();
  // CometBFT's default evidence age (100000 blocks) outlasts staking's 100-block unbonding: a
  // double-signer could unbond and leave before its evidence lands, and InitChain refuses it.
  // 50 = x/slashing's default max_evidence_age_blocks.
  const evidenceParams = (genesis.consensus_params ??= {}) as { evidence?: Record<string, unknown> };
  evidenceParams.evidence = { ...(evidenceParams.evidence ?? {}), max_age_num_blocks: "50" };
  // A bounded block: CometBFT's mempool reaps and the app's PrepareProposal/ProcessProposal
  // both stop at this gas (cometbft init writes -1, unlimited).
  const consensus = (genesis.consensus_params ??= {}) as { block?: { max_gas?: string } };
  consensus.block = { ...consensus.block, max_gas: DEFAULT_MAX_BLOCK_GAS.toString() };
  writeGenesis(o.home, genesis);
  return { nodeId: runCometbft(["show-node-id", "--home", o.home]).trim() };
}

export interface Genesis {
  chain_id: string;
  validators?: Array<{ address: string; pub_key: { type: string; value: string }; power: string; name: string }>;
  app_state: Record<string, unknown>;
  [k: string]: unknown;
}

export function readGenesis(home: string): Genesis {
  const file = paths(home).genesis;
  if (!fs.existsSync(file)) throw new CliError(`${file} not found: run \`inferd init\` first`);
  return JSON.parse(fs.readFileSync(file, "utf8")) as Genesis;
}

export function writeGenesis(home: string, g: Genesis): void {
  fs.writeFileSync(paths(home).genesis, JSON.stringify(g, null, 2) + "\n");
}

/** Adds (or tops up) a genesis account with a balance, as `genesis add-account` does. */
export function addGenesisAccount(g: Genesis, address: string, coins: Array<{ denom: string; amount: string }>): void {
  const auth = (g.app_state.auth ??= { accounts: [] }) as { accounts: Array<{ address: string }> };
  const bank = (g.app_state.bank ??= { balances: [] }) as { balances: Array<{ address: string; coins: Array<{ denom: string; amount: string }> }> };
  if (!auth.accounts.some((a) => a.address === address)) auth.accounts.push({ address });
  let entry = bank.balances.find((b) => b.address === address);
  if (!entry) {
    entry = { address, coins: [] };
    bank.balances.push(entry);
  }
  for (const c of coins) {
    const have = entry.coins.find((x) => x.denom === c.denom);
    if (have) have.amount = (BigInt(have.amount) + BigInt(c.amount)).toString();
    else entry.coins.push({ ...c });
  }
  entry.coins.sort((a, b) => (a.denom < b.denom ? -1 : 1));
}
