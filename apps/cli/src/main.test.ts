// The command line as a whole: help through the built bin (what a user's shell sees; a --json result through the
// bin is in commands/backend-webgpu.test.ts); the version, per-command help and yargs-level validation through `main`
// in this process (the exit status of a real process is checked by the hostile corpus).
import { describe, expect, it } from 'vitest';
import { runDassInProcess } from './hostile/run-in-process.js';
import { runCliProcess } from './test-support/run-cli.js';

const expectUsageError = (r: { code: number | null; stdout: string; stderr: string }, fragment: string) => {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]!.startsWith('dass: error: ')).toBe(true);
  expect(lines[0]).toContain(fragment);
};

describe('dass (built bin)', () => {
  it('prints help listing every command and exits 0', async () => {
    const r = await runCliProcess(['--help']);
    expect(r.code).toBe(0);
    for (const command of ['prune', 'calib', 'eval', 'inspect', 'convert', 'demo']) expect(r.stdout).toContain(`dass ${command}`);
    expect(r.stdout).toContain('Exit codes');
  });
});

describe('dass version and help (main in this process)', () => {
  it('prints the package version', async () => {
    const r = await runDassInProcess(['--version']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('prints per-command help with the flags, the option flags the built-in methods declare, and every method with its label', async () => {
    const r = await runDassInProcess(['prune', '--help']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const flag of ['--model', '--method', '--sparsity', '--partial-groups', '--calib', '--out-format', '--force', '--json'])
      expect(r.stdout).toContain(flag);
    // The method registry's flags (see commands/prune-plugins.test.ts for a registered plug-in's own flag).
    for (const flag of ['--alpha', '--percdamp', '--blocksize', '--update', '--layer-ratios', '--owl-m', '--owl-lambda']) expect(r.stdout).toContain(flag);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('ria (RIA)');
  });
});

describe('dass usage errors (main in this process)', () => {
  it('exits 2 with one line for a missing or unknown command', async () => {
    expectUsageError(await runDassInProcess([]), 'missing command');
    expectUsageError(await runDassInProcess(['prnue']), 'prnue');
    expectUsageError(await runDassInProcess(['eval']), 'ppl or zeroshot');
  });

  it('exits 2 with one line for unknown flags, missing required flags and bad choices', async () => {
    expectUsageError(await runDassInProcess(['inspect', '--model', 'x.bin', '--bogus']), 'Unknown argument: bogus');
    expectUsageError(await runDassInProcess(['eval', 'ppl', '--model', 'x.bin']), 'data');
    expectUsageError(await runDassInProcess(['inspect', '--model', 'x.bin', '--targets', 'attn']), 'attn');
    expectUsageError(
      await runDassInProcess(['eval', 'ppl', '--model', 'x.bin', '--data', 'd.txt', '--seqlen', 'abc']),
      '--seqlen: expected an integer >= 2, got "abc"',
    );
  });
});
