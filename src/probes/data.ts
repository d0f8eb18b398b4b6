// Probe data through the dataset loaders (CSV/TSV, JSON Lines, Parquet, NPY with a labels file,
// image folders): rows of float features and integer class ids.

import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { DatasetLoadError, loadDataset, loadImageFolder, type DatasetTable, type ImageFile } from "../scanners/datasets/loaders";

/** Raised when --label-column or --text-column names no column of the data; the CLI turns it into a usage error. */
export { DatasetColumnError } from "../scanners/datasets/loaders";

export interface ProbeData {
  x: Float32Array;
  labels: Int32Array;
  n: number;
  /** Values per row. */
  size: number;
  /** Image folders: [height, width, channels] of each row (pixels in y, x, c order). */
  imageShape?: [number, number, number];
  /** Class names when labels were names (image folders, text labels): index = class id. */
  classNames?: string[];
}

export interface ProbeDataOptions {
  labelColumn?: string;
  /** NPY features: the labels file (default: found beside the features). */
  labelsPath?: string;
  /** Image folders: pixel values 0..255 are scaled into this range. */
  clip?: [number, number];
}

function imageFiles(root: string, dir: string, out: ImageFile[]): void {
  for (const name of readdirSync(dir).sort()) {
    const abs = join(dir, name);
    const st = statSync(abs);
    if (st.isDirectory()) imageFiles(root, abs, out);
    else if (/\.(png|jpe?g)$/i.test(name)) out.push({ absPath: abs, uri: relative(root, abs).split("\\").join("/") });
  }
}

/**
 * Class ids from the label column: the labels themselves when they are all integers (0..K-1 as
 * the model numbers its outputs), otherwise the names sorted alphabetically (the Keras
 * class-per-folder convention), with the names kept for the report.
 */
function classIds(table: DatasetTable, path: string): { labels: Int32Array; classNames?: string[] } {
  const label = table.label;
  if (!label) throw new DatasetLoadError(`${path} has no label column (name it with --label-column)`);
  const numeric = label.classes.every((c) => /^-?\d+(\.0+)?$/.test(c.trim()));
  const names = numeric ? undefined : [...label.classes].sort();
  const labels = new Int32Array(label.codes.length);
  label.codes.forEach((code, i) => {
    if (code < 0) throw new DatasetLoadError(`${path}: data row ${i} has no label`);
    const cls = label.classes[code]!;
    labels[i] = numeric ? Number(cls) : names!.indexOf(cls);
  });
  return names ? { labels, classNames: names } : { labels };
}

export async function loadProbeData(path: string, options: ProbeDataOptions = {}): Promise<ProbeData> {
  let table: DatasetTable;
  if (statSync(path).isDirectory()) {
    const files: ImageFile[] = [];
    imageFiles(path, path, files);
    if (files.length === 0) throw new DatasetLoadError(`${path} holds no PNG or JPEG images`);
    table = (await loadImageFolder(files)).table;
    const [lo, hi] = options.clip ?? [0, 1];
    const px = table.features.data;
    for (let i = 0; i < px.length; i++) px[i] = lo + (px[i]! / 255) * (hi - lo);
  } else {
    const hints = { ...(options.labelColumn ? { labelColumn: options.labelColumn } : {}), ...(options.labelsPath ? { labels: options.labelsPath } : {}) };
    table = await loadDataset(path, hints);
  }
  const { labels, classNames } = classIds(table, path);
  const out: ProbeData = { x: table.features.data, labels, n: table.features.rows, size: table.features.cols };
  if (table.imageShape) out.imageShape = table.imageShape;
  if (classNames) out.classNames = classNames;
  return out;
}
