// dataset/backdoor-trigger needs evidence beyond label disagreement (issue 18): a pattern at
// unusual values that its source labels do not hold. Plain label noise, however systematic,
// gives no trigger finding; a pattern some source rows hold honestly is medium, not high.
import { collect, runRuleTests } from "../../helpers/rule-tester";
import { backdoorTrigger, findTriggers, logBinomialTail } from "../../../src/scanners/datasets/rules/backdoor-trigger";
import { numericDoc, seeded } from "./helpers";

const PATCH = [0, 1, 8, 9];

/**
 * 8x8 images of three classes: a bright on the left half, b on the right, c on the bottom,
 * values 0-14 (16 never occurs naturally). Class a carries a natural mark (16 at pixels 62, 63)
 * in every row, so relabelled a-rows share a distinctive pattern with each other and with a.
 */
function images(opts: { stamp?: number[]; honest?: number[]; flip?: Array<[number, string]> } = {}): { rows: number[][]; labels: string[]; names: string[] } {
  const r = seeded(9);
  const rows: number[][] = [];
  const labels: string[] = [];
  for (let i = 0; i < 600; i++) {
    const cls = ["a", "b", "c"][i % 3]!;
    const px: number[] = [];
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        const bright = cls === "a" ? x < 4 : cls === "b" ? x >= 4 : y >= 4;
        px.push(Math.round(bright ? 8 + r() * 6 : r() * 6));
      }
    }
    if (cls === "a") px[62] = px[63] = 16;
    let label = cls;
    if (opts.stamp?.includes(i) || opts.honest?.includes(i)) for (const p of PATCH) px[p] = 16;
    if (opts.stamp?.includes(i)) label = "b";
    const flipped = opts.flip?.find(([row]) => row === i);
    if (flipped) label = flipped[1];
    rows.push(px);
    labels.push(label);
  }
  return { rows, labels, names: Array.from({ length: 64 }, (_, j) => `pixel_${j}`) };
}

const doc = (set: ReturnType<typeof images>): ReturnType<typeof numericDoc> => numericDoc(set.rows, set.labels, set.names);
const rowsOf = (cls: number): number[] => Array.from({ length: 200 }, (_, k) => k * 3 + cls);

/** Rows 0, 3, 6 ... are a; 2, 5, 8 ... are c. Stamped: 15 a-rows and 15 c-rows, relabelled b. */
const STAMPED = [...rowsOf(0).slice(0, 15), ...rowsOf(2).slice(0, 15)].sort((x, y) => x - y);
/** Class-conditional flips: 30% of a relabelled b (every a-row has the mark), 10% of c relabelled a. */
const SYSTEMATIC: Array<[number, string]> = [...rowsOf(0).filter((_, k) => k % 10 < 3).map((i): [number, string] => [i, "b"]), ...rowsOf(2).filter((_, k) => k % 10 === 0).map((i): [number, string] => [i, "a"])];
/** Uniform flips: every 5th row gets the next label. */
const UNIFORM: Array<[number, string]> = Array.from({ length: 120 }, (_, k) => k * 5).map((i): [number, string] => [i, ["b", "c", "a"][i % 3]!]);

describe("dataset/backdoor-trigger evidence", () => {
  it("a pattern must beat chance: the exact binomial tail", () => {
    expect(Math.exp(logBinomialTail(5, 6, 0.1))).toBeCloseTo(6 * 0.1 ** 5 * 0.9 + 0.1 ** 6, 12);
    expect(Math.exp(logBinomialTail(10, 10, 0.1))).toBeCloseTo(1e-10, 15);
    expect(Math.exp(logBinomialTail(0, 10, 0.3))).toBe(1);
    expect(Math.exp(logBinomialTail(3, 10, 0.5))).toBeCloseTo(1 - (1 + 10 + 45) / 1024, 10);
  });

  it("a planted patch is high, with the unusual positions, their rarity and the source labels", () => {
    const triggers = findTriggers(doc(images({ stamp: STAMPED })));
    expect(triggers).toHaveLength(1);
    const tr = triggers[0]!;
    expect(tr.target).toBe("b");
    expect(tr.rows).toEqual(STAMPED);
    expect(tr.severity).toBe("high");
    expect(tr.items.map((it) => it.col)).toEqual(PATCH);
    expect(tr.evidence.sourceShare).toBe(0);
    expect(tr.evidence.elsewhereShare).toBe(0);
    expect(Math.max(...tr.evidence.itemBackground)).toBe(0);
    expect(tr.evidence.sourceLabels.map((s) => s.label).sort()).toEqual(["a", "c"]);
    expect(tr.evidence.targetShare).toBeCloseTo(30 / 230, 3);
  });

  it("the same patch also held by 1% of its source rows under their own label is medium; by 3% no trigger", () => {
    const honest = rowsOf(0).slice(100, 104);
    const triggers = findTriggers(doc(images({ stamp: STAMPED, honest })));
    expect(triggers).toHaveLength(1);
    expect(triggers[0]!.severity).toBe("medium");
    expect(triggers[0]!.evidence.sourceShare).toBeGreaterThan(0.01);
    expect(triggers[0]!.otherLabelRows).toBe(4);
    expect(findTriggers(doc(images({ stamp: STAMPED, honest: rowsOf(0).slice(100, 112) })))).toEqual([]);
  });

  it("plain label noise, however systematic, is no trigger: the relabelled rows share only what their class holds", () => {
    expect(findTriggers(doc(images({ flip: SYSTEMATIC })))).toEqual([]);
    expect(findTriggers(doc(images({ flip: UNIFORM })))).toEqual([]);
  });

  it("the message names the evidence", () => {
    const found = collect(backdoorTrigger, doc(images({ stamp: STAMPED })));
    const summary = found.filter((f) => (f.evidence as { method?: string } | undefined)?.method === "value-label association");
    expect(summary).toHaveLength(1);
    expect(summary[0]!.message).toMatch(/^Value 16 at 4 positions \(pixels x 0-1, y 0-1\) appears in 30 rows, 100% of them labelled b, while 100% of those rows otherwise resemble other labels \((a|c) \d+%, (a|c) \d+%\), whose own rows hold the pattern in 0% of cases: a backdoor trigger targeting label b\.$/);
    expect(summary[0]!.evidence).toMatchObject({ sourceShare: 0, elsewhereShare: 0, unusualPositions: 4, matchPositions: 4 });
  });
});

runRuleTests(backdoorTrigger, {
  valid: [
    { name: "class-conditional flips of a class with a distinctive mark", doc: doc(images({ flip: SYSTEMATIC })) },
    { name: "uniform flips", doc: doc(images({ flip: UNIFORM })) },
    { name: "a mark the whole class holds defines it", doc: doc(images()) },
  ],
  invalid: [
    {
      name: "a 2x2 patch on 30 rows of a and c relabelled b",
      doc: doc(images({ stamp: STAMPED })),
      findings: [
        {
          message: /^Value 16 at 4 positions .* targeting label b\.$/,
          severity: "high",
          evidence: { targetLabel: "b", rows: STAMPED, sourceShare: 0, positions: PATCH.map((p) => ({ column: `pixel_${p}`, value: 16, background: 0 })) },
        },
        ...STAMPED.map((row) => ({ message: `Row ${row} carries the backdoor trigger`, location: { row }, severity: "medium" as const })),
        { message: /^Class b has 20 rows with extreme scores on its top singular vector .* whose neighbours share their label/, severity: "low", evidence: { method: "spectral-signature" } },
      ],
    },
  ],
});
