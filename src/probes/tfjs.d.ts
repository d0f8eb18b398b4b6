// Types of ./tfjs, the TensorFlow.js aigis uses: tfjs-core (with every gradient and chained op),
// layers and graph (converter) models, the cpu and wasm backends; no WebGL, no tfjs-data.
// There is no tfjs.ts: tfjs.js is one esbuild bundle of those packages, built from their ES
// module sources by scripts/vendor-runtimes.js into dist/src/probes/ (the published package
// carries it instead of depending on the packages, 120 MB installed; jest maps ./tfjs to it).
// Import tfjs through ./backend, never the packages directly.
import "@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops";
export * from "@tensorflow/tfjs-core";
export * from "@tensorflow/tfjs-layers";
export * from "@tensorflow/tfjs-converter";
export { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
