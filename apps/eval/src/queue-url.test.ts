import { describe, expect, it } from 'vitest';
import { UserInputError } from '@dass/pipeline';
import { TINY_GRID } from './builtin-grids.js';
import { gridCells } from './grid-cells.js';
import { validateGrid } from './grid-spec.js';
import { ASSETS_MARK, cellJobId, cellPaths, fromPortableSpec, toPortableSpec } from './queue-jobs.js';
import { parseQueueUrl, redactQueueUrl } from './queue-url.js';

describe('queue URLs', () => {
  it('parses host, port, database and TLS, with defaults', () => {
    expect(parseQueueUrl('redis://gpu0', {})).toMatchObject({
      host: 'gpu0',
      port: 6379,
      db: 0,
      tls: false,
      redacted: 'redis://gpu0:6379/0',
      hasCredentials: false,
    });
    expect(parseQueueUrl('rediss://10.0.0.5:6380/3', {})).toMatchObject({
      host: '10.0.0.5',
      port: 6380,
      db: 3,
      tls: true,
      redacted: 'rediss://10.0.0.5:6380/3',
    });
    expect(parseQueueUrl('redis://[::1]:7000', {})).toMatchObject({ host: '::1', port: 7000, redacted: 'redis://[::1]:7000/0' });
  });

  it('takes credentials from the URL or the environment, and never shows them', () => {
    const t = parseQueueUrl('redis://alice:s%40cret@q.lab:6379/2', {});
    expect(t).toMatchObject({ username: 'alice', password: 's@cret', redacted: 'redis://q.lab:6379/2', hasCredentials: true });
    const e = parseQueueUrl('redis://q.lab', { DASS_QUEUE_PASSWORD: 'pw', DASS_QUEUE_USERNAME: 'bob' });
    expect(e).toMatchObject({ username: 'bob', password: 'pw', redacted: 'redis://q.lab:6379/0', hasCredentials: true });
    expect(redactQueueUrl('redis://alice:s3cret@q.lab:6379/0')).toBe('redis://***@q.lab:6379/0');
    expect(redactQueueUrl('redis://q.lab:6379/0')).toBe('redis://q.lab:6379/0');
  });

  it.each([
    ['http://q.lab:6379', 'unsupported scheme "http"'],
    ['redis://q.lab:99999', 'not a URL'],
    ['redis://q.lab/abc', 'the path must be a database number, got "/abc"'],
    ['redis://q.lab/0?password=x', 'query strings and fragments are not supported'],
    ['q.lab:6379', 'unsupported scheme "q.lab"'],
    ['', 'empty'],
  ])('rejects %j: %s', (url, why) => {
    expect(() => parseQueueUrl(url, {})).toThrow(UserInputError);
    expect(() => parseQueueUrl(url, {})).toThrow(why);
  });

  it('errors name the URL without its credentials', () => {
    let message = '';
    try {
      parseQueueUrl('redis://alice:s3cret@q.lab/notadb', {});
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('--queue redis://***@q.lab/notadb');
    expect(message).not.toContain('s3cret');
    expect(message).not.toContain('alice');
  });
});

describe('portable cells', () => {
  const assets = '/opt/app/assets';
  const grid = validateGrid(structuredClone(TINY_GRID), { file: 'tiny', root: assets });
  const cells = gridCells(grid);
  const prune = cells.find((c) => c.id === 'stories260K__dass__2of4')!;

  it('bundled assets travel as <assets>/…, paths under the root as relative, others stay absolute', () => {
    const p = toPortableSpec(prune, { root: '/home/me/work', assets });
    expect(p.model.path).toBe(`${ASSETS_MARK}stories260K/stories260K.bin`);
    expect(p.calibration!.source).toBe(`${ASSETS_MARK}text/tinystories_train_head.txt`);
    const onRoot = {
      ...prune,
      model: { ...prune.model, path: '/home/me/work/models/Llama-2-7b-hf' },
      perplexity: [{ ...prune.perplexity[0], path: '/elsewhere/wiki.test.raw' }],
    };
    const q = toPortableSpec(onRoot, { root: '/home/me/work', assets });
    expect(q.model.path).toBe('models/Llama-2-7b-hf');
    expect(q.perplexity[0].path).toBe('/elsewhere/wiki.test.raw');
    // A worker resolves them against its own root and its own copy of the assets.
    const w = fromPortableSpec(q, { root: '/mnt/ckpt', assets: '/srv/dass/assets' });
    expect(w.model.path).toBe('/mnt/ckpt/models/Llama-2-7b-hf');
    expect(w.model.tokenizer).toBe('/srv/dass/assets/stories260K/tok512.bin');
    expect(w.perplexity[0].path).toBe('/elsewhere/wiki.test.raw');
    expect(cellPaths(w)).toContain('/srv/dass/assets/tasks');
  });

  it('job ids: the cell id and its settings hash; equal settings give one id, a changed setting another', () => {
    const dirs = { root: '/x', assets };
    const ids = cells.map((c) => cellJobId(toPortableSpec(c, dirs)));
    expect(new Set(ids).size).toBe(cells.length);
    expect(ids[0]).toMatch(/^stories260K__dense--[0-9a-f]{32}$/);
    // The same cell published from another machine (other absolute folders, same relative layout): the same job.
    const elsewhere = gridCells(validateGrid(structuredClone(TINY_GRID), { file: 'tiny', root: '/other/assets' }))[0];
    expect(elsewhere.model.path).not.toBe(cells[0].model.path);
    expect(cellJobId(toPortableSpec(elsewhere, { root: '/y', assets: '/other/assets' }))).toBe(ids[0]);
    const changed = { ...prune, calibration: { ...prune.calibration!, seed: 1 } };
    expect(cellJobId(toPortableSpec(changed, dirs))).not.toBe(cellJobId(toPortableSpec(prune, dirs)));
    expect(ids.every((id) => !id.includes(':'))).toBe(true);
  });
});
