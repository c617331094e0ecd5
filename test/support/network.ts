/**
 * Multi-node networks for integration tests: `inferd localnet init` (the built CLI) writes N
 * validator homes sharing one genesis on the ports of indexes offset..offset+N-1, `inferd
 * localnet add-node` adds full nodes, and each node runs as its own `inferd start` process
 * group (a `TestNode` from ./node), so one validator can be stopped, killed or restarted
 * while the others go on. Each test file passes its own offset range so no two files share
 * ports; everything binds to 127.0.0.1.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fromBech32, toBech32 } from "@cosmjs/encoding";
import { sha256 } from "@cosmjs/crypto";
import type { EncodeObject } from "@cosmjs/proto-signing";
import type { SigningStargateClient, StdFee } from "@cosmjs/stargate";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { paths, portsFor, setTomlValues, type Ports } from "../../client/home";
import { inferdOk, latestHeight, rpc, sleep, TestNode, type GenesisAccount, type TestHome } from "./node";

const PID_FILE = "node.pid";
const DIR_PREFIX = "inferchain-mn";

export interface NetworkOptions {
  /** Validators made by `localnet init` (homes node0..N-1). */
  readonly validators: number;
  /**
   * Port indexes this file may use: the network takes the first free run of `validators + extra`
   * indexes in [from, to]. Keep every index ≤ 61: above it a node's ports (up to 26662 + 100·k)
   * fall in Linux's ephemeral range (32768+), where an outgoing connection can hold the port a
   * node or sidecar is about to listen on. In use: 4–11 double sign, 12–19 determinism, 21–27
   * and 35 single nodes, 28–34 liveness, 36–43 chaos, 44–45 SLA, 46–49 downtime, 50–55 multinode,
   * 56–61 challenge and fraud (their localnets one after the other; test/support/localnet.ts; fraud
   * waits while they are taken), 56–59 the
   * compose test (after jest).
   */
  readonly portRange: readonly [number, number];
  /** Full nodes added with `localnet add-node` (homes nodeN…); `twinOf` copies that validator's consensus key (a double signer). */
  readonly extraNodes?: ReadonlyArray<{ readonly twinOf?: number }>;
  readonly timeoutCommit?: string;
  readonly accounts?: readonly GenesisAccount[];
  readonly chainId?: string;
  /** CometBFT config.toml values set on every home after init (e.g. `consensus.timeout_propose`). */
  readonly cometConfig?: Readonly<Record<string, string | number | boolean>>;
}

/** What the tests need to know about a genesis validator. */
export interface ValidatorInfo {
  /** infervaloper1… */
  readonly operator: string;
  /** infer1… account of the operator (key "validator" in its home's test keyring). */
  readonly account: string;
  /** base64 ed25519 key, as in priv_validator_key.json */
  readonly consPubkey: string;
  /** CometBFT's address: upper-case hex of sha256(pubkey)[:20] */
  readonly hexAddress: string;
  /** infervalcons1… */
  readonly consAddress: string;
}

export function consAddresses(pubkeyB64: string): { hexAddress: string; consAddress: string } {
  const addr = sha256(Buffer.from(pubkeyB64, "base64")).slice(0, 20);
  return { hexAddress: Buffer.from(addr).toString("hex").toUpperCase(), consAddress: toBech32("infervalcons", addr) };
}

export function accountOf(operator: string): string {
  return toBech32("infer", fromBech32(operator).data);
}

// ---------------------------------------------------------------------------- ports and leftovers

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host: "127.0.0.1", exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

function allPorts(p: Ports): number[] {
  return [p.p2p, p.rpc, p.abci, p.grpc, p.metrics, p.cometMetrics];
}

/** The first offset in [from, to − count + 1] whose `count` port indexes are all free. */
export async function freeOffset(count: number, [from, to]: readonly [number, number]): Promise<number> {
  for (let k = from; k + count - 1 <= to; k++) {
    let ok = true;
    for (let i = k; i < k + count && ok; i++) ok = (await Promise.all(allPorts(portsFor(i)).map(portFree))).every(Boolean);
    if (ok) return k;
  }
  throw new Error(`no ${count} free port indexes in ${from}..${to}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills node process groups left by multi-node test processes that died without cleaning up (their owner is gone). */
function reapStaleNetworks(): void {
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = path.join(os.tmpdir(), name);
    let homes: string[];
    try {
      homes = fs.readdirSync(dir).filter((d) => /^node[0-9]+$/.test(d));
    } catch {
      continue;
    }
    for (const h of homes) {
      const file = path.join(dir, h, PID_FILE);
      try {
        const { pgid, owner } = JSON.parse(fs.readFileSync(file, "utf8")) as { pgid: number; owner: number };
        if (alive(owner)) continue;
        try {
          process.kill(-pgid, "SIGKILL");
        } catch {
          // gone already
        }
        fs.rmSync(file, { force: true });
      } catch {
        // no pid file
      }
    }
  }
}

// ---------------------------------------------------------------------------- the network

export class TestNetwork {
  private constructor(
    /** The localnet directory (DIR/node0…). */
    readonly dir: string,
    readonly chainId: string,
    readonly nodes: readonly TestNode[],
    /** Genesis validators, by node index (0..validators-1). */
    readonly validators: readonly ValidatorInfo[],
  ) {}

  /** `localnet init` (+ `localnet add-node` per extra node) in a fresh temp dir; nothing is started. */
  static async create(o: NetworkOptions): Promise<TestNetwork> {
    reapStaleNetworks();
    const extra = o.extraNodes ?? [];
    const offset = await freeOffset(o.validators + extra.length, o.portRange);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${DIR_PREFIX}${offset}-`));
    const chainId = o.chainId ?? `mn-${offset}`;
    const args = ["localnet", "init", "--validators", String(o.validators), "--output", dir, "--overwrite", "--chain-id", chainId];
    args.push("--timeout-commit", o.timeoutCommit ?? "300ms", "--port-offset", String(offset));
    for (const a of o.accounts ?? []) args.push("--account", `${a.address}=${a.amount}uinf`);
    await inferdOk(args, { timeoutMs: 120_000 });
    for (const [j, x] of extra.entries()) {
      const addArgs = ["localnet", "add-node", "--output", dir, "--moniker", `full${j}`];
      if (x.twinOf !== undefined) addArgs.push("--priv-validator-key", paths(path.join(dir, `node${x.twinOf}`)).privValidatorKey);
      await inferdOk(addArgs, { timeoutMs: 60_000 });
    }
    const total = o.validators + extra.length;
    const homes = Array.from({ length: total }, (_, i) => path.join(dir, `node${i}`));
    if (o.cometConfig) {
      for (const home of homes) {
        const file = paths(home).cometConfig;
        fs.writeFileSync(file, setTomlValues(fs.readFileSync(file, "utf8"), o.cometConfig));
      }
    }
    const nodes = homes.map((home, i) => {
      const ports = portsFor(offset + i);
      const h: TestHome = {
        dir: home,
        home,
        index: offset + i,
        ports,
        chainId,
        rpcUrl: `http://127.0.0.1:${ports.rpc}`,
        grpcAddress: `127.0.0.1:${ports.grpc}`,
        logFile: path.join(home, "inferd.log"),
      };
      return new TestNode(h);
    });
    const genesis = JSON.parse(fs.readFileSync(paths(homes[0]).genesis, "utf8")) as {
      app_state: { staking: { validators: Array<{ operator_address: string; consensus_pubkey: string }> } };
    };
    const validators = genesis.app_state.staking.validators.map((v) => ({
      operator: v.operator_address,
      account: accountOf(v.operator_address),
      consPubkey: v.consensus_pubkey,
      ...consAddresses(v.consensus_pubkey),
    }));
    return new TestNetwork(dir, chainId, nodes, validators);
  }

  home(i: number): string {
    return this.nodes[i].h.home;
  }

  rpcUrl(i: number): string {
    return this.nodes[i].h.rpcUrl;
  }

  /** Starts the given nodes (default: every validator's) at once and waits until each has a block ≥ minHeight. */
  async start(indices: readonly number[] = this.validators.map((_, i) => i), minHeight = 1, timeoutMs = 120_000): Promise<void> {
    await Promise.all(indices.map((i) => this.nodes[i].start({ minHeight, timeoutMs })));
  }

  /** The height of the first node in `among` that answers (−1 if none does). */
  async height(among: readonly number[] = this.nodes.map((_, i) => i)): Promise<number> {
    for (const i of among) {
      if (!this.nodes[i].running) continue;
      const h = await latestHeight(this.rpcUrl(i));
      if (h >= 0) return h;
    }
    return -1;
  }

  /** Waits until node `via` has committed height ≥ h. */
  async waitForHeight(h: number, via = 0, timeoutMs = 60_000): Promise<number> {
    return this.nodes[via].waitForHeight(h, timeoutMs);
  }

  /** Polls `check` (every `intervalMs`) until it returns something other than undefined. */
  async waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 90_000, intervalMs = 300): Promise<T> {
    return waitUntil(what, check, timeoutMs, intervalMs, async () => ` (height ${await this.height()})`);
  }

  /** Waits until node `via`'s mempool is empty (every tx sent through it is in a block or dropped). */
  async waitForEmptyMempool(via = 0, timeoutMs = 30_000): Promise<void> {
    await this.waitFor("an empty mempool", async () => ((await rpc<{ n_txs: string }>(this.rpcUrl(via), "num_unconfirmed_txs")).n_txs === "0" ? true : undefined), timeoutMs);
  }

  /** CometBFT's `/validators` at the latest height (or `height`): hex address → voting power. */
  async cometValidators(via = 0, height?: number): Promise<Map<string, number>> {
    const r = await rpc<{ validators: Array<{ address: string; voting_power: string }> }>(this.rpcUrl(via), "validators", {
      ...(height !== undefined ? { height: String(height) } : {}),
      per_page: "100",
    });
    return new Map(r.validators.map((v) => [v.address, Number(v.voting_power)]));
  }

  /** Stops every node (in parallel); removes the directory unless `keep` (a test failed). */
  async stop(keep = false): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
    if (keep || process.env.INFERCHAIN_KEEP_TEST_HOMES) {
      process.stderr.write(`kept ${this.dir} (logs: ${this.dir}/node*/inferd.log)\n`);
      return;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * For a failing test's message: per node, its last `lines` log lines that are not CometBFT's
   * routine info lines (errors, warnings, the app's own log), and its height.
   */
  logTails(lines = 8): string {
    return this.nodes
      .map((n) => {
        const file = n.h.logFile;
        if (!fs.existsSync(file)) return `--- ${file}: no log ---`;
        const all = fs.readFileSync(file, "utf8").split("\n");
        const notable = all.filter((l) => l.trim() !== "" && !l.startsWith("I["));
        return `--- ${file} (${n.running ? "running" : "stopped"}; last of ${all.length} lines: ${all.at(-2) ?? ""}) ---\n${notable.slice(-lines).join("\n")}`;
      })
      .join("\n");
  }
}

/**
 * Polls `check` (every `intervalMs`) until it returns something other than undefined; after
 * `timeoutMs` throws, naming `what`, `where()` (e.g. the height) and the last error `check` threw.
 */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, intervalMs: number, where: () => Promise<string> = async () => ""): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${await where()}${lastError ? `; last error: ${(lastError as Error).message}` : ""}`);
    }
    await sleep(intervalMs);
  }
}

/** Like `withNodeLogs`: a failing test's message carries every node's log tail, and the network's dir is kept. */
export function withNetworkLogs(getNet: () => TestNetwork | undefined, fn: () => Promise<void>, failures: { count: number }): () => Promise<void> {
  return async () => {
    try {
      await fn();
    } catch (e) {
      failures.count++;
      const n = getNet();
      if (n && e instanceof Error) e.message = `${e.message}\n\n${n.logTails()}`;
      throw e;
    }
  };
}

// ---------------------------------------------------------------------------- txs

export interface TxOutcome {
  readonly hash: string;
  readonly code: number;
  readonly codespace: string;
  readonly log: string;
  /** Block height, or undefined when CheckTx (or a recheck: code −1) refused the tx. */
  readonly height?: number;
}

/**
 * Signs with CosmJS (`client.sign`), broadcasts with CometBFT's `broadcast_tx_sync` and waits for
 * the tx in a block through the `tx` RPC. For setup steps that must not depend on how CosmJS
 * decodes broadcast responses; the tests of CosmJS itself call its own methods.
 */
export async function sendTx(client: SigningStargateClient, rpcUrl: string, signer: string, msgs: EncodeObject[], fee: StdFee | "auto" = "auto", timeoutMs = 60_000): Promise<TxOutcome> {
  let stdFee: StdFee;
  if (fee === "auto") {
    const gas = Math.ceil((await client.simulate(signer, msgs, "")) * 1.5);
    stdFee = { amount: [{ denom: "uinf", amount: String(Math.ceil(gas * 0.025)) }], gas: String(gas) };
  } else {
    stdFee = fee;
  }
  const raw = await client.sign(signer, msgs, stdFee, "");
  const bytes = TxRaw.encode(raw).finish();
  const hash = Buffer.from(sha256(bytes)).toString("hex").toUpperCase();
  const b64 = Buffer.from(bytes).toString("base64");
  const sentAt = await latestHeight(rpcUrl);
  const check = await rpc<{ code: number; codespace: string; log: string }>(rpcUrl, "broadcast_tx_sync", { tx: b64 }, 10_000);
  if (check.code !== 0) return { hash, code: check.code, codespace: check.codespace, log: check.log };
  const deadline = Date.now() + timeoutMs;
  const lookup = async (): Promise<TxOutcome | undefined> => {
    try {
      const r = await rpc<{ height: string; tx_result: { code: number; codespace: string; log: string } }>(rpcUrl, "tx", { hash: Buffer.from(hash, "hex").toString("base64") }, 5000);
      return { hash, code: r.tx_result.code, codespace: r.tx_result.codespace, log: r.tx_result.log, height: Number(r.height) };
    } catch {
      return undefined;
    }
  };
  for (;;) {
    const found = await lookup();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`tx ${hash} not in a block after ${timeoutMs} ms`);
    // A tx that fails CometBFT's recheck after a block leaves the mempool and is never included.
    if ((await latestHeight(rpcUrl)) >= sentAt + 3) {
      const pending = await rpc<{ txs: string[] | null }>(rpcUrl, "unconfirmed_txs", { limit: "100" });
      if (!(pending.txs ?? []).includes(b64)) return (await lookup()) ?? { hash, code: -1, codespace: "mempool", log: "dropped from the mempool (failed a recheck)" };
    }
    await sleep(250);
  }
}

/** Like `sendTx`, but throws unless the tx succeeded in a block. */
export async function sendTxOk(client: SigningStargateClient, rpcUrl: string, signer: string, msgs: EncodeObject[]): Promise<number> {
  const r = await sendTx(client, rpcUrl, signer, msgs);
  if (r.code !== 0 || r.height === undefined) throw new Error(`tx failed: code ${r.code} (${r.codespace}) ${r.log}`);
  return r.height;
}
