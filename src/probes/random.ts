// Seeded pseudo-random numbers (mulberry32) so probe runs are reproducible with --seed.

// Bound once: global lookups are slow inside VM contexts (jest), and these loops are hot.
const math = Math;

export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
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
