import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/** Streams a file through SHA-256 in 1 MiB chunks; memory stays flat whatever the size. `onBytes` sees the bytes hashed so far. */
export function sha256File(path: string | Buffer, onBytes?: (bytes: number) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    const stream = createReadStream(path, { highWaterMark: 1 << 20 });
    let bytes = 0;
    stream.on("data", (chunk) => {
      hash.update(chunk);
      bytes += chunk.length;
      onBytes?.(bytes);
    });
    stream.on("error", reject);
    stream.on("end", () => resolve(hash.digest("hex")));
  });
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
