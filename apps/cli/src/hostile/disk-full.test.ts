/**
 * A full disk mid-write leaves no partial output: every writing command (prune to HF and to llama2.c, convert,
 * calib) fails with exit 2 and one line naming the output and "no space left on device", the output folder holds
 * nothing afterwards (no output, no temporary), and the input is untouched. Two ways to fill the disk: an injected
 * ENOSPC after N bytes (the file system patched around the run, no product code involved; runs everywhere) at several
 * N, and, where this process may mount (root on Linux), a real 600 KiB tmpfs. Every run goes through the CLI's `main`
 * in this process (a real process's exit status for a refused input is the hostile corpus's business).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBase, type CorpusBase } from './corpus-base.js';
import { folderSnapshot, sha256File } from './folder-snapshot.js';
import { errorLines } from './run-dass.js';
import { runDassInProcess } from './run-in-process.js';
import { installWriteFault } from './write-fault.js';

let root: string;
let base: CorpusBase;

type Command = 'prune-hf' | 'prune-llama2c' | 'prune-report' | 'convert' | 'calib';

/** The command writing to `out`; each output is about 1 MiB (models) or 640 KiB (calib), more than the 600 KiB tmpfs. */
function argv(command: Command, out: string): string[] {
  const small = ['--method', 'wanda', '--sparsity', '0.5', '--calib', base.calibText, '--nsamples', '2', '--seqlen', '32'];
  switch (command) {
    case 'prune-hf':
      return ['prune', '--model', base.hfDir, ...small, '--out', out];
    case 'prune-report':
      return ['prune', '--model', base.hfDir, ...small, '--out', out, '--report', `${out}.run.json`];
    case 'prune-llama2c':
      return ['prune', '--model', base.llama2c, '--tokenizer', base.llama2cTokenizer, ...small, '--out', out];
    case 'convert':
      return ['convert', '--model', base.llama2c, '--tokenizer', base.llama2cTokenizer, '--out', out];
    case 'calib':
      return ['calib', '--tokenizer', base.llama2cTokenizer, '--data', base.calibText, '--nsamples', '640', '--seqlen', '256', '--out', out];
  }
}
const outName: Record<Command, string> = { 'prune-hf': 'out', 'prune-llama2c': 'out.bin', 'prune-report': 'out', convert: 'out', calib: 'calib.safetensors' };

async function inputs(): Promise<unknown> {
  return { hf: await folderSnapshot(base.hfDir), llama2c: await sha256File(base.llama2c), calib: await sha256File(base.calibText) };
}
let inputsBefore: unknown;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dass-hostile-full-'));
  base = await buildBase(root);
  inputsBefore = await inputs();
}, 60_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/**
 * Runs `command` into `folder` (with at most `budget` bytes of space when given) and checks the refusal names `blame`
 * (default: the output), and that `folder` holds only `kept` afterwards (default: nothing).
 */
async function expectCleanFailure(command: Command, folder: string, budget?: number, blame?: string, kept: string[] = []): Promise<void> {
  const out = join(folder, outName[command]);
  const restore = budget === undefined ? undefined : await installWriteFault(budget);
  const run = await runDassInProcess(argv(command, out), { timeoutMs: 60_000 }).finally(() => restore?.());
  expect(run.timedOut).toBe(false);
  expect(run.code, run.stderr).toBe(2);
  const lines = errorLines(run.stderr);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^dass: error: /);
  expect(lines[0]).toContain(blame ?? out);
  expect(lines[0]).toContain('no space left on device');
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect((await readdir(folder)).sort()).toEqual(kept);
  expect(await inputs()).toEqual(inputsBefore);
}

describe('an injected ENOSPC after N bytes', () => {
  // Budgets land in the header, the copied tensors (HF: the 384.5 KB of non-target tensors come first), the copied
  // config/tokenizer, the pruned tensors and the last bytes of each output; llama2.c: the 1 056 540-byte copy, then the
  // pruned spans written in place.
  const cases: [Command, number][] = [
    ['prune-hf', 0],
    ['prune-hf', 385_000],
    ['prune-hf', 400_000],
    ['prune-hf', 1_051_000],
    ['prune-llama2c', 0],
    ['prune-llama2c', 600_000],
    ['prune-llama2c', 1_060_000],
    ['convert', 1_044_990],
    ['calib', 1_000],
  ];
  for (const [command, budget] of cases) {
    it(`${command} with ${budget} bytes of space: exit 2, nothing left behind`, async () => {
      const folder = join(root, `fault-${command}-${budget}`);
      await mkdir(folder);
      await expectCleanFailure(command, folder, budget);
    }, 60_000);
  }

  it('--report on a full disk after the output is published: exit 2 naming the report, the output complete', async () => {
    // Output: model.safetensors 1 044 984 + config.json 527 + tokenizer.bin 6 227 bytes; the report does not fit.
    const folder = join(root, 'fault-prune-report');
    await mkdir(folder);
    await expectCleanFailure('prune-report', folder, 1_051_738 + 100, join(folder, 'out.run.json'), ['out']);
    const inspect = await runDassInProcess(['inspect', '--model', join(folder, 'out')]);
    expect(inspect.code, inspect.stderr).toBe(0);
  }, 60_000);

  it('with the space back, the same command succeeds in the same folder', async () => {
    const folder = join(root, 'fault-prune-hf-400000');
    const run = await runDassInProcess(argv('prune-hf', join(folder, 'out')), { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(await readdir(folder)).toEqual(['out']);
  }, 60_000);
});

function canMount(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const probe = join(tmpdir(), `dass-mount-probe-${process.pid}`);
  try {
    execFileSync('mkdir', ['-p', probe]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    execFileSync('rm', ['-rf', probe]);
  }
}

describe.skipIf(!canMount())('a real 600 KiB tmpfs (root only)', () => {
  for (const command of ['prune-hf', 'prune-llama2c', 'convert', 'calib'] as const) {
    it(`${command} onto a full tmpfs: exit 2, the tmpfs is left empty`, async () => {
      const folder = join(root, `tmpfs-${command}`);
      await mkdir(folder);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=600k', 'tmpfs', folder]);
      try {
        await expectCleanFailure(command, folder);
      } finally {
        execFileSync('umount', [folder]);
      }
    }, 60_000);
  }
});
