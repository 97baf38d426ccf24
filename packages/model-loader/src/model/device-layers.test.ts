import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceLimitError, countDeviceReads, layerExecution, limitTensorBytes, selectBackend, tf } from '@dass/tensor-backend';
import { fixtures } from '../test/index.js';
import { openLlama2c } from '../llama2c/open-llama2c.js';
import { CausalLM } from './causal-lm.js';

// Reference computed independently (float64 NumPy forward pass): per-token NLLs of 257 TinyStories ids.
const reference = JSON.parse(readFileSync(fixtures.stories260K.referenceNll, 'utf8')) as { input_ids: number[]; nll_per_target_token: number[] };

/**
 * The device path (everything inside a layer on tfjs tensors) exercised on tfjs's cpu backend, where
 * `layerExecution()` is `device` too: the same code the webgpu backend runs, checkable without a GPU.
 */
describe('device-resident layers (cpu backend)', () => {
  let model: CausalLM;
  beforeAll(async () => {
    await selectBackend('cpu');
    model = await CausalLM.fromSource(await openLlama2c(fixtures.stories260K.bin));
  });
  afterAll(() => model.dispose());

  it('runs layers on the device: layerExecution is device off wasm', () => {
    expect(layerExecution()).toBe('device');
    expect(model.execution).toBe('device');
  });

  it('per-token NLLs of stories260K equal the reference within 1e-4, read back in one read', async () => {
    const ids = Int32Array.from(reference.input_ids);
    const counter = countDeviceReads();
    const nll = await model.tokenNll(ids, 1, ids.length);
    counter.stop();
    expect(counter.count).toBe(1);
    expect(nll.length).toBe(reference.nll_per_target_token.length);
    for (let i = 0; i < nll.length; i++) expect(Math.abs(nll[i]! - reference.nll_per_target_token[i]!)).toBeLessThan(1e-4);
  });

  it('forwardHiddenDevice reads nothing back, whatever the number of passes, and matches the host-assisted (wasm) path', async () => {
    const ids = Int32Array.from(reference.input_ids.slice(0, 4 * 48));
    const chunked = await CausalLM.fromSource(model.source, { maxTokensPerPass: 48 });
    const counter = countDeviceReads();
    const hidden = await chunked.forwardHiddenDevice(ids, 4, 48);
    counter.stop();
    expect(counter.count).toBe(0);
    expect(hidden.chunks.length).toBe(4);
    const device = await hidden.read();
    hidden.dispose();
    chunked.dispose();
    await selectBackend('wasm');
    expect(layerExecution()).toBe('host-assisted');
    const host = await CausalLM.fromSource(model.source);
    const onHost = await host.forwardHidden(ids, 4, 48);
    host.dispose();
    await selectBackend('cpu');
    let worst = 0;
    for (let i = 0; i < device.length; i++) worst = Math.max(worst, Math.abs(device[i]! - onHost[i]!) / (1 + Math.abs(onHost[i]!)));
    expect(worst).toBeLessThan(1e-4);
  });

  it('a model that cannot fit the buffer limit is a DeviceLimitError naming the tensor, its bytes and the limit', async () => {
    const m = await CausalLM.fromSource(model.source, { cacheLayers: false });
    try {
      // stories260K (hidden 64, MLP 172, GQA 8/4 heads of 8): gate_proj, [64, 172] float32 = 44,032 bytes, is the first too big.
      limitTensorBytes(40_000);
      const err = await m.loadLayer(0).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeviceLimitError);
      expect((err as Error).message).toBe(
        "layer 0 gate_proj: its [64, 172] float32 weight (44032 bytes) exceeds the GPU adapter's largest buffer (maxStorageBufferBindingSize/maxBufferSize = 40000 bytes); this model cannot run on this adapter",
      );
      // One 256-token sample's widest activation ([256, 172] float32 = 176,128 bytes) cannot fit 100,000 bytes.
      limitTensorBytes(100_000);
      await expect(m.tokenNll(Int32Array.from(reference.input_ids.slice(0, 256)), 1, 256)).rejects.toThrow(
        /^seqlen 256: one sample's \[256, 172\] float32 activations \(176128 bytes\) exceed the GPU adapter's largest buffer .* = 100000 bytes\)/,
      );
    } finally {
      limitTensorBytes(undefined);
      m.dispose();
    }
  });

  it('a decoder layer leaves no tensors behind on the device path', async () => {
    const ids = Int32Array.from(reference.input_ids.slice(0, 64));
    await model.tokenNll(ids, 1, 64); // warm caches (layers, masks, RoPE tables, head)
    const before = tf.memory().numTensors;
    await model.tokenNll(ids, 1, 64);
    expect(tf.memory().numTensors).toBe(before);
  });
});
