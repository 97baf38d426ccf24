// `dass inspect` on a hand-made one-layer BF16 checkpoint whose zeros are placed by rule, so every number in the
// expected rows below is worked out by hand from that rule.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSafetensors } from '@dass/model-loader';
import { makeTempDir, runCli, runCliJson } from '../test-support/run-cli.js';

let work: Awaited<ReturnType<typeof makeTempDir>>;
let modelDir: string;

// d = 8, intermediate = 8, 2 heads of 4: every decoder linear is 8×8.
const CONFIG = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: 8,
  intermediate_size: 8,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  num_key_value_heads: 2,
  vocab_size: 16,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  max_position_embeddings: 32,
  tie_word_embeddings: true,
  hidden_act: 'silu',
  torch_dtype: 'bfloat16',
};

function matrix(rows: number, cols: number, isZero: (r: number, c: number) => boolean): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = isZero(r, c) ? 0 : 1 + r + c;
  return out;
}

beforeAll(async () => {
  work = await makeTempDir();
  modelDir = join(work.path, 'tiny-hf');
  await mkdir(modelDir);
  await writeFile(join(modelDir, 'config.json'), JSON.stringify(CONFIG));
  const ones = (n: number) => new Float32Array(n).fill(1);
  const t = (name: string, shape: number[], data: Float32Array) => ({ name, dtype: 'BF16' as const, shape, data });
  const p = 'model.layers.0';
  await writeSafetensors(
    join(modelDir, 'model.safetensors'),
    [
      t('model.embed_tokens.weight', [16, 8], ones(128)),
      t(`${p}.input_layernorm.weight`, [8], ones(8)),
      // q: three zeros in row 0 (columns 0, 1, 2).
      t(
        `${p}.self_attn.q_proj.weight`,
        [8, 8],
        matrix(8, 8, (r, c) => r === 0 && c < 3),
      ),
      t(
        `${p}.self_attn.k_proj.weight`,
        [8, 8],
        matrix(8, 8, () => false),
      ),
      t(
        `${p}.self_attn.v_proj.weight`,
        [8, 8],
        matrix(8, 8, () => false),
      ),
      t(
        `${p}.self_attn.o_proj.weight`,
        [8, 8],
        matrix(8, 8, () => false),
      ),
      t(`${p}.post_attention_layernorm.weight`, [8], ones(8)),
      // gate: columns 0, 1, 4, 5 zero in every row → 2 of every 4 (and 4 of 8) along `in`; columns 2, 3 have no
      // zeros, so along `out` the groups of column 2 fail.
      t(
        `${p}.mlp.gate_proj.weight`,
        [8, 8],
        matrix(8, 8, (_r, c) => c % 4 < 2),
      ),
      // up: rows 2, 3, 6, 7 zero → 2 of every 4 rows of each column (and 4 of 8) along `out`; row 0 has no zeros.
      t(
        `${p}.mlp.up_proj.weight`,
        [8, 8],
        matrix(8, 8, (r) => r % 4 >= 2),
      ),
      // down: a single zero.
      t(
        `${p}.mlp.down_proj.weight`,
        [8, 8],
        matrix(8, 8, (r, c) => r === 0 && c === 0),
      ),
      t('model.norm.weight', [8], ones(8)),
    ],
    { format: 'pt' },
  );
});
afterAll(async () => {
  await work?.remove();
});

const row = (linear: string, zeros: number, target: boolean, nm: Record<string, { in: boolean; out: boolean }>) => ({
  name: `model.layers.0.${['q_proj', 'k_proj', 'v_proj', 'o_proj'].includes(linear) ? 'self_attn' : 'mlp'}.${linear}.weight`,
  layer: 0,
  linear,
  shape: [8, 8],
  dtype: 'BF16',
  target,
  zeros,
  total: 64,
  sparsity: zeros / 64,
  nm,
});
const none = { '2:4': { in: false, out: false }, '4:8': { in: false, out: false } };

describe('dass inspect', () => {
  it('reports zeros, dtype, shape and N:M validity along both axes for every decoder linear, in layer order', async () => {
    const r = await runCliJson<{ rows: unknown[]; totals: unknown; format: string; targets: string; patterns: string[] }>([
      'inspect',
      '--model',
      modelDir,
      '--json',
    ]);
    expect(r.format).toBe('hf');
    expect(r.targets).toBe('mlp');
    expect(r.patterns).toEqual(['2:4', '4:8']);
    expect(r.rows).toEqual([
      row('q_proj', 3, false, none),
      row('k_proj', 0, false, none),
      row('v_proj', 0, false, none),
      row('o_proj', 0, false, none),
      row('gate_proj', 32, true, { '2:4': { in: true, out: false }, '4:8': { in: true, out: false } }),
      row('up_proj', 32, true, { '2:4': { in: false, out: true }, '4:8': { in: false, out: true } }),
      row('down_proj', 1, true, none),
    ]);
    // Targets (mlp): 32 + 32 + 1 of 3·64; all seven linears: 65 + 3 of 7·64.
    expect(r.totals).toEqual({
      overTargets: { zeros: 65, total: 192, ratio: 65 / 192 },
      overDecoderLinears: { zeros: 68, total: 448, ratio: 68 / 448 },
    });
  });

  it('counts attention in the targets with --targets all, checks the patterns asked for, and prints a table without --json', async () => {
    const r = await runCliJson<{ rows: { target: boolean; nm: Record<string, unknown> }[]; totals: { overTargets: unknown } }>([
      'inspect',
      '--model',
      modelDir,
      '--targets',
      'all',
      '--nm',
      '1:4',
      '--json',
    ]);
    expect(r.rows.every((x) => x.target)).toBe(true);
    expect(r.totals.overTargets).toEqual({ zeros: 68, total: 448, ratio: 68 / 448 });
    // 1:4 along `in`: q has a zero-free group in row 0 (columns 4–7), so only gate passes.
    expect(r.rows.map((x) => x.nm['1:4'])).toEqual([
      { in: false, out: false },
      { in: false, out: false },
      { in: false, out: false },
      { in: false, out: false },
      { in: true, out: false },
      { in: false, out: true },
      { in: false, out: false },
    ]);
    const text = await runCli(['inspect', '--model', modelDir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/model\.layers\.0\.mlp\.gate_proj\.weight\s+8×8\s+BF16\s+32\s+50\.00%\s+in\s+in/);
    expect(text.stdout).toContain('targets (mlp): 33.85% (65/192)');
  });

  it('refuses a non-N:M --nm and a directory without config.json with one line, exit 2', async () => {
    const bad = await runCli(['inspect', '--model', modelDir, '--nm', '0.5']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('dass: error: --nm: expected N:M patterns such as 2:4, got "0.5"');
    const empty = join(work.path, 'empty');
    await mkdir(empty);
    const r = await runCli(['inspect', '--model', empty]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('config.json');
  });
});
