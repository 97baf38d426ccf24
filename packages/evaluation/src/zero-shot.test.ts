import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeLanguageModel } from './test-support/fake-language-model.js';
import { charTokenizer } from './test-support/fake-tokenizers.js';
import { evaluateZeroShot } from './zero-shot.js';

const tok = charTokenizer();
const V = tok.vocabSize; // 99: <unk>, BOS, EOS, "\n", then printable ASCII
const id = (ch: string) => tok.encode(ch, { bos: false })[0];

const dir = mkdtempSync(join(tmpdir(), 'dass-zero-shot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function writeTask(file: string, lines: unknown[]): void {
  mkdirSync(dirname(join(dir, file)), { recursive: true });
  writeFileSync(join(dir, file), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
}

describe('evaluateZeroShot, hand-worked with a fake model', () => {
  it('acc takes the argmax of summed log-probs, acc_norm of log-prob per answer byte (and they disagree)', async () => {
    // Unigram model: weight 8 for "a", 4 for " ", 2 for "b", 1 for each of the other 96 ids → total 110.
    const weight = (v: number) => (v === id('a') ? 8 : v === id(' ') ? 4 : v === id('b') ? 2 : 1);
    const model = new FakeLanguageModel(V, 64, () => Array.from({ length: V }, (_, v) => Math.log(weight(v) / 110)));
    // Each continuation is " " + choice; log p(" ") = ln(4/110).
    //  " aaaa": ln(4/110) + 4 ln(8/110) = −13.798 (per byte of "aaaa": −3.450)
    //  " b":    ln(4/110) + ln(2/110)   = −7.322  (per byte: −7.322)
    //  " c":    ln(4/110) + ln(1/110)   = −8.015  (per byte: −8.015)
    //  " ab":   ln(4/110) + ln(8/110) + ln(2/110) = −9.943 (per byte: −4.971)
    // Item 1 (gold "b"): acc picks "b" ✓, acc_norm picks "aaaa" ✗.
    // Item 2 (gold "aaaa"): acc ✗, acc_norm ✓.
    // Item 3 (gold "ab"): acc picks "c" ✗, acc_norm picks "ab" ✓.
    const ll = (s: string) => [...s].reduce((sum, ch) => sum + Math.log(weight(id(ch)) / 110), 0);
    expect(ll(' aaaa')).toBeCloseTo(-13.798, 3);
    expect(ll(' ab') / 2).toBeCloseTo(-4.971, 3);
    writeTask('openbookqa/openbookqa_test.jsonl', [
      { query: 'Pick:', choices: ['aaaa', 'b'], gold: 1 },
      { query: 'Pick:', choices: ['aaaa', 'b'], gold: 0 },
      { query: 'Then', choices: ['c', 'ab'], gold: 1 },
    ]);
    const r = await evaluateZeroShot(model, tok, 'openbookqa', { tasksDir: dir, batchTokens: 1 });
    expect(r.n).toBe(3);
    expect(r.acc).toBeCloseTo(1 / 3, 12);
    expect(r.accNorm).toBeCloseTo(2 / 3, 12);
    // Harness mean_stderr of 0/1 values: sqrt(p(1−p)/(n−1)) = sqrt((2/9)/2) = 1/3 for both.
    expect(r.accStderr).toBeCloseTo(1 / 3, 12);
    expect(r.accNormStderr).toBeCloseTo(1 / 3, 12);
    // One right-padded batch per item, one row per choice: BOS + context + " " + choice.
    expect(model.calls.map((c) => c.batch)).toEqual([2, 2, 2]);
    expect(model.calls[2].rows[1]).toEqual(tok.encode('Then ab'));
    expect(model.calls[2].rows[0]).toEqual([...tok.encode('Then c'), 0]);
  });

  it('scores the exact continuation positions (a model whose every log-prob names its position and id)', async () => {
    // log p(v | prefix of length L) = −(100 L + v)/1000 (not normalised: only the positions matter here).
    const model = new FakeLanguageModel(V, 64, (prefix) => Array.from({ length: V }, (_, v) => -(100 * prefix.length + v) / 1000));
    writeTask('openbookqa/openbookqa_test.jsonl', [{ query: 'Hi', choices: ['ab', 'c'], gold: 0 }]);
    // Row "<s>Hi ab": " " at position 3, "a" at 4, "b" at 5 → −(300+id(" ") + 400+id("a") + 500+id("b"))/1000.
    // Row "<s>Hi c":  " " at 3, "c" at 4 → −(300+id(" ") + 400+id("c"))/1000: higher, so acc picks "c" (gold 0 ✗);
    // per byte: "ab" −(1200+ids)/2000 ≈ −0.65 beats "c" ≈ −0.77, so acc_norm picks "ab" ✓.
    const llAb = -(1200 + id(' ') + id('a') + id('b')) / 1000;
    const llC = -(700 + id(' ') + id('c')) / 1000;
    expect(llC).toBeGreaterThan(llAb);
    expect(llAb / 2).toBeGreaterThan(llC / 1);
    const r = await evaluateZeroShot(model, tok, 'openbookqa', { tasksDir: dir });
    expect([r.acc, r.accNorm]).toEqual([0, 1]);
    expect(Number.isNaN(r.accStderr)).toBe(true); // n = 1: the harness's sample stderr is undefined
  });

  it('truncates from the left to maxPositionEmbeddings and counts the truncated items', async () => {
    const model = new FakeLanguageModel(V, 8, () => new Array(V).fill(-Math.log(V)));
    writeTask('openbookqa/openbookqa_test.jsonl', [{ query: 'A long question', choices: ['yes', 'no'], gold: 0 }]);
    const r = await evaluateZeroShot(model, tok, 'openbookqa', { tasksDir: dir });
    expect(r.truncatedItems).toBe(1);
    expect(model.calls[0].rows[0]).toEqual(tok.encode('stion yes', { bos: false }).slice(-8));
    expect(model.calls[0].rows[1]).toEqual([...tok.encode('estion no', { bos: false }).slice(-8)]);
  });

  it('WinoGrande: scores the shared continuation under each filled-in context (partial scoring)', async () => {
    // "n" has weight 10 once the prefix contains "A", else every id has weight 1.
    const model = new FakeLanguageModel(V, 64, (prefix) => {
      const boosted = prefix.includes(id('A'));
      const total = boosted ? V - 1 + 10 : V;
      return Array.from({ length: V }, (_, v) => Math.log((boosted && v === id('n') ? 10 : 1) / total));
    });
    // Under "so A": " nn" scores ln(1/108) + 2 ln(10/108) = −9.44; under "so B": 3 ln(1/99) = −13.79 → option 0.
    writeTask('winogrande/winogrande_xl_dev.jsonl', [
      { context_options: ['so A', 'so B'], continuation: 'nn', gold: 0 },
      { context_options: ['so A', 'so B'], continuation: 'nn', gold: 1 },
    ]);
    const r = await evaluateZeroShot(model, tok, 'winogrande', { tasksDir: dir, batchTokens: 1 });
    expect(r.acc).toBe(0.5);
    expect(r.accNorm).toBeUndefined();
    expect(model.calls[0].rows).toEqual([tok.encode('so A nn'), tok.encode('so B nn')]);
  });

  it('LAMBADA: acc = all continuation tokens greedy, perplexity = exp(−mean summed log-prob)', async () => {
    // Copies the id 4 positions back with probability 0.9 (the other 98 ids share 0.1); shorter prefixes: uniform.
    const model = new FakeLanguageModel(V, 64, (prefix) => {
      if (prefix.length < 4) return new Array(V).fill(-Math.log(V));
      const copy = prefix[prefix.length - 4];
      return Array.from({ length: V }, (_, v) => Math.log(v === copy ? 0.9 : 0.1 / (V - 1)));
    });
    // "<s>a b a" + " b": " " copies " " (4 back) and "b" copies "b": greedy, log-prob 2 ln 0.9.
    // "<s>a b a" + " c": " " greedy, "c" is not: log-prob ln 0.9 + ln(0.1/98).
    writeTask('lambada/lambada_openai_test.jsonl', [
      { context: 'a b a', continuation: 'b' },
      { context: 'a b a', continuation: 'c' },
    ]);
    const r = await evaluateZeroShot(model, tok, 'lambada', { tasksDir: dir });
    expect(r.acc).toBe(0.5);
    const meanLl = (2 * Math.log(0.9) + Math.log(0.9) + Math.log(0.1 / 98)) / 2;
    expect(r.perplexity!).toBeCloseTo(Math.exp(-meanLl), 4);
  });

  it('LAMBADA needs a model with tokenNllAndArgmax', async () => {
    const fake = new FakeLanguageModel(V, 64, () => new Array(V).fill(-Math.log(V)));
    const plain = { config: fake.config, tokenNll: fake.tokenNll.bind(fake) };
    await expect(evaluateZeroShot(plain, tok, 'lambada', { tasksDir: dir })).rejects.toThrow(/tokenNllAndArgmax/);
  });

  it('limit scores the first items; progress is reported; arguments are validated', async () => {
    const model = new FakeLanguageModel(V, 64, () => new Array(V).fill(-Math.log(V)));
    writeTask('openbookqa/openbookqa_test.jsonl', [
      { query: 'Q', choices: ['a', 'b'], gold: 0 },
      { query: 'Q', choices: ['a', 'b'], gold: 1 },
      { query: 'Q', choices: ['a', 'b'], gold: 1 },
    ]);
    const seen: number[] = [];
    const r = await evaluateZeroShot(model, tok, 'openbookqa', { tasksDir: dir, limit: 2, batchTokens: 1, onProgress: (p) => seen.push(p.done) });
    expect(r.n).toBe(2);
    expect(seen).toEqual([0, 1, 2]);
    await expect(evaluateZeroShot(model, tok, 'mmlu', { tasksDir: dir })).rejects.toThrow(/task: expected one of .*piqa.*, got "mmlu"/);
    await expect(evaluateZeroShot(model, tok, 'openbookqa', { tasksDir: dir, limit: 0 })).rejects.toThrow('limit: expected an integer >= 1, got 0');
    await expect(evaluateZeroShot(model, tok, 'piqa', { tasksDir: dir })).rejects.toThrow(/piqa_validation.jsonl: task file of piqa not found/);
  });
});
