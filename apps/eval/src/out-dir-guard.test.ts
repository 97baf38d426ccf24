import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetsDir } from './builtin-grids.js';
import { main } from './cli.js';
import { runGrid } from './run-grid.js';
import { validateGrid } from './grid-spec.js';

let cwd: string;
beforeAll(async () => {
  cwd = await realpath(await mkdtemp(join(tmpdir(), 'dass-repro-out-')));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

async function cli(dir: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), cwd: dir });
  return { code, stdout, stderr };
}

/** Relative path -> sha256 (or 'dir') of everything under `dir`. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(e.parentPath, e.name);
    out[path.slice(dir.length + 1)] = e.isSymbolicLink()
      ? 'link'
      : e.isDirectory()
        ? 'dir'
        : createHash('sha256')
            .update(await readFile(path))
            .digest('hex');
  }
  return out;
}

/** `<name>/` holding a grid file, a copy of stories260K (models/), its calibration text and notes. */
async function project(name: string): Promise<string> {
  const dir = join(cwd, name);
  await mkdir(join(dir, 'models'), { recursive: true });
  await copyFile(join(assetsDir, 'stories260K', 'stories260K.bin'), join(dir, 'models', 'stories260K.bin'));
  await copyFile(join(assetsDir, 'stories260K', 'tok512.bin'), join(dir, 'models', 'tok512.bin'));
  await copyFile(join(assetsDir, 'text', 'tinystories_train_head.txt'), join(dir, 'calib.txt'));
  await writeFile(join(dir, 'notes.txt'), 'my notes');
  await writeFile(
    join(dir, 'grid.json'),
    JSON.stringify({
      name: 'g',
      models: [{ name: 's', path: 'models/stories260K.bin', tokenizer: 'models/tok512.bin' }],
      methods: ['wanda'],
      patterns: ['2:4'],
      calibration: { source: 'calib.txt', nsamples: 2, seqlen: 32 },
      evaluation: { perplexity: [{ name: 'v', path: 'calib.txt', seqlen: 32, maxWindows: 1 }] },
    }),
  );
  return dir;
}

describe('dass-repro --out never is, holds or lies inside a grid input', () => {
  it.each([
    ['the folder holding the grid file and every input', (p: string) => p, (p: string) => `--out ${p} contains the input --grid ${join(p, 'grid.json')}`],
    [
      'the folder holding the model and tokenizer',
      (p: string) => join(p, 'models'),
      (p: string) => `--out ${join(p, 'models')} contains the input grid models[0].path ${join(p, 'models', 'stories260K.bin')}`,
    ],
    [
      'the calibration text',
      (p: string) => join(p, 'calib.txt'),
      (p: string) => `--out ${join(p, 'calib.txt')} is the input grid calibration.source ${join(p, 'calib.txt')}`,
    ],
    [
      'the model file',
      (p: string) => join(p, 'models', 'stories260K.bin'),
      (p: string) => `--out ${join(p, 'models', 'stories260K.bin')} is the input grid models[0].path ${join(p, 'models', 'stories260K.bin')}`,
    ],
  ])('refuses --out = %s (exit 2, one line naming both), every file byte-identical', async (_what, out, message) => {
    const proj = await project(`p-${_what.replace(/\W+/g, '-')}`);
    const before = await snapshot(proj);
    for (const extra of [[], ['--report-only']]) {
      const r = await cli(cwd, '--grid', join(proj, 'grid.json'), '--out', out(proj), ...extra);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      expect(r.stderr).toContain(`dass-repro: ${message(proj)}`);
    }
    expect(await snapshot(proj)).toEqual(before);
  });

  it('compares real paths: --out is a link to the models folder, or a model is a link into --out', async () => {
    const proj = await project('links');
    await symlink(join(proj, 'models'), join(cwd, 'models-link'));
    const before = await snapshot(proj);
    const r = await cli(cwd, '--grid', join(proj, 'grid.json'), '--out', 'models-link');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `--out ${join(cwd, 'models-link')} contains the input grid models[0].path ${join(proj, 'models', 'stories260K.bin')} (resolved: ${join(proj, 'models')} and`,
    );
    // A grid whose model is a link to a file inside the (future) output folder.
    const out = join(cwd, 'results');
    await mkdir(out);
    await copyFile(join(proj, 'models', 'stories260K.bin'), join(out, 'mine.bin'));
    await symlink(join(out, 'mine.bin'), join(cwd, 'model-link.bin'));
    const grid = JSON.parse(await readFile(join(proj, 'grid.json'), 'utf8'));
    grid.models[0].path = join(cwd, 'model-link.bin');
    await writeFile(join(cwd, 'linked-grid.json'), JSON.stringify(grid));
    const r2 = await cli(cwd, '--grid', 'linked-grid.json', '--root', proj, '--out', 'results');
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain(`--out ${out} contains the input grid models[0].path ${join(cwd, 'model-link.bin')}`);
    expect(await readdir(out)).toEqual(['mine.bin']);
    expect(await snapshot(proj)).toEqual(before);
  });

  it('refuses an existing folder of other files, which is not a previous dass-repro output', async () => {
    const mine = join(cwd, 'mine');
    await mkdir(mine);
    await writeFile(join(mine, 'results.json'), '{"mine": true}');
    const r = await cli(cwd, '--grid', 'tiny', '--out', 'mine');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `dass-repro: --out ${mine} exists and holds other files but no grid.json, so it is not a dass-repro output folder; nothing in it is replaced: choose an empty or new folder\n`,
    );
    expect(await readFile(join(mine, 'results.json'), 'utf8')).toBe('{"mine": true}');
  });

  it('runGrid (library) applies the same rules, naming outDir', async () => {
    const proj = await project('library');
    const grid = validateGrid(JSON.parse(await readFile(join(proj, 'grid.json'), 'utf8')), { file: 'grid.json', root: proj });
    const err = await runGrid(grid, { outDir: join(proj, 'models'), origin: join(proj, 'grid.json') }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('OutputPathError');
    expect((err as Error).message).toContain(`outDir ${join(proj, 'models')} contains the input grid models[0].path`);
  });
});

describe('dass-repro --grid: an empty grid file is named, exit 2', () => {
  it.each([
    ['', 'is empty (0 bytes), expected a grid JSON object'],
    [' \n\t\n', 'holds only whitespace, expected a grid JSON object'],
  ])('%j', async (content, problem) => {
    await writeFile(join(cwd, 'blank-grid.json'), content);
    const r = await cli(cwd, '--grid', 'blank-grid.json', '--out', 'never');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`dass-repro: blank-grid.json: ${problem}\n`);
  });
});
