import type { BlockHookInfo, Misbehavior, VoteInfo } from "../../base/context";
import { Branch, type KVStore } from "../../base/store/kv";
import { beginBlocker } from "./abci";
import type { ValidatorView } from "./expectedKeepers";
import { TREASURY_MODULE, type SlashingKeeper } from "./keeper";
import { TOMBSTONE_JAILED_UNTIL } from "./slash";
import { consAddressString } from "./types";
import { testAccount, testContext, testSetup, type FakeStaking } from "./testutil";

const M = 1_000_000n;

function vote(v: ValidatorView, signed: boolean): VoteInfo {
  return { validatorAddress: v.consAddress, power: v.tokens / M, signed };
}

function evidence(v: ValidatorView, height: bigint, kind: Misbehavior["kind"] = "duplicate_vote", power = v.tokens / M): Misbehavior {
  return { kind, validatorAddress: v.consAddress, power, height, totalVotingPower: 1000n };
}

/** Runs begin-block hooks for heights from..to; `commit(h)` says who is in the last commit and whether they signed. */
function run(k: SlashingKeeper, store: KVStore, from: bigint, to: bigint, commit: (h: bigint) => VoteInfo[], misbehavior: (h: bigint) => Misbehavior[] = () => []): void {
  for (let h = from; h <= to; h++) {
    const info: BlockHookInfo = { lastCommit: commit(h), misbehavior: misbehavior(h) };
    beginBlocker(k, testContext(store, h), info);
  }
}

function jailed(staking: FakeStaking, store: KVStore, v: ValidatorView): boolean {
  return staking.validator(store, v.operator)?.jailed ?? false;
}

describe("liveness", () => {
  // Window 20, at least 50% signed → jailed beyond 10 misses, once past start + 20.
  const params = { signedBlocksWindow: 20n, minSignedPerWindowPpm: 500_000n, slashFractionDowntimePpm: 100n, downtimeJailBlocks: 20n };

  test("a validator that signs nothing is jailed at start + window + 1, not a block before", () => {
    const { store, staking, k } = testSetup(params);
    const off = staking.addValidator(store, { index: 0, tokens: 100n * M });
    const on = staking.addValidator(store, { index: 1, tokens: 100n * M });
    const commit = (): VoteInfo[] => [vote(off, false), vote(on, true)];

    run(k, store, 2n, 22n, commit);
    const info = k.getSigningInfo(store, consAddressString(off.consAddress));
    expect(info?.startHeight).toBe(2n);
    expect(info?.missedBlocksCounter).toBe(20n);
    expect(jailed(staking, store, off)).toBe(false);

    const ctx = testContext(store, 23n);
    beginBlocker(k, ctx, { lastCommit: commit(), misbehavior: [] });
    expect(jailed(staking, store, off)).toBe(true);
    expect(jailed(staking, store, on)).toBe(false);
    // 100 ppm of 100 INF of power.
    expect(staking.validator(store, off.operator)?.tokens).toBe(100n * M - 10_000n);
    const after = k.getSigningInfo(store, consAddressString(off.consAddress));
    expect(after).toMatchObject({ missedBlocksCounter: 0n, indexOffset: 0n, jailedUntilHeight: 43n, tombstoned: false });
    expect(k.missedIndexes(store, consAddressString(off.consAddress))).toEqual([]);
    const [ev] = [...k.slashEvents(store)];
    expect(ev).toMatchObject({ kind: "downtime", infractionHeight: 21n, height: 23n, amount: 10_000n, jailed: true, tombstoned: false });
    expect(ctx.events.events().some((e) => e.type === "liveness")).toBe(true);
  });

  test("exactly window − min_signed misses is tolerated; one more is not", () => {
    const { store, staking, k } = testSetup(params);
    const ten = staking.addValidator(store, { index: 0, tokens: 100n * M });
    const eleven = staking.addValidator(store, { index: 1, tokens: 100n * M });
    // In every 20 consecutive blocks: 10 misses for one, 11 for the other.
    const commit = (h: bigint): VoteInfo[] => [vote(ten, h % 20n >= 10n), vote(eleven, h % 20n >= 11n)];
    run(k, store, 1n, 100n, commit);
    expect(jailed(staking, store, ten)).toBe(false);
    expect(k.getSigningInfo(store, consAddressString(ten.consAddress))?.missedBlocksCounter).toBe(10n);
    expect(jailed(staking, store, eleven)).toBe(true);
  });

  test("the counter follows the window: old misses roll off as new blocks are signed", () => {
    const { store, staking, k } = testSetup(params);
    const v = staking.addValidator(store, { index: 0, tokens: 100n * M });
    // Misses blocks 1..8, then signs.
    run(k, store, 1n, 40n, (h) => [vote(v, h > 8n)]);
    expect(jailed(staking, store, v)).toBe(false);
    expect(k.getSigningInfo(store, consAddressString(v.consAddress))?.missedBlocksCounter).toBe(0n);
  });

  test("jailed validators and validators staking does not know are skipped", () => {
    const { store, staking, k } = testSetup(params);
    const j = staking.addValidator(store, { index: 0, tokens: 100n * M, jailed: true });
    const unknown: VoteInfo = { validatorAddress: new Uint8Array(20).fill(77), power: 5n, signed: false };
    run(k, store, 1n, 50n, () => [vote(j, false), unknown]);
    expect(k.getSigningInfo(store, consAddressString(j.consAddress))).toBeUndefined();
    expect([...k.signingInfos(store)]).toEqual([]);
    expect([...k.slashEvents(store)]).toEqual([]);
  });

  test("a validator back in the commit after an absence (re-bonded) gets a fresh window", () => {
    const { store, staking, k } = testSetup(params);
    const v = staking.addValidator(store, { index: 0, tokens: 100n * M });
    run(k, store, 2n, 30n, () => [vote(v, true)]);
    run(k, store, 31n, 50n, () => []); // out of the set
    run(k, store, 51n, 71n, () => [vote(v, false)]);
    expect(k.getSigningInfo(store, consAddressString(v.consAddress))?.startHeight).toBe(51n);
    expect(jailed(staking, store, v)).toBe(false);
    run(k, store, 72n, 72n, () => [vote(v, false)]);
    expect(jailed(staking, store, v)).toBe(true);
  });

  test("after jail, unjail and return, the validator starts over rather than being jailed again at once", () => {
    const { store, staking, k } = testSetup(params);
    const v = staking.addValidator(store, { index: 0, tokens: 100n * M });
    run(k, store, 2n, 23n, () => [vote(v, false)]);
    expect(jailed(staking, store, v)).toBe(true);
    run(k, store, 24n, 44n, () => [vote(v, false)]); // still in the commit for a while: skipped while jailed
    staking.unjail(testContext(store, 45n), v.operator);
    run(k, store, 46n, 60n, () => [vote(v, false)]);
    expect(jailed(staking, store, v)).toBe(false);
    expect([...k.slashEvents(store)]).toHaveLength(1);
  });
});

describe("liveness state writes", () => {
  const params = { signedBlocksWindow: 20n, minSignedPerWindowPpm: 500_000n, slashFractionDowntimePpm: 100n, downtimeJailBlocks: 20n };

  /** The keys block `h`'s begin-block hook writes. */
  function writes(k: SlashingKeeper, store: KVStore, h: bigint, lastCommit: VoteInfo[]): string[] {
    const branch = new Branch(store);
    beginBlocker(k, testContext(branch, h), { lastCommit, misbehavior: [] });
    const keys = branch.changes().map(([key]) => key);
    branch.write();
    return keys;
  }

  test("while everyone signs, a block writes nothing per validator", () => {
    const { store, staking, k } = testSetup(params);
    const vals = [0, 1, 2, 3].map((index) => staking.addValidator(store, { index, tokens: 100n * M }));
    const all = (): VoteInfo[] => vals.map((v) => vote(v, true));
    expect(writes(k, store, 2n, all())).toHaveLength(4 + 2); // first seen: a signing info each, and the counted list
    for (let h = 3n; h <= 30n; h++) expect(writes(k, store, h, all())).toEqual(["slashing/liveness/height"]);
    // Read back as of now all the same.
    expect(k.getSigningInfo(store, consAddressString(vals[0].consAddress))).toMatchObject({ startHeight: 2n, indexOffset: 29n, lastSeenHeight: 30n, missedBlocksCounter: 0n });
  });

  test("a miss writes its slot and the signing info; signing over an empty slot writes nothing", () => {
    const { store, staking, k } = testSetup(params);
    const v = staking.addValidator(store, { index: 0, tokens: 100n * M });
    const cons = consAddressString(v.consAddress);
    run(k, store, 2n, 5n, () => [vote(v, true)]);
    expect(writes(k, store, 6n, [vote(v, false)]).sort()).toEqual(["slashing/liveness/height", `slashing/missed/${cons}/00000000000000000004`, `slashing/signing_infos/${cons}`]);
    expect(writes(k, store, 7n, [vote(v, true)])).toEqual(["slashing/liveness/height"]);
    expect(k.missedIndexes(store, cons)).toEqual([4n]);
    expect(k.getSigningInfo(store, cons)).toMatchObject({ indexOffset: 6n, lastSeenHeight: 7n, missedBlocksCounter: 1n });
  });

  test("a validator that leaves the commit keeps its record as of the last block it was counted in", () => {
    const { store, staking, k } = testSetup(params);
    const [v, w] = [0, 1].map((index) => staking.addValidator(store, { index, tokens: 100n * M }));
    run(k, store, 2n, 10n, () => [vote(v, true), vote(w, true)]);
    expect(writes(k, store, 11n, [vote(w, true)]).sort()).toEqual(["slashing/liveness/counted", "slashing/liveness/height", `slashing/signing_infos/${consAddressString(v.consAddress)}`]);
    run(k, store, 12n, 15n, () => [vote(w, true)]);
    expect(k.getSigningInfo(store, consAddressString(v.consAddress))).toMatchObject({ startHeight: 2n, indexOffset: 9n, lastSeenHeight: 10n });
    expect(k.getSigningInfo(store, consAddressString(w.consAddress))).toMatchObject({ startHeight: 2n, indexOffset: 14n, lastSeenHeight: 15n });
    run(k, store, 16n, 16n, () => []);
    // Nobody counted: no liveness record, and every stored record is current.
    expect(store.has("slashing/liveness/height")).toBe(false);
    const lastSeen = new Map([...k.signingInfos(store)].map((i) => [i.address, i.lastSeenHeight]));
    expect(lastSeen).toEqual(new Map([[consAddressString(v.consAddress), 10n], [consAddressString(w.consAddress), 15n]]));
  });
});

describe("double sign", () => {
  test("slash slash_fraction_double_sign of the power at the evidence height, jail, tombstone", () => {
    const { store, bank, staking, k } = testSetup({ slashFractionDoubleSignPpm: 1_000_000n });
    const v = staking.addValidator(store, { index: 0, tokens: 100n * M });
    const ctx = testContext(store, 10n);
    beginBlocker(k, ctx, { lastCommit: [], misbehavior: [evidence(v, 8n)] });

    const after = staking.validator(store, v.operator);
    expect(after?.tokens).toBe(0n);
    expect(after?.jailed).toBe(true);
    const info = k.getSigningInfo(store, consAddressString(v.consAddress));
    expect(info?.tombstoned).toBe(true);
    expect(info?.jailedUntilHeight).toBe(TOMBSTONE_JAILED_UNTIL);
    expect(bank.moduleBalance(store, TREASURY_MODULE)).toBe(100n * M);
    const [ev] = [...k.slashEvents(store)];
    expect(ev).toMatchObject({ kind: "double_sign", infractionHeight: 7n, fractionPpm: 1_000_000n, stakeAtRisk: 100n * M, tombstoned: true });
    expect(ev.reason).toMatch(/duplicate_vote at height 8/);
  });

  test("the fraction is a param; a light-client attack is slashed the same way", () => {
    const { store, staking, k } = testSetup({ slashFractionDoubleSignPpm: 50_000n });
    const v = staking.addValidator(store, { index: 0, tokens: 100n * M });
    beginBlocker(k, testContext(store, 10n), { lastCommit: [], misbehavior: [evidence(v, 9n, "light_client_attack")] });
    expect(staking.validator(store, v.operator)?.tokens).toBe(95n * M);
    expect(k.getSigningInfo(store, consAddressString(v.consAddress))?.tombstoned).toBe(true);
    expect([...k.slashEvents(store)][0].reason).toMatch(/light_client_attack/);
  });

  test("undelegations from one block before the evidence height are cut; older ones are not", () => {
    const { store, staking, k } = testSetup({ slashFractionDoubleSignPpm: 500_000n });
    const v = staking.addValidator(store, { index: 0, tokens: 100n * M });
    const older = staking.undelegate(testContext(store, 6n), v.operator, testAccount(1), 20n * M, 200n);
    const inPower = staking.undelegate(testContext(store, 7n), v.operator, testAccount(2), 20n * M, 200n);
    beginBlocker(k, testContext(store, 10n), { lastCommit: [], misbehavior: [evidence(v, 8n, "duplicate_vote", 80n)] });
    expect(staking.entry(store, older.id)?.balance).toBe(20n * M);
    expect(staking.entry(store, inPower.id)?.balance).toBe(10n * M);
    // 50% of the 80 of power = 40: 10 from the entry, 30 from the validator's 60.
    expect(staking.validator(store, v.operator)?.tokens).toBe(30n * M);
  });

  test("evidence for an unknown, already tombstoned, or too old validator is ignored", () => {
    const { store, staking, k } = testSetup({ slashFractionDoubleSignPpm: 50_000n, maxEvidenceAgeBlocks: 100n });
    const v = staking.addValidator(store, { index: 0, tokens: 100n * M });
    const w = staking.addValidator(store, { index: 1, tokens: 100n * M });
    const stranger: Misbehavior = { kind: "duplicate_vote", validatorAddress: new Uint8Array(20).fill(9), power: 10n, height: 150n, totalVotingPower: 200n };

    const ctx = testContext(store, 200n);
    beginBlocker(k, ctx, { lastCommit: [], misbehavior: [stranger, evidence(v, 150n), evidence(v, 151n), evidence(w, 99n)] });

    // v slashed once (the second piece of evidence finds it tombstoned); w's evidence is 101 blocks old.
    expect(staking.validator(store, v.operator)?.tokens).toBe(95n * M);
    expect(staking.validator(store, w.operator)?.tokens).toBe(100n * M);
    expect(staking.validator(store, w.operator)?.jailed).toBe(false);
    expect([...k.slashEvents(store)]).toHaveLength(1);
    const reasons = ctx.events.events().filter((e) => e.type === "evidence_ignored").map((e) => e.attributes.find((a) => a.key === "reason")?.value);
    expect(reasons).toEqual(["unknown_validator", "tombstoned", "too_old"]);

    // At exactly the max age it still counts.
    beginBlocker(k, testContext(store, 199n + 1n), { lastCommit: [], misbehavior: [evidence(w, 100n)] });
    expect(staking.validator(store, w.operator)?.tokens).toBe(95n * M);
  });

  test("evidence as old as staking's unbonding period is ignored with an event, even within max_evidence_age_blocks", () => {
    const { store, staking, k } = testSetup({ slashFractionDoubleSignPpm: 50_000n, maxEvidenceAgeBlocks: 1000n });
    staking.unbonding = 100n;
    const v = staking.addValidator(store, { index: 0, tokens: 100n * M });
    const ctx = testContext(store, 200n);
    beginBlocker(k, ctx, { lastCommit: [], misbehavior: [evidence(v, 100n)] });
    expect(staking.validator(store, v.operator)?.tokens).toBe(100n * M);
    const ignored = ctx.events.events().filter((e) => e.type === "evidence_ignored").map((e) => e.attributes.find((a) => a.key === "reason")?.value);
    expect(ignored).toEqual(["older_than_unbonding"]);
    // One block younger, the undelegations since the infraction are still in their entries: slashed.
    beginBlocker(k, testContext(store, 200n), { lastCommit: [], misbehavior: [evidence(v, 101n)] });
    expect(staking.validator(store, v.operator)?.tokens).toBe(95n * M);
  });

  test("a validator jailed for downtime is still slashed for double signing", () => {
    const { store, staking, k } = testSetup({ slashFractionDoubleSignPpm: 50_000n });
    const v = staking.addValidator(store, { index: 0, tokens: 100n * M, jailed: true });
    beginBlocker(k, testContext(store, 10n), { lastCommit: [], misbehavior: [evidence(v, 9n)] });
    expect(staking.validator(store, v.operator)?.tokens).toBe(95n * M);
    expect(k.getSigningInfo(store, consAddressString(v.consAddress))?.tombstoned).toBe(true);
  });
});
