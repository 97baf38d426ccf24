// `--backend webgpu` where Dawn finds no adapter at all (VK_ICD_FILENAMES names no driver): a user-facing error,
// exit 2, one line saying why; and `eval ppl --json` records the backend it ran on. Both in a process of their own:
// Dawn reads the variable when it loads, and a process selects its backend once (an earlier auto selection in this
// process would be reported instead).
import { describe, expect, it } from 'vitest';
import { bundled, runCliProcess } from '../test-support/run-cli.js';

const MODEL = ['--model', bundled.model, '--tokenizer', bundled.tokenizer];

describe('--backend webgpu', () => {
  // Vulkan drivers are what Dawn uses on Linux; elsewhere (Metal, D3D12) there is no variable that hides them.
  it.skipIf(process.platform !== 'linux')('with no adapter at all exits 2 with one line saying why', async () => {
    const r = await runCliProcess(['eval', 'ppl', ...MODEL, '--data', bundled.evaluationText, '--max-windows', '1', '--seqlen', '64', '--backend', 'webgpu'], {
      VK_ICD_FILENAMES: '/nonexistent/no-such-vulkan-driver.json',
    });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^dass: error: --backend webgpu is not available: Dawn found no WebGPU adapter/);
  });

  it('eval ppl --json names the backend and why faster ones were skipped', async () => {
    const run = await runCliProcess([
      'eval',
      'ppl',
      ...MODEL,
      '--data',
      bundled.evaluationText,
      '--max-windows',
      '1',
      '--seqlen',
      '64',
      '--backend',
      'wasm',
      '--json',
    ]);
    // Also the --json contract through the built bin: exit 0, the JSON object is all of stdout, nothing on stderr.
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout.endsWith('}\n')).toBe(true);
    const r = JSON.parse(run.stdout) as { backend: { name: string; skipped: { name: string; reason: string }[] } };
    expect(r.backend.name).toBe('wasm');
    expect(r.backend.skipped).toEqual([]);
  });
});
