/**
 * The project's own test model, built from code so that what `models/mlp-16x8.onnx` holds is
 * what this file says: a two-layer perceptron y = relu(x·W1 + b1)·W2 + b2, 16 → 32 → 8, input
 * `x` float32 [batch, 16], output `y` float32 [batch, 8], ONNX opset 17 (IR 8).
 *
 * The weights come from an integer LCG (Numerical Recipes' a = 1664525, c = 1013904223 mod
 * 2^32) as k / 2^9 (weights) and k / 2^10 (biases) for a signed byte k, so each one is exact
 * in float32 and the file's bytes are the same on every machine.
 */
import { onnx } from "onnx-proto";

export const MLP_IN = 16;
export const MLP_HIDDEN = 32;
export const MLP_OUT = 8;
export const MLP_OPSET = 17;
export const MLP_IR_VERSION = 8;
export const MLP_FILE = "mlp-16x8.onnx";

export interface MlpWeights {
  /** [MLP_IN, MLP_HIDDEN], row-major. */
  readonly w1: Float32Array;
  readonly b1: Float32Array;
  /** [MLP_HIDDEN, MLP_OUT], row-major. */
  readonly w2: Float32Array;
  readonly b2: Float32Array;
}

/** The LCG's next state and a signed byte from its top bits. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s >>> 24) - 128;
  };
}

export function mlpWeights(seed = 20240601): MlpWeights {
  const next = lcg(seed);
  const fill = (n: number, denom: number): Float32Array => Float32Array.from({ length: n }, () => next() / denom);
  return { w1: fill(MLP_IN * MLP_HIDDEN, 512), b1: fill(MLP_HIDDEN, 1024), w2: fill(MLP_HIDDEN * MLP_OUT, 512), b2: fill(MLP_OUT, 1024) };
}

function floatTensor(name: string, dims: number[], data: Float32Array): onnx.ITensorProto {
  const raw = Buffer.alloc(data.length * 4);
  data.forEach((v, i) => raw.writeFloatLE(v, i * 4));
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw };
}

function valueInfo(name: string, dims: Array<number | string>): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

/** The ONNX file's bytes; deterministic (same weights, same protobuf encoding). */
export function buildMlpOnnx(): Uint8Array {
  const w = mlpWeights();
  const node = (opType: string, inputs: string[], output: string): onnx.INodeProto => ({ opType, input: inputs, output: [output], name: output });
  const graph: onnx.IGraphProto = {
    name: "mlp_16x8",
    node: [
      node("MatMul", ["x", "W1"], "h_matmul"),
      node("Add", ["h_matmul", "B1"], "h_add"),
      node("Relu", ["h_add"], "h"),
      node("MatMul", ["h", "W2"], "y_matmul"),
      node("Add", ["y_matmul", "B2"], "y"),
    ],
    initializer: [
      floatTensor("W1", [MLP_IN, MLP_HIDDEN], w.w1),
      floatTensor("B1", [MLP_HIDDEN], w.b1),
      floatTensor("W2", [MLP_HIDDEN, MLP_OUT], w.w2),
      floatTensor("B2", [MLP_OUT], w.b2),
    ],
    input: [valueInfo("x", ["batch", MLP_IN])],
    output: [valueInfo("y", ["batch", MLP_OUT])],
  };
  const model: onnx.IModelProto = {
    irVersion: MLP_IR_VERSION,
    opsetImport: [{ domain: "", version: MLP_OPSET }],
    producerName: "inferchain",
    producerVersion: "1",
    graph,
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** The same network in plain JS (double precision), as a reference for onnxruntime's output. */
export function mlpReference(x: ArrayLike<number>, batch: number, w: MlpWeights = mlpWeights()): Float64Array {
  if (x.length !== batch * MLP_IN) throw new RangeError(`want ${batch * MLP_IN} inputs, got ${x.length}`);
  const y = new Float64Array(batch * MLP_OUT);
  const h = new Float64Array(MLP_HIDDEN);
  for (let r = 0; r < batch; r++) {
    for (let j = 0; j < MLP_HIDDEN; j++) {
      let acc = w.b1[j];
      for (let i = 0; i < MLP_IN; i++) acc += x[r * MLP_IN + i] * w.w1[i * MLP_HIDDEN + j];
      h[j] = acc > 0 ? acc : 0;
    }
    for (let k = 0; k < MLP_OUT; k++) {
      let acc = w.b2[k];
      for (let j = 0; j < MLP_HIDDEN; j++) acc += h[j] * w.w2[j * MLP_OUT + k];
      y[r * MLP_OUT + k] = acc;
    }
  }
  return y;
}
