/**
 * Every hostile case, run through the CLI's `main` in this process: the exact exit code, one `dass: error:` line
 * naming the file (or flag) and the problem, no stack trace, nothing on stdout, and the case's folder byte-identical
 * afterwards (inputs untouched, no output or temporary file left behind).
 *
 * The cases whose files claim huge sizes (2^63-byte headers, billion-layer configs, 1 GiB sparse files, …) run again
 * in a real `dass` process with a 256 MiB V8 heap, a 20 s limit and a bounded peak RSS, as do a few cases for the exit
 * status the shell sees; those checks need a process of their own.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCorpus } from './corpus.js';
import { folderSnapshot } from './folder-snapshot.js';
import { assertBuilt, disposeProbe, judgeRun, runDass } from './run-dass.js';
import { runDassInProcess } from './run-in-process.js';

/** A dass process that refuses its input stays near its startup footprint (~100 MiB with tfjs and yargs loaded). */
const MAX_RSS_BYTES = 320 * 2 ** 20;

/** Cases about sizes a file claims: a reader that believed them would allocate far beyond the heap limit. */
const MEMORY_CASES = /2-pow-|50mb|huge|billion|1gib|deep-nesting|past-end|out-of-range/;
/** The real exit status for a yargs-level error, a bad flag value, a missing file and a bad file's contents. */
const EXIT_STATUS_CASES = new Set(['unknown-command', 'sparsity-one-and-a-half', 'model-missing', 'config-not-json', 'calib-empty']);

assertBuilt();
const root = await mkdtemp(join(tmpdir(), 'dass-hostile-corpus-'));
const cases = await buildCorpus(root);
const baseBefore = await folderSnapshot(join(root, 'base'));
const processCases = cases.filter((c) => MEMORY_CASES.test(c.id) || EXIT_STATUS_CASES.has(c.id));

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

  it('runs the memory cases and every exit-status case in a process of their own', () => {
    expect(
      processCases
        .filter((c) => EXIT_STATUS_CASES.has(c.id))
        .map((c) => c.id)
        .sort(),
    ).toEqual([...EXIT_STATUS_CASES].sort());
    expect(processCases.filter((c) => MEMORY_CASES.test(c.id)).length).toBeGreaterThanOrEqual(10);
  });
});

// One after another: the cases share this process's tfjs engine, as runs of one dass process never do.
describe('dass refuses hostile input cleanly (main in this process)', () => {
  for (const c of cases) {
    it(`${c.id}: ${c.description}`, async () => {
      const folder = join(root, c.id);
      const before = await folderSnapshot(folder);
      const run = await runDassInProcess(c.argv, { timeoutMs: 20_000 });
      expect(judgeRun(c, run)).toEqual([]);
      expect(await folderSnapshot(folder)).toEqual(before);
    }, 30_000);
  }
});

describe.concurrent('dass refuses hostile input cleanly (a process with a 256 MiB heap)', () => {
  for (const c of processCases) {
    it(`${c.id}: ${c.description}`, async () => {
      const folder = join(root, c.id);
      const before = await folderSnapshot(folder);
      const run = await runDass(c.argv, { timeoutMs: 20_000, heapMiB: 256 });
      expect(judgeRun(c, run, MAX_RSS_BYTES)).toEqual([]);
      expect(await folderSnapshot(folder)).toEqual(before);
    }, 30_000);
  }
});
