import { AppError, ErrInsufficientFunds, ErrInvalidAddress } from "../../base/errors";
import { ErrInvalidSlash, ErrNoValidatorForAddress } from "./errors";
import { SLASHING_MODULE, TREASURY_MODULE } from "./keeper";
import type { CompensateArgs } from "./types";
import { BONDED_POOL, NOT_BONDED_POOL, snapshot, testAccount, testContext, testSetup, testValidatorAddrs } from "./testutil";

const M = 1_000_000n;

function expectAppError(f: () => unknown, kind: AppError): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).is(kind)).toBe(true);
}

function args(operator: string, over: Partial<CompensateArgs> = {}): CompensateArgs {
  return { operator, infractionHeight: 5n, amount: 1234n, kind: "late_result", beneficiary: testAccount(7), reason: "job 1: late", ...over };
}

describe("compensate: an exact amount from stake to one account", () => {
  test("cuts exactly the amount from the validator's tokens and pays all of it to the beneficiary", () => {
    const { store, bank, staking, k } = testSetup({ reporterRewardPpm: 100_000n });
    const v = staking.addValidator(store, { index: 0, tokens: 1000n * M });
    const client = testAccount(7);

    const ev = k.compensate(testContext(store, 20n), args(v.operator, { amount: 1_234_567n }));

    expect(ev.amount).toBe(1_234_567n);
    expect(ev.validatorAmount).toBe(1_234_567n);
    expect(bank.balance(store, client)).toBe(1_234_567n);
    expect(staking.validator(store, v.operator)?.tokens).toBe(1000n * M - 1_234_567n);
    expect(bank.moduleBalance(store, BONDED_POOL)).toBe(1000n * M - 1_234_567n);
    // Nothing to the treasury, no reporter cut, nothing left in the slashing account.
    expect(bank.moduleBalance(store, TREASURY_MODULE)).toBe(0n);
    expect(bank.moduleBalance(store, SLASHING_MODULE)).toBe(0n);
    expect(ev.treasuryAmount).toBe(0n);
    expect(ev.reporters).toEqual([{ address: client, amount: 1_234_567n }]);
    expect(ev).toMatchObject({ kind: "late_result", jailed: false, tombstoned: false, reason: "job 1: late" });
    expect(staking.validator(store, v.operator)?.jailed).toBe(false);
  });

  test("recorded as a SlashEvent and announced: slash{kind} and slash_compensation{recipient, amount}; no slash_proceeds", () => {
    const { store, staking, k } = testSetup();
    const v = staking.addValidator(store, { index: 0, tokens: 1000n * M });
    const ctx = testContext(store, 20n);
    const ev = k.compensate(ctx, args(v.operator, { amount: 500n }));
    expect(k.getSlashEvent(store, ev.id)).toEqual(ev);
    const types = ctx.events.events().map((e) => e.type);
    expect(types).toContain("slash");
    expect(types).not.toContain("slash_proceeds");
    const comp = ctx.events.events().find((e) => e.type === "slash_compensation");
    expect(Object.fromEntries(comp!.attributes.map((a) => [a.key, a.value]))).toEqual({ slash_id: ev.id.toString(), recipient: testAccount(7), amount: "500uinf" });
  });

  test("not queued for a correlation penalty (a refund is not a fault share), even for a non-exempt kind", () => {
    const { store, staking, k } = testSetup({ correlationExemptKinds: [] });
    const v = staking.addValidator(store, { index: 0, tokens: 1000n * M });
    const ev = k.compensate(testContext(store, 20n), args(v.operator, { amount: 100n * M }));
    expect(k.getCorrelation(store, ev.id)).toBeUndefined();
    expect(k.dueCorrelations(store, 1_000_000n)).toEqual([]);
    // A plain slash of the same kind is.
    const s = k.slash(testContext(store, 20n), { operator: v.operator, infractionHeight: 5n, fractionPpm: 10_000n, kind: "late_result", reporters: [], jail: false, tombstone: false });
    expect(k.getCorrelation(store, s.id)).toBeDefined();
  });

  test("stake that left after the infraction pays its pro-rata share; the total is still exact", () => {
    const { store, bank, staking, k } = testSetup();
    const v = staking.addValidator(store, { index: 0, tokens: 1000n * M });
    const e = staking.undelegate(testContext(store, 10n), v.operator, testAccount(1), 250n * M, 110n);

    const ev = k.compensate(testContext(store, 20n), args(v.operator, { amount: 100n * M, infractionHeight: 5n }));

    // 100 of 1000 at risk = 10%: the entry (250) pays 25, the validator (750) the other 75.
    expect(ev.stakeAtRisk).toBe(1000n * M);
    expect(ev.fractionPpm).toBe(100_000n);
    expect(ev.unbondingAmount).toBe(25n * M);
    expect(ev.validatorAmount).toBe(75n * M);
    expect(ev.amount).toBe(100n * M);
    expect(staking.entry(store, e.id)?.balance).toBe(225n * M);
    expect(bank.moduleBalance(store, NOT_BONDED_POOL)).toBe(225n * M);
    expect(bank.balance(store, testAccount(7))).toBe(100n * M);
  });

  test("an amount that does not divide evenly: the fraction is rounded up, the total stays exact", () => {
    const { store, staking, k } = testSetup();
    const v = staking.addValidator(store, { index: 0, tokens: 3n * M });
    staking.undelegate(testContext(store, 10n), v.operator, testAccount(1), 1n * M, 110n);
    const ev = k.compensate(testContext(store, 20n), args(v.operator, { amount: 1_000_001n }));
    expect(ev.amount).toBe(1_000_001n);
    expect(ev.unbondingAmount + ev.validatorAmount).toBe(1_000_001n);
  });

  test("more than the stake at risk: all of it, and no more", () => {
    const { store, bank, staking, k } = testSetup();
    const v = staking.addValidator(store, { index: 0, tokens: 700n });
    const ev = k.compensate(testContext(store, 20n), args(v.operator, { amount: 10_000n }));
    expect(ev.amount).toBe(700n);
    expect(ev.fractionPpm).toBe(1_000_000n);
    expect(bank.balance(store, testAccount(7))).toBe(700n);
    expect(staking.validator(store, v.operator)?.tokens).toBe(0n);
    const again = k.compensate(testContext(store, 21n), args(v.operator, { amount: 10_000n }));
    expect(again.amount).toBe(0n);
    expect(bank.balance(store, testAccount(7))).toBe(700n);
  });

  test("zero amount: recorded with nothing cut and nothing sent", () => {
    const { store, bank, staking, k } = testSetup();
    const v = staking.addValidator(store, { index: 0, tokens: 1000n });
    const ev = k.compensate(testContext(store, 20n), args(v.operator, { amount: 0n }));
    expect(ev.amount).toBe(0n);
    expect(bank.balance(store, testAccount(7))).toBe(0n);
    expect(staking.validator(store, v.operator)?.tokens).toBe(1000n);
  });

  test.each<[string, Partial<CompensateArgs>, AppError]>([
    ["negative amount", { amount: -1n }, ErrInvalidSlash],
    ["bad kind", { kind: "Late Result" }, ErrInvalidSlash],
    ["reserved kind", { kind: "correlation" }, ErrInvalidSlash],
    ["infraction in the future", { infractionHeight: 21n }, ErrInvalidSlash],
    ["a beneficiary that is not an account address", { beneficiary: testValidatorAddrs(3).operator }, ErrInvalidAddress],
    ["an operator that is not an operator address", { operator: testAccount(1) }, ErrInvalidAddress],
    ["no such validator", { operator: testValidatorAddrs(9).operator }, ErrNoValidatorForAddress],
  ])("refused before any write: %s", (_name, over, kind) => {
    const { store, staking, k } = testSetup();
    const v = staking.addValidator(store, { index: 0, tokens: 1000n * M });
    const before = snapshot(store);
    expectAppError(() => k.compensate(testContext(store, 20n), args(v.operator, over)), kind);
    expect(snapshot(store)).toEqual(before);
  });

  test("all or nothing: a failed payout leaves state and events as they were", () => {
    const { store, bank, staking, k } = testSetup();
    const v = staking.addValidator(store, { index: 0, tokens: 1000n * M });
    const before = snapshot(store);
    const ctx = testContext(store, 20n);
    const failing = bank.sendCoinsFromModuleToAccount.bind(bank);
    bank.sendCoinsFromModuleToAccount = () => {
      throw ErrInsufficientFunds.wrap("payout refused");
    };
    try {
      expectAppError(() => k.compensate(ctx, args(v.operator, { amount: 10n })), ErrInsufficientFunds);
    } finally {
      bank.sendCoinsFromModuleToAccount = failing;
    }
    expect(snapshot(store)).toEqual(before);
    expect(ctx.events.events()).toEqual([]);
  });
});
