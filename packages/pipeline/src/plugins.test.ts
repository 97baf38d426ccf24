// Pruning methods as plug-ins, end to end on stories260K: --update obs, --layer-ratios owl, a toy method, and the
// absence of method-name branches outside the registry.
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runLayerSequential } from '@dass/calibration';
import { CausalLM, MLP_LINEARS, openModel } from '@dass/model-loader';
import { fixtures } from '@dass/model-loader/test';
import { checkNM, parseSparsity } from '@dass/nm-sparsify';
import { getScoringMethod, getWeightUpdate, pruneMatrix, registerScoringMethod, resolveMethodOptions, unregisterScoringMethod } from '@dass/scoring';
import type { PruningMethod } from '@dass/scoring';
import { loadCalibration } from './calibration-input.js';
import { owlLayerRatios } from './layer-ratios.js';
import { runPrune } from './run-prune.js';

const calibText = new URL('../fixtures/tinystories_train_head.txt', import.meta.url).pathname;
const tmp = () => mkdtempSync(join(tmpdir(), 'dass-plugins-'));
const base = { model: fixtures.stories260K.bin, tokenizer: fixtures.stories260K.tokenizer, calib: calibText, nsamples: 8, seqlen: 64, seed: 0 };

/** ‖(W − Ŵ)X‖² = Σ_r Δ_r (XᵀX) Δ_rᵀ with the full Gram matrix (not the diagonal approximation). */
function exactOutputError(before: Float32Array, after: Float32Array, rows: number, cols: number, gram: Float64Array): number {
  let total = 0;
  const d = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) d[j] = before[r * cols + j]! - after[r * cols + j]!;
    for (let i = 0; i < cols; i++) {
      if (d[i] === 0) continue;
      let s = 0;
      for (let j = 0; j < cols; j++) s += gram[i * cols + j]! * d[j]!;
      total += d[i]! * s;
    }
  }
  return total;
}

describe('--update obs on every MLP matrix of stories260K', () => {
  for (const [method, sparsity] of [
    ['dass', '2:4'],
    ['wanda', '2:4'],
    ['magnitude', '0.5'],
    ['ria', '0.5'],
    ['dass', '0.5'],
  ] as const) {
    it(`${method} ${sparsity}: the zeros are exactly ${method}'s mask and ‖(W−Ŵ)X‖² is below plain ${method}'s`, async () => {
      const source = await openModel(fixtures.stories260K.bin);
      const tokenizer = (await import('@dass/model-loader')).loadTokenizer(fixtures.stories260K.tokenizer, { vocabSize: source.config.vocabSize });
      const batch = await loadCalibration({
        calib: calibText,
        tokenizer: await tokenizer,
        nsamples: 8,
        seqlen: 64,
        seed: 0,
        vocabSize: source.config.vocabSize,
      });
      const model = await CausalLM.fromSource(source, { cacheLayers: false });
      const m = getScoringMethod(method);
      const obs = getWeightUpdate('obs');
      let matrices = 0;
      try {
        await runLayerSequential({
          model,
          inputIds: batch.inputIds,
          nsamples: batch.nsamples,
          seqlen: batch.seqlen,
          targets: MLP_LINEARS,
          gram: true,
          onLayer: ({ layer, stats }) => {
            for (const linear of MLP_LINEARS) {
              const w = layer.linearWeight(linear);
              const shape = [w.shape[0]!, w.shape[1]!] as const;
              const gram = stats.gram.get(linear)!;
              const input = {
                weight: w.data,
                shape,
                kind: linear,
                stats: { inputSumSq: stats.inputSumSq.get(linear)!, downInputSumSq: stats.inputSumSq.get('down_proj'), gram, tokens: stats.tokens },
                pattern: parseSparsity(sparsity),
                partialGroups: 'error' as const,
                name: `${layer.index}.${linear}`,
              };
              const plain = pruneMatrix(m, { ...input, options: resolveMethodOptions(m, undefined) });
              const updated = pruneMatrix(m, { ...input, options: resolveMethodOptions(m, obs) }, obs);
              for (let p = 0; p < w.data.length; p++) {
                if ((updated.weight[p] === 0) !== (plain.mask[p] === 1))
                  throw new Error(`${input.name}[${p}]: zero ${updated.weight[p] === 0} but mask ${plain.mask[p]}`);
              }
              const ePlain = exactOutputError(w.data, plain.weight, shape[0], shape[1], gram);
              const eObs = exactOutputError(w.data, updated.weight, shape[0], shape[1], gram);
              expect(eObs, `${input.name}`).toBeLessThan(ePlain);
              matrices++;
              layer.setLinearWeight(linear, updated.weight);
            }
          },
        });
      } finally {
        model.dispose();
        await source.close();
      }
      expect(matrices).toBe(15);
    });
  }

  it('through runPrune: DaSS + OBS at 2:4 keeps the output-axis groups and records the update and its options', async () => {
    const manifest = await runPrune({ ...base, method: 'dass', update: 'obs', sparsity: '2:4', out: join(tmp(), 'o.bin'), blocksize: 64 });
    expect(manifest).toMatchObject({ method: 'dass', update: 'obs', label: 'DaSS + OBS', options: { alpha: 0.5, percdamp: 0.01, blocksize: 64 } });
    expect(manifest.sparsity.overTargets.ratio).toBe(0.5);
    const source = await openModel(manifest.output.path);
    const up = await source.readF32('model.layers.2.mlp.up_proj.weight');
    expect(checkNM(up.data, [up.shape[0]!, up.shape[1]!], 2, 4, 'out').valid).toBe(true);
    await source.close();
    expect(manifest.layers[0]!.matrices[0]!.details?.obsError).toBeGreaterThan(0);
  });

  it('refuses an update on a method with its own step, an unknown update and options nobody declares', async () => {
    const out = join(tmp(), 'o');
    await expect(runPrune({ ...base, method: 'sparsegpt', update: 'obs', sparsity: '0.5', out })).rejects.toMatchObject({
      code: 'DASS_INVALID_ARGUMENT',
      field: 'update',
      message: expect.stringMatching(
        /^update obs: sparsegpt chooses its mask inside its own step \(it updates weights itself\); update needs a method that scores/,
      ),
    });
    await expect(runPrune({ ...base, method: 'wanda', update: 'ols', sparsity: '0.5', out })).rejects.toMatchObject({
      field: 'update',
      message: 'update: unknown weight update "ols"; registered: none, obs',
    });
    await expect(runPrune({ ...base, method: 'wanda', sparsity: '0.5', out, alpha: 1 })).rejects.toMatchObject({
      field: 'alpha',
      message: 'alpha: wanda takes no options',
    });
    await expect(runPrune({ ...base, method: 'wanda', sparsity: '0.5', out, percdamp: 0.1 })).rejects.toMatchObject({
      field: 'percdamp',
      message: 'percdamp: wanda takes no options',
    });
    await expect(runPrune({ ...base, method: 'wanda', update: 'obs', sparsity: '0.5', out, percdamp: 2 })).rejects.toMatchObject({
      field: 'percdamp',
      message: 'percdamp: expected a number in (0, 1), got 2',
    });
  });
});

describe('--layer-ratios owl', () => {
  it('hand-worked: spread 2λ around the target, mean weighted by weight count, more outliers → sparser never', () => {
    // D = [1, 3, 2], λ = 0.1: spread [0, 0.2, 0.1]; equal weights → mean 0.1 → density [0.4, 0.6, 0.5] at target 0.5
    const r = owlLayerRatios([1, 3, 2], [10, 10, 10], 0.5, 0.1);
    [0.6, 0.4, 0.5].forEach((v, i) => expect(r[i]).toBeCloseTo(v, 12));
    // unequal weights: mean spread (0·1 + 0.2·3 + 0.1·1)/5 = 0.14 → sparsity 0.5 + 0.14 − spread
    const w = owlLayerRatios([1, 3, 2], [1, 3, 1], 0.5, 0.1);
    [0.64, 0.44, 0.54].forEach((v, i) => expect(w[i]).toBeCloseTo(v, 12));
    expect(w[0]! * 1 + w[1]! * 3 + w[2]! * 1).toBeCloseTo(0.5 * 5, 12);
    expect(owlLayerRatios([2, 2], [1, 1], 0.7, 0.08)).toEqual([0.7, 0.7]);
    expect(() => owlLayerRatios([0, 1], [1, 1], 0.05, 0.08)).toThrow(
      'lambda: layer 1 would get sparsity -0.0300 (target 0.05, λ = 0.08): outside [0, 1); lower lambda or target',
    );
  });

  it('wanda 0.5 on stories260K: the per-layer ratios average to the target by weight count and follow the outlier order', async () => {
    const manifest = await runPrune({ ...base, method: 'wanda', sparsity: '0.5', layerRatios: 'owl', out: join(tmp(), 'o.bin') });
    const lr = manifest.layerRatios!;
    expect(lr).toMatchObject({ strategy: 'owl', m: 5, lambda: 0.08 });
    expect(manifest.label).toBe('Wanda (OWL)');
    expect(lr.ratios).toHaveLength(5);
    const total = lr.weights.reduce((a, b) => a + b, 0);
    expect(lr.ratios.reduce((a, r, l) => a + r * lr.weights[l]!, 0) / total).toBeCloseTo(0.5, 12);
    expect(Math.max(...lr.ratios) - Math.min(...lr.ratios)).toBeCloseTo(0.16, 12);
    for (let a = 0; a < 5; a++) {
      for (let b = 0; b < 5; b++) if (lr.outlierRatios[a]! > lr.outlierRatios[b]!) expect(lr.ratios[a]!).toBeLessThan(lr.ratios[b]!);
    }
    // each layer pruned at its own ratio: per row floor(ratio·in) zeros
    manifest.layers.forEach((layer, l) => {
      for (const m of layer.matrices) expect(m.zeros).toBe(m.shape[0] * Math.floor(m.shape[1] * lr.ratios[l]!));
    });
  });

  it('refuses N:M with OWL before touching any file', async () => {
    const dir = tmp();
    await expect(runPrune({ ...base, method: 'wanda', sparsity: '2:4', layerRatios: 'owl', out: join(dir, 'o') })).rejects.toThrow(
      /^layerRatios owl: OWL gives each layer its own unstructured ratio, but sparsity 2:4 fixes N of every M weights in every layer; use an unstructured sparsity \(e.g. 0.5\) or layerRatios uniform$/,
    );
    await expect(runPrune({ ...base, method: 'wanda', sparsity: '0.5', layerRatios: 'owls', out: join(dir, 'o') })).rejects.toMatchObject({
      code: 'DASS_INVALID_ARGUMENT',
      field: 'layerRatios',
      message: 'layerRatios: expected one of uniform, owl, got "owls"',
    });
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('a toy method registered in a test', () => {
  it('runs through runPrune with its option, label and plan, with no other edits', async () => {
    const toy: PruningMethod = {
      name: 'toy-col',
      label: 'Toy',
      description: 'magnitude down each column (a test method)',
      needs: [],
      options: [{ name: 'power', type: 'number', default: 1, description: 'exponent on |W|' }],
      plan: () => ({ group: 'column', nmAxis: 'out', scoreKind: '|W|^p' }),
      score: (w, _s, _k, _st, o) => Float32Array.from(w, (v) => Math.abs(v) ** (o!.power as number)),
    };
    registerScoringMethod(toy);
    try {
      const manifest = await runPrune({ ...base, method: 'toy-col', sparsity: '0.25', methodOptions: { power: 2 }, out: join(tmp(), 'o.bin') });
      expect(manifest).toMatchObject({ method: 'toy-col', label: 'Toy', options: { power: 2 }, plans: { up_proj: { group: 'column', nmAxis: 'out' } } });
      const up = manifest.layers[0]!.matrices.find((m) => m.linear === 'up_proj')!;
      expect(up.zeros).toBe(up.shape[1] * Math.floor(up.shape[0] * 0.25));
    } finally {
      unregisterScoringMethod('toy-col');
    }
  });
});

describe('no method-name branches outside the registry', () => {
  it('no source file outside packages/scoring compares method names or reads updatesWeights / needsGram', () => {
    const root = new URL('../../../', import.meta.url).pathname;
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (name === 'node_modules' || name === 'dist') continue;
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) files.push(p);
      }
    };
    for (const group of ['apps', 'packages'])
      for (const pkg of readdirSync(join(root, group)))
        if (statSync(join(root, group, pkg, 'src'), { throwIfNoEntry: false })?.isDirectory()) walk(join(root, group, pkg, 'src'));
    const names = '(magnitude|wanda|dass|sparsegpt|ria)';
    const forbidden = [
      /updatesWeights|needsGram|needsActivations|METHOD_LABELS/,
      /(?<!typeof )\bmethod(\.name)?\s*[!=]==?\s*['"](?!dense['"])/,
      new RegExp(`['"]${names}['"]\\s*[!=]==?`),
      new RegExp(`(includes|has)\\(['"]${names}['"]\\)`),
      new RegExp(`case ['"]${names}['"]`),
    ];
    const hits: string[] = [];
    for (const file of files) {
      const rel = relative(root, file);
      if (rel.startsWith('packages/scoring/')) continue;
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (forbidden.some((re) => re.test(line))) hits.push(`${rel}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(files.length).toBeGreaterThan(50);
    expect(hits).toEqual([]);
  });
});
