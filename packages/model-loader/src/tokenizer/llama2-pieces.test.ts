// Issue 12 case 3: the SentencePiece reader must give every piece's exact bytes. The reference is llama2.c's
// export of the same LLaMA-2 vocabulary (tokenizer.bin, written by its tokenizer.py from sentencepiece's own
// id_to_piece): per id, the piece with U+2581 replaced by " " and encoded as UTF-8, except BOS/EOS which it stores as
// "\n<s>\n" / "\n</s>\n".
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixtures } from '../test/index.js';
import { Llama2cTokenizer } from './llama2c-tokenizer.js';
import { SentencePieceTokenizer } from './sentencepiece-tokenizer.js';
import { encodeProto } from '../test-support/protobuf-writer.js';
import { ProtobufReader } from './protobuf-reader.js';

const sp = SentencePieceTokenizer.fromBytes(readFileSync(fixtures.llama2Tokenizer.model), { file: 'tokenizer.model' });
const bin = Llama2cTokenizer.fromBytes(readFileSync(fixtures.llama2Tokenizer.bin), { file: 'tokenizer.bin' });
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('LLaMA-2 tokenizer.model pieces vs the llama2.c tokenizer.bin export of the same vocabulary', () => {
  it('holds 32000 entries in both', () => {
    expect(sp.vocabSize).toBe(32000);
    expect(bin.vocabSize).toBe(32000);
  });

  it("every piece of tokenizer.model has the same bytes (and score) as tokenizer.bin's piece of the same id", () => {
    const enc = new TextEncoder();
    const mismatches: string[] = [];
    for (let id = 0; id < sp.vocabSize; id++) {
      const text = id === sp.bosId ? '\n<s>\n' : id === sp.eosId ? '\n</s>\n' : sp.piece(id).replaceAll('\u2581', ' ');
      const got = enc.encode(text);
      const want = bin.pieceBytes(id);
      if (hex(got) !== hex(want)) mismatches.push(`id ${id}: model ${hex(got)} vs bin ${hex(want)}`);
      if (Math.fround(sp.model.pieces[id].score) !== bin.score(id)) mismatches.push(`id ${id}: score`);
    }
    expect(mismatches).toEqual([]);
  });

  it('piece 30143 is U+FEFF (bytes EF BB BF), not the empty string a BOM-stripping decoder gives', () => {
    expect(sp.piece(30143)).toBe('\uFEFF');
    expect(hex(bin.pieceBytes(30143))).toBe('efbbbf');
  });

  it('"a\\uFEFFb" encodes to [1, 263, 30143, 29890] with both (what sentencepiece gives)', () => {
    expect(sp.encode('a\uFEFFb')).toEqual([1, 263, 30143, 29890]);
    expect(bin.encode('a\uFEFFb')).toEqual([1, 263, 30143, 29890]);
  });

  it('decodes U+FEFF back, at the start and inside, from the piece and from byte pieces', () => {
    expect(sp.decode([1, 263, 30143, 29890])).toBe('a\uFEFFb');
    expect(bin.decode([1, 263, 30143, 29890])).toBe('a\uFEFFb');
    // At the very start: a decoder without ignoreBOM would drop it here.
    expect(sp.decode([30143, 29890])).toBe('\uFEFFb');
    expect(bin.decode([30143, 29890])).toBe('\uFEFFb');
    // Byte pieces <0xEF><0xBB><0xBF> are ids 0xEF+3 ... in both vocabularies.
    const bomBytes = [0xef + 3, 0xbb + 3, 0xbf + 3];
    expect(sp.decode(bomBytes)).toBe('\uFEFF');
    expect(bin.decode(bomBytes)).toBe('\uFEFF');
    expect(sp.decode([1, 30143])).toBe('\uFEFF');
  });

  it('round-trips texts starting with or holding U+FEFF', () => {
    for (const text of ['\uFEFF', '\uFEFFHello', 'x \uFEFF\uFEFF y']) {
      expect(sp.decode(sp.encode(text))).toBe(text);
      expect(bin.decode(bin.encode(text))).toBe(text);
    }
  });
});

describe('ProtobufReader.string is exact', () => {
  it('keeps a leading U+FEFF', () => {
    const r = new ProtobufReader(encodeProto([[1, { bytes: Uint8Array.of(0xef, 0xbb, 0xbf, 0x61) }]]));
    r.next();
    expect(r.string()).toBe('\uFEFFa');
  });
});
