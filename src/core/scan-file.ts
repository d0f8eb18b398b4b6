// Scans one file: sniff its kind, hash it, and run every scanner for that kind.
// Runs in the main thread or in a worker; returns plain data either way.

import type { Finding, FindingDraft, FindingLocation, Protection, SignatureInfo, Target, TargetKind } from "../types";
import { TARGET_KINDS } from "../types";
import { fsPath, type DiscoveredFile } from "./discover";
import { fingerprintOf } from "./fingerprint";
import { sha256File } from "./hash";
import { DiskFile } from "./random-access";
import type { Registry } from "./registry";
import type { ScanContext, ScanSettings } from "./rule";
import { HEAD_BYTES, sniffKind } from "./sniff";

export interface FileResult {
  target: Target;
  findings: Finding[];
}

/** Kinds that are recognised but carry nothing a scanner checks; no notice is raised for them. */
const GENERIC_KINDS: ReadonlySet<TargetKind> = new Set(["text", "unknown", "json", "yaml"]);

/** Builds a finding from a rule's draft, with metadata from the catalog. */
export function makeFinding(registry: Registry, ruleId: string, uri: string, draft: FindingDraft): Finding {
  const meta = registry.rule(ruleId);
  const location: FindingLocation = { uri };
  for (const [k, v] of Object.entries(draft.location ?? {})) {
    if (v !== undefined && k !== "uri") (location as unknown as Record<string, unknown>)[k] = v;
  }
  if (draft.location?.uri) location.uri = draft.location.uri;
  const finding: Finding = {
    ruleId,
    severity: draft.severity ?? meta.severity,
    message: draft.message,
    location,
    controls: [...meta.controls],
    fingerprint: fingerprintOf(ruleId, location, draft.fingerprintKey ?? draft.message),
  };
  if (draft.evidence) finding.evidence = draft.evidence;
  return finding;
}

export async function scanFile(
  entry: DiscoveredFile,
  settings: ScanSettings,
  registry: Registry,
  onFileProgress?: (fraction: number) => void,
): Promise<FileResult> {
  const findings: Finding[] = [];
  let file: DiskFile;
  try {
    file = await DiskFile.open(fsPath(entry));
  } catch (e) {
    return {
      target: { uri: entry.uri, kind: "unknown", bytes: entry.size, sha256: "" },
      findings: [makeFinding(registry, "aigis/io-error", entry.uri, { message: `${entry.uri} could not be opened: ${(e as Error).message}.`, fingerprintKey: "open" })],
    };
  }
  try {
    const head = await file.read(0, HEAD_BYTES);
    const kind = await sniffKind(head, file);
    // Hash while the scanners read: both stream, and the OS cache serves the second reader.
    const hashing = sha256File(fsPath(entry));
    const annotations: { protection?: Protection; signature?: SignatureInfo } = {};
    const ctx: ScanContext = {
      settings,
      report(ruleId, draft) {
        findings.push(makeFinding(registry, ruleId, entry.uri, draft));
      },
      runRules(rules, doc, base) {
        for (const rule of rules) {
          rule.check(doc, {
            report: (draft) => ctx.report(rule.id, { ...draft, location: { ...base, ...draft.location } }),
          });
        }
      },
      annotate(patch) {
        Object.assign(annotations, patch);
      },
      progress(fraction) {
        onFileProgress?.(Math.min(1, Math.max(0, fraction)));
      },
    };
    const scanners = registry.scannersFor(kind);
    for (const scanner of scanners) {
      try {
        await scanner.scan({ uri: entry.uri, absPath: entry.absPath, kind, size: file.size, head, file }, ctx);
      } catch (e) {
        // A scanner bug or hostile input must never stop the run: it becomes a finding.
        ctx.report("aigis/parse-error", {
          message: `The ${scanner.id} scanner could not finish reading ${entry.uri}: ${(e as Error).message}.`,
          evidence: { scanner: scanner.id, reason: (e as Error).message },
          fingerprintKey: `scanner-error:${scanner.id}`,
        });
      }
    }
    // Scanners that read every kind (protection state, file modes) do not check the format itself.
    const formatScanners = scanners.filter((s) => s.kinds.length < TARGET_KINDS.length);
    if (formatScanners.length === 0 && !GENERIC_KINDS.has(kind)) {
      ctx.report("aigis/unsupported-format", {
        message: `${entry.uri} is ${kind} content, which no aigis scanner checks yet; only its hash was recorded.`,
        evidence: { kind },
        fingerprintKey: kind,
      });
    }
    const target: Target = { uri: entry.uri, kind, bytes: file.size, sha256: await hashing };
    if (annotations.protection) target.protection = annotations.protection;
    if (annotations.signature) target.signature = annotations.signature;
    return { target, findings };
  } catch (e) {
    return {
      target: { uri: entry.uri, kind: "unknown", bytes: entry.size, sha256: "" },
      findings: [...findings, makeFinding(registry, "aigis/io-error", entry.uri, { message: `${entry.uri} could not be read: ${(e as Error).message}.`, fingerprintKey: "read" })],
    };
  } finally {
    await file.close();
  }
}
