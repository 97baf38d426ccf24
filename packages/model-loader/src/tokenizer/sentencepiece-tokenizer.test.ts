import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixtures } from '../test/index.js';
import { ModelLoadError } from '../errors.js';
import { SentencePieceTokenizer } from './sentencepiece-tokenizer.js';
import { encodeProto, type ProtoFieldList } from '../test-support/protobuf-writer.js';

/** llama.cpp test-tokenizer-0 read_tests(): cases split on "\n__ggml_vocab_test__\n"; one id line per case. */
function readVocabTests(inpPath: string, outPath: string): { text: string; ids: number[] }[] {
  const raw = readFileSync(inpPath, 'utf8');
  const sep = '\n__ggml_vocab_test__\n';
  const inputs: string[] = [];
  let pos = 0;
  while (pos < raw.length) {
    const next = raw.indexOf(sep, pos);
    if (next < 0) {
      inputs.push(raw.slice(pos));
      break;
    }
    inputs.push(raw.slice(pos, next));
    pos = next + sep.length;
  }
  // std::getline: a final '\n' does not start another line.
  const outText = readFileSync(outPath, 'utf8');
  const lines = (outText.endsWith('\n') ? outText.slice(0, -1) : outText).split('\n');
  expect(lines.length).toBe(inputs.length);
  return inputs.map((text, i) => {
    const line = lines[i].trim();
    return { text, ids: line === '' ? [] : line.split(' ').map(Number) };
  });
}

describe('SentencePieceTokenizer on the LLaMA-2 tokenizer.model', () => {
  const tok = SentencePieceTokenizer.fromBytes(readFileSync(fixtures.llama2Tokenizer.model), { file: 'tokenizer.model' });
  const cases = readVocabTests(fixtures.llama2Tokenizer.cases, fixtures.llama2Tokenizer.expected);

  it('reads the model: 32000 pieces, BPE with byte fallback, <unk>=0 <s>=1 </s>=2', () => {
    expect(tok.vocabSize).toBe(32000);
    expect([tok.unkId, tok.bosId, tok.eosId]).toEqual([0, 1, 2]);
    expect(tok.model.trainer.modelType).toBe('bpe');
    expect(tok.model.trainer.byteFallback).toBe(true);
    expect(tok.model.normalizer).toMatchObject({ addDummyPrefix: true, removeExtraWhitespaces: false });
    expect(tok.piece(13)).toBe('<0x0A>');
  });

  it('splits the llama.cpp vocab test file into its 46 cases', () => {
    expect(cases).toHaveLength(46);
    expect(cases[0].text).toBe('ied 4 ½ months');
    expect(cases[2]).toEqual({ text: '', ids: [] });
    expect(cases[7].text).toBe('\n');
    expect(cases[8].text).toBe('\n\n');
  });

  it('encodes all 46 llama.cpp test-tokenizer-0 cases to the expected ids (no BOS)', () => {
    const failures: string[] = [];
    for (const [i, c] of cases.entries()) {
      const ids = tok.encode(c.text, { bos: false });
      if (JSON.stringify(ids) !== JSON.stringify(c.ids)) {
        failures.push(`case ${i} ${JSON.stringify(c.text)}: got ${ids.join(' ')}, expected ${c.ids.join(' ')}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('decodes each case back to its text (the dummy prefix removed)', () => {
    for (const c of cases) expect(tok.decode(c.ids)).toBe(c.text);
    expect(tok.decode([1, ...cases[11].ids, 2])).toBe(cases[11].text);
  });

  it('adds BOS by default, EOS on request', () => {
    expect(tok.encode('Hello world')).toEqual([1, 15043, 3186]);
    expect(tok.encode('Hello world', { eos: true })).toEqual([1, 15043, 3186, 2]);
    expect(tok.encode('')).toEqual([1]);
  });

  it('decodeToken strips the leading space only after BOS', () => {
    expect(tok.decodeToken(1, 15043)).toBe('Hello');
    expect(tok.decodeToken(15043, 3186)).toBe(' world');
    expect(tok.decodeToken(3186, 13)).toBe('\n');
    expect(tok.decodeToken(3186, 2)).toBe('');
  });
});

// A tiny model written out by hand: ids 0 <unk>, 1 <s>, 2 </s>, 3..258 <0x00>..<0xFF>, then the listed pieces.
const NORMAL = 1;
const CONTROL = 3;
const USER_DEFINED = 4;
const UNUSED = 5;
const BYTE = 6;

function tinyModel(
  pieces: [string, number, number?][],
  opts: { trainer?: ProtoFieldList; normalizer?: ProtoFieldList; byteFallback?: boolean } = {},
): Uint8Array {
  const all: [string, number, number][] = [
    ['<unk>', 0, 2],
    ['<s>', 0, CONTROL],
    ['</s>', 0, CONTROL],
  ];
  for (let b = 0; b < 256; b++) all.push([`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, 0, BYTE]);
  for (const [piece, score, type] of pieces) all.push([piece, score, type ?? NORMAL]);
  const fields: ProtoFieldList = all.map(([piece, score, type]) => [
    1,
    {
      message: [
        [1, { bytes: piece }],
        [2, { float: score }],
        [3, { varint: type }],
      ],
    },
  ]);
  fields.push([
    2,
    {
      message: opts.trainer ?? [
        [3, { varint: 2 }],
        [35, { varint: opts.byteFallback === false ? 0 : 1 }],
      ],
    },
  ]);
  fields.push([
    3,
    {
      message: opts.normalizer ?? [
        [1, { bytes: 'identity' }],
        [3, { varint: 1 }],
        [4, { varint: 0 }],
        [5, { varint: 1 }],
      ],
    },
  ]);
  return encodeProto(fields);
}

describe('SentencePieceTokenizer merges (hand-worked)', () => {
  // 259 ▁, 260 a, 261 b, 262 ▁a, 263 ab, 264 ▁ab
  const base: [string, number, number?][] = [
    ['▁', -10],
    ['a', -1],
    ['b', -2],
    ['▁a', -3],
    ['ab', -4],
  ];

  it('merges by the best piece score', () => {
    const tok = SentencePieceTokenizer.fromBytes(tinyModel(base));
    // ▁ a b: ▁a (-3) beats ab (-4) → ▁a b; "▁ab" is no piece.
    expect(tok.encode('ab', { bos: false })).toEqual([262, 261]);
    // spaces: "a b" → ▁a ▁b: ▁a merges, ▁b is no piece.
    expect(tok.encode('a b', { bos: false })).toEqual([262, 259, 261]);
    const abFirst = SentencePieceTokenizer.fromBytes(
      tinyModel([
        ['▁', -10],
        ['a', -1],
        ['b', -2],
        ['▁a', -3],
        ['ab', -2],
      ]),
    );
    expect(abFirst.encode('ab', { bos: false })).toEqual([259, 263]);
  });

  it('breaks ties by the leftmost pair', () => {
    // ▁a and ab tie at -3: ▁a (left) wins.
    const tok = SentencePieceTokenizer.fromBytes(
      tinyModel([
        ['▁', -10],
        ['a', -1],
        ['b', -2],
        ['▁a', -3],
        ['ab', -3],
      ]),
    );
    expect(tok.encode('ab', { bos: false })).toEqual([262, 261]);
  });

  it('merges through unused pieces, then splits them back into their parts', () => {
    // ab is unused but best-scored: ▁ a b → ▁ ab; ▁ab (-5) then merges and is emitted whole.
    const withTop = SentencePieceTokenizer.fromBytes(
      tinyModel([
        ['▁', -10],
        ['a', -1],
        ['b', -2],
        ['▁a', -3],
        ['ab', -1, UNUSED],
        ['▁ab', -5],
      ]),
    );
    expect(withTop.encode('ab', { bos: false })).toEqual([264]);
    // Without ▁ab the unused ab is split back: ▁ a b (not ▁a b, which a plain BPE would give).
    const noTop = SentencePieceTokenizer.fromBytes(
      tinyModel([
        ['▁', -10],
        ['a', -1],
        ['b', -2],
        ['▁a', -3],
        ['ab', -1, UNUSED],
      ]),
    );
    expect(noTop.encode('ab', { bos: false })).toEqual([259, 260, 261]);
  });

  it('falls back to byte pieces, or to <unk> without byte_fallback', () => {
    const tok = SentencePieceTokenizer.fromBytes(tinyModel(base));
    expect(tok.encode('aé', { bos: false })).toEqual([262, 0xc3 + 3, 0xa9 + 3]);
    expect(tok.decode([1, 262, 0xc3 + 3, 0xa9 + 3, 2])).toBe('aé');
    const noBytes = SentencePieceTokenizer.fromBytes(tinyModel(base, { byteFallback: false }));
    expect(noBytes.encode('aé', { bos: false })).toEqual([262, 0]);
    expect(noBytes.decode([262, 0])).toBe('a \u2047 ');
  });

  it('keeps user-defined pieces whole and never merges into control pieces', () => {
    // 259 ▁, 260 <, 261 s, 262 >, 263 <s (normal), 264 [x] (user-defined)
    const tok = SentencePieceTokenizer.fromBytes(
      tinyModel([
        ['▁', -10],
        ['<', -1],
        ['s', -1],
        ['>', -1],
        ['<s', -2],
        ['[x]', 0, USER_DEFINED],
      ]),
    );
    // "<s>" is the control piece 1: only "<s" merges.
    expect(tok.encode('<s>', { bos: false })).toEqual([259, 263, 262]);
    // "[x]" is matched whole; its characters alone would be bytes.
    expect(tok.encode('s[x]s', { bos: false })).toEqual([259, 261, 264, 261]);
  });

  it('applies remove_extra_whitespaces and add_dummy_prefix from the normalizer spec', () => {
    const squash = SentencePieceTokenizer.fromBytes(
      tinyModel(base, {
        normalizer: [
          [1, { bytes: 'identity' }],
          [4, { varint: 1 }],
        ],
      }),
    );
    expect(squash.normalize('  a   b ')).toBe('▁a▁b');
    expect(squash.encode('   ', { bos: false })).toEqual([]);
    const noPrefix = SentencePieceTokenizer.fromBytes(
      tinyModel(base, {
        normalizer: [
          [1, { bytes: 'identity' }],
          [3, { varint: 0 }],
          [4, { varint: 0 }],
        ],
      }),
    );
    expect(noPrefix.encode('ab', { bos: false })).toEqual([263]); // no ▁: a b → ab
  });
});

describe('SentencePieceTokenizer rejects what it cannot read', () => {
  const codeOf = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(ModelLoadError);
      expect((e as ModelLoadError).message).toMatch(/^m\.model: SentencePiece model: /);
      return (e as ModelLoadError).reason;
    }
    return 'no error';
  };

  it('garbled, truncated or empty data is BAD_TOKENIZER', () => {
    const good = tinyModel([['▁', -1]]);
    expect(codeOf(() => SentencePieceTokenizer.fromBytes(good.subarray(0, good.length - 3), { file: 'm.model' }))).toBe('BAD_TOKENIZER');
    expect(codeOf(() => SentencePieceTokenizer.fromBytes(new TextEncoder().encode('{"not": "protobuf"}'), { file: 'm.model' }))).toBe('BAD_TOKENIZER');
    expect(codeOf(() => SentencePieceTokenizer.fromBytes(new Uint8Array(0), { file: 'm.model' }))).toBe('BAD_TOKENIZER');
    const badBos = tinyModel([['▁', -1]], {
      trainer: [
        [3, { varint: 2 }],
        [41, { varint: 9999 }],
      ],
    });
    expect(() => SentencePieceTokenizer.fromBytes(badBos, { file: 'm.model' })).toThrow(/bos_id 9999 is outside the 260 pieces/);
  });

  it('unigram models and non-identity normalizers are UNSUPPORTED', () => {
    const unigram = tinyModel([['▁', -1]], { trainer: [[3, { varint: 1 }]] });
    expect(codeOf(() => SentencePieceTokenizer.fromBytes(unigram, { file: 'm.model' }))).toBe('UNSUPPORTED');
    const nfkc = tinyModel([['▁', -1]], {
      normalizer: [
        [1, { bytes: 'nmt_nfkc' }],
        [2, { bytes: 'rules' }],
      ],
    });
    expect(codeOf(() => SentencePieceTokenizer.fromBytes(nfkc, { file: 'm.model' }))).toBe('UNSUPPORTED');
  });
});
