// XML model files (PMML, OpenVINO IR .xml): the document type declaration is read from the
// prolog for entity declarations, and the body is checked for well-formedness by
// fast-xml-parser, which never resolves external entities. A model file needs no DTD.

import { XMLParser, XMLValidator } from "fast-xml-parser";
import type { XmlDocument } from "./documents";

/** Reads the prolog and root of an XML text; undefined when the text is not XML. */
export function readXml(text: string): XmlDocument | undefined {
  const start = text.search(/\S/);
  if (start < 0 || text[start] !== "<") return undefined;
  const doc: XmlDocument = { root: undefined, doctype: undefined, entities: [], wellFormed: false };
  // The DOCTYPE sits in the prolog, before the root element: walk declarations, comments and PIs.
  let p = start;
  while (p < text.length) {
    if (text.startsWith("<?", p)) {
      const end = text.indexOf("?>", p);
      if (end < 0) break;
      p = end + 2;
    } else if (text.startsWith("<!--", p)) {
      const end = text.indexOf("-->", p);
      if (end < 0) break;
      p = end + 3;
    } else if (text.startsWith("<!DOCTYPE", p) || text.startsWith("<!doctype", p)) {
      const end = doctypeEnd(text, p);
      doc.doctype = text.slice(p, end);
      readEntities(doc, text, p, end);
      p = end;
    } else if (text[p] === "<") {
      const m = /^<([A-Za-z_][\w.:-]*)/.exec(text.slice(p, p + 256));
      if (m) doc.root = m[1]!.replace(/^.*:/, "");
      break;
    } else if (/\s/.test(text[p]!)) {
      p++;
    } else break;
  }
  const validation = XMLValidator.validate(doc.doctype ? text.replace(doc.doctype, " ".repeat(doc.doctype.length)) : text);
  if (validation === true) {
    doc.wellFormed = true;
    try {
      // processEntities off: the parser must not expand anything the file declares.
      new XMLParser({ processEntities: false, ignoreAttributes: true, stopNodes: ["*.*"] }).parse(text.replace(doc.doctype ?? "\0", ""));
    } catch (e) {
      doc.wellFormed = false;
      doc.error = (e as Error).message;
    }
  } else {
    doc.error = validation.err.msg;
  }
  return doc;
}

/** End of a DOCTYPE declaration, past its internal subset in brackets, skipping quoted strings. */
function doctypeEnd(text: string, from: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = from + 9; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "[") depth++;
    else if (c === "]") depth--;
    else if (c === ">" && depth <= 0) return i + 1;
  }
  return text.length;
}

function readEntities(doc: XmlDocument, text: string, from: number, to: number): void {
  const subset = text.slice(from, to);
  const decl = /<!ENTITY\s+(%\s+)?([^\s]+)\s+(?:(SYSTEM|PUBLIC)\s+(?:("[^"]*"|'[^']*')\s+)?("[^"]*"|'[^']*')|("[^"]*"|'[^']*'))/g;
  for (let m = decl.exec(subset); m; m = decl.exec(subset)) {
    const external = m[3] !== undefined;
    const system = external ? m[5]!.slice(1, -1) : undefined;
    doc.entities.push({ name: m[2]!, external, parameter: m[1] !== undefined, offset: Buffer.byteLength(text.slice(0, from + m.index)), ...(system !== undefined ? { system } : {}) });
  }
  // The DTD itself may be external: <!DOCTYPE x SYSTEM "http://...">.
  const ext = /^<!DOCTYPE\s+[^\s[>]+\s+(SYSTEM|PUBLIC)\s+(?:("[^"]*"|'[^']*')\s+)?("[^"]*"|'[^']*')/i.exec(subset);
  if (ext) doc.entities.push({ name: "(external DTD)", external: true, parameter: false, system: ext[3]!.slice(1, -1), offset: Buffer.byteLength(text.slice(0, from)) });
}
