// A third-party parser that meets a malformed file often fails with its own internal error
// ("Cannot read properties of undefined (reading 'map')", "Invalid typed array length",
// "undefined is not iterable"). That text says nothing about the file and leaks the parser's
// internals into findings; what the user needs is what part of the file is broken.

/** True for errors a parser raised by tripping over data it did not check, not by reporting a problem. */
export function isInternalParserError(e: unknown): boolean {
  return e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError || (e instanceof Error && /^(TypeError|RangeError|ReferenceError)$/.test(e.name));
}

/** The parser's own message when it describes the file, else `whatIsBroken`. */
export function describeParseFailure(e: unknown, whatIsBroken: string): string {
  if (isInternalParserError(e)) return whatIsBroken;
  const message = e instanceof Error ? e.message : String(e);
  return message.trim() === "" ? whatIsBroken : message;
}
