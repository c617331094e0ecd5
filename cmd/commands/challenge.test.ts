/** @jest-environment ./test/support/onnxruntimeEnvironment.js */
import fs from "node:fs";
import { parseGenesis } from "../../x/models/genesis";
import { decodeTensorList, encodeTensorList } from "../../x/models/tensor";
import { DisputeKind, DisputeStatus, Verdict, newRound, newVerifier, type Dispute } from "../../x/challenge/types";
import { builtinModels } from "../../lib/models/builtin";
import { parseTensorJson, quantizeTensors } from "../../lib/tensors";
import { CliError } from "../../client/errors";
import { compareResults, disputeToJson, heldByDispute, parseBond, queryChallengeCommand, rerunLocally, txChallengeCommand } from "./challenge";

const [mlp] = parseGenesis({ models: builtinModels() }).models;
const input = encodeTensorList(quantizeTensors(parseTensorJson(fs.readFileSync("examples/mlp-input.json", "utf8"), mlp.inputs), mlp.quantScaleBits));

describe("inferd infer --verify: re-run here, compare under the model's metric", () => {
  test("the honest output agrees; one value off by more than the threshold diverges; off by the threshold agrees", async () => {
    const mine = await rerunLocally(mlp, input);
    expect(mine.cannotRun).toBe(false);
    expect(compareResults(mlp, mine, mine)).toEqual({ diverges: false, detail: "agrees under MAX_ABS_DIFF, max |Δ| 0 ≤ 8" });
    const [y] = decodeTensorList(mine.output);
    const shifted = (d: bigint): Uint8Array => encodeTensorList([{ ...y, values: y.values.map((v, i) => (i === 3 ? v + d : v)) }]);
    expect(compareResults(mlp, { output: shifted(8n), cannotRun: false }, mine).diverges).toBe(false);
    expect(compareResults(mlp, { output: shifted(9n), cannotRun: false }, mine)).toMatchObject({ diverges: true, detail: expect.stringContaining("diverges under MAX_ABS_DIFF") });
  });

  test("a divergent result already held by a dispute (an audit in the block after the result's) is not challenged again", () => {
    expect(heldByDispute({ id: 7n, disputeId: 0n })).toBeUndefined();
    expect(heldByDispute({ id: 7n, disputeId: 3n })).toMatch(/^job 7 is already disputed \(dispute 3, .*no challenge sent; inferd query challenge dispute 3$/);
  });

  test("cannot-run agrees only with cannot-run; an output that breaks the spec diverges", async () => {
    const mine = await rerunLocally(mlp, input);
    const none = { output: new Uint8Array(), cannotRun: true };
    expect(compareResults(mlp, none, none).diverges).toBe(false);
    expect(compareResults(mlp, none, mine).diverges).toBe(true);
    expect(compareResults(mlp, mine, none).diverges).toBe(true);
    const wrongShape = encodeTensorList([{ name: "y", shape: [1n, 7n], values: Array.from({ length: 7 }, () => 0n) }]);
    expect(compareResults(mlp, { output: wrongShape, cannotRun: false }, mine)).toMatchObject({ diverges: true, detail: expect.stringContaining("output spec") });
  });
});

describe("inferd tx|query challenge", () => {
  test("bonds: uinf amounts only, positive", () => {
    expect(parseBond("1000000uinf")).toBe(1_000_000n);
    expect(parseBond("5")).toBe(5n);
    for (const bad of ["0", "1.5", "10inf", "-3", ""]) expect(() => parseBond(bad)).toThrow(CliError);
  });

  test("a dispute as Cosmos JSON: snake_case, strings for 64-bit numbers, enums by name, bytes as base64", () => {
    const d: Dispute = {
      id: 4n,
      jobId: 9n,
      kind: DisputeKind.DISPUTE_KIND_CHALLENGE,
      status: DisputeStatus.DISPUTE_STATUS_APPEALABLE,
      operator: "infervaloper1op",
      worker: "infer1w",
      modelId: mlp.id,
      challenger: "infer1c",
      openedHeight: 20n,
      resultHeight: 18n,
      rounds: [{ ...newRound(1, "infer1c", 1_000_000n, 21n), verdict: Verdict.VERDICT_FAULT, verifiers: [{ ...newVerifier("infervaloper1v", "infer1v"), commitment: new Uint8Array([1, 2]), revealed: true }] }],
      opened: true,
      openedOutput: new Uint8Array([3]),
      openedCannotRun: false,
      appealEndHeight: 40n,
      finalVerdict: Verdict.VERDICT_UNSPECIFIED,
      finalHeight: 0n,
    };
    expect(disputeToJson(d)).toMatchObject({
      id: "4",
      job_id: "9",
      kind: "DISPUTE_KIND_CHALLENGE",
      status: "DISPUTE_STATUS_APPEALABLE",
      model_id: mlp.id,
      opened_output: "Aw==",
      appeal_end_height: "40",
      final_verdict: "VERDICT_UNSPECIFIED",
      rounds: [{ number: 1, requester: "infer1c", bond: "1000000", drawn_height: "21", verdict: "VERDICT_FAULT", verifiers: [{ operator: "infervaloper1v", worker: "infer1v", commitment: "AQI=", revealed: true }] }],
    });
  });

  test("the commands, and what they refuse before reaching a node", async () => {
    const tx = txChallengeCommand();
    expect(tx.commands.map((c) => c.name())).toEqual(["challenge", "appeal", "request-data"]);
    const q = queryChallengeCommand();
    expect(q.commands.map((c) => c.name())).toEqual(["dispute", "disputes", "audits", "data-request", "data-requests", "da-incidents", "params"]);
    q.exitOverride();
    await expect(q.parseAsync(["dispute", "x1", "--node", "http://127.0.0.1:1"], { from: "user" })).rejects.toThrow("dispute id must be a positive integer");
    await expect(q.parseAsync(["disputes", "--status", "done", "--node", "http://127.0.0.1:1"], { from: "user" })).rejects.toThrow("unknown dispute status");
    await expect(q.parseAsync(["disputes", "--limit", "0", "--node", "http://127.0.0.1:1"], { from: "user" })).rejects.toThrow("--limit must be a positive integer");
    await expect(q.parseAsync(["data-request", "0", "--node", "http://127.0.0.1:1"], { from: "user" })).rejects.toThrow("job id must be a positive integer");
    tx.exitOverride();
    await expect(tx.parseAsync(["request-data", "x", "--from", "a", "--node", "http://127.0.0.1:1"], { from: "user" })).rejects.toThrow("job id must be a positive integer");
    await expect(tx.parseAsync(["request-data", "3", "--bond", "0", "--from", "a", "--node", "http://127.0.0.1:1"], { from: "user" })).rejects.toThrow("--bond must be a positive amount");
  });
});
