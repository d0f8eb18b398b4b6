// Scans many files on all cores with worker threads; falls back to the main thread when
// there is one file, one job, or no compiled worker script (e.g. under ts-jest).

import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { DiscoveredFile } from "./discover";
import type { Registry } from "./registry";
import type { ScanSettings } from "./rule";
import { makeFinding, scanFile, type FileResult } from "./scan-file";

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
  options: { workerScript?: string } = {},
): Promise<FileResult[]> {
  const results: FileResult[] = new Array(files.length);
  let done = 0;
  const workers = Math.min(jobs, files.length);
  const script = options.workerScript ?? WORKER_SCRIPT;
  // Even one file goes to a worker when there is one: only a worker can be stopped when a
  // hostile file makes a parser spin (maxScanSeconds).
  if (workers < 1 || !existsSync(script)) {
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
      let deadline: NodeJS.Timeout | undefined;
      function spawn(): Worker {
        const w = new Worker(script, { resourceLimits: { maxOldGenerationSizeMb: settings.limits.workerHeapMb } });
        w.on("message", (msg: { id: number; result?: FileResult; error?: string; progress?: number; started?: boolean }) => {
          if (msg.started) {
            armDeadline(msg.id);
            return;
          }
          if (msg.progress !== undefined) {
            onProgress?.(done + msg.progress, files.length);
            return;
          }
          clearTimeout(deadline);
          if (results[msg.id] !== undefined) return;
          results[msg.id] = msg.result ?? crashed(files[msg.id]!, msg.error ?? "unknown error", registry);
          onProgress?.(++done, files.length);
          feed();
        });
        // A worker that dies (out of memory on a hostile file, a native fault) costs that file only.
        w.on("error", (e) => {
          if (current >= 0 && results[current] === undefined) {
            results[current] = crashed(files[current]!, e.message, registry);
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
          clearTimeout(deadline);
          void worker.terminate().then(() => resolve());
          return;
        }
        current = order[next++]!;
        const id = current;
        worker.postMessage({ id, file: files[id], settings });
        clearTimeout(deadline);
      }
      function armDeadline(id: number): void {
        clearTimeout(deadline);
        // A parser that loops on hostile input never answers: stop its worker, report the file, go on.
        deadline = setTimeout(() => {
          if (results[id] !== undefined) return;
          results[id] = timedOut(files[id]!, settings.limits.maxScanSeconds, registry);
          onProgress?.(++done, files.length);
          const stuck = worker;
          stuck.removeAllListeners();
          void stuck.terminate();
          worker = spawn();
          feed();
        }, Math.min(2 ** 31 - 1, settings.limits.maxScanSeconds * 1000));
      }
      feed();
    });
  await Promise.all(Array.from({ length: workers }, lane));
  return results;
}

function crashed(file: DiscoveredFile, reason: string, registry: Registry): FileResult {
  return {
    target: { uri: file.uri, kind: "unknown", bytes: file.size, sha256: "" },
    findings: [
      makeFinding(registry, "aigis/parse-error", file.uri, {
        message: `Scanning ${file.uri} stopped its worker: ${reason}.`,
        evidence: { reason },
        fingerprintKey: "worker-crash",
      }),
    ],
  };
}

function timedOut(file: DiscoveredFile, seconds: number, registry: Registry): FileResult {
  return {
    target: { uri: file.uri, kind: "unknown", bytes: file.size, sha256: "" },
    findings: [
      makeFinding(registry, "aigis/limit-exceeded", file.uri, {
        message: `Scanning ${file.uri} took longer than the time limit of ${seconds} seconds and was stopped; the file was not fully checked (raise limits.maxScanSeconds to allow more).`,
        evidence: { limit: "maxScanSeconds", value: seconds },
        fingerprintKey: "max-scan-seconds",
      }),
    ],
  };
}
