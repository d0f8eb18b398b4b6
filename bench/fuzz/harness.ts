// Child process of `npm run fuzz`: scans the mutants the parent sends, one at a time, and
// reports time, findings, internal-error texts and the peak RSS of the scan. A hang or a
// native abort here is seen by the parent, which kills or loses this process.

import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scanMutant, type Seed } from "./engine";

interface Job {
  id: number;
  mutantPath: string;
  seed: { path: string; kind: string };
  fixturesDir: string;
}

/** Peak RSS since the last reset, in MiB; Linux lets a process reset its own peak (clear_refs 5). */
function resetPeak(): void {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
  } catch {
    /* not Linux, or not permitted: the peak then covers the whole process */
  }
}
function peakRssMb(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]) / 1024;
  } catch {
    /* fall through */
  }
  return process.memoryUsage().rss / (1024 * 1024);
}

const workDir = join(tmpdir(), `aigis-fuzz-${process.pid}`);

process.on("message", (job: Job) => {
  void (async () => {
    const seed: Seed = { path: job.seed.path, kind: job.seed.kind, bytes: readFileSync(job.seed.path) };
    resetPeak();
    try {
      const r = await scanMutant(workDir, seed, readFileSync(job.mutantPath), job.fixturesDir);
      process.send?.({ id: job.id, ok: true, ...r, peakRssMb: peakRssMb() });
    } catch (e) {
      // The pipeline promises a report for any input: an exception out of it is a crash.
      process.send?.({ id: job.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e), peakRssMb: peakRssMb() });
    }
  })();
});
process.send?.({ ready: true });
