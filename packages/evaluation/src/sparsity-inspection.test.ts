import { describe, expect, it } from 'vitest';
import { inspectSparsity, parseLinearTensorName } from './sparsity-inspection.js';

const t = (name: string, shape: number[], data: number[]) => ({ name, shape, data: Float32Array.from(data) });

describe('parseLinearTensorName', () => {
  it('recognises the 7 decoder linears and nothing else', () => {
    expect(parseLinearTensorName('model.layers.12.mlp.down_proj.weight')).toEqual({ layer: 12, linear: 'down_proj' });
    expect(parseLinearTensorName('model.layers.0.self_attn.q_proj.weight')).toEqual({ layer: 0, linear: 'q_proj' });
    expect(parseLinearTensorName('model.layers.0.self_attn.q_proj.bias')).toBeUndefined();
    expect(parseLinearTensorName('model.layers.0.mlp.q_proj.weight')).toBeUndefined();
    expect(parseLinearTensorName('model.embed_tokens.weight')).toBeUndefined();
    expect(parseLinearTensorName('lm_head.weight')).toBeUndefined();
  });
});

describe('inspectSparsity', () => {
  // Layer 0: gate [4,4] with 2:4 along rows (in), up [4,4] with 2:4 along columns (out), down [4,4] dense-ish,
  // q [4,4] with 4 zeros; embeddings and a norm are skipped.
  const tensors = [
    t('model.embed_tokens.weight', [2, 2], [0, 0, 0, 0]),
    t('model.layers.0.input_layernorm.weight', [4], [0, 1, 1, 1]),
    t('model.layers.0.self_attn.q_proj.weight', [4, 4], [0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1]),
    t('model.layers.0.mlp.gate_proj.weight', [4, 4], [0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0, 1, -0, 0, 1, 1]),
    t('model.layers.0.mlp.up_proj.weight', [4, 4], [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]),
    t('model.layers.0.mlp.down_proj.weight', [4, 4], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]),
  ];

  it('counts zeros per decoder linear (−0 included) and totals over targets and all linears', () => {
    const r = inspectSparsity(tensors, { targets: 'mlp' });
    expect(r.rows.map((x) => [x.name.split('.').slice(-2, -1)[0], x.zeros, x.total, x.target])).toEqual([
      ['q_proj', 4, 16, false],
      ['gate_proj', 8, 16, true],
      ['up_proj', 8, 16, true],
      ['down_proj', 1, 16, true],
    ]);
    expect(r.rows[1].sparsity).toBe(0.5);
    expect(r.overTargets).toEqual({ zeros: 17, total: 48, ratio: 17 / 48 });
    expect(r.overDecoderLinears).toEqual({ zeros: 21, total: 64, ratio: 21 / 64 });
    expect(inspectSparsity(tensors, { targets: 'all' }).overTargets).toEqual({ zeros: 21, total: 64, ratio: 21 / 64 });
  });

  it('checks N:M along both axes (at least n zeros in every group of m)', () => {
    const r = inspectSparsity(tensors, { targets: 'mlp', nm: { n: 2, m: 4 } });
    const byLinear = Object.fromEntries(r.rows.map((x) => [x.linear, [x.nmValidIn, x.nmValidOut]]));
    expect(byLinear.gate_proj).toEqual([true, false]); // each row has 2 zeros; column 3 has none
    expect(byLinear.up_proj).toEqual([false, true]); // rows 2-3 dense; every column has 2 zeros
    expect(byLinear.q_proj).toEqual([false, false]);
    // 1:2 along rows holds for [[0,1,1,0],[0,1,0,1]]; along columns, column 1 has no zero in its pair.
    const oneOfTwo = inspectSparsity([t('model.layers.3.self_attn.o_proj.weight', [2, 4], [0, 1, 1, 0, 0, 1, 0, 1])], { targets: 'all', nm: { n: 1, m: 2 } });
    expect(oneOfTwo.rows[0]).toMatchObject({ layer: 3, linear: 'o_proj', target: true, nmValidIn: true, nmValidOut: false });
  });

  it('validates inputs', () => {
    expect(() => inspectSparsity(tensors, { targets: 'attn' as never })).toThrow('targets: expected "mlp" or "all", got "attn"');
    expect(() => inspectSparsity(tensors, { targets: 'mlp', nm: { n: 4, m: 4 } })).toThrow('nm: expected integers 1 <= n < m, got {"n":4,"m":4}');
    expect(() => inspectSparsity([t('model.layers.0.mlp.up_proj.weight', [2, 3], [0, 1])], { targets: 'mlp' })).toThrow(
      'model.layers.0.mlp.up_proj.weight: shape [2, 3] needs 6 values, got 2',
    );
    expect(() => inspectSparsity([tensors[3], tensors[3]], { targets: 'mlp' })).toThrow('tensors: model.layers.0.mlp.gate_proj.weight appears twice');
  });
});
