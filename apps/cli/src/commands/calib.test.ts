// `dass calib` writes the seeded windows once; `prune --calib calib.safetensors` must then give the same checkpoint,
// byte for byte, as `prune` sampling the same text with the same seed.
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCalibArtifact, sampleCalibration, loadTextSource } from '@dass/calibration';
import { loadTokenizer } from '@dass/model-loader';
import { runDassInProcess } from '../hostile/run-in-process.js';
import { bundled, makeTempDir, runCliJson } from '../test-support/run-cli.js';

let work: Awaited<ReturnType<typeof makeTempDir>>;
beforeAll(async () => {
  work = await makeTempDir();
});
afterAll(async () => {
  await work?.remove();
});

const SETTINGS = ['--nsamples', '8', '--seqlen', '128', '--seed', '7'];

describe('dass calib', () => {
  it("writes the sampler's windows with their provenance, and prune with the artifact equals prune with the text", async () => {
    const calib = join(work.path, 'calib.safetensors');
    const written = await runCliJson<{ out: string; nsamples: number; seqlen: number; seed: number; sampler: string; source: string; idsSha256: string }>([
      'calib',
      '--model',
      bundled.model,
      '--tokenizer',
      bundled.tokenizer,
      '--data',
      bundled.calibrationText,
      ...SETTINGS,
      '--out',
      calib,
      '--json',
    ]);
    expect(written).toMatchObject({ nsamples: 8, seqlen: 128, seed: 7, sampler: 'text', source: 'tinystories_train_head.txt' });

    // The artifact holds exactly what the seeded sampler draws from this text (docs/SPEC.md §4).
    const artifact = await readCalibArtifact(calib, { vocabSize: 512 });
    const tokenizer = await loadTokenizer(bundled.tokenizer, { vocabSize: 512 });
    const expected = sampleCalibration({ source: await loadTextSource(bundled.calibrationText), tokenizer, nsamples: 8, seqlen: 128, seed: 7 });
    expect(artifact.inputIds).toEqual(expected.inputIds);
    expect(artifact.metadata).toMatchObject({ seed: 7, nsamples: 8, seqlen: 128, sampler: 'text', tokenizerSha256: tokenizer.sha256 });

    const prune = (calibArg: string, out: string) =>
      runCliJson<{ calibration: { idsSha256: string; kind: string } }>([
        'prune',
        '--model',
        bundled.model,
        '--tokenizer',
        bundled.tokenizer,
        '--method',
        'wanda',
        '--sparsity',
        '2:4',
        '--calib',
        calibArg,
        ...SETTINGS,
        '--out',
        out,
        '--json',
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

  it('WikiText: joins the rows with " " (get_wikitext2\'s train join) and records it in the artifact and the manifest', async () => {
    // A WikiText-shaped file (a blank ' ' line, a heading, paragraphs) made from the bundled text.
    const lines = (await readFile(bundled.calibrationText, 'utf8')).split('\n').slice(0, 400);
    const raw = lines.map((l) => (l.trim() === '' ? ' ' : ` ${l} `)).join('\n') + '\n';
    const wiki = join(work.path, 'wiki.train.raw');
    await writeFile(wiki, raw);
    const calib = join(work.path, 'wiki-calib.safetensors');
    const written = await runCliJson<{ wikitextJoin?: string }>([
      'calib',
      '--tokenizer',
      bundled.tokenizer,
      '--data',
      wiki,
      ...SETTINGS,
      '--out',
      calib,
      '--json',
    ]);
    expect(written.wikitextJoin).toBe(' ');
    // HF rows: each line with its "\n", whitespace-only lines as "" (the dataset script's `row if row.strip() else ""`).
    const rows = raw.split(/(?<=\n)/).map((row) => (row.trim() === '' ? '' : row));
    const tokenizer = await loadTokenizer(bundled.tokenizer, { vocabSize: 512 });
    const expected = sampleCalibration({ source: { kind: 'text', text: rows.join(' ') }, tokenizer, nsamples: 8, seqlen: 128, seed: 7 });
    const artifact = await readCalibArtifact(calib, { vocabSize: 512 });
    expect(artifact.inputIds).toEqual(expected.inputIds);
    expect(artifact.metadata.wikitextJoin).toBe(' ');
    const m = await runCliJson<{ calibration: { wikitextJoin?: string; kind: string } }>([
      'prune',
      '--model',
      bundled.model,
      '--tokenizer',
      bundled.tokenizer,
      '--method',
      'magnitude',
      '--sparsity',
      '2:4',
      '--calib',
      wiki,
      ...SETTINGS,
      '--out',
      join(work.path, 'wiki-pruned.bin'),
      '--json',
    ]);
    expect(m.calibration).toMatchObject({ kind: 'text', wikitextJoin: ' ' });
  });

  it('prune takes a calib.safetensors another tool wrote (I64, no metadata) and says what is unknown', async () => {
    const ids = Array.from({ length: 2 * 64 }, (_, i) => (i * 37) % 512);
    const data = Buffer.alloc(ids.length * 8);
    ids.forEach((v, i) => data.writeBigInt64LE(BigInt(v), i * 8));
    const json = JSON.stringify({ input_ids: { dtype: 'I64', shape: [2, 64], data_offsets: [0, data.length] } });
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    const calib = join(work.path, 'foreign.safetensors');
    await writeFile(calib, Buffer.concat([len, Buffer.from(json), data]));
    const m = await runCliJson<{ calibration: Record<string, unknown> }>([
      'prune',
      '--model',
      bundled.model,
      '--method',
      'wanda',
      '--sparsity',
      '2:4',
      '--calib',
      calib,
      '--out',
      join(work.path, 'foreign-pruned.bin'),
      '--json',
    ]);
    expect(m.calibration).toMatchObject({
      kind: 'artifact',
      nsamples: 2,
      seqlen: 64,
      seed: 'unknown',
      tokenizerSha256: 'unknown',
      artifact: { dtype: 'I64', metadata: 'none', unknown: ['sourceSha256', 'tokenizerSha256', 'seed', 'sampler', 'source'] },
    });
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
      [
        [
          'calib',
          '--model',
          bundled.model,
          '--tokenizer',
          bundled.tokenizer,
          '--data',
          bundled.calibrationText,
          '--seqlen',
          '4096',
          '--out',
          join(dir, 'x.safetensors'),
        ],
        'context',
      ],
      [['calib', '--tokenizer', bundled.tokenizer, '--data', join(dir, 'nope.txt'), '--out', join(dir, 'x.safetensors')], 'nope.txt'],
    ];
    // Refusals: through main in this process (a real process's exit status is the hostile corpus's business).
    for (const [args, fragment] of cases) {
      const r = await runDassInProcess(args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toContain(fragment);
    }
    expect(await readdir(dir)).toEqual(['calib.safetensors']);
    expect(await readFile(out, 'utf8')).toBe('keep me');
  });
});
