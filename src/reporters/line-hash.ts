// partialFingerprints.primaryLocationLineHash as GitHub code scanning computes it (the
// codeql-action upload step): a rolling polynomial hash (base 37, modulo 2^64) over a window
// of the next 100 non-whitespace characters starting at each line, with CR and CRLF read as
// LF, written "<hex>:<occurrence>" where the occurrence counts repeats of the same hash.

const BLOCK_SIZE = 100;
const MOD = 37n;
const MASK = (1n << 64n) - 1n;
const EOF_CHAR = 65535;
const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;

let firstModCache: bigint | undefined;
function firstMod(): bigint {
  if (firstModCache === undefined) {
    let m = 1n;
    for (let i = 0; i < BLOCK_SIZE; i++) m = (m * MOD) & MASK;
    firstModCache = m;
  }
  return firstModCache;
}

/** Line hashes of a text, indexed by 1-based line number (index 0 unused). */
export function lineHashes(text: string): string[] {
  const out: string[] = [""];
  const window = new Array<number>(BLOCK_SIZE).fill(0);
  const lineNumbers = new Array<number>(BLOCK_SIZE).fill(-1);
  const counts = new Map<string, number>();
  const fm = firstMod();
  let hash = 0n;
  let index = 0;
  let lineNumber = 0;
  let lineStart = true;
  let prevCR = false;

  const emit = (): void => {
    const hex = hash.toString(16);
    const n = (counts.get(hex) ?? 0) + 1;
    counts.set(hex, n);
    out[lineNumbers[index]!] = `${hex}:${n}`;
    lineNumbers[index] = -1;
  };
  const update = (current: number): void => {
    const begin = window[index]!;
    window[index] = current;
    hash = (MOD * hash + BigInt(current) - fm * BigInt(begin)) & MASK;
    index = (index + 1) % BLOCK_SIZE;
  };
  const processChar = (ch: number): void => {
    let current = ch;
    if (current === SPACE || current === TAB || (prevCR && current === LF)) {
      prevCR = false;
      return;
    }
    if (current === CR) {
      current = LF;
      prevCR = true;
    } else {
      prevCR = false;
    }
    if (lineNumbers[index] !== -1) emit();
    if (lineStart) {
      lineStart = false;
      lineNumber++;
      lineNumbers[index] = lineNumber;
    }
    if (current === LF) lineStart = true;
    update(current);
  };

  for (let i = 0; i < text.length; i++) processChar(text.charCodeAt(i));
  processChar(EOF_CHAR);
  for (let i = 0; i < BLOCK_SIZE; i++) {
    if (lineNumbers[index] !== -1) emit();
    update(0);
  }
  return out;
}
