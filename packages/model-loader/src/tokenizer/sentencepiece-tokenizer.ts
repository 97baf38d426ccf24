/**
 * SentencePiece BPE (`tokenizer.model`, as LLaMA-1/2 and Mistral ship it), encoding like sentencepiece's BPE model
 * and llama.cpp's `llm_tokenizer_spm`: normalise whitespace, split into characters, merge the adjacent pair whose
 * concatenation is the best-scored piece (ties: leftmost) until none is left, then emit ids with byte fallback.
 */
import { sha256Hex } from '../text/sha256.js';
import { ModelLoadError } from '../errors.js';
import type { EncodeOptions, Tokenizer } from '../types.js';
import { checkTokenIds } from './check-token-ids.js';
import { decodeUtf8Lossy } from '../text/exact-utf8.js';
import { mergeByScore, type MergeSymbol } from './merge-by-score.js';
import { parseSentencePieceModel, type SentencePieceModel, type SentencePieceType } from './sentencepiece-model.js';
import { InvalidArgumentError } from '@dass/errors';

/** U+2581 LOWER ONE EIGHTH BLOCK: SentencePiece's visible space. */
const SPACE_SYMBOL = '\u2581';
/** What sentencepiece decodes an unknown piece to. */
const UNK_SURFACE = ' \u2047 ';

export interface SentencePieceTokenizerOptions {
  /** Name used in error messages. */
  file?: string;
}

const utf8Encoder = new TextEncoder();

export class SentencePieceTokenizer implements Tokenizer {
  readonly kind = 'sentencepiece' as const;
  readonly vocabSize: number;
  /** BOS id from the trainer spec (-1 when the model has none; then `bos` adds nothing). */
  readonly bosId: number;
  /** EOS id from the trainer spec (-1 when the model has none; then `eos` adds nothing). */
  readonly eosId: number;
  readonly unkId: number;
  private readonly pieces: string[];
  private readonly types: SentencePieceType[];
  private readonly scores: Float32Array;
  /** Every piece text -> id (first wins). */
  private readonly idOf = new Map<string, number>();
  /** Byte value b -> id of its `<0xXX>` piece (-1 when absent). */
  private readonly byteIds = new Int32Array(256).fill(-1);
  /** Byte value of each byte piece, -1 otherwise. */
  private readonly byteOf: Int16Array;
  /** User-defined pieces, longest first: matched whole before merging, as sentencepiece's prefix matcher does. */
  private readonly userDefined: string[];

  private constructor(
    readonly model: SentencePieceModel,
    readonly sha256: string,
  ) {
    const n = model.pieces.length;
    this.vocabSize = n;
    this.bosId = model.trainer.bosId;
    this.eosId = model.trainer.eosId;
    this.unkId = model.trainer.unkId;
    this.pieces = model.pieces.map((p) => p.piece);
    this.types = model.pieces.map((p) => p.type);
    this.scores = Float32Array.from(model.pieces, (p) => p.score);
    this.byteOf = new Int16Array(n).fill(-1);
    for (let id = 0; id < n; id++) {
      if (!this.idOf.has(this.pieces[id])) this.idOf.set(this.pieces[id], id);
      if (this.types[id] === 'byte') {
        const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(this.pieces[id]);
        if (m) {
          const b = parseInt(m[1], 16);
          this.byteOf[id] = b;
          if (this.byteIds[b] < 0) this.byteIds[b] = id;
        }
      }
    }
    this.userDefined = this.pieces.filter((_, id) => this.types[id] === 'user_defined' && this.pieces[id].length > 0);
    this.userDefined.sort((a, b) => b.length - a.length);
  }

  /**
   * Parses a `tokenizer.model`. Throws ModelLoadError 'BAD_TOKENIZER' for malformed data and 'UNSUPPORTED' for
   * what this encoder does not implement (unigram models, non-identity normalisers, whitespace-as-suffix).
   */
  static fromBytes(bytes: Uint8Array, options: SentencePieceTokenizerOptions = {}): SentencePieceTokenizer {
    const file = options.file ?? '<tokenizer.model bytes>';
    const model = parseSentencePieceModel(bytes, file);
    const unsupported = (problem: string) => new ModelLoadError(file, 'UNSUPPORTED', `SentencePiece model: ${problem}`);
    if (model.trainer.modelType !== 'bpe') {
      throw unsupported(`model_type ${model.trainer.modelType}; only BPE is supported (use tokenizer.json instead)`);
    }
    if (model.normalizer.hasCharsMap || (model.normalizer.name !== '' && model.normalizer.name !== 'identity')) {
      throw unsupported(`normalizer "${model.normalizer.name}" with character rules; only "identity" is supported (use tokenizer.json instead)`);
    }
    if (model.trainer.treatWhitespaceAsSuffix) throw unsupported('treat_whitespace_as_suffix is not supported');
    if (model.trainer.unkId < 0) throw new ModelLoadError(file, 'BAD_TOKENIZER', 'SentencePiece model: unk_id is -1');
    const sha256 = sha256Hex(bytes);
    const tokenizer = new SentencePieceTokenizer(model, sha256);
    const missing = tokenizer.byteIds.indexOf(-1);
    if (model.trainer.byteFallback && missing >= 0) {
      const piece = `<0x${missing.toString(16).toUpperCase().padStart(2, '0')}>`;
      throw new ModelLoadError(file, 'BAD_TOKENIZER', `SentencePiece model: byte_fallback is on but byte piece ${piece} is missing`);
    }
    return tokenizer;
  }

  /** The normalised text the merges run on: whitespace rules, dummy prefix, spaces as U+2581. */
  normalize(text: string): string {
    if (typeof text !== 'string') throw new InvalidArgumentError('text', `expected a string, got ${typeof text}`);
    const spec = this.model.normalizer;
    let s = text;
    if (spec.removeExtraWhitespaces) s = s.replace(/ +/g, ' ').replace(/^ | $/g, '');
    if (s.length === 0) return '';
    if (spec.addDummyPrefix) s = ' ' + s;
    if (spec.escapeWhitespaces) s = s.replaceAll(' ', SPACE_SYMBOL);
    return s;
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const normalized = this.normalize(text);
    const ids: number[] = [];
    if ((options.bos ?? true) && this.bosId >= 0) ids.push(this.bosId);
    if (normalized.length > 0) {
      const merged = mergeByScore(this.initialSymbols(normalized), (piece) => {
        const id = this.idOf.get(piece);
        if (id === undefined) return undefined;
        const type = this.types[id];
        // sentencepiece merges only into normal, user-defined and unused pieces (unused ones are split back below).
        if (type !== 'normal' && type !== 'user_defined' && type !== 'unused') return undefined;
        return { id, score: this.scores[id] };
      });
      for (const s of merged) this.emit(s, ids);
    }
    if ((options.eos ?? false) && this.eosId >= 0) ids.push(this.eosId);
    return ids;
  }

  /** Characters (code points), with user-defined pieces kept whole (longest match). */
  private initialSymbols(s: string): MergeSymbol[] {
    const out: MergeSymbol[] = [];
    let i = 0;
    outer: while (i < s.length) {
      for (const u of this.userDefined) {
        if (s.startsWith(u, i)) {
          out.push({ text: u, id: -1 });
          i += u.length;
          continue outer;
        }
      }
      const cp = s.codePointAt(i) as number;
      const ch = String.fromCodePoint(cp);
      out.push({ text: ch, id: -1 });
      i += ch.length;
    }
    return out;
  }

  private emit(s: MergeSymbol, ids: number[]): void {
    const id = this.idOf.get(s.text);
    const type = id === undefined ? undefined : this.types[id];
    if (id !== undefined && (type === 'normal' || type === 'user_defined')) {
      ids.push(id);
    } else if (type === 'unused' && s.parts) {
      this.emit(s.parts[0], ids);
      this.emit(s.parts[1], ids);
    } else if (type === 'unused') {
      ids.push(id as number); // sentencepiece emits an unsplittable unused piece as is
    } else if (this.model.trainer.byteFallback) {
      for (const b of utf8Encoder.encode(s.text)) ids.push(this.byteIds[b]);
    } else {
      ids.push(this.unkId);
    }
  }

  /**
   * Pieces joined: control pieces dropped, byte pieces reassembled, U+2581 as space, the dummy-prefix space removed.
   * Every U+FEFF is kept; bytes that do not form UTF-8 read as U+FFFD (as sentencepiece's DecodeIds).
   */
  decode(ids: readonly number[]): string {
    checkTokenIds(ids, this.vocabSize, 'ids');
    const bytes: number[] = [];
    let atStart = true;
    for (const id of ids) {
      const type = this.types[id];
      if (type === 'control') continue;
      if (type === 'byte' && this.byteOf[id] >= 0) {
        bytes.push(this.byteOf[id]);
        atStart = false;
        continue;
      }
      // Only the very first piece loses its dummy-prefix space (as HF's Strip decoder does), so a text that
      // began with spaces round-trips; sentencepiece itself would strip again after an empty first piece.
      const text = this.pieceText(id, atStart);
      atStart = false;
      for (const b of utf8Encoder.encode(text)) bytes.push(b);
    }
    return decodeUtf8Lossy(Uint8Array.from(bytes));
  }

  /** One token's text after `prev`: leading space dropped after BOS; a byte piece alone reads as its byte. */
  decodeToken(prev: number, id: number): string {
    if (!Number.isInteger(prev)) throw new InvalidArgumentError('prev', `expected an integer token id, got ${prev}`);
    checkTokenIds([id], this.vocabSize, 'id');
    if (this.types[id] === 'control') return '';
    if (this.types[id] === 'byte' && this.byteOf[id] >= 0) return decodeUtf8Lossy(Uint8Array.of(this.byteOf[id]));
    return this.pieceText(id, prev === this.bosId);
  }

  /** The piece text of `id` as stored (with U+2581 for spaces). */
  piece(id: number): string {
    checkTokenIds([id], this.vocabSize, 'id');
    return this.pieces[id];
  }

  private pieceText(id: number, stripLeadingSpace: boolean): string {
    if (this.types[id] === 'unknown') return UNK_SURFACE;
    let piece = this.pieces[id];
    if (stripLeadingSpace && this.model.normalizer.addDummyPrefix && piece.startsWith(SPACE_SYMBOL)) piece = piece.slice(1);
    return this.model.normalizer.escapeWhitespaces ? piece.replaceAll(SPACE_SYMBOL, ' ') : piece;
  }
}
