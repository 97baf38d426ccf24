import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelLoadError, type ModelLoadErrorReason } from '../errors.js';
import { writeSafetensors, type SafetensorsTensor } from '../safetensors/safetensors-writer.js';
import type { DType, ModelConfig } from '../types.js';
import { hfConfigJson } from './hf-config.js';
import { hfTensorShapes, openHfModel, unusedTensorsWarning } from './hf-model.js';

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dass-hf-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const LLAMA: ModelConfig = {
  architecture: 'LlamaForCausalLM',
  hiddenSize: 8,
  intermediateSize: 12,
  numLayers: 2,
  numHeads: 2,
  numKvHeads: 1,
  headDim: 4,
  vocabSize: 16,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  maxPositionEmbeddings: 32,
  tieWordEmbeddings: false,
  hiddenAct: 'silu',
  attentionBias: false,
  rmsNormAddOne: false,
  embeddingScale: 1,
};
const QWEN2: ModelConfig = { ...LLAMA, architecture: 'Qwen2ForCausalLM', attentionBias: true, tieWordEmbeddings: true };
const GEMMA: ModelConfig = {
  ...LLAMA,
  architecture: 'GemmaForCausalLM',
  hiddenAct: 'gelu_tanh',
  rmsNormAddOne: true,
  embeddingScale: Math.sqrt(8),
  headDim: 6,
  tieWordEmbeddings: true,
};

/** Deterministic, distinct values per tensor so a mix-up between tensors shows. */
function values(seed: number, count: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => Math.sin(seed * 1000 + i) * (1 + (i % 3)));
}

interface Build {
  config?: ModelConfig;
  dtype?: DType;
  drop?: string;
  reshape?: [string, number[]];
  retype?: string;
  extra?: SafetensorsTensor[];
  shards?: 2;
  configJson?: unknown;
}

async function buildDir(b: Build = {}): Promise<{ dir: string; tensors: SafetensorsTensor[] }> {
  const config = b.config ?? LLAMA;
  const dir = join(root, `model-${n++}`);
  await mkdir(dir);
  await writeFile(join(dir, 'config.json'), JSON.stringify(b.configJson ?? hfConfigJson(config)));
  const tensors: SafetensorsTensor[] = [];
  let seed = 1;
  for (const [name, shape0] of hfTensorShapes(config)) {
    seed++;
    if (name === b.drop) continue;
    const shape = b.reshape?.[0] === name ? b.reshape[1] : shape0;
    const count = shape.reduce((a, c) => a * c, 1);
    if (b.retype === name) tensors.push({ name, dtype: 'I32', shape, data: new Int32Array(count) });
    else tensors.push({ name, dtype: b.dtype ?? 'F32', shape, data: values(seed, count) });
  }
  tensors.push(...(b.extra ?? []));
  if (b.shards === 2) {
    const half = Math.ceil(tensors.length / 2);
    const parts = [tensors.slice(0, half), tensors.slice(half)];
    const weightMap: Record<string, string> = {};
    for (const [i, part] of parts.entries()) {
      const shard = `model-0000${i + 1}-of-00002.safetensors`;
      await writeSafetensors(join(dir, shard), part);
      for (const t of part) weightMap[t.name] = shard;
    }
    await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  } else {
    await writeSafetensors(join(dir, 'model.safetensors'), tensors);
  }
  return { dir, tensors };
}

async function expectError(promise: Promise<unknown>, code: ModelLoadErrorReason, file: string, message: RegExp) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelLoadError);
  expect((err as ModelLoadError).reason).toBe(code);
  expect((err as ModelLoadError).file).toBe(file);
  expect((err as ModelLoadError).message).toMatch(message);
}

describe('hfTensorShapes', () => {
  it('lists the GLU decoder tensors with HF shapes (hand-worked for the small Llama)', () => {
    const shapes = hfTensorShapes(LLAMA);
    expect(shapes.size).toBe(1 + 2 * 9 + 2);
    expect(shapes.get('model.embed_tokens.weight')).toEqual([16, 8]);
    expect(shapes.get('model.layers.1.self_attn.q_proj.weight')).toEqual([8, 8]);
    expect(shapes.get('model.layers.1.self_attn.k_proj.weight')).toEqual([4, 8]);
    expect(shapes.get('model.layers.1.self_attn.o_proj.weight')).toEqual([8, 8]);
    expect(shapes.get('model.layers.0.mlp.down_proj.weight')).toEqual([8, 12]);
    expect(shapes.get('lm_head.weight')).toEqual([16, 8]);
    const q = hfTensorShapes(QWEN2);
    expect(q.get('model.layers.0.self_attn.k_proj.bias')).toEqual([4]);
    expect(q.has('model.layers.0.self_attn.o_proj.bias') || q.has('lm_head.weight')).toBe(false);
    // Gemma: head_dim 6 from config, so q is [2*6, 8] and o is [8, 12].
    expect(hfTensorShapes(GEMMA).get('model.layers.0.self_attn.o_proj.weight')).toEqual([8, 12]);
  });
});

describe('openHfModel', () => {
  it.each<[string, Build]>([
    ['single file, F32', { dtype: 'F32' }],
    ['two shards, BF16', { dtype: 'BF16', shards: 2 }],
  ])('%s: every tensor reads back as written', async (_label, build) => {
    const { dir, tensors } = await buildDir(build);
    const model = await openHfModel(dir);
    expect(model.format).toBe('hf');
    expect(model.path).toBe(dir);
    expect(model.config).toEqual({ ...LLAMA, torchDtype: build.dtype === 'BF16' ? 'bfloat16' : 'float32' });
    expect(model.tensorNames()).toEqual(tensors.map((t) => t.name));
    expect(model.checkpoint.layout).toBe(build.shards ? 'sharded' : 'single');
    for (const t of tensors) {
      expect(model.shape(t.name)).toEqual(t.shape);
      expect(model.dtype(t.name)).toBe(build.dtype);
      const read = await model.readF32(t.name);
      const expected = build.dtype === 'BF16' ? (await model.checkpoint.readF32(t.name)).data : (t.data as Float32Array);
      expect(read.data).toEqual(expected);
      if (build.dtype === 'BF16') {
        // BF16 keeps 8 bits of mantissa: within 2^-8 relative of what was written.
        const src = t.data as Float32Array;
        read.data.forEach((v, i) => expect(Math.abs(v - src[i])).toBeLessThanOrEqual(Math.abs(src[i]) * 2 ** -8));
      }
    }
    await model.close();
  });

  it('accepts Qwen2 biases and Gemma-style extra tensors', async () => {
    const qwen = await openHfModel((await buildDir({ config: QWEN2 })).dir);
    expect(qwen.has('model.layers.1.self_attn.v_proj.bias')).toBe(true);
    await qwen.close();
    const extra = [{ name: 'model.layers.0.self_attn.rotary_emb.inv_freq', dtype: 'F32' as const, shape: [3], data: new Float32Array(3) }];
    const gemma = await openHfModel((await buildDir({ config: GEMMA, extra })).dir);
    expect(gemma.config.rmsNormAddOne).toBe(true);
    expect(gemma.has('model.layers.0.self_attn.rotary_emb.inv_freq')).toBe(true);
    await gemma.close();
  });

  it('lists the tensors the configured architecture does not read (issue 12), in checkpoint order', async () => {
    const t = (name: string, shape: number[]): SafetensorsTensor => ({
      name,
      dtype: 'F32',
      shape,
      data: values(
        99,
        shape.reduce((a, c) => a * c, 1),
      ),
    });
    // A Llama checkpoint with mlp biases and a q_proj bias while config.json has no mlp_bias / attention_bias.
    const extra = [
      t('model.layers.0.mlp.gate_proj.bias', [12]),
      t('model.layers.0.mlp.up_proj.bias', [12]),
      t('model.layers.0.mlp.down_proj.bias', [8]),
      t('model.layers.1.self_attn.q_proj.bias', [8]),
      t('model.layers.1.self_attn.rotary_emb.inv_freq', [2]), // recomputed from rope_theta: skipped as transformers does
      t('score.weight', [2, 8]),
    ];
    for (const shards of [undefined, 2] as const) {
      const { dir } = await buildDir({ extra, shards });
      const model = await openHfModel(dir);
      expect(model.unusedTensors).toEqual([
        'model.layers.0.mlp.gate_proj.bias',
        'model.layers.0.mlp.up_proj.bias',
        'model.layers.0.mlp.down_proj.bias',
        'model.layers.1.self_attn.q_proj.bias',
        'score.weight',
      ]);
      expect(unusedTensorsWarning(model)).toBe(
        `${dir}: 5 tensors in the checkpoint are not used by LlamaForCausalLM as config.json configures it, so results ignore them ` +
          '(a pruned copy keeps them unchanged): model.layers.0.mlp.gate_proj.bias, model.layers.0.mlp.up_proj.bias, ' +
          'model.layers.0.mlp.down_proj.bias, model.layers.1.self_attn.q_proj.bias, … (1 more)',
      );
      await model.close();
    }
    // tie_word_embeddings: true with an lm_head.weight stored anyway: the head is the embedding, lm_head is unused.
    const tied = await openHfModel((await buildDir({ config: { ...LLAMA, tieWordEmbeddings: true }, extra: [t('lm_head.weight', [16, 8])] })).dir);
    expect(tied.unusedTensors).toEqual(['lm_head.weight']);
    await tied.close();
    // Qwen2 reads its q/k/v biases: none unused. A plain Llama dir: none, and no warning.
    const qwen = await openHfModel((await buildDir({ config: QWEN2 })).dir);
    expect(qwen.unusedTensors).toEqual([]);
    await qwen.close();
    const plain = await openHfModel((await buildDir()).dir);
    expect(plain.unusedTensors).toEqual([]);
    expect(unusedTensorsWarning(plain)).toBeUndefined();
    await plain.close();
  });

  it('names a missing tensor and the file', async () => {
    const { dir } = await buildDir({ drop: 'model.layers.1.mlp.up_proj.weight' });
    await expectError(
      openHfModel(dir),
      'MISSING_TENSOR',
      join(dir, 'model.safetensors'),
      /tensor model\.layers\.1\.mlp\.up_proj\.weight \(expected shape \[12, 8\] from config\.json\) is missing/,
    );
  });

  it('names a missing bias (Qwen2) and a missing lm_head (untied), in a sharded dir', async () => {
    const { dir } = await buildDir({ config: QWEN2, drop: 'model.layers.0.self_attn.q_proj.bias' });
    await expectError(openHfModel(dir), 'MISSING_TENSOR', join(dir, 'model.safetensors'), /tensor model\.layers\.0\.self_attn\.q_proj\.bias/);
    const untied = await buildDir({ drop: 'lm_head.weight', shards: 2 });
    await expectError(openHfModel(untied.dir), 'MISSING_TENSOR', join(untied.dir, 'model.safetensors.index.json'), /tensor lm_head\.weight/);
  });

  it('checks a config claiming 10^9 layers tensor by tensor, without building a table of 10^10 entries first', async () => {
    // Before the check was lazy this ran out of heap; now it stops at the first layer the checkpoint lacks.
    const { dir } = await buildDir({ configJson: { ...hfConfigJson(LLAMA), num_hidden_layers: 1_000_000_000 } });
    const started = performance.now();
    await expectError(
      openHfModel(dir),
      'MISSING_TENSOR',
      join(dir, 'model.safetensors'),
      /tensor model\.layers\.2\.input_layernorm\.weight \(expected shape \[8\] from config\.json\) is missing/,
    );
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('names a tensor whose shape contradicts config.json', async () => {
    const { dir } = await buildDir({ reshape: ['model.layers.0.self_attn.k_proj.weight', [8, 8]] });
    await expectError(
      openHfModel(dir),
      'BAD_SHAPE',
      join(dir, 'model.safetensors'),
      /tensor model\.layers\.0\.self_attn\.k_proj\.weight has shape \[8, 8\], config\.json implies \[4, 8\]/,
    );
  });

  it('refuses integer weights', async () => {
    const { dir } = await buildDir({ retype: 'model.norm.weight' });
    await expectError(openHfModel(dir), 'BAD_DTYPE', join(dir, 'model.safetensors'), /tensor model\.norm\.weight is I32/);
  });

  it('refuses a pickle-only directory with advice', async () => {
    const dir = join(root, 'pickle');
    await mkdir(dir);
    await writeFile(join(dir, 'config.json'), JSON.stringify(hfConfigJson(LLAMA)));
    await writeFile(join(dir, 'pytorch_model.bin'), 'PK\x03\x04 not really');
    await expectError(
      openHfModel(dir),
      'UNSUPPORTED',
      dir,
      /found pytorch_model\.bin but no model\.safetensors: pickle checkpoints are never unpickled; convert with `safetensors` first/,
    );
  });

  it('refuses a missing or invalid config.json, and a missing directory', async () => {
    const { dir } = await buildDir({ configJson: { ...hfConfigJson(LLAMA), num_key_value_heads: 3 } });
    await expectError(openHfModel(dir), 'BAD_CONFIG', join(dir, 'config.json'), /num_key_value_heads 3 must divide num_attention_heads 2/);
    await writeFile(join(dir, 'config.json'), '{');
    await expectError(openHfModel(dir), 'BAD_JSON', join(dir, 'config.json'), /not valid JSON/);
    // transformers' json.loads refuses a BOM ("Unexpected UTF-8 BOM"); bytes that are not UTF-8 are not read as U+FFFD.
    await writeFile(join(dir, 'config.json'), Buffer.concat([Buffer.of(0xef, 0xbb, 0xbf), Buffer.from(JSON.stringify(hfConfigJson(LLAMA)))]));
    await expectError(openHfModel(dir), 'BAD_JSON', join(dir, 'config.json'), /starts with a UTF-8 byte-order mark/);
    await writeFile(join(dir, 'config.json'), Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x31, 0x7d]));
    await expectError(openHfModel(dir), 'BAD_JSON', join(dir, 'config.json'), /is not valid UTF-8/);
    await rm(join(dir, 'config.json'));
    await expectError(openHfModel(dir), 'NOT_FOUND', join(dir, 'config.json'), /config\.json is missing/);
    await expectError(openHfModel(join(root, 'absent')), 'NOT_FOUND', join(root, 'absent'), /not a directory/);
  });

  it('refuses a config.json over 10 MB by its size, before reading it (a sparse 1 GiB file costs nothing)', async () => {
    const { dir } = await buildDir();
    await truncate(join(dir, 'config.json'), 2 ** 30);
    await expectError(openHfModel(dir), 'BAD_CONFIG', join(dir, 'config.json'), /is 1073741824 bytes, over the 10000000-byte cap for a config\.json/);
  });
});
