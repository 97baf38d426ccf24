import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBackend } from '@dass/tensor-backend';
import { fillNormal } from '../synthetic/seeded-normal.js';
import type { ModelConfig } from '../types.js';
import { applyRopeInPlace, attendCausal, QUERY_CHUNK } from './attention.js';
import { LayerContext } from './layer-context.js';

/** Plain float64 causal attention, head by head, with GQA head h -> KV head floor(h / group) and an optional window. */
function naiveAttention(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  batch: number,
  T: number,
  nH: number,
  nKV: number,
  hd: number,
  window?: number,
): Float64Array {
  const group = nH / nKV;
  const out = new Float64Array(batch * T * nH * hd);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < nH; h++) {
      const g = Math.floor(h / group);
      for (let i = 0; i < T; i++) {
        const scores: number[] = [];
        for (let j = 0; j <= i; j++) {
          if (window !== undefined && i - j >= window) {
            scores.push(-Infinity);
            continue;
          }
          let s = 0;
          for (let e = 0; e < hd; e++) s += q[(b * T + i) * nH * hd + h * hd + e]! * k[(b * T + j) * nKV * hd + g * hd + e]!;
          scores.push(s / Math.sqrt(hd));
        }
        const max = Math.max(...scores);
        const w = scores.map((s) => Math.exp(s - max));
        const sum = w.reduce((a, c) => a + c, 0);
        for (let e = 0; e < hd; e++) {
          let acc = 0;
          for (let j = 0; j <= i; j++) acc += (w[j]! / sum) * v[(b * T + j) * nKV * hd + g * hd + e]!;
          out[(b * T + i) * nH * hd + h * hd + e] = acc;
        }
      }
    }
  }
  return out;
}

const base: ModelConfig = {
  architecture: 'LlamaForCausalLM',
  hiddenSize: 48,
  intermediateSize: 64,
  numLayers: 1,
  numHeads: 6,
  numKvHeads: 2,
  headDim: 8,
  vocabSize: 10,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  maxPositionEmbeddings: 512,
  tieWordEmbeddings: true,
  hiddenAct: 'silu',
  attentionBias: false,
  rmsNormAddOne: false,
  embeddingScale: 1,
};

describe('attendCausal', () => {
  beforeAll(async () => {
    await ensureBackend();
  });

  // T spans several query chunks (and a ragged last one), so chunk boundaries and key prefixes are exercised.
  const T = 2 * QUERY_CHUNK + 37;
  const batch = 2;
  const { numHeads: nH, numKvHeads: nKV, headDim: hd } = base;
  const q = fillNormal(new Float32Array(batch * T * nH * hd), 1, 1);
  const k = fillNormal(new Float32Array(batch * T * nKV * hd), 2, 1);
  const v = fillNormal(new Float32Array(batch * T * nKV * hd), 3, 1);

  for (const window of [undefined, 50]) {
    it(`equals a float64 head-by-head reference (GQA group 3, T = ${T}, window ${window ?? 'none'})`, () => {
      const context = new LayerContext({ ...base, slidingWindow: window });
      const got = attendCausal(q, k, v, { batch, seqLen: T, numHeads: nH, numKvHeads: nKV, headDim: hd }, context.attentionScale, (a, b, c, g) =>
        context.mask(a, b, c, g),
      );
      const want = naiveAttention(q, k, v, batch, T, nH, nKV, hd, window);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      expect(worst).toBeLessThan(1e-5);
      context.dispose();
    });
  }
});

describe('applyRopeInPlace', () => {
  it('rotates each half-pair (x_i, x_{i+half}) by the position angle (hand-worked, headDim 4)', () => {
    // 2 tokens of 1 head, headDim 4. Tables [T, 4] in rotate-half layout: cos/sin repeated for both halves.
    const cos = Float32Array.from([1, 1, 1, 1, 0, 0.5, 0, 0.5]);
    const sin = Float32Array.from([0, 0, 0, 0, 1, 0.25, 1, 0.25]);
    const x = Float32Array.from([1, 2, 3, 4, 1, 2, 3, 4]);
    applyRopeInPlace(x, 1, 4, 2, cos, sin);
    // token 0: identity. token 1: [x0·c0 − x2·s0, x1·c1 − x3·s1, x2·c0 + x0·s0, x3·c1 + x1·s1]
    expect(Array.from(x)).toEqual([1, 2, 3, 4, 0 - 3, 1 - 1, 0 + 1, 2 + 0.5]);
  });

  it('uses token position modulo seqLen across samples and heads', () => {
    const cos = Float32Array.from([1, 1, 0, 0]); // T = 2, headDim 2
    const sin = Float32Array.from([0, 0, 1, 1]);
    // 2 samples × 2 tokens × 2 heads × headDim 2
    const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8]);
    applyRopeInPlace(x, 2, 2, 2, cos, sin);
    const second = [-6, 5, -8, 7]; // position 1: (a, b) -> (−b, a)
    expect(Array.from(x)).toEqual([1, 2, 3, 4, ...second, 1, 2, 3, 4, ...second]);
  });
});
