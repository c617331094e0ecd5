/**
 * The home directory's layout and what a client reads from it (server/home.ts writes a node's
 * configs and genesis). Laid out as a Cosmos SDK node's:
 *   config/config.toml     CometBFT's own config (written by `cometbft init`, then edited)
 *   config/genesis.json    CometBFT genesis with inferchain's `app_state`
 *   config/app.toml        the app: ABCI and gRPC addresses, minimum gas prices, pruning, metrics
 *   config/client.toml     CLI defaults: chain id, node RPC, keyring backend, output
 *   data/                  CometBFT's databases, and data/application.db (the app's LevelDB)
 *   keyring-test/, keyring-file/
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse as parseToml } from "smol-toml";

export const DEFAULT_HOME = path.join(os.homedir(), ".inferchain");

/** The keyring names a home made by `inferd init` / `inferd localnet init` has: the operator key and the sidecar's hot worker key. */
export const VALIDATOR_KEY = "validator";
export const WORKER_KEY = "worker";

/** The keyring's backends (keys in keyring-<backend>/; client/keyring.ts), here so the CLI defines its flags without loading the keyring. */
export type KeyringBackend = "test" | "file";
export const KEYRING_BACKENDS: readonly KeyringBackend[] = ["test", "file"];
/** Scripts and CI set this instead of typing the file backend's passphrase. */
export const PASSPHRASE_ENV = "INFERD_KEYRING_PASSPHRASE";

/** Port layout of node i: each default port + 100·i. */
export interface Ports {
  readonly p2p: number;
  readonly rpc: number;
  readonly abci: number;
  readonly grpc: number;
  readonly metrics: number;
  readonly sidecarMetrics: number;
  readonly cometMetrics: number;
}

export function portsFor(index: number): Ports {
  const o = 100 * index;
  return { p2p: 26656 + o, rpc: 26657 + o, abci: 26658 + o, grpc: 9090 + o, metrics: 26661 + o, sidecarMetrics: 26662 + o, cometMetrics: 26660 + o };
}

export const paths = (home: string) => ({
  config: path.join(home, "config"),
  cometConfig: path.join(home, "config", "config.toml"),
  genesis: path.join(home, "config", "genesis.json"),
  appConfig: path.join(home, "config", "app.toml"),
  clientConfig: path.join(home, "config", "client.toml"),
  appDb: path.join(home, "data", "application.db"),
  privValidatorKey: path.join(home, "config", "priv_validator_key.json"),
});

/**
 * Sets `key = value` inside `[section]` ("" = top level) of a TOML file, keeping comments
 * and layout. Throws if the key is not there, so a CometBFT config change cannot go unnoticed.
 */
export function setTomlValues(text: string, values: Record<string, string | number | boolean>): string {
  const lines = text.split("\n");
  const pending = new Map(Object.entries(values));
  let section = "";
  for (let i = 0; i < lines.length; i++) {
    const sec = /^\s*\[([^\]]+)\]\s*$/.exec(lines[i]);
    if (sec) {
      section = sec[1].trim();
      continue;
    }
    const kv = /^(\s*)([A-Za-z0-9_.-]+)(\s*=\s*)(.*)$/.exec(lines[i]);
    if (!kv) continue;
    const full = section ? `${section}.${kv[2]}` : kv[2];
    if (!pending.has(full)) continue;
    const v = pending.get(full)!;
    lines[i] = `${kv[1]}${kv[2]}${kv[3]}${typeof v === "string" ? JSON.stringify(v) : String(v)}`;
    pending.delete(full);
  }
  if (pending.size > 0) throw new Error(`config keys not found: ${[...pending.keys()].join(", ")}`);
  return lines.join("\n");
}

export interface ClientConfig {
  readonly chainId: string;
  readonly node: string;
  readonly keyringBackend: string;
  readonly output: string;
  readonly gasPrices: string;
}

export function writeClientConfig(home: string, c: ClientConfig): void {
  const text = `# inferd client defaults (flags override them)
chain-id = "${c.chainId}"
node = "${c.node}"
keyring-backend = "${c.keyringBackend}"
output = "${c.output}"
gas-prices = "${c.gasPrices}"
`;
  fs.writeFileSync(paths(home).clientConfig, text);
}

export function readClientConfig(home: string): ClientConfig | undefined {
  const file = paths(home).clientConfig;
  if (!fs.existsSync(file)) return undefined;
  const t = parseToml(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  return {
    chainId: String(t["chain-id"] ?? ""),
    node: String(t.node ?? "tcp://127.0.0.1:26657"),
    keyringBackend: String(t["keyring-backend"] ?? "test"),
    output: String(t.output ?? "text"),
    gasPrices: String(t["gas-prices"] ?? "0.025uinf"),
  };
}
