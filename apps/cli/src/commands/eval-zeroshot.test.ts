// `dass eval zeroshot` on the bundled task subsets: the accuracies must be consistent with the item counts, and the
// command's answers must equal the evaluation package's for the same model (the CLI adds no scoring of its own).
import { describe, expect, it } from 'vitest';
import { evaluateZeroShot, withGreedyScoring } from '@dass/evaluation';
import { CausalLM, loadTokenizer, openModel } from '@dass/model-loader';
import { bundled, runCli, runCliJson } from '../test-support/run-cli.js';

interface Result {
  task: string;
  n: number;
  acc: number;
  accNorm?: number;
  perplexity?: number;
}

describe('dass eval zeroshot', () => {
  it('scores the first N items of each task and agrees with evaluateZeroShot', async () => {
    const r = await runCliJson<{ results: Result[]; limit: number }>([
      'eval',
      'zeroshot',
      '--model',
      bundled.model,
      '--tokenizer',
      bundled.tokenizer,
      '--tasks',
      'piqa,lambada',
      '--limit',
      '5',
      '--json',
    ]);
    expect(r.limit).toBe(5);
    expect(r.results.map((x) => [x.task, x.n])).toEqual([
      ['piqa', 5],
      ['lambada', 5],
    ]);
    // acc (and piqa's acc_norm) is a count of hits over 5 items.
    const hits = (ratio: number | undefined) => Math.abs(ratio! * 5 - Math.round(ratio! * 5));
    for (const x of r.results) expect(hits(x.acc)).toBeLessThan(1e-9);
    expect(hits(r.results[0]!.accNorm)).toBeLessThan(1e-9);
    expect(r.results[1]!.perplexity).toBeGreaterThan(1);

    const source = await openModel(bundled.model);
    const model = await CausalLM.fromSource(source);
    try {
      const tokenizer = await loadTokenizer(bundled.tokenizer, { vocabSize: 512 });
      for (const task of ['piqa', 'lambada']) {
        const expected = await evaluateZeroShot(withGreedyScoring(model), tokenizer, task, { limit: 5 });
        const got = r.results.find((x) => x.task === task)!;
        expect(got.acc).toBe(expected.acc);
        expect(got.accNorm).toBe(expected.accNorm);
        // exp(−mean log-prob) magnifies float32 rounding differences between builds; the hits above are exact.
        if (expected.perplexity === undefined) expect(got.perplexity).toBeUndefined();
        else expect(Math.abs(got.perplexity! / expected.perplexity - 1)).toBeLessThan(1e-4);
      }
    } finally {
      model.dispose();
      await source.close();
    }
  });

  it('exits 2 with one line for an unknown task and a tasks dir without the task file', async () => {
    const unknown = await runCli(['eval', 'zeroshot', '--model', bundled.model, '--tokenizer', bundled.tokenizer, '--tasks', 'piqa,mmlu']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toContain('"mmlu"');
    expect(unknown.stderr).toContain('arc_easy');
    const noFile = await runCli([
      'eval',
      'zeroshot',
      '--model',
      bundled.model,
      '--tokenizer',
      bundled.tokenizer,
      '--tasks',
      'piqa',
      '--tasks-dir',
      bundled.model + '.d',
    ]);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr.trim()).toMatch(/^dass: error: --tasks piqa: task file not found: .*piqa/);
  });
});
