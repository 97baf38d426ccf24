import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixtures } from '../test/index.js';
import { ModelLoadError } from '../errors.js';
import { HfJsonTokenizer } from './hf-json-tokenizer.js';
import { parseSentencePieceModel } from './sentencepiece-model.js';

// A LLaMA-shaped tokenizer.json, small enough to work by hand: metaspace normaliser, BPE with byte fallback,
// a decoder that undoes both and strips the dummy-prefix space.
const special = (id: number, content: string) => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
});
const tinyTokenizerJson = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
  normalizer: {
    type: 'Sequence',
    normalizers: [
      { type: 'Prepend', prepend: '▁' },
      { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
    ],
  },
  pre_tokenizer: null,
  post_processor: {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
    special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
  },
  decoder: {
    type: 'Sequence',
    decoders: [
      { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
      { type: 'ByteFallback' },
      { type: 'Fuse' },
      { type: 'Strip', content: ' ', start: 1, stop: 0 },
    ],
  },
  model: {
    type: 'BPE',
    dropout: null,
    unk_token: '<unk>',
    continuing_subword_prefix: null,
    end_of_word_suffix: null,
    fuse_unk: true,
    byte_fallback: true,
    vocab: {
      '<unk>': 0,
      '<s>': 1,
      '</s>': 2,
      '▁': 3,
      h: 4,
      e: 5,
      l: 6,
      o: 7,
      '▁h': 8,
      ll: 9,
      '▁he': 10,
      '▁hell': 11,
      '▁hello': 12,
      n: 13,
      '<0x21>': 14,
    },
    merges: ['▁ h', 'l l', '▁h e', '▁he ll', '▁hell o'],
  },
};
const config = { bos_token: '<s>', eos_token: '</s>', add_bos_token: true, clean_up_tokenization_spaces: false };
const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

describe('HfJsonTokenizer on a hand-made BPE tokenizer.json', () => {
  const tok = HfJsonTokenizer.fromBytes(bytes(tinyTokenizerJson), bytes(config), { file: 'tokenizer.json' });

  it('reads vocab size and BOS/EOS from the config', () => {
    expect(tok.kind).toBe('hf-json');
    expect(tok.vocabSize).toBe(15);
    expect([tok.bosId, tok.eosId]).toEqual([1, 2]);
    expect(tok.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('encodes by merge rank (hand-worked)', () => {
    // ▁ h e l l o → ▁h (rank 0) → ll (1) → ▁he (2) → ▁hell (3) → ▁hello (4)
    expect(tok.encode('hello')).toEqual([1, 12]);
    // ▁ h e l l ▁ n o → … → ▁hell ▁ n o ("▁ n" is no merge)
    expect(tok.encode('hell no', { bos: false })).toEqual([11, 3, 13, 7]);
    // "!" is not in the vocab: byte fallback <0x21>
    expect(tok.encode('hello!', { bos: false, eos: true })).toEqual([12, 14, 2]);
    expect(tok.encode('', { bos: false })).toEqual([]);
  });

  it('decodes with BOS/EOS dropped, byte pieces fused and the dummy space stripped', () => {
    expect(tok.decode([1, 11, 3, 13, 7, 2])).toBe('hell no');
    expect(tok.decode([12, 14])).toBe('hello!');
    expect(tok.decode([1, 2])).toBe('');
    expect(tok.token(12)).toBe('▁hello');
    expect(() => tok.decode([15])).toThrow(/ids\[0\]: expected an integer token id in \[0, 15\), got 15/);
  });

  it('finds BOS from the post-processor template without a config; add_bos_token false turns the default off', () => {
    const noConfig = HfJsonTokenizer.fromJson(tinyTokenizerJson);
    expect([noConfig.bosId, noConfig.eosId]).toEqual([1, -1]);
    expect(noConfig.encode('hello', { eos: true })).toEqual([1, 12]);
    const noBos = HfJsonTokenizer.fromJson(tinyTokenizerJson, { ...config, add_bos_token: false });
    expect(noBos.encode('hello')).toEqual([12]);
    expect(noBos.encode('hello', { bos: true })).toEqual([1, 12]);
    // Qwen2-style: bos_token null → no BOS at all.
    const none = HfJsonTokenizer.fromJson(tinyTokenizerJson, { bos_token: null, eos_token: '</s>' });
    expect(none.bosId).toBe(-1);
    expect(none.encode('hello')).toEqual([12]);
  });

  it('rejects malformed files with ModelLoadError', () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(ModelLoadError);
        return `${(e as ModelLoadError).reason} ${(e as ModelLoadError).message}`;
      }
      return 'no error';
    };
    expect(err(() => HfJsonTokenizer.fromBytes(new TextEncoder().encode('{"model": '), undefined, { file: 't.json' }))).toMatch(
      /^BAD_JSON t\.json: not valid JSON/,
    );
    expect(err(() => HfJsonTokenizer.fromBytes(Uint8Array.of(0xef, 0xbb, 0xbf, 0x7b, 0x7d), undefined, { file: 't.json' }))).toMatch(
      /^BAD_JSON t\.json: starts with a UTF-8 byte-order mark/,
    );
    expect(err(() => HfJsonTokenizer.fromBytes(Uint8Array.of(0x22, 0xff, 0x22), undefined, { file: 't.json' }))).toMatch(
      /^BAD_JSON t\.json: is not valid UTF-8/,
    );
    expect(err(() => HfJsonTokenizer.fromJson({ version: '1.0' }, {}, { file: 't.json' }))).toMatch(/^BAD_TOKENIZER t\.json: .*no "model"/);
    expect(err(() => HfJsonTokenizer.fromJson({ model: { type: 'Nope' } }, {}, { file: 't.json' }))).toMatch(
      /^BAD_TOKENIZER t\.json: @huggingface\/tokenizers rejected it/,
    );
    expect(err(() => HfJsonTokenizer.fromJson(tinyTokenizerJson, { bos_token: '<bos>' }, { file: 't.json' }))).toMatch(
      /bos_token "<bos>" is not in the vocabulary/,
    );
  });
});

/**
 * The LLaMA-2 tokenizer.json as transformers' LlamaConverter builds it from tokenizer.model: vocab = pieces, merges =
 * every split of a piece into two pieces, ordered by the merged piece's score (stable, then by the parts' ids).
 */
function llama2TokenizerJson(): unknown {
  const model = parseSentencePieceModel(readFileSync(fixtures.llama2Tokenizer.model));
  const vocab: Record<string, number> = {};
  model.pieces.forEach((p, id) => (vocab[p.piece] = id));
  const merges: { l: string; r: string; score: number }[] = [];
  for (const { piece, score } of model.pieces) {
    const local: { l: string; r: string; score: number }[] = [];
    const chars = Array.from(piece);
    for (let i = 1; i < chars.length; i++) {
      const l = chars.slice(0, i).join('');
      const r = chars.slice(i).join('');
      if (l in vocab && r in vocab) local.push({ l, r, score });
    }
    local.sort((a, b) => vocab[a.l] - vocab[b.l] || vocab[a.r] - vocab[b.r]);
    merges.push(...local);
  }
  merges.sort((a, b) => b.score - a.score);
  return {
    ...tinyTokenizerJson,
    added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
    model: { ...tinyTokenizerJson.model, vocab, merges: merges.map((m) => [m.l, m.r]) },
  };
}

describe('HfJsonTokenizer on the LLaMA-2 tokenizer converted to tokenizer.json', () => {
  it('encodes the llama.cpp test cases like SentencePiece and decodes them back', () => {
    const tok = HfJsonTokenizer.fromJson(llama2TokenizerJson(), config, { file: 'llama2/tokenizer.json' });
    expect(tok.vocabSize).toBe(32000);
    const raw = readFileSync(fixtures.llama2Tokenizer.cases, 'utf8');
    const inputs = raw.split('\n__ggml_vocab_test__\n').slice(0, -1);
    const expected = readFileSync(fixtures.llama2Tokenizer.expected, 'utf8').split('\n');
    expect(inputs).toHaveLength(46);
    const failures: string[] = [];
    inputs.forEach((text, i) => {
      const want = expected[i].trim() === '' ? [] : expected[i].trim().split(' ').map(Number);
      const got = tok.encode(text);
      if (JSON.stringify(got) !== JSON.stringify([1, ...want])) failures.push(`case ${i}: ${got.join(' ')}`);
      else if (tok.decode(got) !== text) failures.push(`case ${i} decode: ${JSON.stringify(tok.decode(got))}`);
    });
    expect(failures).toEqual([]);
    // U+FEFF is piece 30143 (bytes EF BB BF), as sentencepiece and llama2.c's tokenizer.bin give.
    expect(tok.encode('a\uFEFFb')).toEqual([1, 263, 30143, 29890]);
    expect(tok.decode([1, 263, 30143, 29890])).toBe('a\uFEFFb');
    // Byte pieces <0xEF><0xBB><0xBF> (ids 0xEF+3 ...) through the ByteFallback decoder: U+FEFF, not "".
    expect(tok.decode([0xef + 3, 0xbb + 3, 0xbf + 3])).toBe('\uFEFF');
    expect(tok.decode([1, 263, 0xef + 3, 0xbb + 3, 0xbf + 3])).toBe('a\uFEFF');
  });
});

describe('HfJsonTokenizer without an unknown-token fallback', () => {
  it('refuses a word outside a WordLevel vocabulary, naming the word and the file', () => {
    const wordLevel = {
      version: '1.0',
      added_tokens: [],
      normalizer: null,
      pre_tokenizer: { type: 'Whitespace' },
      post_processor: null,
      decoder: null,
      model: { type: 'WordLevel', vocab: { hello: 0, world: 1 }, unk_token: '[UNK]' },
    };
    const tok = HfJsonTokenizer.fromJson(wordLevel, {}, { file: 'words/tokenizer.json' });
    expect(tok.encode('hello world', { bos: false })).toEqual([0, 1]);
    expect(() => tok.encode('hello there', { bos: false })).toThrow(ModelLoadError);
    expect(() => tok.encode('hello there', { bos: false })).toThrow(/words\/tokenizer\.json: has no id for "there" \(token 1 of the text\)/);
  });
});
