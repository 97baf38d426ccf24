// The per-process calibration token cache (calibrationFromText's cacheEncoding): a grid's prune cells share one
// calibration text, so each cell after the first reuses its ids instead of tokenizing it again.
import { beforeEach, describe, expect, it } from 'vitest';
import type { TextSource } from '@dass/calibration';
import type { Tokenizer } from '@dass/model-loader';
import { ENCODE_CACHE_ENTRIES, calibrationEncodeCacheStats, calibrationFromText, clearCalibrationEncodeCache } from './calibration-batch.js';

/** A fresh object per call, as each cell loads its tokenizer anew; counts its encode calls. */
function counting(over: Partial<Tokenizer> = {}): Tokenizer & { calls: number } {
  const t = {
    kind: 'llama2c' as const,
    vocabSize: 300,
    bosId: 1,
    eosId: 2,
    sha256: 'a'.repeat(64),
    calls: 0,
    encode(text: string, options?: { bos?: boolean }) {
      t.calls++;
      return [...(options?.bos ? [1] : []), ...Array.from(new TextEncoder().encode(text), (b) => 3 + (b % 290))];
    },
    decode: () => '',
    ...over,
  };
  return t;
}

const text = (body: string, path = '/data/calib.txt'): TextSource => ({ kind: 'text', text: body, path, sha256: 'f'.repeat(64), format: 'text' });
const body = 'Once upon a time there was a little dog who liked to run in the park. '.repeat(20);
const request = (source: TextSource, tokenizer: Tokenizer, cacheEncoding = true, seed = 0) =>
  calibrationFromText({ source, tokenizer, nsamples: 4, seqlen: 16, seed, vocabSize: 300, cacheEncoding });

describe('calibrationFromText cacheEncoding', () => {
  beforeEach(() => clearCalibrationEncodeCache());

  it('tokenizes a text once per tokenizer; later calls (other seeds too) give the ids a fresh tokenization gives', () => {
    const first = counting();
    const a = request(text(body), first);
    expect(first.calls).toBe(1);
    const second = counting();
    const b = request(text(body), second);
    expect(second.calls).toBe(0);
    expect(b).toEqual(a);
    const third = counting();
    const c = request(text(body), third, true, 7);
    expect(third.calls).toBe(0);
    expect(c.inputIds).toEqual(request(text(body), counting(), false, 7).inputIds);
    expect(c.inputIds).not.toEqual(a.inputIds);
    expect(calibrationEncodeCacheStats()).toEqual({ hits: 2, misses: 1, entries: 1 });
  });

  it('misses for another text, another tokenizer file, other special ids, and without the option', () => {
    request(text(body), counting());
    const cases: [TextSource, Tokenizer & { calls: number }, boolean][] = [
      [text(body + ' The end.'), counting(), true],
      [text(body), counting({ sha256: 'b'.repeat(64) }), true],
      [text(body), counting({ bosId: 5 }), true],
      [text(body), counting({ vocabSize: 299 }), true],
      [text(body), counting(), false],
    ];
    for (const [source, tokenizer, cache] of cases) {
      request(source, tokenizer, cache);
      expect(tokenizer.calls).toBe(1);
    }
    expect(calibrationEncodeCacheStats().hits).toBe(0);
  });

  it(`keeps the ${ENCODE_CACHE_ENTRIES} most recently used texts`, () => {
    const texts = Array.from({ length: ENCODE_CACHE_ENTRIES + 1 }, (_, i) => `${i} ${body}`);
    for (const t of texts) request(text(t), counting());
    expect(calibrationEncodeCacheStats().entries).toBe(ENCODE_CACHE_ENTRIES);
    const newest = counting();
    request(text(texts.at(-1)!), newest);
    expect(newest.calls).toBe(0);
    const oldest = counting();
    request(text(texts[0]!), oldest);
    expect(oldest.calls).toBe(1);
  });

  it('does not cache document sources (only the drawn documents are tokenized)', () => {
    const docs: TextSource = { kind: 'documents', docs: [body, body], path: '/data/c4.jsonl', sha256: 'f'.repeat(64), format: 'jsonl' };
    for (let i = 0; i < 2; i++) {
      const t = counting();
      request(docs, t);
      expect(t.calls).toBeGreaterThan(0);
    }
    expect(calibrationEncodeCacheStats()).toEqual({ hits: 0, misses: 0, entries: 0 });
  });
});
