import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLlama2c } from '../llama2c/open-llama2c.js';
import { fixtures } from '../test/index.js';
import { CausalLM } from './causal-lm.js';

const reference = JSON.parse(readFileSync(fixtures.stories260K.referenceNll, 'utf8')) as {
  input_ids: number[];
  nll_per_target_token: number[];
  mean_nll: number;
  bos_only_logits_top10: [number, number][];
};

describe('CausalLM on stories260K (llama2.c checkpoint)', () => {
  let model: CausalLM;
  beforeAll(async () => {
    model = await CausalLM.fromSource(await openLlama2c(fixtures.stories260K.bin));
  });
  afterAll(() => model.dispose());

  it('reproduces the reference logits after BOS (top-10, float64 NumPy)', async () => {
    const logits = await model.logits([1]);
    for (const [id, value] of reference.bos_only_logits_top10) expect(logits[id]).toBeCloseTo(value, 3);
  });

  it('reproduces the reference per-token NLLs on 257 ids (mean within 1e-4, each within 1e-3)', async () => {
    const ids = Int32Array.from(reference.input_ids);
    const nll = await model.tokenNll(ids, 1, ids.length);
    expect(nll.length).toBe(256);
    let sum = 0;
    for (let t = 0; t < 256; t++) {
      expect(Math.abs(nll[t]! - reference.nll_per_target_token[t]!)).toBeLessThan(1e-3);
      sum += nll[t]!;
    }
    expect(Math.abs(sum / 256 - reference.mean_nll)).toBeLessThan(1e-4);
  });

  it('gives the same NLLs for a right-padded batch as for single rows', async () => {
    const a = reference.input_ids.slice(0, 40);
    const b = reference.input_ids.slice(100, 130);
    const batch = new Int32Array(80);
    batch.set(a, 0);
    batch.set(b, 40); // padded with 0 after 30 ids
    const both = await model.tokenNll(batch, 2, 40);
    const single = await model.tokenNll(Int32Array.from(b), 1, 30);
    for (let t = 0; t < 29; t++) expect(both[39 + t]).toBeCloseTo(single[t]!, 4);
  });

  it('rejects ids outside the vocabulary, naming the id and position', async () => {
    await expect(model.tokenNll(Int32Array.from([1, 5, 512]), 1, 3)).rejects.toThrow(/token 512 at position 2 is outside the model's vocabulary \[0, 512\)/);
    await expect(model.generateGreedy([1], Number.NaN)).rejects.toThrow(/maxLength: expected a positive integer, got NaN/);
  });
});
