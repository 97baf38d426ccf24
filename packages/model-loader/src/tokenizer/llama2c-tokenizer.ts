/**
 * The llama2.c tokenizer (`tokenizer.bin`): int32 max_token_length, then per token {f32 score, i32 len, len bytes}.
 * Encoding and decoding follow llama2.c run.c `encode()` / `decode()` exactly, so ids match what the model was
 * trained and evaluated with.
 */
import { sha256Hex } from '../text/sha256.js';
import { ModelLoadError } from '../errors.js';
import type { EncodeOptions, Tokenizer } from '../types.js';
import { PairMergeCache, mergeIdPairs } from './merge-id-pairs.js';
import { checkTokenIds } from './check-token-ids.js';
import { decodeUtf8Lossy } from '../text/exact-utf8.js';
import { InvalidArgumentError } from '@dass/errors';

const BOS_ID = 1;
const EOS_ID = 2;
/** Byte fallback: byte b is token b + 3 (ids 0..2 are <unk>, <s>, </s>). */
const BYTE_OFFSET = 3;
/** run.c starts its best-merge search at -1e10 with a strict `>`, so merges scored at or below it never happen. */
const MIN_MERGE_SCORE = -1e10;
const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;

export interface Llama2cTokenizerOptions {
  /** Number of entries to read (the model's vocab size); default: every entry up to the end of the file. */
  vocabSize?: number;
  /** Name used in error messages. */
  file?: string;
}

/** Bytes as a latin1 string: one char per byte, so string concatenation is byte concatenation. */
function byteString(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

function stringBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const utf8Encoder = new TextEncoder();

export class Llama2cTokenizer implements Tokenizer {
  readonly kind = 'llama2c' as const;
  readonly bosId = BOS_ID;
  readonly eosId = EOS_ID;
  readonly vocabSize: number;
  /** Token pieces as latin1 byte strings (llama2.c stores BOS/EOS as "\n<s>\n" / "\n</s>\n"). */
  private readonly pieces: string[];
  private readonly scores: Float32Array;
  /** Piece -> first id with that piece (llama2.c's bsearch over duplicates is unspecified; first is stable). */
  private readonly idOf = new Map<string, number>();
  /** Byte value each `<0xXX>` piece stands for, -1 otherwise. */
  private readonly byteOf: Int16Array;
  /** The id of each one-byte piece (byte value → id, -1 when not a piece): the common case of encode's first pass. */
  private readonly singleByteId = new Int32Array(256).fill(-1);
  /** What each pair of ids merges into (the piece of their concatenated text), memoized as encode meets pairs. */
  private readonly pairs: PairMergeCache;

  private constructor(
    readonly maxTokenLength: number,
    pieces: string[],
    scores: Float32Array,
    readonly sha256: string,
  ) {
    this.pieces = pieces;
    this.scores = scores;
    this.vocabSize = pieces.length;
    this.byteOf = new Int16Array(pieces.length).fill(-1);
    for (let id = 0; id < pieces.length; id++) {
      if (!this.idOf.has(pieces[id])) this.idOf.set(pieces[id], id);
      if (pieces[id].length === 1 && this.singleByteId[pieces[id].charCodeAt(0)] < 0) this.singleByteId[pieces[id].charCodeAt(0)] = id;
      const m = BYTE_PIECE.exec(pieces[id]);
      if (m) this.byteOf[id] = parseInt(m[1], 16);
    }
    this.pairs = new PairMergeCache(pieces.length, (left, right) => this.idOf.get(pieces[left] + pieces[right]) ?? -1);
  }

  /** Parses a `tokenizer.bin`; throws ModelLoadError(file, 'BAD_TOKENIZER') when it does not fit the format. */
  static fromBytes(bytes: Uint8Array, options: Llama2cTokenizerOptions = {}): Llama2cTokenizer {
    const file = options.file ?? '<tokenizer.bin bytes>';
    if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('bytes', `expected a Uint8Array, got ${typeof bytes}`);
    const { vocabSize } = options;
    if (vocabSize !== undefined && (!Number.isInteger(vocabSize) || vocabSize < 3)) {
      throw new InvalidArgumentError('vocabSize', `expected an integer >= 3, got ${vocabSize}`);
    }
    const bad = (problem: string) => new ModelLoadError(file, 'BAD_TOKENIZER', problem);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < 4) throw bad(`llama2.c tokenizer: ${bytes.length} bytes, too short for the max_token_length header`);
    const maxTokenLength = view.getInt32(0, true);
    if (maxTokenLength <= 0 || maxTokenLength > 65536) {
      throw bad(`llama2.c tokenizer: max_token_length ${maxTokenLength} is not in [1, 65536] (not a tokenizer.bin?)`);
    }
    const pieces: string[] = [];
    const scores: number[] = [];
    let pos = 4;
    while (vocabSize === undefined ? pos < bytes.length : pieces.length < vocabSize) {
      const id = pieces.length;
      if (pos + 8 > bytes.length) {
        throw bad(
          `llama2.c tokenizer: entry ${id} header needs bytes ${pos}..${pos + 8} but the file has ${bytes.length}` +
            (vocabSize === undefined ? '' : ` (vocab size ${vocabSize} requested)`),
        );
      }
      const score = view.getFloat32(pos, true);
      const len = view.getInt32(pos + 4, true);
      if (len < 0 || len > maxTokenLength) {
        throw bad(`llama2.c tokenizer: entry ${id} has length ${len}, expected 0..${maxTokenLength} (max_token_length)`);
      }
      if (Number.isNaN(score)) throw bad(`llama2.c tokenizer: entry ${id} has a NaN score`);
      pos += 8;
      if (pos + len > bytes.length) {
        throw bad(`llama2.c tokenizer: entry ${id} needs ${len} bytes at ${pos} but the file has ${bytes.length}`);
      }
      pieces.push(byteString(bytes.subarray(pos, pos + len)));
      scores.push(score);
      pos += len;
    }
    if (pieces.length < 3) throw bad(`llama2.c tokenizer: ${pieces.length} entries, need at least 3 (<unk>, <s>, </s>)`);
    const sha256 = sha256Hex(bytes);
    return new Llama2cTokenizer(maxTokenLength, pieces, Float32Array.from(scores), sha256);
  }

  /** run.c encode(): BOS, dummy-prefix " ", code points (byte fallback +3), highest-score pair merges, EOS. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    if (typeof text !== 'string') throw new InvalidArgumentError('text', `expected a string, got ${typeof text}`);
    const bos = options.bos ?? true;
    const eos = options.eos ?? false;
    const symbols: number[] = [];
    if (bos) symbols.push(BOS_ID);
    const bytes = utf8Encoder.encode(text);
    if (bytes.length > 0) {
      // run.c pushes whatever str_lookup(" ") returns; a vocab without " " would give -1, so skip it instead.
      const space = this.idOf.get(' ');
      if (space !== undefined) symbols.push(space);
    }
    // Same grouping as run.c: a lead byte starts a code point; up to 4 bytes per lookup.
    let start = 0;
    for (let i = 0; i < bytes.length; i++) {
      if ((bytes[i] & 0xc0) !== 0x80) start = i;
      const len = i - start + 1;
      const nextIsContinuation = i + 1 < bytes.length && (bytes[i + 1] & 0xc0) === 0x80;
      if (nextIsContinuation && len < 4) continue;
      const id = len === 1 ? this.singleByteId[bytes[i]] : (this.idOf.get(byteString(bytes.subarray(start, i + 1))) ?? -1);
      if (id >= 0) symbols.push(id);
      else {
        for (let j = start; j <= i; j++) {
          const byteId = bytes[j] + BYTE_OFFSET;
          if (byteId >= this.vocabSize) {
            throw new InvalidArgumentError(
              'text',
              `byte 0x${bytes[j].toString(16)} needs byte-fallback token ${byteId}, beyond this tokenizer's ${this.vocabSize} tokens`,
            );
          }
          symbols.push(byteId);
        }
      }
      start = i + 1;
    }
    const ids = mergeIdPairs(symbols, this.pairs.merge, this.scores, MIN_MERGE_SCORE);
    if (eos) ids.push(EOS_ID);
    return ids;
  }

  /**
   * Text of the ids: BOS/EOS dropped, leading space stripped after BOS and at the start, `<0xXX>` as raw bytes. Every
   * U+FEFF is kept; bytes that do not form UTF-8 read as U+FFFD (run.c prints the raw bytes).
   */
  decode(ids: readonly number[]): string {
    checkTokenIds(ids, this.vocabSize, 'ids');
    const parts: number[] = [];
    let prev = BOS_ID; // the start reads like the position after BOS, so decode(encode(t)) === t
    for (const id of ids) {
      if (id !== BOS_ID && id !== EOS_ID) {
        const b = this.byteOf[id];
        if (b >= 0) parts.push(b);
        else {
          const piece = this.pieces[id];
          const from = prev === BOS_ID && piece.charCodeAt(0) === 0x20 ? 1 : 0;
          for (let i = from; i < piece.length; i++) parts.push(piece.charCodeAt(i));
        }
      }
      prev = id;
    }
    return decodeUtf8Lossy(Uint8Array.from(parts));
  }

  /**
   * run.c decode(prev, id): the piece, without its leading space after BOS; a `<0xXX>` piece is its byte (a lone
   * byte of a multi-byte character reads as U+FFFD here; use decode() on the whole sequence for exact text).
   */
  decodeToken(prev: number, id: number): string {
    if (!Number.isInteger(prev)) throw new InvalidArgumentError('prev', `expected an integer token id, got ${prev}`);
    checkTokenIds([id], this.vocabSize, 'id');
    const b = this.byteOf[id];
    if (b >= 0) return decodeUtf8Lossy(Uint8Array.of(b));
    let piece = this.pieces[id];
    if (prev === BOS_ID && piece.charCodeAt(0) === 0x20) piece = piece.slice(1);
    return decodeUtf8Lossy(stringBytes(piece));
  }

  /** The piece of `id` as raw bytes (as stored in the file). */
  pieceBytes(id: number): Uint8Array {
    checkTokenIds([id], this.vocabSize, 'id');
    return stringBytes(this.pieces[id]);
  }

  /** The merge score of `id`. */
  score(id: number): number {
    checkTokenIds([id], this.vocabSize, 'id');
    return this.scores[id];
  }
}
