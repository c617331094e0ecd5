/**
 * Buying inference from the CLI:
 *   inferd tx inference submit-job --model ID --input FILE.json [--fee 1000uinf] --from KEY
 *   inferd query inference job ID [--from KEY] | jobs [--status S --client A --worker W --limit N]
 *   inferd query models list
 *   inferd infer --model ID (--input FILE.json | --input-uri URI [--input-sha256 HEX]) --from KEY [--wait [--verify]] [--fee]
 *   inferd query models encode-input --model ID --input FILE.json --out FILE.bin
 * Inputs are the tensor JSON of lib/tensors.ts (`{"x": {"dims": [1, 16], "data": [...]}}`),
 * checked against the model's input spec and quantized with its quant_scale_bits; results
 * are sealed to the client's key (issue 9): `infer --wait` and `query inference job --from`
 * open them with the client's key (client/results.ts: commitment and output spec checked) and
 * print them dequantized in the same JSON. An input by URI (SPEC §4 "Data availability") is the
 * canonical QuantizedTensorList bytes (what `query models encode-input` writes) served over
 * http(s); the job carries its URI and sha256, and the worker fetches it.
 */
import fs from "node:fs";
import { Command, Option } from "commander";
import type { IndexedTx } from "@cosmjs/stargate";
import type { Model } from "../../x/models/types";
import type { InferchainQueryClient, Job, JobStatus } from "../../client/queries";
import type { OpenedResult, SealedResultError } from "../../client/results";
import { CliError } from "../../client/errors";
import type { Keyring } from "../../client/keyring";
import { print, resolveClient, withClientFlags, type ClientFlags, type ResolvedClient } from "../common";
import { verifyAndChallenge } from "./challenge";
import { loadKeyring } from "../keyring";

/** Loaded by the command that runs, not when the CLI is defined (issue 12). */
const lazy = {
  stargate: (): typeof import("@cosmjs/stargate") => require("@cosmjs/stargate"),
  txProto: (): typeof import("../../gen/inferchain/inference/v1/tx") => require("../../gen/inferchain/inference/v1/tx"),
  tensor: (): typeof import("../../x/models/tensor") => require("../../x/models/tensor"),
  tensors: (): typeof import("../../lib/tensors") => require("../../lib/tensors"),
  queries: (): typeof import("../../client/queries") => require("../../client/queries"),
  results: (): typeof import("../../client/results") => require("../../client/results"),
  registry: (): typeof import("../../client/registry") => require("../../client/registry"),
  broadcast: (): typeof import("../../client/broadcast") => require("../../client/broadcast"),
  address: (): typeof import("../../base/types/address") => require("../../base/types/address"),
  inputData: (): typeof import("../../client/inputData") => require("../../client/inputData"),
  keyring: loadKeyring,
};

// ---------------------------------------------------------------------------- shared

async function withQuery<T>(c: ResolvedClient, f: (q: InferchainQueryClient) => Promise<T>): Promise<T> {
  let conn;
  try {
    conn = await lazy.queries().connectQueryClient(c.rpcUrl);
  } catch (e) {
    throw new CliError(`cannot reach ${c.rpcUrl}: ${(e as Error).message}`);
  }
  try {
    return await f(conn.query);
  } finally {
    conn.comet.disconnect();
  }
}

async function getModel(q: InferchainQueryClient, id: string): Promise<Model> {
  const m = await q.inferchain.models.model(id);
  if (!m) throw new CliError(`model ${id} is not registered (inferd query models list)`);
  return m;
}

/** The input file checked against the model's input spec, as canonical MsgSubmitJob.input bytes. */
export function encodeJobInput(model: Model, json: string): Uint8Array {
  const { parseTensorJson, quantizeTensors, TensorFormatError } = lazy.tensors();
  let bytes: Uint8Array;
  try {
    bytes = lazy.tensor().encodeTensorList(quantizeTensors(parseTensorJson(json, model.inputs), model.quantScaleBits));
  } catch (e) {
    if (e instanceof TensorFormatError) throw new CliError(`input for ${model.id}: ${e.message}`);
    throw e;
  }
  if (BigInt(bytes.length) > model.maxInputBytes) throw new CliError(`input for ${model.id} is ${bytes.length} bytes quantized; the model takes at most ${model.maxInputBytes}`);
  return bytes;
}

function readInput(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new CliError(`cannot read --input ${file}: ${(e as Error).message}`);
  }
}

/** "1000uinf" or "1000" → 1000n; undefined → the model's min_fee. */
function jobFee(fee: string | undefined, model: Model): bigint {
  if (fee === undefined) return model.minFee;
  const m = /^([0-9]+)(uinf)?$/.exec(fee.trim());
  if (!m) throw new CliError(`--fee must be an amount of uinf, e.g. 1000uinf; got ${fee}`);
  const v = BigInt(m[1]);
  if (v < model.minFee) throw new CliError(`--fee ${v}uinf is below ${model.id}'s min_fee ${model.minFee}uinf`);
  return v;
}

/** The job id from a MsgSubmitJob tx's response. */
export function jobIdOf(r: Pick<IndexedTx, "msgResponses" | "events" | "hash">): bigint {
  const resp = r.msgResponses.find((m) => m.typeUrl === "/inferchain.inference.v1.MsgSubmitJobResponse");
  if (resp) return lazy.txProto().MsgSubmitJobResponse.decode(resp.value).jobId;
  for (const e of r.events) {
    const a = e.attributes.find((x) => x.key === "job_id");
    if (a && /^[0-9]+$/.test(a.value)) return BigInt(a.value);
  }
  throw new CliError(`tx ${r.hash} succeeded but carries no job id`);
}

/** An output (canonical bytes) dequantized into tensor JSON (as an object), or undefined when there is none or it cannot be read. */
export function resultTensors(output: Uint8Array, model: Model | undefined): Record<string, { dims: number[]; data: Array<number | string> }> | undefined {
  if (!model || output.length === 0) return undefined;
  const { dequantizeTensors, formatTensorJson } = lazy.tensors();
  try {
    return JSON.parse(formatTensorJson(dequantizeTensors(lazy.tensor().decodeTensorList(output), model.outputs, model.quantScaleBits))) as Record<string, { dims: number[]; data: Array<number | string> }>;
  } catch {
    return undefined;
  }
}

/** Statuses in which a job carries a (sealed) result. */
function hasResult(status: JobStatus): boolean {
  const { JobStatus } = lazy.queries();
  return status === JobStatus.JOB_STATUS_RESULT_POSTED || status === JobStatus.JOB_STATUS_DISPUTED || status === JobStatus.JOB_STATUS_FINALIZED;
}

/**
 * The job's result as its client reads it: opened from the sealed output with the client's key
 * and checked (client/results.ts), or the output the worker opened on chain (a dispute asked)
 * once the sealed bytes are pruned. Undefined when there is no result; a SealedResultError when
 * it does not open or does not check out.
 */
export function clientResult(job: Job, model: Model, clientSecretKey: Uint8Array): OpenedResult | undefined {
  const { JobStatus } = lazy.queries();
  if (!hasResult(job.status) && !(job.status === JobStatus.JOB_STATUS_FAILED && job.commitment.length > 0)) return undefined;
  if (job.sealedOutput.length === 0 && job.opened) return { output: job.output, salt: new Uint8Array(), cannotRun: job.cannotRun, tensors: [] };
  return lazy.results().openSealedResult(job, model, clientSecretKey);
}

/** The secret key of `from` in the home's keyring, checked to be the job's client. */
async function clientKey(keyring: Keyring, from: string, job: Job): Promise<Uint8Array> {
  const key = await keyring.show(from);
  if (key.address !== job.client) throw new CliError(`--from ${from} (${key.address}) is not job ${job.id}'s client ${job.client}: only the client can open its sealed result`);
  return keyring.privateKey(key.name);
}

/** One line for a result that does not open or check out, with what the client can do about it. */
function sealedResultMessage(e: SealedResultError): string {
  return e.challengeable ? `${e.message}; the worker's result is bad: challenge it (inferd tx challenge challenge ${e.jobId}, or infer --wait --verify)` : e.message;
}

/** Tensor JSON with one line per tensor (still valid JSON, and the shape parseTensorJson reads). */
export function compactTensorJson(t: Record<string, unknown>): string {
  const lines = Object.entries(t).map(([name, v]) => `  ${JSON.stringify(name)}: ${JSON.stringify(v)}`);
  return `{\n${lines.join(",\n")}\n}`;
}

/**
 * A job as Cosmos-style JSON (snake_case, 64-bit integers as strings, bytes as base64, hashes
 * hex), with `result` dequantized when there is one to show: `opened` (the client opened the
 * sealed result) or the output the worker opened on chain.
 */
export function jobToJson(job: Job, model?: Model, opened?: OpenedResult): Record<string, unknown> {
  const { JobStatus } = lazy.queries();
  const out: Record<string, unknown> = {
    id: job.id.toString(),
    client: job.client,
    model_id: job.modelId,
    status: JobStatus[job.status] ?? String(job.status),
    fee: job.fee,
    submitted_height: job.submittedHeight.toString(),
    attempts: job.attempts,
    operator: job.operator,
    worker: job.worker,
    assigned_height: job.assignedHeight.toString(),
    deadline_height: job.deadlineHeight.toString(),
    hard_deadline_height: job.hardDeadlineHeight.toString(),
    tried_operators: job.triedOperators,
    result_height: job.resultHeight.toString(),
    late: job.late,
    challenge_end_height: job.challengeEndHeight.toString(),
    finalized_height: job.finalizedHeight.toString(),
    refunded: job.refunded,
    cannot_run: job.cannotRun,
    cannot_run_reason: job.cannotRunReason,
    pruned: job.pruned,
    prune_height: job.pruneHeight.toString(),
    input: Buffer.from(job.input).toString("base64"),
    input_uri: job.inputUri,
    input_sha256: job.inputSha256,
    output: Buffer.from(job.output).toString("base64"),
    output_sha256: job.outputSha256,
    commitment: Buffer.from(job.commitment).toString("hex"),
    sealed_output_bytes: job.sealedOutput.length,
    client_pubkey: Buffer.from(job.clientPubkey).toString("base64"),
    opened: job.opened,
    dispute_id: job.disputeId.toString(),
    // Per-job economic security: the rate its result is drawn for audit at (0: the base rate).
    audit_rate_ppm: job.auditRatePpm.toString(),
  };
  const result = resultTensors(opened ? opened.output : job.output, model);
  if (result) out.result = result;
  return out;
}

// ---------------------------------------------------------------------------- submitting

interface SubmitFlags extends ClientFlags {
  model: string;
  input?: string;
  inputUri?: string;
  inputSha256?: string;
  from: string;
  fee?: string;
  gasPrices?: string;
  gasAdjustment: string;
  keyringBackend?: string;
}

/** The flags `tx inference submit-job` and `infer` share. */
function withSubmitFlags(cmd: Command): Command {
  return withClientFlags(cmd)
    .requiredOption("--model <id>", "registered model id (inferd query models list)")
    .option("--input <file>", 'input tensors as JSON: {"<name>": {"dims": [...], "data": [...]}} (or --input-uri)')
    .option("--input-uri <uri>", "the input by reference: an http(s) URI serving its canonical tensor-list bytes (query models encode-input writes them); the worker fetches it")
    .option("--input-sha256 <hex>", "with --input-uri: the bytes' sha256 (default: downloaded here, hashed and checked against the model's input spec)")
    .addOption(new Option("--from <key>", "key (or address) in the keyring that pays").makeOptionMandatory())
    .option("--fee <amount>", "job fee in uinf, at least the model's min_fee (default: min_fee)")
    .addOption(new Option("--gas-prices <price>", "gas price (default: client.toml, 0.025uinf)"))
    .addOption(new Option("--gas-adjustment <x>", "multiplier on the simulated gas").default("1.4"))
    .addOption(new Option("--keyring-backend <backend>", "keyring backend").choices(["test", "file"]));
}

interface Submitted {
  readonly id: bigint;
  readonly tx: IndexedTx;
  readonly fee: bigint;
  readonly model: Model;
}

function homeKeyring(c: ResolvedClient): Promise<Keyring> {
  const { openKeyring, readPassphraseFromStdin } = lazy.keyring();
  return openKeyring({ home: c.home, backend: c.keyringBackend, passphrase: () => readPassphraseFromStdin("Enter keyring passphrase: ") });
}

/**
 * `--input-uri` (and `--input-sha256`) checked as the chain checks them; without a hash the URI
 * is downloaded (capped at x/inference's max_uri_input_bytes), hashed, and its bytes checked
 * against the model's input spec, so a job the worker could never run is not paid for.
 */
export async function jobInputByUri(q: InferchainQueryClient, model: Model, uri: string, sha256: string | undefined): Promise<{ inputUri: string; inputSha256: string }> {
  const { InputFetchError, fetchInput, inputSha256Problem, inputUriProblem, sha256Hex } = lazy.inputData();
  const bad = inputUriProblem(uri);
  if (bad !== undefined) throw new CliError(`--input-uri: ${bad}`);
  if (sha256 !== undefined) {
    const hex = sha256.trim().toLowerCase();
    const badHash = inputSha256Problem(hex);
    if (badHash !== undefined) throw new CliError(`--input-sha256: ${badHash}`);
    return { inputUri: uri, inputSha256: hex };
  }
  const maxBytes = Number((await q.inferchain.inference.params())?.maxUriInputBytes ?? 65_536n);
  let bytes: Uint8Array;
  try {
    bytes = await fetchInput(uri, { maxBytes, timeoutMs: 30_000 });
  } catch (e) {
    if (e instanceof InputFetchError) throw new CliError(`--input-uri: ${e.message} (give --input-sha256 to submit without downloading)`);
    throw e;
  }
  try {
    lazy.tensor().decodeInput({ ...model, maxInputBytes: BigInt(maxBytes) }, bytes);
  } catch (e) {
    throw new CliError(`--input-uri: the ${bytes.length} bytes at ${uri} are not an input of ${model.id}: ${(e as Error).message}`);
  }
  return { inputUri: uri, inputSha256: sha256Hex(bytes) };
}

/** Checks and quantizes the input (or checks its URI), signs MsgSubmitJob (gas simulated) and waits for its block. */
async function submitJob(c: ResolvedClient, f: SubmitFlags, q: InferchainQueryClient, keyring: Keyring): Promise<Submitted> {
  const { BroadcastTxError, GasPrice, SigningStargateClient } = lazy.stargate();
  const { inferchainRegistry, msgSubmitJob } = lazy.registry();
  if ((f.input === undefined) === (f.inputUri === undefined)) throw new CliError("give the input as --input FILE.json or by --input-uri URI (one of them)");
  if (f.inputSha256 !== undefined && f.inputUri === undefined) throw new CliError("--input-sha256 goes with --input-uri");
  const adj = Number(f.gasAdjustment);
  if (!(adj >= 1)) throw new CliError("--gas-adjustment must be ≥ 1");
  const key = await keyring.show(f.from);
  const model = await getModel(q, f.model);
  const byUri = f.inputUri !== undefined ? await jobInputByUri(q, model, f.inputUri, f.inputSha256) : undefined;
  const input = f.input !== undefined ? encodeJobInput(model, readInput(f.input)) : new Uint8Array();
  const fee = jobFee(f.fee, model);
  const gasPrice = GasPrice.fromString(f.gasPrices ?? c.gasPrices);
  const signing = await SigningStargateClient.connectWithSigner(c.rpcUrl, await keyring.signer(key.name), { gasPrice, registry: inferchainRegistry() });
  let tx: IndexedTx;
  try {
    const chainId = await signing.getChainId();
    if (c.chainId && c.chainId !== chainId) throw new CliError(`--chain-id ${c.chainId} does not match the node's chain ${chainId} (${c.rpcUrl})`);
    const msg = msgSubmitJob({ client: key.address, modelId: model.id, input, inputUri: byUri?.inputUri ?? "", inputSha256: byUri?.inputSha256 ?? "", fee: fee.toString() });
    tx = await lazy.broadcast().signAndBroadcast(signing, c.rpcUrl, key.address, [msg], { gasPrice, gasAdjustment: adj });
  } catch (e) {
    if (e instanceof BroadcastTxError) throw new CliError(`submit-job refused (${e.codespace} ${e.code}): ${e.log ?? ""}`);
    throw e;
  } finally {
    signing.disconnect();
  }
  if (tx.code !== 0) throw new CliError(`submit-job failed in block ${tx.height} (code ${tx.code}): ${tx.rawLog ?? ""}`);
  return { id: jobIdOf(tx), tx, fee, model };
}

export function inferenceTxCommand(): Command {
  const tx = new Command("inference").description("x/inference transactions");
  tx.addCommand(
    withSubmitFlags(new Command("submit-job"))
      .description("Pay for one run of a model: the input JSON is checked against the model's inputs and quantized (or given by --input-uri and its sha256), and the fee escrowed; prints the job id")
      .action(async (f: SubmitFlags) => {
        const c = resolveClient(f);
        await withQuery(c, async (q) => {
          const s = await submitJob(c, f, q, await homeKeyring(c));
          print(c.output, { job_id: s.id.toString(), txhash: s.tx.hash, height: s.tx.height, code: s.tx.code, fee: `${s.fee}uinf`, gas_wanted: s.tx.gasWanted, gas_used: s.tx.gasUsed });
        });
      }),
  );
  return tx;
}

// ---------------------------------------------------------------------------- query inference / models

interface JobFlags extends ClientFlags {
  from?: string;
}

interface JobsFlags extends ClientFlags {
  status?: string;
  client?: string;
  worker?: string;
  limit?: string;
}

export function inferenceQueryCommand(): Command {
  const q = new Command("inference").description("x/inference queries");
  q.addCommand(
    withClientFlags(new Command("job"))
      .description(
        "One job: status, assignee, deadlines, its result's commitment and sealed size; with --from (the job's client) the result opened, checked against the commitment and the output spec, and dequantized",
      )
      .argument("<id>", "job id")
      .option("--from <key>", "the job's client key (or address) in the keyring: opens the sealed result")
      .addOption(new Option("--keyring-backend <backend>", "keyring backend").choices(["test", "file"]))
      .action(async (id: string, f: JobFlags) => {
        if (!/^[0-9]+$/.test(id)) throw new CliError(`job id must be a number, got ${id}`);
        const c = resolveClient(f);
        await withQuery(c, async (query) => {
          const job = await query.inferchain.inference.job(BigInt(id));
          if (!job) throw new CliError(`job ${id} not found`);
          const model = await query.inferchain.models.model(job.modelId);
          let opened: OpenedResult | undefined;
          let failure: SealedResultError | undefined;
          if (f.from !== undefined && model) {
            const { SealedResultError } = lazy.results();
            try {
              opened = clientResult(job, model, await clientKey(await homeKeyring(c), f.from, job));
            } catch (e) {
              if (!(e instanceof SealedResultError)) throw e;
              failure = e;
            }
          }
          print(c.output, { job: jobToJson(job, model, opened) });
          if (failure) throw new CliError(sealedResultMessage(failure));
        });
      }),
  );
  q.addCommand(
    withClientFlags(new Command("jobs"))
      .description("Jobs in id order, filtered by status, client and/or worker")
      .option("--status <status>", "pending, assigned, result_posted, disputed, finalized or failed")
      .option("--client <address>", "jobs of this client (infer1…)")
      .option("--worker <address>", "jobs assigned to this worker key (infer1…)")
      .option("--limit <n>", "at most n jobs", "100")
      .action(async (f: JobsFlags) => {
        const { parseAddress } = lazy.address();
        const c = resolveClient(f);
        let status: JobStatus | undefined;
        try {
          status = f.status === undefined ? undefined : lazy.queries().parseJobStatus(f.status);
        } catch (e) {
          throw new CliError((e as Error).message);
        }
        if (f.client) parseAddress(f.client, undefined, "--client");
        if (f.worker) parseAddress(f.worker, undefined, "--worker");
        const limit = Number(f.limit ?? "100");
        if (!Number.isInteger(limit) || limit < 1) throw new CliError("--limit must be an integer ≥ 1");
        await withQuery(c, async (query) => {
          const jobs = await query.inferchain.inference.jobs({ status, client: f.client, worker: f.worker, limit });
          const models = new Map<string, Model | undefined>();
          for (const j of jobs) if (!models.has(j.modelId)) models.set(j.modelId, await query.inferchain.models.model(j.modelId));
          print(c.output, { jobs: jobs.map((j) => jobToJson(j, models.get(j.modelId))) });
        });
      }),
  );
  return q;
}

export function modelToJson(m: Model): Record<string, unknown> {
  const spec = (s: Model["inputs"][number]) => ({ name: s.name, dtype: s.dtype, shape: s.shape.map((d) => Number(d)), ...(s.maxAbs ? { max_abs: s.maxAbs.toString() } : {}) });
  return {
    id: m.id,
    onnxSha256: m.onnxSha256,
    uri: m.uri,
    inputs: m.inputs.map(spec),
    outputs: m.outputs.map(spec),
    metric: m.metric,
    threshold: m.threshold.toString(),
    quantScaleBits: m.quantScaleBits,
    minFee: m.minFee.toString(),
    maxInputBytes: m.maxInputBytes.toString(),
    maxOutputBytes: m.maxOutputBytes.toString(),
    slaBlocks: m.slaBlocks.toString(),
    owner: m.owner,
    deposit: m.deposit.toString(),
    registeredHeight: m.registeredHeight.toString(),
  };
}

export function modelsQueryCommand(): Command {
  const q = new Command("models").description("x/models queries (the model registry)");
  q.addCommand(
    withClientFlags(new Command("list"))
      .description("Every registered model with its sha256, URI, input and output specs, metric and fees")
      .action(async (f: ClientFlags) => {
        const c = resolveClient(f);
        const models = await withQuery(c, (query) => query.inferchain.models.all());
        print(c.output, { models: models.map(modelToJson) });
      }),
  );
  q.addCommand(
    withClientFlags(new Command("model"))
      .description("One registered model")
      .argument("<id>", "model id")
      .action(async (id: string, f: ClientFlags) => {
        const c = resolveClient(f);
        print(c.output, { model: modelToJson(await withQuery(c, (query) => getModel(query, id))) });
      }),
  );
  q.addCommand(
    withClientFlags(new Command("encode-input"))
      .description(
        "Write an input as the canonical tensor-list bytes a job by URI points at (checked against the model's inputs, quantized, at most x/inference's max_uri_input_bytes) and print their sha256: serve the file over http(s) and submit with --input-uri",
      )
      .requiredOption("--model <id>", "registered model id")
      .requiredOption("--input <file>", 'input tensors as JSON: {"<name>": {"dims": [...], "data": [...]}}')
      .requiredOption("--out <file>", "where to write the bytes")
      .action(async (f: ClientFlags & { model: string; input: string; out: string }) => {
        const c = resolveClient(f);
        const { bytes, model } = await withQuery(c, async (query) => {
          const m = await getModel(query, f.model);
          const maxUri = (await query.inferchain.inference.params())?.maxUriInputBytes ?? 65_536n;
          return { model: m, bytes: encodeJobInput({ ...m, maxInputBytes: maxUri }, readInput(f.input)) };
        });
        try {
          fs.writeFileSync(f.out, bytes);
        } catch (e) {
          throw new CliError(`cannot write --out ${f.out}: ${(e as Error).message}`);
        }
        print(c.output, { model_id: model.id, file: f.out, bytes: bytes.length, sha256: lazy.inputData().sha256Hex(bytes), inline: BigInt(bytes.length) <= model.maxInputBytes });
      }),
  );
  return q;
}

// ---------------------------------------------------------------------------- infer

interface InferFlags extends SubmitFlags {
  wait: boolean;
  verify: boolean;
  bond?: string;
  timeout: string;
}

/** A result, or failed: what waitForJob waits for. */
const isDone = (status: JobStatus): boolean => hasResult(status) || status === lazy.queries().JobStatus.JOB_STATUS_FAILED;

/** Polls the Job query until the job has a result or failed; undefined on timeout. */
export async function waitForJob(q: InferchainQueryClient, id: bigint, timeoutMs: number, pollMs = 250): Promise<Job | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await q.inferchain.inference.job(id).catch(() => undefined);
    if (job && isDone(job.status)) return job;
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export function inferCommand(): Command {
  return withSubmitFlags(new Command("infer"))
    .description(
      "Submit a job and (with --wait) print its result: the input JSON is checked against the model's inputs and quantized (or, by --input-uri, downloaded, hashed and checked unless --input-sha256 is given); the sealed result is opened with the --from key, checked against the worker's commitment and the output spec, and dequantized",
    )
    .option("--wait", "wait for the result (RESULT_POSTED, FINALIZED or FAILED), open it and print it", false)
    .option("--verify", "with --wait: re-run the model here on the input and challenge a result that diverges under the model's metric, or does not open", false)
    .option("--bond <amount>", "with --verify: the challenge bond in uinf (default: min_challenge_bond)")
    .option("--timeout <seconds>", "how long --wait waits", "120")
    .action(async (f: InferFlags) => {
      const { JobStatus, jobStatusName } = lazy.queries();
      const c = resolveClient(f);
      if (f.verify && !f.wait) throw new CliError("--verify needs --wait");
      const bond = f.bond === undefined ? undefined : /^[0-9]+(uinf)?$/.test(f.bond.trim()) ? BigInt(f.bond.trim().replace(/uinf$/, "")) : undefined;
      if (f.bond !== undefined && bond === undefined) throw new CliError(`--bond must be an amount of uinf, e.g. 1000000uinf; got ${f.bond}`);
      await withQuery(c, async (q) => {
        const keyring = await homeKeyring(c);
        const { id, tx, fee, model } = await submitJob(c, f, q, keyring);
        if (!f.wait) {
          print(c.output, { job_id: id.toString(), status: "JOB_STATUS_PENDING", txhash: tx.hash, submitted_height: String(tx.height), fee: `${fee}uinf` });
          return;
        }
        process.stderr.write(`job ${id} submitted at height ${tx.height} (tx ${tx.hash}); waiting for the result…\n`);
        const job = await waitForJob(q, id, Number(f.timeout) * 1000);
        if (!job) {
          const last = await q.inferchain.inference.job(id).catch(() => undefined);
          throw new CliError(`job ${id}: no result within ${f.timeout} s (status ${last ? jobStatusName(last.status) : "unknown"}); inferd query inference job ${id}`);
        }
        const summary = {
          job_id: id.toString(),
          status: JobStatus[job.status],
          model_id: job.modelId,
          worker: job.worker,
          operator: job.operator,
          attempts: job.attempts,
          submitted_height: job.submittedHeight.toString(),
          assigned_height: job.assignedHeight.toString(),
          result_height: job.resultHeight.toString(),
          blocks: job.resultHeight > 0n ? (job.resultHeight - job.submittedHeight).toString() : undefined,
          late: job.late,
          cannot_run: job.cannotRun,
          cannot_run_reason: job.cannotRun ? job.cannotRunReason : undefined,
          fee: job.fee,
          refunded: job.refunded,
        };
        const { SealedResultError } = lazy.results();
        let opened: OpenedResult | undefined;
        let failure: SealedResultError | undefined;
        try {
          opened = clientResult(job, model, await clientKey(keyring, f.from, job));
        } catch (e) {
          if (!(e instanceof SealedResultError)) throw e;
          failure = e;
        }
        const output = opened ? resultTensors(opened.output, model) : undefined;
        if (c.output === "json") {
          print("json", { ...summary, output: output ?? null });
        } else {
          print("text", summary);
          process.stdout.write(
            output ? `output:\n${compactTensorJson(output)}\n` : job.cannotRun ? `output: none (the worker cannot run this input: ${job.cannotRunReason}; the fee is refunded at finalization)\n` : "output: none\n",
          );
        }
        if (f.verify && (opened || failure?.challengeable)) {
          // A result that does not open is checked as an empty output: it fits no output spec, so it is challenged.
          const result = opened ?? { output: new Uint8Array(), cannotRun: false };
          if (failure) process.stderr.write(`verify: ${failure.message}\n`);
          await verifyAndChallenge(c, job, result, model, { from: f.from, bond, gasPrices: f.gasPrices, gasAdjustment: Number(f.gasAdjustment) });
        }
        if (failure) throw new CliError(sealedResultMessage(failure));
        if (job.status === JobStatus.JOB_STATUS_FAILED) process.exitCode = 1;
      });
    });
}
