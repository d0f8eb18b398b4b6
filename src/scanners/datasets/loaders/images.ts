// Image folders in the class-per-directory layout (root/<class>/<image>): PNG via pngjs,
// JPEG via jpeg-js, decoded to pixels in (y, x, channel) order. Images of another size than
// the most common one are resampled (nearest neighbour) so every row has the same features.

import { readFile } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { tableFromMatrix } from "./table-builder";
import { DatasetLoadError, type DatasetTable } from "./types";

export interface DecodedImage {
  width: number;
  height: number;
  /** RGBA, 8 bits per channel. */
  rgba: Uint8Array;
}

/** Largest image decoded, in megapixels (a hostile header must not exhaust memory). */
const MAX_MEGAPIXELS = 50;

/** Width and height from a PNG's IHDR chunk, which the format requires to come first. */
export function pngDimensions(bytes: Buffer): { width: number; height: number } {
  if (bytes.length < 24 || bytes.toString("latin1", 12, 16) !== "IHDR") throw new DatasetLoadError("PNG has no IHDR chunk where the format puts it");
  const width = bytes.readUInt32BE(16);
  const height = bytes.readUInt32BE(20);
  // The PNG specification caps both at 2^31 - 1 and forbids zero.
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) throw new DatasetLoadError(`PNG declares an invalid size of ${width} x ${height} pixels`);
  return { width, height };
}

export function decodeImage(bytes: Buffer): DecodedImage {
  if (bytes.length >= 4 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
    // The header's size is checked before pngjs allocates for it: pngjs trusts it, and a
    // 68-byte file declaring 2147483647 x 1 aborts the process inside its inflate.
    const { width, height } = pngDimensions(bytes);
    if (width * height > MAX_MEGAPIXELS * 1e6) {
      throw new DatasetLoadError(`image is too large: ${width} x ${height} pixels declared, limit ${MAX_MEGAPIXELS} megapixels`);
    }
    const { PNG } = require("pngjs") as typeof import("pngjs"); // loaded on first use, not at start-up
    const png = PNG.sync.read(bytes);
    if (png.width !== width || png.height !== height) throw new DatasetLoadError("PNG header size changed while decoding");
    return { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
  }
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    const jpeg = require("jpeg-js") as typeof import("jpeg-js");
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_MEGAPIXELS, maxMemoryUsageInMB: 512 });
    return { width: img.width, height: img.height, rgba: img.data };
  }
  throw new DatasetLoadError("not a PNG or JPEG image");
}

/** Not one image of a folder decoded; each file's own reason is kept. */
export class NoImageDecodedError extends DatasetLoadError {
  constructor(readonly failed: Array<{ uri: string; reason: string }>) {
    super("no image in the folder could be decoded");
  }
}

export interface ImageFile {
  absPath: string;
  uri: string;
}

export interface ImageFolderResult {
  table: DatasetTable;
  /** Files that could not be decoded, with the reason. */
  failed: Array<{ uri: string; reason: string }>;
}

/**
 * Loads images whose parent folder names the class. Decoded pixels (RGBA bytes, then the
 * Float32 matrix at four times their size) stay within `maxInMemoryBytes`: images past it are
 * not read and the table records the truncation.
 */
export async function loadImageFolder(files: ImageFile[], maxInMemoryBytes = 1024 ** 3): Promise<ImageFolderResult> {
  const decoded: Array<{ file: ImageFile; img: DecodedImage; label: string }> = [];
  const failed: ImageFolderResult["failed"] = [];
  let bytes = 0;
  let stoppedAt: number | undefined;
  for (const [n, file] of files.entries()) {
    if (bytes * 2 > maxInMemoryBytes) {
      stoppedAt = n;
      break;
    }
    try {
      const img = decodeImage(await readFile(file.absPath));
      bytes += img.rgba.length;
      decoded.push({ file, img, label: basename(dirname(file.absPath)) });
    } catch (e) {
      failed.push({ uri: file.uri, reason: (e as Error).message });
    }
  }
  if (decoded.length === 0) throw new NoImageDecodedError(failed);
  // The most common size wins; channels: 1 when every pixel is grey, 3 when alpha is opaque everywhere.
  const sizes = new Map<string, number>();
  for (const d of decoded) sizes.set(`${d.img.width}x${d.img.height}`, (sizes.get(`${d.img.width}x${d.img.height}`) ?? 0) + 1);
  const [w, h] = [...sizes.entries()].sort((a, b) => b[1] - a[1])[0]![0].split("x").map(Number) as [number, number];
  let grey = true;
  let opaque = true;
  for (const d of decoded) {
    const px = d.img.rgba;
    for (let i = 0; i < px.length; i += 4) {
      if (grey && (px[i] !== px[i + 1] || px[i] !== px[i + 2])) grey = false;
      if (opaque && px[i + 3] !== 255) opaque = false;
    }
    if (!grey && !opaque) break;
  }
  const c = grey && opaque ? 1 : opaque ? 3 : 4;
  const channels = grey && opaque ? [0] : opaque ? [0, 1, 2] : [0, 1, 2, 3];
  const cols = w * h * c;
  const data = new Float32Array(decoded.length * cols);
  decoded.forEach((d, n) => {
    const { width, height, rgba } = d.img;
    for (let y = 0; y < h; y++) {
      const sy = height === h ? y : Math.min(height - 1, Math.floor((y * height) / h));
      for (let x = 0; x < w; x++) {
        const sx = width === w ? x : Math.min(width - 1, Math.floor((x * width) / w));
        const src = (sy * width + sx) * 4;
        const dst = n * cols + (y * w + x) * c;
        for (let k = 0; k < c; k++) data[dst + k] = rgba[src + channels[k]!]!;
      }
    }
  });
  const names: string[] = [];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) names.push(`x${x}_y${y}_c${k}`);
  const table = tableFromMatrix(
    "image-folder",
    data,
    decoded.length,
    cols,
    names,
    decoded.map((d) => d.label),
    "class-folder",
  );
  table.imageShape = [h, w, c];
  table.rowUris = decoded.map((d) => d.file.uri);
  if (stoppedAt !== undefined) table.truncated = { reason: `stopped after ${stoppedAt} of ${files.length} images: decoded pixels reached the in-memory limit of ${maxInMemoryBytes} bytes`, rowsRead: decoded.length };
  return { table, failed };
}

/** Groups image files into datasets: a root folder with at least two class folders of images. */
export function groupImageFolders(files: ImageFile[]): Map<string, ImageFile[]> {
  const byRoot = new Map<string, ImageFile[]>();
  for (const f of files) {
    const root = dirname(dirname(f.absPath));
    // push, not a spread copy: copying the group per image is quadratic in the folder's size.
    const group = byRoot.get(root);
    if (group) group.push(f);
    else byRoot.set(root, [f]);
  }
  const out = new Map<string, ImageFile[]>();
  for (const [root, group] of byRoot) {
    const classes = new Set(group.map((f) => dirname(f.absPath)));
    if (classes.size >= 2) out.set(root, group.sort((a, b) => a.absPath.localeCompare(b.absPath)));
  }
  return out;
}
