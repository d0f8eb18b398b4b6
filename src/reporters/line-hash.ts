// partialFingerprints.primaryLocationLineHash as GitHub code scanning computes it (the
// codeql-action upload step): a rolling polynomial hash (base 37, modulo 2^64) over a window
// of the next 100 non-whitespace characters starting at each line, with CR and CRLF read as
// LF, written "<hex>:<occurrence>" where the occurrence counts repeats of the same hash.
// The 64-bit arithmetic is done on two 32-bit halves held in doubles (every intermediate
// stays below 2^53, so it is exact), which is far faster than BigInt.

const BLOCK_SIZE = 100;
const MOD = 37;
const EOF_CHAR = 65535;
const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const TWO32 = 4294967296;

/** 37^100 mod 2^64 as [hi, lo]. */
function firstMod(): [number, number] {
  let hi = 0;
  let lo = 1;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    const l = lo * MOD;
    const carry = Math.floor(l / TWO32);
    lo = l % TWO32;
    hi = (hi * MOD + carry) % TWO32;
  }
  return [hi, lo];
}
const [FM_HI, FM_LO] = firstMod();

function toHex(hi: number, lo: number): string {
  return hi === 0 ? lo.toString(16) : hi.toString(16) + lo.toString(16).padStart(8, "0");
}

/** Line hashes of a text, indexed by 1-based line number (index 0 unused). */
export function lineHashes(text: string): string[] {
  const out: string[] = [""];
  const window = new Array<number>(BLOCK_SIZE).fill(0);
  const lineNumbers = new Array<number>(BLOCK_SIZE).fill(-1);
  const counts = new Map<string, number>();
  let hi = 0;
  let lo = 0;
  let index = 0;
  let lineNumber = 0;
  let lineStart = true;
  let prevCR = false;

  const emit = (): void => {
    const hex = toHex(hi, lo);
    const n = (counts.get(hex) ?? 0) + 1;
    counts.set(hex, n);
    out[lineNumbers[index]!] = `${hex}:${n}`;
    lineNumbers[index] = -1;
  };
  // hash = 37 * hash + current - 37^100 * begin  (mod 2^64)
  const update = (current: number): void => {
    const begin = window[index]!;
    window[index] = current;
    let l = lo * MOD + current;
    let h = hi * MOD + Math.floor(l / TWO32);
    l %= TWO32;
    const pl = FM_LO * begin;
    const ph = FM_HI * begin + Math.floor(pl / TWO32);
    l -= pl % TWO32;
    h -= ph % TWO32;
    if (l < 0) {
      l += TWO32;
      h -= 1;
    }
    h %= TWO32;
    if (h < 0) h += TWO32;
    hi = h;
    lo = l;
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
