// `dass eval ppl` against numbers computed elsewhere: model-loader's reference file holds per-token NLLs of
// stories260K on the first 1,500 characters of the TinyStories validation text, from an independent float64 NumPy
// forward pass. One window of all 257 ids must reproduce its perplexity.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures } from '@dass/model-loader/test';
import { runDassInProcess } from '../hostile/run-in-process.js';
import { bundled, makeTempDir, runCli, runCliJson } from '../test-support/run-cli.js';

interface Ppl {
  ppl: number;
  windows: number;
  tokens: number;
  seqlen: number;
  tokensPerSecond: number;
  targets: number;
  meanNll: number;
}

let work: Awaited<ReturnType<typeof makeTempDir>>;
beforeAll(async () => {
  work = await makeTempDir();
});
afterAll(async () => {
  await work?.remove();
});

const MODEL = ['--model', bundled.model, '--tokenizer', bundled.tokenizer];

describe('dass eval ppl', () => {
  it('reproduces the independent reference perplexity of stories260K on one 257-token window', async () => {
    const reference = JSON.parse(await readFile(fixtures.stories260K.referenceNll, 'utf8')) as { input_ids: number[]; mean_nll: number; ppl: number };
    expect(reference.input_ids).toHaveLength(257);
    const head = join(work.path, 'validation-head-1500.txt');
    // The reference text is the first 1,500 characters (a Python str slice; the file is ASCII).
    const text = await readFile(bundled.evaluationText, 'utf8');
    await writeFile(head, Array.from(text).slice(0, 1500).join(''));
    const r = await runCliJson<Ppl>(['eval', 'ppl', ...MODEL, '--data', head, '--seqlen', '257', '--max-windows', '1', '--json']);
    expect(r).toMatchObject({ windows: 1, tokens: 257, seqlen: 257, targets: 256 });
    expect(Math.abs(r.meanNll - reference.mean_nll)).toBeLessThan(2e-5);
    expect(Math.abs(r.ppl / reference.ppl - 1)).toBeLessThan(1e-4);
    expect(r.tokensPerSecond).toBeGreaterThan(0);
  });

  it('scores non-overlapping windows and reads JSON-lines documents joined by a space', async () => {
    const text = (await readFile(bundled.evaluationText, 'utf8')).slice(0, 8000);
    const paragraphs = text.split('\n\n').filter((p) => p.trim() !== '');
    const jsonl = join(work.path, 'docs.jsonl');
    const joined = join(work.path, 'docs.txt');
    await writeFile(jsonl, paragraphs.map((p) => JSON.stringify({ text: p, url: 'x' })).join('\n') + '\n');
    await writeFile(joined, paragraphs.join(' '));
    const args = ['eval', 'ppl', ...MODEL, '--seqlen', '128', '--json'];
    const [fromDocs, fromText] = await Promise.all([runCliJson<Ppl>([...args, '--data', jsonl]), runCliJson<Ppl>([...args, '--data', joined])]);
    expect(fromDocs.ppl).toBe(fromText.ppl);
    expect(fromDocs.windows).toBeGreaterThan(3);
    expect(fromDocs.tokens).toBe(fromDocs.windows * 128);
    expect(fromDocs.targets).toBe(fromDocs.windows * 127);
  });

  it("uses the model's context when the default 2048 is too long (with a warning), and refuses an explicit one", async () => {
    const data = join(work.path, 'validation-head-4000.txt');
    await writeFile(data, (await readFile(bundled.evaluationText, 'utf8')).slice(0, 4000));
    const r = await runCli(['eval', 'ppl', ...MODEL, '--data', data, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as Ppl).seqlen).toBe(512);
    expect(r.stderr.trim()).toBe("dass: warning: --seqlen: the model's context is 512 tokens; using 512 instead of the default 2048");

    const explicit = await runCli(['eval', 'ppl', ...MODEL, '--data', data, '--seqlen', '1024']);
    expect(explicit.code).toBe(2);
    expect(explicit.stderr.trim()).toBe('dass: error: --seqlen: the model takes at most 512 positions, got 1024');
  });

  it('exits 2 with one line for a missing file, a llama2.c model without tokenizer, and a text shorter than a window', async () => {
    const tiny = join(work.path, 'tiny.txt');
    await writeFile(tiny, 'Once upon a time.');
    const cases: [string[], string][] = [
      [['eval', 'ppl', ...MODEL, '--data', join(work.path, 'missing.txt')], 'missing.txt: no such file'],
      [['eval', 'ppl', '--model', bundled.model, '--data', tiny], '--tokenizer'],
      [['eval', 'ppl', ...MODEL, '--data', tiny, '--seqlen', '128'], 'needs at least 128'],
      [['eval', 'ppl', '--model', join(work.path, 'nope.bin'), '--tokenizer', bundled.tokenizer, '--data', tiny], 'nope.bin'],
    ];
    // Refusals: through main in this process (a real process's exit status is the hostile corpus's business).
    for (const [args, fragment] of cases) {
      const r = await runDassInProcess(args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toContain(fragment);
    }
  });
});
