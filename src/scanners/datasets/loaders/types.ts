// The typed table every dataset loader produces, and the options loaders accept.
// Used by the dataset checks and by the model probe (which needs the numeric matrix).

export type DatasetFormat = "csv" | "tsv" | "jsonl" | "parquet" | "npy" | "image-folder";
export type ColumnKind = "numeric" | "categorical" | "text";
/** What a column is used for: features go into the numeric matrix; identifiers are left out of it. */
export type ColumnRole = "feature" | "label" | "text" | "identifier" | "other";

export interface ColumnInfo {
  name: string;
  /** Position in the source record. */
  index: number;
  kind: ColumnKind;
  role: ColumnRole;
  /** Cells that were empty, null, or (numeric columns) not a number. */
  missing: number;
}

/** A cell as a loader sees it before typing: CSV gives strings, JSON Lines and Parquet give values. */
export type RawCell = string | number | bigint | boolean | null | undefined | object;

/** Called once per data row while the file streams, with the raw cells in column order. */
export type RecordVisitor = (cells: ReadonlyArray<RawCell>, row: number, columns: ReadonlyArray<string>) => void;

export interface FeatureMatrix {
  /** Row-major, rows x cols; missing numeric values are replaced by the column mean. */
  data: Float32Array;
  rows: number;
  cols: number;
  /** Column name of each matrix column (pixel names for images: "x3_y5_c0"). */
  names: string[];
}

export interface LabelColumn {
  name: string;
  /** Distinct labels, in order of first appearance. */
  classes: string[];
  /** Index into classes per row; -1 where the label is missing. */
  codes: Int32Array;
}

export interface DatasetTable {
  format: DatasetFormat;
  rowCount: number;
  columns: ColumnInfo[];
  /** Standardisable numeric features (label and identifier columns excluded). */
  features: FeatureMatrix;
  label?: LabelColumn;
  /** The free-text column used by the text checks. */
  textColumn?: string;
  /** Values of categorical and text columns, by column name (numeric columns live in `features`). */
  strings: Map<string, Array<string | null>>;
  /** Images: height, width and channels of each row's pixels (features are pixels in y, x, c order). */
  imageShape?: [number, number, number];
  /** Text formats (CSV, TSV, JSON Lines): the 1-based physical line each data row starts on. */
  rowLines?: Uint32Array;
  /** Image folders: the file each row came from (relative uri). */
  rowUris?: string[];
  /** Limits that cut the load short (rows not read), for an aigis/limit-exceeded notice. */
  truncated?: { reason: string; rowsRead: number };
}

export interface LoadHints {
  labelColumn?: string;
  textColumn?: string;
  /** `.npy` features: path of the labels file (`.npy` or one label per line). */
  labels?: string;
}

export interface LoadLimits {
  /** Largest number of bytes a loader may hold in memory for one file (whole-file formats such as .npy). */
  maxInMemoryBytes: number;
  /** Stop after this many data rows (the table records that it was truncated). */
  maxRows?: number;
  /** Longest a reader running in its own thread (Parquet) may go without progress, in seconds. */
  maxSeconds?: number;
}

export interface LoadOptions {
  /** Sees every raw record while it streams (personal-data scanning uses this). */
  onRecord?: RecordVisitor;
  /** Fraction of the file read so far, 0..1. */
  onProgress?: (fraction: number) => void;
}

export class DatasetLoadError extends Error {
  override name = "DatasetLoadError";
}

/** A label or text column named by the user (--label-column, --text-column, config hints) is not in the file. */
export class DatasetColumnError extends DatasetLoadError {
  override name = "DatasetColumnError";
  constructor(
    readonly option: "labelColumn" | "textColumn",
    readonly wanted: string,
    readonly existing: string[],
  ) {
    super(`it has no column '${wanted}' (columns: ${existing.slice(0, 30).join(", ")}${existing.length > 30 ? `, and ${existing.length - 30} more` : ""})`);
  }
}

/** A limit (maxInMemoryBytes) kept the loader from reading the file. */
export class DatasetLimitError extends DatasetLoadError {
  override name = "DatasetLimitError";
}
