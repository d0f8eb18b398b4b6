// The fixed-budget fuzz run of the test suite: the same 80 mutants of every fixture kind each
// time (seed 12); `npm run fuzz` runs the same engine for as long as asked, in a child process
// that also catches hangs and native aborts.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collectSeeds, mutate, prng, scanMutant } from "../../bench/fuzz/engine";

const FIXTURES = join(__dirname, "../../fixtures");

describe("fuzzing (fixed budget)", () => {
  it("80 seeded mutants over every fixture kind: a report for each, in bounded time, without internal error text", async () => {
    const seeds = await collectSeeds(FIXTURES);
    expect(new Set(seeds.map((s) => s.kind)).size).toBeGreaterThan(20);
    const rand = prng(12);
    const dir = mkdtempSync(join(tmpdir(), "aigis-fuzz-test-"));
    const problems: string[] = [];
    for (let n = 0; n < 80; n++) {
      const seed = seeds[Math.floor(rand() * seeds.length)]!;
      const { bytes, ops } = mutate(seed.bytes, rand, seeds[Math.floor(rand() * seeds.length)]!.bytes);
      try {
        const r = await scanMutant(join(dir, String(n)), seed, bytes, FIXTURES);
        if (r.ms > 20_000) problems.push(`${seed.kind} mutant ${n} (${ops.join("; ")}): ${Math.round(r.ms)} ms`);
        for (const t of r.internalErrors) problems.push(`${seed.kind} mutant ${n} (${ops.join("; ")}): ${t}`);
      } catch (e) {
        problems.push(`${seed.kind} mutant ${n} (${ops.join("; ")}): threw ${(e as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
  }, 120_000);
});
