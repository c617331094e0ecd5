import { MsgUnjail, MsgUpdateParams as CosmosMsgUpdateParams } from "cosmjs-types/cosmos/slashing/v1beta1/tx";
import { MsgUpdateParams } from "../../gen/inferchain/slashing/v1/tx";
import { AppError } from "../../base/errors";
import { beginBlocker } from "./abci";
import {
  ErrInvalidParams,
  ErrEvidenceOutlivesUnbonding,
  ErrInvalidSigner,
  ErrMissingSelfDelegation,
  ErrNoValidatorForAddress,
  ErrSelfDelegationTooLowToUnjail,
  ErrValidatorJailed,
  ErrValidatorNotJailed,
  ErrValidatorTombstoned,
} from "./errors";
import { msgCosmosUpdateParamsHandler, msgUnjailHandler, msgUpdateParamsHandler } from "./msgServer";
import { defaultParams, toCosmos, type SlashingParams } from "./params";
import { testAccount, testContext, testSetup, testValidatorAddrs } from "./testutil";
import { consAddressString } from "./types";

const M = 1_000_000n;

function expectAppError(f: () => unknown, kind: AppError): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(AppError);
  expect(`${(err as AppError).codespace}/${(err as AppError).code}`).toBe(`${kind.codespace}/${kind.code}`);
}

describe("MsgUnjail", () => {
  function jailedForDowntime(over: { selfDelegation?: bigint; minSelfDelegation?: bigint } = {}) {
    const s = testSetup({ downtimeJailBlocks: 20n });
    const v = s.staking.addValidator(s.store, { index: 0, tokens: 100n * M, ...over });
    s.k.slash(testContext(s.store, 10n), { operator: v.operator, infractionHeight: 8n, fractionPpm: 100n, kind: "downtime", reporters: [], jail: true, tombstone: false });
    const h = msgUnjailHandler(s.k);
    const msg = h.decode(MsgUnjail.encode({ validatorAddr: v.operator }).finish());
    return { ...s, v, h, msg };
  }

  test("the signer is the operator's account; a non-operator address fails validate-basic", () => {
    const { h, msg, v } = jailedForDowntime();
    expect(h.signers(msg)).toEqual([v.account]);
    expect(() => h.validateBasic({ validator: testAccount(1) })).toThrow(AppError);
  });

  test("refused while the jail period runs (jailed until 30), accepted from height 30", () => {
    const { store, staking, h, msg, v } = jailedForDowntime();
    expectAppError(() => h.execute(testContext(store, 29n), msg), ErrValidatorJailed);
    expect(staking.validator(store, v.operator)?.jailed).toBe(true);
    const ctx = testContext(store, 30n);
    h.execute(ctx, msg);
    expect(staking.validator(store, v.operator)?.jailed).toBe(false);
    expect(ctx.events.events().map((e) => e.type)).toContain("unjail");
  });

  test("refused when not jailed", () => {
    const { store, h, msg } = jailedForDowntime();
    h.execute(testContext(store, 30n), msg);
    expectAppError(() => h.execute(testContext(store, 31n), msg), ErrValidatorNotJailed);
  });

  test("refused for ever once tombstoned", () => {
    const { store, k, h, msg, v } = jailedForDowntime();
    beginBlocker(k, testContext(store, 40n), {
      lastCommit: [],
      misbehavior: [{ kind: "duplicate_vote", validatorAddress: v.consAddress, power: 1n, height: 39n, totalVotingPower: 10n }],
    });
    expect(k.getSigningInfo(store, consAddressString(v.consAddress))?.tombstoned).toBe(true);
    expectAppError(() => h.execute(testContext(store, 1_000_000n), msg), ErrValidatorTombstoned);
  });

  test("refused without self-delegation, and below the validator's minimum", () => {
    const none = jailedForDowntime({ selfDelegation: 0n });
    expectAppError(() => none.h.execute(testContext(none.store, 30n), none.msg), ErrMissingSelfDelegation);

    // The downtime slash cut 100 ppm: 50 INF of self-delegation became 49.995, below a 50 INF minimum.
    const low = jailedForDowntime({ selfDelegation: 50n * M, minSelfDelegation: 50n * M });
    expect(low.staking.validator(low.store, low.v.operator)?.selfDelegation).toBe(49_995_000n);
    expectAppError(() => low.h.execute(testContext(low.store, 30n), low.msg), ErrSelfDelegationTooLowToUnjail);

    const ok = jailedForDowntime({ selfDelegation: 50n * M, minSelfDelegation: 49n * M });
    ok.h.execute(testContext(ok.store, 30n), ok.msg);
    expect(ok.staking.validator(ok.store, ok.v.operator)?.jailed).toBe(false);
  });

  test("refused for an operator with no validator", () => {
    const { store, h } = jailedForDowntime();
    expectAppError(() => h.execute(testContext(store, 30n), { validator: testValidatorAddrs(5).operator }), ErrNoValidatorForAddress);
  });
});

describe("MsgUpdateParams", () => {
  const authority = testAccount(42);

  function setup() {
    const s = testSetup({ paramsAuthority: authority });
    return { ...s, own: msgUpdateParamsHandler(s.k), cosmos: msgCosmosUpdateParamsHandler(s.k) };
  }

  function encodeOwn(a: string, p: SlashingParams): Uint8Array {
    return MsgUpdateParams.encode({ authority: a, params: { ...p } }).finish();
  }

  test("accepted from params_authority only, with a distinct code otherwise", () => {
    const { store, k, own } = setup();
    const next = { ...k.getParams(store), slashFractionDowntimePpm: 777n };
    const msg = own.decode(encodeOwn(authority, next));
    expect(own.signers(msg)).toEqual([authority]);

    const bad = own.decode(encodeOwn(testAccount(1), next));
    expectAppError(() => own.execute(testContext(store, 5n), bad), ErrInvalidSigner);
    expect(k.getParams(store).slashFractionDowntimePpm).toBe(100n);

    own.execute(testContext(store, 5n), msg);
    expect(k.getParams(store).slashFractionDowntimePpm).toBe(777n);
  });

  test.each<[string, Partial<SlashingParams>]>([
    ["a fraction above 100%", { slashFractionDoubleSignPpm: 1_000_001n }],
    ["a zero window", { signedBlocksWindow: 0n }],
    ["a zero correlation window", { correlationWindowBlocks: 0n }],
    ["reporter reward above 100%", { reporterRewardPpm: 2_000_000n }],
    ["a bad exempt kind", { correlationExemptKinds: ["Downtime"] }],
    ["a bad authority", { paramsAuthority: "nobody" }],
  ])("invalid params are refused at decode: %s", (_name, over) => {
    const { own } = setup();
    expectAppError(() => own.decode(encodeOwn(authority, { ...defaultParams(), paramsAuthority: authority, ...over })), ErrInvalidParams);
  });

  test("max_evidence_age_blocks must stay below staking's unbonding_blocks (its own code)", () => {
    const { store, staking, k, own } = setup();
    staking.unbonding = 100n;
    const at = (age: bigint) => own.decode(encodeOwn(authority, { ...k.getParams(store), maxEvidenceAgeBlocks: age }));
    expectAppError(() => own.execute(testContext(store, 5n), at(100n)), ErrEvidenceOutlivesUnbonding);
    expect(k.getParams(store).maxEvidenceAgeBlocks).toBe(defaultParams().maxEvidenceAgeBlocks);
    own.execute(testContext(store, 5n), at(99n));
    expect(k.getParams(store).maxEvidenceAgeBlocks).toBe(99n);
  });

  test("a new window length starts every validator's window over", () => {
    const { store, staking, k, own } = setup();
    const v = staking.addValidator(store, { index: 0, tokens: 100n * M });
    for (let h = 1n; h <= 5n; h++) beginBlocker(k, testContext(store, h), { lastCommit: [{ validatorAddress: v.consAddress, power: 100n, signed: false }], misbehavior: [] });
    const cons = consAddressString(v.consAddress);
    expect(k.getSigningInfo(store, cons)?.missedBlocksCounter).toBe(5n);
    own.execute(testContext(store, 6n), own.decode(encodeOwn(authority, { ...k.getParams(store), signedBlocksWindow: 50n })));
    expect(k.getSigningInfo(store, cons)).toMatchObject({ missedBlocksCounter: 0n, indexOffset: 0n, startHeight: 6n });
    expect(k.missedIndexes(store, cons)).toEqual([]);
  });

  test("the Cosmos MsgUpdateParams sets the Cosmos subset and keeps the rest", () => {
    const { store, k, cosmos } = setup();
    const before = k.getParams(store);
    const cp = toCosmos({ ...before, signedBlocksWindow: 30n, minSignedPerWindowPpm: 600_000n, downtimeJailBlocks: 40n, slashFractionDowntimePpm: 200n, slashFractionDoubleSignPpm: 50_000n });
    const msg = cosmos.decode(CosmosMsgUpdateParams.encode({ authority, params: cp }).finish());
    expectAppError(() => cosmos.execute(testContext(store, 5n), { ...msg, authority: testAccount(1) }), ErrInvalidSigner);
    cosmos.execute(testContext(store, 5n), msg);
    expect(k.getParams(store)).toEqual({
      ...before,
      signedBlocksWindow: 30n,
      minSignedPerWindowPpm: 600_000n,
      downtimeJailBlocks: 40n,
      slashFractionDowntimePpm: 200n,
      slashFractionDoubleSignPpm: 50_000n,
    });
  });

  test("the Cosmos MsgUpdateParams refuses Decs finer than ppm and fractional durations", () => {
    const { store, k, cosmos } = setup();
    const cp = toCosmos(k.getParams(store));
    const finer = { ...cp, slashFractionDowntime: new TextEncoder().encode("100000000000000001") };
    expectAppError(() => cosmos.decode(CosmosMsgUpdateParams.encode({ authority, params: finer }).finish()), ErrInvalidParams);
    const nanos = { ...cp, downtimeJailDuration: { seconds: 5n, nanos: 1 } };
    expectAppError(() => cosmos.decode(CosmosMsgUpdateParams.encode({ authority, params: nanos }).finish()), ErrInvalidParams);
  });
});
