import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hfTensorShapes, openHfModel } from '../hf/hf-model.js';
import { decodeBf16, encodeBf16 } from '../safetensors/half-float.js';
import { syntheticModelConfig } from './synthetic-config.js';
import { syntheticTensorValues, writeSyntheticCheckpoint } from './synthetic-checkpoint.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dass-synthetic-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

// 2 layers, GQA, untied head: 21 tensors.
const config = syntheticModelConfig({ hiddenSize: 16, intermediateSize: 40, numLayers: 2, numHeads: 4, numKvHeads: 2, vocabSize: 50 });

describe('writeSyntheticCheckpoint', () => {
  it('writes a single-file F32 checkpoint that openHfModel loads with the recomputable values', async () => {
    const dir = join(root, 'single');
    const result = await writeSyntheticCheckpoint({ dir, config, seed: 5 });
    const shapes = hfTensorShapes(config);
    expect(result.shards).toEqual(['model.safetensors']);
    expect(result.tensors).toBe(shapes.size);
    // 50·16 (embed) + 2·(16 + 16·16 + 2·8·16 + 16·16 + 16 + 3·40·16) + 16 + 50·16 (head)
    expect(result.parameters).toBe(800 + 2 * (16 + 256 + 256 + 256 + 16 + 1920) + 16 + 800);
    expect(result.totalBytes).toBe(4 * result.parameters);
    expect((await readdir(dir)).sort()).toEqual(['config.json', 'model.safetensors']);
    const model = await openHfModel(dir);
    try {
      expect(model.config).toEqual(config);
      for (const [name, shape] of shapes) {
        expect(model.dtype(name)).toBe('F32');
        const t = await model.readF32(name);
        expect(t.shape).toEqual(shape);
        expect(t.data).toEqual(syntheticTensorValues(name, shape, 5));
      }
      expect((await model.readF32('model.norm.weight')).data.every((v) => v === 1)).toBe(true);
    } finally {
      await model.close();
    }
  });

  it('shards BF16 by size without changing the values; every shard within the limit unless one tensor is larger', async () => {
    const dir = join(root, 'sharded');
    const shardBytes = 1500; // embed (50·16·2 = 1600 B) gets a shard of its own
    const result = await writeSyntheticCheckpoint({ dir, config, dtype: 'BF16', seed: 5, shardBytes });
    expect(result.shards.length).toBeGreaterThan(3);
    expect(result.shards[0]).toBe(`model-00001-of-${String(result.shards.length).padStart(5, '0')}.safetensors`);
    const index = JSON.parse(await readFile(join(dir, 'model.safetensors.index.json'), 'utf8'));
    expect(index.metadata.total_size).toBe(2 * result.parameters);
    expect(Object.keys(index.weight_map)).toEqual([...hfTensorShapes(config).keys()]);
    expect(new Set(Object.values(index.weight_map))).toEqual(new Set(result.shards));
    const json = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(json.torch_dtype).toBe('bfloat16');

    const model = await openHfModel(dir);
    try {
      expect(model.checkpoint.layout).toBe('sharded');
      const perShard = new Map<string, number>();
      for (const [name, shape] of hfTensorShapes(config)) {
        expect(model.dtype(name)).toBe('BF16');
        const bytes = shape.reduce((a, b) => a * b, 1) * 2;
        const shard = model.checkpoint.info(name).shard;
        perShard.set(shard, (perShard.get(shard) ?? 0) + bytes);
        // BF16 storage is the F32 values rounded: same seed, same weights
        const expected = decodeBf16(encodeBf16(syntheticTensorValues(name, shape, 5)));
        expect((await model.readF32(name)).data).toEqual(expected);
      }
      for (const [shard, bytes] of perShard) {
        const names = Object.entries(index.weight_map).filter(([, s]) => s === shard);
        if (names.length > 1) expect(bytes).toBeLessThanOrEqual(shardBytes);
      }
      expect(model.checkpoint.info('model.embed_tokens.weight').shard).toBe(result.shards[0]);
      expect(Object.values(index.weight_map).filter((s) => s === result.shards[0])).toHaveLength(1);
    } finally {
      await model.close();
    }
  });

  it('refuses an existing directory unless overwrite, and leaves no temporary directory behind', async () => {
    const dir = join(root, 'exists');
    await mkdir(dir);
    await writeFile(join(dir, 'marker'), 'x');
    await expect(writeSyntheticCheckpoint({ dir, config })).rejects.toThrow(/dir: .*exists already|already exists/);
    expect(await readdir(dir)).toEqual(['marker']);
    // overwrite replaces only a checkpoint folder, never a folder of other files.
    await expect(writeSyntheticCheckpoint({ dir, config, overwrite: true })).rejects.toThrow(
      `dir ${dir} exists and is a folder without config.json and .safetensors weights`,
    );
    expect(await readdir(dir)).toEqual(['marker']);
    await writeSyntheticCheckpoint({ dir: join(root, 'previous'), config });
    await writeSyntheticCheckpoint({ dir: join(root, 'previous'), config, overwrite: true, dtype: 'F16' });
    expect((await readdir(join(root, 'previous'))).sort()).toEqual(['config.json', 'model.safetensors']);
    expect((await readdir(root)).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('validates its options by name', async () => {
    const dir = join(root, 'never');
    await expect(writeSyntheticCheckpoint({ dir, config, dtype: 'F64' as never })).rejects.toThrow(/dtype: expected F32, F16 or BF16, got "F64"/);
    await expect(writeSyntheticCheckpoint({ dir, config, shardBytes: 0 })).rejects.toThrow(/shardBytes: expected a positive integer, got 0/);
    await expect(writeSyntheticCheckpoint({ dir, config, seed: 0.5 })).rejects.toThrow(/seed: expected an integer, got 0.5/);
    await expect(writeSyntheticCheckpoint({ dir: '', config })).rejects.toThrow(/dir: expected a directory path/);
    await expect(writeSyntheticCheckpoint({ dir, config: { ...config, hiddenSize: 0 } })).rejects.toThrow(/hiddenSize/);
  });
});

describe('syntheticModelConfig', () => {
  it('derives head dim and defaults, and rejects inconsistent shapes', () => {
    const c = syntheticModelConfig(
      { hiddenSize: 576, intermediateSize: 1536, numLayers: 30, numHeads: 9, numKvHeads: 3, vocabSize: 49152, tieWordEmbeddings: true },
      'BF16',
    );
    expect(c.headDim).toBe(64);
    expect(c.numKvHeads).toBe(3);
    expect(c.tieWordEmbeddings).toBe(true);
    expect(c.torchDtype).toBe('bfloat16');
    expect(c.maxPositionEmbeddings).toBe(2048);
    expect(syntheticModelConfig({ hiddenSize: 8, intermediateSize: 8, numLayers: 1, numHeads: 2, vocabSize: 4 }).numKvHeads).toBe(2);
    expect(() => syntheticModelConfig({ hiddenSize: 10, intermediateSize: 8, numLayers: 1, numHeads: 3, vocabSize: 4 })).toThrow(
      /numHeads: 3 does not divide hiddenSize 10/,
    );
    expect(() => syntheticModelConfig({ hiddenSize: 12, intermediateSize: 8, numLayers: 1, numHeads: 4, numKvHeads: 3, vocabSize: 4 })).toThrow(
      /numKvHeads: 3 does not divide numHeads 4/,
    );
    expect(() => syntheticModelConfig({ hiddenSize: 12, intermediateSize: 8, numLayers: 1, numHeads: 4, vocabSize: 4 })).toThrow(/head dimension 3/);
    expect(() => syntheticModelConfig({ hiddenSize: 8, intermediateSize: 8, numLayers: 1.5, numHeads: 2, vocabSize: 4 })).toThrow(
      /shape.numLayers: expected a positive integer, got 1.5/,
    );
  });
});
