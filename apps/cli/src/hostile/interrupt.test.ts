/**
 * Nothing lost when `dass prune` is killed: SIGINT and SIGKILL at seeded random moments of a run (startup, loading,
 * the layer loop, the final rename) must leave the input byte-identical and either no output or the complete one
 * (byte-identical to an uninterrupted run, and `dass inspect` reads it). A rerun then succeeds. SIGINT cleans up its
 * temporaries; SIGKILL cannot, and what it leaves (`<out>.tmp-<pid>-<hex>`) is ignored by reruns (documented in
 * SECURITY.md), which the rerun here proves. The killed runs (and the two reference runs that time them) are real
 * `dass` processes; the inspection of a finished output and the rerun go through the CLI's `main` in this process.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBase, type CorpusBase } from './corpus-base.js';
import { folderSnapshot, sha256File } from './folder-snapshot.js';
import { assertBuilt, disposeProbe, errorLines, runDass } from './run-dass.js';
import { runDassInProcess } from './run-in-process.js';
import { seededRandom } from './seeded-random.js';

const KILL_POINTS = 12;
const SEED = 20240611;
/** A temporary sibling of the output: the pipeline's `<out>.tmp-<pid>-<hex>` (a folder, or a file for llama2.c). */
const TEMPORARY = /^\.?out(?:\.bin)?\.(?:old\.)?tmp-\d+-[0-9a-f]+/;

type Format = 'hf' | 'llama2c';

let root: string;
let base: CorpusBase;
/** Per format: seconds from spawn until runPrune starts (process startup), seconds of runPrune itself, the output. */
const reference: Record<Format, { startup: number; work: number; output: Record<string, string> }> = {} as never;
let inputBefore: Record<Format, unknown>;

function pruneArgv(format: Format, out: string): string[] {
  const model = format === 'hf' ? ['--model', base.hfDir] : ['--model', base.llama2c, '--tokenizer', base.llama2cTokenizer];
  return ['prune', ...model, '--method', 'wanda', '--sparsity', '0.5', '--calib', base.calibText, '--nsamples', '8', '--seqlen', '64', '--out', out];
}
const outName = (format: Format) => (format === 'hf' ? 'out' : 'out.bin');

/** The output as a comparable value: a folder's snapshot, or a file's digest. */
async function outputDigest(path: string): Promise<Record<string, string>> {
  const entries = await readdir(path).then(
    () => true,
    () => false,
  );
  return entries ? folderSnapshot(path) : { file: await sha256File(path) };
}

async function inputDigest(format: Format): Promise<unknown> {
  return format === 'hf' ? folderSnapshot(base.hfDir) : { model: await sha256File(base.llama2c), tokenizer: await sha256File(base.llama2cTokenizer) };
}

beforeAll(async () => {
  assertBuilt();
  root = await mkdtemp(join(tmpdir(), 'dass-hostile-kill-'));
  base = await buildBase(root);
  inputBefore = { hf: await inputDigest('hf'), llama2c: await inputDigest('llama2c') };
  for (const format of ['hf', 'llama2c'] as const) {
    const dir = join(root, `reference-${format}`);
    await mkdir(dir);
    const out = join(dir, outName(format));
    const run = await runDass([...pruneArgv(format, out), '--json'], { heapMiB: 1024, timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    const work = (JSON.parse(run.stdout) as { wallSeconds: number }).wallSeconds;
    reference[format] = { startup: run.seconds - work, work, output: await outputDigest(out) };
  }
}, 120_000);

afterAll(async () => {
  await disposeProbe();
  await rm(root, { recursive: true, force: true });
});

describe('killing dass prune loses nothing', () => {
  const random = seededRandom(SEED);
  // Format and signal cycle so that each format meets each signal. The moment is a seeded fraction of the pruning
  // work after startup, from a little before it begins (-10%) to a little after it ends (110%: the rename is done).
  const points = Array.from({ length: KILL_POINTS }, (_, k) => ({
    k,
    format: (k % 2 === 0 ? 'hf' : 'llama2c') as Format,
    signal: (k % 4 < 2 ? 'SIGINT' : 'SIGKILL') as NodeJS.Signals,
    fraction: random() * 1.2 - 0.1,
  }));

  for (const { k, format, signal, fraction } of points) {
    it(`#${k}: ${signal} at ${(fraction * 100).toFixed(0)}% of the work of a ${format} run`, async () => {
      const dir = join(root, `kill-${k}`);
      await mkdir(dir);
      const out = join(dir, outName(format));
      const delayMs = (reference[format].startup + fraction * reference[format].work) * 1000;
      const run = await runDass(pruneArgv(format, out), {
        heapMiB: 1024,
        timeoutMs: 60_000,
        onSpawn: (_pid, kill) => void setTimeout(() => kill(signal), delayMs),
      });

      // How it ended: finished (0), or interrupted: SIGINT handled (130) or died of the signal before handlers ran.
      if (signal === 'SIGINT')
        expect([0, 130].includes(run.code!) || run.signal === 'SIGINT', `code ${run.code} signal ${run.signal}: ${run.stderr}`).toBe(true);
      else expect(run.code === 0 || run.signal === 'SIGKILL', `code ${run.code} signal ${run.signal}: ${run.stderr}`).toBe(true);
      expect(run.stderr).not.toMatch(/^\s+at /m);
      if (run.code === 130) expect(errorLines(run.stderr)).toEqual(['dass: interrupted']);

      // The input is untouched, whatever happened.
      expect(await inputDigest(format)).toEqual(inputBefore[format]);

      // Either no output, or the complete one.
      const produced = existsSync(out);
      if (produced) {
        expect(await outputDigest(out)).toEqual(reference[format].output);
        const inspect = await runDassInProcess(['inspect', '--model', out, '--json']);
        expect(inspect.code, inspect.stderr).toBe(0);
        expect((JSON.parse(inspect.stdout) as { totals: { overTargets: { ratio: number } } }).totals.overTargets.ratio).toBe(0.5);
      }
      const leftovers = (await readdir(dir)).filter((name) => name !== outName(format));
      expect(
        leftovers.every((name) => TEMPORARY.test(name)),
        `unexpected files: ${leftovers.join(', ')}`,
      ).toBe(true);
      if (process.env.DASS_HOSTILE_VERBOSE)
        console.log(`#${k} ${signal} ${format}: code ${run.code} signal ${run.signal}, output ${produced}, leftovers ${leftovers.join(',')}`);
      // SIGINT is handled: the run removes its own temporaries. SIGKILL cannot clean up; its leftovers are ignored.
      if (signal === 'SIGINT') expect(leftovers).toEqual([]);

      // A rerun (with --force when the killed run had finished) succeeds and writes the same bytes; it removes
      // only its own temporaries, leaving a killed run's stale ones as they were.
      const rerun = await runDassInProcess([...pruneArgv(format, out), ...(produced ? ['--force'] : [])], { timeoutMs: 60_000 });
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(await outputDigest(out)).toEqual(reference[format].output);
      expect((await readdir(dir)).filter((name) => name !== outName(format)).sort()).toEqual([...leftovers].sort());
    }, 120_000);
  }
});
