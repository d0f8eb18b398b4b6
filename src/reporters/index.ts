// Output formats. Only reporters and the CLI know about formats; scanners return data.

import type { Report } from "../types";
import type { Catalog } from "../core/catalog";
import { toMarkdown } from "./markdown";
import { toSarif } from "./sarif";
import { toText, type TextOptions } from "./text";

export const FORMATS = ["text", "json", "sarif", "markdown"] as const;
export type Format = (typeof FORMATS)[number];

/** Output file extension -> format, for `--output` without `--format`. */
export const EXTENSION_FORMATS: Record<string, Format> = {
  ".txt": "text",
  ".json": "json",
  ".sarif": "sarif",
  ".md": "markdown",
  ".markdown": "markdown",
};

export interface RenderOptions extends TextOptions {
  catalog: Catalog;
}

export function render(format: Format, report: Report, options: RenderOptions): string {
  switch (format) {
    case "json":
      return JSON.stringify(report, null, 2) + "\n";
    case "sarif":
      return JSON.stringify(toSarif(report, options.catalog), null, 2) + "\n";
    case "markdown":
      return toMarkdown(report);
    case "text":
      return toText(report, options);
  }
}

export { toSarif, toText, toMarkdown };
