// Streams a text file in large chunks, decoding UTF-8 across chunk boundaries.

import { createReadStream } from "node:fs";
import { StringDecoder } from "node:string_decoder";

export const CHUNK_BYTES = 4 * 1024 * 1024;

export async function streamText(
  path: string,
  onText: (text: string, final: boolean) => void,
  onBytes?: (bytesRead: number) => void,
  shouldStop?: () => boolean,
): Promise<void> {
  const decoder = new StringDecoder("utf8");
  const stream = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  let bytes = 0;
  let first = true;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      let text = decoder.write(chunk);
      if (first) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        first = false;
      }
      onText(text, false);
      onBytes?.(bytes);
      if (shouldStop?.()) return;
    }
    onText(decoder.end(), true);
  } finally {
    stream.destroy();
  }
}
