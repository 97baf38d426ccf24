// `dass prune` and the method registry, in process: a method registered before main() gets its --method value, its
// option flags, its manifest fields; an unknown method lists the registered ones; --update and --layer-ratios. (The
// built-in methods' flags in `dass prune --help` are checked through the built bin in main.test.ts.)
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunManifest } from '@dass/pipeline';
import { registerScoringMethod, scoringMethodNames, unregisterScoringMethod } from '@dass/scoring';
import { main } from '../main.js';
import { bundled, makeTempDir } from '../test-support/run-cli.js';

async function dass(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t), isTTY: false }, env: {} });
  return { code, stdout, stderr };
}

const BASE = ['prune', '--model', bundled.model, '--tokenizer', bundled.tokenizer, '--calib', bundled.calibrationText, '--nsamples', '4', '--seqlen', '64'];
let work: Awaited<ReturnType<typeof makeTempDir>>;

beforeAll(async () => {
  work = await makeTempDir();
  registerScoringMethod({
    name: 'toy-cli',
    label: 'Toy CLI',
    description: 'magnitude raised to a power (a test method)',
    needs: [],
    options: [
      { name: 'toyPower', type: 'number', default: 1, description: 'exponent on |W|', validate: (v) => ((v as number) > 0 ? undefined : 'a number > 0') },
    ],
    plan: () => ({ group: 'row', nmAxis: 'in', scoreKind: '|W|^p' }),
    score: (w, _s, _k, _st, o) => Float32Array.from(w, (v) => Math.abs(v) ** (o!.toyPower as number)),
  });
});

afterAll(async () => {
  unregisterScoringMethod('toy-cli');
  await work?.remove();
});

describe('dass prune with the plug-in registry', () => {
  it('a registered toy method runs with its own flag and lands in the manifest', async () => {
    const out = join(work.path, 'toy.bin');
    const r = await dass([...BASE, '--method', 'toy-cli', '--toy-power', '2', '--sparsity', '2:4', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const manifest = JSON.parse(r.stdout) as RunManifest;
    expect(manifest).toMatchObject({ method: 'toy-cli', label: 'Toy CLI', options: { toyPower: 2 }, pattern: '2:4' });
    expect(manifest.sparsity.overTargets.ratio).toBe(0.5);
    const bad = await dass([...BASE, '--method', 'toy-cli', '--toy-power', '0', '--sparsity', '2:4', '--out', join(work.path, 'bad.bin')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('dass: error: --toy-power: expected a number > 0, got 0');
  });

  it('--method <unknown> exits 2 with one line listing every registered method', async () => {
    const r = await dass([...BASE, '--method', 'dasss', '--sparsity', '0.5', '--out', join(work.path, 'x.bin')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`--method: unknown pruning method "dasss"; registered: ${scoringMethodNames().join(', ')}`);
    expect(r.stderr).toContain('toy-cli');
  });

  it('--update obs and --layer-ratios owl reach the pipeline; options of another method are refused', async () => {
    const obs = await dass([
      ...BASE,
      '--method',
      'wanda',
      '--update',
      'obs',
      '--blocksize',
      '32',
      '--sparsity',
      '0.5',
      '--out',
      join(work.path, 'obs.bin'),
      '--json',
    ]);
    expect(obs.code, obs.stderr).toBe(0);
    expect(JSON.parse(obs.stdout)).toMatchObject({ label: 'Wanda + OBS', update: 'obs', options: { percdamp: 0.01, blocksize: 32 } });
    const owl = await dass([...BASE, '--method', 'ria', '--layer-ratios', 'owl', '--sparsity', '0.6', '--out', join(work.path, 'owl.bin'), '--json']);
    expect(owl.code, owl.stderr).toBe(0);
    expect((JSON.parse(owl.stdout) as RunManifest).layerRatios!.ratios).toHaveLength(5);
    const nm = await dass([...BASE, '--method', 'wanda', '--layer-ratios', 'owl', '--sparsity', '2:4', '--out', join(work.path, 'nm.bin')]);
    expect(nm.code).toBe(2);
    expect(nm.stderr).toContain('--layer-ratios owl: OWL gives each layer its own unstructured ratio');
    const foreign = await dass([...BASE, '--method', 'wanda', '--toy-power', '2', '--sparsity', '0.5', '--out', join(work.path, 'f.bin')]);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain('--toy-power: wanda takes no options');
  });
});
