// Inflates raw deflate data up to a number of output bytes and stops there, reporting
// whether more would have come. Bounded by bytes produced, not by any size a header
// declares: a zip member that declares 100 bytes and inflates to 1000 MiB costs `limit`
// bytes of memory and the CPU to produce them, no more.

import { createInflateRaw } from "node:zlib";

export interface BoundedOutput {
  data: Buffer;
  /** The stream holds more than `limit` bytes; `data` is its first `limit` bytes. */
  overflow: boolean;
}

/** With `prefix`, `input` may be cut short (a peek at a member's start): what decodes is returned instead of an error. */
export function inflateRawBounded(input: Uint8Array, limit: number, options: { prefix?: boolean } = {}): Promise<BoundedOutput> {
  return new Promise((resolve, reject) => {
    const inflater = createInflateRaw({ chunkSize: 64 * 1024 });
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      fn();
    };
    inflater.on("data", (chunk: Buffer) => {
      if (settled) return;
      if (total + chunk.length > limit) {
        chunks.push(chunk.subarray(0, limit - total));
        total = limit;
        settle(() => resolve({ data: Buffer.concat(chunks, total), overflow: true }));
        inflater.destroy();
        return;
      }
      chunks.push(chunk);
      total += chunk.length;
    });
    inflater.on("end", () => settle(() => resolve({ data: Buffer.concat(chunks, total), overflow: false })));
    inflater.on("error", (e) => settle(() => (options.prefix && total > 0 ? resolve({ data: Buffer.concat(chunks, total), overflow: false }) : reject(e))));
    inflater.end(input);
  });
}
