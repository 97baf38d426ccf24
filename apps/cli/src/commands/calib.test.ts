// `dass calib` writes the seeded windows once; `prune --calib calib.safetensors` must then give the same checkpoint,
// byte for byte, as `prune` sampling the same text with the same seed.
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCalibArtifact, sampleCalibration, loadTextSource } from '@dass/calibration';
import { loadTokenizer } from '@dass/model-loader';
import { bundled, makeTempDir, runCli, runCliJson } from '../test-support/run-cli.js';

let work: Awaited<ReturnType<typeof makeTempDir>>;
beforeAll(async () => {
  work = await makeTempDir();
});
afterAll(async () => {
  await work?.remove();
});

const SETTINGS = ['--nsamples', '8', '--seqlen', '128', '--seed', '7'];

describe('dass calib', () => {
  it('writes the sampler\'s windows with their provenance, and prune with the artifact equals prune with the text', async () => {
    const calib = join(work.path, 'calib.safetensors');
    const written = await runCliJson<{ out: string; nsamples: number; seqlen: number; seed: number; sampler: string; source: string; idsSha256: string }>([
      'calib', '--model', bundled.model, '--tokenizer', bundled.tokenizer, '--data', bundled.calibrationText, ...SETTINGS, '--out', calib, '--json',
    ]);
    expect(written).toMatchObject({ nsamples: 8, seqlen: 128, seed: 7, sampler: 'text', source: 'tinystories_train_head.txt' });

    // The artifact holds exactly what the seeded sampler draws from this text (SPEC §4).
    const artifact = await readCalibArtifact(calib, { vocabSize: 512 });
    const tokenizer = await loadTokenizer(bundled.tokenizer, { vocabSize: 512 });
    const expected = sampleCalibration({ source: await loadTextSource(bundled.calibrationText), tokenizer, nsamples: 8, seqlen: 128, seed: 7 });
    expect(artifact.inputIds).toEqual(expected.inputIds);
    expect(artifact.metadata).toMatchObject({ seed: 7, nsamples: 8, seqlen: 128, sampler: 'text', tokenizerSha256: tokenizer.sha256 });

    const prune = (calibArg: string, out: string) =>
      runCliJson<{ calibration: { idsSha256: string; kind: string } }>([
        'prune', '--model', bundled.model, '--tokenizer', bundled.tokenizer, '--method', 'wanda', '--sparsity', '2:4',
        '--calib', calibArg, ...SETTINGS, '--out', out, '--json',
      ]);
    const fromText = join(work.path, 'from-text.bin');
    const fromArtifact = join(work.path, 'from-artifact.bin');
    const [a, b] = await Promise.all([prune(bundled.calibrationText, fromText), prune(calib, fromArtifact)]);
    expect(a.calibration.kind).toBe('text');
    expect(b.calibration.kind).toBe('artifact');
    expect(a.calibration.idsSha256).toBe(b.calibration.idsSha256);
    expect(a.calibration.idsSha256).toBe(written.idsSha256);
    const bytesA = await readFile(fromText);
    expect(bytesA.equals(await readFile(fromArtifact))).toBe(true);
    expect(bytesA.equals(await readFile(bundled.model))).toBe(false);
  });

  it('refuses an existing --out without --force, and bad input with one line, leaving the folder as it was', async () => {
    const dir = join(work.path, 'refusals');
    await mkdir(dir);
    const out = join(dir, 'calib.safetensors');
    await writeFile(out, 'keep me');
    const base = ['calib', '--tokenizer', bundled.tokenizer, '--data', bundled.calibrationText, ...SETTINGS];
    const cases: [string[], string][] = [
      [[...base, '--out', out], 'already exists'],
      [['calib', '--data', bundled.calibrationText, ...SETTINGS, '--out', join(dir, 'x.safetensors')], '--model or --tokenizer'],
      [['calib', '--model', bundled.model, '--data', bundled.calibrationText, ...SETTINGS, '--out', join(dir, 'x.safetensors')], '--tokenizer'],
      [['calib', '--model', bundled.model, '--tokenizer', bundled.tokenizer, '--data', bundled.calibrationText, '--seqlen', '4096', '--out', join(dir, 'x.safetensors')], 'context'],
      [['calib', '--tokenizer', bundled.tokenizer, '--data', join(dir, 'nope.txt'), '--out', join(dir, 'x.safetensors')], 'nope.txt'],
    ];
    for (const [args, fragment] of cases) {
      const r = await runCli(args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toContain(fragment);
    }
    expect(await readdir(dir)).toEqual(['calib.safetensors']);
    expect(await readFile(out, 'utf8')).toBe('keep me');
  });
});
