/**
 * FinalizeBlock benchmark (not a test): the cost of a large validator set in one block. An
 * in-process app (the real module list, LevelDB in a temp dir) starts from a genesis with N
 * staking validators (ed25519 keys, 10 INF self-delegated each, as `inferd localnet init` writes
 * them); then B empty blocks are finalized, each with an N-vote `decided_last_commit` (liveness
 * bookkeeping for every validator: signing info, missed-block bitmap) and committed. FinalizeBlock
 * and Commit are timed separately, after a warm-up; `trie_nodes_per_commit` is the mean number of
 * Merkle trie nodes each commit wrote (what a block's state writes cost on disk).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/finalizeBlock.js [--validators 100] [--blocks 200]
 *       [--warmup 20] [--missed-ppm 0] [--txs 0]
 *
 * `--missed-ppm` makes that share of the votes absent (deterministically, rotating), so the
 * bitmap is written too; `--txs K` adds K signed MsgSends per block. The last stdout line is one
 * JSON object with the figures.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command, Option } from "commander";
import { sha256 } from "@cosmjs/crypto";
import { toBech32 } from "@cosmjs/encoding";
import { ed25519 } from "@noble/curves/ed25519.js";
import { BlockIDFlag } from "cosmjs-types/tendermint/types/validator";
import type { RequestFinalizeBlock } from "cosmjs-types/tendermint/abci/types";
import { createInferchainApp, defaultAppState } from "../app/app";
import { msgSendAny, signTxFast, testKey, type TestKey } from "../test/support/txs";

const CHAIN_ID = "inferchain-bench-finalize";
const SELF_DELEGATION = 10_000_000n;

interface Opts {
  validators: number;
  blocks: number;
  warmup: number;
  missedPpm: number;
  txs: number;
}

interface Stats {
  readonly mean: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

function stats(ms: number[]): Stats {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  return { mean: round(s.reduce((a, b) => a + b, 0) / s.length), p50: round(at(0.5)), p95: round(at(0.95)), max: round(s[s.length - 1]) };
}

interface BenchValidator {
  readonly operator: string;
  readonly account: string;
  readonly consPubkey: Uint8Array;
  readonly consAddress: Uint8Array;
}

function makeValidators(n: number): BenchValidator[] {
  return Array.from({ length: n }, (_, i) => {
    const addr = sha256(new TextEncoder().encode(`bench-operator-${i}`)).slice(0, 20);
    const consPubkey = ed25519.getPublicKey(sha256(new TextEncoder().encode(`bench-consensus-${i}`)));
    return { operator: toBech32("infervaloper", addr), account: toBech32("infer", addr), consPubkey, consAddress: sha256(consPubkey).slice(0, 20) };
  });
}

function genesis(validators: readonly BenchValidator[], senders: readonly TestKey[]): Uint8Array {
  const state = defaultAppState() as Record<string, Record<string, unknown>>;
  const funded = [...validators.map((v) => v.account), ...senders.map((k) => k.address)];
  state.auth = { ...state.auth, accounts: funded.map((address) => ({ address })) };
  state.bank = { ...state.bank, balances: funded.map((address) => ({ address, coins: [{ denom: "uinf", amount: "1000000000" }] })) };
  state.staking = {
    ...state.staking,
    params: { ...((state.staking?.params as Record<string, unknown>) ?? {}), max_validators: Math.max(100, validators.length) },
    validators: validators.map((v, i) => ({
      operator_address: v.operator,
      consensus_pubkey: Buffer.from(v.consPubkey).toString("base64"),
      self_delegation: SELF_DELEGATION.toString(),
      moniker: `bench${i}`,
      commission_rate_ppm: 100_000,
    })),
  };
  return new TextEncoder().encode(JSON.stringify(state));
}

async function run(o: Opts): Promise<void> {
  const validators = makeValidators(o.validators);
  const senders = await Promise.all(Array.from({ length: o.txs }, (_, i) => testKey(700_000 + i)));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-bench-finalize-"));
  const app = await createInferchainApp({ dbDir: dir });
  try {
    const init = await app.initChain({
      time: { seconds: 1_700_000_000n, nanos: 0 },
      chainId: CHAIN_ID,
      consensusParams: undefined,
      validators: [],
      appStateBytes: genesis(validators, senders),
      initialHeight: 1n,
    });
    if (init.validators.length !== o.validators) throw new Error(`InitChain returned ${init.validators.length} validators, wanted ${o.validators}`);
    const power = SELF_DELEGATION / 1_000_000n;
    const finalize: number[] = [];
    const commit: number[] = [];
    let nodesWritten = 0;
    const total = o.warmup + o.blocks;
    for (let h = 1; h <= total; h++) {
      const height = BigInt(h);
      const votes =
        h === 1
          ? []
          : validators.map((v, i) => ({
              validator: { address: v.consAddress, power },
              blockIdFlag: ((i * 1_000_003 + h * 7919) % 1_000_000) < o.missedPpm ? BlockIDFlag.BLOCK_ID_FLAG_ABSENT : BlockIDFlag.BLOCK_ID_FLAG_COMMIT,
            }));
      const txs = await Promise.all(
        senders.map((k, i) => signTxFast(k, [msgSendAny(k.address, senders[(i + 1) % senders.length].address, 1n)], { chainId: CHAIN_ID, accountNumber: BigInt(o.validators + i), sequence: BigInt(h - 1) })),
      );
      const req: RequestFinalizeBlock = {
        txs,
        decidedLastCommit: { round: 0, votes },
        misbehavior: [],
        hash: sha256(new TextEncoder().encode(`block-${h}`)),
        height,
        time: { seconds: 1_700_000_000n + height, nanos: 0 },
        nextValidatorsHash: new Uint8Array(32),
        proposerAddress: validators[h % validators.length].consAddress,
      };
      const t0 = process.hrtime.bigint();
      const res = await app.finalizeBlock(req);
      const t1 = process.hrtime.bigint();
      await app.commit();
      const t2 = process.hrtime.bigint();
      const failed = res.txResults.filter((r) => r.code !== 0);
      if (failed.length > 0) throw new Error(`height ${h}: ${failed.length} txs failed, first: ${failed[0].log}`);
      if (h > o.warmup) {
        finalize.push(Number(t1 - t0) / 1e6);
        commit.push(Number(t2 - t1) / 1e6);
        nodesWritten += app.store.lastCommitStats.nodesWritten;
      }
    }
    const result = { validators: o.validators, blocks: o.blocks, missed_ppm: o.missedPpm, txs_per_block: o.txs, finalize_ms: stats(finalize), commit_ms: stats(commit), trie_nodes_per_commit: Math.round((nodesWritten / o.blocks) * 10) / 10 };
    process.stdout.write(
      `${o.validators} validators, ${o.blocks} blocks (after ${o.warmup} warm-up), ${o.txs} txs/block, ${o.missedPpm} ppm of votes missed\n` +
        `FinalizeBlock ms: mean ${result.finalize_ms.mean}  p50 ${result.finalize_ms.p50}  p95 ${result.finalize_ms.p95}  max ${result.finalize_ms.max}\n` +
        `Commit ms:        mean ${result.commit_ms.mean}  p50 ${result.commit_ms.p50}  p95 ${result.commit_ms.p95}  max ${result.commit_ms.max}\n` +
        `Trie nodes written per commit: ${result.trie_nodes_per_commit}\n`,
    );
    process.stdout.write(JSON.stringify(result) + "\n");
  } finally {
    await app.store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const int = (name: string, min: number, max: number) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer in ${min}..${max}`);
  return n;
};

new Command("finalizeBlock")
  .description("Time FinalizeBlock and Commit with an N-validator set and N-vote last commits (in-process, no CometBFT)")
  .addOption(new Option("--validators <n>", "genesis validators").argParser(int("--validators", 1, 10_000)).default(100))
  .addOption(new Option("--blocks <n>", "timed blocks").argParser(int("--blocks", 1, 1_000_000)).default(200))
  .addOption(new Option("--warmup <n>", "untimed blocks first").argParser(int("--warmup", 0, 1_000_000)).default(20))
  .addOption(new Option("--missed-ppm <ppm>", "share of votes absent, in ppm").argParser(int("--missed-ppm", 0, 1_000_000)).default(0))
  .addOption(new Option("--txs <k>", "signed MsgSends per block").argParser(int("--txs", 0, 10_000)).default(0))
  .action(async (o: Opts) => run(o))
  .parseAsync(process.argv)
  .catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
