import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBackend, tf } from '@dass/tensor-backend';
import { openLlama2c } from '../llama2c/open-llama2c.js';
import { fixtures } from '../test/index.js';
import type { ModelConfig, WeightSource } from '../types.js';
import { CausalLM } from './causal-lm.js';
import { LayerContext } from './layer-context.js';
import { ropeInverseFrequencies } from './rope.js';

/** The stories260K weights under another configuration (same tensors). */
function withConfig(base: WeightSource, patch: Partial<ModelConfig>): WeightSource {
  return {
    ...base,
    config: { ...base.config, ...patch },
    readF32: (n) => base.readF32(n),
    tensorNames: () => base.tensorNames(),
    has: (n) => base.has(n),
    shape: (n) => base.shape(n),
    dtype: (n) => base.dtype(n),
  };
}

const ids = [1, 403, 407, 261, 378, 1, 300, 290, 260, 270, 280, 300];

describe('architecture variants', () => {
  let base: WeightSource;
  beforeAll(async () => {
    base = await openLlama2c(fixtures.stories260K.bin);
    await ensureBackend();
  });
  afterAll(() => base.close());

  it('Mistral sliding window: a window ≥ T changes nothing; a window w changes only positions ≥ w', async () => {
    const plain = await CausalLM.fromSource(base);
    const wide = await CausalLM.fromSource(withConfig(base, { architecture: 'MistralForCausalLM', slidingWindow: ids.length }));
    const narrow = await CausalLM.fromSource(withConfig(base, { architecture: 'MistralForCausalLM', slidingWindow: 4 }));
    const [a, b, c] = await Promise.all([plain.logits(ids), wide.logits(ids), narrow.logits(ids)]);
    const v = plain.config.vocabSize;
    expect(Array.from(b)).toEqual(Array.from(a));
    for (let i = 0; i < 4 * v; i++) expect(c[i]).toBe(a[i]);
    let later = 0;
    for (let i = 4 * v; i < a.length; i++) later = Math.max(later, Math.abs(c[i]! - a[i]!));
    expect(later).toBeGreaterThan(1e-3);
    for (const m of [plain, wide, narrow]) m.dispose();
  });

  it('llama3 RoPE scaling keeps short wavelengths, divides long ones by factor, interpolates between (hand-worked)', () => {
    // headDim 8, theta 10000: inv = [1, 0.1, 0.01, 0.001]; wavelengths 2π/inv = [6.28, 62.8, 628, 6283].
    // original context 1024, low 1, high 4: highFreqWavelen 256, lowFreqWavelen 1024.
    const inv = ropeInverseFrequencies({
      headDim: 8,
      ropeTheta: 10000,
      ropeScaling: { ropeType: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 1024 },
    });
    expect(inv[0]).toBeCloseTo(1, 12);
    expect(inv[1]).toBeCloseTo(0.1, 12);
    // wavelen 628.3 is between: smooth = (1024/628.3185 - 1)/3 = 0.209919; (1-s)·0.01/8 + s·0.01
    const smooth = (1024 / ((2 * Math.PI) / 0.01) - 1) / 3;
    expect(inv[2]).toBeCloseTo((1 - smooth) * 0.00125 + smooth * 0.01, 12);
    expect(inv[3]).toBeCloseTo(0.001 / 8, 12);
  });

  it('GeGLU activation is the tanh-approximated GELU (hand-worked values)', () => {
    const ctx = new LayerContext({ ...base.config, hiddenAct: 'gelu_tanh' });
    const out = tf.tidy(() => ctx.activation(tf.tensor2d([[-1, 0, 1, 2]])).dataSync());
    // 0.5·x·(1 + tanh(0.7978845608·(x + 0.044715x³)))
    expect(out[0]).toBeCloseTo(-0.158808, 5);
    expect(out[1]).toBe(0);
    expect(out[2]).toBeCloseTo(0.841192, 5);
    expect(out[3]).toBeCloseTo(1.954598, 5);
    ctx.dispose();
  });

  it('Gemma RMSNorm multiplies by (1 + w): stored w − 1 reproduces the LLaMA model except for the embedding scale', async () => {
    const minusOne = withConfig(base, { rmsNormAddOne: true });
    const shifted: WeightSource = {
      ...minusOne,
      readF32: async (name) => {
        const t = await base.readF32(name);
        return name.endsWith('norm.weight') ? { shape: t.shape, data: t.data.map((x) => x - 1) } : t;
      },
    };
    const llama = await CausalLM.fromSource(base);
    const gemmaNorm = await CausalLM.fromSource(shifted);
    const [a, b] = await Promise.all([llama.logits(ids.slice(0, 6)), gemmaNorm.logits(ids.slice(0, 6))]);
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i]!, 3);
    llama.dispose();
    gemmaNorm.dispose();
  });
});
