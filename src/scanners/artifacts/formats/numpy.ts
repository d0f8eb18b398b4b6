// NumPy .npy: magic, version, a header dict; object arrays ("|O") hold a pickle after the header.

export interface NpyHeader {
  descr: string;
  /** Offset of the array data (the pickle, for object arrays). */
  dataOffset: number;
  objectArray: boolean;
}

export function parseNpyHeader(buf: Uint8Array): NpyHeader {
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (view.length < 10 || view.toString("latin1", 0, 6) !== "\x93NUMPY") throw new Error("not an .npy file");
  const major = view[6]!;
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (view.length < 12) throw new Error("truncated .npy header");
    headerLen = view.readUInt32LE(8);
    start = 12;
  } else {
    throw new Error(`unknown .npy version ${major}`);
  }
  if (start + headerLen > view.length) throw new Error("the .npy header runs past the end of the file");
  const header = view.toString(major === 3 ? "utf8" : "latin1", start, start + headerLen);
  const m = /['"]descr['"]\s*:\s*(['"])(.*?)\1/.exec(header) ?? /['"]descr['"]\s*:\s*(\[)/.exec(header);
  if (!m) throw new Error("the .npy header has no descr");
  const descr = m[1] === "[" ? "structured" : m[2]!;
  // A structured dtype with an object field ('O') also pickles its contents.
  const objectArray = descr === "structured" ? /['"]\|?O['"]/.test(header) : /^[|<>=]?O\d*$/.test(descr);
  return { descr, dataOffset: start + headerLen, objectArray };
}
