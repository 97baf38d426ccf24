import type { InvalidArgumentError } from '@dass/errors';
import { parseSparsity, runSparseGPT } from '@dass/nm-sparsify';
import { describe, expect, it } from 'vitest';
import { magnitudeMethod } from './magnitude-method.js';
import { pruneMatrix } from './prune-matrix.js';
import {
  allMethodOptions,
  getScoringMethod,
  getWeightUpdate,
  neededStatistics,
  registerScoringMethod,
  resolveMethodOptions,
  scoringMethodNames,
  scoringMethods,
  unregisterScoringMethod,
} from './scoring-registry.js';
import type { PruningMethod } from './types.js';

describe('pruning-method registry', () => {
  it('holds the methods of docs/SPEC.md §2 by name, each with a label', () => {
    expect(scoringMethodNames().slice(0, 5)).toEqual(['magnitude', 'wanda', 'dass', 'sparsegpt', 'ria']);
    for (const name of ['magnitude', 'wanda', 'dass', 'sparsegpt', 'ria']) {
      expect(getScoringMethod(name).name).toBe(name);
      expect(scoringMethods[name]).toBe(getScoringMethod(name));
    }
    expect(scoringMethods.dass!.label).toBe('DaSS');
    expect(() => getScoringMethod('toString')).toThrow('unknown pruning method "toString"; registered: magnitude, wanda, dass, sparsegpt, ria');
  });

  it('registers, lists and removes entries, refusing silent replacement and malformed ones', () => {
    registerScoringMethod({ ...magnitudeMethod, name: 'magnitude-copy' });
    expect(getScoringMethod('magnitude-copy').plan('up_proj').group).toBe('matrix');
    expect(scoringMethodNames()).toContain('magnitude-copy');
    expect(unregisterScoringMethod('magnitude-copy')).toBe(true);
    expect(unregisterScoringMethod('magnitude-copy')).toBe(false);
    expect(scoringMethodNames()).not.toContain('magnitude-copy');
    expect(() => registerScoringMethod(magnitudeMethod)).toThrow('"magnitude" is already registered');
    expect(() => registerScoringMethod({ ...magnitudeMethod, name: '' })).toThrow('method.name');
    expect(() => registerScoringMethod({ name: 'x' } as never)).toThrow('method x: label');
    expect(() => registerScoringMethod({ ...magnitudeMethod, name: 'both', prune: () => ({}) as never })).toThrow(
      'exactly one of score() (scores → mask) or prune()',
    );
    expect(() => registerScoringMethod({ ...magnitudeMethod, name: 'needy', needs: ['hessian'] as never })).toThrow(
      'method needy: needs: expected a list of inputSumSq, downInputSumSq, gram',
    );
    expect(() =>
      registerScoringMethod({ ...magnitudeMethod, name: 'badopt', options: [{ name: 'k', type: 'integer', default: 0.5, description: 'k' }] }),
    ).toThrow('method badopt: option k: default 0.5 is not an integer');
    expect(() =>
      registerScoringMethod({ ...magnitudeMethod, name: 'clash', options: [{ name: 'alpha', type: 'string', default: 'x', description: 'd' }] }),
    ).toThrow('option alpha is string here but number in dass');
  });

  it('resolves options: defaults filled, values checked, undeclared names refused', () => {
    const dass = getScoringMethod('dass');
    expect(resolveMethodOptions(dass, undefined)).toEqual({ alpha: 0.5 });
    expect(resolveMethodOptions(dass, undefined, { alpha: 1 })).toEqual({ alpha: 1 });
    expect(() => resolveMethodOptions(dass, undefined, { alpha: -1 })).toThrow('alpha: expected a finite number >= 0, got -1');
    expect(() => resolveMethodOptions(getScoringMethod('wanda'), undefined, { alpha: 1 })).toThrow('alpha: wanda takes no options');
    const obs = getWeightUpdate('obs');
    expect(resolveMethodOptions(dass, obs, { blocksize: 64 })).toEqual({ alpha: 0.5, percdamp: 0.01, blocksize: 64 });
    expect(() => resolveMethodOptions(dass, obs, { blocksize: 0 })).toThrow('blocksize: expected a positive integer, got 0');
    expect(() => resolveMethodOptions(getScoringMethod('sparsegpt'), obs)).toThrow('sparsegpt chooses its mask inside its own step');
    expect(() => getWeightUpdate('ols')).toThrow('unknown weight update "ols"; registered: none, obs');
    expect([...neededStatistics(dass, obs)].sort()).toEqual(['downInputSumSq', 'gram', 'inputSumSq']);
    const flags = allMethodOptions();
    expect(flags.find((f) => f.option.name === 'alpha')!.owners).toEqual(['dass', 'ria']);
    expect(flags.find((f) => f.option.name === 'percdamp')!.owners).toEqual(['sparsegpt', 'update obs']);
    expect(flags.find((f) => f.option.name === 'percdamp')!.declaredBy).toEqual([
      { kind: 'method', name: 'sparsegpt' },
      { kind: 'update', name: 'obs' },
    ]);
  });

  it('errors name option fields, never CLI flags; an application renames them through describe()', () => {
    const caught = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return err as InvalidArgumentError;
      }
      throw new Error('expected a throw');
    };
    const obs = getWeightUpdate('obs');
    const flags = (field: string) => `--${field}`;
    const selfStep = caught(() => resolveMethodOptions(getScoringMethod('sparsegpt'), obs));
    expect(selfStep).toMatchObject({ code: 'DASS_INVALID_ARGUMENT', field: 'update' });
    expect(selfStep.message).toBe('update: sparsegpt chooses its mask inside its own step (prune()); update needs a method that scores');
    expect(selfStep.describe(flags)).toBe('--update: sparsegpt chooses its mask inside its own step (prune()); --update needs a method that scores');
    const unknown = caught(() => resolveMethodOptions(getScoringMethod('wanda'), obs, { alpha: 1 }));
    expect(unknown).toMatchObject({ field: 'alpha', message: 'alpha: wanda with update obs takes only percdamp, blocksize' });
    expect(unknown.describe(flags)).toBe('--alpha: wanda with --update obs takes only percdamp, blocksize');
    const ownStep = caught(() => pruneMatrix(getScoringMethod('sparsegpt'), {} as never, obs));
    expect(ownStep).toMatchObject({
      field: 'update',
      message: 'update obs: sparsegpt chooses its mask inside its own step (prune()); an update needs a method that scores',
    });
    const noGram = caught(() =>
      obs.apply({ weight: new Float32Array(4), shape: [2, 2], kind: 'up_proj', stats: { inputSumSq: new Float64Array(2), tokens: 1 }, name: 'w' } as never),
    );
    expect(noGram.message).toBe("w: update obs needs XᵀX of this linear's inputs (stats.gram), which was not gathered");
    for (const err of [selfStep, unknown, ownStep, noGram]) expect(err.message).not.toContain('--');
  });

  it('a toy method is one entry: its score goes through the pattern code, its option is resolved', () => {
    const toy: PruningMethod = {
      name: 'toy-reverse',
      label: 'Toy',
      description: 'prunes the largest weights first (a test method)',
      needs: [],
      options: [
        { name: 'scale', type: 'number', default: 1, description: 'multiplies every score', validate: (v) => ((v as number) > 0 ? undefined : 'a number > 0') },
      ],
      plan: () => ({ group: 'row', nmAxis: 'in', scoreKind: '-|W|' }),
      score: (w, _shape, _kind, _stats, options) => Float32Array.from(w, (v) => -Math.abs(v) * (options!.scale as number)),
    };
    registerScoringMethod(toy);
    try {
      const method = getScoringMethod('toy-reverse');
      const options = resolveMethodOptions(method, undefined, { scale: 2 });
      const weight = new Float32Array([1, -4, 2, 3]);
      const result = pruneMatrix(method, {
        weight,
        shape: [1, 4],
        kind: 'up_proj',
        stats: undefined,
        pattern: parseSparsity('2:4'),
        partialGroups: 'error',
        options,
        name: 'toy',
      });
      expect(Array.from(result.weight)).toEqual([1, 0, 2, 0]);
      expect(Array.from(result.mask)).toEqual([0, 1, 0, 1]);
      expect(() => resolveMethodOptions(method, undefined, { scale: 0 })).toThrow('scale: expected a number > 0, got 0');
    } finally {
      unregisterScoringMethod('toy-reverse');
    }
  });
});

describe('--update obs through pruneMatrix', () => {
  // 4×8 weight, a Gram matrix with strong off-diagonal couplings (OBS has something to compensate)
  const rows = 4;
  const cols = 8;
  const weight = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 1.7) * 2 + Math.cos(i * 0.3));
  const x = Array.from({ length: 32 }, (_, t) => Array.from({ length: cols }, (_, j) => Math.sin(t * 0.9 + j) + 0.6 * Math.sin(t * 0.9 + j + 1)));
  const gram = new Float64Array(cols * cols);
  for (const row of x) for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) gram[i * cols + j] += row[i]! * row[j]!;
  const inputSumSq = Float64Array.from({ length: cols }, (_, j) => gram[j * cols + j]!);
  const downInputSumSq = Float64Array.from({ length: rows }, (_, i) => i + 1);
  const stats = { inputSumSq, downInputSumSq, gram, tokens: x.length };
  /** ‖(W − Ŵ)X‖² = Σ_r Δ_r G Δ_rᵀ, exact (the full Gram matrix). */
  const outputError = (w: Float32Array) => {
    let e = 0;
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < cols; i++) {
        for (let j = 0; j < cols; j++) e += (weight[r * cols + i]! - w[r * cols + i]!) * gram[i * cols + j]! * (weight[r * cols + j]! - w[r * cols + j]!);
      }
    }
    return e;
  };

  for (const [method, sparsity, kind] of [
    ['wanda', '0.5', 'down_proj'],
    ['dass', '2:4', 'up_proj'],
    ['magnitude', '0.5', 'up_proj'],
    ['ria', '2:4', 'down_proj'],
  ] as const) {
    it(`${method} ${sparsity} ${kind}: the zeros are exactly the method's mask, the output error drops`, () => {
      const m = getScoringMethod(method);
      const obs = getWeightUpdate('obs');
      const input = { weight, shape: [rows, cols] as const, kind, stats, pattern: parseSparsity(sparsity), partialGroups: 'error' as const, name: 'w' };
      const plain = pruneMatrix(m, { ...input, options: resolveMethodOptions(m, undefined) });
      const updated = pruneMatrix(m, { ...input, options: resolveMethodOptions(m, obs, { blocksize: 4 }) }, obs);
      expect(Array.from(updated.mask)).toEqual(Array.from(plain.mask));
      for (let p = 0; p < weight.length; p++) expect(updated.weight[p] === 0).toBe(plain.mask[p] === 1);
      expect(outputError(updated.weight)).toBeLessThan(outputError(plain.weight));
      expect(updated.details?.obsError).toBeGreaterThan(0);
    });
  }

  it("fixing SparseGPT's own mask reproduces SparseGPT's weights (same sweep, same update)", () => {
    for (const sparsity of ['0.5', '2:4']) {
      const own = runSparseGPT({ weight, shape: [rows, cols], gram, tokens: x.length, pattern: parseSparsity(sparsity), blocksize: 4, matmul: 'plain' });
      const fixed = runSparseGPT({ weight, shape: [rows, cols], gram, tokens: x.length, mask: own.mask, blocksize: 4, matmul: 'plain' });
      expect(Array.from(fixed.weight)).toEqual(Array.from(own.weight));
      expect(fixed.error).toBe(own.error);
    }
  });
});
