import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertLlama2cToHf } from '../convert/llama2c-to-hf.js';
import { openLlama2c } from '../llama2c/open-llama2c.js';
import { openModel } from '../open-model.js';
import { fixtures } from '../test/index.js';
import type { WeightSource } from '../types.js';
import { CausalLM } from './causal-lm.js';

/** The stories260K source, counting reads of each tensor. */
function counting(base: WeightSource): { source: WeightSource; reads: Map<string, number> } {
  const reads = new Map<string, number>();
  const source: WeightSource = {
    ...base,
    tensorNames: () => base.tensorNames(),
    has: (n) => base.has(n),
    shape: (n) => base.shape(n),
    dtype: (n) => base.dtype(n),
    readF32: (n) => {
      reads.set(n, (reads.get(n) ?? 0) + 1);
      return base.readF32(n);
    },
  };
  return { source, reads };
}

describe('CausalLM memory options', () => {
  let base: WeightSource;
  beforeAll(async () => {
    base = await openLlama2c(fixtures.stories260K.bin);
  });
  afterAll(() => base.close());
  const ids = Int32Array.from([1, 403, 407, 261, 378, 1]);

  it('a streaming model (cacheLayers: false) re-reads the embedding table instead of keeping it, with the same result', async () => {
    const { source, reads } = counting(base);
    const model = await CausalLM.fromSource(source, { cacheLayers: false });
    expect(model.cacheEmbeddings).toBe(false);
    const a = await model.embed(ids, 1, ids.length);
    const b = await model.embed(ids, 1, ids.length);
    expect(reads.get('model.embed_tokens.weight')).toBe(2);
    expect(b).toEqual(a);
    const table = (await base.readF32('model.embed_tokens.weight')).data;
    expect(a.subarray(64, 128)).toEqual(table.subarray(403 * 64, 404 * 64));
    model.dispose();
  });

  it('a cached model keeps the table, and cacheEmbeddings overrides the default', async () => {
    for (const [options, expected] of [
      [{}, 1],
      [{ cacheLayers: false, cacheEmbeddings: true }, 1],
      [{ cacheLayers: true, cacheEmbeddings: false }, 3],
    ] as const) {
      const { source, reads } = counting(base);
      const model = await CausalLM.fromSource(source, options);
      for (let i = 0; i < 3; i++) await model.embed(ids, 1, ids.length);
      expect(reads.get('model.embed_tokens.weight')).toBe(expected);
      // stories260K ties its head to the embedding table: a kept table is reused, otherwise the head reads it once more.
      await model.logits([1, 403]);
      expect(reads.get('model.embed_tokens.weight')).toBe(model.cacheEmbeddings ? expected : expected + 2);
      model.dispose();
    }
  });

  it('a streaming model over safetensors reads only the rows its ids need, equal to the whole-table lookup', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dass-embed-rows-'));
    try {
      for (const dtype of ['F32', 'BF16'] as const) {
        const outDir = join(dir, dtype);
        await convertLlama2cToHf({ checkpoint: base, outDir, dtype });
        const hf = await openModel(outDir);
        expect(typeof hf.readF32Rows).toBe('function');
        const { source, reads } = counting(hf);
        const rowsRead: number[][] = [];
        const streaming = await CausalLM.fromSource(
          {
            ...source,
            readF32Rows: (n, rows) => {
              rowsRead.push(Array.from(rows));
              return hf.readF32Rows!(n, rows);
            },
          },
          { cacheLayers: false },
        );
        const cached = await CausalLM.fromSource(hf, { cacheLayers: true });
        const got = await streaming.embed(ids, 2, 3);
        expect(reads.get('model.embed_tokens.weight')).toBeUndefined(); // the table was never read whole
        expect(rowsRead).toEqual([Array.from(ids)]);
        expect(got).toEqual(await cached.embed(ids, 2, 3));
        const table = (await hf.readF32('model.embed_tokens.weight')).data;
        expect(got.subarray(64, 128)).toEqual(table.subarray(403 * 64, 404 * 64));
        await expect(hf.readF32Rows!('model.embed_tokens.weight', [512])).rejects.toThrow(/row 512 at position 0 is outside \[0, 512\)/);
        streaming.dispose();
        cached.dispose();
        await hf.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
