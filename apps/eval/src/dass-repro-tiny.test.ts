// End to end: the built `dass-repro` runs the tiny grid's 50 cells (in worker processes), a rerun skips every
// finished cell, and headless Chromium renders report.html with every table and plot (screenshot in test-artifacts/).
// The grid is the built-in `tiny` one (both models, every method row, pattern and the analysis) with smaller windows
// (calibration 4 × 64, perplexity 4 × 64, one item per zero-shot task), written to a grid file: the same cells,
// records and report shape at a fraction of the compute. cli.test.ts lists the built-in grid's own 50 cells.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_GRID, assetsDir } from './builtin-grids.js';

const run = promisify(execFile);
const appDir = fileURLToPath(new URL('..', import.meta.url));
const bin = join(appDir, 'dist', 'bin.js');
const artifacts = join(appDir, 'test-artifacts');
const skipBrowser = process.env.DASS_SKIP_BROWSER === '1';

function findChromium(): string | undefined {
  const names = process.env.CHROMIUM ? [process.env.CHROMIUM] : ['chromium', 'chromium-browser', 'google-chrome'];
  for (const name of names) {
    if (name.includes('/')) {
      if (existsSync(name)) return name;
      continue;
    }
    for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

async function chromium(args: string[], profile: string): Promise<string> {
  const exe = findChromium()!;
  const common = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    `--user-data-dir=${profile}`,
  ];
  const { stdout } = await run(exe, [...common, ...args], { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

async function dassRepro(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(process.execPath, [bin, ...args], { timeout: 1_500_000, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stderr };
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stderr: e.stderr ?? String(err) };
  }
}

/** Measures the rendered page from inside Chromium; appended to a copy only (the report itself has no scripts). */
const PROBE = `<script>
const svgs = [...document.querySelectorAll('svg')].map((s) => {
  const r = s.getBoundingClientRect();
  return { id: s.closest('figure')?.id ?? null, width: r.width, height: r.height, children: s.childElementCount,
    marks: s.querySelectorAll('rect.bar, path.line, circle').length };
});
const tables = [...document.querySelectorAll('table.results')].map((t) => ({ id: t.closest('section')?.id ?? null,
  rows: t.tBodies[0] ? t.tBodies[0].rows.length : 0, columns: t.tHead && t.tHead.rows[0] ? t.tHead.rows[0].cells.length : 0,
  height: t.getBoundingClientRect().height }));
const pre = document.createElement('pre');
pre.id = 'probe';
pre.textContent = JSON.stringify({ svgs, tables, pageHeight: document.documentElement.scrollHeight });
document.body.append(pre);
</script>`;

const unescapeHtml = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

/** The built-in tiny grid with smaller calibration, perplexity and zero-shot sizes (every cell and report part kept). */
const smallerTiny = {
  ...structuredClone(TINY_GRID),
  calibration: { ...TINY_GRID.calibration, nsamples: 4, seqlen: 64 },
  evaluation: {
    perplexity: TINY_GRID.evaluation.perplexity.map((set) => ({ ...set, seqlen: 64, maxWindows: 4 })),
    zeroShot: { ...TINY_GRID.evaluation.zeroShot, tasks: [...TINY_GRID.evaluation.zeroShot.tasks], limit: 1 },
  },
};

describe('dass-repro --grid <the tiny grid, smaller windows>', () => {
  let out: string;
  let profile: string;
  let gridDir: string;
  let grid: string;
  let firstRun: { code: number; stderr: string };
  const snapshot = new Map<string, { text: string; mtimeMs: number }>();

  beforeAll(async () => {
    if (!existsSync(bin))
      throw new Error(`${bin} is missing: build first (cd /work/main && npx turbo run build --filter=@dass/eval...; turbo's test task does it)`);
    out = await mkdtemp(join(tmpdir(), 'dass-repro-tiny-'));
    profile = await mkdtemp(join(tmpdir(), 'dass-chromium-'));
    gridDir = await mkdtemp(join(tmpdir(), 'dass-repro-grid-'));
    grid = join(gridDir, 'tiny-smaller.json');
    await writeFile(grid, JSON.stringify(smallerTiny));
    firstRun = await dassRepro(['--grid', grid, '--root', assetsDir, '--out', out, '--jobs', '2']);
  }, 1_500_000);
  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
    await rm(profile, { recursive: true, force: true });
    await rm(gridDir, { recursive: true, force: true });
  });

  it('completes every cell of the grid', async () => {
    expect(firstRun.stderr).toContain('50 cells: 0 finished earlier, 50 to run in 2 worker processes');
    expect(firstRun.code, firstRun.stderr).toBe(0);
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    expect(results.summary).toEqual({ cells: 50, finished: 50, failed: 0, pending: 0 });
    const files = (await readdir(join(out, 'cells'))).sort();
    expect(files).toHaveLength(50);
    for (const f of files) {
      const path = join(out, 'cells', f);
      snapshot.set(f, { text: await readFile(path, 'utf8'), mtimeMs: (await stat(path)).mtimeMs });
    }
    // Pruning changes the model: every pruned stories260K cell is worse than dense on TinyStories.
    const ppl = (id: string) => results.cells.find((c: { id: string }) => c.id === id).perplexity['tinystories-val'].ppl as number;
    for (const m of ['magnitude', 'sparsegpt', 'wanda', 'dass', 'ria', 'dass-obs', 'wanda-obs'])
      expect(ppl(`stories260K__${m}__2of4`)).toBeGreaterThan(ppl('stories260K__dense'));
    for (const m of ['wanda-owl', 'dass-owl']) expect(ppl(`stories260K__${m}__50pct`)).toBeGreaterThan(ppl('stories260K__dense'));
    // OWL's manifest carries the per-layer ratios; the OBS rows record their update
    const cell = (id: string) => results.cells.find((c: { id: string }) => c.id === id);
    expect(cell('stories260K__wanda-owl__50pct').manifest.layerRatios.ratios).toHaveLength(5);
    expect(cell('stories260K__dass-obs__2of4').manifest).toMatchObject({ update: 'obs', label: 'DaSS + OBS' });
  });

  it('skips every finished cell on a rerun and leaves their files untouched', async () => {
    const again = await dassRepro(['--grid', grid, '--root', assetsDir, '--out', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('50 cells: 50 finished earlier, 0 to run');
    expect(again.stderr).toContain('done: 0 ran (0 failed), 50 skipped as finished');
    for (const [f, before] of snapshot) {
      const path = join(out, 'cells', f);
      expect(await readFile(path, 'utf8')).toBe(before.text);
      expect((await stat(path)).mtimeMs).toBe(before.mtimeMs);
    }
  });

  it('writes results.md laid out like the paper', async () => {
    const md = await readFile(join(out, 'results.md'), 'utf8');
    expect(md).toContain(
      '| Method | stories260K · 50% | stories260K · 2:4 | stories260K · 4:8 | aidreams260K · 50% | aidreams260K · 2:4 | aidreams260K · 4:8 |',
    );
    const labels = ['*Dense*', 'Magnitude', 'SparseGPT', 'Wanda', 'DaSS', 'RIA', 'DaSS + OBS', 'Wanda + OBS', 'Wanda (OWL)', 'DaSS (OWL)'];
    const rows = md.split('\n').filter((l) => labels.some((label) => l.startsWith(`| ${label} |`)));
    expect(rows.slice(0, 10).map((l) => l.split(' | ')[0])).toEqual(labels.map((l) => `| ${l}`));
    expect(rows.slice(1, 10).join('')).toContain('**');
    // OWL rows have no N:M cells
    expect(rows[8]!.split(' | ').slice(2, 4)).toEqual(['n/a', 'n/a']);
  });

  it.skipIf(skipBrowser)(
    'renders report.html in headless Chromium with every table and plot non-empty',
    async () => {
      if (!findChromium()) {
        throw new Error('chromium is not installed: apt-get update && apt-get install -y chromium (or set DASS_SKIP_BROWSER=1 to skip this check)');
      }
      const html = await readFile(join(out, 'report.html'), 'utf8');
      expect(html).not.toMatch(/<script|<link|@import|url\(|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
      const probePage = join(out, 'report.probe.html');
      await writeFile(probePage, html.replace('</body>', `${PROBE}</body>`));
      const dom = await chromium(['--virtual-time-budget=5000', '--window-size=1280,2000', '--dump-dom', `file://${probePage}`], profile);
      const m = /<pre id="probe">([\s\S]*?)<\/pre>/.exec(dom);
      expect(m, 'the probe did not run').not.toBeNull();
      const probe = JSON.parse(unescapeHtml(m![1]!)) as {
        svgs: { id: string | null; width: number; height: number; children: number; marks: number }[];
        tables: { id: string | null; rows: number; columns: number; height: number }[];
        pageHeight: number;
      };
      // 2 perplexity + 6 per-layer sparsity + 2 pruning time + 2 × (3 outlier ratio + 1 norm histogram) plots.
      const ids = probe.svgs.map((s) => s.id);
      expect(ids.filter((id) => id?.startsWith('ppl-'))).toHaveLength(2);
      expect(ids.filter((id) => id?.startsWith('sparsity-'))).toHaveLength(6);
      expect(ids.filter((id) => id?.startsWith('time-'))).toHaveLength(2);
      expect(ids.filter((id) => id?.startsWith('outliers-'))).toHaveLength(6);
      expect(ids.filter((id) => id?.startsWith('hnorm-'))).toHaveLength(2);
      expect(probe.svgs).toHaveLength(18);
      for (const s of probe.svgs) {
        expect(s.width, `${s.id} width`).toBeGreaterThan(300);
        expect(s.height, `${s.id} height`).toBeGreaterThan(200);
        expect(s.children, `${s.id} children`).toBeGreaterThan(5);
        expect(s.marks, `${s.id} bars/lines`).toBeGreaterThan(0);
      }
      expect(probe.tables.map((t) => t.id)).toEqual([
        'ppl-tinystories-val',
        'zero-shot-mean',
        'zero-shot-stories260K',
        'zero-shot-aidreams260K',
        'sparsity',
        'prune-time',
      ]);
      for (const t of probe.tables) {
        expect(t.rows, `${t.id} rows`).toBeGreaterThanOrEqual(4);
        expect(t.columns, `${t.id} columns`).toBeGreaterThanOrEqual(7);
        expect(t.height, `${t.id} height`).toBeGreaterThan(50);
      }

      await mkdir(artifacts, { recursive: true });
      // One screenshot of the whole page (its top 2,000 px are the first screen; a second Chromium start for that crop
      // cost seconds per run).
      const shots = [{ file: join(artifacts, 'tiny-report-full.png'), size: `1280,${Math.min(16_000, Math.ceil(probe.pageHeight) + 40)}` }];
      for (const shot of shots) {
        await rm(shot.file, { force: true });
        await chromium([`--screenshot=${shot.file}`, `--window-size=${shot.size}`, `file://${join(out, 'report.html')}`], profile);
        const png = await readFile(shot.file);
        expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
        expect(png.length).toBeGreaterThan(50_000);
      }
    },
    200_000,
  );
});
