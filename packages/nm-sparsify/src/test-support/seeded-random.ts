/** mulberry32: a tiny seeded PRNG so property tests are reproducible. Returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A rows×cols Float32Array; `levels` > 0 quantizes to that many distinct values so ties are frequent. */
export function randomMatrix(rows: number, cols: number, seed: number, levels = 0): Float32Array {
  const rand = seededRandom(seed);
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = levels > 0 ? Math.floor(rand() * levels) : rand();
  return out;
}
