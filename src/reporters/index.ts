// Output formats. Only reporters and the CLI know about formats; scanners return data.

import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import type { Finding, Report } from "../types";
import type { Catalog } from "../core/catalog";
import { buildEvidence } from "../compliance/evidence";
import { toCycloneDx } from "./cyclonedx";
import { toHtml } from "./html";
import { lineHashes } from "./line-hash";
import { toMarkdown } from "./markdown";
import { toSarif } from "./sarif";
import { toText, type TextOptions } from "./text";

export const FORMATS = ["text", "json", "sarif", "markdown", "html", "cyclonedx"] as const;
export type Format = (typeof FORMATS)[number];

/** Output file extension -> format, for `--output` without `--format`; the longest matching suffix wins. */
export const EXTENSION_FORMATS: Record<string, Format> = {
  ".cdx.json": "cyclonedx",
  ".cdx": "cyclonedx",
  ".txt": "text",
  ".json": "json",
  ".sarif": "sarif",
  ".md": "markdown",
  ".markdown": "markdown",
  ".html": "html",
  ".htm": "html",
};

export interface RenderOptions extends TextOptions {
  catalog: Catalog;
  /** SARIF: the analysis category (runAutomationDetails.id). */
  category?: string;
}

/** GitHub's line hash of a finding's line, read from the scanned text file (cached per file). */
export function lineHasher(report: Report): (f: Finding) => string | undefined {
  const cache = new Map<string, string[] | undefined>();
  const root = report.invocation?.workingDirectory ?? process.cwd();
  return (f) => {
    if (f.location.line === undefined || f.location.member !== undefined) return undefined;
    if (!cache.has(f.location.uri)) {
      let hashes: string[] | undefined;
      try {
        hashes = lineHashes(readFileSync(isAbsolute(f.location.uri) ? f.location.uri : join(root, f.location.uri), "utf8"));
      } catch {
        hashes = undefined;
      }
      cache.set(f.location.uri, hashes);
    }
    return cache.get(f.location.uri)?.[f.location.line];
  };
}

export function render(format: Format, report: Report, options: RenderOptions): string {
  switch (format) {
    case "json":
      return JSON.stringify(report, null, 2) + "\n";
    case "sarif":
      return JSON.stringify(toSarif(report, options.catalog, { lineHash: lineHasher(report), ...(options.category !== undefined ? { category: options.category } : {}) }), null, 2) + "\n";
    case "markdown":
      return toMarkdown(report);
    case "text":
      return toText(report, options);
    case "html":
      return toHtml(buildEvidence(report, options.catalog), options.catalog);
    case "cyclonedx":
      return JSON.stringify(toCycloneDx(report, options.catalog), null, 2) + "\n";
  }
}

export { toSarif, toText, toMarkdown, toHtml, toCycloneDx };

/** The format an output file's name asks for: the longest known suffix ("bom.cdx.json" is CycloneDX, "r.json" JSON). */
export function formatOfPath(path: string): Format | undefined {
  const lower = path.toLowerCase();
  let best: string | undefined;
  for (const ext of Object.keys(EXTENSION_FORMATS)) if (lower.endsWith(ext) && (best === undefined || ext.length > best.length)) best = ext;
  return best === undefined ? undefined : EXTENSION_FORMATS[best];
}
