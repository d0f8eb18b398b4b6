// Scans one file: sniff its kind, hash it, and run every scanner for that kind.
// Runs in the main thread or in a worker; returns plain data either way.

import type { Finding, ScanContext, ScanFile, ScannerPlugin, ScanSettings, Target, TargetAnnotation, TargetKind } from "../types";
import { fsPath, type DiscoveredFile } from "./discover";
import { FactBook, makeFinding, noticesFor, runRule, type RuleRunTarget } from "./findings";
import { sha256File } from "./hash";
import { ioError, placeOf } from "./notices";
import { BufferFile, DiskFile } from "./random-access";
import type { Registry } from "./registry";
import { HEAD_BYTES, sniffKind } from "./sniff";

export { makeFinding };

export interface FileResult {
  target: Target;
  findings: Finding[];
}

/** Kinds that carry nothing a scanner checks; no unsupported-format notice is raised for them. */
const NOTHING_TO_CHECK: ReadonlySet<TargetKind> = new Set(["text", "unknown", "json", "yaml"]);

/** Reports an I/O failure on a file through the aigis/io-error rule. */
export function ioErrorFinding(registry: Registry, settings: ScanSettings, uri: string, reason: string, stage: string): Finding[] {
  const out: Finding[] = [];
  runRule(ioError, { where: placeOf(uri, undefined), reason, stage }, undefined, { uri, settings, registry, facts: undefined, emit: (f) => out.push(f) }, { record: false });
  return out;
}

/** The rules of `scanner` that may assess a target of this kind. */
export function rulesFor(scanner: ScannerPlugin, kind: TargetKind): ScannerPlugin["rules"] {
  return scanner.rules.filter((r) => r.meta.appliesTo.kinds === "*" || r.meta.appliesTo.kinds.includes(kind));
}

export function scanContext(scanner: ScannerPlugin, t: RuleRunTarget, registry: Registry, extra: { annotate: ScanContext["annotate"]; progress: ScanContext["progress"] }): ScanContext {
  return {
    settings: t.settings,
    options: t.settings.scannerOptions[scanner.id],
    runRules(rules, doc, base) {
      for (const rule of rules) runRule(rule, doc, base, t);
    },
    sniff: (head, file) => sniffKind(head, file, registry.detectors),
    categoryOf: (kind) => registry.categoryOf(kind),
    ...noticesFor(t),
    annotate: extra.annotate,
    progress: extra.progress,
  };
}

export async function scanFile(entry: DiscoveredFile, settings: ScanSettings, registry: Registry, onFileProgress?: (fraction: number) => void): Promise<FileResult> {
  const findings: Finding[] = [];
  let file: DiskFile;
  try {
    file = await DiskFile.open(fsPath(entry));
  } catch (e) {
    return { target: { uri: entry.uri, kind: "unknown", bytes: entry.size, sha256: "" }, findings: ioErrorFinding(registry, settings, entry.uri, (e as Error).message, "open") };
  }
  const facts = new FactBook();
  const t: RuleRunTarget = { uri: entry.uri, settings, registry, facts, emit: (f) => findings.push(f) };
  try {
    const head = await file.read(0, HEAD_BYTES);
    const kind = await sniffKind(head, file, registry.detectors);
    // Hash while the scanners read: both stream, and the OS cache serves the second reader.
    // Progress within the file: the scanners' own when they report it (datasets do), else how
    // much of the file has been hashed, so the bar moves inside any long file.
    let scannerReported = false;
    const size = Math.max(1, file.size);
    const hashing = sha256File(fsPath(entry), (bytes) => {
      if (!scannerReported) onFileProgress?.(Math.min(0.99, bytes / size));
    });
    const annotations: TargetAnnotation = {};
    const extra = {
      annotate(patch: TargetAnnotation) {
        Object.assign(annotations, patch);
      },
      progress(fraction: number) {
        scannerReported = true;
        onFileProgress?.(Math.min(1, Math.max(0, fraction)));
      },
    };
    const scanners = registry.scannersFor(kind);
    const scanFileArg: ScanFile = { uri: entry.uri, absPath: entry.absPath, kind, size: file.size, head, file };
    for (const scanner of scanners) {
      const ctx = scanContext(scanner, t, registry, extra);
      try {
        await scanner.scan(scanFileArg, ctx);
      } catch (e) {
        // A scanner bug or hostile input must never stop the run: it becomes a finding, and
        // the scanner's rules did not assess this target (whatever they saw was only a part).
        const reason = e instanceof Error ? e.message : String(e);
        ctx.parseError({ format: kind, reason: `the ${scanner.id} scanner stopped: ${reason}`, detail: { scanner: scanner.id }, key: `scanner-error:${scanner.id}` });
        for (const r of rulesFor(scanner, kind)) facts.failed(entry.uri, r.meta.id, `the ${scanner.id} scanner stopped: ${reason}`);
      }
    }
    // Scanners that read every kind (protection state, file modes) do not check the format itself.
    const formatScanners = scanners.filter((s) => s.kinds !== "*");
    if (formatScanners.length === 0 && !NOTHING_TO_CHECK.has(kind)) {
      noticesFor(t).unsupportedFormat({ format: kind, key: kind });
    }
    const target: Target = { uri: entry.uri, kind, bytes: file.size, sha256: await hashing };
    if (annotations.protection) target.protection = annotations.protection;
    if (annotations.signature) target.signature = annotations.signature;
    if (annotations.model) target.model = annotations.model;
    target.assessment = facts.factsFor(entry.uri);
    return { target, findings };
  } catch (e) {
    return {
      target: { uri: entry.uri, kind: "unknown", bytes: entry.size, sha256: "", assessment: facts.factsFor(entry.uri) },
      findings: [...findings, ...ioErrorFinding(registry, settings, entry.uri, (e as Error).message, "read")],
    };
  } finally {
    await file.close();
  }
}

/**
 * Runs one scanner over bytes in memory, through the same context the pipeline gives it
 * (rule isolation, notices, facts): for tests and tools that check a scanner on its own.
 */
export async function scanBytes(
  registry: Registry,
  scanner: ScannerPlugin,
  input: { uri: string; kind: TargetKind; bytes: Buffer; settings: ScanSettings },
): Promise<{ findings: Finding[]; assessment: Target["assessment"] & object }> {
  const findings: Finding[] = [];
  const facts = new FactBook();
  const t: RuleRunTarget = { uri: input.uri, settings: input.settings, registry, facts, emit: (f) => findings.push(f) };
  const file = new BufferFile(input.bytes);
  const ctx = scanContext(scanner, t, registry, { annotate: () => undefined, progress: () => undefined });
  await scanner.scan({ uri: input.uri, absPath: "", kind: input.kind, size: input.bytes.length, head: input.bytes.subarray(0, HEAD_BYTES), file }, ctx);
  return { findings, assessment: facts.factsFor(input.uri) };
}
