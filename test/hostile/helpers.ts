// Shared by the hostile-input regression tests: scan a folder in-process and look at the report.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runScan, type ScanOptions } from "../../src/core/run";
import type { Finding, Report } from "../../src/types";

export function tempDir(prefix = "aigis-hostile-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function scanPaths(paths: string[], cwd: string, extra: Partial<ScanOptions> = {}): Promise<Report> {
  const { report } = await runScan({ paths, cwd, jobs: 1, ...extra });
  return report;
}

export function rulesOf(findings: ReadonlyArray<Finding>): string[] {
  return [...new Set(findings.map((f) => f.ruleId))].sort();
}

/** A pickle that would run `touch <canary>` when loaded: GLOBAL os.system, one string argument, REDUCE. */
export function osSystemCall(canary: string): Buffer {
  const cmd = Buffer.from(`touch ${canary}`);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(cmd.length);
  return Buffer.concat([Buffer.from("cos\nsystem\n", "latin1"), Buffer.from("X"), len, cmd, Buffer.from([0x85, 0x52])]);
}

export interface ZipMemberSpec {
  name: string;
  /** 0 stored, 8 deflate, 12 bzip2. */
  method: number;
  /** The member's data as stored (already compressed). */
  data: Buffer;
  crc: number;
  /** Declared uncompressed size. */
  size: number;
}

/**
 * A zip written byte by byte, so tests can make its headers lie. `central` lists, per central
 * directory entry, the member index it points at and the name it gives (several may share data).
 */
export function buildZip(members: ZipMemberSpec[], central?: Array<{ member: number; name: string }>): Buffer {
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let at = 0;
  for (const m of members) {
    const name = Buffer.from(m.name);
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(20, 4);
    h.writeUInt16LE(m.method, 8);
    h.writeUInt32LE(m.crc >>> 0, 14);
    h.writeUInt32LE(m.data.length, 18);
    h.writeUInt32LE(m.size, 22);
    h.writeUInt16LE(name.length, 26);
    offsets.push(at);
    parts.push(h, name, m.data);
    at += h.length + name.length + m.data.length;
  }
  const cdStart = at;
  const entries = central ?? members.map((m, i) => ({ member: i, name: m.name }));
  for (const e of entries) {
    const m = members[e.member]!;
    const name = Buffer.from(e.name);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(m.method, 10);
    c.writeUInt32LE(m.crc >>> 0, 16);
    c.writeUInt32LE(m.data.length, 20);
    c.writeUInt32LE(m.size, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE(offsets[e.member]!, 42);
    parts.push(c, name);
    at += c.length + name.length;
  }
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(at - cdStart, 12);
  eocd.writeUInt32LE(cdStart, 16);
  parts.push(eocd);
  return Buffer.concat(parts);
}
