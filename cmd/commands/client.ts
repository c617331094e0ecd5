/** `inferd tx …`, `inferd query …` and `inferd status`: a Cosmos-style client built on CosmJS. */
import readline from "node:readline/promises";
import { Command, Option } from "commander";
import { GasPrice, SigningStargateClient, StargateClient, calculateFee, type StdFee } from "@cosmjs/stargate";
import { parseCoinsString, toWire } from "../../app/types/coins";
import { parseAddress } from "../../app/types/address";
import { CliError } from "../errors";
import { openKeyring, readPassphraseFromStdin } from "../keyring";
import { print, resolveClient, withClientFlags, type ClientFlags } from "../common";

interface TxFlags extends ClientFlags {
  from: string;
  fees?: string;
  gas: string;
  gasAdjustment: string;
  gasPrices?: string;
  memo: string;
  yes: boolean;
  broadcastMode: "sync" | "block";
}

function withTxFlags(cmd: Command): Command {
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

async function confirm(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(question);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

/** Signs `messages` with the --from key and broadcasts them; prints the result. */
async function signAndSend(f: TxFlags, messages: { typeUrl: string; value: unknown }[]): Promise<void> {
  const c = resolveClient(f);
  const keyring = await openKeyring({ home: c.home, backend: c.keyringBackend, passphrase: () => readPassphraseFromStdin("Enter keyring passphrase: ") });
  const key = await keyring.show(f.from);
  const signer = await keyring.signer(key.name);
  const gasPrice = GasPrice.fromString(f.gasPrices ?? c.gasPrices);
  const client = await SigningStargateClient.connectWithSigner(c.rpcUrl, signer, { gasPrice });
  try {
    const nodeChainId = await client.getChainId();
    if (c.chainId && c.chainId !== nodeChainId) {
      throw new CliError(`--chain-id ${c.chainId} does not match the node's chain ${nodeChainId} (${c.rpcUrl})`);
    }
    let fee: StdFee | "auto" | number;
    if (f.gas === "auto") {
      const adj = Number(f.gasAdjustment);
      if (!(adj >= 1)) throw new CliError("--gas-adjustment must be ≥ 1");
      const simulated = await client.simulate(key.address, messages, f.memo);
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
    if (f.broadcastMode === "sync") {
      const txhash = await client.signAndBroadcastSync(key.address, messages, fee, f.memo);
      print(c.output, { txhash, code: 0 });
      return;
    }
    const r = await client.signAndBroadcast(key.address, messages, fee, f.memo);
    print(c.output, {
      height: r.height,
      txhash: r.transactionHash,
      code: r.code,
      ...(r.code !== 0 ? { raw_log: r.rawLog ?? "" } : {}),
      gas_wanted: r.gasWanted,
      gas_used: r.gasUsed,
      events: c.output === "json" ? r.events : undefined,
    });
    if (r.code !== 0) process.exitCode = 1;
  } finally {
    client.disconnect();
  }
}

export function txCommand(): Command {
  const tx = new Command("tx").description("Sign and broadcast transactions");
  const bank = new Command("bank").description("x/bank transactions");
  bank.addCommand(
    withTxFlags(new Command("send"))
      .description("Send coins: inferd tx bank send <from_key_or_address> <to_address> <amount>")
      .argument("<from>", "sending key (same as --from)")
      .argument("<to_address>", "recipient (infer1…)")
      .argument("<amount>", "e.g. 1000uinf")
      .action(async (from: string, to: string, amount: string, f: TxFlags) => {
        parseAddress(to, undefined, "to address");
        const key = f.from ?? from;
        const kr = await openKeyring({ home: resolveClient(f).home, backend: resolveClient(f).keyringBackend });
        const fromAddr = (await kr.show(key)).address;
        await signAndSend({ ...f, from: key }, [
          { typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: { fromAddress: fromAddr, toAddress: to, amount: toWire(parseCoinsString(amount)) } },
        ]);
      }),
  );
  // `send` takes the sender positionally as in the Cosmos CLI; --from then defaults to it.
  const send = bank.commands.find((c) => c.name() === "send")!;
  const fromOpt = send.options.find((o) => o.long === "--from")!;
  fromOpt.mandatory = false;
  tx.addCommand(bank);
  return tx;
}

export function queryCommand(): Command {
  const q = new Command("query").alias("q").description("Query chain state (ABCI queries through CometBFT RPC)");
  const bank = new Command("bank").description("x/bank queries");
  bank.addCommand(
    withClientFlags(new Command("balances"))
      .description("All balances of an address (or one denom with --denom)")
      .argument("<address>", "infer1…")
      .option("--denom <denom>", "only this denom")
      .action(async (address: string, f: ClientFlags & { denom?: string }) => {
        parseAddress(address);
        const c = resolveClient(f);
        const client = await StargateClient.connect(c.rpcUrl);
        try {
          if (f.denom) print(c.output, { balance: await client.getBalance(address, f.denom) });
          else print(c.output, { balances: await client.getAllBalances(address), pagination: { next_key: null, total: "0" } });
        } finally {
          client.disconnect();
        }
      }),
  );
  q.addCommand(bank);
  const auth = new Command("auth").description("x/auth queries");
  auth.addCommand(
    withClientFlags(new Command("account"))
      .description("An account's number, sequence and public key")
      .argument("<address>", "infer1…")
      .action(async (address: string, f: ClientFlags) => {
        parseAddress(address);
        const c = resolveClient(f);
        const client = await StargateClient.connect(c.rpcUrl);
        try {
          const acc = await client.getAccount(address);
          if (!acc) throw new CliError(`account ${address} not found`);
          print(c.output, { address: acc.address, account_number: String(acc.accountNumber), sequence: String(acc.sequence), pub_key: acc.pubkey ?? null });
        } finally {
          client.disconnect();
        }
      }),
  );
  q.addCommand(auth);
  return q;
}

export function statusCommand(): Command {
  return withClientFlags(new Command("status"))
    .description("The node's status (CometBFT /status): node info, latest block, validator")
    .action(async (f: ClientFlags) => {
      const c = resolveClient(f);
      let res: Response;
      try {
        res = await fetch(`${c.rpcUrl}/status`);
      } catch (e) {
        throw new CliError(`cannot reach ${c.rpcUrl}: ${(e as Error).message}`);
      }
      const body = (await res.json()) as { result?: unknown; error?: unknown };
      if (!body.result) throw new CliError(`status failed: ${JSON.stringify(body.error)}`);
      print(c.output === "text" && !f.output ? "json" : c.output, body.result);
    });
}
