#!/usr/bin/env node
// Runs after `tsc` (npm run build): puts the model runtimes into dist/ so the published package
// needs neither TensorFlow.js nor onnxruntime-web as dependencies (together 260 MB installed):
//  - dist/src/probes/tfjs.js: one esbuild bundle of tfjs-core, layers, converter, the cpu and
//    wasm backends, built from their ES module sources (the only form that registers tfjs's
//    chained tensor methods), with the types of src/probes/tfjs.d.ts beside it. Tests use the
//    same file (jest maps ./tfjs to it); `node scripts/vendor-runtimes.js --tfjs-only` rebuilds it;
//  - dist/vendor/tfjs-backend-wasm/ gets the wasm backend's three .wasm binaries;
//  - dist/vendor/onnxruntime-web/ gets the WebAssembly build of ONNX Runtime for Node
//    (ort.node.min.js, its .mjs loader and its .wasm; onnxruntime-common stays a dependency).
// Licences of everything copied or bundled go along (dist/vendor/*/LICENSE).
"use strict";

const { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } = require("node:fs");
const { dirname, join } = require("node:path");

const root = join(__dirname, "..");
const dist = join(root, "dist");
const vendor = join(dist, "vendor");

/** A package's folder, found upward from its main file (some packages do not export package.json). */
function pkgDir(name) {
  let dir = dirname(require.resolve(name, { paths: [root] }));
  while (!(existsSync(join(dir, "package.json")) && JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name === name)) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the folder of ${name}`);
    dir = up;
  }
  return dir;
}

function copy(from, toDir, name) {
  mkdirSync(toDir, { recursive: true });
  copyFileSync(from, join(toDir, name ?? from.split("/").pop()));
}

function copyLicence(pkg, toDir) {
  const dir = pkgDir(pkg);
  for (const name of ["LICENSE", "LICENSE.txt", "LICENSE.md"]) {
    if (existsSync(join(dir, name))) {
      copy(join(dir, name), toDir, `LICENSE-${pkg.replace("/", "__")}`);
      return;
    }
  }
  // Some packages carry their licence only in package.json: record the SPDX id.
  const { license } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  require("node:fs").writeFileSync(join(toDir, `LICENSE-${pkg.replace("/", "__")}`), `${pkg}: ${license}\n`);
}

const TFJS_ENTRY = `
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import "@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops";
import "@tensorflow/tfjs-backend-cpu";
export * from "@tensorflow/tfjs-core";
export * from "@tensorflow/tfjs-layers";
export * from "@tensorflow/tfjs-converter";
export { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
`;

/** Marks the bundle, so a stale or tsc-made file is recognised. */
const BANNER = "/* aigis: bundled TensorFlow.js (scripts/vendor-runtimes.js) */";

async function bundleTfjs() {
  const outfile = join(dist, "src", "probes", "tfjs.js");
  const esbuild = require("esbuild");
  await esbuild.build({
    stdin: { contents: TFJS_ENTRY, resolveDir: root, sourcefile: "tfjs-entry.js", loader: "js" },
    outfile,
    banner: { js: BANNER },
    // ES module sources first: tfjs's CommonJS builds leave out the chained tensor methods.
    mainFields: ["module", "main"],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    minify: true,
    sourcemap: false,
    legalComments: "eof",
    logLevel: "warning",
    // Fetching models over HTTP is not something aigis does; keep node-fetch out of the bundle.
    external: ["node-fetch"],
  });
  copyFileSync(join(root, "src", "probes", "tfjs.d.ts"), join(dist, "src", "probes", "tfjs.d.ts"));
  return outfile;
}

async function main() {
  const entry = await bundleTfjs();
  if (process.argv.includes("--tfjs-only")) return;

  const tfWasm = join(vendor, "tfjs-backend-wasm");
  const wasmDist = join(pkgDir("@tensorflow/tfjs-backend-wasm"), "dist");
  for (const f of ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"]) copy(join(wasmDist, f), tfWasm);
  for (const p of ["@tensorflow/tfjs-core", "@tensorflow/tfjs-layers", "@tensorflow/tfjs-converter", "@tensorflow/tfjs-backend-cpu", "@tensorflow/tfjs-backend-wasm"]) copyLicence(p, tfWasm);

  const ortDir = join(vendor, "onnxruntime-web");
  const ortDist = join(pkgDir("onnxruntime-web"), "dist");
  for (const f of ["ort.node.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"]) copy(join(ortDist, f), ortDir);
  copyLicence("onnxruntime-web", ortDir);

  const size = (p) => (statSync(p).size / 1e6).toFixed(1);
  process.stdout.write(`vendored: tfjs bundle ${size(entry)} MB, tfjs wasm ${size(join(tfWasm, "tfjs-backend-wasm-simd.wasm"))} MB (x3), onnxruntime-web wasm ${size(join(ortDir, "ort-wasm-simd-threaded.wasm"))} MB\n`);
}

module.exports = { BANNER, bundleTfjs };

if (require.main === module) main().catch((e) => {
  process.stderr.write(`vendor-runtimes: ${e && e.stack ? e.stack : e}\n`);
  process.exitCode = 1;
});
