/** `inferd tx …`, `inferd query …` and `inferd status`: a Cosmos-style client built on CosmJS. */
import { Command } from "commander";
import { parseCoinsString, toWire } from "../../base/types/coins";
import { CliError } from "../../client/errors";
import { print, resolveClient, signAndSend, withClientFlags, withTxFlags, type ClientFlags, type TxFlags } from "../common";
import { loadKeyring } from "../keyring";

/** Loaded by the command that runs, not when the CLI is defined (issue 12). */
const lazy = {
  stargate: (): typeof import("@cosmjs/stargate") => require("@cosmjs/stargate"),
  address: (): typeof import("../../base/types/address") => require("../../base/types/address"),
  keyring: loadKeyring,
};

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
        lazy.address().parseAddress(to, undefined, "to address");
        const key = f.from ?? from;
        const kr = await lazy.keyring().openKeyring({ home: resolveClient(f).home, backend: resolveClient(f).keyringBackend });
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
        lazy.address().parseAddress(address);
        const c = resolveClient(f);
        const client = await lazy.stargate().StargateClient.connect(c.rpcUrl);
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
        lazy.address().parseAddress(address);
        const c = resolveClient(f);
        const client = await lazy.stargate().StargateClient.connect(c.rpcUrl);
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
