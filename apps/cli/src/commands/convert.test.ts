// `dass convert`: llama2.c → Hugging Face directory. The converted model must be the same model: same tensors
// (F32 is exact), same perplexity through `dass eval ppl`, and a pruned copy of it stays an HF directory.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModel } from '@dass/model-loader';
import { bundled, makeTempDir, runCli, runCliJson } from '../test-support/run-cli.js';

let work: Awaited<ReturnType<typeof makeTempDir>>;
beforeAll(async () => {
  work = await makeTempDir();
});
afterAll(async () => {
  await work?.remove();
});

describe('dass convert', () => {
  it('writes an HF directory holding the same tensors, with the same perplexity', async () => {
    const out = join(work.path, 'stories260K-hf');
    const r = await runCliJson<{ out: string; tensorCount: number; dtype: string }>([
      'convert',
      '--model',
      bundled.model,
      '--tokenizer',
      bundled.tokenizer,
      '--out',
      out,
      '--json',
    ]);
    expect(r.dtype).toBe('F32');
    expect((await readdir(out)).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.bin']);
    expect((await readFile(join(out, 'tokenizer.bin'))).equals(await readFile(bundled.tokenizer))).toBe(true);

    const [llama2c, hf] = await Promise.all([openModel(bundled.model), openModel(out)]);
    try {
      expect(hf.format).toBe('hf');
      expect(hf.tensorNames().sort()).toEqual(llama2c.tensorNames().sort());
      expect(r.tensorCount).toBe(llama2c.tensorNames().length);
      // Bit-identical, compared as bytes (toEqual walks a Float32Array element by element, slowly).
      const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
      for (const name of llama2c.tensorNames()) {
        const [got, want] = [(await hf.readF32(name)).data, (await llama2c.readF32(name)).data];
        expect(got.length, name).toBe(want.length);
        expect(bytes(got).equals(bytes(want)), name).toBe(true);
      }
    } finally {
      await Promise.all([llama2c.close(), hf.close()]);
    }

    const data = ['--data', bundled.evaluationText, '--seqlen', '256', '--max-windows', '3', '--json'];
    const [a, b] = await Promise.all([
      runCliJson<{ ppl: number }>(['eval', 'ppl', '--model', bundled.model, '--tokenizer', bundled.tokenizer, ...data]),
      runCliJson<{ ppl: number }>(['eval', 'ppl', '--model', out, ...data]),
    ]);
    expect(b.ppl).toBe(a.ppl);
  });

  it('refuses an existing --out without --force and an HF directory as input, leaving the folder as it was', async () => {
    const dir = join(work.path, 'refusals');
    await mkdir(dir);
    const existing = join(dir, 'exists');
    await writeFile(existing, 'x');
    const r = await runCli(['convert', '--model', bundled.model, '--tokenizer', bundled.tokenizer, '--out', existing]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`dass: error: --out ${existing} already exists; pass --force to replace it`);
    const hfInput = join(work.path, 'stories260K-hf');
    const again = await runCli(['convert', '--model', hfInput, '--tokenizer', bundled.tokenizer, '--out', join(dir, 'x')]);
    expect(again.code).toBe(2);
    expect(again.stderr.trim()).toContain('already a Hugging Face checkpoint');
    expect(await readdir(dir)).toEqual(['exists']);
  });
});
