// JSON Lines: one JSON object (or array) per line; columns are the keys seen in the first rows.

import { stat } from "node:fs/promises";
import { RowLines } from "./row-lines";
import { KIND_SAMPLE_ROWS, TableBuilder } from "./table-builder";
import { streamText } from "./text-stream";
import { DatasetLoadError, type DatasetTable, type LoadHints, type LoadLimits, type LoadOptions, type RawCell } from "./types";

export async function loadJsonl(path: string, hints: LoadHints, limits: LoadLimits, options: LoadOptions = {}): Promise<DatasetTable> {
  const size = (await stat(path)).size;
  const maxRows = limits.maxRows ?? Infinity;
  const pending: Array<{ value: unknown; line: number }> = [];
  const rowLines = new RowLines();
  let names: string[] | undefined;
  let builder: TableBuilder | undefined;
  let row = 0;
  let leftover = "";
  let lineNo = 0;
  let badLines = 0;

  const toRecord = (value: unknown): RawCell[] => {
    if (Array.isArray(value)) return names!.map((_, j) => value[j] as RawCell);
    if (value && typeof value === "object") {
      const o = value as Record<string, RawCell>;
      return names!.map((n) => o[n]);
    }
    return [value as RawCell];
  };
  const emit = (value: unknown, line: number): void => {
    const cells = toRecord(value);
    rowLines.set(row, line);
    options.onRecord?.(cells, row, names!);
    builder!.push(cells);
    row++;
  };
  const start = (): void => {
    const keys = new Set<string>();
    let width = 0;
    for (const { value: v } of pending) {
      if (Array.isArray(v)) width = Math.max(width, v.length);
      else if (v && typeof v === "object") for (const k of Object.keys(v)) keys.add(k);
    }
    names = keys.size > 0 ? [...keys] : width > 0 ? Array.from({ length: width }, (_, j) => `column_${j}`) : ["value"];
    builder = new TableBuilder("jsonl", names, hints, 0, limits.maxInMemoryBytes);
    for (const p of pending.splice(0)) emit(p.value, p.line);
  };
  const onLine = (line: string): void => {
    lineNo++;
    const t = line.trim();
    if (t === "") return;
    let value: unknown;
    try {
      value = JSON.parse(t);
    } catch {
      badLines++;
      if (badLines > 10 && badLines > lineNo / 10) throw new DatasetLoadError(`line ${lineNo} is not JSON (and ${badLines - 1} lines before it)`);
      return;
    }
    if (!builder) {
      pending.push({ value, line: lineNo });
      if (pending.length >= KIND_SAMPLE_ROWS) start();
    } else emit(value, lineNo);
  };
  const stop = (): boolean => row >= maxRows || (builder?.full ?? false);
  await streamText(
    path,
    (text, final) => {
      const all = leftover + text;
      let pos = 0;
      for (;;) {
        if (stop()) {
          pos = all.length;
          break;
        }
        const nl = all.indexOf("\n", pos);
        if (nl < 0) break;
        onLine(all.slice(pos, nl));
        pos = nl + 1;
      }
      leftover = all.slice(pos);
      if (final && leftover.trim() !== "" && !stop()) {
        onLine(leftover);
        leftover = "";
      }
    },
    (bytes) => options.onProgress?.(size > 0 ? bytes / size : 1),
    stop,
  );
  if (!builder) {
    if (pending.length === 0) throw new DatasetLoadError("the file holds no JSON records");
    start();
  }
  if (row >= maxRows && maxRows !== Infinity) builder!.markTruncated(`stopped after ${maxRows} rows (maxRows)`);
  const table = builder!.finish();
  table.rowLines = rowLines.finish();
  return table;
}
