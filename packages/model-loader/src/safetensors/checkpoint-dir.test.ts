import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelLoadError, type ModelLoadErrorReason } from '../errors.js';
import { openCheckpointDir } from './checkpoint-dir.js';
import { writeSafetensors } from './safetensors-writer.js';

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dass-ckpt-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const SHARD1 = 'model-00001-of-00002.safetensors';
const SHARD2 = 'model-00002-of-00002.safetensors';
const INDEX = 'model.safetensors.index.json';

/** A two-shard checkpoint: a (F32) + b (BF16) in shard 1, c (F16) in shard 2. */
async function twoShards(weightMap?: Record<string, string>): Promise<string> {
  const dir = join(root, `ckpt-${n++}`);
  await mkdir(dir);
  await writeSafetensors(join(dir, SHARD1), [
    { name: 'a', dtype: 'F32', shape: [2], data: new Float32Array([1.5, -2]) },
    { name: 'b', dtype: 'BF16', shape: [1, 2], data: new Float32Array([3, 0.5]) },
  ]);
  await writeSafetensors(join(dir, SHARD2), [{ name: 'c', dtype: 'F16', shape: [3], data: new Float32Array([0.25, -0, 65504]) }]);
  const map = weightMap ?? { c: SHARD2, a: SHARD1, b: SHARD1 };
  await writeFile(join(dir, INDEX), JSON.stringify({ metadata: { total_size: 24 }, weight_map: map }));
  return dir;
}

async function expectError(promise: Promise<unknown>, code: ModelLoadErrorReason, file: string, message: RegExp) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelLoadError);
  expect((err as ModelLoadError).reason).toBe(code);
  expect((err as ModelLoadError).file).toBe(file);
  expect((err as ModelLoadError).message).toContain(file);
  expect((err as ModelLoadError).message).toMatch(message);
}

describe('openCheckpointDir', () => {
  it('reads a single model.safetensors', async () => {
    const dir = join(root, 'single');
    await mkdir(dir);
    await writeSafetensors(join(dir, 'model.safetensors'), [{ name: 'w', dtype: 'F16', shape: [2], data: new Float32Array([1, 2]) }]);
    const ckpt = await openCheckpointDir(dir);
    expect(ckpt.layout).toBe('single');
    expect(ckpt.names()).toEqual(['w']);
    expect(ckpt.info('w')).toMatchObject({ dtype: 'F16', shape: [2], shard: 'model.safetensors' });
    expect(Array.from((await ckpt.readF32('w')).data)).toEqual([1, 2]);
    await ckpt.close();
  });

  it('reads two shards through the index, in weight_map order', async () => {
    const dir = await twoShards();
    const ckpt = await openCheckpointDir(dir);
    expect(ckpt.layout).toBe('sharded');
    expect(ckpt.indexMetadata).toEqual({ total_size: 24 });
    expect(ckpt.names()).toEqual(['c', 'a', 'b']);
    expect(ckpt.shards()).toEqual([SHARD2, SHARD1]);
    expect(ckpt.info('a')).toMatchObject({ dtype: 'F32', shape: [2], shard: SHARD1 });
    expect(ckpt.info('c').shard).toBe(SHARD2);
    expect(Array.from((await ckpt.readF32('a')).data)).toEqual([1.5, -2]);
    expect(Array.from((await ckpt.readF32('b')).data)).toEqual([3, 0.5]);
    const c = (await ckpt.readF32('c')).data;
    expect([c[0], Object.is(c[1], -0), c[2]]).toEqual([0.25, true, 65504]);
    expect(ckpt.shard(SHARD2).names()).toEqual(['c']);
    expect(() => ckpt.info('zz')).toThrow(/no tensor named "zz"/);
    await ckpt.close();
  });

  it('a symlinked shard inside the directory is fine', async () => {
    const dir = await twoShards({ a: 'link.safetensors', b: SHARD1, c: SHARD2 });
    await symlink(join(dir, SHARD1), join(dir, 'link.safetensors'));
    const ckpt = await openCheckpointDir(dir);
    expect(Array.from((await ckpt.readF32('a')).data)).toEqual([1.5, -2]);
    await ckpt.close();
  });

  it('rejects a shard name with ..', async () => {
    const dir = await twoShards({ a: '../x', b: SHARD1, c: SHARD2 });
    await expectError(openCheckpointDir(dir), 'BAD_INDEX', join(dir, INDEX), /weight_map\["a"\]: shard "\.\.\/x" contains "\.\."/);
  });

  it('rejects a shard name hiding .. in the middle', async () => {
    const dir = await twoShards({ a: 'sub/../../x.safetensors', b: SHARD1, c: SHARD2 });
    await expectError(openCheckpointDir(dir), 'BAD_INDEX', join(dir, INDEX), /contains "\.\."/);
  });

  it('rejects an absolute shard path', async () => {
    const dir = await twoShards();
    const abs = join(dir, SHARD1);
    await writeFile(join(dir, INDEX), JSON.stringify({ weight_map: { a: abs, b: SHARD1, c: SHARD2 } }));
    await expectError(openCheckpointDir(dir), 'BAD_INDEX', join(dir, INDEX), /weight_map\["a"\]: shard ".*" is an absolute path/);
  });

  it('rejects a symlink that resolves outside the directory', async () => {
    const dir = await twoShards({ a: 'escape.safetensors', b: SHARD1, c: SHARD2 });
    const outside = join(root, `outside-${n++}.safetensors`);
    await writeSafetensors(outside, [{ name: 'a', dtype: 'F32', shape: [2], data: new Float32Array(2) }]);
    await symlink(outside, join(dir, 'escape.safetensors'));
    await expectError(openCheckpointDir(dir), 'BAD_INDEX', join(dir, INDEX), /shard "escape\.safetensors" resolves to .*outside the checkpoint directory/);
  });

  it('accepts a Hugging Face hub cache snapshot (shards linking into <repo>/blobs), and nothing else outside', async () => {
    const repo = join(root, `models--org--tiny-${n++}`);
    const snapshot = join(repo, 'snapshots', 'abc123');
    await mkdir(join(repo, 'blobs'), { recursive: true });
    await mkdir(snapshot, { recursive: true });
    await writeSafetensors(join(repo, 'blobs', 'blob-a'), [{ name: 'a', dtype: 'F32', shape: [2], data: Float32Array.from([1, 2]) }]);
    await writeSafetensors(join(repo, 'blobs', 'blob-b'), [{ name: 'b', dtype: 'F32', shape: [1], data: Float32Array.from([3]) }]);
    await symlink('../../blobs/blob-a', join(snapshot, SHARD1));
    await symlink('../../blobs/blob-b', join(snapshot, SHARD2));
    await writeFile(join(snapshot, INDEX), JSON.stringify({ weight_map: { a: SHARD1, b: SHARD2 } }));
    const ckpt = await openCheckpointDir(snapshot);
    expect(Array.from((await ckpt.readF32('a')).data)).toEqual([1, 2]);
    await ckpt.close();
    // A link from the snapshot to anywhere but the repo's blobs folder is still refused.
    const outside = join(root, `outside-${n++}.safetensors`);
    await writeSafetensors(outside, [{ name: 'b', dtype: 'F32', shape: [1], data: new Float32Array(1) }]);
    await rm(join(snapshot, SHARD2));
    await symlink(outside, join(snapshot, SHARD2));
    await expectError(openCheckpointDir(snapshot), 'BAD_INDEX', join(snapshot, INDEX), /resolves to .*outside the checkpoint directory/);
  });

  it('rejects a single model.safetensors that links outside the directory', async () => {
    const dir = join(root, `single-link-${n++}`);
    await mkdir(dir);
    const outside = join(root, `outside-${n++}.safetensors`);
    await writeSafetensors(outside, [{ name: 'a', dtype: 'F32', shape: [1], data: new Float32Array(1) }]);
    await symlink(outside, join(dir, 'model.safetensors'));
    await expectError(openCheckpointDir(dir), 'BAD_INDEX', join(dir, 'model.safetensors'), /outside the checkpoint directory/);
  });

  it('rejects a missing shard file', async () => {
    const dir = await twoShards({ a: SHARD1, b: SHARD1, c: 'model-00003-of-00002.safetensors' });
    await expectError(
      openCheckpointDir(dir),
      'NOT_FOUND',
      join(dir, 'model-00003-of-00002.safetensors'),
      /shard listed in model\.safetensors\.index\.json \(for tensor "c"\) does not exist/,
    );
  });

  it('rejects a tensor the index puts in a shard that lacks it', async () => {
    const dir = await twoShards({ a: SHARD1, b: SHARD1, c: SHARD1 });
    await expectError(
      openCheckpointDir(dir),
      'MISSING_TENSOR',
      join(dir, SHARD1),
      /tensor "c" is listed in model\.safetensors\.index\.json but not in this shard/,
    );
  });

  it('lists shard tensors the index does not name as unindexed (not among names())', async () => {
    const dir = await twoShards({ c: SHARD2, a: SHARD1 });
    const ckpt = await openCheckpointDir(dir);
    expect(ckpt.names()).toEqual(['c', 'a']);
    expect(ckpt.has('b')).toBe(false);
    expect(ckpt.unindexed).toEqual([{ name: 'b', shard: SHARD1 }]);
    await ckpt.close();
    const full = await openCheckpointDir(await twoShards());
    expect(full.unindexed).toEqual([]);
    await full.close();
  });

  it('rejects a malformed index', async () => {
    const dir = await twoShards();
    await writeFile(join(dir, INDEX), '{"weight_map": {"a": "x", "a": "y"}}');
    await expectError(openCheckpointDir(dir), 'BAD_JSON', join(dir, INDEX), /duplicate key "a"/);
    await writeFile(join(dir, INDEX), Buffer.concat([Buffer.of(0xef, 0xbb, 0xbf), Buffer.from('{"weight_map": {}}')]));
    await expectError(openCheckpointDir(dir), 'BAD_JSON', join(dir, INDEX), /starts with a UTF-8 byte-order mark/);
    await writeFile(join(dir, INDEX), '{"weight_map": {"a": 3}}');
    await expectError(openCheckpointDir(dir), 'BAD_INDEX', join(dir, INDEX), /weight_map\["a"\] must be a shard file name, got 3/);
    await writeFile(join(dir, INDEX), '{"metadata": {}}');
    await expectError(openCheckpointDir(dir), 'BAD_INDEX', join(dir, INDEX), /"weight_map" must be an object/);
  });

  it('rejects a directory without weights, and a missing directory', async () => {
    const dir = join(root, 'empty');
    await mkdir(dir);
    await expectError(openCheckpointDir(dir), 'NOT_FOUND', dir, /no model\.safetensors or model\.safetensors\.index\.json/);
    await expectError(openCheckpointDir(join(root, 'nope')), 'NOT_FOUND', join(root, 'nope'), /no such directory/);
  });
});
