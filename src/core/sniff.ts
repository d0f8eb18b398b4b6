// Decides a target's kind from its content (magic bytes and structure), never from its name.
// Core knows the generic kinds (containers, compression, text structure); every other kind is
// recognised by a content detector its scanner contributes (ScannerPlugin.detectors), so a
// new format is one scanner folder. Detectors run in their declared order.

import type { ContentDetector, DetectInput, RandomAccessFile, TargetKind } from "../types";

export const HEAD_BYTES = 64 * 1024;

export const startsWith = (buf: Buffer, magic: number[] | string, at = 0): boolean => {
  const bytes = typeof magic === "string" ? Buffer.from(magic, "latin1") : Buffer.from(magic);
  return buf.length >= at + bytes.length && buf.subarray(at, at + bytes.length).equals(bytes);
};

export function isLikelyText(head: Buffer): boolean {
  if (head.length === 0) return false;
  let control = 0;
  for (const b of head) {
    if (b === 0) return false;
    if (b < 0x09 || (b > 0x0d && b < 0x20)) control++;
  }
  if (control > head.length / 100) return false;
  // Reject invalid UTF-8 (a cut multi-byte sequence at the very end is fine).
  const decoded = head.toString("utf8");
  const replacements = (decoded.match(/\uFFFD/g) ?? []).length;
  return replacements <= 1;
}

export function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

/** CSV/TSV: at least two lines with the same, non-zero count of one delimiter outside quotes. */
function isDelimited(lines: string[], truncated: boolean): boolean {
  const sample = joinQuotedLines(truncated ? lines.slice(0, -1) : lines).slice(0, 50);
  if (sample.length < 2) return false;
  for (const delim of [",", "\t", ";", "|"]) {
    const counts = sample.map((l) => countOutsideQuotes(l, delim));
    if (counts[0]! > 0 && counts.every((c) => c === counts[0])) return true;
  }
  return false;
}

/** Rejoins records whose quoted fields hold newlines (an odd count of quotes leaves a field open). */
function joinQuotedLines(lines: string[]): string[] {
  const out: string[] = [];
  let open: string | undefined;
  for (const line of lines) {
    const record = open === undefined ? line : `${open}\n${line}`;
    if ((record.split('"').length - 1) % 2 === 1) open = record;
    else {
      out.push(record);
      open = undefined;
    }
  }
  return out;
}

function countOutsideQuotes(line: string, delim: string): number {
  let n = 0;
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === delim && !quoted) n++;
  }
  return n;
}


/** Core's own decision for text: JSON, JSON Lines, CSV/TSV, YAML or plain text. */
function genericText(head: Buffer, size: number, asJson = true): { kind: TargetKind; text: string; json?: unknown; malformedJson?: boolean } {
  const text = head.toString("utf8");
  const trimmed = text.trimStart();
  const lines = text.split(/\r?\n/).filter((l) => l.trim().length > 0);
  const complete = head.length >= size;
  if (asJson && (trimmed.startsWith("{") || trimmed.startsWith("["))) {
    if (complete) {
      try {
        return { kind: "json", text, json: JSON.parse(text) };
      } catch {
        // JSON Lines: every non-empty line is a JSON value of its own.
        if (lines.length > 1 && lines.every((l) => isJson(l))) return { kind: "jsonl", text };
        return { kind: "json", text, malformedJson: true };
      }
    }
    const whole = lines.slice(0, -1);
    if (whole.length > 1 && whole.every((l) => isJson(l) && l.trim().startsWith("{"))) return { kind: "jsonl", text };
    return { kind: "json", text };
  }
  if (isDelimited(lines, !complete)) return { kind: "csv", text };
  if (/^(---\s*\n)?([A-Za-z_][\w.-]*\s*:(\s|$))/m.test(text) && /^[A-Za-z_][\w.-]*\s*:/m.test(lines[0] ?? "")) return { kind: "yaml", text };
  return { kind: "text", text };
}

/** Container and compression magic that core itself recognises. */
function genericBinary(head: Buffer): TargetKind | undefined {
  if (startsWith(head, "PK\x03\x04") || startsWith(head, "PK\x05\x06")) return "zip";
  if (startsWith(head, [0x1f, 0x8b])) return "gzip";
  if (startsWith(head, "BZh") && head.length > 3 && head[3]! >= 0x31 && head[3]! <= 0x39) return "bzip2";
  if (startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return "xz";
  if (startsWith(head, [0x28, 0xb5, 0x2f, 0xfd])) return "zstd";
  if (head.length >= 262 && startsWith(head, "ustar", 257)) return "tar";
  return undefined;
}

async function refine(detectors: ReadonlyArray<ContentDetector>, input: DetectInput): Promise<TargetKind> {
  for (const d of detectors) {
    if (d.refines === "*" || !d.refines.includes(input.generic)) continue;
    const kind = await d.detect(input);
    if (kind !== undefined) return kind;
  }
  return input.generic;
}

/**
 * The kind of a file or member. Core's container magic comes first; then detectors that see
 * every file (binary formats), in order; then, for text, core's structure and the detectors
 * that refine it. `detectors` come from the registry (registry.detectors).
 */
export async function sniffKind(head: Buffer, file: RandomAccessFile, detectors: ReadonlyArray<ContentDetector> = []): Promise<TargetKind> {
  const size = file.size;
  if (size === 0) return "unknown";
  const container = genericBinary(head);
  if (container) return refine(detectors, { head, size, file, generic: container });
  for (const d of detectors) {
    if (d.refines !== "*") continue;
    const kind = await d.detect({ head, size, file, generic: "unknown" });
    if (kind !== undefined) return kind;
  }
  if (!isLikelyText(head)) return refine(detectors, { head, size, file, generic: "unknown" });
  const { kind, text, json, malformedJson } = genericText(head, size);
  const refined = await refine(detectors, { head, size, file, generic: kind, text, ...(json !== undefined ? { json } : {}) });
  // Text that starts like JSON but does not parse (a Helm template, YAML flow style) is judged as other text.
  if (malformedJson && refined === "json") {
    const other = genericText(head, size, false);
    return refine(detectors, { head, size, file, generic: other.kind, text: other.text });
  }
  return refined;
}
