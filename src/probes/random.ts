// Seeded pseudo-random numbers (mulberry32) so probe runs are reproducible with --seed.

import { mulberry32 } from "../core/random";

// Bound once: global lookups are slow inside VM contexts (jest), and these loops are hot.
const math = Math;

export class Rng {
  /** Uniform in [0, 1). */
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed >>> 0 || 0x9e3779b9);
  }
  int(maxExclusive: number): number {
    return math.floor(this.next() * maxExclusive);
  }
  sign(): number {
    return this.next() < 0.5 ? -1 : 1;
  }
  gaussian(): number {
    const u = 1 - this.next();
    const v = this.next();
    return math.sqrt(-2 * math.log(u)) * math.cos(2 * math.PI * v);
  }
  /** k distinct indices from [0, n), in random order. */
  sample(n: number, k: number): number[] {
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < math.min(k, n); i++) {
      const j = i + this.int(n - i);
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    return idx.slice(0, math.min(k, n));
  }
}
