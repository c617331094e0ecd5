/**
 * Double signing on a real 4-validator network: a 5th node (not a validator) is given a copy of
 * node3's consensus key and an empty priv_validator_state.json, so node3's key signs twice at
 * the same heights. CometBFT turns the conflicting votes into DuplicateVoteEvidence, a block
 * carries it, and FinalizeBlock's `misbehavior` makes x/slashing slash 100% of the power at the
 * evidence height, jail and tombstone node3 (for good: unjail is refused). Unbonding entries
 * created at or after the infraction height are cut too; older ones are not.
 */
import { Bip39, sha256 } from "@cosmjs/crypto";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice, QueryClient, SigningStargateClient, setupSlashingExtension, setupStakingExtension, type StakingExtension } from "@cosmjs/stargate";
import { connectComet, type CometClient } from "@cosmjs/tendermint-rpc";
import { inferd, inferdOk, rpc } from "../support/node";
import { TestNetwork, sendTx, sendTxOk, withNetworkLogs } from "../support/network";

jest.setTimeout(180_000);

const DENOM = "uinf";
const mnemonic = (seed: string): string => Bip39.encode(sha256(new TextEncoder().encode(seed)).slice(0, 32)).toString();

interface SlashEventJson {
  readonly id: string;
  readonly validator: string;
  readonly kind: string;
  readonly fraction: string;
  readonly amount: string;
  readonly stake_at_risk: string;
  readonly unbonding_amount: string;
  readonly validator_amount: string;
  readonly infraction_height: string;
  readonly height: string;
  readonly jailed: boolean;
  readonly tombstoned: boolean;
  readonly reason: string;
}

interface EntryJson {
  readonly creation_height: string;
  readonly initial_balance: string;
  readonly balance: string;
}

interface EvidenceBlock {
  readonly block: { evidence: { evidence: Array<{ type: string; value: { vote_a: { height: string; validator_address: string; block_id: { hash: string } }; vote_b: { block_id: { hash: string } } } }> | null } };
}

describe("double signing on a 4-validator network: evidence, slash, tombstone", () => {
  let net: TestNetwork | undefined;
  const failures = { count: 0 };
  const logged = (fn: () => Promise<void>): (() => Promise<void>) => withNetworkLogs(() => net, fn, failures);
  /** The validator whose key is run twice, and its twin (a full node with a copy of the key). */
  const CHEAT = 3;
  const TWIN = 4;
  let carol: string;
  let client: SigningStargateClient;
  let comet: CometClient;
  let q: QueryClient & StakingExtension & ReturnType<typeof setupSlashingExtension>;
  /** Heights at which carol's unbonding entries from node3 were created. */
  const entryHeights: number[] = [];
  let twinStartedAt = 0;
  let slashHeight = 0;

  const query = async <T>(...args: string[]): Promise<T> => JSON.parse(await inferdOk(["query", ...args, "--home", net!.home(0), "--output", "json"])) as T;

  beforeAll(async () => {
    const wallet = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic("inferchain-mn-carol"), { prefix: "infer" });
    [{ address: carol }] = await wallet.getAccounts();
    net = await TestNetwork.create({ validators: 4, extraNodes: [{ twinOf: CHEAT }], portRange: [4, 11], accounts: [{ address: carol, amount: 1_000_000_000n }] });
    await net.start([0, 1, 2, 3], 2);
    client = await SigningStargateClient.connectWithSigner(net.rpcUrl(0), wallet, { gasPrice: GasPrice.fromString(`0.025${DENOM}`) });
    comet = await connectComet(net.rpcUrl(0));
    q = QueryClient.withExtensions(comet, setupStakingExtension, setupSlashingExtension);
  }, 180_000);

  afterAll(async () => {
    client?.disconnect();
    comet?.disconnect();
    await net?.stop(failures.count > 0);
  }, 60_000);

  const undelegate = (amount: string): { typeUrl: string; value: unknown } => ({
    typeUrl: "/cosmos.staking.v1beta1.MsgUndelegate",
    value: { delegatorAddress: carol, validatorAddress: net!.validators[CHEAT].operator, amount: { denom: DENOM, amount } },
  });

  test("before the fault: carol delegates 3 INF to node3 and undelegates 0.5 INF", logged(async () => {
    const op = net!.validators[CHEAT].operator;
    await sendTxOk(client, net!.rpcUrl(0), carol, [{ typeUrl: "/cosmos.staking.v1beta1.MsgDelegate", value: { delegatorAddress: carol, validatorAddress: op, amount: { denom: DENOM, amount: "3000000" } } }]);
    entryHeights.push(await sendTxOk(client, net!.rpcUrl(0), carol, [undelegate("500000")]));
    await net!.waitFor("node3's power 12", async () => ((await net!.cometValidators()).get(net!.validators[CHEAT].hexAddress) === 12 ? true : undefined));
  }));

  test("a second signer on node3's key: CometBFT's evidence makes x/slashing slash 100%, jail and tombstone node3", logged(async () => {
    const n = net!;
    const cheat = n.validators[CHEAT];
    twinStartedAt = await n.height([0]);
    await n.nodes[TWIN].start({ timeoutMs: 90_000 });
    // While the twin catches up and starts signing, carol keeps undelegating (one entry per tx,
    // at most max_entries = 7 per pair), so some entries are created after the infraction.
    const tombstoned = async (): Promise<boolean> => (await q.slashing.signingInfo(cheat.consAddress)).valSigningInfo?.tombstoned === true;
    const deadline = Date.now() + 120_000;
    while (!(await tombstoned())) {
      if (Date.now() > deadline) throw new Error(`node3 not tombstoned 120 s after its twin started (height ${await n.height([0])})`);
      if (entryHeights.length < 7) {
        const r = await sendTx(client, n.rpcUrl(0), carol, [undelegate("100000")]);
        if (r.code === 0 && r.height !== undefined) entryHeights.push(r.height);
      } else {
        await new Promise((res) => setTimeout(res, 500));
      }
    }

    const { events } = await query<{ events: SlashEventJson[] }>("slashing", "slash-events", "--validator", cheat.operator);
    expect(events).toHaveLength(1);
    const e = events[0];
    slashHeight = Number(e.height);
    expect(e).toMatchObject({ validator: cheat.operator, kind: "double_sign", fraction: "1", jailed: true, tombstoned: true });

    // A block carries CometBFT's DuplicateVoteEvidence for node3's key: two votes at one height, different blocks.
    let evidenceHeight = 0;
    for (let h = twinStartedAt; h <= Number(e.height) && evidenceHeight === 0; h++) {
      const b = await rpc<EvidenceBlock>(n.rpcUrl(0), "block", { height: String(h) });
      const ev = b.block.evidence.evidence?.[0];
      if (!ev) continue;
      expect(ev.type).toBe("tendermint/DuplicateVoteEvidence");
      expect(ev.value.vote_a.validator_address).toBe(cheat.hexAddress);
      expect(ev.value.vote_a.block_id.hash).not.toBe(ev.value.vote_b.block_id.hash);
      evidenceHeight = Number(ev.value.vote_a.height);
      // FinalizeBlock of the first block carrying evidence does the slash.
      expect(Number(e.height)).toBe(h);
    }
    expect(evidenceHeight).toBeGreaterThan(twinStartedAt);
    // Infraction height = evidence height − 1 (Cosmos's distribution height); stake at risk = power then.
    expect(Number(e.infraction_height)).toBe(evidenceHeight - 1);
    expect(e.reason).toBe(`duplicate_vote at height ${evidenceHeight}`);
    const powerThen = (await n.cometValidators(0, evidenceHeight)).get(cheat.hexAddress)!;
    expect(e.stake_at_risk).toBe(String(BigInt(powerThen) * 1_000_000n));
    expect(e.amount).toBe(e.stake_at_risk);

    const info = await query<{ tombstoned: boolean; jailed_until_height: string }>("slashing", "signing-info", cheat.operator);
    expect(info.tombstoned).toBe(true);
    expect(info.jailed_until_height).toBe("253402300799");
    const v = await query<{ jailed: boolean; tokens: string }>("staking", "validator", cheat.operator);
    expect(v.jailed).toBe(true);
    expect(BigInt(v.tokens)).toBeLessThan(1_000_000n); // less than one power left

    // Unbonding entries: those created at or after the infraction height lost everything, older ones nothing.
    const ubd = await query<{ entries: EntryJson[] }>("staking", "unbonding", carol, cheat.operator);
    expect(ubd.entries.map((x) => Number(x.creation_height))).toEqual(entryHeights);
    let cut = 0n;
    for (const x of ubd.entries) {
      if (Number(x.creation_height) >= Number(e.infraction_height)) {
        expect(x.balance).toBe("0");
        cut += BigInt(x.initial_balance);
      } else {
        expect(x.balance).toBe(x.initial_balance);
      }
    }
    expect(e.unbonding_amount).toBe(cut.toString());
    expect(Number(ubd.entries[0].creation_height)).toBeLessThan(Number(e.infraction_height));
    process.stdout.write(`double sign: evidence at ${evidenceHeight}, slashed at ${e.height}; ${ubd.entries.filter((x) => x.balance === "0").length} of ${ubd.entries.length} unbonding entries cut\n`);

    // Out of CometBFT's set; the other three keep making blocks.
    await n.waitFor("node3 out of /validators", async () => (!(await n.cometValidators()).has(cheat.hexAddress) ? true : undefined));
    expect((await n.cometValidators()).size).toBe(3);
    const h = await n.height([0]);
    await Promise.all([0, 1, 2].map((i) => n.waitForHeight(h + 3, i, 60_000)));
  }));

  test("unjail after a tombstone is refused (slashing 9), even once downtime_jail_blocks have passed", logged(async () => {
    await net!.waitForHeight(slashHeight + 21, 0, 90_000);
    const r = await inferd(["tx", "slashing", "unjail", "--from", "validator", "--home", net!.home(CHEAT), "--yes", "--output", "json"]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 9, codespace: "slashing" });
    const v = (await q.staking.validator(net!.validators[CHEAT].operator)).validator!;
    expect(v.jailed).toBe(true);
  }));
});
