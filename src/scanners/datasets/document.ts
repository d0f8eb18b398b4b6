// What the dataset rules see: the loaded table, personal data found while it streamed,
// thresholds, and lazily computed shared work (standardised features, neighbours).

import type { FindingLocation } from "../../types";
import type { RuleContext } from "../../core/rule";
import type { DatasetTable, RawCell } from "./loaders/types";
import { cellString } from "./loaders/table-builder";
import { nearestNeighbours, standardise, type Neighbours } from "./analysis/neighbours";
import { PiiDetector, type PiiHit, type PiiType } from "./analysis/pii";
import type { DatasetThresholds } from "./thresholds";

export interface PiiCell {
  row: number;
  column: string;
  hit: PiiHit;
}

/** Personal data found while the rows streamed: per-row hits (first ones per column) and full counts. */
export class PiiCollector {
  readonly cells: PiiCell[] = [];
  /** column -> type -> cells found. */
  readonly counts = new Map<string, Map<PiiType, number>>();
  /** column -> rows with a hit that were not kept as cells (over the per-column cap). */
  readonly overflow = new Map<string, number>();
  private readonly kept = new Map<string, number>();
  private readonly detector: PiiDetector;

  constructor(
    thresholds: DatasetThresholds,
    private readonly perColumnCap: number,
  ) {
    this.detector = new PiiDetector(thresholds.personalData.negativeContext);
  }

  visit = (cells: ReadonlyArray<RawCell>, row: number, columns: ReadonlyArray<string>): void => {
    for (let j = 0; j < cells.length; j++) {
      const cell = cells[j];
      if (cell === null || cell === undefined || typeof cell === "boolean") continue;
      if (typeof cell === "number" && (!Number.isInteger(cell) || Math.abs(cell) < 1e11)) continue;
      const s = typeof cell === "string" ? cell : cellString(cell);
      if (!s || s.length < 6) continue;
      const hits = this.detector.detect(s);
      if (hits.length === 0) continue;
      this.record(row, columns[j] ?? `column_${j}`, hits);
    }
  };

  record(row: number, column: string, hits: PiiHit[]): void {
    let byType = this.counts.get(column);
    if (!byType) this.counts.set(column, (byType = new Map()));
    const kept = this.kept.get(column) ?? 0;
    const seen = new Set<PiiType>();
    for (const hit of hits) {
      byType.set(hit.type, (byType.get(hit.type) ?? 0) + 1);
      if (seen.has(hit.type)) continue;
      seen.add(hit.type);
      if (kept < this.perColumnCap) this.cells.push({ row, column, hit });
    }
    if (kept < this.perColumnCap) this.kept.set(column, kept + 1);
    else this.overflow.set(column, (this.overflow.get(column) ?? 0) + 1);
  }
}

export class DatasetDocument {
  private std: Float32Array | undefined;
  private nb: Neighbours | undefined | null = null;
  /** The table the checks see: a regression target is taken out of `label` (class checks skip it). */
  readonly table: DatasetTable;
  /** A numeric label column with many distinct values: a regression target, not classes. */
  readonly regressionTarget: { name: string; distinct: number } | undefined;

  constructor(
    /** The dataset file, or for image folders the folder (relative, forward slashes). */
    readonly uri: string,
    table: DatasetTable,
    readonly thresholds: DatasetThresholds,
    readonly pii: PiiCollector | undefined,
    readonly onProgress?: (stage: string, fraction: number) => void,
  ) {
    inferPixelGrid(table);
    this.regressionTarget = table.label && isRegressionTarget(table.label.classes, thresholds.labelKind) ? { name: table.label.name, distinct: table.label.classes.length } : undefined;
    if (this.regressionTarget) {
      const { label: _target, ...rest } = table;
      this.table = rest;
    } else this.table = table;
  }

  get isImageFolder(): boolean {
    return this.table.rowUris !== undefined;
  }

  /** Standardised features (per column for tables, one global scale for pixels). */
  standardised(): Float32Array {
    if (!this.std) this.std = standardise(this.table.features, this.table.imageShape === undefined);
    return this.std;
  }

  /** Neighbours of every row, or undefined without numeric features. */
  neighbours(): Neighbours | undefined {
    if (this.nb !== null) return this.nb;
    const { rows, cols } = this.table.features;
    if (cols === 0 || rows < 3) {
      this.nb = undefined;
      return undefined;
    }
    const t = this.thresholds.neighbours;
    this.nb = nearestNeighbours(this.standardised(), rows, cols, {
      k: t.k,
      exactMaxRows: t.exactMaxRows,
      trees: t.approximate.trees,
      leafSize: t.approximate.leafSize,
      seed: t.approximate.seed,
      dims: t.approximate.dims,
      maxIterations: t.approximate.maxIterations,
      minUpdateShare: t.approximate.minUpdateShare,
      maxCandidates: t.approximate.maxCandidates,
      ...(this.onProgress ? { onProgress: (f: number) => this.onProgress!("neighbours", f) } : {}),
    });
    return this.nb;
  }

  /** Where a row is: the image file for image folders, the 0-based data row otherwise. */
  rowLocation(row: number, column?: string): Partial<FindingLocation> {
    if (this.table.rowUris) return { uri: this.table.rowUris[row]! };
    const line = this.table.rowLines?.[row];
    return { row, ...(column === undefined ? {} : { column }), ...(line !== undefined && line > 0 ? { line } : {}) };
  }

  /** Dataset-level findings: the file, or for image folders the first image (a location names a file). */
  summaryLocation(): Partial<FindingLocation> {
    return this.table.rowUris ? { uri: this.table.rowUris[0]! } : {};
  }

  /** "row 12" or "image 3/img_0012.png", for messages. */
  rowName(row: number): string {
    return this.table.rowUris ? `image ${this.table.rowUris[row]}` : `row ${row}`;
  }

  rowRef(row: number): number | string {
    return this.table.rowUris ? this.table.rowUris[row]! : row;
  }

  labelOf(row: number): string | undefined {
    const l = this.table.label;
    if (!l) return undefined;
    const c = l.codes[row]!;
    return c >= 0 ? l.classes[c] : undefined;
  }

  /** Position of a feature column: pixel x, y, channel when the data are images. */
  position(col: number): { column: string; x?: number; y?: number; channel?: number } {
    const name = this.table.features.names[col]!;
    const shape = this.table.imageShape;
    if (!shape) return { column: name };
    const [, w, c] = shape;
    const pixel = Math.floor(col / c);
    return { column: name, x: pixel % w, y: Math.floor(pixel / w), channel: col % c };
  }

  /** Reports the first rows in full; returns how many were left out. */
  reportRows<T>(ctx: RuleContext, items: T[], draft: (item: T) => Parameters<RuleContext["report"]>[0]): number {
    const cap = this.thresholds.maxRowFindings;
    for (const item of items.slice(0, cap)) ctx.report(draft(item));
    return Math.max(0, items.length - cap);
  }

  listRows(rows: number[]): Array<number | string> {
    return rows.slice(0, this.thresholds.maxEvidenceRows).map((r) => this.rowRef(r));
  }
}

/**
 * Numbers with many distinct values are a quantity to predict, not classes: more than
 * `maxClasses` distinct numbers, or more than `maxFractionalClasses` when some are fractional
 * (class codes are integers).
 */
export function isRegressionTarget(classes: ReadonlyArray<string>, t: DatasetThresholds["labelKind"]): boolean {
  if (classes.length <= t.maxFractionalClasses) return false;
  let fractional = false;
  for (const c of classes) {
    const v = Number(c);
    if (c.trim() === "" || !Number.isFinite(v)) return false;
    if (!Number.isInteger(v)) fractional = true;
  }
  return fractional || classes.length > t.maxClasses;
}

/** A CSV of pixels (pixel_0, px12, pixel_3_4 ...) with a square count of columns is an image grid. */
function inferPixelGrid(table: DatasetTable): void {
  if (table.imageShape) return;
  const { cols, names } = table.features;
  const side = Math.round(Math.sqrt(cols));
  if (cols < 16 || side * side !== cols) return;
  if (!names.every((n) => /^(pixel|pix|px|p)[_-]?\d+([_x-]\d+)?$/i.test(n))) return;
  table.imageShape = [side, side, 1];
}

export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
