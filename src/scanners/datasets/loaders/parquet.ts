// Parquet through hyparquet. hyparquet is ESM-only; aigis is CommonJS and its tests run
// under ts-jest, whose module system can neither require() nor import() an ES module. So
// the file is read in a short-lived worker thread, a plain Node environment where
// import() works, and rows come back one row group at a time.

import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { TableBuilder } from "./table-builder";
import { DatasetLoadError, type DatasetTable, type LoadHints, type LoadLimits, type LoadOptions, type RawCell } from "./types";

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
(async () => {
  const hp = await import(workerData.moduleUrl);
  const file = await hp.asyncBufferFromFile(workerData.path);
  const metadata = await hp.parquetMetadataAsync(file);
  const schema = hp.parquetSchema(metadata);
  const names = schema.children.map((c) => c.element.name);
  const total = Number(metadata.num_rows);
  parentPort.postMessage({ type: "schema", names, total });
  let start = 0;
  for (const group of metadata.row_groups) {
    if (start >= workerData.maxRows) break;
    const end = Math.min(start + Number(group.num_rows), workerData.maxRows);
    await new Promise((resolve, reject) => {
      hp.parquetRead({ file, metadata, rowStart: start, rowEnd: end, onComplete: (rows) => { parentPort.postMessage({ type: "rows", rows }); resolve(); } }).catch(reject);
    });
    start = end;
  }
  parentPort.postMessage({ type: "end" });
})().catch((e) => parentPort.postMessage({ type: "error", message: String((e && e.message) || e) }));
`;

interface WorkerMessage {
  type: "schema" | "rows" | "end" | "error";
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
  await new Promise<void>((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { moduleUrl, path, maxRows } });
    let settled = false;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      if (err) reject(err);
      else resolve();
    };
    worker.on("message", (msg: WorkerMessage) => {
      try {
        if (msg.type === "schema") {
          names = msg.names ?? [];
          total = msg.total ?? 0;
          builder = new TableBuilder("parquet", names, hints, Math.min(total, maxRows));
        } else if (msg.type === "rows") {
          for (const cells of msg.rows ?? []) {
            options.onRecord?.(cells, row, names);
            builder!.push(cells);
            row++;
          }
          options.onProgress?.(total > 0 ? row / total : 1);
        } else if (msg.type === "end") finish();
        else finish(new DatasetLoadError(`Parquet could not be read: ${msg.message ?? "unknown error"}`));
      } catch (e) {
        finish(e as Error);
      }
    });
    worker.on("error", (e) => finish(new DatasetLoadError(`Parquet could not be read: ${e.message}`)));
    worker.on("exit", (code) => finish(code === 0 ? undefined : new DatasetLoadError(`Parquet reader stopped with code ${code}`)));
  });
  if (!builder) throw new DatasetLoadError("Parquet file has no schema");
  if (row < total && row >= maxRows) builder.markTruncated(`stopped after ${maxRows} rows (maxRows)`);
  return builder.finish();
}
