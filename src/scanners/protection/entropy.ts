// Byte entropy of a sample, with the Miller-Madow correction so that short samples of
// random bytes are not under-estimated (the plain estimate is biased low by ~(K-1)/(2n ln 2)).

export function byteEntropy(sample: Uint8Array): number {
  if (sample.length === 0) return 0;
  const counts = new Uint32Array(256);
  for (const b of sample) counts[b]!++;
  let h = 0;
  let occupied = 0;
  for (const c of counts) {
    if (c === 0) continue;
    occupied++;
    const p = c / sample.length;
    h -= p * Math.log2(p);
  }
  return Math.min(8, h + (occupied - 1) / (2 * sample.length * Math.LN2));
}
