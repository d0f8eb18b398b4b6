// Test-only: onnxruntime-web as loaded by Node outside jest's sandbox (see ort-environment.js).
if (typeof globalThis.__aigisHostRequire !== "function") {
  throw new Error("onnxruntime-web runs under jest only with the test environment ./test/probes/ort-environment.js (add the @jest-environment docblock)");
}
module.exports = globalThis.__aigisHostRequire("onnxruntime-web");
