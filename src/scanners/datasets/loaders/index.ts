// The dataset loaders' public API: loadDataset(path, hints, limits) reads a file by its
// content (CSV/TSV, JSON Lines, Parquet, .npy) into a typed table; image folders load
// through loadImageFolder. Other teams (the model probe) use this for numeric data.

import { open } from "node:fs/promises";
import { loadCsv } from "./csv";
import { loadJsonl } from "./jsonl";
import { loadNpy } from "./npy";
import { loadParquet } from "./parquet";
import { DatasetLoadError, type DatasetFormat, type DatasetTable, type LoadHints, type LoadLimits, type LoadOptions } from "./types";

export * from "./types";
export { decodeImage, groupImageFolders, loadImageFolder, type ImageFile, type ImageFolderResult } from "./images";
export { parseNpy, parseNpyHeader, readLabels } from "./npy";
export { parseRecords, sniffDialect } from "./csv";
export { LABEL_NAMES, TEXT_NAMES } from "./table-builder";

const HEAD = 64 * 1024;

/** The dataset format of a file from its first bytes; undefined when it is none of them. */
export function detectFormat(head: Buffer): Exclude<DatasetFormat, "tsv" | "image-folder"> | undefined {
  if (head.subarray(0, 6).toString("latin1") === "\x93NUMPY") return "npy";
  if (head.subarray(0, 4).toString("latin1") === "PAR1") return "parquet";
  const text = head.toString("utf8").replace(/^\uFEFF/, "").trimStart();
  if (text.startsWith("{") || text.startsWith("[")) {
    const first = text.split("\n", 1)[0]!.trim();
    try {
      JSON.parse(first);
      return "jsonl";
    } catch {
      return undefined;
    }
  }
  return text.length > 0 ? "csv" : undefined;
}

export const DEFAULT_LOAD_LIMITS: LoadLimits = { maxInMemoryBytes: 1024 ** 3 };

/**
 * Loads a dataset file into a typed table: columns with kinds, the label column (from hints,
 * or named label/target/class/y), the text column, and a row-major Float32 feature matrix.
 */
export async function loadDataset(path: string, hints: LoadHints = {}, limits: LoadLimits = DEFAULT_LOAD_LIMITS, options: LoadOptions = {}): Promise<DatasetTable> {
  const fh = await open(path, "r");
  let head: Buffer;
  try {
    const buf = Buffer.alloc(HEAD);
    const { bytesRead } = await fh.read(buf, 0, HEAD, 0);
    head = buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  const format = detectFormat(head);
  switch (format) {
    case "npy":
      return loadNpy(path, hints, limits);
    case "parquet":
      return loadParquet(path, hints, limits, options);
    case "jsonl":
      return loadJsonl(path, hints, limits, options);
    case "csv":
      return loadCsv(path, head, hints, limits, options);
    default:
      throw new DatasetLoadError("not a CSV, TSV, JSON Lines, Parquet or .npy dataset");
  }
}

export type { DatasetTable };
