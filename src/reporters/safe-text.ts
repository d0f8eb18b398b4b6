// Text from scanned files (names, members, columns, messages quoting them) reaches terminals
// and markdown renderers. Control characters in it could move the cursor, recolour or clear a
// terminal, forge extra lines, or (bidirectional overrides) show text in another order than
// it is; backticks and brackets could break out of markdown code spans and links.

/** C0 and C1 controls, DEL, and the Unicode bidirectional overrides and isolates. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Control characters shown as visible escapes (`\n`, `\x1B`, `\u202E`), so nothing reaches the terminal raw. */
export function visibleControls(s: string): string {
  return s.replace(UNSAFE, (ch) => {
    if (ch === "\n") return "\\n";
    if (ch === "\r") return "\\r";
    if (ch === "\t") return "\\t";
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).toUpperCase().padStart(2, "0")}` : `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
  });
}

/** A markdown code span that holds `s` whatever backticks it contains (CommonMark: a longer fence). */
export function markdownCode(s: string): string {
  const text = visibleControls(s);
  let longest = 0;
  for (const run of text.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") || text === "" ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** Plain markdown text: punctuation that would start emphasis, code, links, HTML or headings is backslash-escaped. */
export function markdownText(s: string): string {
  return visibleControls(s).replace(/[\\`*_{}[\]<>#!|~]/g, "\\$&");
}
