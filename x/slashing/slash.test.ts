import { AppError, ErrInsufficientFunds, ErrInvalidAddress, InvariantError } from "../../base/errors";
import { Branch, type KVReader } from "../../base/store/kv";
import { ErrInvalidSlash, ErrNoValidatorForAddress } from "./errors";
import type { UnbondingEntryRef } from "./expectedKeepers";
import { SlashingKeeper, SLASHING_MODULE, TREASURY_MODULE } from "./keeper";
import { TOMBSTONE_JAILED_UNTIL } from "./slash";
import { consAddressString, type SlashArgs } from "./types";
import { BONDED_POOL, FakeStaking, NOT_BONDED_POOL, snapshot, testAccount, testContext, testSetup, testValidatorAddrs } from "./testutil";

const M = 1_000_000n; // 1 INF in uinf

function expectAppError(f: () => unknown, kind: AppError): AppError {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).is(kind)).toBe(true);
  return err as AppError;
}

function args(operator: string, over: Partial<SlashArgs> = {}): SlashArgs {
  return { operator, infractionHeight: 5n, fractionPpm: 100_000n, kind: "invalid_result", reporters: [], jail: false, tombstone: false, ...over };
}

describe("slash path: cutting stake", () => {
  test("undelegating after the infraction does not escape: the entry pays its share and the validator the rest", () => {
    const { store, bank, staking, k } = testSetup();
    const v = staking.addValidator(store, { index: 0, tokens: 1000n * M });
    const late = staking.undelegate(testContext(store, 10n), v.operator, testAccount(1), 400n * M, 110n);

    const ev = k.slash(testContext(store, 20n), args(v.operator, { infractionHeight: 5n, fractionPpm: 100_000n }));

    // 10% of the 1000 INF that was at risk at height 5, wherever it is now.
    expect(ev.stakeAtRisk).toBe(1000n * M);
    expect(ev.unbondingAmount).toBe(40n * M);
    expect(ev.validatorAmount).toBe(60n * M);
    expect(ev.amount).toBe(100n * M);
    expect(staking.entry(store, late.id)?.balance).toBe(360n * M);
    expect(staking.validator(store, v.operator)?.tokens).toBe(540n * M);
    expect(bank.moduleBalance(store, NOT_BONDED_POOL)).toBe(360n * M);
    expect(bank.moduleBalance(store, BONDED_POOL)).toBe(540n * M);
    expect(bank.moduleBalance(store, TREASURY_MODULE)).toBe(100n * M);
    expect(bank.moduleBalance(store, SLASHING_MODULE)).toBe(0n);
  });

  test("an entry created before the infraction height is not cut; one created at it is", () => {
    const { store, staking, k } = testSetup();
    const v = staking.addValidator(store, { index: 0, tokens: 1000n * M });
    const before = staking.undelegate(testContext(store, 4n), v.operator, testAccount(1), 300n * M, 104n);
    const at = staking.undelegate(testContext(store, 5n), v.operator, testAccount(2), 100n * M, 105n);

    const ev = k.slash(testContext(store, 20n), args(v.operator, { infractionHeight: 5n, fractionPpm: 500_000n }));

    expect(staking.entry(store, before.id)?.balance).toBe(300n * M);
    expect(staking.entry(store, at.id)?.balance).toBe(50n * M);
    // Stake at risk = 600 INF bonded + the 100 INF that left at the infraction height.
    expect(ev.stakeAtRisk).toBe(700n * M);
    expect(ev.unbondingAmount).toBe(50n * M);
    expect(ev.validatorAmount).toBe(300n * M);
    expect(staking.validator(store, v.operator)?.tokens).toBe(300n * M);
  });

  test("matured entries are untouched, whether already paid out or due this very block", () => {
    const { store, bank, staking, k } = testSetup();
    const v = staking.addValidator(store, { index: 0, tokens: 1000n * M });
    const paid = staking.undelegate(testContext(store, 6n), v.operator, testAccount(1), 100n * M, 15n);
    staking.matureEntries(testContext(store, 15n));
    const due = staking.undelegate(testContext(store, 7n), v.operator, testAccount(2), 100n * M, 20n);
    const open = staking.undelegate(testContext(store, 8n), v.operator, testAccount(3), 100n * M, 50n);

    const ev = k.slash(testContext(store, 20n), args(v.operator, { infractionHeight: 5n, fractionPpm: 100_000n }));

    expect(staking.entry(store, paid.id)).toBeUndefined();
    expect(bank.balance(store, testAccount(1))).toBe(100n * M);
    expect(staking.entry(store, due.id)?.balance).toBe(100n * M);
    expect(staking.entry(store, open.id)?.balance).toBe(90n * M);
    expect(ev.stakeAtRisk).toBe(800n * M); // 700 bonded + the open entry
    expect(ev.amount).toBe(80n * M);
    expect(staking.validator(store, v.operator)?.tokens).toBe(630n * M);
  });

  test("a staking keeper that cuts more than asked is a broken invariant (InvariantError: the node stops rather than forks)", () => {
    const { store, bank, k } = testSetup();
    const greedy = new (class extends FakeStaking {
      slashValidatorTokens(ctx: Parameters<FakeStaking["slashValidatorTokens"]>[0], operator: string, amount: bigint, toModule: string): bigint {
        return super.slashValidatorTokens(ctx, operator, amount, toModule) + 1n;
      }
    })(bank);
    const k2 = new SlashingKeeper({ staking: greedy, bank });
    k2.setParams(store, k.getParams(store));
    const v = greedy.addValidator(store, { index: 0, tokens: 1000n * M });
    expect(() => k2.slash(testContext(store, 20n), args(v.operator))).toThrow(InvariantError);
  });

  test("entries staking should not have returned (before the infraction, or matured) are still not cut", () => {
    const { store, bank, k } = testSetup();
    // A sloppy staking keeper that hands back every entry of the validator.
    const sloppy = new (class extends FakeStaking {
      unbondingEntriesSince(s: KVReader, operator: string): UnbondingEntryRef[] {
        return this.entries(s).filter((e) => e.operator === operator);
      }
    })(bank);
    const k2 = new SlashingKeeper({ staking: sloppy, bank });
    k2.setParams(store, k.getParams(store));
    const v = sloppy.addValidator(store, { index: 0, tokens: 1000n * M });
    const early = sloppy.undelegate(testContext(store, 3n), v.operator, testAccount(1), 100n * M, 103n);
    const due = sloppy.undelegate(testContext(store, 6n), v.operator, testAccount(2), 100n * M, 20n);

    const ev = k2.slash(testContext(store, 20n), args(v.operator, { infractionHeight: 5n, fractionPpm: 100_000n }));

    expect(sloppy.entry(store, early.id)?.balance).toBe(100n * M);
    expect(sloppy.entry(store, due.id)?.balance).toBe(100n * M);
    expect(ev.unbondingAmount).toBe(0n);
    expect(ev.amount).toBe(80n * M);
  });

  test("never more than fraction × base power, even when the entries alone could pay more", () => {
    const { store, staking, k } = testSetup();
    const v = staking.addValidator(store, { index: 0, tokens: 1000n * M });
    const e = staking.undelegate(testContext(store, 10n), v.operator, testAccount(1), 400n * M, 110n);

    // The power CometBFT saw was 100 (INF): 10% of that is 10 INF, not 10% of 1000.
    const ev = k.slash(testContext(store, 20n), args(v.operator, { basePower: 100n, fractionPpm: 100_000n }));

    expect(ev.stakeAtRisk).toBe(100n * M);
    expect(ev.amount).toBe(10n * M);
    expect(ev.unbondingAmount).toBe(10n * M);
    expect(ev.validatorAmount).toBe(0n);
    expect(staking.entry(store, e.id)?.balance).toBe(390n * M);
    expect(staking.validator(store, v.operator)?.tokens).toBe(600n * M);
  });

  test("never more than the validator and its entries hold, even when the base power says more", () => {
    const { store, bank, staking, k } = testSetup();
    const v = staking.addValidator(store, { index: 0, tokens: 900n * M });
    staking.undelegate(testContext(store, 10n), v.operator, testAccount(1), 400n * M, 110n);
    const supply = bank.supply(store);

    const ev = k.slash(testContext(store, 20n), args(v.operator, { basePower: 2000n, fractionPpm: 1_000_000n }));

    expect(ev.amount).toBe(900n * M);
    expect(ev.unbondingAmount).toBe(400n * M);
    expect(ev.validatorAmount).toBe(500n * M);
    expect(bank.supply(store)).toBe(supply);
    expect(bank.moduleBalance(store, TREASURY_MODULE)).toBe(900n * M);

    // A second slash finds nothing left and cuts nothing.
    const again = k.slash(testContext(store, 21n), args(v.operator, { basePower: 2000n, fractionPpm: 1_000_000n }));
    expect(again.amount).toBe(0n);
    expect(bank.moduleBalance(store, TREASURY_MODULE)).toBe(900n * M);
  });

  test("an entry already cut is capped by its balance, not its initial balance", () => {
    const { store, staking, k } = testSetup();
    const v = staking.addValidator(store, { index: 0, tokens: 1000n * M });
    const e = staking.undelegate(testContext(store, 10n), v.operator, testAccount(1), 100n * M, 110n);
    k.slash(testContext(store, 20n), args(v.operator, { fractionPpm: 900_000n }));
    expect(staking.entry(store, e.id)?.balance).toBe(10n * M);

    const ev = k.slash(testContext(store, 21n), args(v.operator, { fractionPpm: 500_000n }));
    // 50% of (90 + 10) INF = 50; the entry can give only its 10, the validator the other 40.
    expect(ev.unbondingAmount).toBe(10n * M);
    expect(ev.validatorAmount).toBe(40n * M);
    expect(staking.entry(store, e.id)?.balance).toBe(0n);
  });
});

describe("slash path: payout", () => {
  test("reporters split reporter_reward_ppm equally; the rest and the dust go to the treasury", () => {
    const { store, bank, staking, k } = testSetup({ reporterRewardPpm: 100_000n });
    const v = staking.addValidator(store, { index: 0, tokens: 1000n * M });
    const reporters = [testAccount(1), testAccount(2), testAccount(3)];

    const ev = k.slash(testContext(store, 20n), args(v.operator, { fractionPpm: 100_000n, reporters }));

    // 100 INF cut; 10 INF to share among 3 reporters → 3.333333 each, 1 uinf of dust.
    expect(ev.amount).toBe(100_000_000n);
    for (const r of reporters) expect(bank.balance(store, r)).toBe(3_333_333n);
    expect(ev.reporters).toEqual(reporters.map((address) => ({ address, amount: 3_333_333n })));
    expect(ev.treasuryAmount).toBe(90_000_001n);
    expect(ev.burnedAmount).toBe(0n);
    expect(bank.moduleBalance(store, TREASURY_MODULE)).toBe(90_000_001n);
    expect(bank.moduleBalance(store, SLASHING_MODULE)).toBe(0n);
  });

  test("with burn_slashed the rest is burned: supply falls by exactly that", () => {
    const { store, bank, staking, k } = testSetup({ reporterRewardPpm: 250_000n, burnSlashed: true });
    const v = staking.addValidator(store, { index: 0, tokens: 1000n * M });
    const supply = bank.supply(store);

    const ev = k.slash(testContext(store, 20n), args(v.operator, { fractionPpm: 10_000n, reporters: [testAccount(1), testAccount(2)] }));

    expect(ev.amount).toBe(10n * M);
    expect(bank.balance(store, testAccount(1))).toBe(1_250_000n);
    expect(bank.balance(store, testAccount(2))).toBe(1_250_000n);
    expect(ev.burnedAmount).toBe(7_500_000n);
    expect(ev.treasuryAmount).toBe(0n);
    expect(bank.moduleBalance(store, TREASURY_MODULE)).toBe(0n);
    expect(bank.supply(store)).toBe(supply - 7_500_000n);
  });

  test("no reporters: everything to the treasury", () => {
    const { store, bank, staking, k } = testSetup();
    const v = staking.addValidator(store, { index: 0, tokens: 333n });
    const ev = k.slash(testContext(store, 20n), args(v.operator, { fractionPpm: 1_000_000n }));
    expect(ev.reporters).toEqual([]);
    expect(ev.treasuryAmount).toBe(333n);
    expect(bank.moduleBalance(store, TREASURY_MODULE)).toBe(333n);
  });

  test("the slash is recorded, queryable by id, and announced as an event", () => {
    const { store, staking, k } = testSetup();
    const v = staking.addValidator(store, { index: 0, tokens: 1000n * M });
    const ctx = testContext(store, 20n);
    const first = k.slash(ctx, args(v.operator, { reason: "job 7: output diverges" }));
    const second = k.slash(ctx, args(v.operator));
    expect(first.id).toBe(1n);
    expect(second.id).toBe(2n);
    expect(k.getSlashEvent(store, 1n)).toEqual(first);
    expect([...k.slashEventIdsOf(store, v.operator)]).toEqual([1n, 2n]);
    const slashEvents = ctx.events.events().filter((e) => e.type === "slash");
    expect(slashEvents).toHaveLength(2);
    const attrs = Object.fromEntries(slashEvents[0].attributes.map((a) => [a.key, a.value]));
    expect(attrs).toMatchObject({
      id: "1",
      validator: v.operator,
      infraction_height: "5",
      kind: "invalid_result",
      fraction: "100000",
      amount: "100000000uinf",
      reason: "job 7: output diverges",
    });
  });
});

describe("slash path: jail and tombstone", () => {
  test("jail: the validator is jailed until height + jail blocks (default downtime_jail_blocks)", () => {
    const { store, staking, k } = testSetup({ downtimeJailBlocks: 30n });
    const v = staking.addValidator(store, { index: 0, tokens: 1000n * M });
    k.slash(testContext(store, 20n), args(v.operator, { jail: true }));
    expect(staking.validator(store, v.operator)?.jailed).toBe(true);
    const info = k.getSigningInfo(store, consAddressString(v.consAddress));
    expect(info?.jailedUntilHeight).toBe(50n);
    expect(info?.tombstoned).toBe(false);

    const w = staking.addValidator(store, { index: 1, tokens: 1000n * M });
    k.slash(testContext(store, 20n), args(w.operator, { jail: true, jailBlocks: 5n }));
    expect(k.getSigningInfo(store, consAddressString(w.consAddress))?.jailedUntilHeight).toBe(25n);
  });

  test("no jail asked: the validator stays in the set", () => {
    const { store, staking, k } = testSetup();
    const v = staking.addValidator(store, { index: 0, tokens: 1000n * M });
    k.slash(testContext(store, 20n), args(v.operator));
    expect(staking.validator(store, v.operator)?.jailed).toBe(false);
    expect(k.getSigningInfo(store, consAddressString(v.consAddress))).toBeUndefined();
  });

  test("tombstone: jailed for good", () => {
    const { store, staking, k } = testSetup();
    const v = staking.addValidator(store, { index: 0, tokens: 1000n * M });
    const ev = k.slash(testContext(store, 20n), args(v.operator, { jail: true, tombstone: true }));
    expect(ev.tombstoned).toBe(true);
    const info = k.getSigningInfo(store, consAddressString(v.consAddress));
    expect(info?.tombstoned).toBe(true);
    expect(info?.jailedUntilHeight).toBe(TOMBSTONE_JAILED_UNTIL);
  });
});

describe("slash path: all or nothing", () => {
  test("a failure part-way (the burn) leaves state exactly as it was, events included", () => {
    const { store, bank, staking, k } = testSetup({ burnSlashed: true });
    const v = staking.addValidator(store, { index: 0, tokens: 1000n * M });
    staking.undelegate(testContext(store, 10n), v.operator, testAccount(1), 400n * M, 110n);
    bank.failBurn = true;
    const before = snapshot(store);
    const ctx = testContext(store, 20n);

    expectAppError(() => k.slash(ctx, args(v.operator, { jail: true, reporters: [testAccount(2)] })), ErrInsufficientFunds);

    expect(snapshot(store)).toEqual(before);
    expect(ctx.events.events()).toEqual([]);
  });

  test("a caller running it on a branch can drop it", () => {
    const { store, staking, k } = testSetup();
    const v = staking.addValidator(store, { index: 0, tokens: 1000n * M });
    const before = snapshot(store);
    const branch = new Branch(store);
    k.slash(testContext(branch, 20n), args(v.operator, { jail: true }));
    expect(staking.validator(branch, v.operator)?.jailed).toBe(true);
    expect(snapshot(store)).toEqual(before);
  });

  test.each<[string, Partial<SlashArgs>, AppError]>([
    ["fraction above 100%", { fractionPpm: 1_000_001n }, ErrInvalidSlash],
    ["negative fraction", { fractionPpm: -1n }, ErrInvalidSlash],
    ["bad kind", { kind: "Invalid Result" }, ErrInvalidSlash],
    ["reserved kind", { kind: "correlation" }, ErrInvalidSlash],
    ["infraction in the future", { infractionHeight: 21n }, ErrInvalidSlash],
    ["tombstone without jail", { tombstone: true, jail: false }, ErrInvalidSlash],
    ["negative base power", { basePower: -1n }, ErrInvalidSlash],
    // height + jail would leave uint64 (and a block hook would throw encoding it).
    ["a jail past the bound", { jail: true, jailBlocks: 1_000_000_001n }, ErrInvalidSlash],
    ["a jail of 2^64", { jail: true, jailBlocks: 1n << 64n }, ErrInvalidSlash],
    ["a reporter named twice", { reporters: [testAccount(1), testAccount(1)] }, ErrInvalidSlash],
    ["a reporter that is not an account address", { reporters: ["infervaloper1xyz"] }, ErrInvalidAddress],
    ["an operator that is not an operator address", { operator: testAccount(1) }, ErrInvalidAddress],
  ])("refused before any write: %s", (_name, over, kind) => {
    const { store, staking, k } = testSetup();
    const v = staking.addValidator(store, { index: 0, tokens: 1000n * M });
    const before = snapshot(store);
    expectAppError(() => k.slash(testContext(store, 20n), args(v.operator, over)), kind);
    expect(snapshot(store)).toEqual(before);
  });

  test("refused for a validator that does not exist", () => {
    const { store, staking, k } = testSetup();
    staking.addValidator(store, { index: 0, tokens: 1000n * M });
    const before = snapshot(store);
    expectAppError(() => k.slash(testContext(store, 20n), args(testValidatorAddrs(9).operator)), ErrNoValidatorForAddress);
    expect(snapshot(store)).toEqual(before);
  });
});
