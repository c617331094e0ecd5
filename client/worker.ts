/**
 * Making a home's worker key serve: `inferd localnet start`, `inferd start --with-sidecar`, the
 * compose entrypoint and tests call `ensureWorkerRegistered` once the chain makes blocks. It
 * sends MsgRegisterWorker for the home's worker key (`worker`), serving every registered
 * model, signed by the operator key (`validator`, which pays the fee) and co-signed by the
 * worker key (the chain refuses a worker that did not sign), unless the chain already has
 * that registration (from genesis, or an earlier run). The worker's account must exist on
 * chain (genesis funds it).
 */
import { GasPrice } from "@cosmjs/stargate";
import { accountOperator } from "../base/types/address";
import { CliError } from "./errors";
import { VALIDATOR_KEY, WORKER_KEY, readClientConfig } from "./home";
import { openKeyring, KeyNotFoundError } from "./keyring";
import { signAndBroadcastMulti } from "./multiSign";
import { connectQueryClient } from "./queries";
import { inferchainRegistry, msgRegisterWorker } from "./registry";

export interface WorkerRegistration {
  readonly operator: string;
  readonly worker: string;
  readonly modelIds: readonly string[];
  /** False when the chain already had it. */
  readonly registered: boolean;
}

export async function ensureWorkerRegistered(home: string, o: { rpcUrl?: string; modelIds?: readonly string[] } = {}): Promise<WorkerRegistration> {
  const cfg = readClientConfig(home);
  const rpcUrl = (o.rpcUrl ?? cfg?.node ?? "tcp://127.0.0.1:26657").replace(/^tcp:\/\//, "http://");
  const backend = cfg?.keyringBackend === "file" ? "file" : "test";
  const keyring = await openKeyring({ home, backend });
  let validator, worker;
  try {
    validator = await keyring.show(VALIDATOR_KEY);
    worker = await keyring.show(WORKER_KEY);
  } catch (e) {
    if (e instanceof KeyNotFoundError) throw new CliError(`${home}: ${e.message} (homes made by \`inferd init\` or \`inferd localnet init\` have keys "${VALIDATOR_KEY}" and "${WORKER_KEY}")`);
    throw e;
  }
  const operator = accountOperator(validator.address);
  const { comet, query } = await connectQueryClient(rpcUrl);
  try {
    const modelIds = o.modelIds ?? (await query.inferchain.models.all()).map((m) => m.id);
    const have = await query.inferchain.staking.workerOfOperator(operator);
    if (have && have.workerAddress === worker.address && modelIds.every((id) => have.modelIds.includes(id))) {
      return { operator, worker: worker.address, modelIds: have.modelIds, registered: false };
    }
    const gasPrice = GasPrice.fromString(cfg?.gasPrices ?? "0.025uinf");
    const signers = [
      { signer: await keyring.signer(validator.name), address: validator.address },
      { signer: await keyring.signer(worker.name), address: worker.address },
    ];
    const msg = msgRegisterWorker({ operator, worker: worker.address, modelIds: [...modelIds] });
    const r = await signAndBroadcastMulti(comet, rpcUrl, signers, [msg], { registry: inferchainRegistry(), gasPrice, gasAdjustment: 1.5 });
    if (r.code !== 0) throw new CliError(`registering worker ${worker.address} for ${operator} failed (code ${r.code}): ${r.rawLog ?? ""}`);
    return { operator, worker: worker.address, modelIds, registered: true };
  } finally {
    comet.disconnect();
  }
}

/** Polls CometBFT's /status until it reports a block at `minHeight` or later. */
export async function waitForHeight(rpcUrl: string, minHeight: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const body = (await (await fetch(`${rpcUrl}/status`, { signal: AbortSignal.timeout(2000) })).json()) as { result?: { sync_info?: { latest_block_height?: string } } };
      if (Number(body.result?.sync_info?.latest_block_height ?? "0") >= minHeight) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new CliError(`${rpcUrl}: no block ${minHeight} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
