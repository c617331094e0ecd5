import { parseGenesis } from "../x/models/genesis";
import { checkOutputAgainstSpec, encodeTensorList } from "../x/models/tensor";
import { builtinModels } from "../lib/models/builtin";
import { fakeOutputs, outputShapes, parseFaultMode } from "./faults";

const [mlp, silero] = parseGenesis({ models: builtinModels() }).models;
const mlpInput = (rows: number) => [{ name: "x", shape: [BigInt(rows), 16n], values: new Array<bigint>(rows * 16).fill(1n) }];

describe("fault modes", () => {
  test("dynamic output dims follow the input's batch; fixed dims are the spec's", () => {
    expect(outputShapes(mlp, mlpInput(3))).toEqual([[3n, 8n]]);
    expect(outputShapes(silero, [{ name: "input", shape: [1n, 512n], values: [] }])).toEqual([[1n, 1n], [2n, 1n, 64n], [2n, 1n, 64n]]);
  });

  test("lazy: zeros of the right names and shapes, which pass the chain's output check", () => {
    const out = fakeOutputs("lazy", mlp, mlpInput(2));
    expect(out).toEqual([{ name: "y", shape: [2n, 8n], values: new Array<bigint>(16).fill(0n) }]);
    expect(checkOutputAgainstSpec(mlp, out)).toBeUndefined();
    expect(() => encodeTensorList(out)).not.toThrow();
  });

  test("random: values in [-1, 1] at the model's scale, right shapes, and not all equal", () => {
    const out = fakeOutputs("random", silero, [{ name: "input", shape: [1n, 512n], values: [] }]);
    expect(out.map((t) => t.name)).toEqual(["output", "hn", "cn"]);
    expect(checkOutputAgainstSpec(silero, out)).toBeUndefined();
    const all = out.flatMap((t) => t.values);
    expect(all.length).toBe(1 + 128 + 128);
    for (const v of all) expect(v >= -(1n << 16n) && v <= 1n << 16n).toBe(true);
    expect(new Set(all.map(String)).size).toBeGreaterThan(10);
  });

  test("parses the flag", () => {
    expect(parseFaultMode("offline")).toBe("offline");
    expect(() => parseFaultMode("copy")).toThrow(/lazy, random, offline/);
  });
});
