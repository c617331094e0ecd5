/** Flags, defaults and the signing path shared by the tx and query commands (Cosmos names). */
import { Option, type Command } from "commander";
import type { EncodeObject, Registry } from "@cosmjs/proto-signing";
import type { StdFee } from "@cosmjs/stargate";
import type { CheckTxResult } from "../client/broadcast";
import type { SignerAccount, TxSigner } from "../client/multiSign";
import { parseCoinsString, toWire } from "../base/types/coins";
import { DEFAULT_HOME, readClientConfig } from "../client/home";
import { expandHome } from "./commands/keys";
import { CliError } from "../client/errors";
import { loadKeyring } from "./keyring";

/**
 * Loaded when a command first signs, not when the commands are defined: `inferd --help`,
 * `status` and the queries never pay for CosmJS's signing side or the keyring (issue 12).
 */
const lazy = {
  readline: (): typeof import("node:readline/promises") => require("node:readline/promises"),
  protoSigning: (): typeof import("@cosmjs/proto-signing") => require("@cosmjs/proto-signing"),
  stargate: (): typeof import("@cosmjs/stargate") => require("@cosmjs/stargate"),
  cometRpc: (): typeof import("@cosmjs/tendermint-rpc") => require("@cosmjs/tendermint-rpc"),
  txProto: (): typeof import("cosmjs-types/cosmos/tx/v1beta1/tx") => require("cosmjs-types/cosmos/tx/v1beta1/tx"),
  slashingTxProto: (): typeof import("cosmjs-types/cosmos/slashing/v1beta1/tx") => require("cosmjs-types/cosmos/slashing/v1beta1/tx"),
  broadcast: (): typeof import("../client/broadcast") => require("../client/broadcast"),
  multiSign: (): typeof import("../client/multiSign") => require("../client/multiSign"),
  registry: (): typeof import("../client/registry") => require("../client/registry"),
  keyring: loadKeyring,
};

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

// ---------------------------------------------------------------------------- transactions

export interface TxFlags extends ClientFlags {
  from: string;
  fees?: string;
  gas: string;
  gasAdjustment: string;
  gasPrices?: string;
  memo: string;
  yes: boolean;
  broadcastMode: "sync" | "block";
}

export function withTxFlags(cmd: Command): Command {
  return withClientFlags(cmd)
    .addOption(new Option("--from <key>", "key name (or address) in the keyring that signs").makeOptionMandatory())
    .addOption(new Option("--fees <coins>", "fee to pay, e.g. 5000uinf (default: gas × gas price)"))
    .addOption(new Option("--gas <n|auto>", "gas limit, or auto to simulate first").default("200000"))
    .addOption(new Option("--gas-adjustment <x>", "multiplier on the simulated gas with --gas auto").default("1.4"))
    .addOption(new Option("--gas-prices <price>", "gas price when --fees is not given (default: client.toml, 0.025uinf)"))
    .addOption(new Option("--memo <text>", "memo").default(""))
    .addOption(new Option("--keyring-backend <backend>", "keyring backend").choices(["test", "file"]))
    .addOption(new Option("-y, --yes", "sign and broadcast without asking").default(false))
    .addOption(new Option("--broadcast-mode <mode>", "sync: return after CheckTx; block: wait for the tx in a block").choices(["sync", "block"]).default("block"));
}

/**
 * Every message type the CLI signs: the shared client registry (Cosmos defaults and all of
 * inferchain's messages, client/registry.ts) plus Cosmos's MsgUnjail, which CosmJS's
 * defaults lack.
 */
export function cliRegistry(): Registry {
  const { Registry } = lazy.protoSigning();
  const { MsgUnjail } = lazy.slashingTxProto();
  return new Registry([...lazy.stargate().defaultRegistryTypes, ...lazy.registry().inferchainTypes, ["/cosmos.slashing.v1beta1.MsgUnjail", MsgUnjail]]);
}

/** The --from key's address (the key's own, or the address given), without unlocking it. */
export async function fromAddress(f: TxFlags): Promise<string> {
  const { openKeyring, readPassphraseFromStdin } = lazy.keyring();
  const c = resolveClient(f);
  const keyring = await openKeyring({ home: c.home, backend: c.keyringBackend, passphrase: () => readPassphraseFromStdin("Enter keyring passphrase: ") });
  return (await keyring.show(f.from)).address;
}

async function confirm(question: string): Promise<boolean> {
  const rl = lazy.readline().createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(question);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

const TX_INCLUSION_TIMEOUT_MS = 60_000;

/** CometBFT's `broadcast_tx_sync` without CosmJS (client/broadcast.ts): a refusal keeps its code, codespace and log. */
async function checkTx(rpcUrl: string, tx: Uint8Array): Promise<CheckTxResult> {
  try {
    return await lazy.broadcast().broadcastTxSync(rpcUrl, tx);
  } catch (e) {
    throw new CliError(`cannot broadcast to ${rpcUrl}: ${(e as Error).message}`);
  }
}


/**
 * Signs `messages` with the --from key and broadcasts them; prints the result. A tx the node
 * refuses (CheckTx) or that fails in its block prints its code, codespace and log and makes
 * the command exit 1. `coSigners` (keyring names or addresses) sign after --from, which pays
 * the fee — MsgRegisterWorker's worker key (client/multiSign.ts).
 */
export async function signAndSend(f: TxFlags, messages: EncodeObject[], o: { coSigners?: readonly string[] } = {}): Promise<void> {
  const { GasPrice, QueryClient, SigningStargateClient, calculateFee, setupAuthExtension } = lazy.stargate();
  const { signMulti, signerAccounts, simulateMulti } = lazy.multiSign();
  const { openKeyring, readPassphraseFromStdin } = lazy.keyring();
  const c = resolveClient(f);
  const keyring = await openKeyring({ home: c.home, backend: c.keyringBackend, passphrase: () => readPassphraseFromStdin("Enter keyring passphrase: ") });
  const key = await keyring.show(f.from);
  const signer = await keyring.signer(key.name);
  const txSigners: TxSigner[] = [{ signer, address: key.address }];
  for (const name of o.coSigners ?? []) {
    const k = await keyring.show(name);
    txSigners.push({ signer: await keyring.signer(k.name), address: k.address });
  }
  const gasPrice = GasPrice.fromString(f.gasPrices ?? c.gasPrices);
  const client = await SigningStargateClient.connectWithSigner(c.rpcUrl, signer, { gasPrice, registry: cliRegistry() });
  const comet = txSigners.length > 1 ? await lazy.cometRpc().connectComet(c.rpcUrl) : undefined;
  try {
    let accounts: SignerAccount[] | undefined;
    const query = comet ? QueryClient.withExtensions(comet, setupAuthExtension) : undefined;
    if (query) {
      try {
        accounts = await signerAccounts(query, txSigners);
      } catch (e) {
        throw new CliError((e as Error).message);
      }
    }
    const nodeChainId = await client.getChainId();
    if (c.chainId && c.chainId !== nodeChainId) {
      throw new CliError(`--chain-id ${c.chainId} does not match the node's chain ${nodeChainId} (${c.rpcUrl})`);
    }
    let fee: StdFee;
    if (f.gas === "auto") {
      const adj = Number(f.gasAdjustment);
      if (!(adj >= 1)) throw new CliError("--gas-adjustment must be ≥ 1");
      const simulated = query && accounts ? await simulateMulti(query, accounts, cliRegistry(), messages, f.memo) : await client.simulate(key.address, messages, f.memo);
      const gas = Math.ceil(simulated * adj);
      fee = f.fees ? { amount: toWire(parseCoinsString(f.fees)), gas: String(gas) } : calculateFee(gas, gasPrice);
    } else {
      if (!/^[0-9]+$/.test(f.gas)) throw new CliError(`--gas must be a number or auto, got ${f.gas}`);
      fee = f.fees ? { amount: toWire(parseCoinsString(f.fees)), gas: f.gas } : calculateFee(Number(f.gas), gasPrice);
    }
    if (!f.yes && process.stdin.isTTY) {
      process.stderr.write(JSON.stringify({ messages, fee }, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n");
      if (!(await confirm("confirm transaction before signing and broadcasting [y/N]: "))) throw new CliError("cancelled", { exitCode: 1 });
    }
    const signed = accounts ? await signMulti(accounts, cliRegistry(), nodeChainId, messages, fee, f.memo) : await client.sign(key.address, messages, fee, f.memo);
    const txBytes = lazy.txProto().TxRaw.encode(signed).finish();
    const checked = await checkTx(c.rpcUrl, txBytes);
    if (checked.code !== 0) {
      // Refused by CheckTx: the same shape as a failed tx, without a height.
      print(c.output, { txhash: checked.hash, code: checked.code, codespace: checked.codespace, raw_log: checked.log });
      process.exitCode = 1;
      return;
    }
    if (f.broadcastMode === "sync") {
      print(c.output, { txhash: checked.hash, code: 0 });
      return;
    }
    const r = await lazy.broadcast().waitForTx(client, checked.hash, TX_INCLUSION_TIMEOUT_MS);
    if (!r) throw new CliError(`tx ${checked.hash} was accepted but not in a block after ${TX_INCLUSION_TIMEOUT_MS / 1000}s; look it up later with its hash`);
    print(c.output, {
      height: r.height,
      txhash: r.hash,
      code: r.code,
      ...(r.code !== 0 ? { raw_log: r.rawLog ?? "" } : {}),
      gas_wanted: r.gasWanted,
      gas_used: r.gasUsed,
      events: c.output === "json" ? r.events : undefined,
    });
    if (r.code !== 0) process.exitCode = 1;
  } finally {
    client.disconnect();
    comet?.disconnect();
  }
}

/** A query or message value as Cosmos JSON: snake_case keys, bigints as strings, bytes as base64. */
export function toCosmosJson(v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
  if (Array.isArray(v)) return v.map(toCosmosJson);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (x === undefined) continue;
      out[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = toCosmosJson(x);
    }
    return out;
  }
  return v;
}

/** Rows as an aligned text table (human output of list queries). */
export function printTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ");
  process.stdout.write([line(headers), ...rows.map(line)].join("\n") + "\n");
}
