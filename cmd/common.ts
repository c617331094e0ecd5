/** Flags and defaults shared by the tx and query commands (Cosmos names). */
import { Option, type Command } from "commander";
import { DEFAULT_HOME, readClientConfig } from "./home";
import { expandHome } from "./commands/keys";
import { CliError } from "./errors";

export interface ClientFlags {
  home: string;
  node?: string;
  chainId?: string;
  output?: string;
  keyringBackend?: string;
}

export function withClientFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option("--home <dir>", "node home directory (for client.toml and the keyring)").default(DEFAULT_HOME))
    .addOption(new Option("--node <url>", "CometBFT RPC endpoint (default: the home's client.toml, else tcp://127.0.0.1:26657)"))
    .addOption(new Option("--chain-id <id>", "chain id (default: the home's client.toml)"))
    .addOption(new Option("--output <format>", "output format").choices(["text", "json"]));
}

export interface ResolvedClient {
  readonly home: string;
  readonly rpcUrl: string;
  readonly chainId: string | undefined;
  readonly output: "text" | "json";
  readonly keyringBackend: "test" | "file";
  readonly gasPrices: string;
}

/** Flags first, then the home's client.toml, then defaults. `tcp://` becomes `http://` for RPC. */
export function resolveClient(f: ClientFlags): ResolvedClient {
  const home = expandHome(f.home);
  const cfg = readClientConfig(home);
  const node = f.node ?? cfg?.node ?? "tcp://127.0.0.1:26657";
  const backend = f.keyringBackend ?? cfg?.keyringBackend ?? "test";
  if (backend !== "test" && backend !== "file") throw new CliError(`unknown keyring backend ${backend}`);
  const output = f.output ?? cfg?.output ?? "text";
  return {
    home,
    rpcUrl: node.replace(/^tcp:\/\//, "http://"),
    chainId: f.chainId ?? (cfg?.chainId || undefined),
    output: output === "json" ? "json" : "text",
    keyringBackend: backend,
    gasPrices: cfg?.gasPrices ?? "0.025uinf",
  };
}

/** Prints a value as JSON, or as indented `key: value` lines (Cosmos CLI's human output). */
export function print(output: "text" | "json", value: unknown): void {
  const json = JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
  if (output === "json") {
    process.stdout.write(json + "\n");
    return;
  }
  process.stdout.write(toText(JSON.parse(json) as unknown, 0) + "\n");
}

function toText(v: unknown, indent: number): string {
  const pad = " ".repeat(indent);
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return v.map((x) => `${pad}- ${toText(x, indent + 2).trimStart()}`).join("\n");
  }
  if (v !== null && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 0) return "{}";
    return entries
      .map(([k, x]) => (x !== null && typeof x === "object" && (Array.isArray(x) ? x.length > 0 : Object.keys(x).length > 0) ? `${pad}${k}:\n${toText(x, indent + 2)}` : `${pad}${k}: ${toText(x, 0)}`))
      .join("\n");
  }
  return String(v);
}
