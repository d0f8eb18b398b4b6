import type { Rule } from "../../../types";
import { rng, type Neighbours } from "../analysis/neighbours";
import { plural, type DatasetDocument } from "../document";
import { capital } from "./label-noise";

export interface TriggerItem {
  col: number;
  value: number;
}

export interface Trigger {
  items: TriggerItem[];
  target: string;
  targetCode: number;
  /** Rows that carry every item and the target label. */
  rows: number[];
  /** Rows that carry every item but another label. */
  otherLabelRows: number;
  purity: number;
  z: number;
  /** Share of the rows whose other features (trigger masked) look like another label. */
  disagreement: number;
  /** Evidence beyond label disagreement: how unusual the pattern is outside the carrying rows. */
  evidence: TriggerEvidence;
  severity: "high" | "medium";
}

export interface TriggerEvidence {
  /** Per position: share of the rows not carrying the trigger that hold the same value there. */
  itemBackground: number[];
  /** Share of those rows that hold the whole pattern. */
  jointBackground: number;
  /** Positions whose value is unusual (background share at most `maxItemBackground`): a carrying row holds these. */
  unusualItems: number;
  /** How many unusual positions a row must match to carry the trigger. */
  matchItems: number;
  /** Labels the carrying rows resemble with the trigger masked, with the share of probed rows for each. */
  sourceLabels: Array<{ label: string; share: number }>;
  /** Share of the rows of those source labels (not carrying it under the target label) that hold the pattern. */
  sourceShare: number;
  /** Share of all rows not labelled with the target that hold the pattern. */
  elsewhereShare: number;
  /** Share of the target label's rows that carry the pattern (a feature that defines the class is near 1). */
  targetShare: number;
}

export interface SpectralOutliers {
  target: string;
  rows: number[];
  maxRobustZ: number;
}

function sampleRows(n: number, size: number, seed: number): Int32Array {
  if (n <= size) return Int32Array.from({ length: n }, (_, i) => i);
  const random = rng(seed);
  const out = new Int32Array(size);
  for (let i = 0; i < size; i++) out[i] = Math.floor(random() * n);
  return out.sort();
}

/** Fixed values at fixed positions strongly tied to one label, grouped into patches. */
export function findTriggers(doc: DatasetDocument): Trigger[] {
  const label = doc.table.label;
  const { data, rows: n, cols } = doc.table.features;
  if (!label || cols === 0 || n < 10) return [];
  const t = doc.thresholds.backdoor;
  const codes = label.codes;
  const K = label.classes.length;
  const classCount = new Float64Array(K);
  let labelled = 0;
  for (let i = 0; i < n; i++) if (codes[i]! >= 0) classCount[codes[i]!]!++, labelled++;
  // 1. Candidate values per column from a sample: repeated, but not the column's background.
  const sample = sampleRows(n, t.valueSampleRows, 7);
  const scale = n / sample.length;
  const candidates: Array<Map<number, number>> = [];
  for (let j = 0; j < cols; j++) {
    const counts = new Map<number, number>();
    for (const i of sample) {
      const v = data[i * cols + j]!;
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    const keep = new Map<number, number>();
    // On sampled (large) data a value must reach minRows in the sample itself (about 0.1% of
    // the rows with the default 5,000-row sample): chance repeats of continuous values rarely do.
    const minCount = scale > 1 ? Math.max(3, t.minRows) : 3;
    let ranked = [...counts].filter(([, c]) => c >= minCount && c / sample.length <= t.maxItemShare).sort((a, b) => b[1] - a[1]);
    if (scale > 1 && ranked.length > 0) {
      // On large data, keep only values already nearly pure in the sample (one pass per column).
      const purity = samplePurity(codes, data, sample, cols, j, ranked.map(([v]) => v), K);
      ranked = ranked.filter(([v]) => (purity.get(v) ?? 0) >= t.minPurity * 0.8);
    }
    for (const [v] of ranked.slice(0, 16)) keep.set(v, keep.size);
    candidates.push(keep);
  }
  // 2. Exact counts per class over all rows.
  const itemClass: Float64Array[] = candidates.map((m) => new Float64Array(m.size * K));
  const active = candidates.map((m, j) => (m.size > 0 ? j : -1)).filter((j) => j >= 0);
  for (const j of active) {
    const m = candidates[j]!;
    const counts = itemClass[j]!;
    for (let i = 0; i < n; i++) {
      const c = codes[i]!;
      if (c < 0) continue;
      const slot = m.get(data[i * cols + j]!);
      if (slot !== undefined) counts[slot * K + c]!++;
    }
  }
  // 3. Items whose rows are almost all one label, far above its base rate.
  const strong: Array<TriggerItem & { target: number; purity: number; z: number }> = [];
  const lifted: typeof strong = [];
  candidates.forEach((m, j) => {
    for (const [value, slot] of m) {
      let total = 0;
      let best = 0;
      for (let c = 0; c < K; c++) {
        const k = itemClass[j]![slot * K + c]!;
        total += k;
        if (k > itemClass[j]![slot * K + best]!) best = c;
      }
      const hit = itemClass[j]![slot * K + best]!;
      const p0 = classCount[best]! / labelled;
      if (hit < t.minRows || total === 0 || p0 >= 1) continue;
      const purity = hit / total;
      const z = (hit - total * p0) / Math.sqrt(total * p0 * (1 - p0));
      if (purity >= t.minPurity && z >= t.minZ) strong.push({ col: j, value, target: best, purity, z });
      else {
        // A patch drawn over the content (a ring, the centre of an image) holds values that
        // are common one by one: such an item only lifts its label. Grouped with the items
        // that share its rows it seeds a pattern, which the evidence test then judges.
        for (let c = 0; c < K; c++) {
          const k = itemClass[j]![slot * K + c]!;
          const q = classCount[c]! / labelled;
          if (k < t.minRows || k / total < t.seedMinPurity || q >= 1) continue;
          const zc = (k - total * q) / Math.sqrt(total * q * (1 - q));
          if (zc >= t.minZ) lifted.push({ col: j, value, target: c, purity: k / total, z: zc });
        }
      }
    }
  });
  const perTarget = new Map<number, number>();
  for (const item of lifted.sort((a, b) => b.z - a.z)) {
    const used = perTarget.get(item.target) ?? 0;
    if (used >= t.seedItemsPerLabel) continue;
    perTarget.set(item.target, used + 1);
    strong.push(item);
  }
  if (strong.length === 0) return [];
  // 4. Group items of one label whose row sets overlap into patches (values may differ per position).
  const seeds: Array<{ items: TriggerItem[]; target: number; z: number }> = [];
  if (strong.length > 0) {
    const rowSets = strong.map((s) => {
      const set: number[] = [];
      for (let i = 0; i < n; i++) if (codes[i] === s.target && data[i * cols + s.col] === s.value) set.push(i);
      return set;
    });
    const parent = strong.map((_, i) => i);
    const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
    for (let a = 0; a < strong.length; a++) {
      for (let b = a + 1; b < strong.length; b++) {
        if (strong[a]!.target !== strong[b]!.target) continue;
        if (jaccard(rowSets[a]!, rowSets[b]!) >= t.groupJaccard) parent[find(b)] = find(a);
      }
    }
    const groups = new Map<number, number[]>();
    strong.forEach((_, i) => groups.set(find(i), [...(groups.get(find(i)) ?? []), i]));
    for (const members of groups.values()) {
      seeds.push({ items: members.map((m) => ({ col: strong[m]!.col, value: strong[m]!.value })), target: strong[members[0]!]!.target, z: Math.max(...members.map((m) => strong[m]!.z)) });
    }
  }
  // 5. Patches whose single pixels are common (a patch in the middle of an image): rows of a
  //    class whose neighbours carry other labels, sharing one value at the same positions.
  seeds.push(...suspectSeeds(doc, sample));
  // Every (position, value, label) looked at is a test: a pattern must beat chance over all of them.
  let tests = 0;
  for (const m of candidates) tests += m.size * K;
  const triggers: Trigger[] = [];
  for (const seed of seeds) {
    const target = seed.target;
    let items = seed.items;
    let rows = carriers(doc, items, target).rows;
    if (rows.length < t.minRows) continue;
    items = extendPatch(doc, sample, rows, items);
    const carried = carriers(doc, items, target);
    rows = carried.rows;
    const other = carried.other;
    if (rows.length < t.minRows) continue;
    const total = rows.length + other;
    const p0 = classCount[target]! / labelled;
    const purity = rows.length / total;
    const z = (rows.length - total * p0) / Math.sqrt(total * p0 * (1 - p0));
    if (purity < t.minPatchPurity || z < t.minZ) continue;
    if (triggers.some((tr) => tr.targetCode === target && jaccard(tr.rows, rows) >= t.groupJaccard)) continue;
    items.sort((a, b) => a.col - b.col);
    const judged = judgePattern(doc, items, target, rows, classCount, labelled, Math.max(1, tests));
    if (!judged) continue;
    if (triggers.some((tr) => tr.targetCode === target && jaccard(tr.rows, judged.rows) >= t.groupJaccard)) continue;
    triggers.push({ ...judged, items, target: label.classes[target]!, targetCode: target });
  }
  return triggers;
}

/**
 * Label disagreement alone is what plain label noise looks like too. A trigger is a pattern
 * stamped on rows of other classes: its values are unusual at their positions for every class
 * (background share over the rows that do not carry it), the rows holding the unusual part are
 * almost all labelled with the target, their remaining content looks like other labels, and the
 * classes they look like (the sources) do not hold the pattern themselves. Rows that were merely
 * relabelled share only what their source class looks like, which that class holds too.
 */
function judgePattern(doc: DatasetDocument, items: TriggerItem[], target: number, exactRows: number[], classCount: Float64Array, labelled: number, tests: number): Omit<Trigger, "items" | "target" | "targetCode"> | undefined {
  const t = doc.thresholds.backdoor;
  const { data, rows: n, cols } = doc.table.features;
  const label = doc.table.label!;
  const codes = label.codes;
  const exact = new Uint8Array(n);
  for (const i of exactRows) exact[i] = 1;
  // 1. Per position: how common the value is among the rows that do not carry the whole pattern.
  let rest = 0;
  let restAll = 0;
  const same = new Float64Array(items.length);
  for (let i = 0; i < n; i++) {
    if (exact[i] || codes[i]! < 0) continue;
    rest++;
    const b = i * cols;
    let k = 0;
    items.forEach((it, q) => {
      if (data[b + it.col] === it.value) same[q]!++, k++;
    });
    if (k === items.length) restAll++;
  }
  const itemBackground = Array.from(same, (k) => (rest > 0 ? k / rest : 1));
  const jointBackground = rest > 0 ? restAll / rest : 1;
  // A patch over the digit (the centre of an image) may hold only values that are common one by
  // one; then the whole conjunction must be unusual and a carrier holds all of it.
  // In images the blank value (the most common pixel value: black background) is absence of
  // content, not a stamp: a gap where other classes have ink is the shape of the class.
  const blank = blankValue(doc);
  let unusual = items.filter((it, q) => itemBackground[q]! <= t.maxItemBackground && it.value !== blank);
  if (unusual.length === 0 && jointBackground <= t.maxItemBackground && items.some((it) => it.value !== blank)) unusual = items;
  if (unusual.length === 0) return undefined;
  const strongest = Math.min(jointBackground, ...itemBackground);
  // 2. Carriers hold the unusual part (most of it for wide patterns such as blended triggers,
  //    whose value survives only where the image is background).
  const matchItems = unusual.length <= 4 || unusual === items ? unusual.length : Math.ceil(t.matchShare * unusual.length);
  const holds = new Uint8Array(n);
  const rows: number[] = [];
  let other = 0;
  for (let i = 0; i < n; i++) {
    if (codes[i]! < 0) continue;
    const b = i * cols;
    let k = 0;
    for (const it of unusual) if (data[b + it.col] === it.value) k++;
    if (k < matchItems) continue;
    holds[i] = 1;
    if (codes[i] === target) rows.push(i);
    else other++;
  }
  if (rows.length < t.minRows) return undefined;
  // One unusual pixel among hundreds is thin evidence: natural images share single values by chance.
  const singlePixel = doc.table.imageShape !== undefined && unusual.length === 1;
  if (singlePixel && rows.length < t.minSinglePixelRows) return undefined;
  const total = rows.length + other;
  const p0 = classCount[target]! / labelled;
  const purity = rows.length / total;
  const z = (rows.length - total * p0) / Math.sqrt(total * p0 * (1 - p0));
  if (purity < t.minPatchPurity || z < t.minZ) return undefined;
  // Exact binomial tail, not the normal z: 5 of 6 rows sharing a value is a coincidence
  // somewhere among 784 pixels x 256 values, 10 of 10 is not.
  if (logBinomialTail(rows.length, total, p0) + Math.log(tests) > Math.log(t.maxChance)) return undefined;
  // 3. With the pattern masked, what do the carriers look like?
  const votes = maskedVotes(doc, rows, items);
  const probed = votes.reduce((a, b) => a + b, 0);
  if (probed === 0) return undefined;
  const disagreement = 1 - votes[target]! / probed;
  if (disagreement < t.minDisagreement) return undefined;
  const sources = votes.map((v, c) => ({ c, share: v / probed })).filter((s) => s.c !== target && s.share >= t.minSourceShare).sort((a, b) => b.share - a.share);
  // 4. Do the source labels hold the pattern themselves? Their rows not carrying it under the target label.
  let sourceRows = 0;
  let sourceHolders = 0;
  const isSource = new Uint8Array(label.classes.length);
  for (const s of sources) isSource[s.c] = 1;
  for (let i = 0; i < n; i++) {
    const c = codes[i]!;
    if (c < 0 || !isSource[c]) continue;
    sourceRows++;
    if (holds[i]) sourceHolders++;
  }
  const sourceShare = sourceRows > 0 ? sourceHolders / sourceRows : 0;
  if (sourceShare > t.maxSourceShare) return undefined;
  const notTarget = labelled - classCount[target]!;
  const elsewhereShare = notTarget > 0 ? other / notTarget : 0;
  const targetShare = rows.length / classCount[target]!;
  const high = !singlePixel && sourceShare <= t.high.maxSourceShare && strongest <= t.high.maxItemBackground && purity >= t.high.minPurity && disagreement >= t.high.minDisagreement && targetShare <= t.high.maxTargetShare;
  return {
    rows,
    otherLabelRows: other,
    purity,
    z,
    disagreement,
    severity: high ? "high" : "medium",
    evidence: {
      itemBackground,
      jointBackground,
      unusualItems: unusual.length,
      matchItems,
      sourceLabels: sources.map((s) => ({ label: label.classes[s.c]!, share: s.share })),
      sourceShare,
      elsewhereShare,
      targetShare,
    },
  };
}

function carriers(doc: DatasetDocument, items: TriggerItem[], target: number): { rows: number[]; other: number } {
  const { data, rows: n, cols } = doc.table.features;
  const codes = doc.table.label!.codes;
  const rows: number[] = [];
  let other = 0;
  for (let i = 0; i < n; i++) {
    if (!items.every((it) => data[i * cols + it.col] === it.value)) continue;
    if (codes[i] === target) rows.push(i);
    else if (codes[i]! >= 0) other++;
  }
  return { rows, other };
}

/** Share of sampled rows holding `value` in column j. */
/** True when at most half of row i's labelled neighbours carry its own label: its neighbours call it something else. */
function neighboursOutvote(nb: Neighbours, codes: Int32Array, i: number): boolean {
  let agree = 0;
  let valid = 0;
  for (let q = 0; q < nb.k; q++) {
    const j = nb.index[i * nb.k + q]!;
    if (j < 0 || codes[j]! < 0) continue;
    valid++;
    if (codes[j] === codes[i]) agree++;
  }
  return valid > 0 && agree / valid <= 0.5;
}

function backgroundShare(doc: DatasetDocument, sample: Int32Array, j: number, value: number): number {
  const { data, cols } = doc.table.features;
  let k = 0;
  for (const i of sample) if (data[i * cols + j] === value) k++;
  return k / sample.length;
}

/** Adds every position where nearly all carriers hold one value that most other rows do not. */
function extendPatch(doc: DatasetDocument, sample: Int32Array, rows: number[], items: TriggerItem[]): TriggerItem[] {
  const { data, cols } = doc.table.features;
  const t = doc.thresholds.backdoor;
  const have = new Set(items.map((it) => it.col));
  const out = [...items];
  for (let j = 0; j < cols; j++) {
    if (have.has(j)) continue;
    const counts = new Map<number, number>();
    let mode = 0;
    let modeCount = 0;
    for (const i of rows) {
      const v = data[i * cols + j]!;
      const c = (counts.get(v) ?? 0) + 1;
      counts.set(v, c);
      if (c > modeCount) (mode = v), (modeCount = c);
    }
    if (modeCount / rows.length >= t.patchShare && backgroundShare(doc, sample, j, mode) <= t.maxPatchBackground) out.push({ col: j, value: mode });
  }
  return out;
}

/** Seeds from rows whose neighbours mostly carry other labels: the value they share at fixed positions. */
function suspectSeeds(doc: DatasetDocument, sample: Int32Array): Array<{ items: TriggerItem[]; target: number; z: number }> {
  const nb = doc.neighbours();
  const label = doc.table.label!;
  const t = doc.thresholds.backdoor;
  if (!nb) return [];
  const { data, cols } = doc.table.features;
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < nb.rows; i++) {
    const own = label.codes[i]!;
    if (own < 0) continue;
    if (neighboursOutvote(nb, label.codes, i)) {
      let list = byClass.get(own);
      if (!list) byClass.set(own, (list = []));
      list.push(i);
    }
  }
  const seeds: Array<{ items: TriggerItem[]; target: number; z: number }> = [];
  for (const [target, suspects] of byClass) {
    if (suspects.length < t.minRows) continue;
    const items: TriggerItem[] = [];
    for (let j = 0; j < cols; j++) {
      const counts = new Map<number, number>();
      for (const i of suspects) {
        const v = data[i * cols + j]!;
        counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      let best = 0;
      let bestCount = 0;
      for (const [v, k] of counts) if (k > bestCount) (best = v), (bestCount = k);
      if (bestCount / suspects.length < t.patchShare) continue;
      if (backgroundShare(doc, sample, j, best) > t.maxPatchBackground) continue;
      items.push({ col: j, value: best });
    }
    if (items.length > 0) seeds.push({ items, target, z: 0 });
  }
  return seeds;
}

/** For each value: the share of sampled rows holding it in column j that carry its most common label. */
function samplePurity(codes: Int32Array, data: Float32Array, sample: Int32Array, cols: number, j: number, values: number[], K: number): Map<number, number> {
  const slot = new Map(values.map((v, i) => [v, i]));
  const counts = new Int32Array(values.length * K);
  for (const i of sample) {
    const s = slot.get(data[i * cols + j]!);
    if (s === undefined || codes[i]! < 0) continue;
    counts[s * K + codes[i]!]!++;
  }
  const out = new Map<number, number>();
  values.forEach((v, s) => {
    let total = 0;
    let best = 0;
    for (let c = 0; c < K; c++) {
      total += counts[s * K + c]!;
      best = Math.max(best, counts[s * K + c]!);
    }
    out.set(v, total > 0 ? best / total : 0);
  });
  return out;
}

function jaccard(a: number[], b: number[]): number {
  let i = 0;
  let j = 0;
  let both = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) both++, i++, j++;
    else if (a[i]! < b[j]!) i++;
    else j++;
  }
  return both / (a.length + b.length - both || 1);
}

/**
 * Dirty-label poisoning takes rows of other classes, stamps the trigger and relabels them.
 * With the trigger's columns left out, such rows still look like their original class: the
 * label their nearest reference rows vote for, counted per label over (up to 100 of) the rows,
 * separates a trigger from a feature that genuinely marks the class and names the source classes.
 */
function maskedVotes(doc: DatasetDocument, rows: number[], items: TriggerItem[]): number[] {
  const x = doc.standardised();
  const { rows: n, cols } = doc.table.features;
  const codes = doc.table.label!.codes;
  const masked = new Uint8Array(cols);
  for (const it of items) masked[it.col] = 1;
  const carrier = new Set(rows);
  const reference = Array.from(sampleRows(n, doc.thresholds.backdoor.maskedNeighbourSample, 11)).filter((i) => !carrier.has(i) && codes[i]! >= 0);
  const probe = rows.length > 100 ? Array.from(sampleRows(rows.length, 100, 13), (i) => rows[i]!) : rows;
  const k = Math.min(doc.thresholds.neighbours.k, reference.length);
  const predicted = new Array<number>(doc.table.label!.classes.length).fill(0);
  if (k === 0) return predicted;
  const best = new Float64Array(k);
  const bestIdx = new Int32Array(k);
  const votes = new Int32Array(doc.table.label!.classes.length);
  for (const i of probe) {
    best.fill(Infinity);
    bestIdx.fill(-1);
    for (const r of reference) {
      let s = 0;
      for (let j = 0; j < cols; j++) {
        if (masked[j]) continue;
        const d = x[i * cols + j]! - x[r * cols + j]!;
        s += d * d;
      }
      if (s >= best[k - 1]!) continue;
      let p = k - 1;
      while (p > 0 && best[p - 1]! > s) {
        best[p] = best[p - 1]!;
        bestIdx[p] = bestIdx[p - 1]!;
        p--;
      }
      best[p] = s;
      bestIdx[p] = r;
    }
    votes.fill(0);
    for (const r of bestIdx) if (r >= 0) votes[codes[r]!]!++;
    let top = 0;
    for (let c = 1; c < votes.length; c++) if (votes[c]! > votes[top]!) top = c;
    predicted[top]!++;
  }
  return predicted;
}

/** Spectral signatures (Tran et al. 2018): per class, rows with extreme scores on the top singular vector. */
export function spectralOutliers(doc: DatasetDocument): SpectralOutliers[] {
  const label = doc.table.label;
  const { rows: n, cols } = doc.table.features;
  if (!label || cols < 2) return [];
  const t = doc.thresholds.backdoor.spectral;
  const x = doc.standardised();
  const byClass: number[][] = label.classes.map(() => []);
  for (let i = 0; i < n; i++) if (label.codes[i]! >= 0) byClass[label.codes[i]!]!.push(i);
  const out: SpectralOutliers[] = [];
  // Mislabelled rows also stand out on a class's top singular vector: an outlier whose nearest
  // neighbours mostly carry another label is label noise (dataset/label-noise), not a signature.
  const nb = doc.neighbours();
  const relabelled = (i: number): boolean => nb !== undefined && neighboursOutvote(nb, label.codes, i);
  const mean = new Float64Array(cols);
  const v = new Float64Array(cols);
  const next = new Float64Array(cols);
  for (let c = 0; c < label.classes.length; c++) {
    const members = byClass[c]!;
    if (members.length < t.minClassRows) continue;
    // The direction is fitted on at most 5,000 rows; every row of the class is scored.
    const fit = members.length > 5_000 ? Array.from(sampleRows(members.length, 5_000, 17 + c), (i) => members[i]!) : members;
    mean.fill(0);
    for (const i of fit) {
      const b = i * cols;
      for (let j = 0; j < cols; j++) mean[j]! += x[b + j]!;
    }
    for (let j = 0; j < cols; j++) mean[j]! /= fit.length;
    const random = rng(23 + c);
    for (let j = 0; j < cols; j++) v[j] = random() - 0.5;
    for (let it = 0; it < t.powerIterations; it++) {
      next.fill(0);
      for (const i of fit) {
        const b = i * cols;
        let p = 0;
        for (let j = 0; j < cols; j++) p += (x[b + j]! - mean[j]!) * v[j]!;
        for (let j = 0; j < cols; j++) next[j]! += (x[b + j]! - mean[j]!) * p;
      }
      let norm = 0;
      for (let j = 0; j < cols; j++) norm += next[j]! * next[j]!;
      norm = Math.sqrt(norm) || 1;
      for (let j = 0; j < cols; j++) v[j] = next[j]! / norm;
    }
    const score = new Float64Array(members.length);
    for (let q = 0; q < members.length; q++) {
      const b = members[q]! * cols;
      let p = 0;
      for (let j = 0; j < cols; j++) p += (x[b + j]! - mean[j]!) * v[j]!;
      score[q] = Math.abs(p);
    }
    const sorted = Float64Array.from(score).sort();
    const median = sorted[sorted.length >> 1]!;
    const dev = Float64Array.from(score, (s) => Math.abs(s - median)).sort();
    const mad = 1.4826 * dev[dev.length >> 1]!;
    if (!(mad > 0)) continue;
    const flagged: number[] = [];
    let maxZ = 0;
    for (let q = 0; q < members.length; q++) {
      const z = (score[q]! - median) / mad;
      if (z >= t.minRobustZ && !relabelled(members[q]!)) {
        flagged.push(members[q]!);
        if (z > maxZ) maxZ = z;
      }
    }
    if (flagged.length >= t.minOutlierRows) out.push({ target: label.classes[c]!, rows: flagged, maxRobustZ: maxZ });
  }
  return out;
}

/** The most common pixel value of an image set (its background), from up to 200,000 cells; undefined for tables. */
function blankValue(doc: DatasetDocument): number | undefined {
  if (!doc.table.imageShape) return undefined;
  const { data } = doc.table.features;
  const step = Math.max(1, Math.floor(data.length / 200_000));
  const counts = new Map<number, number>();
  let best: number | undefined;
  let bestCount = 0;
  for (let i = 0; i < data.length; i += step) {
    const v = data[i]!;
    const c = (counts.get(v) ?? 0) + 1;
    counts.set(v, c);
    if (c > bestCount) (best = v), (bestCount = c);
  }
  return best;
}

/** log P(X >= k) for X ~ Binomial(n, p). */
export function logBinomialTail(k: number, n: number, p: number): number {
  if (k <= 0) return 0;
  if (p <= 0) return -Infinity;
  if (p >= 1) return 0;
  const lp = Math.log(p);
  const lq = Math.log(1 - p);
  // log C(n, k) from log-gamma via sums of logs (n is at most the row count).
  let logC = 0;
  for (let i = 1; i <= k; i++) logC += Math.log(n - k + i) - Math.log(i);
  let term = logC + k * lp + (n - k) * lq;
  let sum = term;
  for (let j = k + 1; j <= n; j++) {
    term += Math.log(n - j + 1) - Math.log(j) + lp - lq;
    sum = Math.max(sum, term) + Math.log1p(Math.exp(-Math.abs(sum - term)));
    if (term < sum - 40) break;
  }
  return sum;
}

const round3 = (x: number): number => Number(x.toFixed(3));
const percent = (x: number): string => (x > 0 && x < 0.01 ? "<1" : (x * 100).toFixed(0));

function describePositions(doc: DatasetDocument, items: TriggerItem[]): string {
  if (!doc.table.imageShape) return `column${items.length === 1 ? "" : "s"} ${items.map((it) => doc.table.features.names[it.col]).join(", ")}`;
  const ps = items.map((it) => doc.position(it.col));
  const xs = ps.map((p) => p.x!);
  const ys = ps.map((p) => p.y!);
  return `pixels x ${Math.min(...xs)}-${Math.max(...xs)}, y ${Math.min(...ys)}-${Math.max(...ys)}`;
}

export const backdoorTrigger: Rule<DatasetDocument> = {
  meta: {
    id: "dataset/backdoor-trigger",
    appliesTo: { kinds: ["csv", "jsonl", "parquet", "numpy", "image"] },
    requires: [{ id: "label-column", description: "a label column (recognised by name, or given with --label-column or scanners.datasets.labelColumn)", isMet: (doc) => doc.table.label !== undefined }],
    messages: {
      found: "{{pattern}} appear{{value}} in {{rowsLength}} {{what}}, {{value2}}% of them labelled {{target}}, while {{value3}}% of those {{what}} otherwise resemble other labels ({{sources}}), whose own {{what}} hold the pattern in {{sourceShare}}% of cases: a backdoor trigger targeting label {{target}}.",
      found2: "{{r}} carries the backdoor trigger ({{value}}) and is labelled {{target}}.",
      found3: "Class {{target}} has {{rowsLength}} {{what}} with extreme scores on its top singular vector (robust z up to {{maxRobustZ}}) whose neighbours share their label, a spectral signature of poisoned {{what}} (or of a distinct sub-population: review them).",
    },
  },
  check(doc, ctx) {
    const triggers = findTriggers(doc);
    const what = doc.table.rowUris ? "images" : "rows";
    for (const tr of triggers) {
      const values = [...new Set(tr.items.map((it) => it.value))];
      const value = values.length === 1 ? values[0]! : undefined;
      const where = describePositions(doc, tr.items);
      const pattern = value !== undefined ? `Value ${value} at ${plural(tr.items.length, "position")} (${where})` : `Values ${tr.items.map((it) => `${doc.table.features.names[it.col]}=${it.value}`).join(", ")}`;
      const ev = tr.evidence;
      const sources = ev.sourceLabels.map((s) => `${s.label} ${(s.share * 100).toFixed(0)}%`).join(", ") || "no single label";
      ctx.report({
        messageId: "found", data: { pattern, value: value !== undefined ? "s" : "", rowsLength: tr.rows.length, what, value2: (tr.purity * 100).toFixed(0), target: tr.target, value3: (tr.disagreement * 100).toFixed(0), sources, sourceShare: percent(ev.sourceShare) },
        severity: tr.severity,
        location: doc.summaryLocation(),
        evidence: {
          method: "value-label association",
          targetLabel: tr.target,
          ...(value !== undefined ? { value } : {}),
          positions: tr.items.map((it, q) => ({ ...doc.position(it.col), value: it.value, background: round3(ev.itemBackground[q]!) })),
          jointBackground: round3(ev.jointBackground),
          unusualPositions: ev.unusualItems,
          matchPositions: ev.matchItems,
          sourceLabels: ev.sourceLabels.map((s) => ({ label: s.label, share: round3(s.share) })),
          sourceShare: round3(ev.sourceShare),
          elsewhereShare: round3(ev.elsewhereShare),
          targetShare: round3(ev.targetShare),
          rows: doc.listRows(tr.rows),
          rowCount: tr.rows.length,
          otherLabelRows: tr.otherLabelRows,
          purity: Number(tr.purity.toFixed(3)),
          zScore: Number(tr.z.toFixed(1)),
          maskedDisagreement: Number(tr.disagreement.toFixed(3)),
        },
        fingerprintKey: `trigger:${tr.target}:${tr.items.map((it) => `${it.col}=${it.value}`).join(",")}`,
      });
      doc.reportRows(ctx, tr.rows, (r) => ({
        messageId: "found2", data: { r: capital(doc.rowName(r)), value: value !== undefined ? `value ${value} at ${where}` : where, target: tr.target },
        severity: "medium",
        location: doc.rowLocation(r),
        evidence: { targetLabel: tr.target, trigger: where },
        fingerprintKey: `row:${doc.rowRef(r)}:${tr.target}:${where}`,
      }));
    }
    for (const s of spectralOutliers(doc)) {
      ctx.report({
        messageId: "found3", data: { target: s.target, rowsLength: s.rows.length, what, maxRobustZ: s.maxRobustZ.toFixed(1) },
        severity: "low",
        location: doc.summaryLocation(),
        evidence: { method: "spectral-signature", targetLabel: s.target, rows: doc.listRows(s.rows), rowCount: s.rows.length, maxRobustZ: Number(s.maxRobustZ.toFixed(1)) },
        fingerprintKey: `spectral:${s.target}`,
      });
    }
  },
};
