// A pruning method registered in a test reaches the grid, the cells, the manifests and the reports with no other
// edits; option lists become rows; OWL rows have no N:M cells.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerScoringMethod, unregisterScoringMethod } from '@dass/scoring';
import { assetsDir } from './builtin-grids.js';
import type { CellRecord } from './cell-record.js';
import { gridCells } from './grid-cells.js';
import { validateGrid } from './grid-spec.js';
import { runGrid } from './run-grid.js';

describe('a toy method through dass-repro (in process)', () => {
  let out: string;
  beforeAll(async () => {
    registerScoringMethod({
      name: 'toy-grid',
      label: 'Toy',
      description: 'magnitude to a power, compared per row (a test method)',
      needs: [],
      options: [{ name: 'toyPower', type: 'number', default: 1, description: 'exponent on |W|' }],
      plan: () => ({ group: 'row', nmAxis: 'in', scoreKind: '|W|^p' }),
      score: (w, _s, _k, _st, o) => Float32Array.from(w, (v) => Math.abs(v) ** (o!.toyPower as number)),
    });
    out = await mkdtemp(join(tmpdir(), 'dass-repro-plugin-'));
  });
  afterAll(async () => {
    unregisterScoringMethod('toy-grid');
    await rm(out, { recursive: true, force: true });
  });

  it('runs its rows, records its options and label, and shows it in results.md', async () => {
    const grid = validateGrid(
      {
        name: 'plugins',
        models: [{ name: 'stories260K', path: 'stories260K/stories260K.bin', tokenizer: 'stories260K/tok512.bin' }],
        methods: ['wanda', { method: 'toy-grid', toyPower: [1, 2] }, { method: 'wanda', layerRatios: 'owl' }],
        patterns: ['0.5', '2:4'],
        calibration: { source: 'text/tinystories_train_head.txt', format: 'text', nsamples: 4, seqlen: 64, seed: 0 },
        evaluation: { perplexity: [{ name: 'val', path: 'text/tinystories_validation_head_60k.txt', seqlen: 64, maxWindows: 2 }] },
        analysis: { enabled: false, k: [3], bins: 2 },
      },
      { file: 'plugins', root: assetsDir },
    );
    expect(grid.methods.map((m) => m.label)).toEqual(['Wanda', 'Toy (toyPower 1)', 'Toy (toyPower 2)', 'Wanda (OWL)']);
    expect(gridCells(grid).map((c) => c.id)).toEqual([
      'stories260K__dense',
      'stories260K__wanda__50pct',
      'stories260K__wanda__2of4',
      'stories260K__toy-grid-toyPower1__50pct',
      'stories260K__toy-grid-toyPower1__2of4',
      'stories260K__toy-grid-toyPower2__50pct',
      'stories260K__toy-grid-toyPower2__2of4',
      'stories260K__wanda-owl__50pct',
    ]);
    const summary = await runGrid(grid, { outDir: out, origin: 'test' });
    expect(summary.failed).toEqual([]);
    const record = JSON.parse(await readFile(join(out, 'cells', 'stories260K__toy-grid-toyPower2__2of4.json'), 'utf8')) as CellRecord;
    expect(record.manifest).toMatchObject({ method: 'toy-grid', label: 'Toy', options: { toyPower: 2 }, pattern: '2:4' });
    // |W| and |W|² rank identically per row: the two toy rows prune the same weights
    const p1 = JSON.parse(await readFile(join(out, 'cells', 'stories260K__toy-grid-toyPower1__2of4.json'), 'utf8')) as CellRecord;
    expect((p1.perplexity!.val as { ppl: number }).ppl).toBe((record.perplexity!.val as { ppl: number }).ppl);
    const md = await readFile(join(out, 'results.md'), 'utf8');
    expect(md).toMatch(/^\| Toy \(toyPower 1\) \| [0-9.*]+ \| [0-9.*]+ \|$/m);
    expect(md).toMatch(/^\| Wanda \(OWL\) \| [0-9.*]+ \| n\/a \|$/m);
    expect(await readFile(join(out, 'report.html'), 'utf8')).toContain('Toy (toyPower 2)');
  }, 300_000);
});
