// `dass demo`, the README's main job: dense vs DaSS vs Wanda at 2:4 on the bundled stories260K.
import { describe, expect, it } from 'vitest';
import { runCli } from '../test-support/run-cli.js';
import type { DemoRow } from './demo.js';

describe('dass demo', () => {
  it('prunes with DaSS and Wanda at 2:4 and reports dense and pruned perplexity', async () => {
    const r = await runCli(['demo', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as {
      rows: DemoRow[];
      evaluation: { windows: number; seqlen: number };
      calibration: { nsamples: number; seqlen: number; seed: number };
    };
    expect(out.calibration).toMatchObject({ nsamples: 32, seqlen: 256, seed: 0 });
    expect(out.evaluation).toMatchObject({ windows: 32, seqlen: 256 });
    expect(out.rows.map((x) => [x.method, x.pattern])).toEqual([
      ['dense', '-'],
      ['dass', '2:4'],
      ['wanda', '2:4'],
    ]);
    const [dense, dass, wanda] = out.rows as [DemoRow, DemoRow, DemoRow];
    expect(dense.sparsity).toBe(0);
    expect(dass.sparsity).toBe(0.5);
    expect(wanda.sparsity).toBe(0.5);
    // Half the MLP weights gone costs perplexity on a 260K-parameter model.
    expect(dass.ppl).toBeGreaterThan(dense.ppl);
    expect(wanda.ppl).toBeGreaterThan(dense.ppl);
  });
});
