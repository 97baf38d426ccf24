/**
 * Runs every hostile case against the built CLI with a 256 MiB V8 heap and a 20 s limit: the exact exit code, one
 * `dass: error:` line naming the file (or flag) and the problem, no stack trace, a bounded peak RSS, and the case's
 * folder byte-identical afterwards (inputs untouched, no output or temporary file left behind).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCorpus } from './corpus.js';
import { folderSnapshot } from './folder-snapshot.js';
import { assertBuilt, disposeProbe, judgeRun, runDass } from './run-dass.js';

/** A dass process that refuses its input stays near its startup footprint (~100 MiB with tfjs and yargs loaded). */
const MAX_RSS_BYTES = 320 * 2 ** 20;

assertBuilt();
const root = await mkdtemp(join(tmpdir(), 'dass-hostile-corpus-'));
const cases = await buildCorpus(root);
const baseBefore = await folderSnapshot(join(root, 'base'));

afterAll(async () => {
  // The shared valid checkpoint every argument case points at is never modified either.
  expect(await folderSnapshot(join(root, 'base'))).toEqual(baseBefore);
  await disposeProbe();
  await rm(root, { recursive: true, force: true });
});

describe('the hostile corpus', () => {
  it('has at least 40 distinct cases, each with its own files or flags', () => {
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(cases.map((c) => JSON.stringify(c.argv))).size).toBe(cases.length);
  });
});

describe.concurrent('dass refuses hostile input cleanly', () => {
  for (const c of cases) {
    it(`${c.id}: ${c.description}`, async () => {
      const folder = join(root, c.id);
      const before = await folderSnapshot(folder);
      const run = await runDass(c.argv, { timeoutMs: 20_000, heapMiB: 256 });
      expect(judgeRun(c, run, MAX_RSS_BYTES)).toEqual([]);
      expect(await folderSnapshot(folder)).toEqual(before);
    }, 30_000);
  }
});
