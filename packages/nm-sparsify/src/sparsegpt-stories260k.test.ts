// SparseGPT's float32 tfjs path against its float64 path on real layer statistics: the stories260K checkpoint
// (model-loader's fixture) with 4 × 64 tokens of its reference text, every linear of every layer.
import { readFileSync } from 'node:fs';
import { runLayerSequential } from '@dass/calibration';
import { CausalLM, DECODER_LINEARS, openLlama2c } from '@dass/model-loader';
import { fixtures } from '@dass/model-loader/test';
import { ensureBackend } from '@dass/tensor-backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockedTuning } from './linalg-blocked.js';
import { runSparseGPT, sweepTuning } from './sparsegpt.js';
import type { SparsityPattern } from './sparsity-pattern.js';
import { reconstructionError } from './test-support/dense-reference.js';

describe('runSparseGPT on stories260K statistics: float32 tfjs path vs float64 path', () => {
  const savedBlocked = { ...blockedTuning };
  const savedSweep = { ...sweepTuning };
  beforeAll(async () => {
    await ensureBackend();
    // Small cut-offs so the 64- and 172-column Hessians run the blocked float32 products (leaves of 16) and the sweep
    // crosses superblock boundaries (superblocks of 64 columns, blocks of 32).
    Object.assign(blockedTuning, { leaf: 16, trmmLeaf: 32 });
    Object.assign(sweepTuning, { superblock: 64 });
  });
  afterAll(() => {
    Object.assign(blockedTuning, savedBlocked);
    Object.assign(sweepTuning, savedSweep);
  });

  it('masks ≥ 99.9% identical and ‖(W−Ŵ)X‖² within 1% on all 35 linears, 2:4 and 50% unstructured', async () => {
    const model = await CausalLM.fromSource(await openLlama2c(fixtures.stories260K.bin), { cacheLayers: false });
    const ids: number[] = JSON.parse(readFileSync(fixtures.stories260K.referenceNll, 'utf8')).input_ids;
    const nsamples = 4;
    const seqlen = 64;
    const patterns: SparsityPattern[] = [
      { kind: 'nm', n: 2, m: 4 },
      { kind: 'unstructured', ratio: 0.5 },
    ];
    let weights = 0;
    let differing = 0;
    let linears = 0;
    let worstErrorRatio = 0;
    try {
      await runLayerSequential({
        model,
        inputIds: Int32Array.from(ids.slice(0, nsamples * seqlen)),
        nsamples,
        seqlen,
        targets: DECODER_LINEARS,
        gram: true,
        onLayer: ({ layer, stats }) => {
          for (const linear of DECODER_LINEARS) {
            const { data, shape } = layer.linearWeight(linear);
            const [rows, cols] = [shape[0]!, shape[1]!];
            const gram = stats.gram.get(linear)!;
            let kept: Float32Array | undefined;
            for (const pattern of patterns) {
              const common = { weight: data, shape: [rows, cols] as [number, number], gram, tokens: stats.tokens, pattern, blocksize: 32 };
              const plain = runSparseGPT({ ...common, matmul: 'plain' });
              const f32 = runSparseGPT({ ...common, matmul: 'tfjs' });
              expect(f32.matmul).toBe('tfjs');
              for (let p = 0; p < plain.mask.length; p++) if (plain.mask[p] !== f32.mask[p]) differing++;
              weights += plain.mask.length;
              const e64 = reconstructionError(data, plain.weight, gram, rows, cols);
              const e32 = reconstructionError(data, f32.weight, gram, rows, cols);
              worstErrorRatio = Math.max(worstErrorRatio, Math.abs(e32 / e64 - 1));
              linears++;
              kept ??= plain.weight;
            }
            // Prune as the pipeline would, so the next layer sees pruned inputs.
            layer.setLinearWeight(linear, kept!);
          }
        },
      });
    } finally {
      model.dispose();
    }
    expect(linears).toBe(5 * 7 * 2);
    expect(differing / weights).toBeLessThanOrEqual(1e-3);
    expect(worstErrorRatio).toBeLessThan(0.01);
  });
});
