// Jest runs tests in a separate V8 context whose typed-array constructors differ from the ones
// native addons (onnxruntime-node) create, so onnxruntime's `instanceof Float32Array` checks fail.
// This environment shares the host's typed arrays with the test context.
// onnxruntime-web loads its WebAssembly glue with import(), which jest's sandbox refuses without
// --experimental-vm-modules: jest maps onnxruntime-web to ort-web-host.js, which takes the module
// loaded here, outside the sandbox, by Node's own loader.
const { TestEnvironment } = require("jest-environment-node");

class SharedTypedArrayEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of [
      "ArrayBuffer", "SharedArrayBuffer", "DataView", "Float32Array", "Float64Array", "Int8Array", "Int16Array", "Int32Array",
      "Uint8Array", "Uint8ClampedArray", "Uint16Array", "Uint32Array", "BigInt64Array", "BigUint64Array",
    ]) {
      this.global[name] = globalThis[name];
    }
    this.global.__aigisHostRequire = require;
  }
}

module.exports = SharedTypedArrayEnvironment;
