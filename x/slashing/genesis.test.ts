import { AppError } from "../../base/errors";
import { MemKV } from "../../base/store/kv";
import { beginBlocker, endBlocker } from "./abci";
import { ErrInvalidGenesis } from "./errors";
import { defaultGenesis, exportGenesis, initGenesis, type SlashingGenesis } from "./genesis";
import { consAddressString } from "./types";
import { defaultParams } from "./params";
import { snapshot, testAccount, testContext, testSetup } from "./testutil";

const M = 1_000_000n;

/** A chain with signing infos, misses, slash events (with reporters) and a pending correlation record. */
function busyChain() {
  const s = testSetup({ correlationWindowBlocks: 10n, slashFractionDoubleSignPpm: 50_000n });
  const vals = [0, 1, 2].map((i) => s.staking.addValidator(s.store, { index: i, tokens: 100n * M }));
  for (let h = 2n; h <= 6n; h++) {
    const ctx = testContext(s.store, h);
    beginBlocker(s.k, ctx, {
      lastCommit: vals.map((v, i) => ({ validatorAddress: v.consAddress, power: 100n, signed: i !== 1 || h % 2n === 0n })),
      misbehavior: h === 5n ? [{ kind: "duplicate_vote", validatorAddress: vals[2].consAddress, power: 100n, height: 4n, totalVotingPower: 300n }] : [],
    });
    endBlocker(s.k, ctx);
  }
  s.k.slash(testContext(s.store, 6n), { operator: vals[0].operator, infractionHeight: 5n, fractionPpm: 10_000n, kind: "invalid_result", reporters: [testAccount(1), testAccount(2)], jail: false, tombstone: false });
  return { ...s, vals };
}

describe("genesis", () => {
  test("the default genesis initialises the default params and nothing else", () => {
    const s = testSetup();
    const store = new MemKV();
    initGenesis(s.k, testContext(store, 1n), defaultGenesis());
    expect(s.k.getParams(store)).toEqual(defaultParams());
    expect(exportGenesis(s.k, { store, height: 1n })).toEqual(defaultGenesis());
    // Left out entirely, too.
    const empty = new MemKV();
    initGenesis(s.k, testContext(empty, 1n), undefined);
    expect(snapshot(empty)).toEqual(snapshot(store));
  });

  test("export then import reproduces the module's state exactly, through JSON", () => {
    const { store, k } = busyChain();
    const exported = exportGenesis(k, { store, height: 6n });
    expect(exported.slash_events).toHaveLength(2);
    expect(exported.correlation_records).toHaveLength(2);
    expect(exported.missed_blocks).toHaveLength(1);
    const json = JSON.parse(JSON.stringify(exported)) as SlashingGenesis;

    const fresh = new MemKV();
    initGenesis(k, testContext(fresh, 6n), json);
    const mine = (s: MemKV): Array<[string, string]> => snapshot(s).filter(([key]) => key.startsWith("slashing/"));
    expect(mine(fresh)).toEqual(mine(store));
    expect(exportGenesis(k, { store: fresh, height: 6n })).toEqual(exported);
  });

  test("a pending correlation window that closed before the new chain starts is decided in its first block", () => {
    const { store, k } = busyChain();
    const g = exportGenesis(k, { store, height: 6n });
    const fresh = new MemKV();
    initGenesis(k, testContext(fresh, 100n), g);
    expect(k.dueCorrelations(fresh, 100n).map(([due]) => due)).toEqual([100n, 100n]);
  });

  const bad: Array<[string, (g: SlashingGenesis) => unknown]> = [
    ["a param out of range", (g) => ({ ...g, params: { ...g.params, slash_fraction_downtime_ppm: "1000001" } })],
    ["a number that is not a string", (g) => ({ ...g, params: { ...g.params, signed_blocks_window: 20 } })],
    ["a signing info listed twice", (g) => ({ ...g, signing_infos: [g.signing_infos[0], g.signing_infos[0]] })],
    ["a signing info with an operator address", (g) => ({ ...g, signing_infos: [{ ...g.signing_infos[0], address: g.slash_events[0].validator }] })],
    ["a missed counter that disagrees with the bitmap", (g) => ({ ...g, signing_infos: g.signing_infos.map((s) => ({ ...s, missed_blocks_counter: "7" })) })],
    ["a missed index outside the window", (g) => ({ ...g, missed_blocks: [{ ...g.missed_blocks[0], indexes: ["20"] }] })],
    ["a slash event whose payout does not add up", (g) => ({ ...g, slash_events: [{ ...g.slash_events[0], treasury_amount: "1" }] })],
    ["slash event ids not below next_slash_event_id", (g) => ({ ...g, next_slash_event_id: "2" })],
    ["a correlation record of no slash", (g) => ({ ...g, correlation_records: [{ ...g.correlation_records[0], slash_id: "99" }] })],
  ];

  test.each(bad)("refused: %s", (_name, mutate) => {
    const { store, k } = busyChain();
    const g = mutate(exportGenesis(k, { store, height: 6n }));
    let err: unknown;
    try {
      initGenesis(k, testContext(new MemKV(), 1n), g);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).is(ErrInvalidGenesis)).toBe(true);
  });

  test("heights, offsets and ids stay below 2^63, so a block's + 1 or + window never leaves uint64", () => {
    const { store, k } = busyChain();
    const g = JSON.parse(JSON.stringify(exportGenesis(k, { store, height: 6n }))) as SlashingGenesis;
    const refused = (edit: (x: SlashingGenesis) => void): boolean => {
      const x = JSON.parse(JSON.stringify(g)) as SlashingGenesis;
      edit(x);
      try {
        initGenesis(k, testContext(new MemKV(), 1n), x);
      } catch (e) {
        return (e as AppError).is(ErrInvalidGenesis);
      }
      return false;
    };
    const max = ((1n << 64n) - 1n).toString();
    expect(refused(() => undefined)).toBe(false);
    expect(refused((x) => ((x.signing_infos[0] as { index_offset: string }).index_offset = max))).toBe(true);
    expect(refused((x) => ((x.signing_infos[0] as { index_offset: string }).index_offset = ((1n << 63n) - 1n).toString()))).toBe(false);
    expect(refused((x) => ((x.signing_infos[0] as { start_height: string }).start_height = (1n << 63n).toString()))).toBe(true);
    expect(refused((x) => (x.next_slash_event_id = max))).toBe(true);
  });

  test("signing infos keep their bech32 consensus address", () => {
    const { store, k, vals } = busyChain();
    const g = exportGenesis(k, { store, height: 6n });
    expect(g.signing_infos.map((s) => s.address)).toContain(consAddressString(vals[1].consAddress));
  });
});
