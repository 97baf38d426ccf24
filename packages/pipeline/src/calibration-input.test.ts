import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelLoadError } from '@dass/model-loader';
import type { Tokenizer } from '@dass/model-loader';
import { loadCalibration } from './calibration-input.js';

/** One token per character cycling through ids 510, 511, 512, 513: every window of 4 or more holds an id >= 512. */
const charTokenizer: Tokenizer = {
  kind: 'hf-json',
  vocabSize: 520,
  bosId: -1,
  eosId: -1,
  encode: (text) => Array.from(text, (_, i) => 510 + (i % 4)),
  decode: () => '',
  sha256: '0'.repeat(64),
};

describe('loadCalibration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dass-calib-input-'));
  const text = join(dir, 'calib.txt');
  writeFileSync(text, 'abcdefghijklmnopqrstuvwxyz'.repeat(4));
  const request = { calib: text, tokenizer: charTokenizer, nsamples: 2, seqlen: 8, seed: 0 };

  it('samples ids that fit the vocabulary', async () => {
    const batch = await loadCalibration({ ...request, vocabSize: 520 });
    expect(batch.inputIds).toHaveLength(16);
    expect(batch.inputIds.every((id) => id >= 510 && id <= 513)).toBe(true);
  });

  it("refuses a tokenizer whose ids reach past the model's vocabulary, naming the tokenizer file (a user error)", async () => {
    const err = await loadCalibration({ ...request, vocabSize: 512, tokenizerPath: '/models/other/tokenizer.json' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as ModelLoadError).reason).toBe('BAD_TOKENIZER');
    expect((err as ModelLoadError).file).toBe('/models/other/tokenizer.json');
    expect((err as ModelLoadError).message).toMatch(
      /^\/models\/other\/tokenizer\.json: token \d+ has id 51[23] but the model's vocab has 512 entries .*the tokenizer does not match the model$/,
    );
  });

  /** A calib.safetensors as another (Python) tool writes it: header length, JSON header, little-endian data. */
  const foreign = (name: string, dtype: 'I32' | 'I64', shape: number[], values: number[], metadata?: Record<string, string>) => {
    const size = dtype === 'I64' ? 8 : 4;
    const data = Buffer.alloc(values.length * size);
    values.forEach((v, i) => (dtype === 'I64' ? data.writeBigInt64LE(BigInt(v), i * 8) : data.writeInt32LE(v, i * 4)));
    const json = JSON.stringify({ ...(metadata ? { __metadata__: metadata } : {}), input_ids: { dtype, shape, data_offsets: [0, data.length] } });
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
    const path = join(dir, name);
    writeFileSync(path, Buffer.concat([len, Buffer.from(json), data]));
    return path;
  };

  it('takes an I64 artifact with snake_case metadata and records what it said, the rest "unknown"', async () => {
    const calib = foreign('py.safetensors', 'I64', [2, 3], [1, 5, 7, 1, 9, 11], { tokenizer_sha256: 'b'.repeat(64), seed: '42' });
    const batch = await loadCalibration({ calib, nsamples: 128, seqlen: 2048, seed: 0, vocabSize: 32 });
    expect(Array.from(batch.inputIds)).toEqual([1, 5, 7, 1, 9, 11]);
    expect(batch.info).toMatchObject({
      kind: 'artifact',
      nsamples: 2,
      seqlen: 3,
      seed: 42,
      tokenizerSha256: 'b'.repeat(64),
      sampler: 'artifact of an unknown source (unknown sampler)',
      artifact: { dtype: 'I64', metadata: 'foreign', textSha256: 'unknown', textSource: 'unknown', unknown: ['sourceSha256', 'sampler', 'source'] },
    });
  });

  it('takes an artifact without metadata: seed, tokenizer and text unknown', async () => {
    const calib = foreign('bare.safetensors', 'I32', [1, 4], [1, 2, 3, 4]);
    const batch = await loadCalibration({ calib, nsamples: 128, seqlen: 2048, seed: 0, vocabSize: 32 });
    expect(batch.info).toMatchObject({
      seed: 'unknown',
      tokenizerSha256: 'unknown',
      artifact: { metadata: 'none', unknown: ['sourceSha256', 'tokenizerSha256', 'seed', 'sampler', 'source'] },
    });
    // Ids are still checked against the model's vocabulary.
    await expect(loadCalibration({ calib, nsamples: 1, seqlen: 4, seed: 0, vocabSize: 4 })).rejects.toThrow(/input_ids\[0\]\[3\] = 4, expected in \[0, 4\)/);
  });

  it('records the " " join for WikiText (the reference get_wikitext2 train join)', async () => {
    const wiki = join(dir, 'wiki.train.raw');
    writeFileSync(wiki, ' \n = Title = \n' + 'some words here\n'.repeat(4));
    const batch = await loadCalibration({ ...request, calib: wiki, vocabSize: 520 });
    expect(batch.info.wikitextJoin).toBe(' ');
    const plain = await loadCalibration({ ...request, vocabSize: 520 });
    expect(plain.info.wikitextJoin).toBeUndefined();
  });
});
