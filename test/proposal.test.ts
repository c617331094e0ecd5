/**
 * PrepareProposal, ProcessProposal and FinalizeBlock run one transition (ante, then messages,
 * in order, on one branch), so a block the proposer builds is a block every validator accepts,
 * whatever the txs' dependencies on each other; and FinalizeBlock's results are a pure
 * function of the state and the txs (a twin app replaying the same blocks agrees on every
 * result and app hash). A proposal with a tx that fails the ante handler (only a Byzantine
 * proposer sends one) is rejected, and if it were decided anyway, FinalizeBlock records the
 * failure and goes on.
 */
import fc from "fast-check";
import { CheckTxType, ResponseProcessProposal_ProposalStatus, type ExecTxResult } from "cosmjs-types/tendermint/abci/types";
import type { Any } from "cosmjs-types/google/protobuf/any";
import { account, balance, finalizeRequest, genesisBytes, hex, openChain, proposalRequest, type TestChain } from "./support/chain";
import { msgSendAny, signTxFast, testKey, type TestKey } from "./support/txs";

const CHAIN_ID = "proposal-1";
const GAS = 100_000n;
const FEE = 2_500n; // GAS × the default min gas price 0.025
const ACCEPT = ResponseProcessProposal_ProposalStatus.ACCEPT;
const REJECT = ResponseProcessProposal_ProposalStatus.REJECT;

interface Accounts {
  readonly keys: TestKey[];
  /** Genesis order: account i has account number i. */
  readonly funded: Array<readonly [string, bigint]>;
}

async function accounts(n: number): Promise<Accounts> {
  const keys = await Promise.all(Array.from({ length: n }, (_, i) => testKey(100 + i)));
  // Account 0 is rich; the others hold 1 uinf, less than any fee.
  return { keys, funded: keys.map((k, i) => [k.address, i === 0 ? 10n ** 12n : 1n] as const) };
}

const results = (r: readonly ExecTxResult[]): string[] => r.map((x) => `${x.codespace}/${x.code} gas ${x.gasWanted}/${x.gasUsed}`);

describe("one transition for Prepare, Process and Finalize", () => {
  let acc: Accounts;
  let chain: TestChain;
  beforeAll(async () => {
    acc = await accounts(3);
  });
  beforeEach(async () => {
    chain = await openChain(CHAIN_ID, genesisBytes(acc.funded), "inferchain-proposal-");
  });
  afterEach(() => chain.close());

  test("A funds B and B pays its fee from those funds in the same block: both are proposed, accepted and executed", async () => {
    const [a, b, c] = acc.keys;
    const fund = await signTxFast(a, [msgSendAny(a.address, b.address, 10_000n)], { chainId: CHAIN_ID, accountNumber: 0n, sequence: 0n, gas: GAS, fee: FEE });
    const spend = await signTxFast(b, [msgSendAny(b.address, c.address, 5_000n)], { chainId: CHAIN_ID, accountNumber: 1n, sequence: 0n, gas: GAS, fee: FEE });
    // Both pass CheckTx (the check state runs the first before the second), as on a real node.
    expect(chain.app.checkTx({ tx: fund, type: CheckTxType.NEW }).code).toBe(0);
    expect(chain.app.checkTx({ tx: spend, type: CheckTxType.NEW }).code).toBe(0);
    const { prepare, process } = proposalRequest(1n, [fund, spend]);
    const prepared = chain.app.prepareProposal(prepare);
    expect(prepared.txs).toEqual([fund, spend]);
    expect(chain.app.processProposal({ ...process, txs: prepared.txs }).status).toBe(ACCEPT);
    const fin = await chain.app.finalizeBlock(finalizeRequest(1n, prepared.txs));
    await chain.app.commit();
    expect(fin.txResults.map((r) => r.code)).toEqual([0, 0]);
    expect(await balance(chain.app, b.address)).toBe(1n + 10_000n - FEE - 5_000n);
    expect(await balance(chain.app, c.address)).toBe(1n + 5_000n);
  });

  test("the same pair in the wrong order: the proposer leaves the spend out, and a Byzantine proposal with it is rejected", async () => {
    const [a, b, c] = acc.keys;
    const fund = await signTxFast(a, [msgSendAny(a.address, b.address, 10_000n)], { chainId: CHAIN_ID, accountNumber: 0n, sequence: 0n, gas: GAS, fee: FEE });
    const spend = await signTxFast(b, [msgSendAny(b.address, c.address, 5_000n)], { chainId: CHAIN_ID, accountNumber: 1n, sequence: 0n, gas: GAS, fee: FEE });
    const { prepare, process } = proposalRequest(1n, [spend, fund]);
    expect(chain.app.prepareProposal(prepare).txs).toEqual([fund]);
    expect(chain.app.processProposal(process).status).toBe(REJECT);
    // Decided anyway (a Byzantine majority): FinalizeBlock records the failure and goes on.
    const fin = await chain.app.finalizeBlock(finalizeRequest(1n, [spend, fund]));
    await chain.app.commit();
    expect(fin.txResults.map((r) => `${r.codespace}/${r.code}`)).toEqual(["sdk/5", "/0"]);
    expect(await account(chain.app, b.address)).toMatchObject({ sequence: 0n });
  });

  test("a tx whose message fails is included, pays its fee and bumps its sequence, so the signer's next tx still fits in the block", async () => {
    const [a, b] = acc.keys;
    const overspend = await signTxFast(a, [msgSendAny(a.address, b.address, 10n ** 13n)], { chainId: CHAIN_ID, accountNumber: 0n, sequence: 0n, gas: GAS, fee: FEE });
    const next = await signTxFast(a, [msgSendAny(a.address, b.address, 7n)], { chainId: CHAIN_ID, accountNumber: 0n, sequence: 1n, gas: GAS, fee: FEE });
    const { prepare, process } = proposalRequest(1n, [overspend, next]);
    expect(chain.app.prepareProposal(prepare).txs).toEqual([overspend, next]);
    expect(chain.app.processProposal(process).status).toBe(ACCEPT);
    const fin = await chain.app.finalizeBlock(finalizeRequest(1n, [overspend, next]));
    expect(fin.txResults.map((r) => `${r.codespace}/${r.code}`)).toEqual(["sdk/5", "/0"]);
  });
});

// ---------------------------------------------------------------- the property

/** One generated tx: who signs, which sequence (usually the right one), what it sends, how much fee. */
interface TxPlan {
  readonly signer: number;
  readonly seqSkew: number; // 0 = the expected sequence, -1 stale, +1 future
  readonly sends: ReadonlyArray<{ readonly to: number; readonly amount: bigint }>;
  readonly fee: bigint;
}

const N_ACCOUNTS = 5;
const arbTx: fc.Arbitrary<TxPlan> = fc.record({
  signer: fc.nat({ max: N_ACCOUNTS - 1 }),
  seqSkew: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.constant(1) }),
  sends: fc.array(
    fc.record({
      to: fc.nat({ max: N_ACCOUNTS - 1 }),
      amount: fc.oneof(fc.bigInt({ min: 1n, max: 20_000n }), fc.constant(10n ** 13n) /* overspend */),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  fee: fc.oneof({ weight: 6, arbitrary: fc.constant(FEE) }, { weight: 1, arbitrary: fc.constant(FEE - 1n) /* below min */ }, { weight: 2, arbitrary: fc.bigInt({ min: FEE, max: 30_000n }) /* fee exhaustion */ }),
});

/** Signs the plans in order, tracking each signer's expected sequence as a wallet would. */
async function signPlans(keys: readonly TestKey[], plans: readonly TxPlan[], nextSeq: bigint[]): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const p of plans) {
    const key = keys[p.signer];
    const seq = nextSeq[p.signer] + BigInt(p.seqSkew);
    if (seq < 0n) continue;
    const msgs: Any[] = p.sends.map((s) => msgSendAny(key.address, keys[s.to].address, s.amount));
    out.push(await signTxFast(key, msgs, { chainId: CHAIN_ID, accountNumber: BigInt(p.signer), sequence: seq, gas: GAS, fee: p.fee }));
    if (p.seqSkew === 0) nextSeq[p.signer] += 1n;
  }
  return out;
}

describe("property: Process accepts every block Prepare builds; Finalize equals a replay", () => {
  test("random blocks of dependent txs (funding, spending, sequence chains, fee exhaustion, multi-msg)", async () => {
    const acc = await accounts(N_ACCOUNTS);
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(arbTx, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 3 }), async (blocks) => {
        runs++;
        const chain = await openChain(CHAIN_ID, genesisBytes(acc.funded), "inferchain-prop-");
        const twin = await openChain(CHAIN_ID, genesisBytes(acc.funded), "inferchain-prop-twin-");
        try {
          // A wallet's view of sequences: it counts what it signed, not what landed.
          const nextSeq = Array.from({ length: N_ACCOUNTS }, () => 0n);
          let mempool: Uint8Array[] = [];
          for (const [i, plans] of blocks.entries()) {
            const height = BigInt(i + 1);
            const fresh = await signPlans(acc.keys, plans, nextSeq);
            // Half the time the proposer sees raw gossip (nothing checked), half a checked mempool.
            const checked = fresh.filter((tx) => chain.app.checkTx({ tx, type: CheckTxType.NEW }).code === 0);
            const offered = i % 2 === 0 ? [...mempool, ...fresh] : [...mempool, ...checked];
            const { prepare, process } = proposalRequest(height, offered);
            const prepared = chain.app.prepareProposal(prepare);
            expect(chain.app.processProposal({ ...process, txs: prepared.txs }).status).toBe(ACCEPT);
            // Another validator (the twin) accepts it too.
            expect(twin.app.processProposal({ ...process, txs: prepared.txs }).status).toBe(ACCEPT);
            const a = await chain.app.finalizeBlock(finalizeRequest(height, prepared.txs));
            const b = await twin.app.finalizeBlock(finalizeRequest(height, prepared.txs));
            expect(results(b.txResults)).toEqual(results(a.txResults));
            expect(hex(b.appHash)).toBe(hex(a.appHash));
            await chain.app.commit();
            await twin.app.commit();
            // The mempool keeps what rechecks.
            const included = new Set(prepared.txs.map(hex));
            mempool = [...mempool, ...checked].filter((tx) => !included.has(hex(tx)) && chain.app.checkTx({ tx, type: CheckTxType.RECHECK }).code === 0);
          }
        } finally {
          await chain.close();
          await twin.close();
        }
      }),
      { numRuns: 60, seed: 0x5eed },
    );
    expect(runs).toBe(60);
  });
});
