/**
 * Reads the parts of a SentencePiece `tokenizer.model` (protobuf ModelProto) that encoding needs: the pieces with
 * scores and types, the trainer's model type / byte fallback / special ids, and the normalizer's whitespace flags.
 * Field numbers are those of sentencepiece_model.proto; unknown fields are skipped.
 */
import { ModelLoadError } from '../errors.js';
import { ProtobufError, ProtobufReader } from './protobuf-reader.js';
import { InvalidArgumentError } from '@dass/errors';

export type SentencePieceType = 'normal' | 'unknown' | 'control' | 'user_defined' | 'unused' | 'byte';
export type SentencePieceModelType = 'unigram' | 'bpe' | 'word' | 'char';

export interface SentencePieceEntry {
  piece: string;
  score: number;
  type: SentencePieceType;
}

export interface SentencePieceModel {
  pieces: SentencePieceEntry[];
  trainer: {
    modelType: SentencePieceModelType;
    byteFallback: boolean;
    treatWhitespaceAsSuffix: boolean;
    /** -1 = none */
    unkId: number;
    bosId: number;
    eosId: number;
    padId: number;
  };
  normalizer: {
    name: string;
    /** Whether a precompiled character map (NFKC-like rules) is present. */
    hasCharsMap: boolean;
    addDummyPrefix: boolean;
    removeExtraWhitespaces: boolean;
    escapeWhitespaces: boolean;
  };
}

const PIECE_TYPES: Record<number, SentencePieceType> = {
  1: 'normal',
  2: 'unknown',
  3: 'control',
  4: 'user_defined',
  5: 'unused',
  6: 'byte',
};
const MODEL_TYPES: Record<number, SentencePieceModelType> = { 1: 'unigram', 2: 'bpe', 3: 'word', 4: 'char' };

function readPiece(r: ProtobufReader, index: number, bad: (p: string) => ModelLoadError): SentencePieceEntry {
  let piece: string | undefined;
  let score = 0;
  let type: SentencePieceType = 'normal';
  while (r.next()) {
    if (r.field === 1) piece = r.string();
    else if (r.field === 2) score = r.float();
    else if (r.field === 3) {
      const t = r.int32();
      const name = PIECE_TYPES[t];
      if (name === undefined) throw bad(`piece ${index} has unknown type ${t}`);
      type = name;
    } else r.skip();
  }
  if (piece === undefined) throw bad(`piece ${index} has no text`);
  if (Number.isNaN(score)) throw bad(`piece ${index} (${JSON.stringify(piece)}) has a NaN score`);
  return { piece, score, type };
}

/** Parses ModelProto bytes; throws ModelLoadError(file, 'BAD_TOKENIZER') on malformed or implausible data. */
export function parseSentencePieceModel(bytes: Uint8Array, file = '<tokenizer.model bytes>'): SentencePieceModel {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('bytes', `expected a Uint8Array, got ${typeof bytes}`);
  const bad = (problem: string) => new ModelLoadError(file, 'BAD_TOKENIZER', `SentencePiece model: ${problem}`);
  const model: SentencePieceModel = {
    pieces: [],
    trainer: {
      modelType: 'unigram',
      byteFallback: false,
      treatWhitespaceAsSuffix: false,
      unkId: 0,
      bosId: 1,
      eosId: 2,
      padId: -1,
    },
    normalizer: {
      name: '',
      hasCharsMap: false,
      addDummyPrefix: true,
      removeExtraWhitespaces: true,
      escapeWhitespaces: true,
    },
  };
  try {
    const r = new ProtobufReader(bytes);
    while (r.next()) {
      if (r.field === 1) model.pieces.push(readPiece(r.message(), model.pieces.length, bad));
      else if (r.field === 2) {
        const t = r.message();
        while (t.next()) {
          if (t.field === 3) {
            const v = t.int32();
            const name = MODEL_TYPES[v];
            if (name === undefined) throw bad(`unknown model_type ${v}`);
            model.trainer.modelType = name;
          } else if (t.field === 24) model.trainer.treatWhitespaceAsSuffix = t.bool();
          else if (t.field === 35) model.trainer.byteFallback = t.bool();
          else if (t.field === 40) model.trainer.unkId = t.int32();
          else if (t.field === 41) model.trainer.bosId = t.int32();
          else if (t.field === 42) model.trainer.eosId = t.int32();
          else if (t.field === 43) model.trainer.padId = t.int32();
          else t.skip();
        }
      } else if (r.field === 3) {
        const n = r.message();
        while (n.next()) {
          if (n.field === 1) model.normalizer.name = n.string();
          else if (n.field === 2) model.normalizer.hasCharsMap = n.bytesValue().length > 0;
          else if (n.field === 3) model.normalizer.addDummyPrefix = n.bool();
          else if (n.field === 4) model.normalizer.removeExtraWhitespaces = n.bool();
          else if (n.field === 5) model.normalizer.escapeWhitespaces = n.bool();
          else n.skip();
        }
      } else r.skip();
    }
  } catch (e) {
    if (e instanceof ProtobufError) throw bad(`malformed protobuf (${e.message}); not a tokenizer.model?`);
    throw e;
  }
  if (model.pieces.length === 0) throw bad('no pieces (not a tokenizer.model?)');
  const n = model.pieces.length;
  for (const [name, id] of [
    ['unk_id', model.trainer.unkId],
    ['bos_id', model.trainer.bosId],
    ['eos_id', model.trainer.eosId],
    ['pad_id', model.trainer.padId],
  ] as const) {
    if (id < -1 || id >= n) throw bad(`${name} ${id} is outside the ${n} pieces`);
  }
  return model;
}
