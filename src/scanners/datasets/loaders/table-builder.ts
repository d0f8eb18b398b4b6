// Builds a DatasetTable from records streamed by a loader: infers column kinds from the
// first rows, then fills a row-major Float32 feature matrix and string columns as rows arrive.

import { DatasetColumnError, type ColumnInfo, type ColumnKind, type ColumnRole, type DatasetFormat, type DatasetTable, type LabelColumn, type LoadHints, type RawCell } from "./types";

/** Rows looked at before column kinds are fixed. */
export const KIND_SAMPLE_ROWS = 1000;

export const LABEL_NAMES = ["label", "labels", "target", "class", "y", "category", "is_spam", "spam"];
export const TEXT_NAMES = ["text", "sentence", "content", "message", "body", "review", "document", "tweet", "comment"];
const ID_NAME = /^(id|idx|index|row|row_?id|_id|uuid|unnamed: ?0|record_?id)$/i;
const MISSING = new Set(["", "na", "n/a", "nan", "null", "none", "?", "-"]);

/** The number in a raw cell, or NaN when it is missing or not a number. */
export function cellNumber(cell: RawCell): number {
  if (typeof cell === "number") return cell;
  if (typeof cell === "string") {
    if (cell.length === 0) return NaN;
    const fast = parseDecimal(cell);
    if (fast === fast) return fast;
    const n = Number(cell);
    if (Number.isFinite(n)) return n;
    return NaN;
  }
  if (typeof cell === "bigint") return Number(cell);
  if (typeof cell === "boolean") return cell ? 1 : 0;
  return NaN;
}

/**
 * Plain decimals ("-12.345") of up to 15 significant digits, parsed on char codes: an exact
 * integer mantissa divided by an exact power of ten rounds correctly (Clinger's fast path),
 * and is several times quicker than Number() on the 64 million cells of a large CSV.
 * NaN means "not this simple form" (the caller falls back to Number()).
 */
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
export function parseDecimal(s: string): number {
  const n = s.length;
  let i = 0;
  let neg = false;
  const first = s.charCodeAt(0);
  if (first === 45) {
    neg = true;
    i = 1;
  } else if (first === 43) i = 1;
  if (i >= n) return NaN;
  let mantissa = 0;
  let digits = 0;
  let scale = -1;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      if (mantissa !== 0) digits++;
      if (scale >= 0) scale++;
    } else if (c === 46 && scale < 0) scale = 0;
    else return NaN;
  }
  if (digits > 15 || scale > 15 || (scale === 0 && n - (neg ? 1 : 0) === 1)) return NaN;
  const v = scale > 0 ? mantissa / POW10[scale]! : mantissa;
  return neg ? -v : v;
}

/** A raw cell as text, or null when missing. */
export function cellString(cell: RawCell): string | null {
  if (cell === null || cell === undefined) return null;
  if (typeof cell === "string") return cell;
  if (typeof cell === "number" || typeof cell === "bigint" || typeof cell === "boolean") return String(cell);
  if (cell instanceof Date) return cell.toISOString();
  return JSON.stringify(cell, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

function isMissing(cell: RawCell): boolean {
  if (cell === null || cell === undefined) return true;
  if (typeof cell === "string") return MISSING.has(cell.trim().toLowerCase());
  if (typeof cell === "number") return Number.isNaN(cell);
  return false;
}

function inferKind(values: RawCell[]): ColumnKind {
  let present = 0;
  let numeric = 0;
  let totalLength = 0;
  let spaces = 0;
  const distinct = new Set<string>();
  for (const v of values) {
    if (isMissing(v)) continue;
    present++;
    if (typeof v !== "boolean" && Number.isFinite(cellNumber(v))) numeric++;
    const s = cellString(v) ?? "";
    totalLength += s.length;
    for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 32) spaces++;
    if (distinct.size <= values.length) distinct.add(s);
  }
  if (present === 0) return "categorical";
  if (numeric >= 0.95 * present) return "numeric";
  const meanLength = totalLength / present;
  const meanSpaces = spaces / present;
  if ((meanLength >= 25 || meanSpaces >= 3) && distinct.size >= 0.5 * present) return "text";
  return "categorical";
}

/**
 * The hinted column, else the first column with a common name. One hint applies to every
 * file of a scan, so a file without the hinted column falls back to the common names.
 */
function findByName(names: string[], wanted: string | undefined, defaults: string[]): number {
  if (wanted !== undefined) {
    const i = names.findIndex((n) => n === wanted);
    const j = i >= 0 ? i : names.findIndex((n) => n.toLowerCase() === wanted.toLowerCase());
    if (j >= 0) return j;
  }
  for (const d of defaults) {
    const i = names.findIndex((n) => n.trim().toLowerCase() === d);
    if (i >= 0) return i;
  }
  return -1;
}

function looksLikeRowIndex(values: RawCell[]): boolean {
  if (values.length < 3) return false;
  const first = cellNumber(values[0]);
  if (first !== 0 && first !== 1) return false;
  for (let i = 1; i < values.length; i++) if (cellNumber(values[i]) !== first + i) return false;
  return true;
}

/** Without a named label, a last categorical column with few classes is the label (the UCI convention). */
function lastColumnAsLabel(kinds: ColumnKind[], byColumn: RawCell[][]): number {
  const j = kinds.length - 1;
  if (j < 1 || kinds[j] !== "categorical") return -1;
  const values = byColumn[j]!.filter((v) => !isMissing(v)).map((v) => cellString(v));
  const distinct = new Set(values).size;
  return distinct >= 2 && distinct <= Math.min(100, Math.max(2, values.length / 5)) ? j : -1;
}

export class TableBuilder {
  private readonly sample: RawCell[][] = [];
  private columns: ColumnInfo[] | undefined;
  private featureIdx: number[] = [];
  private stringIdx: number[] = [];
  private labelIdx = -1;
  private data: Float32Array = new Float32Array(0);
  private capacity = 0;
  private rows = 0;
  private readonly strings = new Map<string, Array<string | null>>();
  private readonly labelValues: Array<string | null> = [];
  private truncated: DatasetTable["truncated"];

  constructor(
    private readonly format: DatasetFormat,
    private readonly names: string[],
    private readonly hints: LoadHints,
    /** Expected row count, to allocate the matrix once (0 when unknown). */
    private readonly expectedRows = 0,
    /** Most bytes the feature matrix may take; rows past it are not read. */
    private readonly maxMatrixBytes = Infinity,
  ) {}

  /** True once the feature matrix reached its byte limit (the loader stops reading). */
  get full(): boolean {
    if (!this.columns || this.featureIdx.length === 0) return false;
    if (this.rows * this.featureIdx.length * 4 < this.maxMatrixBytes) return false;
    if (!this.truncated) this.markTruncated(`stopped after ${this.rows} rows: the feature matrix reached the in-memory limit of ${this.maxMatrixBytes} bytes`);
    return true;
  }

  get rowCount(): number {
    return this.rows + this.sample.length;
  }

  push(record: ReadonlyArray<RawCell>): void {
    if (!this.columns) {
      this.sample.push(record.slice());
      if (this.sample.length >= KIND_SAMPLE_ROWS) this.fixKinds();
      return;
    }
    this.append(record);
  }

  markTruncated(reason: string): void {
    this.truncated = { reason, rowsRead: this.rowCount };
  }

  private fixKinds(): void {
    const names = this.names;
    const byColumn = names.map((_, j) => this.sample.map((r) => r[j]));
    const kinds = byColumn.map((vals) => inferKind(vals));
    // A column the user named must exist: falling back to a guessed column would check the wrong thing silently.
    for (const option of ["labelColumn", "textColumn"] as const) {
      const wanted = this.hints[option];
      if (wanted !== undefined && !names.some((n) => n === wanted || n.toLowerCase() === wanted.toLowerCase())) throw new DatasetColumnError(option, wanted, names);
    }
    let labelIdx = findByName(names, this.hints.labelColumn, LABEL_NAMES);
    if (labelIdx < 0) labelIdx = lastColumnAsLabel(kinds, byColumn);
    let textIdx = findByName(names, this.hints.textColumn, TEXT_NAMES);
    if (textIdx < 0) {
      const texts = kinds.map((k, j) => (k === "text" && j !== labelIdx ? j : -1)).filter((j) => j >= 0);
      if (texts.length === 1) textIdx = texts[0]!;
    }
    this.columns = names.map((name, j) => {
      const kind: ColumnKind = j === textIdx && kinds[j] !== "numeric" ? "text" : kinds[j]!;
      let role: ColumnRole = "other";
      if (j === labelIdx) role = "label";
      else if (j === textIdx && kind === "text") role = "text";
      else if (kind === "numeric") role = ID_NAME.test(name.trim()) || looksLikeRowIndex(byColumn[j]!) ? "identifier" : "feature";
      return { name, index: j, kind, role, missing: 0 };
    });
    this.labelIdx = labelIdx;
    this.featureIdx = this.columns.filter((c) => c.role === "feature").map((c) => c.index);
    this.stringIdx = this.columns.filter((c) => c.kind !== "numeric" && c.role !== "label").map((c) => c.index);
    for (const j of this.stringIdx) this.strings.set(names[j]!, []);
    const byteCap = this.featureIdx.length > 0 ? Math.floor(this.maxMatrixBytes / (this.featureIdx.length * 4)) : Infinity;
    this.ensureCapacity(Math.max(Math.min(this.expectedRows, byteCap), this.sample.length, 1024));
    const sample = this.sample.splice(0);
    for (const r of sample) this.append(r);
  }

  private ensureCapacity(rows: number): void {
    if (rows <= this.capacity) return;
    const cols = this.featureIdx.length;
    const next = new Float32Array(rows * cols);
    next.set(this.data.subarray(0, this.rows * cols));
    this.data = next;
    this.capacity = rows;
  }

  private append(record: ReadonlyArray<RawCell>): void {
    const columns = this.columns!;
    if (this.rows >= this.capacity) this.ensureCapacity(Math.ceil(this.capacity * 1.25) + 1024);
    const fi = this.featureIdx;
    const base = this.rows * fi.length;
    for (let k = 0; k < fi.length; k++) {
      const j = fi[k]!;
      const v = cellNumber(record[j]);
      if (Number.isNaN(v)) columns[j]!.missing++;
      this.data[base + k] = v;
    }
    for (const j of this.stringIdx) {
      const cell = record[j];
      const missing = isMissing(cell);
      if (missing) columns[j]!.missing++;
      this.strings.get(this.names[j]!)!.push(missing ? null : cellString(cell));
    }
    if (this.labelIdx >= 0) {
      const cell = record[this.labelIdx];
      if (isMissing(cell)) {
        columns[this.labelIdx]!.missing++;
        this.labelValues.push(null);
      } else {
        const n = cellNumber(cell);
        this.labelValues.push(Number.isFinite(n) && typeof cell !== "boolean" ? String(n) : (cellString(cell) ?? "").trim());
      }
    }
    this.rows++;
  }

  finish(): DatasetTable {
    if (!this.columns) this.fixKinds();
    const columns = this.columns!;
    const cols = this.featureIdx.length;
    const rows = this.rows;
    const data = this.capacity === rows ? this.data : this.data.slice(0, rows * cols);
    this.data = new Float32Array(0);
    // Missing numeric cells take the column mean, so distances stay defined.
    const sums = new Float64Array(cols);
    const counts = new Float64Array(cols);
    for (let i = 0; i < rows; i++) {
      const base = i * cols;
      for (let k = 0; k < cols; k++) {
        const v = data[base + k]!;
        if (!Number.isNaN(v)) {
          sums[k]! += v;
          counts[k]! += 1;
        }
      }
    }
    const missingCols = this.featureIdx.map((j) => columns[j]!.missing > 0);
    if (missingCols.some(Boolean)) {
      for (let i = 0; i < rows; i++) {
        const base = i * cols;
        for (let k = 0; k < cols; k++) if (missingCols[k] && Number.isNaN(data[base + k]!)) data[base + k] = counts[k]! > 0 ? sums[k]! / counts[k]! : 0;
      }
    }
    const table: DatasetTable = {
      format: this.format,
      rowCount: rows,
      columns,
      features: { data, rows, cols, names: this.featureIdx.map((j) => this.names[j]!) },
      strings: this.strings,
    };
    const label = this.buildLabel();
    if (label) table.label = label;
    else if (this.labelIdx >= 0) columns[this.labelIdx]!.role = "other";
    const text = columns.find((c) => c.role === "text");
    if (text) table.textColumn = text.name;
    if (this.truncated) table.truncated = this.truncated;
    return table;
  }

  private buildLabel(): LabelColumn | undefined {
    if (this.labelIdx < 0) return undefined;
    const { classes, codes } = encodeLabels(this.labelValues, this.labelValues.length);
    // A continuous target (regression) has no classes to check.
    if (classes.length < 2 || classes.length > Math.max(100, Math.sqrt(codes.length))) return undefined;
    return { name: this.names[this.labelIdx]!, classes, codes };
  }
}

/** Class codes in order of first appearance; -1 for a missing label. */
function encodeLabels(values: ArrayLike<string | null | undefined>, rows: number): { classes: string[]; codes: Int32Array } {
  const classes: string[] = [];
  const index = new Map<string, number>();
  const codes = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      codes[i] = -1;
      continue;
    }
    let c = index.get(v);
    if (c === undefined) {
      c = classes.length;
      classes.push(v);
      index.set(v, c);
    }
    codes[i] = c;
  }
  return { classes, codes };
}

/** A table from a ready numeric matrix (npy, images) with labels given per row. */
export function tableFromMatrix(
  format: DatasetFormat,
  data: Float32Array,
  rows: number,
  cols: number,
  names: string[],
  labels: Array<string | null> | undefined,
  labelName = "label",
): DatasetTable {
  const columns: ColumnInfo[] = names.map((name, index) => ({ name, index, kind: "numeric", role: "feature", missing: 0 }));
  const table: DatasetTable = { format, rowCount: rows, columns, features: { data, rows, cols, names }, strings: new Map() };
  if (labels) {
    const { classes, codes } = encodeLabels(labels, rows);
    columns.push({ name: labelName, index: cols, kind: "categorical", role: "label", missing: codes.filter((c) => c < 0).length });
    table.label = { name: labelName, classes, codes };
  }
  return table;
}
