// Golden perplexities per method on stories260K, pinned to values from an independent PyTorch implementation of the
// authors' code (issue 15): calibration 128 × 256 windows of the bundled TinyStories train text (seed 0, plain-text
// sampler), MLP targets, 2:4; perplexity on the bundled TinyStories validation head (794 KB) at seqlen 256, all
// 1,535 windows. A silent fallback (say DaSS → Wanda: 28.83 vs 30.65) fails here; ±0.5% leaves room for float32
// summation order only. Slow-ish (a few minutes): four full evaluations.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { perplexityOfText } from '@dass/evaluation';
import { CausalLM, loadTokenizer, openModel } from '@dass/model-loader';
import { runPrune } from '@dass/pipeline';
import { selectBackend } from '@dass/tensor-backend';
import { assetsDir } from './builtin-grids.js';

const model = join(assetsDir, 'stories260K/stories260K.bin');
const tokenizerPath = join(assetsDir, 'stories260K/tok512.bin');
const calib = join(assetsDir, 'text/tinystories_train_head.txt');
const evalText = join(assetsDir, 'text/tinystories_validation_head.txt');

/** Independent reference (PyTorch, float32), see the file comment. */
const GOLDEN = { dense: 5.12, wanda: 30.65, dass: 28.83, sparsegpt: 18.09 } as const;
const TOLERANCE = 0.005;

async function perplexity(path: string, text: string): Promise<{ ppl: number; windows: number }> {
  const source = await openModel(path);
  const lm = await CausalLM.fromSource(source);
  try {
    const tokenizer = await loadTokenizer(tokenizerPath, { vocabSize: source.config.vocabSize });
    const r = await perplexityOfText(lm, tokenizer, text, { seqlen: 256 });
    return { ppl: r.ppl, windows: r.windows };
  } finally {
    lm.dispose();
    await source.close();
  }
}

describe('golden perplexities on stories260K (2:4, MLP, 128 × 256 calibration)', () => {
  let work: string;
  let text: string;
  beforeAll(async () => {
    await selectBackend('auto');
    work = await mkdtemp(join(tmpdir(), 'dass-golden-'));
    text = await readFile(evalText, 'utf8');
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('dense', async () => {
    const r = await perplexity(model, text);
    expect(r.windows).toBe(1535);
    expect(Math.abs(r.ppl / GOLDEN.dense - 1)).toBeLessThan(TOLERANCE);
  }, 900_000);

  for (const method of ['wanda', 'dass', 'sparsegpt'] as const) {
    it(`${method} 2:4 → ${GOLDEN[method]}`, async () => {
      const out = join(work, `${method}.bin`);
      const manifest = await runPrune({
        model,
        tokenizer: tokenizerPath,
        method,
        sparsity: '2:4',
        calib,
        calibFormat: 'text',
        nsamples: 128,
        seqlen: 256,
        seed: 0,
        out,
      });
      expect(manifest.sparsity.overTargets.ratio).toBe(0.5);
      const r = await perplexity(out, text);
      expect(Math.abs(r.ppl / GOLDEN[method] - 1), `${method}: ${r.ppl}`).toBeLessThan(TOLERANCE);
    }, 900_000);
  }
});
