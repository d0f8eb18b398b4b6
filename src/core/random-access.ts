import { open, type FileHandle } from "node:fs/promises";

import type { RandomAccessFile } from "../types";

export type { RandomAccessFile };

export class BufferFile implements RandomAccessFile {
  constructor(private readonly buf: Buffer) {}
  get size(): number {
    return this.buf.length;
  }
  async read(offset: number, length: number): Promise<Buffer> {
    const start = Math.max(0, Math.min(offset, this.buf.length));
    return this.buf.subarray(start, Math.min(this.buf.length, start + Math.max(0, length)));
  }
}

export class DiskFile implements RandomAccessFile {
  private constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<DiskFile> {
    const handle = await open(path, "r");
    try {
      const st = await handle.stat();
      return new DiskFile(handle, st.size);
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const start = Math.max(0, Math.min(offset, this.size));
    const len = Math.max(0, Math.min(length, this.size - start));
    const buf = Buffer.allocUnsafe(len);
    let done = 0;
    while (done < len) {
      const { bytesRead } = await this.handle.read(buf, done, len - done, start + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === len ? buf : buf.subarray(0, done);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
