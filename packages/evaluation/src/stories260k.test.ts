import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { CausalLM, loadTokenizer, openLlama2c, type Tokenizer } from '@dass/model-loader';
import { fixtures } from '@dass/model-loader/test';
import { evaluatePerplexity, perplexityOfText } from './perplexity.js';
import { withGreedyScoring } from './greedy-scoring-model.js';
import { encodePair } from './encode-pair.js';
import { scoreContinuations } from './continuation-scores.js';
import { evaluateZeroShot } from './zero-shot.js';
import { loadTaskDocs, zeroShotTasks } from './zero-shot-tasks.js';

// Reference computed independently (float64 NumPy forward pass) over 257 ids of TinyStories validation text.
const reference = JSON.parse(readFileSync(fixtures.stories260K.referenceNll, 'utf8')) as {
  input_ids: number[];
  mean_nll: number;
  bos_only_logits_top10: [number, number][];
};

describe('evaluation on the real stories260K model', () => {
  let model: CausalLM;
  let tokenizer: Tokenizer;
  // The first 60,000 characters of the TinyStories validation head the reference ids were cut from.
  const tinyStories = readFileSync(fileURLToPath(new URL('../fixtures/text/tinystories_validation_head_60k.txt', import.meta.url)), 'utf8');
  beforeAll(async () => {
    model = await CausalLM.fromSource(await openLlama2c(fixtures.stories260K.bin));
    tokenizer = await loadTokenizer(fixtures.stories260K.tokenizer);
  });
  afterAll(() => model.dispose());

  it('perplexity of the 257 reference ids at seqlen 257 is exp(1.398844) within 1e-4 relative', async () => {
    const r = await evaluatePerplexity(model, reference.input_ids, { seqlen: 257 });
    expect(r.windows).toBe(1);
    expect(r.targets).toBe(256);
    expect(Math.abs(r.ppl / Math.exp(reference.mean_nll) - 1)).toBeLessThan(1e-4);
  });

  it('perplexityOfText on the reference text (first 1500 characters) reproduces the reference mean NLL', async () => {
    const r = await perplexityOfText(model, tokenizer, tinyStories.slice(0, 1500), { seqlen: 257, maxWindows: 1 });
    expect(Math.abs(r.meanNll - reference.mean_nll)).toBeLessThan(1e-4);
  });

  it('TinyStories validation head at seqlen 256: batched and unbatched paths agree', async () => {
    const ids = Int32Array.from(tokenizer.encode(tinyStories, { bos: true }));
    // The reference ids were cut from the head of this text: its encoding starts with them.
    expect(Array.from(ids.subarray(0, reference.input_ids.length))).toEqual(reference.input_ids);
    // The first 16 windows keep the suite fast.
    const unbatched = await evaluatePerplexity(model, ids, { seqlen: 256, maxWindows: 16 });
    const batched = await evaluatePerplexity(model, ids, { seqlen: 256, maxWindows: 16, batchSize: 8 });
    expect(unbatched.windows).toBe(16);
    expect(batched.windows).toBe(unbatched.windows);
    expect(Math.abs(batched.ppl / unbatched.ppl - 1)).toBeLessThan(1e-5);
    // An in-distribution text for a TinyStories model: a low perplexity, near the reference window's 4.05.
    expect(unbatched.ppl).toBeGreaterThan(2);
    expect(unbatched.ppl).toBeLessThan(8);
  });

  it('withGreedyScoring adds the argmax (BOS → 403 " Once", the reference top logit) and keeps the NLLs', async () => {
    const lm = withGreedyScoring(model);
    const ids = Int32Array.from(reference.input_ids.slice(0, 40));
    const { nll, argmax } = await lm.tokenNllAndArgmax!(ids, 1, 40);
    expect(argmax[0]).toBe(reference.bos_only_logits_top10[0][0]);
    const plain = await model.tokenNll(ids, 1, 40);
    for (let t = 0; t < 39; t++) expect(nll[t]).toBeCloseTo(plain[t], 4);
  });

  it('zero-shot: every task runs on its fixture; a choice scores the same in its padded batch as alone', async () => {
    const lm = withGreedyScoring(model);
    for (const task of Object.values(zeroShotTasks)) {
      const [doc] = loadTaskDocs(task);
      const pairs = doc.choices.map((c) => encodePair(tokenizer, c.context, c.continuation));
      const greedy = task.metrics === 'last_word';
      const together = await scoreContinuations(lm, pairs, { greedy });
      for (let i = 0; i < pairs.length; i++) {
        const [alone] = await scoreContinuations(lm, [pairs[i]], { greedy });
        expect(together[i].logLikelihood).toBeCloseTo(alone.logLikelihood, 3);
        expect(together[i].greedy).toBe(alone.greedy);
      }
    }
    // The task metrics aggregate the per-choice scores: acc/acc_norm by argmax (ties to the first), LAMBADA's acc
    // by the greedy flag and its perplexity as exp(−mean log-likelihood).
    const argmax = (xs: number[]) => xs.indexOf(Math.max(...xs));
    for (const name of ['piqa', 'lambada']) {
      const task = zeroShotTasks[name];
      const docs = loadTaskDocs(task).slice(0, 2);
      const greedy = task.metrics === 'last_word';
      const perDoc = await Promise.all(
        docs.map((d) =>
          scoreContinuations(
            lm,
            d.choices.map((c) => encodePair(tokenizer, c.context, c.continuation)),
            { greedy },
          ),
        ),
      );
      const r = await evaluateZeroShot(lm, tokenizer, name, { limit: 2 });
      expect(r.n).toBe(2);
      if (greedy) {
        expect(r.acc).toBe(perDoc.filter(([s]) => s.greedy).length / 2);
        const expected = Math.exp(-(perDoc[0][0].logLikelihood + perDoc[1][0].logLikelihood) / 2);
        expect(Math.abs(r.perplexity! / expected - 1)).toBeLessThan(1e-4); // batched vs alone: float32 padding noise
      } else {
        const hits = (norm: boolean) =>
          perDoc.filter((scores, i) => argmax(scores.map((s, j) => s.logLikelihood / (norm ? docs[i].choices[j].normBytes : 1))) === docs[i].gold).length / 2;
        expect(r.acc).toBe(hits(false));
        expect(r.accNorm).toBe(hits(true));
      }
    }
  });

  it('zero-shot: items batched together score exactly as one at a time, with far fewer model calls', async () => {
    let calls = 0;
    const counting = { config: model.config, tokenNll: (ids: Int32Array, b: number, t: number) => (calls++, model.tokenNll(ids, b, t)) };
    const oneByOne = await evaluateZeroShot(counting, tokenizer, 'arc_easy', { limit: 12, batchTokens: 1 });
    const perItemCalls = calls;
    calls = 0;
    const batched = await evaluateZeroShot(counting, tokenizer, 'arc_easy', { limit: 12, batchTokens: 4096 });
    expect(perItemCalls).toBe(12);
    expect(calls).toBeLessThan(4);
    expect(batched.acc).toBe(oneByOne.acc);
    expect(batched.accNorm).toBe(oneByOne.accNorm);
  });
});
