/**
 * Liveness on a real 4-validator network: one validator's process group is stopped; after it
 * misses more than half of the 20-block window it is slashed 0.01% and jailed for 20 blocks
 * while the other three keep making blocks; unjailing early is refused; restarted, it waits out
 * the jail, unjails with `inferd tx slashing unjail` and is back in CometBFT's `/validators`.
 */
import { QueryClient, setupSlashingExtension, setupStakingExtension, type StakingExtension } from "@cosmjs/stargate";
import { connectComet, type CometClient } from "@cosmjs/tendermint-rpc";
import { inferd, inferdOk, rpc } from "../support/node";
import { TestNetwork, withNetworkLogs } from "../support/network";

jest.setTimeout(150_000);

interface ValidatorJson {
  readonly jailed: boolean;
  readonly status: string;
  readonly tokens: string;
  readonly power: string;
}

interface SigningInfoJson {
  readonly address: string;
  readonly jailed_until_height: string;
  readonly tombstoned: boolean;
  readonly missed_blocks_counter: string;
}

interface SlashEventJson {
  readonly validator: string;
  readonly kind: string;
  readonly fraction: string;
  readonly fraction_ppm: string;
  readonly amount: string;
  readonly infraction_height: string;
  readonly height: string;
  readonly jailed: boolean;
  readonly tombstoned: boolean;
}

describe("downtime on a 4-validator network: jail, slash, unjail", () => {
  let net: TestNetwork | undefined;
  const failures = { count: 0 };
  const logged = (fn: () => Promise<void>): (() => Promise<void>) => withNetworkLogs(() => net, fn, failures);
  /** The validator taken down. */
  const DOWN = 3;
  let stoppedAt = 0;
  let jailedUntil = 0;
  let comet: CometClient | undefined;
  let q: QueryClient & StakingExtension & ReturnType<typeof setupSlashingExtension>;

  /** `inferd query …` through node0, as JSON. */
  const query = async <T>(...args: string[]): Promise<T> => JSON.parse(await inferdOk(["query", ...args, "--home", net!.home(0), "--output", "json"])) as T;

  beforeAll(async () => {
    net = await TestNetwork.create({ validators: 4, portRange: [46, 49] });
    await net.start([0, 1, 2, 3], 2);
    comet = await connectComet(net.rpcUrl(0));
    q = QueryClient.withExtensions(comet, setupStakingExtension, setupSlashingExtension);
  }, 180_000);

  afterAll(async () => {
    comet?.disconnect();
    await net?.stop(failures.count > 0);
  }, 60_000);

  test("a stopped validator is jailed for downtime", logged(async () => {
    const n = net!;
    const down = n.validators[DOWN];
    // Its window must have started: a signing info exists once it is in a commit.
    await n.waitFor("node3's signing info", async () => (await q.slashing.signingInfo(down.consAddress)).valSigningInfo);
    await n.nodes[DOWN].stop();
    stoppedAt = await n.height([0]);
    const v = await n.waitFor("node3 jailed", async () => {
      const x = (await q.staking.validator(down.operator)).validator!;
      return x.jailed ? x : undefined;
    }, 120_000);
    expect(v.tokens).toBe("9999000"); // 10 INF − 0.01%
    jailedUntil = Number((await q.slashing.signingInfo(down.consAddress)).valSigningInfo!.jailedUntil!.seconds);
  }));

  // Right after the jailing, while most of the 20-block jail is still ahead.
  test("unjail before the jail ends is refused (slashing 4)", logged(async () => {
    const n = net!;
    const before = await n.height([0]);
    expect(before).toBeLessThan(jailedUntil - 5);
    // node3's own RPC is down: send through node0's.
    const r = await inferd(["tx", "slashing", "unjail", "--from", "validator", "--home", n.home(DOWN), "--node", n.rpcUrl(0), "--yes", "--output", "json"]);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 4, codespace: "slashing" });
    expect(JSON.parse(r.stdout).raw_log).toMatch(new RegExp(`jailed until height ${jailedUntil}`));
    expect(r.code).toBe(1);
  }));

  test("the slash is recorded (slash-events, signing-info); it leaves /validators while the other three make blocks", logged(async () => {
    const n = net!;
    const down = n.validators[DOWN];
    const { events } = await query<{ events: SlashEventJson[] }>("slashing", "slash-events", "--validator", down.operator);
    expect(events).toHaveLength(1);
    const e = events[0];
    expect(e).toMatchObject({ validator: down.operator, kind: "downtime", fraction_ppm: "100", fraction: "0.0001", amount: "1000", jailed: true, tombstoned: false });
    // More than window − min_signed = 10 of the last 20 blocks missed since it stopped.
    expect(Number(e.height)).toBeGreaterThan(stoppedAt + 10);
    expect(Number(e.infraction_height)).toBe(Number(e.height) - 2);
    const all = await query<{ events: SlashEventJson[] }>("slashing", "slash-events");
    expect(all.events).toEqual(events);

    const info = await query<SigningInfoJson>("slashing", "signing-info", down.consAddress);
    expect(Number(info.jailed_until_height)).toBe(jailedUntil);
    expect(jailedUntil).toBe(Number(e.height) + 20);
    expect(info.tombstoned).toBe(false);
    expect(info.missed_blocks_counter).toBe("0"); // the window starts over

    // It leaves CometBFT's set (two blocks after the update); the other three go on.
    await n.waitFor("node3 out of /validators", async () => (!(await n.cometValidators()).has(down.hexAddress) ? true : undefined));
    const vals = await n.cometValidators();
    expect([...vals.keys()].sort()).toEqual(n.validators.filter((_, i) => i !== DOWN).map((v) => v.hexAddress).sort());
    const h = await n.height([0]);
    await Promise.all([0, 1, 2].map((i) => n.waitForHeight(h + 5, i, 60_000)));
    expect((await query<ValidatorJson>("staking", "validator", down.operator)).status).toBe("BOND_STATUS_UNBONDING");
  }));

  test("restarted, it waits out the jail, unjails with the CLI and is back in /validators, signing", logged(async () => {
    const n = net!;
    const down = n.validators[DOWN];
    await n.nodes[DOWN].start({ timeoutMs: 60_000 });
    await n.waitFor("node3 caught up", async () => {
      const s = await rpc<{ sync_info: { catching_up: boolean; latest_block_height: string } }>(n.rpcUrl(DOWN), "status");
      return !s.sync_info.catching_up && Number(s.sync_info.latest_block_height) >= (await n.height([0])) - 1 ? true : undefined;
    });
    await n.waitForHeight(jailedUntil, DOWN, 90_000);
    const r = JSON.parse(await inferdOk(["tx", "slashing", "unjail", "--from", "validator", "--home", n.home(DOWN), "--yes", "--output", "json"])) as { code: number; height: number };
    expect(r.code).toBe(0);
    expect(r.height).toBeGreaterThanOrEqual(jailedUntil);

    const v = await query<ValidatorJson>("staking", "validator", down.operator);
    expect(v.jailed).toBe(false);
    await n.waitFor("node3 back in /validators with power 9", async () => ((await n.cometValidators()).get(down.hexAddress) === 9 ? true : undefined));
    expect((await n.cometValidators()).size).toBe(4);
    expect((await query<ValidatorJson>("staking", "validator", down.operator)).status).toBe("BOND_STATUS_BONDED");
    // It signs again.
    const from = await n.height([0]);
    await n.waitFor("a commit signed by node3", async () => {
      const h = await n.height([0]);
      for (let x = from + 1; x <= h; x++) {
        const b = await rpc<{ block: { last_commit: { signatures: Array<{ block_id_flag: number; validator_address: string }> } } }>(n.rpcUrl(0), "block", { height: String(x) });
        if (b.block.last_commit.signatures.some((s) => s.block_id_flag === 2 && s.validator_address === down.hexAddress)) return true;
      }
      return undefined;
    });
    // Unjailing twice is refused: it is not jailed now (slashing 5).
    const again = await inferd(["tx", "slashing", "unjail", "--from", "validator", "--home", n.home(DOWN), "--yes", "--output", "json"]);
    expect(JSON.parse(again.stdout)).toMatchObject({ code: 5, codespace: "slashing" });
  }));
});
