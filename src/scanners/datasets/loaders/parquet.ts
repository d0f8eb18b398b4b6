// Parquet through hyparquet. hyparquet is ESM-only; aigis is CommonJS and its tests run
// under ts-jest, whose module system can neither require() nor import() an ES module. So
// the file is read in a short-lived worker thread, a plain Node environment where
// import() works, and rows come back one row group at a time.

import { stat } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { TableBuilder } from "./table-builder";
import { DatasetLoadError, type DatasetTable, type LoadHints, type LoadLimits, type LoadOptions, type RawCell } from "./types";

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
let phase = "metadata";
let group = 0;
(async () => {
  const hp = await import(workerData.moduleUrl);
  const file = await hp.asyncBufferFromFile(workerData.path);
  const metadata = await hp.parquetMetadataAsync(file);
  phase = "schema";
  const schema = hp.parquetSchema(metadata);
  const names = schema.children.map((c) => c.element.name);
  const total = Number(metadata.num_rows);
  parentPort.postMessage({ type: "schema", names, total });
  phase = "rows";
  let start = 0;
  for (const g of metadata.row_groups) {
    if (start >= workerData.maxRows) break;
    const end = Math.min(start + Number(g.num_rows), workerData.maxRows);
    let rows;
    await hp.parquetRead({ file, metadata, rowStart: start, rowEnd: end, onComplete: (r) => { rows = r; } });
    // A read that settles without its rows would otherwise leave the caller waiting forever.
    if (rows === undefined) throw new Error("row group " + group + " ended without its rows");
    parentPort.postMessage({ type: "rows", rows });
    start = end;
    group++;
  }
  parentPort.postMessage({ type: "end" });
})().catch((e) => parentPort.postMessage({ type: "error", name: (e && e.name) || "Error", message: String((e && e.message) || e), phase, group }));
`;

/** Where in the file a reader that tripped over its own internals was: the user needs that, not the internal error. */
function brokenPart(phase: string | undefined, group: number | undefined): string {
  if (phase === "metadata" || phase === "schema") return "the footer metadata is malformed (a field is missing, of the wrong type or out of range)";
  return `a page of row group ${group ?? 0} is malformed (its header or encoded values do not decode)`;
}

/**
 * How long the reader may go without delivering anything (schema or a row group) before it is
 * stopped: a malformed page can leave hyparquet waiting forever or spinning. Generous for real
 * files: 10 s plus 2 s per MiB of the file.
 */
export function parquetStallMs(fileBytes: number): number {
  return (10 + (2 * fileBytes) / (1024 * 1024)) * 1000;
}

interface WorkerMessage {
  type: "schema" | "rows" | "end" | "error";
  name?: string;
  phase?: string;
  group?: number;
  names?: string[];
  total?: number;
  rows?: RawCell[][];
  message?: string;
}

export async function loadParquet(path: string, hints: LoadHints, limits: LoadLimits, options: LoadOptions = {}): Promise<DatasetTable> {
  const moduleUrl = pathToFileURL(require.resolve("hyparquet")).href;
  const maxRows = limits.maxRows ?? Number.MAX_SAFE_INTEGER;
  let builder: TableBuilder | undefined;
  let names: string[] = [];
  let total = 0;
  let row = 0;
  const stallMs = Math.min(parquetStallMs((await stat(path)).size), limits.maxSeconds !== undefined ? limits.maxSeconds * 1000 : Infinity);
  await new Promise<void>((resolve, reject) => {
    // The reader's heap is bounded too: a hostile page size must not take the process's memory.
    const heapMb = Math.max(256, Math.ceil((2 * limits.maxInMemoryBytes) / (1024 * 1024)));
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { moduleUrl, path, maxRows }, resourceLimits: { maxOldGenerationSizeMb: heapMb } });
    let settled = false;
    let stall: NodeJS.Timeout | undefined;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(stall);
      void worker.terminate();
      if (err) reject(err);
      else resolve();
    };
    const watch = (): void => {
      clearTimeout(stall);
      stall = setTimeout(() => finish(new DatasetLoadError(`Parquet could not be read: the reader made no progress for ${Math.round(stallMs / 1000)} s (${brokenPart("rows", undefined).replace(/ of row group \d+/, "")})`)), Math.min(2 ** 31 - 1, stallMs));
    };
    watch();
    worker.on("message", (msg: WorkerMessage) => {
      watch();
      try {
        if (msg.type === "schema") {
          names = msg.names ?? [];
          total = msg.total ?? 0;
          builder = new TableBuilder("parquet", names, hints, Math.min(total, maxRows), limits.maxInMemoryBytes);
        } else if (msg.type === "rows") {
          for (const cells of msg.rows ?? []) {
            if (builder!.full) break;
            options.onRecord?.(cells, row, names);
            builder!.push(cells);
            row++;
          }
          options.onProgress?.(total > 0 ? row / total : 1);
        } else if (msg.type === "end") finish();
        else {
          const internal = /^(TypeError|RangeError|ReferenceError)$/.test(msg.name ?? "");
          finish(new DatasetLoadError(`Parquet could not be read: ${internal ? brokenPart(msg.phase, msg.group) : (msg.message ?? "unknown error")}`));
        }
      } catch (e) {
        finish(e as Error);
      }
    });
    worker.on("error", (e) => finish(new DatasetLoadError(`Parquet could not be read: ${e.message}`)));
    // Exiting before "end" is never success: rows would be missing without a word.
    worker.on("exit", (code) => finish(new DatasetLoadError(code === 0 ? "Parquet reader stopped before the end of the file" : `Parquet reader stopped with code ${code} (out of memory on a malformed page?)`)));
  });
  if (!builder) throw new DatasetLoadError("Parquet file has no schema");
  if (row < total && row >= maxRows) builder.markTruncated(`stopped after ${maxRows} rows (maxRows)`);
  return builder.finish();
}
