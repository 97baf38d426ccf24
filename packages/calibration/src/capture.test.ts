import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { CausalLM, MLP_LINEARS, DECODER_LINEARS, openLlama2c } from '@dass/model-loader';
import type { LinearName } from '@dass/model-loader';
import { fixtures } from '@dass/model-loader/test';
import { tf } from '@dass/tensor-backend';
import { runLayerSequential } from './capture.js';

const ids: number[] = JSON.parse(readFileSync(fixtures.stories260K.referenceNll, 'utf8')).input_ids;
const nsamples = 4;
const seqlen = 64;
const inputIds = Int32Array.from(ids.slice(0, nsamples * seqlen));

/** Independent path: plain-TS RMSNorm + matvec from the host weights (no tfjs), float64. */
function rmsNormRows(x: Float32Array, w: Float32Array, d: number, eps: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let ss = 0;
    for (let j = 0; j < d; j++) ss += x[r * d + j]! ** 2;
    const inv = 1 / Math.sqrt(ss / d + eps);
    for (let j = 0; j < d; j++) out[r * d + j] = x[r * d + j]! * inv * w[j]!;
  }
  return out;
}

describe('runLayerSequential on stories260K', () => {
  let model: CausalLM;
  beforeAll(async () => {
    model = await CausalLM.fromSource(await openLlama2c(fixtures.stories260K.bin), { cacheLayers: false });
  });
  afterAll(() => model.dispose());

  it('layer-0 sums of squares equal a direct computation from the embeddings (1e-5 relative)', async () => {
    const source = model.source;
    const d = model.config.hiddenSize;
    const seen = new Map<LinearName, Float64Array>();
    await runLayerSequential({
      model,
      inputIds,
      nsamples,
      seqlen,
      targets: DECODER_LINEARS,
      layers: 1,
      onLayer: ({ stats }) => {
        for (const [k, v] of stats.inputSumSq) seen.set(k, v);
        expect(stats.tokens).toBe(nsamples * seqlen);
      },
    });
    // q/k/v input = RMSNorm(embedding) with layer 0's input norm, computed here without tfjs.
    const emb = (await source.readF32('model.embed_tokens.weight')).data;
    const x = new Float32Array(inputIds.length * d);
    inputIds.forEach((id, i) => x.set(emb.subarray(id * d, (id + 1) * d), i * d));
    const norm = (await source.readF32('model.layers.0.input_layernorm.weight')).data;
    const xn = rmsNormRows(x, norm, d, model.config.rmsNormEps);
    const expected = new Float64Array(d);
    for (let r = 0; r < inputIds.length; r++) for (let j = 0; j < d; j++) expected[j] += xn[r * d + j]! ** 2;
    for (const l of ['q_proj', 'k_proj', 'v_proj'] as const) {
      const got = seen.get(l)!;
      for (let j = 0; j < d; j++) expect(Math.abs(got[j]! - expected[j]!) / expected[j]!).toBeLessThan(1e-5);
    }
    expect(seen.get('down_proj')!.length).toBe(model.config.intermediateSize);
    expect(seen.get('o_proj')!.length).toBe(d);
  });

  it('with an identity pruning callback, hidden states equal the normal forward (1e-5)', async () => {
    const viaCapture = await runLayerSequential({ model, inputIds, nsamples, seqlen, targets: MLP_LINEARS, onLayer: () => {} });
    const direct = await model.forwardHidden(inputIds, nsamples, seqlen);
    let maxDiff = 0;
    for (let i = 0; i < direct.length; i++) maxDiff = Math.max(maxDiff, Math.abs(direct[i]! - viaCapture[i]!));
    expect(maxDiff).toBeLessThan(1e-5);
  });

  it('gathers XᵀX on request, and its diagonal equals the sums of squares', async () => {
    await runLayerSequential({
      model,
      inputIds,
      nsamples,
      seqlen,
      targets: ['down_proj'],
      gram: true,
      layers: 1,
      onLayer: ({ stats }) => {
        const n = model.config.intermediateSize;
        const gram = stats.gram.get('down_proj')!;
        const s = stats.inputSumSq.get('down_proj')!;
        expect(gram.length).toBe(n * n);
        for (let j = 0; j < n; j++) expect(gram[j * n + j]!).toBeCloseTo(s[j]!, 2);
        for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) expect(gram[i * n + j]).toBeCloseTo(gram[j * n + i]!, 4);
      },
    });
  });

  it('holds one decoder layer at a time and feeds pruned weights to the next layer', async () => {
    let resident = 0;
    let maxResident = 0;
    const zeroed: number[] = [];
    const final = await runLayerSequential({
      model,
      inputIds,
      nsamples,
      seqlen,
      targets: MLP_LINEARS,
      onLayer: ({ layer, index }) => {
        resident++;
        maxResident = Math.max(maxResident, resident);
        // tfjs holds this layer's weights (plus norms, RoPE tables and masks), never a second layer's. down_proj is
        // uploaded on first use: the dense statistics pass never multiplies by it (its output is not needed).
        const layerBytes = layer.hostBytes;
        expect(tf.memory().numBytes).toBeGreaterThanOrEqual(layerBytes - layer.linearWeight('down_proj').data.byteLength);
        expect(tf.memory().numBytes).toBeLessThan(1.5 * layerBytes);
        // prune: zero down_proj entirely, so the MLP contributes nothing
        layer.setLinearWeight('down_proj', new Float32Array(layer.linearWeight('down_proj').data.length));
        zeroed.push(index);
      },
      afterLayer: () => {
        resident--;
      },
    });
    expect(maxResident).toBe(1);
    expect(zeroed).toEqual([0, 1, 2, 3, 4]);
    const dense = await model.forwardHidden(inputIds, nsamples, seqlen);
    let diff = 0;
    for (let i = 0; i < dense.length; i++) diff += Math.abs(dense[i]! - final[i]!);
    expect(diff).toBeGreaterThan(1); // pruning changed the outputs
  });

  it('rejects mismatched ids, naming the sizes', async () => {
    await expect(runLayerSequential({ model, inputIds: new Int32Array(10), nsamples: 2, seqlen: 64, targets: MLP_LINEARS, onLayer: () => {} })).rejects.toThrow(
      /inputIds: expected nsamples×seqlen = 2×64 = 128 ids, got 10/,
    );
  });
});

/** Prunes each MLP target by zeroing the half of each row with the smallest |w|·‖x_j‖ (a deterministic stand-in). */
function pruneByWanda(layer: import('@dass/model-loader').DecoderLayer, stats: import('./capture.js').LayerStats, masks?: Map<string, Uint8Array>): void {
  for (const linear of MLP_LINEARS) {
    const w = layer.linearWeight(linear);
    const [rows, cols] = w.shape as [number, number];
    const s = stats.inputSumSq.get(linear)!;
    const out = Float32Array.from(w.data);
    const mask = new Uint8Array(out.length);
    for (let r = 0; r < rows; r++) {
      const order = Array.from({ length: cols }, (_, j) => j).sort(
        (a, b) => Math.abs(w.data[r * cols + a]!) * Math.sqrt(s[a]!) - Math.abs(w.data[r * cols + b]!) * Math.sqrt(s[b]!) || a - b,
      );
      for (const j of order.slice(0, cols / 2)) {
        out[r * cols + j] = 0;
        mask[r * cols + j] = 1;
      }
    }
    masks?.set(`${layer.index}.${linear}`, mask);
    layer.setLinearWeight(linear, out);
  }
}

describe('runLayerSequential: the pruned pass from the kept attention residual', () => {
  it('MLP-only targets: final hidden states equal the full recompute (1e-6 relative), with and without threads', async () => {
    const results: Float32Array[] = [];
    for (const [threads, reuseAttention] of [
      [1, false],
      [1, true],
      [2, true],
    ] as const) {
      const model = await CausalLM.fromSource(await openLlama2c(fixtures.stories260K.bin), { cacheLayers: false, threads });
      try {
        results.push(
          await runLayerSequential({
            model,
            inputIds,
            nsamples,
            seqlen,
            targets: MLP_LINEARS,
            reuseAttention,
            onLayer: ({ layer, stats }) => pruneByWanda(layer, stats),
          }),
        );
      } finally {
        model.dispose();
        await model.source.close();
      }
    }
    const [full, reused, threaded] = results as [Float32Array, Float32Array, Float32Array];
    // Same tfjs kernels on the same rows: the reused residual gives the very same numbers in one thread.
    expect(Buffer.from(reused.buffer).equals(Buffer.from(full.buffer))).toBe(true);
    let maxRel = 0;
    for (let i = 0; i < full.length; i++) maxRel = Math.max(maxRel, Math.abs(threaded[i]! - full[i]!) / Math.max(1e-3, Math.abs(full[i]!)));
    expect(maxRel).toBeLessThan(1e-6);
  });

  it('an attention weight changed in onLayer discards the residual: the full pass runs', async () => {
    const model = await CausalLM.fromSource(await openLlama2c(fixtures.stories260K.bin), { cacheLayers: false });
    try {
      const runOnce = (reuseAttention: boolean) =>
        runLayerSequential({
          model,
          inputIds,
          nsamples,
          seqlen,
          targets: MLP_LINEARS,
          reuseAttention,
          layers: 1,
          onLayer: ({ layer }) => {
            const o = layer.linearWeight('o_proj');
            layer.setLinearWeight(
              'o_proj',
              o.data.map((v) => v * 0.5),
            );
          },
        });
      const withReuse = await runOnce(true);
      const without = await runOnce(false);
      expect(Buffer.from(withReuse.buffer).equals(Buffer.from(without.buffer))).toBe(true);
    } finally {
      model.dispose();
      await model.source.close();
    }
  });
});

describe('runLayerSequential with worker threads', () => {
  it('threads 1 vs 2: statistics within 1e-9 relative, masks identical, hidden states within 1e-6', async () => {
    const runs: { sumSq: Map<string, Float64Array>; gram: Map<string, Float64Array>; masks: Map<string, Uint8Array>; hidden: Float32Array }[] = [];
    for (const threads of [1, 2]) {
      const model = await CausalLM.fromSource(await openLlama2c(fixtures.stories260K.bin), { cacheLayers: false, threads });
      expect(model.threads).toBe(threads);
      const sumSq = new Map<string, Float64Array>();
      const gram = new Map<string, Float64Array>();
      const masks = new Map<string, Uint8Array>();
      try {
        const hidden = await runLayerSequential({
          model,
          inputIds,
          nsamples,
          seqlen,
          targets: MLP_LINEARS,
          gram: (l) => l === 'down_proj',
          onLayer: ({ index, layer, stats }) => {
            expect(stats.tokens).toBe(nsamples * seqlen);
            for (const [k, v] of stats.inputSumSq) sumSq.set(`${index}.${k}`, Float64Array.from(v));
            for (const [k, v] of stats.gram) gram.set(`${index}.${k}`, Float64Array.from(v));
            pruneByWanda(layer, stats, masks);
          },
        });
        runs.push({ sumSq, gram, masks, hidden });
      } finally {
        model.dispose();
        await model.source.close();
      }
    }
    const [one, two] = runs as [(typeof runs)[0], (typeof runs)[0]];
    expect([...two.sumSq.keys()]).toEqual([...one.sumSq.keys()]);
    const relClose = (a: Float64Array, b: Float64Array, tol: number) => {
      let scale = 0;
      for (const v of a) scale = Math.max(scale, Math.abs(v));
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(tol * scale);
    };
    // Layer 0's inputs do not depend on pruning: only the summation order differs.
    for (const [k, v] of one.sumSq) relClose(v, two.sumSq.get(k)!, k.startsWith('0.') ? 1e-9 : 1e-5);
    for (const [k, v] of one.gram) relClose(v, two.gram.get(k)!, k.startsWith('0.') ? 1e-6 : 1e-5);
    let differing = 0;
    for (const [k, m] of one.masks) {
      const other = two.masks.get(k)!;
      for (let i = 0; i < m.length; i++) if (m[i] !== other[i]) differing++;
    }
    expect(differing).toBe(0);
    let maxRel = 0;
    for (let i = 0; i < one.hidden.length; i++) maxRel = Math.max(maxRel, Math.abs(two.hidden[i]! - one.hidden[i]!) / Math.max(1e-3, Math.abs(one.hidden[i]!)));
    expect(maxRel).toBeLessThan(1e-6);
  });
});
