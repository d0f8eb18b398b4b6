// CSV / TSV: delimiter and header sniffed from the first lines, quoted fields (RFC 4180,
// quotes doubled inside quotes, newlines inside quotes), streamed in chunks.

import { stat } from "node:fs/promises";
import { RowLines, countNewlines } from "./row-lines";
import { TableBuilder, cellNumber } from "./table-builder";
import { streamText } from "./text-stream";
import { DatasetLoadError, type DatasetTable, type LoadHints, type LoadLimits, type LoadOptions } from "./types";

export const DELIMITERS = [",", "\t", ";", "|"] as const;

export interface CsvDialect {
  delimiter: string;
  header: boolean;
}

/** Parses one record starting at `start`; undefined when the record runs past the text (needs more input). */
export function parseRecord(text: string, start: number, delim: string, final: boolean): { cells: string[]; next: number } | undefined {
  const cells: string[] = [];
  let pos = start;
  const n = text.length;
  for (;;) {
    if (pos < n && text.charCodeAt(pos) === 34 /* " */) {
      // Quoted field.
      let value = "";
      let from = pos + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) {
          if (!final) return undefined;
          value += text.slice(from);
          pos = n;
          break;
        }
        if (q + 1 < n && text.charCodeAt(q + 1) === 34) {
          value += text.slice(from, q + 1);
          from = q + 2;
          continue;
        }
        if (q + 1 >= n && !final) return undefined;
        value += text.slice(from, q);
        pos = q + 1;
        break;
      }
      // Anything between the closing quote and the delimiter is kept (lenient, like most readers).
      let end = pos;
      while (end < n) {
        const c = text[end];
        if (c === delim || c === "\n" || c === "\r") break;
        end++;
      }
      if (end >= n && !final) return undefined;
      value += text.slice(pos, end);
      cells.push(value);
      pos = end;
    } else {
      let end = pos;
      while (end < n) {
        const c = text[end];
        if (c === delim || c === "\n") break;
        end++;
      }
      if (end >= n && !final) return undefined;
      let value = text.slice(pos, end);
      if (value.endsWith("\r")) value = value.slice(0, -1);
      cells.push(value);
      pos = end;
    }
    if (pos >= n) return { cells, next: n };
    const c = text[pos];
    if (c === delim) {
      pos++;
      continue;
    }
    if (c === "\r") pos++;
    if (pos < n && text[pos] === "\n") pos++;
    return { cells, next: pos };
  }
}

/** Splits every complete record out of `text`; returns where the unfinished tail starts. */
/** Splits every complete record out of `text`; `onRecord` also gets where the record starts in `text`. */
export function parseRecords(text: string, delim: string, final: boolean, onRecord: (cells: string[], start: number) => void, stop?: () => boolean): number {
  let pos = 0;
  const n = text.length;
  // Position of the next quote at or after pos (searched again only once passed), so
  // quote-free text is scanned once rather than once per line.
  let quote = -2;
  while (pos < n) {
    if (stop?.()) return n;
    const nl = text.indexOf("\n", pos);
    if (nl < 0 && !final) return pos;
    const lineEnd = nl < 0 ? n : nl;
    if (quote !== -1 && quote < pos) quote = text.indexOf('"', pos);
    if (quote < 0 || quote > lineEnd) {
      // Fast path: a line without quotes.
      let end = lineEnd;
      if (end > pos && text.charCodeAt(end - 1) === 13) end--;
      if (end > pos) {
        const cells: string[] = [];
        let from = pos;
        for (;;) {
          const d = text.indexOf(delim, from);
          if (d < 0 || d >= end) {
            cells.push(text.slice(from, end));
            break;
          }
          cells.push(text.slice(from, d));
          from = d + 1;
        }
        onRecord(cells, pos);
      }
      pos = lineEnd + 1;
      continue;
    }
    const rec = parseRecord(text, pos, delim, final);
    if (!rec) return pos;
    if (!(rec.cells.length === 1 && rec.cells[0] === "")) onRecord(rec.cells, pos);
    pos = rec.next;
  }
  return n;
}

/** Sniffs the delimiter (most consistent count over the first lines) and whether the first line is a header. */
export function sniffDialect(head: string): CsvDialect {
  const records: Record<string, string[][]> = {};
  let best: { delim: string; score: number } = { delim: ",", score: -1 };
  const complete = head.lastIndexOf("\n") > 0 ? head.slice(0, head.lastIndexOf("\n") + 1) : head;
  for (const delim of DELIMITERS) {
    const rows: string[][] = [];
    parseRecords(complete, delim, true, (cells) => rows.push(cells), () => rows.length >= 100);
    records[delim] = rows;
    if (rows.length === 0) continue;
    const width = rows[0]!.length;
    if (width < 2) continue;
    const consistent = rows.filter((r) => r.length === width).length / rows.length;
    const score = consistent * 1000 + width;
    if (consistent >= 0.9 && score > best.score) best = { delim, score };
  }
  const rows = records[best.delim] ?? [];
  return { delimiter: best.delim, header: hasHeader(rows) };
}

function hasHeader(rows: string[][]): boolean {
  if (rows.length < 2) return rows.length === 1 && rows[0]!.every((c) => !Number.isFinite(cellNumber(c.trim())) && c.trim() !== "");
  const first = rows[0]!;
  const rest = rows.slice(1, 51);
  let votes = 0;
  for (let j = 0; j < first.length; j++) {
    const h = first[j]!.trim();
    const headNumeric = h !== "" && Number.isFinite(Number(h));
    const col = rest.map((r) => (r[j] ?? "").trim()).filter((v) => v !== "");
    if (col.length === 0) continue;
    const numericShare = col.filter((v) => Number.isFinite(Number(v))).length / col.length;
    if (numericShare >= 0.9 && !headNumeric && h !== "") votes++;
    else if (numericShare >= 0.9 && headNumeric) votes--;
    else if (!col.includes(h) && h !== "") votes += 0.5;
    else votes -= 0.5;
  }
  return votes > 0;
}

export async function loadCsv(path: string, head: Buffer, hints: LoadHints, limits: LoadLimits, options: LoadOptions = {}): Promise<DatasetTable> {
  const headText = head.toString("utf8").replace(/^\uFEFF/, "");
  const dialect = sniffDialect(headText);
  const size = (await stat(path)).size;
  let builder: TableBuilder | undefined;
  let names: string[] = [];
  let row = 0;
  let leftover = "";
  const maxRows = limits.maxRows ?? Infinity;
  const firstLine = headText.indexOf("\n");
  const bytesPerRow = firstLine > 0 ? Math.max(8, Buffer.byteLength(headText.slice(0, headText.lastIndexOf("\n"))) / Math.max(1, headText.split("\n").length - 1)) : 64;
  const expectedRows = Math.min(Math.ceil((size / bytesPerRow) * 1.05) + 16, maxRows === Infinity ? Number.MAX_SAFE_INTEGER : maxRows);

  // Physical line of a record: newlines counted from the last record start in the current text.
  const rowLines = new RowLines();
  let text = "";
  let scanPos = 0;
  let scanLine = 1;
  const onRecord = (cells: string[], start: number): void => {
    scanLine += countNewlines(text, scanPos, start);
    scanPos = start;
    if (!builder) {
      if (dialect.header) {
        names = cells.map((c, j) => c.trim() || `column_${j}`);
        builder = new TableBuilder(dialect.delimiter === "\t" ? "tsv" : "csv", names, hints, expectedRows, limits.maxInMemoryBytes);
        return;
      }
      names = cells.map((_, j) => `column_${j}`);
      builder = new TableBuilder(dialect.delimiter === "\t" ? "tsv" : "csv", names, hints, expectedRows, limits.maxInMemoryBytes);
    }
    if (cells.length !== names.length) {
      if (cells.length > names.length) cells.length = names.length;
      else while (cells.length < names.length) cells.push("");
    }
    options.onRecord?.(cells, row, names);
    rowLines.set(row, scanLine);
    builder.push(cells);
    row++;
  };
  const stop = (): boolean => row >= maxRows || (builder?.full ?? false);
  await streamText(
    path,
    (chunk, final) => {
      const all = leftover + chunk;
      text = all;
      const used = parseRecords(all, dialect.delimiter, final, onRecord, stop);
      scanLine += countNewlines(all, scanPos, used);
      scanPos = 0;
      leftover = all.slice(used);
    },
    (bytes) => options.onProgress?.(size > 0 ? bytes / size : 1),
    stop,
  );
  if (!builder) throw new DatasetLoadError("the file holds no records");
  if (row >= maxRows && maxRows !== Infinity) builder.markTruncated(`stopped after ${maxRows} rows (maxRows)`);
  const table = builder.finish();
  table.rowLines = rowLines.finish();
  return table;
}
