/**
 * n rows of `size` values in [0, 1) from a seeded linear congruential generator: the same rows on
 * every run and every platform, without the probe's own Rng (whose behaviour the tests check).
 */
export function seededRows(n: number, size: number, seed: number): Float32Array {
  const out = new Float32Array(n * size);
  let s = seed;
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = s / 2147483648;
  }
  return out;
}
