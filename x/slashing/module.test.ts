import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as protoLoader from "@grpc/proto-loader";
import { QuerySigningInfoRequest, QuerySigningInfoResponse } from "cosmjs-types/cosmos/slashing/v1beta1/query";
import { MisbehaviorType } from "cosmjs-types/tendermint/abci/types";
import { BlockIDFlag } from "cosmjs-types/tendermint/types/validator";
import { QueryParamsRequest, QueryParamsResponse, QuerySlashEventsRequest, QuerySlashEventsResponse } from "../../gen/inferchain/slashing/v1/query";
import { BaseApp } from "../../base/baseapp";
import type { AppModule } from "../../base/module";
import { CommitStore } from "../../base/store/commitStore";
import { protoIncludeDirs } from "../../base/protoIncludes";
import { SlashingKeeper } from "./keeper";
import { slashingModule } from "./module";
import { FakeBank, FakeStaking, testSetup, testValidatorAddrs } from "./testutil";
import { consAddressString } from "./types";

const M = 1_000_000n;

describe("slashing module", () => {
  const m = slashingModule(testSetup().k);

  test("registers its messages and queries once each", () => {
    expect(m.msgHandlers?.map((h) => h.typeUrl)).toEqual([
      "/cosmos.slashing.v1beta1.MsgUnjail",
      "/inferchain.slashing.v1.MsgUpdateParams",
      "/cosmos.slashing.v1beta1.MsgUpdateParams",
    ]);
    expect(m.queries?.map((q) => q.path).sort()).toEqual([
      "/cosmos.slashing.v1beta1.Query/Params",
      "/cosmos.slashing.v1beta1.Query/SigningInfo",
      "/cosmos.slashing.v1beta1.Query/SigningInfos",
      "/inferchain.slashing.v1.Query/Params",
      "/inferchain.slashing.v1.Query/SlashEvents",
    ]);
  });

  test("its proto files load and describe every query it serves (gRPC reflection)", async () => {
    const pkg = await protoLoader.load([...(m.protoFiles ?? [])], { includeDirs: protoIncludeDirs(), keepCase: true });
    for (const path of m.queries?.map((q) => q.path) ?? []) {
      const [, service, method] = /^\/(.+)\/(\w+)$/.exec(path) ?? [];
      const def = pkg[service] as Record<string, unknown> | undefined;
      expect(def?.[method]).toBeDefined();
    }
  });
});

describe("slashing module in the base app", () => {
  test("genesis from app_state, evidence and votes from FinalizeBlock, results over ABCI query, through a commit", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-slashing-"));
    const store = await CommitStore.open(dir);
    try {
      const bank = new FakeBank();
      const staking = new FakeStaking(bank);
      const k = new SlashingKeeper({ staking, bank });
      // Stands in for x/staking: its genesis creates two validators.
      const fakeStakingModule: AppModule = {
        name: "fake_staking",
        initGenesis: (ctx) => {
          staking.addValidator(ctx.store, { index: 0, tokens: 100n * M });
          staking.addValidator(ctx.store, { index: 1, tokens: 100n * M });
        },
      };
      const app = new BaseApp(store, { modules: [fakeStakingModule, slashingModule(k)], ante: { run: () => undefined }, maxTxBytes: () => 1_000_000n });
      const genesis = { slashing: { params: { slash_fraction_double_sign_ppm: "50000", signed_blocks_window: "10" } } };
      app.initChain({ time: { seconds: 1_700_000_000n, nanos: 0 }, chainId: "slash-test", consensusParams: undefined, validators: [], appStateBytes: new TextEncoder().encode(JSON.stringify(genesis)), initialHeight: 1n });

      const [v0, v1] = [testValidatorAddrs(0), testValidatorAddrs(1)];
      const votes = [
        { validator: { address: v0.cons, power: 100n }, blockIdFlag: BlockIDFlag.BLOCK_ID_FLAG_COMMIT },
        { validator: { address: v1.cons, power: 100n }, blockIdFlag: BlockIDFlag.BLOCK_ID_FLAG_ABSENT },
      ];
      const fin = await app.finalizeBlock({
        txs: [],
        decidedLastCommit: { round: 0, votes },
        misbehavior: [{ type: MisbehaviorType.DUPLICATE_VOTE, validator: { address: v0.cons, power: 100n }, height: 1n, time: { seconds: 1_700_000_000n, nanos: 0 }, totalVotingPower: 200n }],
        hash: new Uint8Array(32),
        height: 2n,
        time: { seconds: 1_700_000_000n, nanos: 0 },
        nextValidatorsHash: new Uint8Array(),
        proposerAddress: new Uint8Array(20),
      });
      await app.commit();
      expect(fin.events.map((e) => e.type)).toEqual(expect.arrayContaining(["slash", "jail", "tombstone", "liveness"]));

      const q = async (path: string, data: Uint8Array): Promise<Uint8Array> => {
        const r = await app.query({ path, data, height: 0n, prove: false });
        expect(r.code).toBe(0);
        return r.value;
      };
      const events = QuerySlashEventsResponse.decode(await q("/inferchain.slashing.v1.Query/SlashEvents", QuerySlashEventsRequest.encode({ validator: "", pagination: undefined }).finish()));
      expect(events.events).toHaveLength(1);
      expect(events.events[0]).toMatchObject({ validator: v0.operator, kind: "double_sign", fractionPpm: 50_000n, amount: "5000000", tombstoned: true });
      const info = QuerySigningInfoResponse.decode(
        await q("/cosmos.slashing.v1beta1.Query/SigningInfo", QuerySigningInfoRequest.encode({ consAddress: consAddressString(v1.cons) }).finish()),
      );
      expect(info.valSigningInfo).toMatchObject({ startHeight: 2n, indexOffset: 1n, missedBlocksCounter: 1n, tombstoned: false });
      const params = QueryParamsResponse.decode(await q("/inferchain.slashing.v1.Query/Params", QueryParamsRequest.encode({}).finish()));
      expect(params.params?.signedBlocksWindow).toBe(10n);
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
