// Worker-thread entry: rebuilds the caller's registry from its module paths, scans the files
// the pool sends and posts the results back.
import { parentPort, workerData } from "node:worker_threads";
import type { ScanSettings } from "../types";
import type { DiscoveredFile } from "./discover";
import { registryFromSpec, type Registry, type RegistrySpec } from "./registry";
import { scanFile } from "./scan-file";

let registry: Registry | undefined;
let loadError: string | undefined;
try {
  registry = registryFromSpec((workerData as { registry: RegistrySpec }).registry);
} catch (e) {
  loadError = `registry: ${(e as Error).message}`;
}

parentPort?.on("message", (msg: { id: number; file: DiscoveredFile; settings: ScanSettings }) => {
  if (!registry) {
    // `cause` tells the pool what failed without it reading the message.
    parentPort?.postMessage({ id: msg.id, error: loadError ?? "registry: not loaded", cause: "registry" });
    return;
  }
  // The time limit runs from here, not from when the pool posted: starting a worker takes time too.
  parentPort?.postMessage({ id: msg.id, started: true });
  // Progress within a long file, at most a hundred messages per file.
  let sent = -1;
  const progress = (fraction: number): void => {
    const step = Math.floor(fraction * 100);
    if (step > sent) {
      sent = step;
      parentPort?.postMessage({ id: msg.id, progress: fraction });
    }
  };
  scanFile(msg.file, msg.settings, registry, progress).then(
    (result) => parentPort?.postMessage({ id: msg.id, result }),
    (e: unknown) => parentPort?.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) }),
  );
});
