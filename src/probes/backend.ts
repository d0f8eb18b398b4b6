// Picks the tfjs backend once per process: tfjs-node when it happens to be installed (native
// TensorFlow), otherwise WebAssembly with its .wasm files read from node_modules. The pure-JS
// "cpu" backend is never chosen by default: it is one to two orders of magnitude slower.

import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import * as tf from "./tfjs";
import { setWasmPaths } from "./tfjs";
import { installFastGradients } from "./fast-gradients";
import { bridgeMissingWasmKernels } from "./wasm-cpu-bridge";

export type TfBackendName = "tensorflow" | "wasm" | "cpu";

let ready: Promise<TfBackendName> | undefined;

/**
 * The directory holding tfjs-backend-wasm's .wasm binaries (with a trailing slash, as setWasmPaths
 * wants): the copy the published package carries in dist/vendor, else the installed package.
 */
export function wasmDir(): string {
  const vendored = join(__dirname, "..", "..", "vendor", "tfjs-backend-wasm");
  if (existsSync(join(vendored, "tfjs-backend-wasm.wasm"))) return vendored + "/";
  return join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + "/";
}

function tryTfjsNode(): boolean {
  try {
    // Optional: registers the "tensorflow" backend on the shared tfjs-core when installed.
    require("@tensorflow/tfjs-node");
    return true;
  } catch {
    return false;
  }
}

/**
 * Initialises tfjs. `preferred` forces a backend (tests may ask for "cpu" to compare);
 * without it: tfjs-node if installed, else wasm.
 */
export function initTf(preferred?: TfBackendName): Promise<TfBackendName> {
  if (!ready) {
    ready = (async (): Promise<TfBackendName> => {
      if (preferred === "tensorflow" && !tryTfjsNode()) throw new Error("the tensorflow backend needs @tensorflow/tfjs-node, which is not installed");
      // tfjs-node when installed and compatible with this tfjs-core; wasm otherwise.
      if ((preferred === undefined || preferred === "tensorflow") && tryTfjsNode() && (await tf.setBackend("tensorflow"))) {
        await tf.ready();
        return "tensorflow";
      }
      if (preferred === "tensorflow") throw new Error("the tfjs tensorflow backend failed to initialise");
      const wanted: TfBackendName = preferred ?? "wasm";
      if (wanted === "wasm") setWasmPaths(wasmDir());
      if (!(await tf.setBackend(wanted))) throw new Error(`the tfjs ${wanted} backend failed to initialise`);
      await tf.ready();
      if (wanted === "wasm") {
        installFastGradients();
        bridgeMissingWasmKernels();
      }
      return wanted;
    })();
  }
  return ready;
}

export { tf };
