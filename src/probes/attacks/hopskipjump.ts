// HopSkipJump (Chen, Jordan and Wainwright 2020), untargeted, L2: a decision-based attack that
// needs only the predicted label. It finds a misclassified starting point, walks to the decision
// boundary by binary search, estimates the boundary's normal from label flips of random probes,
// steps along it, and projects back onto the boundary. Samples run in lockstep so each phase is
// one batched request. The result is a minimal-perturbation estimate per sample, from which
// robustness at every eps (L2, and L-inf of the same adversarial inputs) follows.

import type { AttackResult } from "../../types";
import { Rng } from "../random";
import { argmaxRows, summariseAttack, type AttackContext, type Norm } from "./common";

// Bound once: global lookups are slow inside VM contexts (jest), and these loops are hot.
const math = Math;

export interface HopSkipJumpSpec {
  /** Query budget per sample. */
  queries: number;
  /** Monte Carlo probes at the first gradient estimate (grows with sqrt(iteration)). */
  initEvals?: number;
  maxEvals?: number;
}

export interface HopSkipJumpRun {
  /** Per sample: L2 and L-inf size of the smallest adversarial perturbation found (Infinity when none). */
  l2: Float64Array;
  linf: Float64Array;
  queries: number;
  seconds: number;
}

export async function runHopSkipJump(ctx: AttackContext, spec: HopSkipJumpSpec): Promise<HopSkipJumpRun> {
  const { model, data, clip } = ctx;
  const started = performance.now();
  const d = data.size;
  const rng = new Rng(ctx.seed);
  const width = clip[1] - clip[0];
  const theta = 1 / (math.sqrt(d) * d);
  const initEvals = spec.initEvals ?? 100;
  const maxEvals = spec.maxEvals ?? 10000;
  const l2 = new Float64Array(data.n).fill(Infinity);
  const linf = new Float64Array(data.n).fill(Infinity);
  const samples = Array.from({ length: data.n }, (_, i) => i).filter((i) => ctx.cleanCorrect[i]);
  const used = new Map<number, number>(samples.map((i) => [i, 0]));
  const clipV = (v: number): number => math.min(clip[1], math.max(clip[0], v));
  const xOf = (i: number): Float32Array => data.x.subarray(i * d, (i + 1) * d);

  /** Evaluates rows (owner i each) and returns 1 where the model does not predict owner i's label. */
  const adversarial = async (rows: Float32Array, owners: number[]): Promise<Uint8Array> => {
    const out = new Uint8Array(owners.length);
    for (let s = 0; s < owners.length; s += ctx.batchSize) {
      const b = math.min(ctx.batchSize, owners.length - s);
      const labels = argmaxRows(await model.predict(rows.subarray(s * d, (s + b) * d), b), b, model.numClasses);
      for (let j = 0; j < b; j++) out[s + j] = labels[j] !== data.labels[owners[s + j]!] ? 1 : 0;
    }
    for (const i of owners) used.set(i, (used.get(i) ?? 0) + 1);
    return out;
  };

  // 1. A misclassified starting point: uniform noise over the valid range.
  const start = new Map<number, Float32Array>();
  for (let round = 0; round < 10; round++) {
    const need = samples.filter((i) => !start.has(i) && (used.get(i) ?? 0) < spec.queries);
    if (need.length === 0) break;
    const per = 10;
    const rows = new Float32Array(need.length * per * d);
    for (let k = 0; k < rows.length; k++) rows[k] = clip[0] + rng.next() * width;
    const owners = need.flatMap((i) => Array<number>(per).fill(i));
    const adv = await adversarial(rows, owners);
    owners.forEach((i, j) => {
      if (adv[j] && !start.has(i)) start.set(i, rows.slice(j * d, (j + 1) * d));
    });
  }

  /** Lockstep binary search between each clean input and its adversarial point; returns boundary points. */
  const boundary = async (targets: Map<number, Float32Array>): Promise<Map<number, Float32Array>> => {
    const lo = new Map<number, number>();
    const hi = new Map<number, number>();
    for (const i of targets.keys()) {
      lo.set(i, 0);
      hi.set(i, 1);
    }
    const blend = (i: number, a: number): Float32Array => {
      const x = xOf(i);
      const t = targets.get(i)!;
      const out = new Float32Array(d);
      for (let k = 0; k < d; k++) out[k] = (1 - a) * x[k]! + a * t[k]!;
      return out;
    };
    for (let step = 0; step < 40; step++) {
      const open = [...targets.keys()].filter((i) => hi.get(i)! - lo.get(i)! > theta);
      if (open.length === 0) break;
      const rows = new Float32Array(open.length * d);
      open.forEach((i, j) => rows.set(blend(i, (lo.get(i)! + hi.get(i)!) / 2), j * d));
      const adv = await adversarial(rows, open);
      open.forEach((i, j) => {
        const mid = (lo.get(i)! + hi.get(i)!) / 2;
        if (adv[j]) hi.set(i, mid);
        else lo.set(i, mid);
      });
    }
    return new Map([...targets.keys()].map((i) => [i, blend(i, hi.get(i)!)]));
  };

  const dist = (i: number, p: Float32Array): number => {
    const x = xOf(i);
    let s = 0;
    for (let k = 0; k < d; k++) s += (p[k]! - x[k]!) ** 2;
    return math.sqrt(s);
  };
  const best = new Map<number, { point: Float32Array; dist: number }>();
  const current = await boundary(start);
  for (const [i, p] of current) best.set(i, { point: p, dist: dist(i, p) });

  for (let t = 1; t <= 100; t++) {
    const live = [...current.keys()].filter((i) => (used.get(i) ?? 0) < spec.queries);
    if (live.length === 0) break;
    // 2. Gradient direction at the boundary from the signs of random probes.
    const evals = math.min(math.floor(initEvals * math.sqrt(t)), maxEvals);
    const counts = live.map((i) => math.max(2, math.min(evals, spec.queries - (used.get(i) ?? 0))));
    const total = counts.reduce((a, b) => a + b, 0);
    const rows = new Float32Array(total * d);
    const dirs = new Float32Array(total * d);
    const owners: number[] = [];
    let row = 0;
    live.forEach((i, j) => {
      const xb = current.get(i)!;
      const delta = t === 1 ? 0.1 * width : math.sqrt(d) * theta * best.get(i)!.dist;
      for (let e = 0; e < counts[j]!; e++, row++) {
        let s = 0;
        for (let k = 0; k < d; k++) {
          const g = rng.gaussian();
          dirs[row * d + k] = g;
          s += g * g;
        }
        const inv = 1 / math.max(math.sqrt(s), 1e-12);
        for (let k = 0; k < d; k++) {
          const v = clipV(xb[k]! + delta * dirs[row * d + k]! * inv);
          rows[row * d + k] = v;
          dirs[row * d + k] = (v - xb[k]!) / delta;
        }
        owners.push(i);
      }
    });
    const adv = await adversarial(rows, owners);
    const grads = new Map<number, Float32Array>();
    row = 0;
    live.forEach((i, j) => {
      const n = counts[j]!;
      let mean = 0;
      for (let e = 0; e < n; e++) mean += adv[row + e] ? 1 : -1;
      mean /= n;
      const g = new Float32Array(d);
      for (let e = 0; e < n; e++) {
        const f = (adv[row + e] ? 1 : -1) - (math.abs(mean) === 1 ? 0 : mean);
        for (let k = 0; k < d; k++) g[k]! += f * dirs[(row + e) * d + k]!;
      }
      row += n;
      let s = 0;
      for (let k = 0; k < d; k++) s += g[k]! * g[k]!;
      const inv = 1 / math.max(math.sqrt(s), 1e-12);
      for (let k = 0; k < d; k++) g[k]! *= inv;
      grads.set(i, g);
    });
    // 3. Geometric step-size search: halve until the step lands on the adversarial side.
    const size = new Map(live.map((i) => [i, best.get(i)!.dist / math.sqrt(t)]));
    const stepped = new Map<number, Float32Array>();
    let pending = [...live];
    for (let h = 0; h < 12 && pending.length > 0; h++) {
      const cand = new Float32Array(pending.length * d);
      pending.forEach((i, j) => {
        const xb = current.get(i)!;
        const g = grads.get(i)!;
        const e = size.get(i)!;
        for (let k = 0; k < d; k++) cand[j * d + k] = clipV(xb[k]! + e * g[k]!);
      });
      const ok = await adversarial(cand, pending);
      pending = pending.filter((i, j) => {
        if (ok[j]) {
          stepped.set(i, cand.slice(j * d, (j + 1) * d));
          return false;
        }
        size.set(i, size.get(i)! / 2);
        return true;
      });
    }
    // 4. Back to the boundary.
    const projected = await boundary(stepped);
    for (const [i, p] of projected) {
      current.set(i, p);
      const dd = dist(i, p);
      if (dd < best.get(i)!.dist) best.set(i, { point: p, dist: dd });
    }
    ctx.onProgress?.(t, 100);
  }
  for (const [i, b] of best) {
    l2[i] = b.dist;
    const x = xOf(i);
    let m = 0;
    for (let k = 0; k < d; k++) m = math.max(m, math.abs(b.point[k]! - x[k]!));
    linf[i] = m;
  }
  return { l2, linf, queries: [...used.values()].reduce((a, b) => a + b, 0), seconds: (performance.now() - started) / 1000 };
}

/** Robustness at each eps from one HopSkipJump run: a sample is broken at eps when the adversarial input found lies within eps. */
export function hopSkipJumpResults(ctx: AttackContext, run: HopSkipJumpRun, norm: Norm, epsList: number[]): AttackResult[] {
  const sizes = norm === "l2" ? run.l2 : run.linf;
  return epsList.map((eps) => {
    const fooled = new Uint8Array(ctx.data.n);
    const perturbation = new Float32Array(ctx.data.n);
    for (let i = 0; i < ctx.data.n; i++) {
      if (ctx.cleanCorrect[i] && sizes[i]! <= eps) {
        fooled[i] = 1;
        perturbation[i] = sizes[i]!;
      }
    }
    return summariseAttack({ name: "hopskipjump", norm, eps }, ctx.cleanCorrect, { fooled, perturbation }, run.queries, run.seconds);
  });
}
