/**
 * Disputing results from the CLI (x/challenge):
 *   inferd tx challenge challenge JOB [--bond 1000000uinf] --from KEY
 *   inferd tx challenge appeal DISPUTE [--bond N] --from KEY
 *   inferd tx challenge request-data JOB [--bond 100000uinf] --from KEY
 *   inferd query challenge dispute ID | disputes [--job J --status S --validator V --limit N] | audits | params
 *   inferd query challenge data-request JOB | data-requests [--validator V] | da-incidents OPERATOR
 * and `verifyAndChallenge`, what `inferd infer --wait --verify` runs on an opened result: the
 * model re-run locally on the job's input (the sidecar's own pipeline and deterministic
 * session), compared under the model's metric, and a divergent result challenged.
 */
import { Command, Option } from "commander";
import { diverges, maxAbsDiff } from "../../x/models/divergence";
import type { Model } from "../../x/models/types";
import type { ChallengeExtension, ChallengeParams, Dispute } from "../../client/challenge";
import type { InferchainQueryClient, Job } from "../../client/queries";
import { CliError } from "../../client/errors";
import { fromAddress, print, printTable, resolveClient, signAndSend, toCosmosJson, withClientFlags, withTxFlags, type ClientFlags, type ResolvedClient, type TxFlags } from "../common";
import { loadKeyring } from "../keyring";

/** Loaded by the command that runs, not when the CLI is defined: onnxruntime and the sidecar's pipeline only for --verify (issue 12). */
const lazy = {
  stargate: (): typeof import("@cosmjs/stargate") => require("@cosmjs/stargate"),
  txProto: (): typeof import("../../gen/inferchain/challenge/v1/tx") => require("../../gen/inferchain/challenge/v1/tx"),
  challengeProto: (): typeof import("../../gen/inferchain/challenge/v1/challenge") => require("../../gen/inferchain/challenge/v1/challenge"),
  address: (): typeof import("../../base/types/address") => require("../../base/types/address"),
  tensor: (): typeof import("../../x/models/tensor") => require("../../x/models/tensor"),
  params: (): typeof import("../../x/challenge/params") => require("../../x/challenge/params"),
  types: (): typeof import("../../x/challenge/types") => require("../../x/challenge/types"),
  verdict: (): typeof import("../../x/challenge/verdict") => require("../../x/challenge/verdict"),
  onnx: (): typeof import("../../lib/models/onnx") => require("../../lib/models/onnx"),
  builtinModels: (): typeof import("../../lib/models/builtin") => require("../../lib/models/builtin"),
  resolve: (): typeof import("../../lib/models/resolve") => require("../../lib/models/resolve"),
  pipeline: (): typeof import("../../sidecar/pipeline") => require("../../sidecar/pipeline"),
  challenge: (): typeof import("../../client/challenge") => require("../../client/challenge"),
  queries: (): typeof import("../../client/queries") => require("../../client/queries"),
  registry: (): typeof import("../../client/registry") => require("../../client/registry"),
  broadcast: (): typeof import("../../client/broadcast") => require("../../client/broadcast"),
  inputData: (): typeof import("../../client/inputData") => require("../../client/inputData"),
  keyring: loadKeyring,
};

type Queries = InferchainQueryClient & ChallengeExtension;

/** Runs `fn` with a query client on the node; a failed ABCI query becomes a one-line CliError (`inferd params check` uses it too). */
export async function withQueries<T>(c: ResolvedClient, fn: (q: Queries) => Promise<T>): Promise<T> {
  let conn;
  try {
    conn = await lazy.queries().connectQueryClient(c.rpcUrl);
  } catch (e) {
    throw new CliError(`cannot reach ${c.rpcUrl}: ${(e as Error).message}`);
  }
  try {
    return await fn(Object.assign(conn.query, lazy.challenge().setupChallengeExtension(conn.query)));
  } catch (e) {
    if (e instanceof CliError) throw e;
    const msg = (e as Error).message ?? String(e);
    const m = /desc = (.*)$/s.exec(msg);
    throw new CliError(m ? m[1].replace(/: key not found$/, "") : msg, { cause: e });
  } finally {
    conn.comet.disconnect();
  }
}

function idArg(s: string, what: string): bigint {
  if (!/^[1-9][0-9]{0,19}$/.test(s)) throw new CliError(`${what} must be a positive integer, got ${s}`);
  return BigInt(s);
}

/** "1000000uinf" or "1000000" → 1000000n. */
export function parseBond(s: string): bigint {
  const m = /^([0-9]{1,30})(uinf)?$/.exec(s.trim());
  if (!m || BigInt(m[1]) === 0n) throw new CliError(`--bond must be a positive amount of uinf, e.g. 1000000uinf; got ${s}`);
  return BigInt(m[1]);
}

async function params(q: Queries): Promise<ChallengeParams> {
  const p = await q.challenge.params();
  if (!p) throw new CliError("the node returned no challenge params");
  return p;
}

// ---------------------------------------------------------------------------- views

/** A dispute as Cosmos-style JSON (snake_case, 64-bit integers as strings, bytes as base64, enums by name). */
export function disputeToJson(d: Dispute): Record<string, unknown> {
  const { disputeKindToJSON, disputeStatusToJSON, verdictToJSON } = lazy.challengeProto();
  const { disputeToWire } = lazy.types();
  const j = toCosmosJson(disputeToWire(d)) as Record<string, unknown> & { rounds: Array<Record<string, unknown>> };
  return {
    ...j,
    kind: disputeKindToJSON(d.kind),
    status: disputeStatusToJSON(d.status),
    final_verdict: verdictToJSON(d.finalVerdict),
    rounds: j.rounds.map((r, i) => ({ ...r, verdict: verdictToJSON(d.rounds[i].verdict) })),
  };
}

/** The verdict standing now, for a table: the final one, the latest round's, or "-". */
function verdictCell(d: Dispute): string {
  const { verdictToJSON } = lazy.challengeProto();
  const { isFinal } = lazy.types();
  const { standingVerdict, verdictRounds } = lazy.verdict();
  if (isFinal(d.status)) return verdictToJSON(d.finalVerdict).replace(/^VERDICT_/, "");
  return verdictRounds(d.rounds) > 0 ? verdictToJSON(standingVerdict(d.rounds)).replace(/^VERDICT_/, "") : "-";
}

function printDisputes(output: "text" | "json", ds: readonly Dispute[], empty: string): void {
  const { disputeKindToJSON, disputeStatusToJSON } = lazy.challengeProto();
  const { latestRound } = lazy.challenge();
  if (output === "json") {
    print("json", { disputes: ds.map(disputeToJson) });
    return;
  }
  if (ds.length === 0) {
    process.stdout.write(`${empty}\n`);
    return;
  }
  printTable(
    ["ID", "JOB", "KIND", "STATUS", "ROUND", "REVEALED", "VERDICT", "OPERATOR"],
    ds.map((d) => {
      const r = latestRound(d);
      return [
        d.id.toString(),
        d.jobId.toString(),
        disputeKindToJSON(d.kind).replace(/^DISPUTE_KIND_/, ""),
        disputeStatusToJSON(d.status).replace(/^DISPUTE_STATUS_/, ""),
        String(r?.number ?? 0),
        r ? `${r.verifiers.filter((v) => v.revealed).length}/${r.verifiers.length}` : "-",
        verdictCell(d),
        d.operator,
      ];
    }),
  );
}

// ---------------------------------------------------------------------------- queries

interface DisputesFlags extends ClientFlags {
  job?: string;
  status?: string;
  validator?: string;
  limit: string;
}

function limitOf(s: string): number {
  if (!/^[1-9][0-9]{0,5}$/.test(s)) throw new CliError(`--limit must be a positive integer, got ${s}`);
  return Number(s);
}

export function queryChallengeCommand(): Command {
  const q = new Command("challenge").description("x/challenge queries: disputes, audits, params");
  q.addCommand(
    withClientFlags(new Command("dispute"))
      .description("One dispute: its job, status, every round's committee (commitments, reveals, agreement) and verdicts")
      .argument("<id>", "dispute id")
      .action(async (id: string, f: ClientFlags) => {
        const disputeId = idArg(id, "dispute id");
        const c = resolveClient(f);
        const d = await withQueries(c, (query) => query.challenge.dispute(disputeId));
        if (!d) throw new CliError(`dispute ${id} not found`);
        print(c.output, { dispute: disputeToJson(d) });
      }),
  );
  q.addCommand(
    withClientFlags(new Command("disputes"))
      .description("Disputes in id order, filtered by job, status and/or validator (the job's or a drawn verifier's operator or worker key)")
      .option("--job <id>", "disputes of this job")
      .option("--status <status>", "drawing, commit, reveal, open, appealable, final_fault or final_ok")
      .option("--validator <address>", "infervaloper1… or a worker key infer1…")
      .option("--limit <n>", "at most n disputes", "100")
      .action(async (f: DisputesFlags) => {
        const { Bech32Prefix, parseAddress } = lazy.address();
        const c = resolveClient(f);
        let status;
        try {
          status = f.status === undefined ? undefined : lazy.challenge().parseDisputeStatus(f.status);
        } catch (e) {
          throw new CliError((e as Error).message);
        }
        if (f.validator) parseAddress(f.validator, f.validator.startsWith(`${Bech32Prefix.operator}1`) ? Bech32Prefix.operator : Bech32Prefix.account, "--validator");
        const filter = { jobId: f.job === undefined ? undefined : idArg(f.job, "--job"), status, validator: f.validator, limit: limitOf(f.limit) };
        const ds = await withQueries(c, (query) => query.challenge.disputes(filter));
        printDisputes(c.output, ds, "no disputes");
      }),
  );
  q.addCommand(
    withClientFlags(new Command("audits"))
      .description("Random audits decided (disputes of kind AUDIT), newest first")
      .option("--limit <n>", "at most n audits", "100")
      .action(async (f: ClientFlags & { limit: string }) => {
        const limit = limitOf(f.limit);
        const c = resolveClient(f);
        const ds = await withQueries(c, (query) => query.challenge.audits(limit));
        printDisputes(c.output, ds, "no audits");
      }),
  );
  q.addCommand(
    withClientFlags(new Command("data-request"))
      .description("The open data request of a job by URI: requester, bond, the worker that must provide the input, and its deadline height")
      .argument("<job_id>", "job id")
      .action(async (job: string, f: ClientFlags) => {
        const jobId = idArg(job, "job id");
        const c = resolveClient(f);
        const r = await withQueries(c, (query) => query.challenge.dataRequest(jobId));
        if (!r) throw new CliError(`job ${jobId} has no open data request`);
        print(c.output, { request: toCosmosJson(lazy.types().dataRequestToWire(r)) });
      }),
  );
  q.addCommand(
    withClientFlags(new Command("data-requests"))
      .description("Open data requests by deadline, or those of one validator's jobs (its operator or worker key)")
      .option("--validator <address>", "infervaloper1… or a worker key infer1…")
      .action(async (f: ClientFlags & { validator?: string }) => {
        const c = resolveClient(f);
        const rs = await withQueries(c, (query) => query.challenge.dataRequests(f.validator ?? ""));
        print(c.output, { requests: rs.map((r) => toCosmosJson(lazy.types().dataRequestToWire(r))) });
      }),
  );
  q.addCommand(
    withClientFlags(new Command("da-incidents"))
      .description("A validator's data-availability incidents (expired data requests) since it was last jailed for them, and max_da_incidents")
      .argument("<operator>", "infervaloper1…")
      .action(async (operator: string, f: ClientFlags) => {
        const c = resolveClient(f);
        const r = await withQueries(c, (query) => query.challenge.daIncidents(operator));
        print(c.output, { validator: operator, incidents: r.count.toString(), max_da_incidents: r.max });
      }),
  );
  q.addCommand(
    withClientFlags(new Command("params"))
      .description("Challenge params (audit rate and slashes in ppm, phases in blocks, bonds and rewards in uinf)")
      .action(async (f: ClientFlags) => {
        const c = resolveClient(f);
        print(c.output, toCosmosJson(lazy.params().paramsToWire(await withQueries(c, params))));
      }),
  );
  return q;
}

// ---------------------------------------------------------------------------- transactions

interface BondFlags extends TxFlags {
  bond?: string;
}

export function txChallengeCommand(): Command {
  const tx = new Command("challenge").description("x/challenge transactions: dispute a result, appeal a verdict, request a job's input");
  tx.addCommand(
    withTxFlags(new Command("challenge"))
      .description(
        "Dispute a posted result within its challenge window, with a bond (default: min_challenge_bond). A committee of validators re-runs the job: " +
          "FAULT returns the bond and refunds the job's client; OK splits the bond between the worker and the verifiers. The dispute id is in the dispute_opened event (inferd query challenge disputes --job JOB)",
      )
      .argument("<job_id>", "job id")
      .addOption(new Option("--bond <amount>", "bond in uinf, at least min_challenge_bond (inferd query challenge params)"))
      .action(async (job: string, f: BondFlags) => {
        const jobId = idArg(job, "job id");
        const c = resolveClient(f);
        const bond = f.bond !== undefined ? parseBond(f.bond) : (await withQueries(c, params)).minChallengeBond;
        await signAndSend(f, [lazy.challenge().msgChallenge({ challenger: await fromAddress(f), jobId, bond })]);
      }),
  );
  tx.addCommand(
    withTxFlags(new Command("appeal"))
      .description(
        "Appeal a dispute's standing verdict within its appeal window, as the losing party (FAULT: the worker's operator account or worker key; OK: the challenger), " +
          "with a bond of at least appeal_bond_multiplier × the last bond (the default); a larger committee decides again",
      )
      .argument("<dispute_id>", "dispute id")
      .addOption(new Option("--bond <amount>", "bond in uinf (default: the least the appeal needs)"))
      .action(async (dispute: string, f: BondFlags) => {
        const disputeId = idArg(dispute, "dispute id");
        const c = resolveClient(f);
        let bond: bigint;
        if (f.bond !== undefined) {
          bond = parseBond(f.bond);
        } else {
          bond = await withQueries(c, async (q) => {
            const d = await q.challenge.dispute(disputeId);
            if (!d) throw new CliError(`dispute ${disputeId} not found`);
            const p = await params(q);
            return lazy.verdict().requiredAppealBond(d.rounds, p.minChallengeBond, p.appealBondMultiplier);
          });
        }
        await signAndSend(f, [lazy.challenge().msgAppeal({ appellant: await fromAddress(f), disputeId, bond })]);
      }),
  );
  tx.addCommand(
    withTxFlags(new Command("request-data"))
      .description(
        "Ask the worker of a job by URI to post its input on chain within da_response_blocks, with a bond (default: data_request_bond): " +
          "provided, the bytes become the job's input and the bond goes to the worker; not provided, the bond comes back and the worker's validator is slashed slash_fraction_unavailable " +
          "(jailed at max_da_incidents). While the job's result is open or disputed; one open request per job (inferd query challenge data-request JOB)",
      )
      .argument("<job_id>", "job id")
      .addOption(new Option("--bond <amount>", "bond in uinf, at least data_request_bond (inferd query challenge params)"))
      .action(async (job: string, f: BondFlags) => {
        const jobId = idArg(job, "job id");
        const c = resolveClient(f);
        const bond = f.bond !== undefined ? parseBond(f.bond) : (await withQueries(c, params)).dataRequestBond;
        await signAndSend(f, [lazy.challenge().msgRequestData({ requester: await fromAddress(f), jobId, bond })]);
      }),
  );
  return tx;
}

// ---------------------------------------------------------------------------- infer --verify

/** A job's result as opened (sealed results: the client opens it) or re-run. */
export interface ResultBytes {
  readonly output: Uint8Array;
  readonly cannotRun: boolean;
}

export interface Comparison {
  readonly diverges: boolean;
  readonly detail: string;
}

/** Does the worker's result disagree with ours under the model's metric? cannot-run agrees only with cannot-run. */
export function compareResults(model: Model, worker: ResultBytes, mine: ResultBytes): Comparison {
  const { decodeOutput } = lazy.tensor();
  if (worker.cannotRun || mine.cannotRun) {
    if (worker.cannotRun && mine.cannotRun) return { diverges: false, detail: "both cannot run the input" };
    return { diverges: true, detail: worker.cannotRun ? "the worker says it cannot run the input; it runs here" : "the worker answered an input that cannot run here" };
  }
  let theirs;
  try {
    theirs = decodeOutput(model, worker.output);
  } catch (e) {
    return { diverges: true, detail: `the worker's output does not fit ${model.id}'s output spec: ${(e as Error).message}` };
  }
  const ours = decodeOutput(model, mine.output);
  const differs = diverges(model.metric, model.threshold, theirs, ours);
  const measure = model.metric === "MAX_ABS_DIFF" && !differs ? `, max |Δ| ${maxAbsDiff(theirs, ours)} ≤ ${model.threshold}` : model.metric === "MAX_ABS_DIFF" || model.metric === "MEAN_SQUARED" ? ` (threshold ${model.threshold})` : "";
  return { diverges: differs, detail: `${differs ? "diverges" : "agrees"} under ${model.metric}${measure}` };
}

/** The job's input run through the model here, as a sidecar runs it (sha256-checked file, deterministic session, CPU). */
export async function rerunLocally(model: Model, input: Uint8Array, modelsDir = lazy.builtinModels().defaultModelsDir()): Promise<ResultBytes> {
  const { DETERMINISTIC_SESSION_OPTIONS, openSession } = lazy.onnx();
  let bytes: Uint8Array;
  try {
    bytes = await lazy.resolve().loadModelFile(model, modelsDir);
  } catch (e) {
    throw new CliError(`--verify: cannot load ${model.id} here: ${(e as Error).message}`);
  }
  const session = await openSession(bytes, { ...DETERMINISTIC_SESSION_OPTIONS, executionProviders: ["cpu"], logSeverityLevel: 3 });
  try {
    return { output: await lazy.pipeline().runJob({ model, session, fileBytes: bytes.length }, input), cannotRun: false };
  } catch {
    return { output: new Uint8Array(), cannotRun: true };
  } finally {
    await session.release().catch(() => undefined);
  }
}

export interface VerifyOptions {
  /** Key (or address) in the keyring that signs the challenge and posts its bond. */
  readonly from: string;
  /** Bond in uinf (default: min_challenge_bond). */
  readonly bond?: bigint;
  readonly modelsDir?: string;
  readonly gasPrices?: string;
  readonly gasAdjustment?: number;
}

/** Why `job` is not to be challenged: a dispute (most likely a random audit) holds it already; undefined when none does. */
export function heldByDispute(job: Pick<Job, "id" | "disputeId">): string | undefined {
  if (job.disputeId === 0n) return undefined;
  return `job ${job.id} is already disputed (dispute ${job.disputeId}, a random audit or another challenger): its committee decides, no challenge sent; inferd query challenge dispute ${job.disputeId}`;
}

export interface VerifyResult extends Comparison {
  readonly disputeId?: bigint;
  readonly txhash?: string;
  readonly bond?: bigint;
}

/**
 * `inferd infer --wait --verify`: re-runs `job` locally and compares with `result` (the
 * opened output); a divergent result is challenged at once with `bond` (default
 * min_challenge_bond), signed by `from`. One line per step on stderr; the result for --output json.
 */
export async function verifyAndChallenge(c: ResolvedClient, job: Job, result: ResultBytes, model: Model, o: VerifyOptions): Promise<VerifyResult> {
  let input = job.input;
  if (input.length === 0 && job.inputUri !== "") {
    // A job by URI: its input from the URI, checked against the hash on chain.
    const { InputFetchError, fetchInput } = lazy.inputData();
    try {
      input = await fetchInput(job.inputUri, { maxBytes: 16 * 1024 * 1024, sha256: job.inputSha256, timeoutMs: 30_000 });
    } catch (e) {
      if (e instanceof InputFetchError) throw new CliError(`--verify: job ${job.id}'s input: ${e.message} (inferd tx challenge request-data ${job.id} asks its worker to post it)`);
      throw e;
    }
  }
  if (input.length === 0) throw new CliError(`--verify: job ${job.id} has no input on chain to re-run`);
  const mine = await rerunLocally(model, input, o.modelsDir);
  const cmp = compareResults(model, result, mine);
  process.stderr.write(`verify: ${model.id} re-run here on the job's input: the worker's result ${cmp.detail}\n`);
  if (!cmp.diverges) return cmp;
  // A random audit (decided in the block after the result's) may hold the job already.
  const now = await withQueries(c, (q) => q.inferchain.inference.job(job.id));
  const held = now && heldByDispute(now);
  if (held) {
    process.stderr.write(`verify: ${held}\n`);
    return { ...cmp, disputeId: now.disputeId };
  }

  const { BroadcastTxError, GasPrice, SigningStargateClient } = lazy.stargate();
  const { msgChallenge } = lazy.challenge();
  const { openKeyring, readPassphraseFromStdin } = lazy.keyring();
  const keyring = await openKeyring({ home: c.home, backend: c.keyringBackend, passphrase: () => readPassphraseFromStdin("Enter keyring passphrase: ") });
  const key = await keyring.show(o.from);
  const gasPrice = GasPrice.fromString(o.gasPrices ?? c.gasPrices);
  const signing = await SigningStargateClient.connectWithSigner(c.rpcUrl, await keyring.signer(key.name), { gasPrice, registry: lazy.registry().inferchainRegistry() });
  // The audit may also hold the job between the query above and the challenge's block: then the
  // chain refuses the challenge, and the job is disputed all the same.
  const heldSince = async (): Promise<VerifyResult | undefined> => {
    const later = await withQueries(c, (q) => q.inferchain.inference.job(job.id));
    const by = later && heldByDispute(later);
    if (!by) return undefined;
    process.stderr.write(`verify: ${by}\n`);
    return { ...cmp, disputeId: later.disputeId };
  };
  try {
    const bond = o.bond ?? (await withQueries(c, params)).minChallengeBond;
    const tx = await lazy.broadcast().signAndBroadcast(signing, c.rpcUrl, key.address, [msgChallenge({ challenger: key.address, jobId: job.id, bond })], { gasPrice, gasAdjustment: o.gasAdjustment });
    if (tx.code !== 0) {
      const held = await heldSince();
      if (held) return held;
      throw new CliError(`challenge of job ${job.id} failed in block ${tx.height} (code ${tx.code}): ${tx.rawLog ?? ""}`);
    }
    const resp = tx.msgResponses.find((m) => m.typeUrl === "/inferchain.challenge.v1.MsgChallengeResponse");
    const disputeId = resp ? lazy.txProto().MsgChallengeResponse.decode(resp.value).disputeId : undefined;
    process.stderr.write(`verify: challenged job ${job.id} with ${bond}uinf: dispute ${disputeId ?? "?"} (tx ${tx.hash}); inferd query challenge dispute ${disputeId ?? "<id>"}\n`);
    return { ...cmp, disputeId, txhash: tx.hash, bond };
  } catch (e) {
    if (e instanceof BroadcastTxError) {
      const held = await heldSince();
      if (held) return held;
      throw new CliError(`challenge of job ${job.id} refused (${e.codespace} ${e.code}): ${e.log ?? ""}`);
    }
    throw e;
  } finally {
    signing.disconnect();
  }
}
