import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './cli.js';

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'dass-cli-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), cwd });
  return { code, stdout, stderr };
}

describe('dass-repro', () => {
  it('prints help', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--grid <tiny|paper|grid.json> --out <dir>');
    expect(r.stdout).toContain('--jobs');
    expect(r.stdout).not.toContain('--cell');
  });

  it('lists the cells of a built-in grid', async () => {
    const r = await cli('--grid', 'tiny', '--list-cells');
    expect(r.code).toBe(0);
    const ids = r.stdout.trim().split('\n');
    expect(ids).toHaveLength(50);
    expect(ids[0]).toBe('stories260K__dense');
    expect((await cli('--grid', 'paper', '--list-cells')).stdout.trim().split('\n')).toHaveLength(6 * (1 + 6 * 3 + 1));
  });

  it('prints the resolved grid, relative paths against --root', async () => {
    const r = await cli('--grid', 'paper', '--root', '/ckpt', '--print-grid');
    expect(r.code).toBe(0);
    const grid = JSON.parse(r.stdout);
    expect(grid.models[2].path).toBe('/ckpt/models/Llama-2-70b-hf');
    expect(grid.calibration).toMatchObject({ nsamples: 128, seqlen: 2048 });
  });

  it.each([
    [['--grid', 'tiny', '--bogus'], 'dass-repro: Unknown argument: bogus'],
    [['--out', 'x'], 'dass-repro: --grid: required (tiny, paper or a grid .json file)'],
    [['--grid', 'tiny'], 'dass-repro: --out: required'],
    [['--grid', 'tiny', '--out', 'x', '--jobs', '1.5'], 'dass-repro: --jobs: expected an integer >= 1, got 1.5'],
    [['--grid', 'missing.json', '--out', 'x'], 'dass-repro: --grid missing.json: no such file'],
    [['--cell'], 'dass-repro: --cell: internal worker mode'],
  ])('exits 2 with a one-line reason for %j', async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('exits 2 naming the key of a bad grid file', async () => {
    await writeFile(
      join(cwd, 'g.json'),
      JSON.stringify({
        name: 'g',
        models: [{ path: 'm.bin' }],
        methods: ['wanda'],
        patterns: ['2:4'],
        calibration: { source: 'c.txt', nsample: 4 },
        evaluation: { perplexity: { path: 't.txt' } },
      }),
    );
    const r = await cli('--grid', 'g.json', '--out', 'o');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('dass-repro: g.json: calibration.nsample: unknown key; expected one of source, format, nsamples, seqlen, seed\n');
  });

  it('exits 1 when cells fail, after recording them and writing the reports', async () => {
    const r = await cli('--grid', 'paper', '--out', 'paper-out', '--only', 'llama-2-7b__dense');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`warning: ${join(cwd, 'models/Llama-2-7b-hf')} does not exist`);
    expect(r.stderr).toContain('[1/1] llama-2-7b__dense: FAILED');
    expect(r.stderr).toContain('failed cells (recorded in');
    const cell = JSON.parse(await readFile(join(cwd, 'paper-out', 'cells', 'llama-2-7b__dense.json'), 'utf8'));
    expect(cell.status).toBe('failed');
    expect(cell.error.message).toContain('no such file or directory');
    const results = JSON.parse(await readFile(join(cwd, 'paper-out', 'results.json'), 'utf8'));
    expect(results.summary).toEqual({ cells: 120, finished: 0, failed: 1, pending: 119 });
    const html = await readFile(join(cwd, 'paper-out', 'report.html'), 'utf8');
    expect(html).toContain('llama-2-7b: ours / published (LLaMA-2-7B)');
    expect(html).toContain('failed / 5.12');
  });

  it('rebuilds the reports alone with --report-only', async () => {
    const r = await cli('--grid', 'tiny', '--out', 'empty', '--report-only');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('0 finished, 0 failed, 50 not run');
    expect(await readFile(join(cwd, 'empty', 'results.md'), 'utf8')).toContain('| *Dense* | – | – | – | – | – | – |');
  });
});
