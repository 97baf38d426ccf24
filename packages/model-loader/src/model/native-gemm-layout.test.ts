// The decoder layers on the native GEMM (onnxruntime-node) keep their weights as W [out, in] and multiply x · Wᵀ with
// transposeB (no host transpose); on XNNPACK they upload Wᵀ. Both must give the reference per-token NLLs and agree.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { matmulWeightsRowMajor, nativeGemmLoadError, nativeGemmStatus, selectBackend } from '@dass/tensor-backend';
import { openLlama2c } from '../llama2c/open-llama2c.js';
import { fixtures } from '../test/index.js';
import { CausalLM } from './causal-lm.js';

const reference = JSON.parse(readFileSync(fixtures.stories260K.referenceNll, 'utf8')) as { input_ids: number[]; nll_per_target_token: number[] };
const ortError = nativeGemmLoadError();

describe.skipIf(ortError !== undefined)(`decoder layers on the native GEMM${ortError ? ` — skipped: ${ortError}` : ''}`, () => {
  afterAll(async () => {
    await selectBackend('wasm', { gemm: 'auto' });
  });

  it('row-major weights (native, transposeB) and transposed weights (XNNPACK) give the reference NLLs and agree (each token within 1e-4, the mean within 1e-5)', async () => {
    const ids = Int32Array.from(reference.input_ids);
    const nll: Float32Array[] = [];
    for (const gemm of ['native', 'wasm'] as const) {
      await selectBackend('wasm', { gemm });
      expect(matmulWeightsRowMajor()).toBe(gemm === 'native');
      const calls = nativeGemmStatus().calls?.native ?? 0;
      const model = await CausalLM.fromSource(await openLlama2c(fixtures.stories260K.bin), { threads: 1 });
      try {
        nll.push(Float32Array.from(await model.tokenNll(ids, 1, ids.length)));
      } finally {
        model.dispose();
      }
      // stories260K's projections over 256 tokens (256 × 64 × 192 multiply-adds) are above the native threshold.
      if (gemm === 'native') expect(nativeGemmStatus().calls!.native).toBeGreaterThan(calls);
    }
    // The engines round differently (summation order); through 5 layers float32 NLLs differ by ~1e-5 per token.
    let diff = 0;
    for (let t = 0; t < 256; t++) {
      for (const n of nll) expect(Math.abs(n[t]! - reference.nll_per_target_token[t]!)).toBeLessThan(1e-3);
      expect(Math.abs(nll[0]![t]! - nll[1]![t]!)).toBeLessThan(1e-4);
      diff += nll[0]![t]! - nll[1]![t]!;
    }
    expect(Math.abs(diff / 256)).toBeLessThan(1e-5);
  });
});
