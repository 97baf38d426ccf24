/**
 * A tokenizer from bytes already in memory, dispatched on the file name's extension: the part of `loadTokenizer`
 * that needs no file system, shared by Node (`loadTokenizer` reads the files) and browsers (uploaded `File`s).
 */
import { emptyFileProblem } from '../empty-file.js';
import { InvalidArgumentError } from '@dass/errors';
import { ModelLoadError } from '../errors.js';
import type { Tokenizer } from '../types.js';
import { HfJsonTokenizer } from './hf-json-tokenizer.js';
import { Llama2cTokenizer } from './llama2c-tokenizer.js';
import { SentencePieceTokenizer } from './sentencepiece-tokenizer.js';

export interface TokenizerBytesOptions {
  /** The model's vocab size: how many entries a llama2.c tokenizer.bin holds (default: all up to EOF). */
  vocabSize?: number;
  /** For a `.json` tokenizer: the bytes of its `tokenizer_config.json`, when there is one. */
  config?: Uint8Array;
  /** What messages call that config (default: `tokenizer_config.json`). */
  configFile?: string;
}

function extensionOf(name: string): string {
  const base = baseName(name);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

function baseName(name: string): string {
  return name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
}

function nonEmpty(file: string, bytes: Uint8Array, expected: string, text: boolean): Uint8Array {
  const empty = text ? emptyFileProblem(bytes, expected) : bytes.length === 0 ? emptyFileProblem(bytes, expected) : undefined;
  if (empty !== undefined) throw new ModelLoadError(file, 'BAD_TOKENIZER', empty);
  return bytes;
}

/**
 * Parses a tokenizer file's bytes by the extension of `file`: `.bin` llama2.c, `.model` SentencePiece, `.json`
 * Hugging Face tokenizers. Every failure is a ModelLoadError naming `file` (empty file, unknown extension,
 * malformed contents).
 */
export function tokenizerFromBytes(file: string, bytes: Uint8Array, opts: TokenizerBytesOptions = {}): Tokenizer {
  const { vocabSize } = opts;
  if (vocabSize !== undefined && (!Number.isInteger(vocabSize) || vocabSize <= 0)) {
    throw new InvalidArgumentError('opts.vocabSize', `expected a positive integer, got ${vocabSize}`);
  }
  const ext = extensionOf(file);
  if (ext === '.bin') return Llama2cTokenizer.fromBytes(nonEmpty(file, bytes, 'a llama2.c tokenizer', false), { file, vocabSize });
  if (ext === '.model') return SentencePieceTokenizer.fromBytes(nonEmpty(file, bytes, 'a SentencePiece model', false), { file });
  if (ext === '.json') {
    if (baseName(file) === 'tokenizer_config.json') {
      throw new ModelLoadError(file, 'UNSUPPORTED', 'tokenizer_config.json holds settings only; give tokenizer.json or the model directory');
    }
    const configFile = opts.configFile ?? 'tokenizer_config.json';
    const config = opts.config === undefined ? undefined : nonEmpty(configFile, opts.config, 'the JSON tokenizer settings', true);
    return HfJsonTokenizer.fromBytes(nonEmpty(file, bytes, 'a tokenizers JSON file', true), config, { file, configFile });
  }
  throw new ModelLoadError(
    file,
    'UNSUPPORTED',
    `unknown tokenizer type "${ext || baseName(file)}": expected a llama2.c .bin, a SentencePiece .model or a tokenizers .json`,
  );
}
