/** @jest-environment ./test/support/onnxruntimeEnvironment.js */
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import * as ort from "onnxruntime-node";
import { onnx } from "onnx-proto";
import { MLP_SHA256, defaultModelsDir } from "./builtin";
import { buildAll } from "./build";
import { MLP_FILE, MLP_IN, MLP_OUT, buildMlpOnnx, mlpReference, mlpWeights } from "./mlp";
import { openSession } from "./onnx";
import { sha256Hex } from "./resolve";

describe("the built-in MLP", () => {
  test("rebuilding gives the committed models/mlp-16x8.onnx byte for byte, with the pinned sha256", () => {
    const built = buildMlpOnnx();
    expect(Buffer.from(buildMlpOnnx()).equals(Buffer.from(built))).toBe(true);
    const committed = fs.readFileSync(path.join(defaultModelsDir(), MLP_FILE));
    expect(sha256Hex(built)).toBe(MLP_SHA256);
    expect(sha256Hex(committed)).toBe(MLP_SHA256);
    expect(buildAll()).toEqual([{ file: MLP_FILE, sha256: MLP_SHA256, bytes: built }]);
  });

  test("the file says what the spec says: opset 17, x float32 [batch, 16] → y float32 [batch, 8]", () => {
    const m = onnx.ModelProto.decode(buildMlpOnnx());
    expect(Number(m.irVersion)).toBe(8);
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([["", 17]]);
    const g = m.graph as onnx.GraphProto;
    expect(g.node.map((n) => n.opType)).toEqual(["MatMul", "Add", "Relu", "MatMul", "Add"]);
    const dims = (v: onnx.IValueInfoProto): Array<string | number> => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect(g.input.map((v) => [v.name, dims(v)])).toEqual([["x", ["batch", MLP_IN]]]);
    expect(g.output.map((v) => [v.name, dims(v)])).toEqual([["y", ["batch", MLP_OUT]]]);
  });

  test("weights are exact float32 values from the integer LCG, not all alike", () => {
    const w = mlpWeights();
    for (const a of [w.w1, w.b1, w.w2, w.b2]) {
      for (const v of a) expect(Number.isInteger(v * 1024)).toBe(true);
      expect(new Set(a).size).toBeGreaterThan(a.length / 4);
    }
    expect(mlpWeights().w1).toEqual(w.w1);
    expect(mlpWeights(1).w1).not.toEqual(w.w1);
  });

  test("onnxruntime gives the plain JS reference within 1e-5", async () => {
    const session = await openSession(buildMlpOnnx());
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }).chain((batch) =>
          fc.tuple(fc.constant(batch), fc.array(fc.float({ min: -4, max: 4, noNaN: true }), { minLength: batch * MLP_IN, maxLength: batch * MLP_IN })),
        ),
        async ([batch, xs]) => {
          const x = Float32Array.from(xs);
          const out = await session.run({ x: new ort.Tensor("float32", x, [batch, MLP_IN]) });
          expect(out.y.dims).toEqual([batch, MLP_OUT]);
          const ref = mlpReference(x, batch);
          (out.y.data as Float32Array).forEach((v, i) => expect(Math.abs(v - ref[i])).toBeLessThan(1e-5));
        },
      ),
      { numRuns: 50 },
    );
    // And the network is not trivial: the outputs vary with the input and some ReLUs are active.
    const a = mlpReference(new Float32Array(MLP_IN).fill(1), 1);
    const b = mlpReference(new Float32Array(MLP_IN).fill(-1), 1);
    expect(a).not.toEqual(b);
  });
});
