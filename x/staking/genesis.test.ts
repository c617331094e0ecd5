/** Genesis worker registrations: applied like MsgRegisterWorker, refused when MsgRegisterWorker would be. */
import { toBech32, fromBech32 } from "@cosmjs/encoding";
import { sha256 } from "@noble/hashes/sha2.js";
import type { Context } from "../../base/context";
import { EventManager } from "../../base/events";
import { GasMeter } from "../../base/gas";
import { MemKV, Branch } from "../../base/store/kv";
import { AuthKeeper } from "../auth";
import { BankKeeper } from "../bank";
import { isValidModelId } from "../models";
import { initGenesis } from "./genesis";
import type { StakingDeps } from "./expectedKeepers";
import { StakingKeeper } from "./keeper";
import { testKey } from "../../test/support/txs";

const deps = (models = ["mlp-16x8"], evidenceAge = 50n): StakingDeps => ({
  models: { isValidModelId: isValidModelId, hasModel: (_s, id) => models.includes(id) },
  evidence: { maxEvidenceAgeBlocks: () => evidenceAge },
});

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
    initGenesis(staking, deps(), c, { params: {}, validators, workers: [{ operator_address: operator, worker_address: worker.address, model_ids: ["mlp-16x8"] }] });
    expect(staking.operatorOfWorker(c.store, worker.address)).toBe(operator);

    const c2 = ctx();
    bank.initBalance(c2.store, op.address, [{ denom: "uinf", amount: 100_000_000n }]);
    expect(() => initGenesis(staking, deps(), c2, { params: {}, validators, workers: [{ operator_address: operator, worker_address: op.address, model_ids: ["mlp-16x8"] }] })).toThrow(/separate hot key/);
  });

  test("a genesis worker's models must be registered and valid by x/models' rule", async () => {
    const op = await testKey(33);
    const worker = await testKey(34);
    const operator = toBech32("infervaloper", fromBech32(op.address).data);
    const bank = new BankKeeper(new AuthKeeper());
    const validators = [{ operator_address: operator, consensus_pubkey: Buffer.from(sha256(new Uint8Array([2]))).toString("base64"), self_delegation: "10000000", moniker: "v", commission_rate_ppm: 0 }];
    const run = (modelIds: string[]): void => {
      const c = ctx();
      bank.initBalance(c.store, op.address, [{ denom: "uinf", amount: 100_000_000n }]);
      initGenesis(new StakingKeeper(bank), deps(), c, { params: {}, validators, workers: [{ operator_address: operator, worker_address: worker.address, model_ids: modelIds }] });
    };
    expect(() => run(["not-registered"])).toThrow(/workers\[0\]: not-registered: .*\(staking 23\)/);
    // Valid by staking's old rule (upper case, `:`), not by x/models'.
    expect(() => run(["Mlp:16x8"])).toThrow(/staking 20/);
    expect(() => run(["mlp-16x8"])).not.toThrow();
  });
});

describe("staking genesis: unbonding outlasts every evidence age", () => {
  const run = (unbonding: string, evidenceAge: bigint, cometAge?: bigint): void => {
    const staking = new StakingKeeper(new BankKeeper(new AuthKeeper()));
    const consensus = cometAge === undefined ? undefined : ({ evidence: { maxAgeNumBlocks: cometAge, maxAgeDuration: undefined, maxBytes: 1048576n } } as never);
    initGenesis(staking, deps([], evidenceAge), ctx(), { params: { unbonding_blocks: unbonding }, validators: [] }, consensus);
  };
  test("x/slashing's max_evidence_age_blocks and CometBFT's evidence.max_age_num_blocks must both be below unbonding_blocks", () => {
    expect(() => run("100", 99n, 99n)).not.toThrow();
    expect(() => run("100", 100n)).toThrow(/params: unbonding_blocks 100 ≤ x\/slashing max_evidence_age_blocks 100: .*\(staking 24\)/);
    // CometBFT's default (100000) against a 100-block unbonding: refused at InitChain.
    expect(() => run("100", 50n, 100_000n)).toThrow(/CometBFT evidence.max_age_num_blocks 100000: .*\(staking 24\)/);
    expect(() => run("100", 50n, 100n)).toThrow(/staking 24/);
  });
  test("the consensus value is kept, so a later unbonding change is checked against it", () => {
    const staking = new StakingKeeper(new BankKeeper(new AuthKeeper()));
    const c = ctx();
    initGenesis(staking, deps([], 10n), c, { params: { unbonding_blocks: "100" }, validators: [] }, { evidence: { maxAgeNumBlocks: 80n, maxAgeDuration: undefined, maxBytes: 1n } } as never);
    expect(staking.getConsensusEvidenceMaxAge(c.store)).toBe(80n);
  });
});
