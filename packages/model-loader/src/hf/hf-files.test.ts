// openHfFiles (a browser's picked files, through ByteSources) against openHfModel (the same folder on disk): the same
// config, tensors and values, and messages naming the missing file; the in-memory safetensors writer against the
// file writer, byte for byte.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobSource, type ByteSource } from '../io/byte-source.js';
import { createMemorySafetensorsWriter } from '../safetensors/safetensors-plan.js';
import { createSafetensorsWriter } from '../safetensors/safetensors-writer.js';
import { syntheticModelConfig } from '../synthetic/synthetic-config.js';
import { syntheticTensorValues, writeSyntheticCheckpoint } from '../synthetic/synthetic-checkpoint.js';
import { openHfModel } from './hf-model.js';
import { openHfFiles } from './hf-model-core.js';

let root: string;
const config = syntheticModelConfig({ hiddenSize: 16, intermediateSize: 40, numLayers: 2, numHeads: 4, numKvHeads: 2, vocabSize: 50 });

/** The folder's files as a browser gives them: name -> Blob (no path). */
async function filesOf(dir: string): Promise<Map<string, ByteSource>> {
  const files = new Map<string, ByteSource>();
  for (const name of await readdir(dir)) files.set(name, blobSource(new Blob([await readFile(join(dir, name))]), name));
  return files;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dass-hf-files-'));
  await writeSyntheticCheckpoint({ dir: join(root, 'single'), config, seed: 3 });
  await writeSyntheticCheckpoint({ dir: join(root, 'sharded'), config, dtype: 'BF16', seed: 3, shardBytes: 1500 });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('openHfFiles', () => {
  for (const layout of ['single', 'sharded'] as const) {
    it(`${layout}: the same model as openHfModel reads from disk`, async () => {
      const disk = await openHfModel(join(root, layout));
      const files = await openHfFiles(layout, await filesOf(join(root, layout)));
      try {
        expect(files.config).toEqual(disk.config);
        expect(files.tensorNames()).toEqual(disk.tensorNames());
        expect(files.checkpoint.layout).toBe(layout);
        expect(files.checkpoint.shards()).toEqual(disk.checkpoint.shards());
        expect(files.unusedTensors).toEqual(disk.unusedTensors);
        if (layout === 'sharded') expect(files.checkpoint.shards().length).toBeGreaterThan(1);
        for (const name of disk.tensorNames()) {
          expect(files.shape(name)).toEqual(disk.shape(name));
          expect(files.dtype(name)).toBe(disk.dtype(name));
          const got = (await files.readF32(name)).data;
          expect(got).toEqual((await disk.readF32(name)).data);
          // …and the values the synthetic writer drew (BF16-rounded for the sharded copy): not just equal to each other.
          const drawn = syntheticTensorValues(name, disk.shape(name), 3);
          if (layout === 'single') expect(got).toEqual(drawn);
          else for (let i = 0; i < got.length; i += 7) expect(Math.abs(got[i]! - drawn[i]!)).toBeLessThanOrEqual(Math.abs(drawn[i]!) / 128);
        }
        expect(await files.readF32Rows!('model.embed_tokens.weight', [3, 1])).toEqual(await disk.readF32Rows!('model.embed_tokens.weight', [3, 1]));
      } finally {
        await disk.close();
        await files.close();
      }
    });
  }

  it('names the missing piece: config.json, the index of shards, a listed shard, safetensors behind pickles', async () => {
    const sharded = await filesOf(join(root, 'sharded'));
    const without = (name: string) => new Map([...sharded].filter(([n]) => n !== name));
    await expect(openHfFiles('m', without('config.json'))).rejects.toThrow(/m\/config\.json: .*config\.json is missing/);
    await expect(openHfFiles('m', without('model.safetensors.index.json'))).rejects.toThrow(
      /no model\.safetensors or model\.safetensors\.index\.json \(got model-00001-of-000\d\d\.safetensors.*a sharded checkpoint needs its index too\)/,
    );
    const shard = [...sharded.keys()].find((n) => n.startsWith('model-00002'))!;
    await expect(openHfFiles('m', without(shard))).rejects.toThrow(
      new RegExp(`m/${shard}: shard listed in model\\.safetensors\\.index\\.json .* is not among the files given`),
    );
    const pickles = new Map([
      ['config.json', sharded.get('config.json')!],
      ['pytorch_model.bin', blobSource(new Blob([new Uint8Array([0x50, 0x4b, 3, 4])]), 'pytorch_model.bin')],
    ]);
    await expect(openHfFiles('', pickles)).rejects.toThrow(/found pytorch_model\.bin but no model\.safetensors: pickle checkpoints are never unpickled/);
  });
});

describe('createMemorySafetensorsWriter', () => {
  it('gives the bytes the file writer writes (metadata, F32/BF16/F16/I64, any write order); refuses an unwritten tensor', async () => {
    const entries = [
      { name: 'a', dtype: 'F32' as const, shape: [3, 2] },
      { name: 'b.weight', dtype: 'BF16' as const, shape: [5] },
      { name: 'c', dtype: 'F16' as const, shape: [2, 2] },
      { name: 'ids', dtype: 'I64' as const, shape: [3] },
    ];
    const data = {
      a: Float32Array.from([1, -2, 3.5, 0, 1e-8, 7]),
      'b.weight': Float32Array.from([0.1, 0.2, -0.3, 1e30, -0]),
      c: Float32Array.from([65504, -1, 0.5, 3.14159]),
      ids: BigInt64Array.from([1n, -2n, 3n]),
    } as const;
    const path = join(root, 'written.safetensors');
    const file = await createSafetensorsWriter(path, entries, { format: 'pt', note: 'é' });
    const memory = createMemorySafetensorsWriter('memory.safetensors', entries, { format: 'pt', note: 'é' });
    for (const name of ['c', 'ids', 'a', 'b.weight'] as const) {
      await file.write(name, data[name]);
      await memory.write(name, data[name]);
    }
    await file.commit();
    await memory.commit();
    expect(Buffer.from(memory.bytes()).equals(await readFile(path))).toBe(true);

    const partial = createMemorySafetensorsWriter('partial.safetensors', entries);
    await partial.write('a', data.a);
    await expect(partial.commit()).rejects.toThrow(/partial\.safetensors: commit: 3 declared tensor\(s\) never written: "b\.weight", "c", "ids"/);
    expect(() => partial.bytes()).toThrow(/not committed/);
  });
});
