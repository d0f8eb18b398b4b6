// Worker-thread entry: scans the files the pool sends and posts the results back.
import { parentPort } from "node:worker_threads";
import { SCANNERS } from "../scanners";
import type { DiscoveredFile } from "./discover";
import { createRegistry } from "./registry";
import type { ScanSettings } from "./rule";
import { scanFile } from "./scan-file";

const registry = createRegistry(SCANNERS);

parentPort?.on("message", (msg: { id: number; file: DiscoveredFile; settings: ScanSettings }) => {
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
