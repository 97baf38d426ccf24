import { mkdtempSync, readdirSync, readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CausalLM, convertLlama2cToHf, openModel, openSafetensors, overlayWeights, writeSafetensors } from '@dass/model-loader';
import { writeCalibArtifact } from '@dass/calibration';
import type { HostTensor } from '@dass/model-loader';
import { fixtures } from '@dass/model-loader/test';
import { checkNM, sparsityOf } from '@dass/nm-sparsify';
import { parseRunManifest } from './run-manifest.js';
import { runPrune } from './run-prune.js';
import { UserInputError } from './user-error.js';
import { nativeGemmLoadError, nativeGemmStatus } from '@dass/tensor-backend';

const calibText = new URL('../fixtures/tinystories_train_head.txt', import.meta.url).pathname;
const tmp = () => mkdtempSync(join(tmpdir(), 'dass-pipeline-'));
const base = {
  model: fixtures.stories260K.bin,
  tokenizer: fixtures.stories260K.tokenizer,
  calib: calibText,
  nsamples: 4,
  seqlen: 64,
  seed: 0,
};

describe('runPrune on stories260K', () => {
  for (const method of ['magnitude', 'wanda', 'dass', 'sparsegpt']) {
    it(`${method} 2:4 → HF dir: every target has exactly 2 zeros per group along the method's axis`, async () => {
      const out = join(tmp(), 'out');
      const manifest = await runPrune({ ...base, method, sparsity: '2:4', out, outFormat: 'hf' });
      expect(manifest.method).toBe(method);
      expect(manifest.layers).toHaveLength(5);
      expect(manifest.sparsity.overTargets.ratio).toBe(0.5);
      const source = await openModel(out);
      for (let l = 0; l < 5; l++) {
        for (const linear of ['gate_proj', 'up_proj', 'down_proj'] as const) {
          const block = 'mlp';
          const t = await source.readF32(`model.layers.${l}.${block}.${linear}.weight`);
          const axis = manifest.plans[linear]!.nmAxis as 'in' | 'out';
          expect(axis).toBe(method === 'dass' && linear !== 'down_proj' ? 'out' : 'in');
          const check = checkNM(t.data, [t.shape[0]!, t.shape[1]!], 2, 4, axis);
          expect(check.valid).toBe(true);
          expect(sparsityOf(t.data).ratio).toBe(0.5);
        }
      }
      await source.close();
    });
  }

  it('the written checkpoint reproduces the in-memory pruned model (same logits)', async () => {
    const out = join(tmp(), 'pruned.bin');
    const pruned = new Map<string, HostTensor>();
    await runPrune({
      ...base,
      method: 'dass',
      sparsity: '0.5',
      out,
      onPrunedWeight: (name, data) => pruned.set(name, { shape: [], data: Float32Array.from(data) }),
    });
    const original = await openModel(fixtures.stories260K.bin);
    for (const [name, t] of pruned) t.shape = original.shape(name);
    const inMemory = await CausalLM.fromSource(overlayWeights(original, pruned));
    const written = await CausalLM.fromSource(await openModel(out));
    const ids = [1, 403, 407, 261, 378, 300, 290];
    const [a, b] = await Promise.all([inMemory.logits(ids), written.logits(ids)]);
    expect(Array.from(b)).toEqual(Array.from(a));
    const dense = await CausalLM.fromSource(await openModel(fixtures.stories260K.bin));
    const c = await dense.logits(ids);
    expect(Array.from(c)).not.toEqual(Array.from(a));
    for (const m of [inMemory, written, dense]) m.dispose();
  });

  it('keeps the llama2.c format and leaves the input untouched', async () => {
    const before = readFileSync(fixtures.stories260K.bin);
    const out = join(tmp(), 'pruned.bin');
    const manifest = await runPrune({ ...base, method: 'wanda', sparsity: '0.5', out, report: out + '.run.json' });
    expect(manifest.output.format).toBe('llama2c');
    expect(readFileSync(out).length).toBe(before.length);
    expect(readFileSync(fixtures.stories260K.bin).equals(before)).toBe(true);
    const report = JSON.parse(readFileSync(out + '.run.json', 'utf8'));
    expect(report.calibration.nsamples).toBe(4);
    expect(report.calibration.seed).toBe(0);
    expect(report.tool.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(report.tool.tfjs).toMatch(/^\d+\.\d+\.\d+$/);
    // The file fits RunManifestSchema (strict: a field the schema does not know would fail here) and reads back whole.
    expect(parseRunManifest(report, 'run.json')).toEqual(manifest);
    // unstructured 0.5 per output row for wanda: every row of every target is exactly half zero
    const source = await openModel(out);
    const t = await source.readF32('model.layers.2.mlp.down_proj.weight');
    const [rows, cols] = t.shape as [number, number];
    for (let r = 0; r < rows; r++) expect(sparsityOf(t.data.subarray(r * cols, (r + 1) * cols)).zeros).toBe(Math.floor(cols / 2));
    await source.close();
  });

  it('refuses an existing --out without --force; --force replaces a previous output, never a file of another kind', async () => {
    const dir = tmp();
    const out = join(dir, 'exists.bin');
    writeFileSync(out, 'keep me');
    await expect(runPrune({ ...base, method: 'magnitude', sparsity: '0.5', out })).rejects.toThrow(UserInputError);
    await expect(runPrune({ ...base, method: 'magnitude', sparsity: '0.5', out })).rejects.toMatchObject({ code: 'DASS_OUTPUT_PATH', field: 'out' });
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    await expect(runPrune({ ...base, method: 'magnitude', sparsity: '0.5', out, force: true })).rejects.toThrow(
      `out ${out} exists and does not start with a llama2.c header, so it is not a checkpoint this tool wrote`,
    );
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    await runPrune({ ...base, method: 'wanda', sparsity: '0.5', out: join(dir, 'previous.bin') });
    const previous = readFileSync(join(dir, 'previous.bin'));
    writeFileSync(out, previous);
    await runPrune({ ...base, method: 'magnitude', sparsity: '0.5', out, force: true });
    expect(readFileSync(out).length).toBe(previous.length);
    expect(readFileSync(out).equals(previous)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['exists.bin', 'previous.bin']);
  });

  it('refuses an --out or --report that is, holds or lies inside an input, before any work, inputs byte-identical', async () => {
    const dir = tmp();
    const proj = join(dir, 'proj');
    const model = join(proj, 'model-hf');
    const checkpoint = await openModel(fixtures.stories260K.bin);
    try {
      await convertLlama2cToHf({ checkpoint, tokenizerPath: fixtures.stories260K.tokenizer, outDir: model });
    } finally {
      await checkpoint.close();
    }
    const calib = join(proj, 'calib.txt');
    writeFileSync(calib, readFileSync(calibText));
    writeFileSync(join(proj, 'notes.txt'), 'unrelated notes');
    const before = new Map(['config.json', 'model.safetensors', 'tokenizer.bin'].map((f) => [join(model, f), readFileSync(join(model, f))]));
    before.set(calib, readFileSync(calib));
    before.set(join(proj, 'notes.txt'), readFileSync(join(proj, 'notes.txt')));
    const hf = { ...base, model, tokenizer: undefined, calib, method: 'wanda', sparsity: '0.5' };
    const cases: [{ out: string; report?: string }, string][] = [
      [{ out: proj }, `out ${proj} contains the input model ${model}`],
      [{ out: model }, `out ${model} is the input model ${model}`],
      [{ out: join(model, 'pruned') }, `out ${join(model, 'pruned')} lies inside the input model ${model}`],
      [{ out: join(dir, 'o'), report: calib }, `report ${calib} is the input calib ${calib}`],
      [{ out: join(dir, 'o'), report: join(dir, 'o') }, `out ${join(dir, 'o')} is the output report ${join(dir, 'o')}`],
    ];
    for (const [over, message] of cases) {
      const stages: string[] = [];
      const err = await runPrune({ ...hf, force: true, onProgress: (p) => stages.push(p.stage), ...over }).catch((e: unknown) => e);
      expect((err as Error).name).toBe('OutputPathError');
      expect((err as Error).message).toContain(message);
      expect(stages).toEqual([]);
    }
    for (const [path, bytes] of before) expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(readdirSync(proj).sort()).toEqual(['calib.txt', 'model-hf', 'notes.txt']);
    expect(readdirSync(dir)).toEqual(['proj']);
  });

  it('an interrupted run leaves no output and no temporary files', async () => {
    const dir = tmp();
    const controller = new AbortController();
    await expect(
      runPrune({
        ...base,
        method: 'wanda',
        sparsity: '2:4',
        out: join(dir, 'out'),
        outFormat: 'hf',
        signal: controller.signal,
        onProgress: (p) => {
          if (p.stage === 'write' && p.layer === 2) controller.abort();
        },
      }),
    ).rejects.toThrow(/interrupted/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('rejects bad options before touching any file', async () => {
    const dir = tmp();
    const out = join(dir, 'o');
    await expect(runPrune({ ...base, method: 'nope', sparsity: '0.5', out })).rejects.toMatchObject({
      code: 'DASS_INVALID_ARGUMENT',
      field: 'method',
      message: expect.stringMatching(/^method: .*magnitude/),
    });
    await expect(runPrune({ ...base, method: 'dass', sparsity: '1.5', out })).rejects.toMatchObject({
      field: 'sparsity',
      message: expect.stringMatching(/^sparsity: .*1\.5/),
    });
    await expect(runPrune({ ...base, method: 'dass', sparsity: '4:2', out })).rejects.toMatchObject({
      field: 'sparsity',
      message: expect.stringMatching(/^sparsity: .*4:2/),
    });
    await expect(runPrune({ ...base, method: 'dass', sparsity: '4:8', out })).rejects.toThrow(
      /^sparsity 4:8: gate_proj \[172, 64\] has 172 output rows along the N:M axis \(out\), not divisible by 8; pass partialGroups dense/,
    );
    await expect(runPrune({ ...base, method: 'dass', sparsity: '0.5', alpha: -1, out })).rejects.toMatchObject({
      field: 'alpha',
      message: expect.stringMatching(/^alpha: /),
    });
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  for (const method of ['wanda', 'sparsegpt']) {
    it(`${method} 4:8 with partial groups dense reports the weights it left dense`, async () => {
      const out = join(tmp(), 'o.bin');
      const manifest = await runPrune({ ...base, method, sparsity: '4:8', partialGroups: 'dense', out });
      // down_proj rows have 172 = 21·8 + 4 columns: 4 tail weights per row stay dense, 64 rows × 5 layers
      expect(manifest.denseTailWeights).toBe(4 * 64 * 5);
    });
  }

  it('an HF dir without tokenizer files prunes from a calibration artifact (ids need no tokenizer)', async () => {
    const dir = tmp();
    const modelDir = join(dir, 'hf');
    await convertLlama2cToHf({ checkpoint: await openModel(fixtures.stories260K.bin), outDir: modelDir });
    const ids = new Int32Array(4 * 32).map((_, i) => (i * 37 + 11) % 512);
    const calib = join(dir, 'calib.safetensors');
    await writeCalibArtifact(
      calib,
      { inputIds: ids, nsamples: 4, seqlen: 32 },
      { sourceSha256: '0'.repeat(64), tokenizerSha256: '0'.repeat(64), seed: 0, seqlen: 32, nsamples: 4, sampler: 'text', source: 'ids.txt' },
    );
    const manifest = await runPrune({ model: modelDir, calib, method: 'dass', sparsity: '2:4', out: join(dir, 'out') });
    expect(manifest.calibration.kind).toBe('artifact');
    expect(manifest.sparsity.overTargets.ratio).toBe(0.5);
    expect(manifest.peakRssBytes).toBeGreaterThan(manifest.layers[0]!.rssBytes * 0.5);
  });

  it('an HF checkpoint with tensors its config does not use: warned once, listed in the manifest, ignored, copied byte for byte', async () => {
    const dir = tmp();
    const plainDir = join(dir, 'plain');
    await convertLlama2cToHf({ checkpoint: await openModel(fixtures.stories260K.bin), outDir: plainDir });
    // The same checkpoint plus mlp biases and a non-zero q_proj bias, with config.json unchanged (no mlp_bias /
    // attention_bias): as in the field report, these must not change the result.
    const biasDir = join(dir, 'with-bias');
    await convertLlama2cToHf({ checkpoint: await openModel(fixtures.stories260K.bin), outDir: biasDir });
    const file = await openSafetensors(join(plainDir, 'model.safetensors'));
    const tensors = [];
    for (const name of file.names()) tensors.push({ name, dtype: file.info(name).dtype, shape: file.info(name).shape, data: (await file.readF32(name)).data });
    await file.close();
    const extra = [
      ['model.layers.0.mlp.gate_proj.bias', 172],
      ['model.layers.0.mlp.up_proj.bias', 172],
      ['model.layers.0.mlp.down_proj.bias', 64],
      ['model.layers.1.self_attn.q_proj.bias', 64],
    ] as const;
    for (const [name, n] of extra) tensors.push({ name, dtype: 'F32' as const, shape: [n], data: Float32Array.from({ length: n }, (_, i) => 0.5 + i / n) });
    await writeSafetensors(join(biasDir, 'model.safetensors'), tensors);

    const ids = new Int32Array(4 * 32).map((_, i) => (i * 37 + 11) % 512);
    const calib = join(dir, 'calib.safetensors');
    await writeCalibArtifact(
      calib,
      { inputIds: ids, nsamples: 4, seqlen: 32 },
      { sourceSha256: '0'.repeat(64), tokenizerSha256: '0'.repeat(64), seed: 0, seqlen: 32, nsamples: 4, sampler: 'text', source: 'ids.txt' },
    );
    const warnings: string[] = [];
    const run = (model: string, out: string) => runPrune({ model, calib, method: 'wanda', sparsity: '2:4', out, onWarning: (w) => warnings.push(w) });
    const plain = await run(plainDir, join(dir, 'out-plain'));
    expect(plain.model.unusedTensors).toEqual([]);
    expect(warnings).toEqual([]);
    const biased = await run(biasDir, join(dir, 'out-bias'));
    expect(biased.model.unusedTensors).toEqual(extra.map(([name]) => name));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^.*with-bias: 4 tensors in the checkpoint are not used by LlamaForCausalLM as config\.json configures it/);
    expect(biased.warnings).toEqual(warnings);

    const a = await openSafetensors(join(dir, 'out-plain', 'model.safetensors'));
    const b = await openSafetensors(join(dir, 'out-bias', 'model.safetensors'));
    const input = await openSafetensors(join(biasDir, 'model.safetensors'));
    // Ignored: every pruned weight is the same as without the extra tensors.
    for (const name of a.names()) expect(Buffer.from(await b.readRaw(name)).equals(Buffer.from(await a.readRaw(name)))).toBe(true);
    // Kept: the extra tensors are in the output, byte for byte.
    for (const [name] of extra) expect(Buffer.from(await b.readRaw(name)).equals(Buffer.from(await input.readRaw(name)))).toBe(true);
    for (const f of [a, b, input]) await f.close();
  });

  it('a sharded HF checkpoint whose shard holds a tensor the index does not list: reported unused and copied (not a failed commit)', async () => {
    const dir = tmp();
    const single = join(dir, 'single');
    await convertLlama2cToHf({ checkpoint: await openModel(fixtures.stories260K.bin), outDir: single });
    const sharded = join(dir, 'sharded');
    await convertLlama2cToHf({ checkpoint: await openModel(fixtures.stories260K.bin), outDir: sharded });
    const file = await openSafetensors(join(sharded, 'model.safetensors'));
    const all = [];
    for (const name of file.names()) all.push({ name, dtype: file.info(name).dtype, shape: file.info(name).shape, data: await file.readRaw(name) });
    await file.close();
    rmSync(join(sharded, 'model.safetensors'));
    const half = Math.ceil(all.length / 2);
    const stray = {
      name: 'model.layers.4.mlp.up_proj.bias',
      dtype: 'F32' as const,
      shape: [172],
      data: new Uint8Array(Float32Array.from({ length: 172 }, (_, i) => i).buffer),
    };
    const shards = [all.slice(0, half), [...all.slice(half), stray]];
    const weightMap: Record<string, string> = {};
    for (const [i, part] of shards.entries()) {
      const shard = `model-0000${i + 1}-of-00002.safetensors`;
      await writeSafetensors(join(sharded, shard), part);
      for (const t of part) if (t !== stray) weightMap[t.name] = shard;
    }
    writeFileSync(join(sharded, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    const model = await openModel(sharded);
    expect(model.unusedTensors).toEqual([stray.name]);
    await model.close();

    const out = join(dir, 'out');
    const manifest = await runPrune({
      model: sharded,
      calib: calibText,
      tokenizer: fixtures.stories260K.tokenizer,
      nsamples: 2,
      seqlen: 32,
      seed: 0,
      method: 'magnitude',
      sparsity: '2:4',
      out,
    });
    expect(manifest.model.unusedTensors).toEqual([stray.name]);
    const copied = await openSafetensors(join(out, 'model-00002-of-00002.safetensors'));
    expect(Buffer.from(await copied.readRaw(stray.name)).equals(Buffer.from(stray.data))).toBe(true);
    await copied.close();
  });
});

/** Entries whose zero / non-zero state is the same in both runs' pruned weights (by matrix name). */
function maskAgreement(a: Map<string, Float32Array>, b: Map<string, Float32Array>): { same: number; total: number } {
  let same = 0;
  let total = 0;
  for (const [name, w1] of a) {
    const w2 = b.get(name)!;
    for (let i = 0; i < w1.length; i++) {
      total++;
      if ((w1[i] === 0) === (w2[i] === 0)) same++;
    }
  }
  return { same, total };
}

/** Perplexity of a written checkpoint on the calibration text (seqlen 64, 8 windows), run with `threads`. */
async function perplexityOf(path: string, threads: number): Promise<number> {
  const { perplexityOfText } = await import('@dass/evaluation');
  const { loadTokenizer } = await import('@dass/model-loader');
  const tokenizer = await loadTokenizer(fixtures.stories260K.tokenizer);
  const source = await openModel(path);
  const model = await CausalLM.fromSource(source, { threads });
  try {
    return (await perplexityOfText(model, tokenizer, readFileSync(calibText, 'utf8'), { seqlen: 64, maxWindows: 8, batchSize: 4 })).ppl;
  } finally {
    model.dispose();
    await source.close();
  }
}

describe('runPrune with worker threads', () => {
  for (const method of ['dass', 'sparsegpt']) {
    it(`${method} threads 1 vs 2: same masks (${method === 'dass' ? 'exactly' : '≥ 99.9%'}), perplexity within ${method === 'dass' ? '1e-6' : '1e-4'} relative, threads in the manifest`, async () => {
      const weights: Map<string, Float32Array>[] = [];
      const ppl: number[] = [];
      for (const threads of [1, 2]) {
        const pruned = new Map<string, Float32Array>();
        const out = join(tmp(), 'out.bin');
        const manifest = await runPrune({
          ...base,
          method,
          sparsity: '2:4',
          out,
          threads,
          onPrunedWeight: (name, data) => pruned.set(name, Float32Array.from(data)),
        });
        expect(manifest.threads).toBe(threads);
        weights.push(pruned);
        // Evaluated with the other thread count than the prune used: evaluation threads must not matter either.
        ppl.push(await perplexityOf(out, 3 - threads));
      }
      const { same, total } = maskAgreement(weights[0]!, weights[1]!);
      // DaSS's scores come from sums of squares (exact up to summation order): no ties here, identical masks.
      // SparseGPT's OBS updates feed later columns' choices, so a last-bit difference in XᵀX may flip a near tie.
      if (method === 'dass') expect(same).toBe(total);
      else expect(same / total).toBeGreaterThanOrEqual(0.999);
      expect(Math.abs(ppl[1]! - ppl[0]!) / ppl[0]!).toBeLessThan(method === 'dass' ? 1e-6 : 1e-4);
    });
  }

  it('refuses --threads 0', async () => {
    await expect(runPrune({ ...base, method: 'dass', sparsity: '2:4', out: join(tmp(), 'x.bin'), threads: 0 })).rejects.toMatchObject({
      code: 'DASS_INVALID_ARGUMENT',
      field: 'threads',
      message: 'threads: expected a positive integer, got 0',
    });
  });
});

const ortError = nativeGemmLoadError();
// Skipped (visibly, with the reason) only where onnxruntime-node, an optional peer dependency, cannot load.
describe.skipIf(ortError !== undefined)(`runPrune with the native GEMM${ortError ? ` — skipped: ${ortError}` : ''}`, () => {
  for (const method of ['dass', 'sparsegpt']) {
    it(`${method} 2:4 gemm native vs wasm: same masks (${method === 'dass' ? 'exactly' : '≥ 99.9%'}), perplexity within 1e-5 relative, engine in the manifest`, async () => {
      const weights: Map<string, Float32Array>[] = [];
      const ppl: number[] = [];
      try {
        for (const gemm of ['native', 'wasm'] as const) {
          const pruned = new Map<string, Float32Array>();
          const out = join(tmp(), 'out.bin');
          const calls = nativeGemmStatus().calls?.native ?? 0;
          const manifest = await runPrune({
            ...base,
            method,
            sparsity: '2:4',
            out,
            threads: 1,
            backend: 'wasm',
            gemm,
            onPrunedWeight: (name, data) => pruned.set(name, Float32Array.from(data)),
          });
          expect(manifest.backend.gemm).toMatchObject({ request: gemm, engine: gemm === 'native' ? expect.stringMatching(/^onnxruntime-node /) : 'xnnpack' });
          // The native run really multiplied natively (the layer projections are above the size threshold).
          if (gemm === 'native') expect(nativeGemmStatus().calls!.native).toBeGreaterThan(calls);
          else expect(nativeGemmStatus().active).toBe(false);
          weights.push(pruned);
          // Each evaluated on the engine it was pruned with.
          ppl.push(await perplexityOf(out, 1));
        }
      } finally {
        const { selectBackend } = await import('@dass/tensor-backend');
        await selectBackend('wasm', { gemm: 'auto' });
      }
      const { same, total } = maskAgreement(weights[0]!, weights[1]!);
      // The engines sum in different orders: DaSS's sum-of-squares scores have no near ties here; SparseGPT's OBS
      // updates feed later columns' choices, so a last-bit difference may flip a near tie.
      if (method === 'dass') expect(same).toBe(total);
      else expect(same / total).toBeGreaterThanOrEqual(0.999);
      expect(Math.abs(ppl[1]! - ppl[0]!) / ppl[0]!).toBeLessThan(1e-5);
    });
  }

  it('refuses an unknown gemm engine before any work', async () => {
    await expect(runPrune({ ...base, method: 'dass', sparsity: '2:4', out: join(tmp(), 'x.bin'), gemm: 'blas' as never })).rejects.toMatchObject({
      code: 'DASS_INVALID_ARGUMENT',
      field: 'gemm',
    });
  });
});
