import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixtures } from '../test/index.js';
import { ModelLoadError } from '../errors.js';
import { Llama2cTokenizer } from './llama2c-tokenizer.js';

const tinyStoriesHead = fixtures.stories260K.referenceText;

/** Writes a tokenizer.bin in memory: header, then {score, len, bytes} per piece. */
function tokenizerBin(maxLen: number, entries: [string | Uint8Array, number][]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const header = new DataView(new ArrayBuffer(4));
  header.setInt32(0, maxLen, true);
  chunks.push(new Uint8Array(header.buffer));
  for (const [piece, score] of entries) {
    const bytes = typeof piece === 'string' ? new TextEncoder().encode(piece) : piece;
    const h = new DataView(new ArrayBuffer(8));
    h.setFloat32(0, score, true);
    h.setInt32(4, bytes.length, true);
    chunks.push(new Uint8Array(h.buffer), bytes);
  }
  return Uint8Array.from(chunks.flatMap((c) => [...c]));
}

/** A small vocab shaped like llama2.c's: <unk>, <s>, </s>, 256 byte pieces, then text pieces with scores. */
function smallVocab(pieces: [string, number][]): [string, number][] {
  const bytePieces: [string, number][] = [];
  for (let b = 0; b < 256; b++) bytePieces.push([`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, 0]);
  return [['<unk>', 0], ['\n<s>\n', 0], ['\n</s>\n', 0], ...bytePieces, ...pieces];
}

/** run.c encode() transcribed literally (rescan all pairs each round), as an independent reference for the heap. */
function naiveEncode(tok: Llama2cTokenizer, text: string): number[] {
  const latin1 = (b: Uint8Array) => String.fromCharCode(...b);
  const pieceOf = (id: number) => latin1(tok.pieceBytes(id));
  const lookup = new Map<string, number>();
  for (let id = 0; id < tok.vocabSize; id++) if (!lookup.has(pieceOf(id))) lookup.set(pieceOf(id), id);
  const tokens = [1];
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > 0) tokens.push(lookup.get(' ')!);
  let buf: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    if ((bytes[i] & 0xc0) !== 0x80) buf = [];
    buf.push(bytes[i]);
    if (i + 1 < bytes.length && (bytes[i + 1] & 0xc0) === 0x80 && buf.length < 4) continue;
    const id = lookup.get(latin1(Uint8Array.from(buf)));
    if (id !== undefined) tokens.push(id);
    else for (const b of buf) tokens.push(b + 3);
    buf = [];
  }
  for (;;) {
    let bestScore = -1e10;
    let bestId = -1;
    let bestIdx = -1;
    for (let i = 0; i < tokens.length - 1; i++) {
      const id = lookup.get(pieceOf(tokens[i]) + pieceOf(tokens[i + 1]));
      if (id !== undefined && tok.score(id) > bestScore) {
        bestScore = tok.score(id);
        bestId = id;
        bestIdx = i;
      }
    }
    if (bestIdx === -1) break;
    tokens.splice(bestIdx, 2, bestId);
  }
  return tokens;
}

describe('Llama2cTokenizer on stories260K tok512.bin', () => {
  const tok = Llama2cTokenizer.fromBytes(readFileSync(fixtures.stories260K.tokenizer), { file: 'tok512.bin' });

  it('reads 512 entries up to EOF, BOS/EOS pieces as llama2.c exports them', () => {
    expect(tok.vocabSize).toBe(512);
    expect(new TextDecoder().decode(tok.pieceBytes(1))).toBe('\n<s>\n');
    expect(new TextDecoder().decode(tok.pieceBytes(3))).toBe('<0x00>');
    expect(tok.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('encodes the first 1500 chars of TinyStories validation to the reference 257 ids', () => {
    const reference = JSON.parse(readFileSync(fixtures.stories260K.referenceNll, 'utf8')) as { input_ids: number[] };
    expect(reference.input_ids).toHaveLength(257);
    const text = readFileSync(tinyStoriesHead, 'utf8');
    // Python str slice = code points; the fixture is ASCII, but slice by code points anyway.
    const first1500 = Array.from(text).slice(0, 1500).join('');
    const ids = tok.encode(first1500);
    expect(ids.length).toBeGreaterThanOrEqual(257);
    expect(ids.slice(0, 257)).toEqual(reference.input_ids);
    // Decoding the reference ids gives back a prefix of the text.
    expect(first1500.startsWith(tok.decode(reference.input_ids))).toBe(true);
  });

  it('round-trips the reference greedy text (with and without BOS) and matches run.c encode() literally', () => {
    const text = readFileSync(fixtures.stories260K.referenceGreedy, 'utf8');
    const ids = tok.encode(text);
    expect(tok.decode(ids)).toBe(text);
    expect(tok.decode(tok.encode(text, { bos: false }))).toBe(text);
    expect(ids).toEqual(naiveEncode(tok, text));
  });

  it('falls back to bytes (+3) for characters outside the vocab and decodes them back', () => {
    const text = 'Lily saw a 🐱 and said héllo';
    const ids = tok.encode(text);
    // 🐱 = F0 9F 90 B1: its four byte tokens appear in order.
    const cat = [0xf0, 0x9f, 0x90, 0xb1].map((b) => b + 3);
    const at = ids.findIndex((_, i) => cat.every((c, k) => ids[i + k] === c));
    expect(at).toBeGreaterThan(0);
    expect(tok.decode(ids)).toBe(text);
    expect(ids).toEqual(naiveEncode(tok, text));
  });

  it('adds BOS/EOS as asked; empty text has no dummy prefix', () => {
    expect(tok.encode('')).toEqual([1]);
    expect(tok.encode('', { bos: false })).toEqual([]);
    expect(tok.encode('', { eos: true })).toEqual([1, 2]);
    const ids = tok.encode('Once', { bos: false, eos: true });
    expect(ids.at(-1)).toBe(2);
    expect(ids[0]).not.toBe(1);
  });

  it('decodeToken follows run.c decode(): leading space stripped only after BOS, byte pieces as bytes', () => {
    const [bos, first] = tok.encode('Once');
    expect(bos).toBe(1);
    const piece = new TextDecoder().decode(tok.pieceBytes(first));
    expect(piece.startsWith(' ')).toBe(true);
    expect(tok.decodeToken(1, first)).toBe(piece.slice(1));
    expect(tok.decodeToken(first, first)).toBe(piece);
    expect(tok.decodeToken(5, '\n'.charCodeAt(0) + 3)).toBe('\n');
  });

  it('matches the literal run.c loop on random texts over its own pieces', () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const alphabet = ['a', 'b', 'e', 'h', 't', ' ', 'o', 'n', '.', '\n', 'é', 'L'];
    for (let trial = 0; trial < 30; trial++) {
      let text = '';
      const len = 1 + rand(60);
      for (let i = 0; i < len; i++) text += alphabet[rand(alphabet.length)];
      expect(tok.encode(text)).toEqual(naiveEncode(tok, text));
    }
  });

  it('rejects ids outside the vocab in decode', () => {
    expect(() => tok.decode([1, 512])).toThrow(/ids\[1\]: expected an integer token id in \[0, 512\), got 512/);
    expect(() => tok.decode([0.5])).toThrow(/ids\[0\]/);
  });
});

describe('Llama2cTokenizer merges (hand-worked)', () => {
  // ids: 259 " ", 260 "a", 261 "b", 262 "c", 263 "ab", 264 "bc", 265 " a", 266 "abc"
  const vocab = smallVocab([
    [' ', -1],
    ['a', -1],
    ['b', -1],
    ['c', -1],
    ['ab', -2],
    ['bc', -1],
    [' a', -3],
    ['abc', -0.5],
  ]);
  const tok = Llama2cTokenizer.fromBytes(tokenizerBin(8, vocab));

  it('merges the highest-scored pair first', () => {
    // " " a b c: pairs " a" -3, ab -2, bc -1 → bc; then " a" -3, a+bc = abc -0.5 → abc; " abc" is no piece.
    expect(tok.encode('abc', { bos: false })).toEqual([259, 266]);
    // " " a b a b: " a" -3, ab -2, ba none, ab -2 → leftmost ab, then the other ab; "abab" and " ab" are no pieces.
    expect(tok.encode('abab', { bos: false })).toEqual([259, 263, 263]);
    expect(tok.encode('a', { bos: false })).toEqual([265]);
    // "z" is not a piece: byte fallback 0x7a + 3; its piece "<0x7A>" merges with nothing.
    expect(tok.encode('z', { bos: false })).toEqual([259, 0x7a + 3]);
    // BOS takes part in the merge scan too, but "\n<s>\n " is no piece.
    expect(tok.encode('abc')).toEqual([1, 259, 266]);
  });

  it('breaks score ties by the leftmost pair', () => {
    // ids: 259 " ", 260 "a", 261 "b", 262 "c", 263 "ab", 264 "bc" — ab and bc tie at -1.
    const tied = Llama2cTokenizer.fromBytes(
      tokenizerBin(
        8,
        smallVocab([
          [' ', -5],
          ['a', -5],
          ['b', -5],
          ['c', -5],
          ['ab', -1],
          ['bc', -1],
        ]),
      ),
    );
    expect(tied.encode('abc', { bos: false })).toEqual([259, 263, 262]);
    expect(tied.encode('bcab', { bos: false })).toEqual([259, 264, 263]);
  });

  it('never merges into pieces scored at or below -1e10 (run.c starts its search there)', () => {
    const low = Llama2cTokenizer.fromBytes(
      tokenizerBin(
        8,
        smallVocab([
          [' ', 0],
          ['a', 0],
          ['b', 0],
          ['ab', -1e10],
        ]),
      ),
    );
    expect(low.encode('ab', { bos: false })).toEqual([259, 260, 261]);
  });

  it('decodes with the dummy space stripped and byte pieces reassembled', () => {
    expect(tok.decode([1, 259, 266])).toBe('abc');
    expect(tok.decode([259, 266])).toBe('abc');
    expect(tok.decode([266, 259, 266, 2])).toBe('abc abc');
    expect(tok.decode([266, 1, 265])).toBe('abca');
    // é = C3 A9 as two byte tokens
    expect(tok.decode([1, 0xc3 + 3, 0xa9 + 3])).toBe('é');
    expect(tok.decode([])).toBe('');
  });

  it('reads exactly vocabSize entries when given, ignoring trailing data', () => {
    const t = Llama2cTokenizer.fromBytes(tokenizerBin(8, vocab), { vocabSize: 260 });
    expect(t.vocabSize).toBe(260);
  });
});

describe('Llama2cTokenizer rejects malformed files', () => {
  const good = smallVocab([[' ', -1]]);
  const expectBad = (bytes: Uint8Array, pattern: RegExp, vocabSize?: number) => {
    let error: unknown;
    try {
      Llama2cTokenizer.fromBytes(bytes, { file: 'x.bin', vocabSize });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as ModelLoadError).reason).toBe('BAD_TOKENIZER');
    expect((error as ModelLoadError).message).toMatch(/^x\.bin: /);
    expect((error as ModelLoadError).message).toMatch(pattern);
  };

  it('too short, bad max_token_length, negative or oversize lengths, truncated entries', () => {
    expectBad(new Uint8Array(2), /too short/);
    expectBad(tokenizerBin(0, good), /max_token_length 0/);
    const negative = tokenizerBin(8, good);
    new DataView(negative.buffer).setInt32(4 + 4, -5, true);
    expectBad(negative, /entry 0 has length -5/);
    expectBad(tokenizerBin(5, good), /entry 2 has length 6, expected 0\.\.5/);
    const full = tokenizerBin(8, good);
    expectBad(full.subarray(0, full.length - 1), /entry 259 needs 1 bytes/);
    expectBad(full.subarray(0, full.length - 6), /entry 259 header/);
    expectBad(full, /entry 260 header .* \(vocab size 300 requested\)/, 300);
  });

  it('validates vocabSize', () => {
    expect(() => Llama2cTokenizer.fromBytes(tokenizerBin(8, good), { vocabSize: 2.5 })).toThrow(/vocabSize: expected an integer >= 3, got 2.5/);
  });
});
