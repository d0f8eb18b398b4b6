// Which ONNX Runtime runs ONNX models: the one place that decides.
//  - onnxruntime-node when the user installed it (native, faster on big models). It is not a
//    dependency of aigis: its install script downloads GPU libraries from outside the npm
//    registry, which fails where only the registry is reachable.
//  - otherwise onnxruntime-web's WebAssembly build, which runs in Node: the package when it is
//    installed (development), else the three files the published package carries in
//    dist/vendor/onnxruntime-web (copied there by scripts/vendor-runtimes.js; the whole
//    onnxruntime-web package is 139 MB, these files 14 MB).
// Both expose the onnxruntime-common API, the only one aigis uses.

import { existsSync } from "node:fs";
import { join } from "node:path";
import type * as OrtCommon from "onnxruntime-common";

export type OnnxRuntimeName = "onnxruntime-node" | "onnxruntime-web";

export interface OnnxRuntime {
  name: OnnxRuntimeName;
  /** Where it was loaded from (a package name or a file). */
  from: string;
  ort: typeof OrtCommon;
}

/** The vendored WebAssembly build inside the published package (dist/vendor/onnxruntime-web). */
export function vendoredOrtWeb(): string {
  return join(__dirname, "..", "..", "..", "vendor", "onnxruntime-web", "ort.node.min.js");
}

function tryRequire(id: string): typeof OrtCommon | undefined {
  // Only "this very module is not installed" means absent, told by resolving it (typed, not by
  // the error text); a module that resolves but fails to load (a broken install) must surface.
  try {
    require.resolve(id);
  } catch (e) {
    if ((e as NodeJS.ErrnoException | undefined)?.code === "MODULE_NOT_FOUND") return undefined;
    throw e;
  }
  return require(id) as typeof OrtCommon;
}

const cache = new Map<string, OnnxRuntime>();

/**
 * Loads an ONNX Runtime. `preferred` forces one ("onnxruntime-web" to skip an installed native
 * runtime, e.g. to compare them); without it, onnxruntime-node when installed, else the WebAssembly build.
 */
export function loadOnnxRuntime(preferred?: OnnxRuntimeName): OnnxRuntime {
  const key = preferred ?? "auto";
  const hit = cache.get(key);
  if (hit) return hit;
  let runtime: OnnxRuntime | undefined;
  if (preferred !== "onnxruntime-web") {
    const ort = tryRequire("onnxruntime-node");
    if (ort) runtime = { name: "onnxruntime-node", from: "onnxruntime-node", ort };
    else if (preferred === "onnxruntime-node") throw new Error("onnxruntime-node is not installed (npm install onnxruntime-node, or leave the choice to aigis)");
  }
  if (!runtime) {
    const vendored = vendoredOrtWeb();
    const fromPackage = existsSync(vendored) ? undefined : tryRequire("onnxruntime-web");
    const ort = fromPackage ?? (existsSync(vendored) ? (require(vendored) as typeof OrtCommon) : undefined);
    if (!ort) throw new Error(`no ONNX Runtime found: neither ${vendored} nor the onnxruntime-web package (reinstall aigis)`);
    // One thread: probes run in parallel elsewhere, and results must not depend on the core count.
    ort.env.wasm.numThreads = 1;
    runtime = { name: "onnxruntime-web", from: fromPackage ? "onnxruntime-web" : vendored, ort };
  }
  cache.set(key, runtime);
  return runtime;
}
