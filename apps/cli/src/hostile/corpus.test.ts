/**
 * Every hostile case, run through the CLI's `main` in this process: the exact exit code, one `dass: error:` line
 * naming the file (or flag) and the problem, no stack trace, nothing on stdout, and the case's folder byte-identical
 * afterwards (inputs untouched, no output or temporary file left behind).
 *
 * The cases whose files claim huge sizes (2^63-byte headers, billion-layer configs, 1 GiB sparse files, …) run again
 * in a process of their own with a 256 MiB V8 heap, a 20 s limit per case and a bounded peak RSS: all of them one
 * after another through `main` in one such process (its peak RSS after each case bounded, so each case's is). A few
 * cases run in a real `dass` process each (the same heap and RSS bounds) for the exit status the shell sees.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCorpus } from './corpus.js';
import { folderSnapshot } from './folder-snapshot.js';
import { assertBuilt, disposeProbe, judgeRun, runDass, runDassBatch, type DassRun } from './run-dass.js';
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
const memoryCases = cases.filter((c) => MEMORY_CASES.test(c.id));
const exitStatusCases = cases.filter((c) => EXIT_STATUS_CASES.has(c.id));
/** The memory cases' runs in one process, started when the first of their tests asks (after the in-process runs). */
let memoryBatch: Promise<{ runs: Map<string, DassRun>; process: DassRun }> | undefined;

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
    expect(exitStatusCases.map((c) => c.id).sort()).toEqual([...EXIT_STATUS_CASES].sort());
    expect(memoryCases.length).toBeGreaterThanOrEqual(10);
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

describe('dass refuses hostile input cleanly (main, the memory cases in one process with a 256 MiB heap)', () => {
  for (const c of memoryCases) {
    it(
      `${c.id}: ${c.description}`,
      async () => {
        const folder = join(root, c.id);
        const before = await folderSnapshot(folder);
        memoryBatch ??= runDassBatch(
          memoryCases.map(({ id, argv }) => ({ id, argv })),
          { timeoutMs: 20_000, heapMiB: 256 },
        );
        const batch = await memoryBatch;
        const run = batch.runs.get(c.id);
        expect(
          run,
          `the batch process never finished this case: exit ${batch.process.code} ${batch.process.signal ?? ''} ${batch.process.stderr.slice(0, 600)}`,
        ).toBeDefined();
        expect(judgeRun(c, run!, MAX_RSS_BYTES)).toEqual([]);
        expect(await folderSnapshot(folder)).toEqual(before);
      },
      20_000 * memoryCases.length + 30_000,
    );
  }
});

describe.concurrent('dass refuses hostile input cleanly (a dass process with a 256 MiB heap: the exit status)', () => {
  for (const c of exitStatusCases) {
    it(`${c.id}: ${c.description}`, async () => {
      const folder = join(root, c.id);
      const before = await folderSnapshot(folder);
      const run = await runDass(c.argv, { timeoutMs: 20_000, heapMiB: 256 });
      expect(judgeRun(c, run, MAX_RSS_BYTES)).toEqual([]);
      expect(await folderSnapshot(folder)).toEqual(before);
    }, 30_000);
  }
});
