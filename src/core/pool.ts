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
import { limitExceeded, parseError, placeOf } from "./notices";

const WORKER_SCRIPT = join(__dirname, "worker.js");

export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

/** Progress in bytes across the whole scan (files in flight count by how far their scan has come), and in files. */
export type ScanProgress = (doneBytes: number, totalBytes: number, files: { done: number; total: number }) => void;

export async function scanAll(
  files: DiscoveredFile[],
  settings: ScanSettings,
  registry: Registry,
  jobs: number,
  progress?: ScanProgress,
  options: { workerScript?: string } = {},
): Promise<FileResult[]> {
  const results: FileResult[] = new Array(files.length);
  let done = 0;
  // A file weighs its size (at least 1, so empty files move the bar too).
  const weight = (i: number): number => Math.max(1, files[i]!.size);
  const totalBytes = files.reduce((n, _, i) => n + weight(i), 0);
  let doneBytes = 0;
  const inFlight = new Map<number, number>();
  const report = (): void => {
    if (!progress) return;
    let partial = 0;
    for (const [i, fraction] of inFlight) partial += fraction * weight(i);
    progress(doneBytes + partial, totalBytes, { done, total: files.length });
  };
  const onProgress = (i: number, fraction: number | "done"): void => {
    if (fraction === "done") {
      inFlight.delete(i);
      doneBytes += weight(i);
      done++;
    } else inFlight.set(i, Math.max(inFlight.get(i) ?? 0, fraction)); // never backwards
    report();
  };
  const workers = Math.min(jobs, files.length);
  const spec = registry.spec;
  const script = options.workerScript ?? WORKER_SCRIPT;
  // Even one file goes to a worker when there is one: only a worker can be stopped when a
  // hostile file makes a parser spin (limits.maxScanSeconds).
  if (workers < 1 || !spec || !existsSync(script)) {
    for (let i = 0; i < files.length; i++) {
      results[i] = await scanFile(files[i]!, settings, registry, (f) => onProgress(i, f));
      onProgress(i, "done");
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
        const w = new Worker(script, { workerData: { registry: spec }, resourceLimits: { maxOldGenerationSizeMb: settings.limits.workerHeapMb } });
        w.on("message", (msg: { id: number; result?: FileResult; error?: string; cause?: "registry"; progress?: number; started?: boolean }) => {
          if (msg.started) {
            armDeadline(msg.id);
            return;
          }
          if (msg.progress !== undefined) {
            onProgress(msg.id, msg.progress);
            return;
          }
          clearTimeout(deadline);
          if (results[msg.id] !== undefined) return;
          results[msg.id] = msg.result ?? crashed(files[msg.id]!, msg.error ?? "unknown error", registry, settings, msg.cause);
          onProgress(msg.id, "done");
          feed();
        });
        // A worker that dies (out of memory on a hostile file, a native fault) costs that file only.
        w.on("error", (e) => {
          if (current >= 0 && results[current] === undefined) {
            results[current] = crashed(files[current]!, e.message, registry, settings);
            onProgress(current, "done");
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
        worker.postMessage({ id: current, file: files[current], settings });
        clearTimeout(deadline);
      }
      function armDeadline(id: number): void {
        clearTimeout(deadline);
        // A parser that loops on hostile input never answers: stop its worker, report the file, go on.
        deadline = setTimeout(() => {
          if (results[id] !== undefined) return;
          results[id] = timedOut(files[id]!, registry, settings);
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

function crashed(file: DiscoveredFile, reason: string, registry: Registry, settings: ScanSettings, cause?: "registry"): FileResult {
  const findings: FileResult["findings"] = [];
  if (cause === "registry") findings.push(...ioErrorFinding(registry, settings, file.uri, reason, "worker"));
  else {
    const doc = { format: "file", reason: `scanning it stopped its worker: ${reason}`, key: "worker-crash", where: placeOf(file.uri, undefined) };
    runRule(parseError, doc, undefined, { uri: file.uri, settings, registry, facts: undefined, emit: (f) => findings.push(f) }, { record: false });
  }
  return { target: { uri: file.uri, kind: "unknown", bytes: file.size, sha256: "", assessment: { assessed: [], skipped: [] } }, findings };
}

function timedOut(file: DiscoveredFile, registry: Registry, settings: ScanSettings): FileResult {
  const findings: FileResult["findings"] = [];
  const seconds = settings.limits.maxScanSeconds;
  const doc = { what: `Scanning ${file.uri} took longer than ${seconds} seconds and was stopped; raise limits.maxScanSeconds to allow more`, limit: "maxScanSeconds", value: seconds, key: "max-scan-seconds", where: placeOf(file.uri, undefined) };
  runRule(limitExceeded, doc, undefined, { uri: file.uri, settings, registry, facts: undefined, emit: (f) => findings.push(f) }, { record: false });
  return { target: { uri: file.uri, kind: "unknown", bytes: file.size, sha256: "", assessment: { assessed: [], skipped: [] } }, findings };
}
