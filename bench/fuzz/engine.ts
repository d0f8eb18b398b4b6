// Seeded mutation fuzzing over the repository's fixtures: pick seeds of every kind aigis
// sniffs, mutate them (bit flips, interesting bytes, deletions, insertions, overwrites,
// truncation, chunk duplication, splicing), and scan each mutant through the real pipeline.
// Shared by `npm run fuzz` (bench/fuzz/main.ts, a child process per batch so hangs and
// native aborts are caught) and the short fixed-budget run in the test suite.

import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, extname, join, relative } from "node:path";
import { BufferFile } from "../../src/core/random-access";
import { builtinRegistry } from "../../src/core/registry";
import { runScan } from "../../src/core/run";
import { sniffKind, HEAD_BYTES } from "../../src/core/sniff";
import type { Report } from "../../src/types";

export interface Seed {
  path: string;
  kind: string;
  bytes: Buffer;
}

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MAX_SEED_BYTES = 256 * 1024;
const SKIP = /\.(py|sh|mjs|md|txt)$/i;

/** Up to `perKind` of the smallest fixture files of every sniffed kind. */
export async function collectSeeds(fixturesDir: string, perKind = 3): Promise<Seed[]> {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && st.size > 0 && st.size <= MAX_SEED_BYTES && !SKIP.test(name)) files.push(p);
    }
  };
  walk(fixturesDir);
  const byKind = new Map<string, Seed[]>();
  const detectors = builtinRegistry().detectors;
  for (const path of files) {
    const bytes = readFileSync(path);
    const kind = await sniffKind(bytes.subarray(0, HEAD_BYTES), new BufferFile(bytes), detectors);
    const list = byKind.get(kind) ?? [];
    list.push({ path, kind, bytes });
    byKind.set(kind, list);
  }
  const seeds: Seed[] = [];
  for (const [, list] of [...byKind].sort((a, b) => a[0].localeCompare(b[0]))) {
    list.sort((a, b) => a.bytes.length - b.bytes.length || a.path.localeCompare(b.path));
    // Smallest first, but spread over the sizes so structure-heavy files are seeds too.
    const picks = new Set<number>([0, Math.floor(list.length / 2), list.length - 1].slice(0, perKind));
    for (const i of picks) seeds.push(list[i]!);
  }
  return seeds;
}

const INTERESTING = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe, 0x2e, 0x28, 0x0a];

/** Applies 1-4 random mutations; returns the mutant and what was done (for the reproducer). */
export function mutate(seed: Buffer, rand: () => number, other: Buffer): { bytes: Buffer; ops: string[] } {
  let b = Buffer.from(seed);
  const ops: string[] = [];
  const count = 1 + Math.floor(rand() * 4);
  const at = (n: number): number => Math.floor(rand() * Math.max(1, n));
  for (let k = 0; k < count; k++) {
    const op = Math.floor(rand() * 9);
    const p = at(b.length);
    switch (op) {
      case 0: {
        const bit = 1 << at(8);
        if (b.length) b[p] = b[p]! ^ bit;
        ops.push(`flip ${p}:${bit}`);
        break;
      }
      case 1: {
        const v = INTERESTING[at(INTERESTING.length)]!;
        if (b.length) b[p] = v;
        ops.push(`set ${p}=${v}`);
        break;
      }
      case 2: {
        const n = 1 + at(8);
        b = Buffer.concat([b.subarray(0, p), b.subarray(p + n)]);
        ops.push(`delete ${p}+${n}`);
        break;
      }
      case 3: {
        const ins = Buffer.from(Array.from({ length: 1 + at(16) }, () => at(256)));
        b = Buffer.concat([b.subarray(0, p), ins, b.subarray(p)]);
        ops.push(`insert ${p}+${ins.length}`);
        break;
      }
      case 4: {
        // Lengths and counts are 4 or 8 bytes wide: overwrite one with extremes.
        const v = rand() < 0.5 ? 0xff : 0x00;
        b.fill(v, p, Math.min(b.length, p + 8));
        ops.push(`fill8 ${p}=${v}`);
        break;
      }
      case 5: {
        const n = at(b.length);
        b = b.subarray(0, n);
        ops.push(`truncate ${n}`);
        break;
      }
      case 6: {
        const len = 1 + at(Math.min(4096, b.length));
        const chunk = b.subarray(p, p + len);
        const times = 1 + at(64);
        b = Buffer.concat([b.subarray(0, p), ...Array.from({ length: times }, () => chunk), b.subarray(p)]);
        ops.push(`repeat ${p}+${len}x${times}`);
        break;
      }
      case 7: {
        const q = at(other.length);
        const len = at(Math.min(1024, other.length - q));
        b = Buffer.concat([b.subarray(0, p), other.subarray(q, q + len), b.subarray(p)]);
        ops.push(`splice ${p}<-other@${q}+${len}`);
        break;
      }
      default: {
        // Count-like varints and u32s: write a large little-endian number.
        const v = [0xffffffff, 0x7fffffff, 0x80000000, 0x10000][at(4)]!;
        if (p + 4 <= b.length) b.writeUInt32LE(v, p);
        ops.push(`u32 ${p}=${v}`);
      }
    }
  }
  return { bytes: b, ops };
}

export interface MutantResult {
  ms: number;
  findings: number;
  /** Findings whose text shows a parser's internal error instead of what is wrong with the file. */
  internalErrors: string[];
}

const INTERNAL = /Maximum call stack|Cannot read properties of|is not a function|is not iterable|Invalid typed array length|Invalid array length|undefined is not (a function|an object|iterable)/;

/**
 * Scans one mutant as the CLI would (discovery, every scanner, project hooks), in this thread.
 * The mutant keeps its seed's file name, in a class folder, so name- and folder-driven
 * readers (image folders, .pkl members) see it as they would see the seed.
 */
export async function scanMutant(dir: string, seed: Seed, bytes: Buffer, fixturesDir: string): Promise<MutantResult> {
  rmSync(dir, { recursive: true, force: true });
  const rel = relative(fixturesDir, seed.path);
  const target = join(dir, "a", basename(rel));
  mkdirSync(join(dir, "a"), { recursive: true });
  writeFileSync(target, bytes);
  if (seed.kind === "image") {
    // A second class so the folder is read as an image dataset.
    mkdirSync(join(dir, "b"), { recursive: true });
    writeFileSync(join(dir, "b", `other${extname(rel)}`), seed.bytes);
  }
  const started = process.hrtime.bigint();
  const { report } = await runScan({ paths: [dir], cwd: dir, jobs: 0 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { ms, findings: report.findings.length, internalErrors: internalErrorsIn(report) };
}

export function internalErrorsIn(report: Report): string[] {
  return report.findings.filter((f) => INTERNAL.test(f.message)).map((f) => `${f.ruleId}: ${f.message}`);
}
