/**
 * Catching faulty inference end to end (issue 9) on real localnets made as a user makes them
 * (`inferd localnet init`, params edited in genesis before the first start, `inferd localnet
 * start --detach --sidecar-fault I=MODE`): CometBFT, one sidecar per validator, CosmJS for the
 * client's txs and queries, the CLI where a user would use it.
 *
 * Localnet A, 4 validators, node 1's sidecar `--fault random`, every result audited
 * (audit_rate_ppm 10^6), 1 verifier per round and 2 on appeal:
 *   1. the random worker's results are audited and found at FAULT; it is slashed 100%, jailed and
 *      tombstoned, its client refunded exactly the fees; blocks keep coming and the other three
 *      answer new jobs. The test prints the blocks from a faked result's inclusion to its slash.
 *   4. the worker appeals one FAULT verdict (`inferd tx challenge appeal`) with twice the bond; the
 *      appeal goes to the two validators not yet drawn (a committee larger than the first) and
 *      stays FAULT; the appeal bond goes to them. The 7-seat appeal of the default params cannot
 *      be drawn from 3 candidates: x/challenge's unit tests cover it (abci.test.ts, verdict.test.ts).
 *
 * Localnet B, 5 validators, node 4's sidecar `--fault bad-seal`, 3 verifiers per round, audits
 * practically off (1 ppm) so that jobs wait for a challenger (window 2000 blocks):
 *   2. a griefer challenges an honest worker's result with a bond: OK; the worker keeps its stake;
 *      the bond is split exactly between the worker and the three verifiers.
 *   3. (no-show) the first round's committee has two `--fault no-show` verifiers: no quorum, both
 *      slashed slash_fraction_bad_verification, a fresh round of the remaining validator reaches
 *      the verdict; (random-verifier) a committee with one `--fault random-verifier`: it is
 *      outvoted 2 to 1 and slashed slash_fraction_bad_verification.
 *      Which validators a round draws is random (stake-weighted from the block hash), so the test
 *      gives the fault modes after the draw: before the challenge it stops the sidecars of every
 *      candidate, and once the round is drawn it starts each again (`inferd sidecar --fault …`,
 *      same home) in the mode its seat is to play; a sidecar resumes its duties from chain state.
 *      commit_blocks is 25 so that restarted sidecars are in time. bad_verification is exempt
 *      from the correlation penalty (x/slashing's default correlation_exempt_kinds): with 2-3 of
 *      5 validators slashed in one window it would otherwise top each up to 100% 50 blocks later.
 *   5. the client cannot open a bad-seal result (`inferd query inference job ID --from client`
 *      says so and names the remedy), challenges it (`inferd tx challenge challenge`), the worker's
 *      opening fails the chain's re-encryption check: FAULT, the worker slashed 100%, jailed and
 *      tombstoned, the client's bond back, its fee refunded, its reporter reward paid.
 * 6. In both localnets no honest validator (never given a fault mode) is slashed: no slash record
 *    and its tokens unchanged (there are no staking rewards); a faulty one has exactly the slashes
 *    its part asks for.
 *
 * Port indexes 56-61 (test/support/network.ts lists who uses which); the localnets run one after
 * the other.
 */
import type { CometClient } from "@cosmjs/tendermint-rpc";
import fs from "node:fs";
import path from "node:path";
import { DisputeKind, DisputeStatus, Verdict } from "../../gen/inferchain/challenge/v1/challenge";
import { msgChallenge, type Dispute } from "../../client/challenge";
import { JobStatus, type Job } from "../../client/queries";
import { encodeTensorList } from "../../x/models/tensor";
import type { Model } from "../../x/models/types";
import { parseTensorJson, quantizeTensors } from "../../lib/tensors";
import { blockEvents, Localnet, slashEvents, validatorState, waitFor, type LocalnetQueryClient, type LocalnetValidator } from "../support/localnet";
import { inferd, latestHeight, REPO_ROOT } from "../support/node";
import { balance, homeSigner, sendTx, submitJobMsg, type TxOutcome } from "../support/sidecar";

jest.setTimeout(600_000);

const PORT_RANGE = [56, 61] as const;
const FEE = 1000n;
const FUNDS = 10_000_000_000n;
const GAS = 400_000;
const BATCH_GAS = 1_500_000;
/** What sendTx pays for `gas` at 0.025uinf. */
const txFee = (gas: number): bigint => BigInt(Math.ceil(gas * 0.025));
const CLI_TX = ["--yes", "--gas", String(GAS), "--fees", `${txFee(GAS)}uinf`];
const TOKENS = 10_000_000n;
const log = (msg: string): void => void process.stderr.write(`[challenge] ${msg}\n`);

function mlpInput(model: Model): Uint8Array {
  const json = fs.readFileSync(path.join(REPO_ROOT, "examples", "mlp-input.json"), "utf8");
  return encodeTensorList(quantizeTensors(parseTensorJson(json, model.inputs), model.quantScaleBits));
}

function jobIds(events: TxOutcome["events"]): bigint[] {
  return events.filter((e) => e.type === "job_submitted").map((e) => BigInt(e.attributes.find((a) => a.key === "job_id")!.value));
}

/** Polls the job until `pred` holds. */
function job(q: LocalnetQueryClient, id: bigint, pred: (j: Job) => boolean, what: string): Promise<Job> {
  return waitFor(`job ${id} ${what}`, async () => {
    const j = await q.inferchain.inference.job(id);
    return j && pred(j) ? j : undefined;
  });
}

/** The (only) dispute of a job, once `pred` holds. */
function disputeOfJob(q: LocalnetQueryClient, jobId: bigint, pred: (d: Dispute) => boolean, what: string, timeoutMs?: number): Promise<Dispute> {
  return waitFor(
    `job ${jobId}'s dispute ${what}`,
    async () => {
      const [d] = await q.challenge.disputes({ jobId });
      return d && pred(d) ? d : undefined;
    },
    timeoutMs,
  );
}

/** Payouts (or expected ones) in recipient order, to compare as sets. */
const byRecipient = <T extends { recipient: string }>(xs: T[]): T[] => [...xs].sort((a, b) => a.recipient.localeCompare(b.recipient));

const isFinal = (d: Dispute): boolean => d.status === DisputeStatus.DISPUTE_STATUS_FINAL_FAULT || d.status === DisputeStatus.DISPUTE_STATUS_FINAL_OK;

/** The `dispute_payout` events of dispute `d` in its final block, in order. */
async function payouts(rpcUrl: string, d: Dispute): Promise<Array<{ recipient: string; amount: bigint; kind: string }>> {
  return (await blockEvents(rpcUrl, d.finalHeight))
    .filter((e) => e.type === "dispute_payout" && e.attributes.dispute_id === d.id.toString())
    .map((e) => ({ recipient: e.attributes.recipient, amount: BigInt(e.attributes.amount.replace(/uinf$/, "")), kind: e.attributes.kind }));
}

/** A test on the localnet `getNet()` gives; a failure keeps the localnet's dir and carries the sidecars' warnings. */
function onLocalnet(name: string, getNet: () => Localnet | undefined, failed: { value: boolean }, fn: (n: Localnet) => Promise<void>): void {
  test(name, async () => {
    const n = getNet();
    if (!n) throw new Error("the localnet did not start");
    try {
      await fn(n);
    } catch (e) {
      failed.value = true;
      if (e instanceof Error) e.message += `\n\n${n.sidecarTails()}`;
      throw e;
    }
  });
}

/** Scenario 6: validators never given a fault mode have no slash record and all their tokens. */
async function expectHonestUntouched(q: LocalnetQueryClient, honest: readonly LocalnetValidator[]): Promise<void> {
  for (const v of honest) {
    expect({ node: v.index, slashes: (await slashEvents(q, v.operator)).map((e) => e.kind) }).toEqual({ node: v.index, slashes: [] });
    expect({ node: v.index, ...(await validatorState(q, v.operator)) }).toEqual({ node: v.index, tokens: TOKENS, jailed: false });
  }
}

// ---------------------------------------------------------------------------- localnet A

describe("localnet A (4 validators, every result audited): a random worker is caught, slashed 100%, jailed, tombstoned; its appeal stays FAULT", () => {
  const FAULTY = 1;
  let net: Localnet | undefined;
  let q: LocalnetQueryClient;
  let comet: CometClient | undefined;
  const failed = { value: false };

  beforeAll(async () => {
    net = await Localnet.start({
      validators: 4,
      portRange: PORT_RANGE,
      accounts: { client: FUNDS },
      faults: { [FAULTY]: "random" },
      appState: (s) => {
        Object.assign(s.challenge.params as object, { audit_rate_ppm: "1000000", max_audit_rate_ppm: "1000000", verifiers_per_round: 1, appeal_verifiers: 2, appeal_window_blocks: "20" });
      },
    });
    ({ q, comet } = await net.connect());
  }, 300_000);

  afterAll(async () => {
    comet?.disconnect();
    await net?.stop(failed.value);
  });

  onLocalnet("audit → FAULT → slash, jail, tombstone, refunds; the appeal to a larger committee stays FAULT; the chain goes on", () => net, failed, async (n) => {
    const rpc = n.rpcUrl();
    const fv = n.validators[FAULTY];
    const honest = n.validators.filter((v) => v.index !== FAULTY);
    const client = await homeSigner(n.home(0), "client");
    const mlp = (await q.inferchain.models.model("mlp-16x8"))!;
    const input = mlpInput(mlp);

    // A user's `infer --wait --verify` (node0's operator key): an honest worker's result
    // agrees with the re-run here; the random worker's is held by its audit already (or, if
    // the challenge got in first, challenged).
    const verify = await inferd(["infer", "--model", mlp.id, "--input", "examples/mlp-input.json", "--from", "validator", "--wait", "--verify", "--home", n.home(0)], { timeoutMs: 120_000 });
    expect({ code: verify.code, stderr: verify.stderr }).toMatchObject({ code: 0, stderr: expect.stringMatching(/verify: mlp-16x8 re-run here on the job's input: the worker's result (agrees|diverges)/) });
    const verified = /^worker: (\S+)$/m.exec(verify.stdout)?.[1];
    expect(verify.stderr).toMatch(verified === fv.worker ? /already disputed \(dispute [0-9]+|challenged job/ : /agrees under MAX_ABS_DIFF, max \|Δ\| 0 ≤/);

    // Jobs until two land on the random worker (assignment is stake-weighted at random).
    let spent = 0n;
    const onFaulty: Job[] = [];
    for (let b = 0; b < 12 && onFaulty.length < 2; b++) {
      const r = await sendTx(rpc, client, Array.from({ length: 4 }, () => submitJobMsg(client.address, mlp.id, input, FEE)), BATCH_GAS);
      expect(r.code).toBe(0);
      spent += txFee(BATCH_GAS) + 4n * FEE;
      for (const id of jobIds(r.events)) {
        const j = await job(q, id, (x) => x.worker !== "", "assigned");
        if (j.worker === fv.worker) onFaulty.push(j);
      }
    }
    expect(onFaulty.length).toBeGreaterThanOrEqual(2);
    const [j1, j4] = await Promise.all(onFaulty.slice(0, 2).map((j) => job(q, j.id, (x) => x.resultHeight > 0n, "answered")));

    // Scenario 4 first (its appeal window is running): the worker appeals j4's FAULT verdict.
    const a4 = await disputeOfJob(q, j4.id, (d) => d.status === DisputeStatus.DISPUTE_STATUS_APPEALABLE || isFinal(d), "appealable");
    expect(DisputeStatus[a4.status]).toBe("DISPUTE_STATUS_APPEALABLE");
    expect(a4.kind).toBe(DisputeKind.DISPUTE_KIND_AUDIT);
    expect(a4.rounds.map((r) => [r.verifiers.length, Verdict[r.verdict]])).toEqual([[1, "VERDICT_FAULT"]]);
    const workerFunds = await balance(rpc, fv.account);
    const appeal = await inferd(["tx", "challenge", "appeal", a4.id.toString(), "--from", "validator", "--home", n.home(FAULTY), ...CLI_TX]);
    expect(appeal.stdout + appeal.stderr).toMatch(/^code: 0$/m);
    const appealBond = 2n * 1_000_000n; // appeal_bond_multiplier × min_challenge_bond (an audit posts none)
    expect(await balance(rpc, fv.account)).toBe(workerFunds - appealBond - txFee(GAS));

    // Scenario 1: j1's audit goes final at FAULT (nobody appeals it).
    const d1 = await disputeOfJob(q, j1.id, isFinal, "final");
    expect(DisputeStatus[d1.status]).toBe("DISPUTE_STATUS_FINAL_FAULT");
    expect(d1.kind).toBe(DisputeKind.DISPUTE_KIND_AUDIT);
    expect(d1.openedHeight).toBe(j1.resultHeight + 1n); // audited in the block after the result's
    const slashes = await slashEvents(q, fv.operator);
    const s1 = slashes.find((e) => e.infractionHeight === j1.assignedHeight)!; // a FAULT counts from the assignment (issue 10)
    expect(s1).toMatchObject({ kind: "invalid_result", fractionPpm: 1_000_000n, jailed: true, tombstoned: true, height: d1.finalHeight });
    expect(slashes[0].amount).toBe(TOKENS.toString()); // the first FAULT takes all of it
    expect(await validatorState(q, fv.operator)).toEqual({ tokens: 0n, jailed: true });
    const verdictAt = d1.appealEndHeight - 20n;
    log(
      `job ${j1.id}: random result included at ${j1.resultHeight}, audited at ${d1.openedHeight} (dispute ${d1.id}), verifier drawn at ${d1.rounds[0].drawnHeight}, ` +
        `verdict FAULT at ${verdictAt}, final and slashed at ${s1.height}: ${s1.height - j1.resultHeight} blocks ` +
        `(${verdictAt - j1.resultHeight} to the verdict + appeal_window_blocks 20 here; 10 by default)`,
    );

    // Scenario 4: two new verifiers (not the first round's, not the worker) agree it is FAULT.
    const d4 = await disputeOfJob(q, j4.id, isFinal, "final after the appeal");
    expect(DisputeStatus[d4.status]).toBe("DISPUTE_STATUS_FINAL_FAULT");
    expect(d4.rounds).toHaveLength(2);
    const [r1, r2] = d4.rounds;
    expect({ requester: r2.requester, bond: r2.bond, verdict: Verdict[r2.verdict] }).toEqual({ requester: fv.account, bond: appealBond, verdict: "VERDICT_FAULT" });
    expect(r2.verifiers).toHaveLength(2);
    expect(r2.verifiers.map((x) => [x.revealed, x.agrees])).toEqual([
      [true, false],
      [true, false],
    ]);
    const seated = [...r1.verifiers, ...r2.verifiers].map((x) => x.operator);
    expect(new Set(seated).size).toBe(3);
    expect(seated).not.toContain(fv.operator);
    // The appeal bond is forfeited to the appeal committee (an audit has no challenger).
    const p4 = (await payouts(rpc, d4)).filter((p) => p.kind !== "audit_reward");
    expect(byRecipient(p4)).toEqual(byRecipient(r2.verifiers.map((x) => ({ recipient: n.validators[n.indexOf(x.operator)].account, amount: appealBond / 2n, kind: "bond_share" }))));

    // Every result of the random worker was audited and refunded to the client in full.
    const faulty: Job[] = [];
    for (const j of onFaulty) {
      await disputeOfJob(q, j.id, (d) => DisputeStatus[d.status] === "DISPUTE_STATUS_FINAL_FAULT", "final at FAULT");
      faulty.push(await job(q, j.id, (x) => x.status === JobStatus.JOB_STATUS_FAILED, "failed"));
    }
    expect(faulty.map((j) => j.refunded)).toEqual(faulty.map(() => FEE.toString()));
    expect(await balance(rpc, client.address)).toBe(FUNDS - spent + BigInt(faulty.length) * FEE);

    // The chain goes on with the three others: blocks keep coming, new jobs get answered.
    const h0 = await latestHeight(rpc);
    const more = await sendTx(rpc, client, Array.from({ length: 3 }, () => submitJobMsg(client.address, mlp.id, input, FEE)), BATCH_GAS);
    expect(more.code).toBe(0);
    for (const id of jobIds(more.events)) {
      const j = await job(q, id, (x) => x.resultHeight > 0n, "answered");
      expect(honest.map((v) => v.worker)).toContain(j.worker);
    }
    expect(await latestHeight(rpc)).toBeGreaterThan(h0 + 2);

    // The CLI shows the audits of the faulty validator, and its slashes.
    const listed = await inferd(["query", "challenge", "disputes", "--validator", fv.operator, "--home", n.home(0)]);
    expect(listed.code).toBe(0);
    for (const j of onFaulty) expect(listed.stdout).toMatch(new RegExp(`^\\S+\\s+${j.id}\\s+AUDIT\\s+FINAL_FAULT`, "m"));
    const cliSlashes = await inferd(["query", "slashing", "slash-events", "--validator", fv.operator, "--home", n.home(0)]);
    expect(cliSlashes.stdout).toMatch(/invalid_result/);

    // Scenario 6.
    await expectHonestUntouched(q, honest);
  });
});

// ---------------------------------------------------------------------------- localnet B

describe("localnet B (5 validators, challenges): a griefer loses its bond, faulty verifiers pay, a client with an unopenable result wins", () => {
  const BAD_SEAL = 4;
  const BOND = 1_000_000n;
  let net: Localnet | undefined;
  let q: LocalnetQueryClient;
  let comet: CometClient | undefined;
  const failed = { value: false };
  /** Jobs on honest workers (one per scenario) and the bad-seal worker's. */
  const honestJobs: Job[] = [];
  let badSealJob: Job | undefined;
  /** Node index → the slash kinds its part in the scenarios asks for, in order. */
  const expectedSlashes = new Map<number, string[]>();
  const expectSlash = (i: number, kind: string): void => void expectedSlashes.set(i, [...(expectedSlashes.get(i) ?? []), kind]);
  /** The mode a node's sidecar runs in when it is not given a verifier part. */
  const baseMode = (i: number): string => (i === BAD_SEAL ? "bad-seal" : "");

  beforeAll(async () => {
    net = await Localnet.start({
      validators: 5,
      portRange: PORT_RANGE,
      accounts: { client: FUNDS, griefer: FUNDS },
      faults: { [BAD_SEAL]: "bad-seal" },
      appState: (s) => {
        Object.assign(s.challenge.params as object, {
          audit_rate_ppm: "1",
          verifiers_per_round: 3,
          commit_blocks: "25",
          reveal_blocks: "10",
          open_blocks: "10",
          appeal_window_blocks: "6",
        });
        Object.assign(s.inference.params as object, { challenge_window_blocks: "2000" });
        // The 1% is not multiplied by the correlation penalty: x/slashing's default exempts it.
        expect((s.slashing.params as { correlation_exempt_kinds: string[] }).correlation_exempt_kinds).toContain("bad_verification");
      },
    });
    ({ q, comet } = await net.connect());
    // The client's jobs, until three are on honest workers and one on the bad-seal worker.
    const client = await homeSigner(net.home(0), "client");
    const mlp = (await q.inferchain.models.model("mlp-16x8"))!;
    for (let b = 0; b < 12 && (honestJobs.length < 3 || !badSealJob); b++) {
      const r = await sendTx(net.rpcUrl(), client, Array.from({ length: 5 }, () => submitJobMsg(client.address, mlp.id, mlpInput(mlp), FEE)), BATCH_GAS);
      expect(r.code).toBe(0);
      for (const id of jobIds(r.events)) {
        const j = await job(q, id, (x) => x.resultHeight > 0n, "answered");
        if (j.worker === net.validators[BAD_SEAL].worker) badSealJob ??= j;
        else honestJobs.push(j);
      }
    }
    expect(honestJobs.length).toBeGreaterThanOrEqual(3);
    expect(badSealJob).toBeDefined();
  }, 300_000);

  afterAll(async () => {
    comet?.disconnect();
    await net?.stop(failed.value);
  });

  /** Stops every sidecar but node `keep`'s, so that none verifies before it is given its part. */
  async function quiet(keep: number): Promise<void> {
    await Promise.all(net!.validators.filter((v) => v.index !== keep).map((v) => net!.stopSidecar(v.index)));
  }

  /** Waits for round `round` of dispute `id` to be drawn; its verifiers' node indexes in seat order. */
  async function drawn(id: bigint, round: number): Promise<number[]> {
    const d = await waitFor(`dispute ${id} round ${round} drawn`, async () => {
      const x = await q.challenge.dispute(id);
      return x && x.rounds.length >= round && x.rounds[round - 1].verifiers.length > 0 ? x : undefined;
    });
    return d.rounds[round - 1].verifiers.map((v) => net!.indexOf(v.operator));
  }

  /** Every sidecar but the worker's stopped, then the griefer's challenge of `j` and its first round drawn. */
  async function challengeUnwatched(j: Job): Promise<{ w: number; id: bigint; seats: number[] }> {
    const w = net!.indexOf(net!.validators.find((v) => v.worker === j.worker)!.operator);
    await quiet(w);
    const id = await challenge("griefer", j.id);
    return { w, id, seats: await drawn(id, 1) };
  }

  async function challenge(who: string, jobId: bigint): Promise<bigint> {
    const g = await homeSigner(net!.home(0), who);
    const r = await sendTx(net!.rpcUrl(), g, [msgChallenge({ challenger: g.address, jobId, bond: BOND })], GAS);
    expect(r.code).toBe(0);
    const [d] = await q.challenge.disputes({ jobId });
    return d.id;
  }

  onLocalnet("scenario 2: a griefer challenges an honest result; OK; the bond goes to the worker and the verifiers, exactly", () => net, failed, async (n) => {
    const rpc = n.rpcUrl();
    const j = honestJobs[0];
    const w = n.validators.find((v) => v.worker === j.worker)!;
    const griefer = n.accounts.griefer;
    const funds = new Map<string, bigint>();
    for (const a of [griefer, ...n.validators.map((v) => v.account)]) funds.set(a, await balance(rpc, a));

    const id = await challenge("griefer", j.id);
    const d = await disputeOfJob(q, j.id, isFinal, "final");
    expect(DisputeStatus[d.status]).toBe("DISPUTE_STATUS_FINAL_OK");
    expect(d.id).toBe(id);
    expect(d.rounds).toHaveLength(1);
    const seats = d.rounds[0].verifiers;
    expect(seats.map((x) => [x.revealed, x.agrees])).toEqual([
      [true, true],
      [true, true],
      [true, true],
    ]);
    expect(seats.map((x) => x.operator)).not.toContain(w.operator);
    // 1,000,000 split four ways: the worker's operator account and each verifier's.
    const share = BOND / 4n;
    const verifierAccounts = seats.map((x) => n.validators[n.indexOf(x.operator)].account);
    expect(byRecipient(await payouts(rpc, d))).toEqual(byRecipient([w.account, ...verifierAccounts].map((recipient) => ({ recipient, amount: share, kind: "bond_share" }))));
    // The job finalized as the window's end would have: 85% of the fee to the worker.
    const fin = (await blockEvents(rpc, d.finalHeight)).find((e) => e.type === "job_finalized" && e.attributes.job_id === j.id.toString())!;
    expect(fin.attributes).toMatchObject({ recipient: w.account, worker_amount: "850uinf" });
    expect((await q.inferchain.inference.job(j.id))!.status).toBe(JobStatus.JOB_STATUS_FINALIZED);
    // Balances: the griefer lost the bond (and its tx fee); each got exactly its share.
    expect(await balance(rpc, griefer)).toBe(funds.get(griefer)! - BOND - txFee(GAS));
    for (const v of n.validators) {
      const expected = (verifierAccounts.includes(v.account) || v === w ? share : 0n) + (v === w ? 850n : 0n);
      expect({ node: v.index, gained: (await balance(rpc, v.account)) - funds.get(v.account)! }).toEqual({ node: v.index, gained: expected });
    }
    // The honest worker keeps its stake; nobody was slashed.
    expect(await validatorState(q, w.operator)).toEqual({ tokens: TOKENS, jailed: false });
    for (const v of n.validators) expect(await slashEvents(q, v.operator)).toEqual([]);
  });

  onLocalnet("scenario 3: two no-show verifiers: no quorum, both penalised, a fresh round reaches the verdict", () => net, failed, async (n) => {
    const j = honestJobs[1];
    const { w, id, seats } = await challengeUnwatched(j);
    expect(seats).toHaveLength(3);
    // The two no-shows: not the bad-seal node when it can be helped (it keeps its own part).
    const order = [...seats].sort((a, b) => Number(a === BAD_SEAL) - Number(b === BAD_SEAL));
    const noShows = order.slice(0, 2);
    const rest = n.validators.map((v) => v.index).filter((i) => i !== w && !noShows.includes(i));
    await Promise.all([...noShows.map((i) => n.startSidecar(i, "no-show")), ...rest.map((i) => n.startSidecar(i, baseMode(i)))]);
    for (const i of noShows) expectSlash(i, "bad_verification");

    const d = await disputeOfJob(q, j.id, isFinal, "final", 180_000);
    expect(DisputeStatus[d.status]).toBe("DISPUTE_STATUS_FINAL_OK");
    const [r1, r2] = d.rounds;
    expect(d.rounds).toHaveLength(2);
    expect(r1.noQuorum).toBe(true);
    for (const x of r1.verifiers) {
      const noShow = noShows.includes(n.indexOf(x.operator));
      expect({ node: n.indexOf(x.operator), committed: x.commitment.length > 0, revealed: x.revealed }).toEqual({ node: n.indexOf(x.operator), committed: !noShow, revealed: false });
    }
    // The fresh round: the one validator not drawn before.
    expect(r2.verifiers.map((x) => n.indexOf(x.operator))).toEqual(rest.filter((i) => !seats.includes(i)));
    expect(r2.verifiers.map((x) => [x.revealed, x.agrees])).toEqual([[true, true]]);
    expect(Verdict[r2.verdict]).toBe("VERDICT_OK");
    let noQuorum;
    for (let h = r1.commitEndHeight; h <= r2.drawnHeight && !noQuorum; h++) {
      noQuorum = (await blockEvents(n.rpcUrl(), h)).find((e) => e.type === "no_quorum" && e.attributes.dispute_id === id.toString());
    }
    expect(noQuorum?.attributes).toMatchObject({ round: "1", drawn: "3", reveals: "0", quorum: "2" });
    for (const i of noShows) {
      const [s] = await slashEvents(q, n.validators[i].operator);
      expect(s).toMatchObject({ kind: "bad_verification", fractionPpm: 10_000n, amount: (TOKENS / 100n).toString(), infractionHeight: r1.drawnHeight, jailed: false, tombstoned: false });
    }
    // The griefer's bond goes to the worker and the verifier of the deciding round.
    const deciding = [n.validators[w].account, n.validators[n.indexOf(r2.verifiers[0].operator)].account];
    expect(byRecipient(await payouts(n.rpcUrl(), d))).toEqual(byRecipient(deciding.map((recipient) => ({ recipient, amount: BOND / 2n, kind: "bond_share" }))));
  });

  onLocalnet("scenario 3: a random verifier is outvoted 2 to 1 and pays slash_fraction_bad_verification", () => net, failed, async (n) => {
    const j = honestJobs[2];
    const { w, seats } = await challengeUnwatched(j);
    // The random verifier: one that is faulty already if drawn (fewer validators with a part), never the bad-seal node.
    const rank = (i: number): number => (i === BAD_SEAL ? 2 : expectedSlashes.has(i) ? 0 : 1);
    const rv = [...seats].sort((a, b) => rank(a) - rank(b))[0];
    const others = n.validators.map((v) => v.index).filter((i) => i !== w && i !== rv);
    const tokensBefore = (await validatorState(q, n.validators[rv].operator)).tokens;
    await Promise.all([n.startSidecar(rv, "random-verifier"), ...others.map((i) => n.startSidecar(i, baseMode(i)))]);
    expectSlash(rv, "bad_verification");

    const d = await disputeOfJob(q, j.id, isFinal, "final", 180_000);
    expect(DisputeStatus[d.status]).toBe("DISPUTE_STATUS_FINAL_OK");
    expect(d.rounds).toHaveLength(1);
    const r = d.rounds[0];
    expect(r.verifiers.map((x) => [n.indexOf(x.operator), x.revealed, x.agrees]).sort()).toEqual(seats.map((i) => [i, true, i !== rv]).sort());
    expect(Verdict[r.verdict]).toBe("VERDICT_OK");
    const s = (await slashEvents(q, n.validators[rv].operator)).at(-1)!;
    expect(s).toMatchObject({ kind: "bad_verification", fractionPpm: 10_000n, amount: (tokensBefore / 100n).toString(), height: d.finalHeight, jailed: false });
    // The bond: the worker and the two verifiers that agreed (the remainder to the worker).
    const third = BOND / 3n;
    const winners = r.verifiers.filter((x) => x.agrees).map((x) => n.validators[n.indexOf(x.operator)].account);
    const got = await payouts(n.rpcUrl(), d);
    expect(got).toEqual([
      { recipient: n.validators[w].account, amount: BOND - 2n * third, kind: "bond_share" },
      ...winners.map((recipient) => ({ recipient, amount: third, kind: "bond_share" })),
    ]);
    // Back to every sidecar in its own mode for what follows.
    await Promise.all(n.validators.filter((v) => n.mode(v.index) !== baseMode(v.index)).map((v) => n.startSidecar(v.index, baseMode(v.index))));
  });

  onLocalnet("scenario 5: the client cannot open a bad-seal result, challenges it and wins; the worker is slashed 100%, jailed, tombstoned", () => net, failed, async (n) => {
    const rpc = n.rpcUrl();
    const j = badSealJob!;
    const bad = n.validators[BAD_SEAL];
    const client = n.accounts.client;
    // The client's CLI opens the result, and cannot.
    const open = await inferd(["query", "inference", "job", j.id.toString(), "--from", "client", "--home", n.home(0)]);
    expect(open.code).not.toBe(0);
    expect(open.stderr).toMatch(/sealed output does not open/);
    expect(open.stderr).toMatch(new RegExp(`inferd tx challenge challenge ${j.id}`));
    const funds = await balance(rpc, client);
    const tokens = (await validatorState(q, bad.operator)).tokens;
    const tx = await inferd(["tx", "challenge", "challenge", j.id.toString(), "--from", "client", "--home", n.home(0), ...CLI_TX]);
    expect(tx.stdout + tx.stderr).toMatch(/^code: 0$/m);
    expectSlash(BAD_SEAL, "invalid_result");

    const d = await disputeOfJob(q, j.id, isFinal, "final", 180_000);
    expect(DisputeStatus[d.status]).toBe("DISPUTE_STATUS_FINAL_FAULT");
    expect(d.challenger).toBe(client);
    expect(d.opened).toBe(false);
    expect(d.rounds[0].verifiers.every((x) => x.revealed)).toBe(true);
    // The worker's sidecar tried to open and the chain refused the opening.
    expect(n.sidecarLog(BAD_SEAL)).toMatch(/opening does not re-encrypt to the sealed output/);
    const verdict = (await blockEvents(rpc, d.appealEndHeight - 6n)).find((e) => e.type === "verdict" && e.attributes.dispute_id === d.id.toString());
    expect(verdict?.attributes).toMatchObject({ verdict: "fault", reason: "not_opened" });
    // Slashed 100%, jailed, tombstoned; the client and the verifiers report it.
    const s = (await slashEvents(q, bad.operator)).at(-1)!;
    expect(s).toMatchObject({ kind: "invalid_result", fractionPpm: 1_000_000n, amount: tokens.toString(), jailed: true, tombstoned: true, infractionHeight: j.assignedHeight });
    expect(await validatorState(q, bad.operator)).toEqual({ tokens: 0n, jailed: true });
    const reward = s.reporters.find((r) => r.address === client)!;
    expect(s.reporters).toHaveLength(1 + d.rounds[0].verifiers.length);
    expect(new Set(s.reporters.map((r) => r.amount)).size).toBe(1); // equal shares
    expect(BigInt(reward.amount)).toBe(((tokens * 100_000n) / 1_000_000n) / BigInt(s.reporters.length));
    // The client: its bond back, its fee refunded, its reward; minus the challenge's tx fee.
    expect(await payouts(rpc, d)).toEqual([{ recipient: client, amount: BOND, kind: "bond_return" }]);
    const failedJob = (await q.inferchain.inference.job(j.id))!;
    expect({ status: JobStatus[failedJob.status], refunded: failedJob.refunded }).toEqual({ status: "JOB_STATUS_FAILED", refunded: FEE.toString() });
    expect(await balance(rpc, client)).toBe(funds - txFee(GAS) + FEE + BigInt(reward.amount));
  });

  onLocalnet("scenario 6: no honest validator is slashed; the faulty ones have exactly the slashes of their parts", () => net, failed, async (n) => {
    const honest = n.validators.filter((v) => !expectedSlashes.has(v.index));
    expect(honest.length).toBeGreaterThan(0);
    await expectHonestUntouched(q, honest);
    for (const [i, kinds] of expectedSlashes) {
      expect({ node: i, kinds: (await slashEvents(q, n.validators[i].operator)).map((e) => e.kind) }).toEqual({ node: i, kinds });
    }
  });
});
