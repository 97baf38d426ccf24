import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelLoadError } from '../errors.js';
import { openHfModel } from '../hf/hf-model.js';
import { openLlama2c } from '../llama2c/open-llama2c.js';
import { diskFull, fixtures } from '../test/index.js';
import type { WeightSource } from '../types.js';
import { convertLlama2cToHf } from './llama2c-to-hf.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dass-convert-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

describe('convertLlama2cToHf', () => {
  it('stories260K: every tensor of the HF directory is bit-identical to the llama2.c source', async () => {
    const source = await openLlama2c(fixtures.stories260K.bin);
    const outDir = join(root, 'stories260K-hf');
    const result = await convertLlama2cToHf({ checkpoint: source, tokenizerPath: fixtures.stories260K.tokenizer, outDir });
    expect(result.outDir).toBe(outDir);
    expect(result.tensorCount).toBe(source.tensorNames().length);
    expect((await readdir(outDir)).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.bin']);
    expect(await readFile(join(outDir, 'tokenizer.bin'))).toEqual(await readFile(fixtures.stories260K.tokenizer));
    expect((await readdir(root)).filter((f) => f.includes('.tmp-'))).toEqual([]);

    const hf = await openHfModel(outDir);
    expect(hf.config).toEqual(source.config);
    // stories260K (from its llama2.c header): dim 64, hidden 172, 5 layers, 8 heads, 4 KV heads, vocab 512, tied.
    expect(hf.config).toMatchObject({
      hiddenSize: 64,
      intermediateSize: 172,
      numLayers: 5,
      numHeads: 8,
      numKvHeads: 4,
      vocabSize: 512,
      tieWordEmbeddings: true,
    });
    expect(hf.tensorNames()).toEqual(source.tensorNames());
    for (const name of source.tensorNames()) {
      const a = await source.readF32(name);
      const b = await hf.readF32(name);
      expect(b.shape).toEqual(a.shape);
      expect(hf.dtype(name)).toBe('F32');
      // Buffer comparison (toEqual walks a typed array element by element, slowly); the same bits either way.
      expect(
        Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength).equals(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength)),
        name,
      ).toBe(true);
    }
    const config = JSON.parse(await readFile(join(outDir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ architectures: ['LlamaForCausalLM'], torch_dtype: 'float32', model_type: 'llama' });
    await hf.close();
    await source.close();
  });

  it('aidreams260K (plain multi-head attention) to BF16: values are the nearest bfloat16', async () => {
    const source = await openLlama2c(fixtures.aidreams260K.bin);
    const outDir = join(root, 'aidreams-bf16');
    await convertLlama2cToHf({ checkpoint: source, outDir, dtype: 'BF16' });
    const hf = await openHfModel(outDir);
    expect(hf.config.numKvHeads).toBe(hf.config.numHeads);
    expect(hf.config.torchDtype).toBe('bfloat16');
    for (const name of source.tensorNames()) {
      expect(hf.dtype(name)).toBe('BF16');
      const a = (await source.readF32(name)).data;
      const b = (await hf.readF32(name)).data;
      // Nearest bfloat16: at most half a unit in the last place (2^-9 relative) away, low 16 bits zero. The elements
      // that break either rule are collected (one expect per tensor instead of two per element).
      const bBits = bits(b);
      const wrong: { i: number; a: number; b: number }[] = [];
      for (let i = 0; i < a.length; i++) {
        if ((bBits[i] & 0xffff) !== 0 || !(Math.abs(a[i] - b[i]) <= Math.abs(a[i]) * 2 ** -8)) wrong.push({ i, a: a[i], b: b[i] });
      }
      expect(wrong, name).toEqual([]);
    }
    await hf.close();
    await source.close();
  });

  it('refuses an existing outDir unless force, and replaces a previous conversion with force', async () => {
    const source = await openLlama2c(fixtures.stories260K.bin);
    const outDir = join(root, 'existing');
    await convertLlama2cToHf({ checkpoint: source, outDir });
    const previous = await readFile(join(outDir, 'model.safetensors'));
    const err = await convertLlama2cToHf({ checkpoint: source, outDir, dtype: 'F16' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as ModelLoadError).message).toBe(`${outDir}: already exists; pass force to replace it`);
    expect((await readFile(join(outDir, 'model.safetensors'))).equals(previous)).toBe(true);
    await convertLlama2cToHf({ checkpoint: source, outDir, force: true, dtype: 'F16' });
    // F16 halves the weights (header aside): the old F32 file was replaced.
    expect((await readFile(join(outDir, 'model.safetensors'))).byteLength).toBeLessThan(previous.byteLength * 0.6);
    expect((await readdir(outDir)).sort()).toEqual(['config.json', 'model.safetensors']);
    expect((await readdir(root)).filter((f) => f.includes('.tmp-') || f.includes('.old-'))).toEqual([]);
    await source.close();
  });

  it('leaves nothing behind when a tensor fails to read', async () => {
    const source = await openLlama2c(fixtures.stories260K.bin);
    const failing: WeightSource = {
      ...source,
      path: source.path,
      format: 'llama2c',
      config: source.config,
      tensorNames: () => source.tensorNames(),
      has: (n) => source.has(n),
      shape: (n) => source.shape(n),
      dtype: (n) => source.dtype(n),
      readF32: async (n) => {
        if (n.includes('layers.3')) throw new Error('disk on fire');
        return source.readF32(n);
      },
      close: () => source.close(),
    };
    const outDir = join(root, 'failing');
    await expect(convertLlama2cToHf({ checkpoint: failing, outDir })).rejects.toThrow(/disk on fire/);
    expect((await readdir(root)).filter((f) => f.includes('failing'))).toEqual([]);
    await source.close();
  });

  it('a full disk while writing config.json or copying the tokenizer: a ModelLoadError naming outDir, nothing left behind', async () => {
    const source = await openLlama2c(fixtures.stories260K.bin);
    for (const syscall of ['write', 'copyfile'] as const) {
      const outDir = join(root, `full-${syscall}`);
      const restore = diskFull([syscall]);
      const err = await convertLlama2cToHf({ checkpoint: source, tokenizerPath: fixtures.stories260K.tokenizer, outDir })
        .catch((e: unknown) => e)
        .finally(restore);
      expect(err).toBeInstanceOf(ModelLoadError);
      expect(err).toMatchObject({ file: outDir, reason: 'IO' });
      expect((err as ModelLoadError).message).toMatch(
        new RegExp(`^${outDir}: cannot write the converted checkpoint: ENOSPC: no space left on device, ${syscall}$`),
      );
      expect((await readdir(root)).filter((f) => f.includes(`full-${syscall}`))).toEqual([]);
    }
    await source.close();
  });

  it('validates its arguments', async () => {
    const source = await openLlama2c(fixtures.stories260K.bin);
    const outDir = join(root, 'never');
    await expect(convertLlama2cToHf({ checkpoint: source, outDir, dtype: 'F8' as never })).rejects.toThrow(/dtype: expected F32, F16 or BF16, got "F8"/);
    await expect(convertLlama2cToHf({ checkpoint: Object.create(source, { format: { value: 'hf' } }), outDir })).rejects.toThrow(
      /checkpoint: expected a llama2.c checkpoint \(format "llama2c"\), got format "hf"/,
    );
    await expect(convertLlama2cToHf({ checkpoint: source, outDir, tokenizerPath: join(root, 'nope.bin') })).rejects.toMatchObject({ reason: 'NOT_FOUND' });
    await expect(convertLlama2cToHf({ checkpoint: source, outDir: '' })).rejects.toThrow(/outDir: expected a directory path, got ""/);
    expect((await readdir(root)).filter((f) => f.includes('never'))).toEqual([]);
    await source.close();
  });
});
