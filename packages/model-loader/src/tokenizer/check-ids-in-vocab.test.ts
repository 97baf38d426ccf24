import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixtures } from '../test/index.js';
import { ModelLoadError } from '../errors.js';
import { checkIdsInVocab } from './check-ids-in-vocab.js';
import { SentencePieceTokenizer } from './sentencepiece-tokenizer.js';

describe('checkIdsInVocab', () => {
  it('passes ids below the vocab size, including typed arrays', () => {
    expect(() => checkIdsInVocab([0, 1, 511], 512, 'tok512.bin')).not.toThrow();
    expect(() => checkIdsInVocab(Int32Array.of(5, 6), 512, 'tok512.bin')).not.toThrow();
    expect(() => checkIdsInVocab([], 512, 'tok512.bin')).not.toThrow();
  });

  it('catches a 32000-piece tokenizer used with a 512-token model', () => {
    const llama = SentencePieceTokenizer.fromBytes(readFileSync(fixtures.llama2Tokenizer.model));
    const ids = llama.encode('Once upon a time'); // [1, 9038, 2501, 263, 931]
    let error: unknown;
    try {
      checkIdsInVocab(ids, 512, 'llama2/tokenizer.model');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as ModelLoadError).reason).toBe('BAD_TOKENIZER');
    expect((error as ModelLoadError).message).toBe(
      `llama2/tokenizer.model: token 1 has id ${ids[1]} but the model's vocab has 512 entries (ids 0..511): ` + 'the tokenizer does not match the model',
    );
  });

  it('rejects non-ids and bad arguments', () => {
    expect(() => checkIdsInVocab([3, -1], 512, 't')).toThrow(/t: token 1 has id -1, not a valid token id/);
    expect(() => checkIdsInVocab([1.5], 512, 't')).toThrow(/token 0 has id 1\.5/);
    expect(() => checkIdsInVocab([1], 0, 't')).toThrow(/vocabSize: expected a positive integer, got 0/);
    expect(() => checkIdsInVocab([1], 512, '')).toThrow(/source: expected a non-empty string/);
  });
});
