import { describe, expect, it } from 'vitest';
import { FakeLanguageModel } from './test-support/fake-language-model.js';
import { charTokenizer } from './test-support/fake-tokenizers.js';
import { evaluatePerplexity, perplexityOfText } from './perplexity.js';

// Bigram model over 3 ids: the next id repeats the previous one with probability 1/2, each other id 1/4.
const bigram = () =>
  new FakeLanguageModel(3, 16, (prefix) => {
    const prev = prefix[prefix.length - 1];
    return [0, 1, 2].map((v) => Math.log(v === prev ? 0.5 : 0.25));
  });

// Depends only on how much context there is: after a prefix of length L, P(0) = L/(L+1), P(1) = 1/(L+1).
// So predicting a 0 costs ln((L+1)/L), and a run of such targets telescopes: Σ_{L=a..b} = ln((b+1)/a).
const contextLength = () => new FakeLanguageModel(2, 16, (prefix) => [Math.log(prefix.length / (prefix.length + 1)), -Math.log(prefix.length + 1)]);

// A model whose every prediction depends on the whole prefix (for batched-vs-unbatched agreement).
const hashModel = () =>
  new FakeLanguageModel(5, 64, (prefix) => {
    let h = 7;
    for (const id of prefix) h = (h * 31 + id + 1) % 1009;
    const w = [1, 2, 3, 4, 5].map((k) => 1 + ((h * k) % 7));
    const total = w.reduce((a, b) => a + b, 0);
    return w.map((x) => Math.log(x / total));
  });

describe('evaluatePerplexity (non-overlapping windows, the papers protocol)', () => {
  it('averages the per-window mean NLLs of floor(n/seqlen) windows (hand-worked bigram case)', async () => {
    // n = 7, seqlen 3 → windows [0,1,2] and [1,0,0]; the tail [2] is dropped.
    // Window 1 targets: 1|0 (1/4), 2|1 (1/4) → mean ln 4 = 2 ln 2.
    // Window 2 targets: 0|1 (1/4), 0|0 (1/2) → mean (ln 4 + ln 2)/2 = 1.5 ln 2.
    // mean of means = 1.75 ln 2 → ppl = 2^1.75.
    const r = await evaluatePerplexity(bigram(), [0, 1, 2, 1, 0, 0, 2], { seqlen: 3 });
    expect(r.windows).toBe(2);
    expect(r.tokens).toBe(6);
    expect(r.targets).toBe(4);
    expect(r.meanNll).toBeCloseTo(1.75 * Math.LN2, 6);
    expect(r.ppl).toBeCloseTo(2 ** 1.75, 5);
    expect(r.seqlen).toBe(3);
  });

  it('weights windows equally even when a window holds surprising tokens (mean of means, not of tokens)', async () => {
    // Context-length model, seqlen 4: window [0,0,0,0] costs ln 4 (telescoped) → mean ln(4)/3;
    // window [0,1,0,0]: 1 after L=1 costs ln 2, 0 after L=2 ln(3/2), 0 after L=3 ln(4/3) → mean ln(4)/3 as well;
    // window [1,1,1,1]: ln 2 + ln 3 + ln 4 = ln 24 → mean ln(24)/3.
    const r = await evaluatePerplexity(contextLength(), [0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1], { seqlen: 4 });
    const expected = (Math.log(4) / 3 + Math.log(4) / 3 + Math.log(24) / 3) / 3;
    expect(r.windows).toBe(3);
    expect(r.meanNll).toBeCloseTo(expected, 6);
  });

  it('maxWindows keeps the first windows only', async () => {
    const r = await evaluatePerplexity(bigram(), [0, 1, 2, 1, 0, 0, 2], { seqlen: 3, maxWindows: 1 });
    expect(r.windows).toBe(1);
    expect(r.meanNll).toBeCloseTo(2 * Math.LN2, 6);
  });

  it('gives identical results for every batch size, and batches as asked', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => (i * 7 + (i >> 3)) % 5);
    const one = await evaluatePerplexity(hashModel(), ids, { seqlen: 12 });
    for (const batchSize of [2, 3, 8, 20]) {
      const model = hashModel();
      const r = await evaluatePerplexity(model, Int32Array.from(ids), { seqlen: 12, batchSize });
      expect(r.meanNll).toBe(one.meanNll);
      expect(model.calls.map((c) => c.batch)).toEqual(Array.from({ length: Math.ceil(8 / batchSize) }, (_, k) => Math.min(batchSize, 8 - k * batchSize)));
    }
    expect(one.windows).toBe(8);
  });

  it('reports progress per batch', async () => {
    const seen: string[] = [];
    await evaluatePerplexity(bigram(), [0, 1, 2, 1, 0, 0, 2, 1, 1], { seqlen: 3, batchSize: 2, onProgress: (p) => seen.push(`${p.done}/${p.total}`) });
    expect(seen).toEqual(['0/3', '2/3', '3/3']);
  });

  it('rejects too few tokens, naming how many were found and needed', async () => {
    await expect(evaluatePerplexity(bigram(), [0, 1, 2], { seqlen: 4 })).rejects.toThrow('ids: found 3 tokens, perplexity at seqlen 4 needs at least 4');
  });

  it('validates its arguments', async () => {
    await expect(evaluatePerplexity(bigram(), [0, 1, 2, 0], { seqlen: 1 })).rejects.toThrow('seqlen: expected an integer >= 2, got 1');
    await expect(evaluatePerplexity(bigram(), new Array(40).fill(0), { seqlen: 17 })).rejects.toThrow('seqlen: the model takes at most 16 positions, got 17');
    await expect(evaluatePerplexity(bigram(), [0, 1, 3, 0], { seqlen: 2 })).rejects.toThrow('ids[2]: expected a token id in [0, 3), got 3');
    await expect(evaluatePerplexity(bigram(), [0, 1, 2, 0], { seqlen: 2, batchSize: 0 })).rejects.toThrow('batchSize: expected an integer >= 1, got 0');
    await expect(evaluatePerplexity(bigram(), [0, 1, 2, 0], { seqlen: 2, stride: 2 })).rejects.toThrow(
      /stride: expected an integer in \[1, seqlen-1\] = \[1, 1\], got 2/,
    );
    await expect(evaluatePerplexity({} as never, [0, 1], { seqlen: 2 })).rejects.toThrow('model: expected a LanguageModel with tokenNll()');
  });
});

describe('evaluatePerplexity with stride (sliding windows)', () => {
  it('counts every token after the first exactly once with overlapping context (hand-worked)', async () => {
    // n = 7 zeros, seqlen 4, stride 2 (context-length model: a 0 after L tokens costs ln((L+1)/L)).
    // Window [0,4): all 3 targets, L = 1,2,3 → ln 4.
    // Window [2,6): targets at positions 4,5 (after the previous end 4), L = 2,3 → ln(4/2) = ln 2.
    // Window [4,7) reaches the end: target at position 6, L = 2 → ln(3/2).
    // Total ln 12 over 6 targets → ppl = 12^(1/6).
    for (const batchSize of [1, 2, 3]) {
      const r = await evaluatePerplexity(contextLength(), new Array(7).fill(0), { seqlen: 4, stride: 2, batchSize });
      expect(r.windows).toBe(3);
      expect(r.targets).toBe(6);
      expect(r.tokens).toBe(11);
      expect(r.stride).toBe(2);
      expect(r.meanNll).toBeCloseTo(Math.log(12) / 6, 6);
      expect(r.ppl).toBeCloseTo(12 ** (1 / 6), 6);
    }
  });

  it('scores n−1 targets for any stride and agrees between batch sizes (right-padded last window)', async () => {
    const ids = Array.from({ length: 53 }, (_, i) => (i * 3 + (i >> 2)) % 5);
    for (const stride of [1, 5, 11]) {
      const a = await evaluatePerplexity(hashModel(), ids, { seqlen: 12, stride });
      const model = hashModel();
      const b = await evaluatePerplexity(model, ids, { seqlen: 12, stride, batchSize: 4 });
      expect(a.targets).toBe(52);
      expect(b.meanNll).toBeCloseTo(a.meanNll, 6);
      expect(Math.max(...model.calls.map((c) => c.seqLen))).toBe(12);
    }
  });
});

describe('perplexityOfText', () => {
  it('tokenizes once with BOS first', async () => {
    const tok = charTokenizer();
    const model = new FakeLanguageModel(tok.vocabSize, 64, () => new Array(tok.vocabSize).fill(-Math.log(tok.vocabSize)));
    const r = await perplexityOfText(model, tok, 'abcdefg', { seqlen: 4 });
    expect(r.windows).toBe(2); // 8 ids (BOS + 7 chars)
    expect(model.calls[0].rows[0]).toEqual(tok.encode('abc'));
    expect(r.ppl).toBeCloseTo(tok.vocabSize, 3); // float32 NLLs
  });

  it('says how many tokens the text has when it is too short', async () => {
    const tok = charTokenizer();
    const model = new FakeLanguageModel(tok.vocabSize, 64, () => new Array(tok.vocabSize).fill(-Math.log(tok.vocabSize)));
    await expect(perplexityOfText(model, tok, 'abc', { seqlen: 8 })).rejects.toThrow(
      'text: found 4 tokens (BOS included), perplexity at seqlen 8 needs at least 8',
    );
  });
});
