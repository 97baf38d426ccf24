// memoryHfOutput (the browser's in-memory HF output) against openCheckpointOutput (what `dass prune` writes to disk):
// for the same checkpoint — BF16, sharded, with index metadata — and the same pruned linears, every shard is the same
// bytes, and only the pruned tensors differ from the input.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobSource, convertLlama2cToHf, linearTensorName, openHfFiles, openLlama2c, openModel } from '@dass/model-loader';
import type { LinearName } from '@dass/model-loader';
import { fixtures, reshardCheckpoint } from '@dass/model-loader/test';
import { memoryHfOutput } from './checkpoint-sink.js';
import { openCheckpointOutput } from './checkpoint-output.js';

const root = mkdtempSync(join(tmpdir(), 'dass-memory-hf-'));
const sharded = join(root, 'stories-bf16');
const targets: readonly LinearName[] = ['gate_proj', 'up_proj', 'down_proj'];

/** stories260K as an HF folder (BF16), resharded into 3 shards with an index by the package's own writer. */
beforeAll(async () => {
  const source = await openLlama2c(fixtures.stories260K.bin);
  await convertLlama2cToHf({ checkpoint: source, tokenizerPath: fixtures.stories260K.tokenizer, outDir: sharded, dtype: 'BF16' });
  await source.close();
  await reshardCheckpoint(sharded, 3);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A pruned stand-in for each target linear: its weights with every other value zeroed. */
function pruned(data: Float32Array): Float32Array {
  return data.map((v, i) => (i % 2 === 0 ? 0 : v));
}

describe('memoryHfOutput', () => {
  it('writes the shards `dass prune` writes for the same pruned linears, byte for byte', async () => {
    const disk = await openModel(sharded);
    const out = join(root, 'out');
    const fileOutput = await openCheckpointOutput({ source: disk, modelPath: sharded, out, format: 'same', targets });
    const files = new Map(readdirSync(sharded).map((name) => [name, blobSource(new Blob([readFileSync(join(sharded, name))]), name)]));
    const browser = await openHfFiles('stories-bf16', files);
    const memory = await memoryHfOutput(browser.checkpoint, targets, 'stories-bf16-pruned');
    for (let layer = 0; layer < disk.config.numLayers; layer++) {
      for (const linear of targets) {
        const data = pruned((await disk.readF32(linearTensorName(layer, linear))).data);
        await fileOutput.writeLinear(layer, linear, data);
        await memory.writeLinear(layer, linear, data);
      }
    }
    await fileOutput.commit();
    await memory.commit();
    const shards = memory.shards();
    expect(shards.map((s) => s.name)).toEqual(['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors']);
    for (const s of shards) expect(Buffer.from(s.bytes).equals(readFileSync(join(out, s.name))), s.name).toBe(true);
    // The output is the input with the targets changed: an untouched tensor keeps its bytes, a target does not.
    const input = await openModel(sharded);
    const output = await openModel(out);
    const q = 'model.layers.0.self_attn.q_proj.weight';
    expect(await output.readF32(q)).toEqual(await input.readF32(q));
    const gate = (await output.readF32(linearTensorName(0, 'gate_proj'))).data;
    expect(gate.filter((v, i) => i % 2 === 0 && v !== 0).length).toBe(0);
    for (const s of [disk, input, output, browser]) await s.close();
  });

  it('refuses a tensor outside the checkpoint and hands out nothing before commit', async () => {
    const files = new Map(readdirSync(sharded).map((name) => [name, blobSource(new Blob([readFileSync(join(sharded, name))]), name)]));
    const browser = await openHfFiles('stories-bf16', files);
    const memory = await memoryHfOutput(browser.checkpoint, targets, 'out');
    await expect(memory.writeLinear(99, 'gate_proj', new Float32Array(4))).rejects.toThrow(/model\.layers\.99\.mlp\.gate_proj\.weight is not in stories-bf16/);
    expect(() => memory.shards()).toThrow(/out: the output is not committed/);
    await memory.abort();
    await browser.close();
  });
});
