// Issue 12 case 2: an HF checkpoint holding tensors its config.json does not use (mlp.*_proj.bias, q_proj.bias with
// no mlp_bias / attention_bias). Every command that opens the model says so in one stderr line, lists them in its
// JSON, computes what it computes without them (as transformers does), and a pruned copy keeps them byte for byte.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSafetensors, writeSafetensors } from '@dass/model-loader';
import { bundled, makeTempDir, runCli } from '../test-support/run-cli.js';

let work: Awaited<ReturnType<typeof makeTempDir>>;
let plain: string;
let biased: string;
const EXTRA = [
  ['model.layers.0.mlp.gate_proj.bias', 172],
  ['model.layers.0.mlp.up_proj.bias', 172],
  ['model.layers.0.mlp.down_proj.bias', 64],
  ['model.layers.2.self_attn.q_proj.bias', 64],
] as const;

beforeAll(async () => {
  work = await makeTempDir();
  plain = join(work.path, 'plain-hf');
  biased = join(work.path, 'biased-hf');
  for (const out of [plain, biased]) {
    const r = await runCli(['convert', '--model', bundled.model, '--tokenizer', bundled.tokenizer, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
  }
  const file = await openSafetensors(join(plain, 'model.safetensors'));
  const tensors = [];
  for (const name of file.names()) tensors.push({ name, dtype: file.info(name).dtype, shape: file.info(name).shape, data: await file.readRaw(name) });
  await file.close();
  for (const [name, n] of EXTRA)
    tensors.push({ name, dtype: 'F32' as const, shape: [n], data: new Uint8Array(Float32Array.from({ length: n }, (_, i) => 1 - i / n).buffer) });
  await writeSafetensors(join(biased, 'model.safetensors'), tensors);
});
afterAll(async () => {
  await work?.remove();
});

const warningLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('dass: warning: '));

function expectOneWarning(stderr: string): void {
  const lines = warningLines(stderr);
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toContain(`${biased}: 4 tensors in the checkpoint are not used by LlamaForCausalLM as config.json configures it`);
  expect(lines[0]).toContain('model.layers.0.mlp.gate_proj.bias');
}

describe('tensors the configured architecture does not read', () => {
  it('eval ppl: warns once, lists them in --json, and gives the bias-free perplexity', async () => {
    const args = (model: string) => ['eval', 'ppl', '--model', model, '--data', bundled.evaluationText, '--seqlen', '128', '--max-windows', '2', '--json'];
    const [a, b] = await Promise.all([runCli(args(plain)), runCli(args(biased))]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(warningLines(a.stderr)).toEqual([]);
    expectOneWarning(b.stderr);
    const [ra, rb] = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
    expect(ra.unusedTensors).toEqual([]);
    expect(rb.unusedTensors).toEqual(EXTRA.map(([name]) => name));
    expect(rb.ppl).toBe(ra.ppl);
  });

  it('eval zeroshot and inspect: warn once and list them in --json', async () => {
    const z = await runCli(['eval', 'zeroshot', '--model', biased, '--tasks', 'piqa', '--limit', '2', '--json']);
    expect(z.code, z.stderr).toBe(0);
    expectOneWarning(z.stderr);
    expect(JSON.parse(z.stdout).unusedTensors).toEqual(EXTRA.map(([name]) => name));
    const i = await runCli(['inspect', '--model', biased, '--json']);
    expect(i.code, i.stderr).toBe(0);
    expectOneWarning(i.stderr);
    expect(JSON.parse(i.stdout).unusedTensors).toEqual(EXTRA.map(([name]) => name));
  });

  it('prune: warns once, lists them in the manifest, and copies them to the output unchanged', async () => {
    const out = join(work.path, 'pruned');
    const report = join(work.path, 'run.json');
    const r = await runCli([
      'prune',
      '--model',
      biased,
      '--method',
      'wanda',
      '--sparsity',
      '2:4',
      '--calib',
      bundled.calibrationText,
      '--nsamples',
      '4',
      '--seqlen',
      '64',
      '--out',
      out,
      '--report',
      report,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expectOneWarning(r.stderr);
    const manifest = JSON.parse(await readFile(report, 'utf8'));
    expect(manifest.model.unusedTensors).toEqual(EXTRA.map(([name]) => name));
    expect(manifest.warnings).toHaveLength(1);
    const input = await openSafetensors(join(biased, 'model.safetensors'));
    const output = await openSafetensors(join(out, 'model.safetensors'));
    for (const [name] of EXTRA) expect(Buffer.from(await output.readRaw(name)).equals(Buffer.from(await input.readRaw(name)))).toBe(true);
    await input.close();
    await output.close();
  });
});
