/** Genesis worker registrations: applied like MsgRegisterWorker, refused when MsgRegisterWorker would be. */
import { toBech32, fromBech32 } from "@cosmjs/encoding";
import { sha256 } from "@noble/hashes/sha2.js";
import type { Context } from "../../app/context";
import { EventManager } from "../../app/events";
import { GasMeter } from "../../app/gas";
import { MemKV, Branch } from "../../app/store/kv";
import { AuthKeeper } from "../auth";
import { BankKeeper } from "../bank";
import { initGenesis } from "./genesis";
import { StakingKeeper } from "./keeper";
import { testKey } from "../../test/support/txs";

function ctx(): Context {
  return { store: new Branch(new MemKV()), gas: new GasMeter(undefined), events: new EventManager(), block: { chainId: "g", height: 1n, timeSeconds: 0n, hash: new Uint8Array(), proposer: new Uint8Array() }, mode: "genesis" };
}

describe("staking genesis workers", () => {
  test("a listed worker is registered for its validator; a worker that is the operator is refused", async () => {
    const op = await testKey(31);
    const worker = await testKey(32);
    const operator = toBech32("infervaloper", fromBech32(op.address).data);
    const auth = new AuthKeeper();
    const bank = new BankKeeper(auth);
    const staking = new StakingKeeper(bank);
    const validators = [{ operator_address: operator, consensus_pubkey: Buffer.from(sha256(new Uint8Array([1]))).toString("base64"), self_delegation: "10000000", moniker: "v", commission_rate_ppm: 0 }];
    const c = ctx();
    bank.initBalance(c.store, op.address, [{ denom: "uinf", amount: 100_000_000n }]);
    initGenesis(staking, c, { params: {}, validators, workers: [{ operator_address: operator, worker_address: worker.address, model_ids: ["mlp-16x8"] }] });
    expect(staking.operatorOfWorker(c.store, worker.address)).toBe(operator);

    const c2 = ctx();
    bank.initBalance(c2.store, op.address, [{ denom: "uinf", amount: 100_000_000n }]);
    expect(() => initGenesis(staking, c2, { params: {}, validators, workers: [{ operator_address: operator, worker_address: op.address, model_ids: ["mlp-16x8"] }] })).toThrow(/separate hot key/);
  });
});
