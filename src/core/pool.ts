// Scans many files on all cores with worker threads; falls back to the main thread when
// there is one file, one job, no compiled worker script (e.g. under ts-jest), or a registry
// that cannot be rebuilt in a thread (a scanner given as an object rather than a module path):
// a worker always runs the caller's registry, never a different one.

import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { DiscoveredFile } from "./discover";
import type { Registry } from "./registry";
import type { ScanSettings } from "../types";
import { ioErrorFinding, scanFile, type FileResult } from "./scan-file";
import { runRule } from "./findings";
import { parseError, placeOf } from "./notices";

const WORKER_SCRIPT = join(__dirname, "worker.js");

export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

export async function scanAll(
  files: DiscoveredFile[],
  settings: ScanSettings,
  registry: Registry,
  jobs: number,
  onProgress?: (done: number, total: number) => void,
): Promise<FileResult[]> {
  const results: FileResult[] = new Array(files.length);
  let done = 0;
  const workers = Math.min(jobs, files.length);
  const spec = registry.spec;
  if (workers <= 1 || !spec || !existsSync(WORKER_SCRIPT)) {
    for (let i = 0; i < files.length; i++) {
      results[i] = await scanFile(files[i]!, settings, registry, (f) => onProgress?.(done + f, files.length));
      onProgress?.(++done, files.length);
    }
    return results;
  }
  // Biggest files first, so one large file does not start last and hold the run up.
  const order = files.map((_, i) => i).sort((a, b) => files[b]!.size - files[a]!.size);
  let next = 0;
  const lane = (): Promise<void> =>
    new Promise<void>((resolve) => {
      let worker = spawn();
      let current = -1;
      function spawn(): Worker {
        const w = new Worker(WORKER_SCRIPT, { workerData: { registry: spec }, resourceLimits: { maxOldGenerationSizeMb: settings.limits.workerHeapMb } });
        w.on("message", (msg: { id: number; result?: FileResult; error?: string; progress?: number }) => {
          if (msg.progress !== undefined) {
            onProgress?.(done + msg.progress, files.length);
            return;
          }
          results[msg.id] = msg.result ?? crashed(files[msg.id]!, msg.error ?? "unknown error", registry, settings);
          onProgress?.(++done, files.length);
          feed();
        });
        // A worker that dies (out of memory on a hostile file, a native fault) costs that file only.
        w.on("error", (e) => {
          if (current >= 0 && results[current] === undefined) {
            results[current] = crashed(files[current]!, e.message, registry, settings);
            onProgress?.(++done, files.length);
          }
          worker = spawn();
          feed();
        });
        return w;
      }
      function feed(): void {
        if (next >= order.length) {
          current = -1;
          void worker.terminate().then(() => resolve());
          return;
        }
        current = order[next++]!;
        worker.postMessage({ id: current, file: files[current], settings });
      }
      feed();
    });
  await Promise.all(Array.from({ length: workers }, lane));
  return results;
}

function crashed(file: DiscoveredFile, reason: string, registry: Registry, settings: ScanSettings): FileResult {
  const findings: FileResult["findings"] = [];
  if (reason.startsWith("registry:")) findings.push(...ioErrorFinding(registry, settings, file.uri, reason, "worker"));
  else {
    const doc = { format: "file", reason: `scanning it stopped its worker: ${reason}`, key: "worker-crash", where: placeOf(file.uri, undefined) };
    runRule(parseError, doc, undefined, { uri: file.uri, settings, registry, facts: undefined, emit: (f) => findings.push(f) }, { record: false });
  }
  return { target: { uri: file.uri, kind: "unknown", bytes: file.size, sha256: "", assessment: { assessed: [], skipped: [] } }, findings };
}
