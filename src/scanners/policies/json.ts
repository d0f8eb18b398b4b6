// Strict JSON (RFC 8259, as IAM reads it) into the position-aware tree. Hand-written because
// it must give every value its line and keep the partial tree after an error; strings and
// numbers are decoded by the native JSON.parse, so escapes follow the standard exactly.

import type { SEntry, SNode, SourceError } from "./source";

class Stop extends Error {}

const STRING = /"((?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*)"/y;
const WHITESPACE = /[ \t\r\n]*/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const MAX_DEPTH = 512;

export class NodeBudgetError extends Error {
  override name = "NodeBudgetError";
}

export function parseStrictJson(text: string, budget: number): { root?: SNode; error?: SourceError } {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let lineStart = 0;
  let nodes = 0;
  let error: SourceError | undefined;

  const fail = (message: string, at = pos): never => {
    // The line of `at`: count newlines between the current position and `at` when `at` is ahead.
    let l = line;
    let ls = lineStart;
    for (let i = pos; i < at; i++) if (text.charCodeAt(i) === 10) (l++, (ls = i + 1));
    error = { line: l, column: at - ls + 1, message };
    throw new Stop();
  };

  const ws = (): void => {
    const c = text.charCodeAt(pos);
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return;
    WHITESPACE.lastIndex = pos;
    const run = WHITESPACE.exec(text)![0];
    for (let i = run.indexOf("\n"); i >= 0; i = run.indexOf("\n", i + 1)) {
      line++;
      lineStart = pos + i + 1;
    }
    pos += run.length;
  };

  const count = (): void => {
    if (++nodes > budget) throw new NodeBudgetError(`more than ${budget} JSON nodes`);
  };

  const string = (): string => {
    const start = pos;
    STRING.lastIndex = pos;
    const m = STRING.exec(text);
    if (!m) {
      // Find what breaks the string for the message.
      let i = pos + 1;
      for (;;) {
        const c = text.charCodeAt(i);
        if (Number.isNaN(c)) return fail("unexpected end of input in a string", i);
        if (c < 0x20) return fail("invalid character in a string", i);
        if (c === 92) {
          if (!/["\\/bfnrtu]/.test(text.charAt(i + 1))) return fail("invalid escape in a string", i);
          i += 2;
        } else i++;
      }
    }
    pos = start + m[0].length;
    const body = m[1]!;
    if (body.indexOf("\\") < 0) return body;
    try {
      return JSON.parse(m[0]) as string;
    } catch {
      return fail("invalid escape in a string", start);
    }
  };

  // Containers are attached to their parent before their children are read, so a parse error
  // leaves everything read so far in the tree.
  const value = (depth: number, attach: (n: SNode) => void): void => {
    if (depth > MAX_DEPTH) fail("nesting deeper than 512");
    ws();
    count();
    const c = text.charCodeAt(pos);
    const here = line;
    if (c === 123) return object(here, depth, attach);
    if (c === 91) return array(here, depth, attach);
    if (c === 34) return attach({ type: "scalar", line: here, value: string() });
    if (c === 116 && text.startsWith("true", pos)) return (pos += 4), attach({ type: "scalar", line: here, value: true });
    if (c === 102 && text.startsWith("false", pos)) return (pos += 5), attach({ type: "scalar", line: here, value: false });
    if (c === 110 && text.startsWith("null", pos)) return (pos += 4), attach({ type: "scalar", line: here, value: null });
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(text);
    if (m && m[0].length > 0) {
      pos += m[0].length;
      return attach({ type: "scalar", line: here, value: Number(m[0]) });
    }
    fail(Number.isNaN(c) ? "unexpected end of input, value expected" : "value expected");
  };

  const object = (here: number, depth: number, attach: (n: SNode) => void): void => {
    const entries: SEntry[] = [];
    attach({ type: "object", line: here, entries });
    pos++;
    ws();
    if (text.charCodeAt(pos) === 125) return void pos++;
    for (;;) {
      ws();
      if (text.charCodeAt(pos) !== 34) fail(Number.isNaN(text.charCodeAt(pos)) ? "unexpected end of input, property name expected" : "property name expected");
      const keyLine = line;
      const key = string();
      ws();
      if (text.charCodeAt(pos) !== 58) fail(Number.isNaN(text.charCodeAt(pos)) ? "unexpected end of input, colon expected" : "colon expected");
      pos++;
      value(depth + 1, (v) => entries.push({ key, keyLine, value: v }));
      ws();
      const c = text.charCodeAt(pos);
      if (c === 44) {
        pos++;
        continue;
      }
      if (c === 125) return void pos++;
      fail(Number.isNaN(c) ? "unexpected end of input, close brace expected" : "comma expected");
    }
  };

  const array = (here: number, depth: number, attach: (n: SNode) => void): void => {
    const items: SNode[] = [];
    attach({ type: "array", line: here, items });
    pos++;
    ws();
    if (text.charCodeAt(pos) === 93) return void pos++;
    for (;;) {
      value(depth + 1, (v) => items.push(v));
      ws();
      const c = text.charCodeAt(pos);
      if (c === 44) {
        pos++;
        continue;
      }
      if (c === 93) return void pos++;
      fail(Number.isNaN(c) ? "unexpected end of input, close bracket expected" : "comma expected");
    }
  };

  let root: SNode | undefined;
  try {
    ws();
    value(0, (n) => (root = n));
    ws();
    if (pos < text.length) fail("end of input expected");
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
  }
  return error ? (root ? { root, error } : { error }) : root ? { root } : {};
}
