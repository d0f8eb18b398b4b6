// Training data: loads CSV/TSV, JSON Lines, Parquet, .npy (with labels) and class-per-folder
// image sets into a typed table, then looks for poisoning signatures (label flips, conflicting
// duplicates, backdoor triggers in pixels, values and text) and personal data.

import { NoImageDecodedError } from "./loaders/images";
import { maskingRule } from "./masking";
import type { ProjectContext, ScanContext, ScanFile, ScannerPlugin } from "../../types";
import { schemaJson } from "../../core/catalog";
import { DATASET_DETECTORS, DATASET_FORMATS } from "./detect";
import { parseNpyHeader } from "./loaders/npy";
import { DatasetColumnError, DatasetLimitError, DatasetLoadError, groupImageFolders, loadDataset, loadImageFolder, type LoadHints } from "./loaders";
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
  // Validated by core against rules/schemas/dataset-options.schema.json.
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

/** Every dataset rule's reports pass through the masking step: names and labels may be personal data. */
const MASKED_RULES = datasetRules.map((r) => maskingRule(r));

export const datasetScanner: ScannerPlugin = {
  id: "datasets",
  kinds: ["csv", "jsonl", "parquet", "numpy", "image"],
  formats: DATASET_FORMATS,
  detectors: DATASET_DETECTORS,
  rules: datasetRules,
  optionsSchema: schemaJson("dataset-options"),
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
        { maxInMemoryBytes: ctx.settings.limits.maxInMemoryBytes, maxSeconds: ctx.settings.limits.maxScanSeconds, ...(maxRows !== undefined ? { maxRows } : {}) },
        // Reading is the first half of a long dataset scan, neighbour search the second.
        { onRecord: pii.visit, onProgress: (f) => ctx.progress(f / 2) },
      );
    } catch (e) {
      if (!(e instanceof DatasetLoadError)) throw e;
      if (e instanceof DatasetLimitError) {
        ctx.limitExceeded({ what: `${file.uri} was not checked as a dataset: ${e.message}`, limit: "maxInMemoryBytes", value: ctx.settings.limits.maxInMemoryBytes, key: "dataset-size" });
        return;
      }
      if (e instanceof DatasetColumnError) {
        // The CLI turns this into exit 2 naming the columns (no silent fallback to another column).
        ctx.parseError({ format: `${file.kind} dataset`, reason: e.message, key: "dataset-unknown-column", detail: { unknownColumn: { option: e.option, wanted: e.wanted, existing: e.existing } } });
        return;
      }
      ctx.parseError({ format: `${file.kind} dataset`, reason: e.message, key: "dataset-load" });
      return;
    }
    if (table.truncated) {
      ctx.limitExceeded({
        what: `Only the first ${table.truncated.rowsRead} rows of ${file.uri} were checked (${table.truncated.reason})`,
        limit: "maxInMemoryBytes",
        value: ctx.settings.limits.maxInMemoryBytes,
        detail: { rowsRead: table.truncated.rowsRead },
        key: "dataset-rows",
      });
    }
    ctx.runRules(MASKED_RULES, new DatasetDocument(file.uri, table, thresholds, pii, (stage, f) => ctx.progress(stage === "neighbours" ? 0.5 + f / 2 : 0.5)));
  },
  async scanProject(ctx: ProjectContext): Promise<void> {
    const images = ctx.targets.filter((t) => t.kind === "image").map((t) => ({ absPath: t.absPath, uri: t.uri }));
    if (images.length === 0) return;
    const thresholds = datasetThresholds(options(ctx.settings).thresholds);
    for (const [root, files] of groupImageFolders(images)) {
      let loaded;
      try {
        loaded = await loadImageFolder(files, ctx.settings.limits.maxInMemoryBytes);
      } catch (e) {
        if (!(e instanceof DatasetLoadError)) throw e;
        // No image decoded: each file still gets its own parse error, never silence.
        const failed = e instanceof NoImageDecodedError ? e.failed : files.map((f) => ({ uri: f.uri, reason: e.message }));
        for (const f of failed) ctx.notices(f.uri).parseError({ format: "image", reason: f.reason, key: "image-decode" });
        continue;
      }
      const { table, failed } = loaded;
      const doc = new DatasetDocument(toUri(ctx.cwd, root), table, thresholds, undefined);
      for (const f of failed) ctx.notices(f.uri).parseError({ format: "image", reason: f.reason, key: "image-decode" });
      const first = table.rowUris![0]!;
      if (table.truncated) {
        ctx.notices(first).limitExceeded({
          what: `Only ${table.truncated.rowsRead} images of ${toUri(ctx.cwd, root)} were checked (${table.truncated.reason})`,
          limit: "maxInMemoryBytes",
          value: ctx.settings.limits.maxInMemoryBytes,
          detail: { rowsRead: table.truncated.rowsRead },
          key: "image-folder-rows",
        });
      }
      // Facts land on the folder's first image; findings carry the image they are about.
      ctx.runRules(MASKED_RULES, doc, first);
    }
  },
};

export { datasetScanner as scanner };
