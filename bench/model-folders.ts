// Benchmark of chat-template analysis (npm run build && node dist/bench/model-folders.js).
//
// Input: the benign and malicious templates of fixtures/model-folders (real model-family
// templates, Qwen 2.5 tools the longest), repeated to about 8 MiB of template text. Measured
// in one run, CPU time: (1) the baseline, @huggingface/jinja tokenising and parsing the same
// templates and nothing else; (2) aigis's analysis (parse + fold + judge). The ratio is the
// cost of the judging walk over the parse it needs anyway.

import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { analyseChatTemplate, chatTemplateLists } from "../src/scanners/artifacts/formats/chat-template";

const FIXTURES = resolve(__dirname, "..", "..", "fixtures", "model-folders");
const manifest = JSON.parse(readFileSync(join(FIXTURES, "manifest.json"), "utf8")) as Record<string, { verdict: string }>;

function templates(): string[] {
  const out: string[] = [];
  for (const path of Object.keys(manifest)) {
    const text = readFileSync(join(FIXTURES, path), "utf8");
    if (path.endsWith("tokenizer_config.json")) {
      const t = (JSON.parse(text) as { chat_template?: unknown }).chat_template;
      if (typeof t === "string") out.push(t);
      else if (Array.isArray(t)) for (const x of t as Array<{ template?: string }>) if (x.template) out.push(x.template);
    } else if (/\.(jinja|j2|template)$/.test(path)) out.push(text);
  }
  return out;
}

function cpu<T>(fn: () => T): { seconds: number; result: T } {
  const start = process.cpuUsage();
  const result = fn();
  const used = process.cpuUsage(start);
  return { seconds: (used.user + used.system) / 1e6, result };
}

function main(): void {
  const base = templates();
  const bytesPer = base.reduce((a, t) => a + Buffer.byteLength(t), 0);
  const repeat = Math.ceil((8 * 1024 * 1024) / bytesPer);
  const lists = chatTemplateLists();
  const jinja = require("@huggingface/jinja") as { tokenize(s: string): unknown[]; parse(t: unknown[]): unknown };
  // Warm both paths once.
  for (const t of base) {
    analyseChatTemplate(t, lists);
    try {
      jinja.parse(jinja.tokenize(t));
    } catch {
      /* refused statements are part of the input */
    }
  }
  const parseOnly = cpu(() => {
    let n = 0;
    for (let r = 0; r < repeat; r++)
      for (const t of base) {
        try {
          jinja.parse(jinja.tokenize(t));
        } catch {
          /* same input as the analysis */
        }
        n++;
      }
    return n;
  });
  const analysis = cpu(() => {
    let issues = 0;
    for (let r = 0; r < repeat; r++) for (const t of base) issues += analyseChatTemplate(t, lists).issues.length;
    return issues;
  });
  const mib = (bytesPer * repeat) / (1024 * 1024);
  process.stdout.write(`templates: ${base.length} distinct, ${parseOnly.result} analysed, ${mib.toFixed(1)} MiB of template text\n`);
  process.stdout.write(`baseline (tokenize + parse only): ${parseOnly.seconds.toFixed(2)} s CPU, ${(mib / parseOnly.seconds).toFixed(1)} MiB/s\n`);
  process.stdout.write(`aigis analysis (parse + fold + judge): ${analysis.seconds.toFixed(2)} s CPU, ${(mib / analysis.seconds).toFixed(1)} MiB/s, ${analysis.result} issues\n`);
  process.stdout.write(`ratio analysis / baseline: ${(analysis.seconds / parseOnly.seconds).toFixed(2)}\n`);
}

main();
