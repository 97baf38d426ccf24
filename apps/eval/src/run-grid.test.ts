import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetsDir } from './builtin-grids.js';
import type { CellRecord } from './cell-record.js';
import { runCellsInWorkers } from './cell-worker-pool.js';
import { gridCells } from './grid-cells.js';
import { validateGrid } from './grid-spec.js';
import type { GridSpec } from './grid-spec.js';
import { calibrationEncodeCacheStats, clearCalibrationEncodeCache } from '@dass/pipeline';
import { runGrid } from './run-grid.js';
import type { GridRunSummary } from './run-grid.js';

/** stories260K (MLP width 172) with Wanda and magnitude at 50% and 4:8; 4:8 on 172 columns needs partialGroups. */
function smallGrid(partialGroups: 'error' | 'dense'): GridSpec {
  return validateGrid(
    {
      name: 'small',
      models: [{ name: 'stories260K', path: 'stories260K/stories260K.bin', tokenizer: 'stories260K/tok512.bin' }],
      methods: ['magnitude', 'wanda'],
      patterns: ['0.5', { sparsity: '4:8', partialGroups }],
      calibration: { source: 'text/tinystories_train_head.txt', format: 'text', nsamples: 4, seqlen: 64, seed: 0 },
      evaluation: {
        perplexity: [{ name: 'val', path: 'text/tinystories_validation_head_60k.txt', seqlen: 64, maxWindows: 4 }],
        zeroShot: { tasks: ['piqa'], limit: 2, tasksDir: 'tasks' },
      },
      analysis: { enabled: true, k: [3, 5], bins: 5 },
    },
    { file: 'small', root: assetsDir },
  );
}

const records = async (dir: string): Promise<Map<string, CellRecord>> => {
  const out = new Map<string, CellRecord>();
  for (const f of await readdir(join(dir, 'cells'))) out.set(f.replace(/\.json$/, ''), JSON.parse(await readFile(join(dir, 'cells', f), 'utf8')));
  return out;
};

describe('runGrid (in process) over stories260K', () => {
  let out: string;
  let first: GridRunSummary;
  let firstCache: ReturnType<typeof calibrationEncodeCacheStats>;
  const log: string[] = [];
  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'dass-repro-'));
    clearCalibrationEncodeCache();
    first = await runGrid(smallGrid('error'), { outDir: out, origin: 'test', log: (l) => log.push(l) });
    firstCache = calibrationEncodeCacheStats();
  });
  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('records a failing cell with its error and runs the rest', async () => {
    expect(first.cells).toBe(6);
    expect(first.failed.sort()).toEqual(['stories260K__magnitude__4of8', 'stories260K__wanda__4of8']);
    const r = await records(out);
    expect([...r.keys()].sort()).toEqual(
      gridCells(smallGrid('error'))
        .map((c) => c.id)
        .sort(),
    );
    const failed = r.get('stories260K__wanda__4of8')!;
    expect(failed.status).toBe('failed');
    expect(failed.error!.message).toMatch(/down_proj \[64, 172\].*not divisible by (M=)?8/);
    expect(log.some((l) => l.includes('stories260K__wanda__4of8: FAILED'))).toBe(true);
    // No pruned checkpoint is left behind.
    expect(await readdir(join(out, 'checkpoints'))).toEqual([]);
  });

  it('prunes to exactly 50% and reads the sparsity back from the written checkpoint', async () => {
    const wanda = (await records(out)).get('stories260K__wanda__50pct')!;
    expect(wanda.status).toBe('ok');
    expect(wanda.manifest!.method).toBe('wanda');
    expect(wanda.manifest!.calibration).toMatchObject({ nsamples: 4, seqlen: 64, seed: 0 });
    // gate/up [172, 64] and down [64, 172] per layer, 5 layers: every row loses exactly half.
    expect(wanda.sparsity!.overTargets).toEqual({ zeros: 5 * 3 * 172 * 32, total: 5 * 3 * 172 * 64, ratio: 0.5 });
    expect(wanda.sparsity!.layers.map((l) => l.layer)).toEqual([0, 1, 2, 3, 4]);
    expect(wanda.sparsity!.overTargets.zeros).toBe(wanda.manifest!.sparsity.overTargets.zeros);
    const dense = (await records(out)).get('stories260K__dense')!;
    const ppl = (r: CellRecord) => (r.perplexity!.val as { ppl: number; windows: number }).ppl;
    expect((dense.perplexity!.val as { windows: number }).windows).toBe(4);
    expect(ppl(wanda)).toBeGreaterThan(ppl(dense));
    expect(wanda.zeroShot!.map((z) => z.task)).toEqual(['piqa']);
    expect((wanda.zeroShot![0] as { n: number }).n).toBe(2);
  });

  it('tokenizes the calibration text once for all the cells of the run', () => {
    // magnitude and wanda at 50% sample calibration, and so does the analysis; the 4:8 cells fail before it.
    expect(firstCache).toEqual({ hits: 2, misses: 1, entries: 1 });
  });

  it('analyses every layer of the dense model', async () => {
    const a = (await records(out)).get('stories260K__analysis')!.analysis!;
    expect(a.layers).toHaveLength(5);
    expect(a.tokens).toBe(4 * 64);
    for (const l of a.layers) {
      for (const ratios of Object.values(l.outlierRatio)) {
        expect(ratios).toHaveLength(2);
        expect(ratios[0]).toBeGreaterThanOrEqual(ratios[1]!); // k=3 flags at least what k=5 flags
      }
      expect(l.neuronNorms.neurons).toBe(172);
      expect(l.neuronNorms.log10Histogram.counts.reduce((s, c) => s + c, 0)).toBe(172 - l.neuronNorms.zeros);
    }
  });

  it('writes results.json, results.md and a report with the failures listed', async () => {
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    expect(results.summary).toEqual({ cells: 6, finished: 4, failed: 2, pending: 0 });
    const md = await readFile(join(out, 'results.md'), 'utf8');
    expect(md).toContain('| Wanda |');
    expect(md).toContain('failed');
    expect(md).toContain('- `stories260K__wanda__4of8`: ');
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<section id="failures">');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it('on a rerun skips finished cells untouched and retries the failed ones', async () => {
    const before = await stat(join(out, 'cells', 'stories260K__wanda__50pct.json'));
    const again = await runGrid(smallGrid('error'), { outDir: out, origin: 'test' });
    expect(again.skipped.sort()).toEqual(['stories260K__analysis', 'stories260K__dense', 'stories260K__magnitude__50pct', 'stories260K__wanda__50pct']);
    expect(again.ran.sort()).toEqual(['stories260K__magnitude__4of8', 'stories260K__wanda__4of8']);
    expect((await stat(join(out, 'cells', 'stories260K__wanda__50pct.json'))).mtimeMs).toBe(before.mtimeMs);
  });

  it('reruns only the cells whose settings changed', async () => {
    const fixed = await runGrid(smallGrid('dense'), { outDir: out, origin: 'test', only: ['4of8'] });
    expect(fixed.skipped).toEqual([]);
    expect(fixed.ran.sort()).toEqual(['stories260K__magnitude__4of8', 'stories260K__wanda__4of8']);
    expect(fixed.failed).toEqual([]);
    const wanda48 = (await records(out)).get('stories260K__wanda__4of8')!;
    // 4:8 along rows of 172: 21 full groups (84 zeros) + a dense tail of 4 in down_proj; gate/up rows of 64: 32 zeros.
    expect(wanda48.sparsity!.overTargets.zeros).toBe(5 * (2 * 172 * 32 + 64 * 84));
    expect(wanda48.sparsity!.nmValid).toBe(true);
    expect(wanda48.manifest!.denseTailWeights).toBe(5 * 64 * 4);
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    expect(results.summary).toEqual({ cells: 6, finished: 6, failed: 0, pending: 0 });
  });
});

describe('runCellsInWorkers', () => {
  it('records a worker that dies as a failure of its cell, with its last output', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dass-worker-'));
    try {
      const entry = join(dir, 'dying-worker.mjs');
      await writeFile(entry, "process.stderr.write('out of memory, pretend\\n'); process.exit(3);\n");
      const cell = gridCells(smallGrid('error'))[0]!;
      const written: CellRecord[] = [];
      const result = await runCellsInWorkers([cell], { size: 2, outDir: dir, entry, onRecord: async (r) => void written.push(r) });
      expect(result).toHaveLength(1);
      expect(written).toEqual(result);
      expect(result[0]!.status).toBe('failed');
      expect(result[0]!.error!.message).toContain('the worker process exited (code 3) while running this cell; its last output: out of memory, pretend');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says to build the app when the worker script is missing', async () => {
    await expect(runCellsInWorkers([], { size: 1, outDir: '/tmp', entry: '/nonexistent/bin.js', onRecord: async () => {} })).rejects.toThrow(
      '/nonexistent/bin.js does not exist: build the app first',
    );
  });
});
