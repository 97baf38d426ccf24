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
    expect((err as ModelLoadError).code).toBe('BAD_TOKENIZER');
    expect((err as ModelLoadError).file).toBe('/models/other/tokenizer.json');
    expect((err as ModelLoadError).message).toMatch(/^\/models\/other\/tokenizer\.json: token \d+ has id 51[23] but the model's vocab has 512 entries .*the tokenizer does not match the model$/);
  });
});
