/**
 * x/models inside a real BaseApp with x/auth and x/bank, wired the way app/app.ts will wire it:
 * a signed MsgRegisterModel in a block, the deposit in the "models" module account, the
 * queries over ABCI, and a failing registration that still pays its fee.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { MsgRegisterModel } from "../../gen/inferchain/models/v1/tx";
import {
  QueryModelRequest,
  QueryModelResponse,
  QueryModelsRequest,
  QueryModelsResponse,
  QueryParamsRequest,
  QueryParamsResponse,
} from "../../gen/inferchain/models/v1/query";
import { BaseApp } from "../../base/baseapp";
import { CommitStore } from "../../base/store/commitStore";
import { moduleAddress } from "../../base/types/address";
import { AnteHandler, AuthKeeper, FEE_COLLECTOR, authModule } from "../auth";
import { BankKeeper, bankModule } from "../bank";
import { balance, finalizeRequest, genesisBytes } from "../../test/support/chain";
import { msgSendAny, signTxFast, testKey, type TestKey } from "../../test/support/txs";
import { MODELS_MODULE_ACCOUNT, ModelsKeeper } from "./keeper";
import { modelsModule } from "./module";
import { sampleSpec } from "./testutil";
import { modelFromWire, modelToWire } from "./types";
import { CODESPACE, ErrInsufficientDeposit } from "./errors";

const CHAIN_ID = "models-test";

async function openApp(dir: string): Promise<BaseApp> {
  const auth = new AuthKeeper();
  const bank = new BankKeeper(auth);
  const models = new ModelsKeeper();
  const blocked: ReadonlySet<string> = new Set([FEE_COLLECTOR, MODELS_MODULE_ACCOUNT].map(moduleAddress));
  return new BaseApp(await CommitStore.open(dir), {
    modules: [authModule(auth), bankModule(bank, () => blocked), modelsModule(models, bank)],
    ante: new AnteHandler(auth, bank),
    maxTxBytes: (s) => auth.getFeeParams(s).maxTxBytes,
  });
}

function registerAny(owner: string, id: string, deposit: bigint): { typeUrl: string; value: Uint8Array } {
  const w = modelToWire({ ...sampleSpec({ id }), owner: "", deposit: 0n, registeredHeight: 0n });
  return { typeUrl: "/inferchain.models.v1.MsgRegisterModel", value: MsgRegisterModel.encode({ ...w, owner, deposit: deposit.toString() }).finish() };
}

describe("x/models in a BaseApp", () => {
  let dir: string;
  let app: BaseApp;
  let alice: TestKey;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-models-"));
    app = await openApp(dir);
    alice = await testKey(1);
    const base = JSON.parse(new TextDecoder().decode(genesisBytes([[alice.address, 100_000_000n]]))) as Record<string, unknown>;
    const appState = { ...base, models: { params: { registration_deposit: "5000000", params_authority: alice.address }, models: [] } };
    app.initChain({ time: { seconds: 1_700_000_000n, nanos: 0 }, chainId: CHAIN_ID, consensusParams: undefined, validators: [], appStateBytes: new TextEncoder().encode(JSON.stringify(appState)), initialHeight: 1n });
  });

  afterAll(async () => {
    await app.store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const query = async <T>(p: string, data: Uint8Array, codec: { decode(b: Uint8Array): T }): Promise<T> => {
    const r = await app.query({ path: `/inferchain.models.v1.Query/${p}`, data, height: 0n, prove: false });
    if (r.code !== 0) throw new Error(r.log);
    return codec.decode(r.value);
  };

  test("a signed MsgRegisterModel registers the model and escrows the deposit; a short deposit fails but pays its fee", async () => {
    const fee = 5000n;
    const ok = await signTxFast(alice, [registerAny(alice.address, "mlp-16x8", 6_000_000n)], { chainId: CHAIN_ID, accountNumber: 0n, sequence: 0n, fee });
    const short = await signTxFast(alice, [registerAny(alice.address, "other", 4_999_999n)], { chainId: CHAIN_ID, accountNumber: 0n, sequence: 1n, fee });
    expect(app.checkTx({ tx: ok, type: 0 }).code).toBe(0);
    const res = await app.finalizeBlock(finalizeRequest(1n, [ok, short]));
    await app.commit();

    expect(res.txResults[0].code).toBe(0);
    expect(res.txResults[0].events.some((e) => e.type === "register_model")).toBe(true);
    expect(res.txResults[1]).toMatchObject({ code: ErrInsufficientDeposit.code, codespace: CODESPACE });

    expect(await balance(app, moduleAddress(MODELS_MODULE_ACCOUNT))).toBe(6_000_000n);
    expect(await balance(app, alice.address)).toBe(100_000_000n - 6_000_000n - 2n * fee);

    const got = await query("Model", QueryModelRequest.encode({ id: "mlp-16x8" }).finish(), QueryModelResponse);
    expect(modelFromWire(got.model!)).toEqual({ ...sampleSpec(), owner: alice.address, deposit: 6_000_000n, registeredHeight: 1n });
    const missing = await app.query({ path: "/inferchain.models.v1.Query/Model", data: QueryModelRequest.encode({ id: "other" }).finish(), height: 0n, prove: false });
    expect(missing.code).toBe(22);
    expect(missing.log).toContain("NotFound");
  });

  test("queries: Params, Model with a bad id, Models with pagination", async () => {
    const p = await query("Params", QueryParamsRequest.encode({}).finish(), QueryParamsResponse);
    expect(p.params).toEqual({ registrationDeposit: "5000000", paramsAuthority: alice.address });

    const bad = await app.query({ path: "/inferchain.models.v1.Query/Model", data: QueryModelRequest.encode({ id: "Not An Id" }).finish(), height: 0n, prove: false });
    expect(bad.code).toBe(18);

    // Three more models, then page through them two at a time.
    const txs = await Promise.all(
      ["a-model", "b-model", "z-model"].map((id, i) =>
        signTxFast(alice, [registerAny(alice.address, id, 5_000_000n)], { chainId: CHAIN_ID, accountNumber: 0n, sequence: 2n + BigInt(i), fee: 5000n }),
      ),
    );
    const res = await app.finalizeBlock(finalizeRequest(2n, txs));
    await app.commit();
    expect(res.txResults.map((r) => r.code)).toEqual([0, 0, 0]);

    const page1 = await query("Models", QueryModelsRequest.encode({ startId: "", limit: 2 }).finish(), QueryModelsResponse);
    expect(page1.models.map((m) => m.id)).toEqual(["a-model", "b-model"]);
    expect(page1.nextId).toBe("mlp-16x8");
    const page2 = await query("Models", QueryModelsRequest.encode({ startId: page1.nextId, limit: 2 }).finish(), QueryModelsResponse);
    expect(page2.models.map((m) => m.id)).toEqual(["mlp-16x8", "z-model"]);
    expect(page2.nextId).toBe("");
    const all = await query("Models", QueryModelsRequest.encode({ startId: "", limit: 0 }).finish(), QueryModelsResponse);
    expect(all.models).toHaveLength(4);
    const tooMany = await app.query({ path: "/inferchain.models.v1.Query/Models", data: QueryModelsRequest.encode({ startId: "", limit: 1001 }).finish(), height: 0n, prove: false });
    expect(tooMany.code).toBe(18);
  });

  test("with the models account blocked (as app.ts must), MsgSend cannot top up escrow", async () => {
    expect(app.queryPaths()).toEqual(expect.arrayContaining(["/inferchain.models.v1.Query/Model", "/inferchain.models.v1.Query/Models", "/inferchain.models.v1.Query/Params"]));
    const send = await signTxFast(alice, [msgSendAny(alice.address, moduleAddress(MODELS_MODULE_ACCOUNT), 1n)], { chainId: CHAIN_ID, accountNumber: 0n, sequence: 5n, fee: 5000n });
    const res = await app.finalizeBlock(finalizeRequest(3n, [send]));
    await app.commit();
    expect(res.txResults[0]).toMatchObject({ codespace: "bank", code: 7 });
    expect(await balance(app, moduleAddress(MODELS_MODULE_ACCOUNT))).toBe(21_000_000n);
  });
});
