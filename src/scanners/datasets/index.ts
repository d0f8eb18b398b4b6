// Training data: loads CSV/TSV, JSON Lines, Parquet, .npy (with labels) and class-per-folder
// image sets into a typed table, then looks for poisoning signatures (label flips, conflicting
// duplicates, backdoor triggers in pixels, values and text) and personal data.

import type { FindingDraft } from "../../types";
import type { ProjectContext, ScanContext, ScanFile, Scanner } from "../../core/rule";
import { parseNpyHeader } from "./loaders/npy";
import { DatasetLimitError, DatasetLoadError, groupImageFolders, loadDataset, loadImageFolder, type LoadHints } from "./loaders";
import { DatasetDocument, PiiCollector } from "./document";
import { datasetRules } from "./rules";
import { datasetThresholds } from "./thresholds";
import { toUri } from "../../core/discover";

/** Options under `scanners.datasets` in the config file. */
interface DatasetScannerOptions {
  labelColumn?: string;
  textColumn?: string;
  labels?: string;
  maxRows?: number;
  /** Overrides of rules/thresholds/dataset.json. */
  thresholds?: unknown;
}

function options(settings: ScanContext["settings"]): DatasetScannerOptions {
  const o = settings.scannerOptions["datasets"];
  return o && typeof o === "object" ? (o as DatasetScannerOptions) : {};
}

function hintsFor(settings: ScanContext["settings"]): LoadHints {
  const o = options(settings);
  const hints: LoadHints = {};
  const label = settings.hints.labelColumn ?? o.labelColumn;
  const text = settings.hints.textColumn ?? o.textColumn;
  const labels = settings.hints.labels ?? o.labels;
  if (label !== undefined) hints.labelColumn = label;
  if (text !== undefined) hints.textColumn = text;
  if (labels !== undefined) hints.labels = labels;
  return hints;
}

/** A .npy this scanner reads: a numeric array with rows and features (1-D arrays are labels, object arrays are the artifact scanner's). */
function isFeatureNpy(head: Buffer): boolean {
  try {
    const h = parseNpyHeader(head);
    return /^[<>|=][fiub]\d+$/.test(h.descr) && h.shape.length >= 2;
  } catch {
    return false;
  }
}

export const datasetScanner: Scanner = {
  id: "datasets",
  kinds: ["csv", "jsonl", "parquet", "numpy", "image"],
  ruleIds: datasetRules.map((r) => r.id),
  async scan(file: ScanFile, ctx: ScanContext): Promise<void> {
    // Images are read as folders, in scanProject.
    if (file.kind === "image") return;
    if (file.kind === "numpy" && !isFeatureNpy(file.head)) return;
    const thresholds = datasetThresholds(options(ctx.settings).thresholds);
    const pii = new PiiCollector(thresholds, thresholds.maxRowFindings);
    const maxRows = options(ctx.settings).maxRows;
    let table;
    try {
      table = await loadDataset(
        file.absPath,
        hintsFor(ctx.settings),
        { maxInMemoryBytes: ctx.settings.limits.maxInMemoryBytes, ...(maxRows !== undefined ? { maxRows } : {}) },
        // Reading is the first half of a long dataset scan, neighbour search the second.
        { onRecord: pii.visit, onProgress: (f) => ctx.progress(f / 2) },
      );
    } catch (e) {
      if (!(e instanceof DatasetLoadError)) throw e;
      if (e instanceof DatasetLimitError) {
        ctx.report("aigis/limit-exceeded", {
          message: `${file.uri} was not checked as a dataset: ${e.message}.`,
          evidence: { limit: "maxInMemoryBytes", value: ctx.settings.limits.maxInMemoryBytes },
          fingerprintKey: "dataset-size",
        });
        return;
      }
      ctx.report("aigis/parse-error", {
        message: `${file.uri} could not be read as a dataset: ${e.message}.`,
        evidence: { format: file.kind, reason: e.message },
        fingerprintKey: "dataset-load",
      });
      return;
    }
    if (table.truncated) {
      ctx.report("aigis/limit-exceeded", {
        message: `Only the first ${table.truncated.rowsRead} rows of ${file.uri} were checked: ${table.truncated.reason}.`,
        evidence: { limit: "maxInMemoryBytes", rowsRead: table.truncated.rowsRead },
        fingerprintKey: "dataset-rows",
      });
    }
    ctx.runRules(datasetRules, new DatasetDocument(file.uri, table, thresholds, pii, (stage, f) => ctx.progress(stage === "neighbours" ? 0.5 + f / 2 : 0.5)));
  },
  async scanProject(ctx: ProjectContext): Promise<void> {
    const images = ctx.targets.filter((t) => t.kind === "image").map((t) => ({ absPath: t.absPath, uri: t.uri }));
    if (images.length === 0) return;
    const thresholds = datasetThresholds(options(ctx.settings).thresholds);
    for (const [root, files] of groupImageFolders(images)) {
      const { table, failed } = await loadImageFolder(files, ctx.settings.limits.maxInMemoryBytes);
      const doc = new DatasetDocument(toUri(ctx.cwd, root), table, thresholds, undefined);
      for (const f of failed) {
        ctx.report("aigis/parse-error", { message: `${f.uri} could not be decoded as an image: ${f.reason}.`, location: { uri: f.uri }, evidence: { reason: f.reason }, fingerprintKey: "image-decode" });
      }
      if (table.truncated) {
        ctx.report("aigis/limit-exceeded", {
          message: `Only ${table.truncated.rowsRead} images of ${toUri(ctx.cwd, root)} were checked: ${table.truncated.reason}.`,
          location: { uri: table.rowUris![0]! },
          evidence: { limit: "maxInMemoryBytes", rowsRead: table.truncated.rowsRead },
          fingerprintKey: "image-folder-rows",
        });
      }
      for (const rule of datasetRules) {
        rule.check(doc, {
          report: (draft: FindingDraft) => ctx.report(rule.id, { ...draft, location: { ...draft.location, uri: draft.location?.uri ?? table.rowUris![0]! } }),
        });
      }
    }
  },
};
