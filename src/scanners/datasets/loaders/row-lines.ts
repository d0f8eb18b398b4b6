// The physical line each data row starts on, so findings on a row of a text dataset point at
// its line (SARIF regions, editors). Rows and lines differ: headers, blank lines, lines that are
// not records, and quoted CSV fields holding newlines.

export class RowLines {
  private lines = new Uint32Array(1024);
  private count = 0;

  /** Records the 1-based line of data row `row` (rows arrive in order). */
  set(row: number, line: number): void {
    if (row >= this.lines.length) {
      const grown = new Uint32Array(Math.max(row + 1, this.lines.length * 2));
      grown.set(this.lines.subarray(0, this.count));
      this.lines = grown;
    }
    this.lines[row] = line;
    this.count = Math.max(this.count, row + 1);
  }

  finish(): Uint32Array {
    return this.lines.slice(0, this.count);
  }
}

/** Newlines in text[from, to). */
export function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf("\n", from); i >= 0 && i < to; i = text.indexOf("\n", i + 1)) n++;
  return n;
}
