/**
 * Jest's node environment with the host's typed-array constructors. onnxruntime-node's native
 * binding makes output tensors' data in the host realm, while jest runs onnxruntime-common's JS
 * in a sandbox realm whose `instanceof Float32Array` then fails ("A float32 tensor's data must be
 * type of Float32Array"). Tests that run models start with the docblock
 *   /** @jest-environment ./test/support/onnxruntimeEnvironment.js *\/
 */
const { TestEnvironment } = require("jest-environment-node");

const SHARED = [
  "ArrayBuffer", "SharedArrayBuffer", "DataView",
  "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array",
  "Int8Array", "Int16Array", "Int32Array", "Uint8Array", "Uint8ClampedArray", "Uint16Array", "Uint32Array",
];

class OnnxruntimeEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = OnnxruntimeEnvironment;
