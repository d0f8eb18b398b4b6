// Why the policy scanner keeps its own position-aware strict JSON parser
// (src/scanners/policies/json.ts) instead of @humanwhocodes/momoa or jsonc-parser: measured on
// what it needs, a partial tree after an error, hostile nesting, and big files, as ratios to
// JSON.parse in the same run. The two libraries are not dependencies of aigis:
//   npm i --no-save @humanwhocodes/momoa jsonc-parser && npm run build && node dist/bench/json-parsers.js
import { parseStrictJson } from "../src/scanners/policies/json";

type Parser = (text: string) => unknown;
function optional(name: string): Record<string, unknown> | undefined {
  try {
    return require(name) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
const momoaLib = optional("@humanwhocodes/momoa");
const jsoncLib = optional("jsonc-parser");
const momoa: Parser | undefined = momoaLib ? (t) => (momoaLib.parse as (t: string, o: object) => unknown)(t, { ranges: true }) : undefined;
const jsonc: Parser | undefined = jsoncLib ? (t) => (jsoncLib.parseTree as (t: string, e: unknown[]) => unknown)(t, []) : undefined;
const aigis: Parser = (t) => parseStrictJson(t, 10_000_000);

const stmt = (i: number): object => ({ Sid: `S${i}`, Effect: "Allow", Principal: i === 3 ? "*" : { AWS: `arn:aws:iam::111122223333:role/r${i}` }, Action: ["s3:GetObject", "s3:PutObject"], Resource: `arn:aws:s3:::bucket-${i}/*` });
const attempt = (f: () => unknown): string => {
  try {
    f();
    return "ok";
  } catch (e) {
    return `throws ${(e as Error).name}`;
  }
};

const truncated = JSON.stringify({ Version: "2012-10-17", Statement: Array.from({ length: 8 }, (_, i) => stmt(i)) }, null, 2);
const cut = truncated.slice(0, Math.floor(truncated.length * 0.7));
const partial = parseStrictJson(cut, 500_000);
console.log("1. truncated policy (70% of the text):");
console.log(`   aigis: partial tree kept, error at ${partial.error?.line}:${partial.error?.column}`);
if (momoa) console.log(`   momoa: ${attempt(() => momoa(cut))} (no partial tree: findings in the intact part are lost)`);
if (jsoncLib) {
  const errors: unknown[] = [];
  const tree = (jsoncLib.parseTree as (t: string, e: unknown[]) => unknown)(cut, errors);
  console.log(`   jsonc-parser: ${tree ? "partial tree" : "no tree"}, ${errors.length} errors`);
}

const deep = "[".repeat(100_000) + "]".repeat(100_000);
console.log("2. nesting depth 100,000:");
console.log(`   aigis: ${parseStrictJson(deep, 500_000).error?.message ?? "tree"}`);
if (momoa) console.log(`   momoa: ${attempt(() => momoa(deep))}`);
if (jsonc) console.log(`   jsonc-parser: ${attempt(() => jsonc(deep))}`);

const big = JSON.stringify({ Version: "2012-10-17", Statement: Array.from({ length: 20_000 }, (_, i) => stmt(i)) }, null, 2);
const median = (f: () => unknown): number => {
  const t: number[] = [];
  for (let i = 0; i < 5; i++) {
    const s = process.hrtime.bigint();
    f();
    t.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  return t.sort((a, b) => a - b)[2]!;
};
const base = median(() => JSON.parse(big));
console.log(`3. one ${(big.length / 1048576).toFixed(1)} MiB policy (20,000 statements), median of 5, ratio to JSON.parse (${base.toFixed(0)} ms):`);
for (const [name, p] of [["aigis", aigis], ["momoa", momoa], ["jsonc-parser", jsonc]] as const) {
  if (p) console.log(`   ${name}: ${(median(() => p(big)) / base).toFixed(1)}x`);
}
if (!momoa || !jsonc) console.log("   (momoa / jsonc-parser not installed: npm i --no-save @humanwhocodes/momoa jsonc-parser)");
