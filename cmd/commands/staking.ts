/**
 * `inferd tx staking|slashing …` and `inferd query staking|slashing …`: validators,
 * delegations, unbonding, worker keys, unjailing, signing infos and slash events. Cosmos
 * messages and queries through CosmJS (`setupStakingExtension`, `setupSlashingExtension`),
 * inferchain's own through the generated types.
 */
import fs from "node:fs";
import { Command, Option } from "commander";
import type { QueryClient, StakingExtension, setupSlashingExtension } from "@cosmjs/stargate";
import type { Validator as CosmosValidator } from "cosmjs-types/cosmos/staking/v1beta1/staking";
import type { MsgCreateValidator, MsgDelegate, MsgUndelegate } from "cosmjs-types/cosmos/staking/v1beta1/tx";
import type { MsgUnjail } from "cosmjs-types/cosmos/slashing/v1beta1/tx";
import type { MsgRegisterWorker } from "../../gen/inferchain/staking/v1/tx";
import { parseCoinsString, toWire } from "../../base/types/coins";
import { POWER_REDUCTION } from "../../base/types/staking";
import { CliError } from "../../client/errors";
import { paths } from "../../client/home";
import { fromAddress, print, printTable, resolveClient, signAndSend, toCosmosJson, withClientFlags, withTxFlags, type ClientFlags, type TxFlags } from "../common";
import { loadKeyring } from "../keyring";

/** Loaded by the command that runs, not when the CLI is defined (issue 12). */
const lazy = {
  encoding: (): typeof import("@cosmjs/encoding") => require("@cosmjs/encoding"),
  crypto: (): typeof import("@cosmjs/crypto") => require("@cosmjs/crypto"),
  stargate: (): typeof import("@cosmjs/stargate") => require("@cosmjs/stargate"),
  cometRpc: (): typeof import("@cosmjs/tendermint-rpc") => require("@cosmjs/tendermint-rpc"),
  ed25519Proto: (): typeof import("cosmjs-types/cosmos/crypto/ed25519/keys") => require("cosmjs-types/cosmos/crypto/ed25519/keys"),
  stakingProto: (): typeof import("cosmjs-types/cosmos/staking/v1beta1/staking") => require("cosmjs-types/cosmos/staking/v1beta1/staking"),
  stakingQuery: (): typeof import("../../gen/inferchain/staking/v1/query") => require("../../gen/inferchain/staking/v1/query"),
  slashingQuery: (): typeof import("../../gen/inferchain/slashing/v1/query") => require("../../gen/inferchain/slashing/v1/query"),
  address: (): typeof import("../../base/types/address") => require("../../base/types/address"),
  keyring: loadKeyring,
};

const DEC_DECIMALS = 18;
const ED25519_TYPE_URL = "/cosmos.crypto.ed25519.PubKey";

// ---------------------------------------------------------------------------- parsing

/** The account (infer1…) and operator (infervaloper1…) forms of one address. */
function operatorOf(account: string): string {
  const { Bech32Prefix, parseAddress } = lazy.address();
  return lazy.encoding().toBech32(Bech32Prefix.operator, parseAddress(account, Bech32Prefix.account, "account"));
}

function checkOperator(valoper: string): string {
  const { Bech32Prefix, parseAddress } = lazy.address();
  parseAddress(valoper, Bech32Prefix.operator, "validator address");
  return valoper;
}

/** `5000000uinf`, or a bare integer meaning uinf; exactly one coin. */
function parseCoin(s: string, what: string): { denom: string; amount: string } {
  const coins = toWire(parseCoinsString(/^[0-9]+$/.test(s.trim()) ? `${s.trim()}uinf` : s));
  if (coins.length !== 1) throw new CliError(`${what} must be one coin, e.g. 5000000uinf; got ${JSON.stringify(s)}`);
  if (BigInt(coins[0].amount) <= 0n) throw new CliError(`${what} must be positive`);
  return coins[0];
}

/**
 * A decimal in 0..1 ("0.10", "1", ".05") → Cosmos Dec atomics (18 implied decimals). The chain
 * keeps commission in ppm, so at most 6 decimals may be non-zero.
 */
export function parseDecFraction(s: string, what: string): string {
  const m = /^([0-9]*)(?:\.([0-9]*))?$/.exec(s.trim());
  if (!m || (m[1] === "" && (m[2] ?? "") === "")) throw new CliError(`${what} must be a decimal such as 0.10, got ${JSON.stringify(s)}`);
  const frac = (m[2] ?? "").replace(/0+$/, "");
  if (frac.length > 6) throw new CliError(`${what} ${s} has more precision than the chain keeps (6 decimals, ppm)`);
  const atomics = BigInt(m[1] === "" ? "0" : m[1]) * 10n ** BigInt(DEC_DECIMALS) + BigInt((frac || "0").padEnd(DEC_DECIMALS, "0"));
  if (atomics > 10n ** BigInt(DEC_DECIMALS)) throw new CliError(`${what} must be at most 1, got ${s}`);
  return atomics.toString();
}

/** Dec atomics → "0.100000000000000000" (Cosmos's JSON form). */
export function formatDec(atomics: string): string {
  const neg = atomics.startsWith("-");
  const digits = (neg ? atomics.slice(1) : atomics).padStart(DEC_DECIMALS + 1, "0");
  return `${neg ? "-" : ""}${digits.slice(0, -DEC_DECIMALS)}.${digits.slice(-DEC_DECIMALS)}`;
}

/** ppm → "0.01" (short decimal, human output). */
function formatPpm(ppm: bigint): string {
  const s = (ppm < 0n ? -ppm : ppm).toString().padStart(7, "0");
  const frac = s.slice(-6).replace(/0+$/, "");
  return `${ppm < 0n ? "-" : ""}${s.slice(0, -6)}${frac ? "." + frac : ""}`;
}

/**
 * A consensus public key from `--pubkey`: a priv_validator_key.json (or any CometBFT key file
 * with `pub_key.value`), Cosmos JSON (`{"@type":"/cosmos.crypto.ed25519.PubKey","key":"…"}`),
 * or the base64 of the 32 key bytes.
 */
export function parseConsensusPubkey(arg: string): Uint8Array {
  let b64: string | undefined;
  let text = arg.trim();
  if (!text.startsWith("{") && fs.existsSync(text)) text = fs.readFileSync(text, "utf8").trim();
  if (text.startsWith("{")) {
    let j: { key?: unknown; value?: unknown; pub_key?: { value?: unknown; type?: unknown }; "@type"?: unknown; type?: unknown };
    try {
      j = JSON.parse(text) as typeof j;
    } catch (e) {
      throw new CliError(`--pubkey: not JSON: ${(e as Error).message}`);
    }
    const type = j.pub_key?.type ?? j["@type"] ?? j.type;
    if (type !== undefined && type !== "tendermint/PubKeyEd25519" && type !== ED25519_TYPE_URL) throw new CliError(`--pubkey: only ed25519 keys, got ${String(type)}`);
    const v = j.pub_key?.value ?? j.key ?? j.value;
    if (typeof v === "string") b64 = v;
  } else {
    b64 = text;
  }
  if (b64 === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new CliError(`--pubkey: want base64 of a 32-byte ed25519 key, a key file, or Cosmos JSON; got ${JSON.stringify(arg)}`);
  const key = Buffer.from(b64, "base64");
  if (key.length !== 32) throw new CliError(`--pubkey: an ed25519 key is 32 bytes, got ${key.length}`);
  return new Uint8Array(key);
}

/** infervalcons1… of an ed25519 consensus key: sha256(pubkey)[:20], as CometBFT addresses it. */
export function consAddressOf(pubkey: Uint8Array): string {
  return lazy.encoding().toBech32(lazy.address().Bech32Prefix.consensus, lazy.crypto().sha256(pubkey).slice(0, 20));
}

// ---------------------------------------------------------------------------- queries

/** CosmJS exports the slashing extension's setup but not its type. */
type SlashingExtension = ReturnType<typeof setupSlashingExtension>;
type Queries = QueryClient & StakingExtension & SlashingExtension;

/** Runs `fn` with a query client on the node; a failed ABCI query becomes a one-line CliError. */
async function withQueries<T>(f: ClientFlags, fn: (q: Queries) => Promise<T>): Promise<T> {
  const c = resolveClient(f);
  let comet;
  try {
    comet = await lazy.cometRpc().connectComet(c.rpcUrl);
  } catch (e) {
    throw new CliError(`cannot reach ${c.rpcUrl}: ${(e as Error).message}`);
  }
  try {
    const { QueryClient, setupSlashingExtension, setupStakingExtension } = lazy.stargate();
    return await fn(QueryClient.withExtensions(comet, setupStakingExtension, setupSlashingExtension));
  } catch (e) {
    if (e instanceof CliError) throw e;
    const msg = (e as Error).message ?? String(e);
    // "Query failed with (22): rpc error: code = NotFound desc = validator … not found: key not found"
    const m = /desc = (.*)$/s.exec(msg);
    throw new CliError(m ? m[1].replace(/: key not found$/, "") : msg, { cause: e });
  } finally {
    comet.disconnect();
  }
}

async function abci<Req, Res>(q: QueryClient, path: string, reqCodec: { encode(m: Req): { finish(): Uint8Array } }, req: Req, resCodec: { decode(b: Uint8Array): Res }): Promise<Res> {
  const r = await q.queryAbci(path, reqCodec.encode(req).finish());
  return resCodec.decode(r.value);
}

const STATUS_FILTERS = ["bonded", "unbonding", "unbonded"] as const;

/** A validator as the CLI shows it (Cosmos JSON field names, plus power and consensus address). */
function validatorView(v: CosmosValidator): Record<string, unknown> {
  const { BondStatus } = lazy.stakingProto();
  const STATUS_NAMES: Readonly<Record<number, string>> = {
    [BondStatus.BOND_STATUS_UNSPECIFIED]: "UNSPECIFIED",
    [BondStatus.BOND_STATUS_UNBONDED]: "UNBONDED",
    [BondStatus.BOND_STATUS_UNBONDING]: "UNBONDING",
    [BondStatus.BOND_STATUS_BONDED]: "BONDED",
  };
  let consPubkey: Uint8Array | undefined;
  if (v.consensusPubkey?.typeUrl === ED25519_TYPE_URL) consPubkey = lazy.ed25519Proto().PubKey.decode(v.consensusPubkey.value).key;
  const rates = v.commission?.commissionRates;
  return {
    operator_address: v.operatorAddress,
    moniker: v.description?.moniker ?? "",
    status: `BOND_STATUS_${STATUS_NAMES[v.status] ?? String(v.status)}`,
    jailed: v.jailed,
    tokens: v.tokens,
    power: (BigInt(v.tokens || "0") / POWER_REDUCTION).toString(),
    delegator_shares: formatDec(v.delegatorShares || "0"),
    consensus_pubkey: consPubkey ? { "@type": ED25519_TYPE_URL, key: Buffer.from(consPubkey).toString("base64") } : null,
    consensus_address: consPubkey ? consAddressOf(consPubkey) : null,
    commission: {
      rate: formatDec(rates?.rate || "0"),
      max_rate: formatDec(rates?.maxRate || "0"),
      max_change_rate: formatDec(rates?.maxChangeRate || "0"),
    },
    min_self_delegation: v.minSelfDelegation,
    unbonding_height: v.unbondingHeight.toString(),
    description: toCosmosJson(v.description ?? {}),
  };
}

async function allValidators(q: Queries, status: string): Promise<CosmosValidator[]> {
  const out: CosmosValidator[] = [];
  let key: Uint8Array | undefined;
  do {
    const page = await q.staking.validators(status as Parameters<Queries["staking"]["validators"]>[0], key);
    out.push(...page.validators);
    key = page.pagination?.nextKey?.length ? page.pagination.nextKey : undefined;
  } while (key);
  return out;
}

/** infervalcons1… from either a consensus address or a validator's operator address. */
async function consAddressArg(q: Queries, address: string): Promise<{ cons: string; operator?: string }> {
  const { Bech32Prefix, parseAddress } = lazy.address();
  if (address.startsWith(`${Bech32Prefix.consensus}1`)) {
    parseAddress(address, Bech32Prefix.consensus, "consensus address");
    return { cons: address };
  }
  checkOperator(address);
  const v = (await q.staking.validator(address)).validator;
  if (!v?.consensusPubkey || v.consensusPubkey.typeUrl !== ED25519_TYPE_URL) throw new CliError(`validator ${address} has no ed25519 consensus key`);
  return { cons: consAddressOf(lazy.ed25519Proto().PubKey.decode(v.consensusPubkey.value).key), operator: address };
}

export function queryStakingCommand(): Command {
  const staking = new Command("staking").description("x/staking queries: validators, delegations, unbonding, workers, params");
  staking.addCommand(
    withClientFlags(new Command("validators"))
      .description("Every validator (or those of one status): operator, moniker, status, jailed, power, tokens, commission")
      .addOption(new Option("--status <status>", "only validators of this status").choices([...STATUS_FILTERS]))
      .action(async (f: ClientFlags & { status?: string }) => {
        const c = resolveClient(f);
        const filter = f.status ? `BOND_STATUS_${f.status.toUpperCase()}` : "";
        const vals = (await withQueries(f, (q) => allValidators(q, filter))).map(validatorView);
        if (c.output === "json") {
          print("json", { validators: vals, pagination: { next_key: null, total: String(vals.length) } });
          return;
        }
        printTable(
          ["OPERATOR", "MONIKER", "STATUS", "JAILED", "POWER", "TOKENS", "COMMISSION"],
          vals.map((v) => [
            String(v.operator_address),
            String(v.moniker),
            String(v.status).replace(/^BOND_STATUS_/, ""),
            String(v.jailed),
            String(v.power),
            String(v.tokens),
            String((v.commission as { rate: string }).rate).replace(/0+$/, "").replace(/\.$/, ""),
          ]),
        );
      }),
  );
  staking.addCommand(
    withClientFlags(new Command("validator"))
      .description("One validator by its operator address")
      .argument("<validator>", "infervaloper1…")
      .action(async (valoper: string, f: ClientFlags) => {
        checkOperator(valoper);
        const v = await withQueries(f, async (q) => (await q.staking.validator(valoper)).validator);
        if (!v) throw new CliError(`validator ${valoper} not found`);
        print(resolveClient(f).output, validatorView(v));
      }),
  );
  staking.addCommand(
    withClientFlags(new Command("delegation"))
      .description("A delegator's delegation to one validator: shares and what they are worth")
      .argument("<delegator>", "infer1…")
      .argument("<validator>", "infervaloper1…")
      .action(async (delegator: string, valoper: string, f: ClientFlags) => {
        const { Bech32Prefix, parseAddress } = lazy.address();
        parseAddress(delegator, Bech32Prefix.account, "delegator address");
        checkOperator(valoper);
        const r = await withQueries(f, async (q) => (await q.staking.delegation(delegator, valoper)).delegationResponse);
        if (!r?.delegation) throw new CliError(`no delegation from ${delegator} to ${valoper}`);
        print(resolveClient(f).output, {
          delegation: { delegator_address: r.delegation.delegatorAddress, validator_address: r.delegation.validatorAddress, shares: formatDec(r.delegation.shares) },
          balance: r.balance ?? null,
        });
      }),
  );
  staking.addCommand(
    withClientFlags(new Command("unbonding"))
      .alias("unbonding-delegation")
      .description("A delegator's unbonding entries from one validator, with the height each completes at")
      .argument("<delegator>", "infer1…")
      .argument("<validator>", "infervaloper1…")
      .action(async (delegator: string, valoper: string, f: ClientFlags) => {
        const { Bech32Prefix, parseAddress } = lazy.address();
        parseAddress(delegator, Bech32Prefix.account, "delegator address");
        checkOperator(valoper);
        const r = await withQueries(f, (q) =>
          // Entries are paged by "<validator>/<id>": one page from this validator's first key holds all of its (max_entries ≤ 1000).
          abci(q, "/inferchain.staking.v1.Query/UnbondingEntries", lazy.stakingQuery().QueryUnbondingEntriesRequest, {
            delegatorAddress: delegator,
            pagination: { key: new TextEncoder().encode(`${valoper}/`), offset: 0n, limit: 1000n, countTotal: false, reverse: false },
          }, lazy.stakingQuery().QueryUnbondingEntriesResponse),
        );
        const entries = r.entries.filter((e) => e.validatorAddress === valoper);
        if (entries.length === 0) throw new CliError(`no unbonding delegation from ${delegator} to ${valoper}`);
        print(resolveClient(f).output, {
          delegator_address: delegator,
          validator_address: valoper,
          entries: entries.map((e) => ({
            unbonding_id: e.id.toString(),
            creation_height: e.creationHeight.toString(),
            completion_height: e.completionHeight.toString(),
            initial_balance: e.initialBalance,
            balance: e.balance,
          })),
        });
      }),
  );
  staking.addCommand(
    withClientFlags(new Command("worker"))
      .description("A validator's worker key and models, by operator (infervaloper1…) or worker (infer1…) address")
      .argument("<address>", "infervaloper1… or infer1…")
      .action(async (address: string, f: ClientFlags) => {
        const { Bech32Prefix, parseAddress } = lazy.address();
        const { QueryWorkerRequest, QueryWorkerResponse } = lazy.stakingQuery();
        const byOperator = address.startsWith(`${Bech32Prefix.operator}1`);
        parseAddress(address, byOperator ? Bech32Prefix.operator : Bech32Prefix.account, "address");
        const r = await withQueries(f, (q) =>
          abci(q, "/inferchain.staking.v1.Query/Worker", QueryWorkerRequest, byOperator ? { operatorAddress: address, workerAddress: "" } : { operatorAddress: "", workerAddress: address }, QueryWorkerResponse),
        );
        if (!r.worker) throw new CliError(`no worker for ${address}`);
        print(resolveClient(f).output, toCosmosJson(r.worker));
      }),
  );
  staking.addCommand(
    withClientFlags(new Command("params"))
      .description("Staking params (all of them, inferchain's form)")
      .action(async (f: ClientFlags) => {
        const { QueryParamsRequest, QueryParamsResponse } = lazy.stakingQuery();
        const r = await withQueries(f, (q) => abci(q, "/inferchain.staking.v1.Query/Params", QueryParamsRequest, {}, QueryParamsResponse));
        print(resolveClient(f).output, toCosmosJson(r.params ?? {}));
      }),
  );
  return staking;
}

export function querySlashingCommand(): Command {
  const slashing = new Command("slashing").description("x/slashing queries: signing infos, slash events, params");
  slashing.addCommand(
    withClientFlags(new Command("signing-info"))
      .description("Liveness record of a consensus key: missed blocks, jailed-until height, tombstoned")
      .argument("<address>", "infervalcons1… (consensus address) or infervaloper1… (a validator's)")
      .action(async (address: string, f: ClientFlags) => {
        const out = await withQueries(f, async (q) => {
          const { cons, operator } = await consAddressArg(q, address);
          const info = (await q.slashing.signingInfo(cons)).valSigningInfo;
          if (!info) throw new CliError(`no signing info for ${cons}`);
          return {
            address: info.address,
            ...(operator ? { validator: operator } : {}),
            start_height: info.startHeight.toString(),
            index_offset: info.indexOffset.toString(),
            // Windows are in blocks: jailed_until carries the jail's end height as its seconds.
            jailed_until_height: (info.jailedUntil?.seconds ?? 0n).toString(),
            tombstoned: info.tombstoned,
            missed_blocks_counter: info.missedBlocksCounter.toString(),
          };
        });
        print(resolveClient(f).output, out);
      }),
  );
  slashing.addCommand(
    withClientFlags(new Command("slash-events"))
      .description("Every application of the slash path, oldest first: kind, infraction height, fraction, amount, jailed, tombstoned")
      .option("--validator <valoper>", "only this validator's")
      .option("--limit <n>", "at most this many", "100")
      .option("--count-total", "also count every matching event (refused past the query's count bound, as Cosmos --count-total)")
      .action(async (f: ClientFlags & { validator?: string; limit: string; countTotal?: boolean }) => {
        if (f.validator) checkOperator(f.validator);
        if (!/^[1-9][0-9]{0,5}$/.test(f.limit)) throw new CliError(`--limit must be a positive integer, got ${f.limit}`);
        const r = await withQueries(f, (q) =>
          abci(
            q,
            "/inferchain.slashing.v1.Query/SlashEvents",
            lazy.slashingQuery().QuerySlashEventsRequest,
            { validator: f.validator ?? "", pagination: { key: new Uint8Array(), offset: 0n, limit: BigInt(f.limit), countTotal: f.countTotal ?? false, reverse: false } },
            lazy.slashingQuery().QuerySlashEventsResponse,
          ),
        );
        const c = resolveClient(f);
        const events = r.events.map((e) => ({ ...(toCosmosJson(e) as Record<string, unknown>), fraction: formatPpm(e.fractionPpm) }));
        if (c.output === "json") {
          print("json", { events, pagination: { next_key: r.pagination?.nextKey?.length ? Buffer.from(r.pagination.nextKey).toString("base64") : null, total: (r.pagination?.total ?? 0n).toString() } });
          return;
        }
        if (r.events.length === 0) {
          process.stdout.write(`no slash events${f.validator ? ` for ${f.validator}` : ""}\n`);
          return;
        }
        printTable(
          ["ID", "VALIDATOR", "KIND", "INFRACTION", "HEIGHT", "FRACTION", "AMOUNT", "JAILED", "TOMBSTONED"],
          r.events.map((e) => [e.id.toString(), e.validator, e.kind, e.infractionHeight.toString(), e.height.toString(), formatPpm(e.fractionPpm), `${e.amount}uinf`, String(e.jailed), String(e.tombstoned)]),
        );
      }),
  );
  slashing.addCommand(
    withClientFlags(new Command("params"))
      .description("Slashing params (all of them, inferchain's form: fractions in ppm, windows in blocks)")
      .action(async (f: ClientFlags) => {
        const { QueryParamsRequest, QueryParamsResponse } = lazy.slashingQuery();
        const r = await withQueries(f, (q) => abci(q, "/inferchain.slashing.v1.Query/Params", QueryParamsRequest, {}, QueryParamsResponse));
        print(resolveClient(f).output, toCosmosJson(r.params ?? {}));
      }),
  );
  return slashing;
}

// ---------------------------------------------------------------------------- transactions

interface CreateValidatorFlags extends TxFlags {
  amount: string;
  pubkey?: string;
  moniker: string;
  commissionRate: string;
  commissionMaxRate?: string;
  commissionMaxChangeRate: string;
  minSelfDelegation: string;
  identity: string;
  website: string;
  securityContact: string;
  details: string;
}

export function txStakingCommand(): Command {
  const staking = new Command("staking").description("x/staking transactions: create a validator, delegate, unbond, register a worker key");
  staking.addCommand(
    withTxFlags(new Command("create-validator"))
      .description("Make the --from account a validator with this consensus key, self-delegating --amount")
      .addOption(new Option("--amount <coin>", "self-delegation, e.g. 10000000uinf").makeOptionMandatory())
      .addOption(new Option("--pubkey <key>", "ed25519 consensus key: base64, a priv_validator_key.json, or Cosmos JSON (default: the home's config/priv_validator_key.json)"))
      .addOption(new Option("--moniker <name>", "the validator's name").makeOptionMandatory())
      .addOption(new Option("--commission-rate <dec>", "commission rate, 0..1").default("0.10"))
      .addOption(new Option("--commission-max-rate <dec>", "highest rate it may ever charge (default: 0.20, or the rate if higher)"))
      .addOption(new Option("--commission-max-change-rate <dec>", "most the rate may change at once").default("0.01"))
      .addOption(new Option("--min-self-delegation <uinf>", "the validator's own floor on its self-delegation (the chain's param applies if higher)").default("1"))
      .addOption(new Option("--identity <s>", "identity signature (e.g. Keybase)").default(""))
      .addOption(new Option("--website <url>", "website").default(""))
      .addOption(new Option("--security-contact <email>", "security contact").default(""))
      .addOption(new Option("--details <text>", "description").default(""))
      .action(async (f: CreateValidatorFlags) => {
        const home = resolveClient(f).home;
        const keyArg = f.pubkey ?? paths(home).privValidatorKey;
        if (f.pubkey === undefined && !fs.existsSync(keyArg)) throw new CliError(`--pubkey not given and ${keyArg} does not exist`);
        const pubkey = parseConsensusPubkey(keyArg);
        const rate = parseDecFraction(f.commissionRate, "--commission-rate");
        const twenty = parseDecFraction("0.20", "max rate");
        const maxRate = f.commissionMaxRate !== undefined ? parseDecFraction(f.commissionMaxRate, "--commission-max-rate") : BigInt(rate) > BigInt(twenty) ? rate : twenty;
        const maxChange = parseDecFraction(f.commissionMaxChangeRate, "--commission-max-change-rate");
        if (!/^[1-9][0-9]*$/.test(f.minSelfDelegation)) throw new CliError(`--min-self-delegation must be a positive integer (uinf), got ${f.minSelfDelegation}`);
        const account = await fromAddress(f);
        const value: MsgCreateValidator = {
          description: { moniker: f.moniker, identity: f.identity, website: f.website, securityContact: f.securityContact, details: f.details },
          commission: { rate, maxRate, maxChangeRate: maxChange },
          minSelfDelegation: f.minSelfDelegation,
          delegatorAddress: account,
          validatorAddress: operatorOf(account),
          pubkey: { typeUrl: ED25519_TYPE_URL, value: lazy.ed25519Proto().PubKey.encode({ key: pubkey }).finish() },
          value: parseCoin(f.amount, "--amount"),
        };
        await signAndSend(f, [{ typeUrl: "/cosmos.staking.v1beta1.MsgCreateValidator", value }]);
      }),
  );
  staking.addCommand(
    withTxFlags(new Command("delegate"))
      .description("Delegate coins of the --from account to a validator")
      .argument("<validator>", "infervaloper1…")
      .argument("<amount>", "e.g. 5000000uinf")
      .action(async (valoper: string, amount: string, f: TxFlags) => {
        checkOperator(valoper);
        const value: MsgDelegate = { delegatorAddress: await fromAddress(f), validatorAddress: valoper, amount: parseCoin(amount, "amount") };
        await signAndSend(f, [{ typeUrl: "/cosmos.staking.v1beta1.MsgDelegate", value }]);
      }),
  );
  staking.addCommand(
    withTxFlags(new Command("unbond"))
      .description("Undelegate coins from a validator; they are paid out after unbonding_blocks")
      .argument("<validator>", "infervaloper1…")
      .argument("<amount>", "e.g. 1000000uinf")
      .action(async (valoper: string, amount: string, f: TxFlags) => {
        checkOperator(valoper);
        const value: MsgUndelegate = { delegatorAddress: await fromAddress(f), validatorAddress: valoper, amount: parseCoin(amount, "amount") };
        await signAndSend(f, [{ typeUrl: "/cosmos.staking.v1beta1.MsgUndelegate", value }]);
      }),
  );
  staking.addCommand(
    withTxFlags(new Command("register-worker"))
      .description(
        "Authorise a hot worker key for the sidecar of the --from operator's validator, serving --models (registered model ids). " +
          "The worker key co-signs (it must be in this keyring, and its account must exist on chain: send it any amount first); --from pays the fee",
      )
      .argument("[worker_address]", "infer1… of the worker key (optional: checked against --worker-key)")
      .addOption(new Option("--worker-key <name>", "keyring key (name or address) of the worker; it co-signs").default("worker"))
      .addOption(new Option("--models <ids>", "comma-separated model ids the worker serves").makeOptionMandatory())
      .action(async (workerArg: string | undefined, f: TxFlags & { models: string; workerKey: string }) => {
        const c = resolveClient(f);
        const { openKeyring, readPassphraseFromStdin } = lazy.keyring();
        const { Bech32Prefix, parseAddress } = lazy.address();
        const keyring = await openKeyring({ home: c.home, backend: c.keyringBackend, passphrase: () => readPassphraseFromStdin("Enter keyring passphrase: ") });
        const worker = (await keyring.show(f.workerKey)).address;
        if (workerArg !== undefined) {
          parseAddress(workerArg, Bech32Prefix.account, "worker address");
          if (workerArg !== worker) throw new CliError(`worker address ${workerArg} is not the address of --worker-key ${f.workerKey} (${worker}): the worker key must co-sign`);
        }
        const modelIds = f.models.split(",").map((m) => m.trim()).filter((m) => m !== "");
        if (modelIds.length === 0) throw new CliError("--models lists no model ids");
        const value: MsgRegisterWorker = { operator: operatorOf(await fromAddress(f)), worker, modelIds };
        await signAndSend(f, [{ typeUrl: "/inferchain.staking.v1.MsgRegisterWorker", value }], { coSigners: [f.workerKey] });
      }),
  );
  return staking;
}

export function txSlashingCommand(): Command {
  const slashing = new Command("slashing").description("x/slashing transactions");
  slashing.addCommand(
    withTxFlags(new Command("unjail"))
      .description("Unjail the --from operator's validator once its jail period is over (never after a tombstone)")
      .action(async (f: TxFlags) => {
        const value: MsgUnjail = { validatorAddr: operatorOf(await fromAddress(f)) };
        await signAndSend(f, [{ typeUrl: "/cosmos.slashing.v1beta1.MsgUnjail", value }]);
      }),
  );
  return slashing;
}
