// Settings that name things must name things that exist: a misspelt rule id in the config's
// `rules` map would otherwise be ignored and the rule keep its default severity.

import { UsageError } from "../core/errors";

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The known id closest to `wanted`, when it is close enough to be a likely typo. */
export function didYouMean(wanted: string, known: Iterable<string>): string | undefined {
  let best: { id: string; d: number } | undefined;
  for (const id of known) {
    const d = distance(wanted.toLowerCase(), id.toLowerCase());
    if (!best || d < best.d) best = { id, d };
  }
  return best && best.d <= Math.max(2, Math.floor(wanted.length / 3)) ? best.id : undefined;
}

/** Exit 2 for every rule id in the config's `rules` map that no rule has, with a suggestion. */
export function checkConfigRuleIds(rules: Record<string, unknown> | undefined, known: ReadonlySet<string>, configPath: string | undefined): void {
  if (!rules) return;
  const unknown = Object.keys(rules).filter((id) => !known.has(id));
  if (unknown.length === 0) return;
  const where = configPath ? ` in ${configPath}` : "";
  const parts = unknown.map((id) => {
    const hint = didYouMean(id, known);
    return `'${id}'${hint ? ` (did you mean '${hint}'?)` : ""}`;
  });
  throw new UsageError(`unknown rule id${unknown.length === 1 ? "" : "s"}${where}: ${parts.join(", ")}; aigis rules lists them`);
}
