// Golden perplexities per method on stories260K, pinned to values from independent PyTorch implementations of the
// authors' code: MLP targets, 2:4, calibration windows of the bundled TinyStories train text (seed 0, plain-text
// sampler), perplexity on the bundled TinyStories validation head (794 KB) at seqlen 256. A silent fallback (say
// DaSS → Wanda) fails here; ±0.5% leaves room for float32 summation order only.
//
// Run in every `pnpm test` (a few CPU-seconds per method): calibration 32 × 256 and the first 128 windows, values
// from scripts/golden/stories260k_golden.py (PyTorch 1.13, float32; it gives the values below for these settings,
// and the same four numbers as DaSS.ts to 1e-6 at calibration 128 × 256 / 128 windows too). The script itself is
// checked against issue 15's independent reference: at the full setting it gives dense 5.119928, wanda 30.645702,
// dass 28.834107, sparsegpt 18.086961 (2026-11-29), the FULL values below to their two decimals.
// DASS_GOLDEN_FULL=1 also runs the issue's own setting (calibration 128 × 256, all 1,535 windows; numbers from the
// separate PyTorch implementation of issue 15): four full evaluations, minutes of CPU.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluatePerplexity } from '@dass/evaluation';
import { CausalLM, loadTokenizer, openModel } from '@dass/model-loader';
import { runPrune } from '@dass/pipeline';
import { selectBackend } from '@dass/tensor-backend';
import { assetsDir } from './builtin-grids.js';

const model = join(assetsDir, 'stories260K/stories260K.bin');
const tokenizerPath = join(assetsDir, 'stories260K/tok512.bin');
const calib = join(assetsDir, 'text/tinystories_train_head.txt');
const evalText = join(assetsDir, 'text/tinystories_validation_head.txt');
const TOLERANCE = 0.005;
const METHODS = ['wanda', 'dass', 'sparsegpt'] as const;

interface Setting {
  name: string;
  nsamples: number;
  /** Windows of 256 tokens scored, from the start of the validation text (undefined: all). */
  maxWindows?: number;
  windows: number;
  golden: Record<'dense' | (typeof METHODS)[number], number>;
}

/** scripts/golden/stories260k_golden.py --nsamples 32 --max-windows 128 */
const FAST: Setting = {
  name: 'calibration 32 × 256, first 128 windows',
  nsamples: 32,
  maxWindows: 128,
  windows: 128,
  golden: { dense: 4.139149, wanda: 26.859176, dass: 23.729709, sparsegpt: 16.159972 },
};
/** Issue 15's independent reference. */
const FULL: Setting = {
  name: 'calibration 128 × 256, all windows',
  nsamples: 128,
  windows: 1535,
  golden: { dense: 5.12, wanda: 30.65, dass: 28.83, sparsegpt: 18.09 },
};

function goldenSuite(setting: Setting, timeout: number, run = true): void {
  describe.runIf(run)(`golden perplexities on stories260K (2:4, MLP, ${setting.name})`, () => {
    let work: string;
    let ids: Int32Array;
    beforeAll(async () => {
      await selectBackend('auto');
      work = await mkdtemp(join(tmpdir(), 'dass-golden-'));
      // Tokenized once (BOS first, as perplexityOfText does) for the four evaluations.
      const tokenizer = await loadTokenizer(tokenizerPath, { vocabSize: 512 });
      ids = Int32Array.from(tokenizer.encode(await readFile(evalText, 'utf8'), { bos: true, eos: false }));
    });
    afterAll(async () => {
      await rm(work, { recursive: true, force: true });
    });

    async function perplexity(path: string): Promise<{ ppl: number; windows: number }> {
      const source = await openModel(path);
      const lm = await CausalLM.fromSource(source);
      try {
        const r = await evaluatePerplexity(lm, ids, { seqlen: 256, maxWindows: setting.maxWindows });
        return { ppl: r.ppl, windows: r.windows };
      } finally {
        lm.dispose();
        await source.close();
      }
    }

    it(
      `dense → ${setting.golden.dense}`,
      async () => {
        const r = await perplexity(model);
        expect(r.windows).toBe(setting.windows);
        expect(Math.abs(r.ppl / setting.golden.dense - 1), `dense: ${r.ppl}`).toBeLessThan(TOLERANCE);
      },
      timeout,
    );

    for (const method of METHODS) {
      it(
        `${method} 2:4 → ${setting.golden[method]}`,
        async () => {
          const out = join(work, `${method}.bin`);
          const manifest = await runPrune({
            model,
            tokenizer: tokenizerPath,
            method,
            sparsity: '2:4',
            calib,
            calibFormat: 'text',
            nsamples: setting.nsamples,
            seqlen: 256,
            seed: 0,
            out,
          });
          expect(manifest.sparsity.overTargets.ratio).toBe(0.5);
          const r = await perplexity(out);
          expect(r.windows).toBe(setting.windows);
          expect(Math.abs(r.ppl / setting.golden[method] - 1), `${method}: ${r.ppl}`).toBeLessThan(TOLERANCE);
        },
        timeout,
      );
    }
  });
}

goldenSuite(FAST, 120_000);
goldenSuite(FULL, 900_000, process.env.DASS_GOLDEN_FULL === '1');
