import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { loadTokenizer, type Tokenizer } from '@dass/model-loader';
import { fixtures as modelFixtures } from '@dass/model-loader/test';
import { sampleCalibration } from './sampler.js';
import { TextSourceError } from './sources-error.js';
import { loadTextSource } from './sources-file.js';
import type { TextSourceDocuments, TextSourceText } from './sources.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** One id per Unicode code point (id = code point), BOS = 1 first: Python's `[1] + [ord(c) for c in text]`. */
function codePointTokenizer(): Tokenizer & { calls: string[] } {
  const calls: string[] = [];
  return {
    kind: 'llama2c',
    vocabSize: 0x110000,
    bosId: 1,
    eosId: 2,
    sha256: '0'.repeat(64),
    calls,
    encode(text: string, options?: { bos?: boolean }) {
      calls.push(text);
      const ids = [...text].map((c) => c.codePointAt(0)!);
      return options?.bos === false ? ids : [1, ...ids];
    },
    decode: (ids: readonly number[]) => String.fromCodePoint(...ids.filter((id) => id !== 1)),
  };
}
const codePointIds = (text: string) => [1, ...[...text].map((c) => c.codePointAt(0)!)];

let tiny: TextSourceText;
let c4: TextSourceDocuments;
beforeAll(async () => {
  const t = await loadTextSource(join(fixtures, 'tinystories_train_head.txt'));
  const d = await loadTextSource(join(fixtures, 'c4_first50.jsonl'));
  if (t.kind !== 'text' || d.kind !== 'documents') throw new Error('fixture kinds');
  tiny = t;
  c4 = d;
});

describe('sampleCalibration picks the windows Python random picks', () => {
  // text = open('tinystories_train_head.txt', encoding='utf-8').read(); ids = [1] + [ord(c) for c in text]
  // len(ids) -> 196615
  // for s in [0, 42, 1234567]:
  //     random.seed(s); print(s, [random.randint(0, len(ids) - 128 - 1) for _ in range(4)])
  const textCases: [number, number[]][] = [
    [0, [100989, 110250, 10612, 67873]],
    [42, [167621, 29184, 6556, 194393]],
    [1234567, [113431, 61795, 17771, 152432]],
  ];
  for (const [seed, starts] of textCases) {
    it(`text, seed ${seed}: 4 windows of 128 tokens`, () => {
      const tok = codePointTokenizer();
      const out = sampleCalibration({ source: tiny, tokenizer: tok, nsamples: 4, seqlen: 128, seed });
      expect(out.sampler).toBe('text');
      expect(out.windows).toEqual(starts.map((start) => ({ start })));
      expect(tok.calls.length).toBe(1); // tokenized once as a whole
      const ids = codePointIds(tiny.text);
      expect(ids.length).toBe(196615);
      expect(out.inputIds.length).toBe(4 * 128);
      starts.forEach((start, s) => {
        expect(Array.from(out.inputIds.subarray(s * 128, (s + 1) * 128))).toEqual(ids.slice(start, start + 128));
      });
    });
  }

  // docs = [json.loads(l)['text'] for l in open('c4_first50.jsonl', encoding='utf-8')]   (11 have > 2048 tokens)
  // for s in [0, 42, 1234567]:
  //     random.seed(s); w = []
  //     for _ in range(4):
  //         while True:
  //             k = random.randint(0, len(docs) - 1); n = len(docs[k]) + 1
  //             if n > 2048: break
  //         w.append((k, random.randint(0, n - 2048 - 1)))
  //     print(s, w)
  const docCases: [number, [number, number][]][] = [
    [
      0,
      [
        [26, 0],
        [16, 2094],
        [31, 1658],
        [19, 3904],
      ],
    ],
    [
      42,
      [
        [17, 31],
        [43, 379],
        [27, 32],
        [26, 3],
      ],
    ],
    [
      1234567,
      [
        [27, 241],
        [39, 40],
        [15, 2869],
        [27, 699],
      ],
    ],
  ];
  for (const [seed, picks] of docCases) {
    it(`documents, seed ${seed}: 4 windows of 2048 tokens, redrawing short documents`, () => {
      const tok = codePointTokenizer();
      const out = sampleCalibration({ source: c4, tokenizer: tok, nsamples: 4, seqlen: 2048, seed });
      expect(out.sampler).toBe('documents');
      expect(out.windows).toEqual(picks.map(([doc, start]) => ({ doc, start })));
      picks.forEach(([doc, start], s) => {
        const ids = codePointIds(c4.docs[doc]);
        expect(Array.from(out.inputIds.subarray(s * 2048, (s + 1) * 2048))).toEqual(ids.slice(start, start + 2048));
      });
      // Each document is tokenized alone and at most once.
      expect(new Set(tok.calls).size).toBe(tok.calls.length);
      for (const text of tok.calls) expect(c4.docs).toContain(text);
    });
  }
});

describe('sampleCalibration on WikiText joins the rows with " " (get_wikitext2 train), not "\\n\\n" (its test join)', () => {
  // rows = [row if row.strip() else '' for row in open('wiki.test.head400.raw', encoding='utf-8')]   # HF rows
  // for join in [' ', '\n\n']:
  //     ids = [1] + [ord(c) for c in join.join(rows)]; print(len(ids))
  //     for s in [0, 42, 1234567]:
  //         random.seed(s); st = [random.randint(0, len(ids) - 256 - 1) for _ in range(4)]
  //         print(s, st, [sum(ids[i:i+256]) for i in st])
  // ' '   -> 134856 tokens; "\n\n" -> 135255 tokens (same starts for these seeds, other windows: other sums)
  const cases: [number, number[], number[], number[]][] = [
    // seed, starts, window sums with " ", window sums with "\n\n"
    [0, [100989, 110250, 10612, 67873], [22444, 23085, 30639, 22677], [20910, 22240, 23026, 23101]],
    [42, [29184, 6556, 72097, 64196], [23191, 22135, 23742, 24153], [23571, 21662, 23454, 22618]],
    [1234567, [113431, 61795, 17771, 83395], [22616, 23483, 90653, 29257], [22995, 23921, 22384, 23318]],
  ];
  let wiki: TextSourceText;
  beforeAll(async () => {
    const w = await loadTextSource(join(fixtures, 'wiki.test.head400.raw'));
    if (w.kind !== 'text') throw new Error('fixture kind');
    wiki = w;
  });
  const sum = (a: Int32Array) => a.reduce((x, y) => x + y, 0);

  for (const [seed, starts, spaceSums, evalSums] of cases) {
    it(`seed ${seed}: the Python windows of the " " join; the evaluation text keeps "\\n\\n"`, () => {
      const tok = codePointTokenizer();
      const out = sampleCalibration({ source: wiki, tokenizer: tok, nsamples: 4, seqlen: 256, seed });
      expect(tok.calls).toHaveLength(1);
      expect(tok.calls[0].length + 1).toBe(134856);
      expect(out.wikitextJoin).toBe(' ');
      expect(out.windows).toEqual(starts.map((start) => ({ start })));
      expect(starts.map((_, s) => sum(out.inputIds.subarray(s * 256, (s + 1) * 256)))).toEqual(spaceSums);
      // The same source as plain text (its "\n\n"-joined evaluation string) gives the other windows.
      expect(codePointIds(wiki.text)).toHaveLength(135255);
      const evalOut = sampleCalibration({ source: { kind: 'text', text: wiki.text }, tokenizer: codePointTokenizer(), nsamples: 4, seqlen: 256, seed });
      expect(evalOut.wikitextJoin).toBeUndefined();
      expect(starts.map((_, s) => sum(evalOut.inputIds.subarray(s * 256, (s + 1) * 256)))).toEqual(evalSums);
    });
  }
});

describe('sampleCalibration edge cases and errors', () => {
  it('starts run over [0, n - seqlen - 1] as in the Python code: the last full window (start n - seqlen) is never drawn', () => {
    const tok = codePointTokenizer();
    // 'abcd' -> [1, 97, 98, 99, 100]: n = 5, seqlen 3 -> starts 0 or 1, never 2.
    const out = sampleCalibration({ source: { kind: 'text', text: 'abcd' }, tokenizer: tok, nsamples: 40, seqlen: 3, seed: 5 });
    expect(new Set(out.windows.map((w) => w.start))).toEqual(new Set([0, 1])); // p(a start missing in 40 draws) = 2^-39
    out.windows.forEach((w, s) => {
      expect(Array.from(out.inputIds.subarray(s * 3, s * 3 + 3))).toEqual([1, 97, 98, 99, 100].slice(w.start, w.start + 3));
    });
    // n = seqlen + 1 is the minimum: only start 0.
    const min = sampleCalibration({ source: { kind: 'text', text: 'abc' }, tokenizer: tok, nsamples: 5, seqlen: 3, seed: 5 });
    expect(min.windows).toEqual(Array.from({ length: 5 }, () => ({ start: 0 })));
  });

  it('a too-short text says how many tokens it has and how many are needed', () => {
    const tok = codePointTokenizer();
    const text = 'x'.repeat(811); // 812 tokens with BOS
    // From a file: the user's input problem, a TextSourceError naming the file (even one whose path has spaces).
    const fromFile = () => sampleCalibration({ source: { kind: 'text', text, path: 'my data/small.txt' }, tokenizer: tok, nsamples: 1, seqlen: 2048, seed: 0 });
    expect(fromFile).toThrow(TextSourceError);
    expect(fromFile).toThrow('my data/small.txt: has 812 tokens; a window of seqlen 2048 needs at least 2049');
    try {
      fromFile();
    } catch (err) {
      expect((err as TextSourceError).reason).toBe('TOO_SHORT');
      expect((err as TextSourceError).code).toBe('DASS_INVALID_DATA');
      expect((err as TextSourceError).file).toBe('my data/small.txt');
    }
    // In memory, without a path: the caller's argument.
    const inMemory = () => sampleCalibration({ source: { kind: 'text', text: 'abc' }, tokenizer: tok, nsamples: 1, seqlen: 4, seed: 0 });
    expect(inMemory).toThrow(expect.objectContaining({ code: 'DASS_INVALID_ARGUMENT', field: 'source' }));
    expect(inMemory).toThrow('source: has 4 tokens; a window of seqlen 4 needs at least 5');
  });

  it('documents none of which is long enough fail up front instead of looping', () => {
    const tok = codePointTokenizer();
    expect(() =>
      sampleCalibration({ source: { kind: 'documents', docs: ['ab', 'abcd', ''], path: 'c4.jsonl' }, tokenizer: tok, nsamples: 2, seqlen: 5, seed: 0 }),
    ).toThrow(
      new TextSourceError(
        'c4.jsonl',
        'TOO_SHORT',
        'none of its 3 documents is long enough; the longest has 5 tokens and a window of seqlen 5 needs at least 6',
      ),
    );
    // One long-enough document among short ones: every window comes from it.
    const out = sampleCalibration({ source: { kind: 'documents', docs: ['ab', 'abcdef', ''] }, tokenizer: tok, nsamples: 6, seqlen: 5, seed: 3 });
    expect(out.windows.every((w) => w.doc === 1 && (w.start === 0 || w.start === 1))).toBe(true);
  });

  it('validates its arguments, naming them', () => {
    const tok = codePointTokenizer();
    const source = { kind: 'text' as const, text: 'hello world' };
    expect(() => sampleCalibration({ source, tokenizer: tok, nsamples: 0, seqlen: 4, seed: 0 })).toThrow('nsamples: expected a positive integer, got 0');
    expect(() => sampleCalibration({ source, tokenizer: tok, nsamples: 2, seqlen: 2.5, seed: 0 })).toThrow('seqlen: expected a positive integer, got 2.5');
    expect(() => sampleCalibration({ source, tokenizer: tok, nsamples: 2, seqlen: 4, seed: 0.5 })).toThrow('seed: expected an integer, got 0.5');
    expect(() => sampleCalibration({ source: { kind: 'docs' } as never, tokenizer: tok, nsamples: 1, seqlen: 4, seed: 0 })).toThrow(
      'source.kind: expected "text" or "documents", got "docs"',
    );
    expect(() => sampleCalibration({ source: { kind: 'documents', docs: [] }, tokenizer: tok, nsamples: 1, seqlen: 4, seed: 0 })).toThrow(
      /source\.docs: expected a non-empty array/,
    );
    const negative = { encode: () => [1, -7, 3, 4, 5, 6] };
    expect(() => sampleCalibration({ source, tokenizer: negative, nsamples: 3, seqlen: 5, seed: 0 })).toThrow(/tokenizer produced id -7/);
  });
});

describe('sampleCalibration with the real stories260K tokenizer (tok512.bin)', () => {
  // text = tinystories_validation_head_60k.txt[:1500] (the text of reference_nll.json). Its llama2.c encoding was
  // computed in Python with a port of run.c encode() (BOS, dummy-prefix ' ', code point or byte+3, then merge the
  // highest-scoring adjacent pair until none; its first 257 ids equal reference_nll.json's input_ids):
  //   idx = first id per piece; toks = [1, idx[b' ']] + [idx[c.encode()] if c.encode() in idx else bytes+3 ...]
  //   while True: best pair (i, id) with the highest scores[id] > -1e10 among idx[vocab[t_i] + vocab[t_i+1]];
  //               none -> break; toks[i] = id; del toks[i+1]
  //   -> len(toks) = 774, sum(toks) = 275532
  //   for s in [0, 42, 1234567]: random.seed(s); st = [random.randint(0, 774 - 64 - 1) for _ in range(3)]
  //       print(st, [sum(toks[i:i+64]) for i in st])
  //   documents ['Hi.', text, 'The end.'] (4 and 5 tokens): while True: k = random.randint(0, 2); if k == 1: break
  //       then random.randint(0, 774 - 64 - 1), three times per seed
  const textCases: [number, number[], number[]][] = [
    [0, [394, 430, 41], [23662, 23268, 22630]],
    [42, [654, 114, 25], [23187, 21279, 22816]],
    [1234567, [443, 241, 69], [23235, 22910, 21642]],
  ];
  const docCases: [number, number[]][] = [
    [0, [430, 523, 414]],
    [42, [250, 32, 225]],
    [1234567, [241, 232, 699]],
  ];
  let tokenizer: Tokenizer;
  let text: string;
  let referenceIds: number[];
  beforeAll(async () => {
    tokenizer = await loadTokenizer(modelFixtures.stories260K.tokenizer);
    const evalText = modelFixtures.stories260K.referenceText;
    text = (await readFile(evalText, 'utf8')).slice(0, 1500);
    referenceIds = JSON.parse(await readFile(modelFixtures.stories260K.referenceNll, 'utf8')).input_ids;
  });

  it('tokenizes to the Python count and reference ids', () => {
    const ids = tokenizer.encode(text, { bos: true });
    expect(ids.length).toBe(774);
    expect(ids.slice(0, 257)).toEqual(referenceIds);
    expect(ids.reduce((a, b) => a + b, 0)).toBe(275532);
  });

  for (const [seed, starts, sums] of textCases) {
    it(`text, seed ${seed}: the Python windows`, () => {
      const out = sampleCalibration({ source: { kind: 'text', text }, tokenizer, nsamples: 3, seqlen: 64, seed });
      expect(out.windows).toEqual(starts.map((start) => ({ start })));
      const ids = tokenizer.encode(text, { bos: true });
      starts.forEach((start, s) => {
        const window = Array.from(out.inputIds.subarray(s * 64, (s + 1) * 64));
        expect(window).toEqual(ids.slice(start, start + 64));
        expect(window.reduce((a, b) => a + b, 0)).toBe(sums[s]);
      });
    });
  }

  for (const [seed, starts] of docCases) {
    it(`documents, seed ${seed}: short documents are redrawn, windows as in Python`, () => {
      const docs = ['Hi.', text, 'The end.'];
      expect(docs.map((d) => tokenizer.encode(d, { bos: true }).length)).toEqual([4, 774, 5]);
      const out = sampleCalibration({ source: { kind: 'documents', docs }, tokenizer, nsamples: 3, seqlen: 64, seed });
      expect(out.windows).toEqual(starts.map((start) => ({ doc: 1, start })));
    });
  }
});
