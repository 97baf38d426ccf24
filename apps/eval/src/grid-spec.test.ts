import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserInputError } from '@dass/pipeline';
import { PAPER_GRID, TINY_GRID, assetsDir, loadGrid } from './builtin-grids.js';
import { GridError } from './grid-error.js';
import { validateGrid } from './grid-spec.js';

const opts = { file: 'grid.json', root: '/data' };

/** The tiny grid with one change applied: the base every error case edits. */
function edited(edit: (g: Record<string, any>) => void): Record<string, any> {
  const g = structuredClone(TINY_GRID) as unknown as Record<string, any>;
  edit(g);
  return g;
}

function errorOf(raw: unknown): GridError {
  try {
    validateGrid(raw, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(GridError);
    expect(err).toBeInstanceOf(UserInputError);
    return err as GridError;
  }
  throw new Error('expected validateGrid to throw');
}

describe('validateGrid', () => {
  it('accepts the built-in grids, filling defaults and resolving paths against root', () => {
    const paper = validateGrid(structuredClone(PAPER_GRID), opts);
    expect(paper.models.map((m) => m.path)).toContain('/data/models/Llama-2-7b-hf');
    expect(paper.models[0]!.published).toBe('llama-2-7b');
    expect(paper.calibration).toEqual({ source: '/data/data/c4/c4-train.00000-of-01024.json.gz', format: 'jsonl', nsamples: 128, seqlen: 2048, seed: 0 });
    expect(paper.perplexity).toEqual([{ name: 'wikitext2', path: '/data/data/wikitext-2-raw/wiki.test.raw', format: 'wikitext', seqlen: 2048 }]);
    expect(paper.patterns).toEqual([
      { sparsity: '0.5', partialGroups: 'error' },
      { sparsity: '2:4', partialGroups: 'error' },
      { sparsity: '4:8', partialGroups: 'error' },
    ]);
    expect(paper.targets).toEqual(['mlp']);
    expect(paper.backend).toBe('auto');
    expect(paper.zeroShot).toEqual({ tasks: ['hellaswag', 'winogrande', 'arc_easy', 'arc_challenge', 'piqa'], tasksDir: '/data/data/tasks' });
  });

  it('turns method entries into rows: updates, OWL, option sweeps, keys and labels from the registry', () => {
    const g = validateGrid(
      {
        ...edited(() => {}),
        methods: [
          'dass',
          { method: 'dass', update: 'obs' },
          { method: 'wanda', layerRatios: 'owl' },
          { method: 'dass', alpha: [0, 1] },
          { method: 'ria', alpha: 0.25, key: 'ria-a', label: 'RIA a=¼' },
          'sparsegpt',
        ],
      },
      opts,
    );
    expect(g.methods.map((m) => [m.key, m.label])).toEqual([
      ['dass', 'DaSS'],
      ['dass-obs', 'DaSS + OBS'],
      ['wanda-owl', 'Wanda (OWL)'],
      ['dass-alpha0', 'DaSS (alpha 0)'],
      ['dass-alpha1', 'DaSS (alpha 1)'],
      ['ria-a', 'RIA a=¼'],
      ['sparsegpt', 'SparseGPT'],
    ]);
    expect(g.methods[1]).toMatchObject({ method: 'dass', update: 'obs', options: { alpha: 0.5 } });
    expect(g.methods[2]).toMatchObject({ method: 'wanda', layerRatios: 'owl', options: {}, unstructuredOnly: true });
    expect(g.methods[4]!.options).toEqual({ alpha: 1 });
    expect(g.methods[5]!.options).toEqual({ alpha: 0.25 });
  });

  it('keeps absolute paths, takes single items for lists and names models after their file', () => {
    const g = validateGrid(
      {
        name: 'one',
        models: [{ path: '/m/stories260K.bin', tokenizer: 'tok.bin' }],
        methods: ['wanda'],
        patterns: ['2:4', 0.5],
        targets: 'all',
        calibration: { source: 'c.txt' },
        evaluation: { perplexity: { path: 'wiki.test.raw', seqlen: 64 } },
      },
      opts,
    );
    expect(g.models).toEqual([{ name: 'stories260K', path: '/m/stories260K.bin', tokenizer: '/data/tok.bin' }]);
    expect(g.patterns.map((p) => p.sparsity)).toEqual(['2:4', '0.5']);
    expect(g.targets).toEqual(['all']);
    expect(g.calibration).toEqual({ source: '/data/c.txt', format: 'auto', nsamples: 128, seqlen: 2048, seed: 0 });
    expect(g.perplexity).toEqual([{ name: 'wiki.test', path: '/data/wiki.test.raw', format: 'auto', seqlen: 64 }]);
    expect(g.zeroShot).toBeUndefined();
    expect(g.analysis).toEqual({ enabled: true, k: [3, 5, 7, 10], bins: 30 });
  });

  it.each([
    [
      'a typo in a key',
      (g: any) => (g.models[0].tokeniser = 'x'),
      'grid.json: models[0].tokeniser: unknown key; expected one of path, name, tokenizer, published',
    ],
    ['an unknown method', (g: any) => (g.methods = ['wanda', 'wandaa']), 'grid.json: methods[1]: expected one of'],
    ['a bad pattern', (g: any) => (g.patterns = [{ sparsity: '1.5' }]), 'grid.json: patterns[0].sparsity: expected a ratio in [0, 1) or "N:M"'],
    ['a bad pattern string', (g: any) => (g.patterns = ['0.5', '4:2']), 'grid.json: patterns[1]: expected a ratio'],
    ['a zero pattern', (g: any) => (g.patterns = ['0']), 'grid.json: patterns[0]: a ratio of 0 prunes nothing'],
    [
      'a bad partialGroups',
      (g: any) => (g.patterns[2].partialGroups = 'tail'),
      'grid.json: patterns[2].partialGroups: expected one of error, dense, got "tail"',
    ],
    ['a duplicate pattern', (g: any) => (g.patterns = ['0.5', 'unstructured:0.5']), 'grid.json: patterns[1]: pattern "0.5" is listed twice'],
    ['a duplicate model name', (g: any) => (g.models[1].name = 'stories260K'), 'grid.json: models[1]: model name "stories260K" is listed twice'],
    ['a model name that is no file name', (g: any) => (g.models[0].name = 'a/b'), 'grid.json: models[0].name: expected letters, digits'],
    ['a missing model path', (g: any) => delete g.models[0].path, 'grid.json: models[0].path: required (expected a non-empty string)'],
    ['an unknown published key', (g: any) => (g.models[0].published = 'gpt-5'), 'grid.json: models[0].published: expected one of llama-2-7b, got "gpt-5"'],
    ['no models', (g: any) => (g.models = []), 'grid.json: models: expected a non-empty array, got an empty one'],
    ['models not a list', (g: any) => (g.models = 'x'), 'grid.json: models: expected a non-empty array, got "x"'],
    ['nsamples 0', (g: any) => (g.calibration.nsamples = 0), 'grid.json: calibration.nsamples: expected an integer >= 1, got 0'],
    [
      'a fractional seqlen',
      (g: any) => (g.evaluation.perplexity[0].seqlen = 12.5),
      'grid.json: evaluation.perplexity[0].seqlen: expected an integer >= 2, got 12.5',
    ],
    ['an unknown task', (g: any) => (g.evaluation.zeroShot.tasks = ['piqa', 'mmlu']), 'grid.json: evaluation.zeroShot.tasks[1]: expected one of'],
    ['a zero-shot limit of 0', (g: any) => (g.evaluation.zeroShot.limit = 0), 'grid.json: evaluation.zeroShot.limit: expected an integer >= 1, got 0'],
    ['no evaluation', (g: any) => delete g.evaluation, 'grid.json: evaluation: expected an object, got nothing'],
    ['nothing to evaluate', (g: any) => (g.evaluation = {}), 'grid.json: evaluation.perplexity: the grid evaluates nothing'],
    ['an unknown target set', (g: any) => (g.targets = ['mlp', 'attn']), 'grid.json: targets[1]: expected one of mlp, all, got "attn"'],
    ['a negative alpha', (g: any) => (g.alpha = -1), 'grid.json: alpha: expected a finite number >= 0, got -1'],
    [
      'an option the method lacks',
      (g: any) => (g.methods = [{ method: 'wanda', alpha: 1 }]),
      'grid.json: methods[0].alpha: wanda has no option "alpha" (it takes none)',
    ],
    [
      'a bad option value in a sweep',
      (g: any) => (g.methods = [{ method: 'dass', alpha: [0.5, -1] }]),
      'grid.json: methods[0].alpha[1]: expected a finite number >= 0, got -1',
    ],
    ['an unknown update', (g: any) => (g.methods = [{ method: 'dass', update: 'ols' }]), 'grid.json: methods[0].update: expected one of none, obs, got "ols"'],
    [
      'an update on SparseGPT',
      (g: any) => (g.methods = [{ method: 'sparsegpt', update: 'obs' }]),
      'grid.json: methods[0].update: sparsegpt chooses its mask inside its own step',
    ],
    [
      'an unknown layer-ratio strategy',
      (g: any) => (g.methods = [{ method: 'wanda', layerRatios: 'owls' }]),
      'grid.json: methods[0].layerRatios: expected one of uniform, owl, got "owls"',
    ],
    [
      'an unknown method in an entry',
      (g: any) => (g.methods = [{ method: 'dasss' }]),
      'grid.json: methods[0].method: expected one of magnitude, wanda, dass, sparsegpt, ria',
    ],
    ['the same row twice', (g: any) => (g.methods = ['dass', { method: 'dass', key: 'dass' }]), 'grid.json: methods[1]: method row "dass" is listed twice'],
    ['an unknown backend', (g: any) => (g.backend = 'metal'), 'grid.json: backend: expected one of auto, tensorflow-gpu'],
    ['a bad k', (g: any) => (g.analysis.k = [3, 0]), 'grid.json: analysis.k[1]: expected a number > 0, got 0'],
    ['a top-level typo', (g: any) => (g.method = ['wanda']), 'grid.json: method: unknown key'],
  ])('rejects %s, naming the key', (_what, edit, expected) => {
    expect(errorOf(edited(edit)).message).toContain(expected);
  });

  it('rejects a grid that is not an object', () => {
    expect(errorOf([1, 2]).message).toBe('grid.json: (top level): expected an object, got an array of 2');
  });
});

describe('loadGrid', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('resolves the tiny grid against the bundled assets, every file present', async () => {
    const { spec, origin } = await loadGrid('tiny');
    expect(origin).toBe('built-in "tiny"');
    const files = [...spec.models.flatMap((m) => [m.path, m.tokenizer!]), spec.calibration.source, ...spec.perplexity.map((p) => p.path)];
    for (const f of files) {
      expect(f.startsWith(assetsDir)).toBe(true);
      expect(existsSync(f), f).toBe(true);
    }
    for (const t of spec.zeroShot!.tasks) expect(existsSync(join(spec.zeroShot!.tasksDir!, t)), t).toBe(true);
  });

  it('resolves the paper grid against --root, else the working folder', async () => {
    expect((await loadGrid('paper', { cwd: '/work' })).spec.models[0]!.path).toBe('/work/models/Llama-2-7b-hf');
    expect((await loadGrid('paper', { cwd: '/work', root: '/ckpt' })).spec.models[0]!.path).toBe('/ckpt/models/Llama-2-7b-hf');
  });

  it("reads a grid file, resolving relative paths against the file's folder", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dass-grid-'));
    dirs.push(dir);
    await writeFile(join(dir, 'g.json'), JSON.stringify(edited(() => {})));
    const { spec } = await loadGrid(join(dir, 'g.json'));
    expect(spec.models[0]!.path).toBe(join(dir, 'stories260K/stories260K.bin'));
  });

  it('names the file when it is missing or not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dass-grid-'));
    dirs.push(dir);
    await writeFile(join(dir, 'bad.json'), '{"name": "x",');
    await expect(loadGrid('bad.json', { cwd: dir })).rejects.toThrow(/^bad\.json: not valid JSON/);
    // Exact decoding: Latin-1 bytes in a path are not read as U+FFFD; a BOM is refused as Python's json refuses it.
    await writeFile(join(dir, 'latin1.json'), Buffer.from('{"name": "caf\xe9"}', 'latin1'));
    await expect(loadGrid('latin1.json', { cwd: dir })).rejects.toThrow(/^latin1\.json: is not valid UTF-8 text/);
    await writeFile(join(dir, 'bom.json'), Buffer.concat([Buffer.of(0xef, 0xbb, 0xbf), Buffer.from(JSON.stringify(edited(() => {})))]));
    await expect(loadGrid('bom.json', { cwd: dir })).rejects.toThrow(/^bom\.json: starts with a UTF-8 byte-order mark/);
    await expect(loadGrid('nope.json', { cwd: dir })).rejects.toThrow('--grid nope.json: no such file (expected tiny, paper or a grid .json file)');
    await expect(loadGrid('')).rejects.toThrow('--grid: expected tiny, paper or a grid .json file, got ""');
  });
});
