/**
 * Opens whichever tokenizer a user points at: a llama2.c `.bin`, a SentencePiece `.model`, a Hugging Face `.json`,
 * or a model directory holding one of them (tokenizer.json preferred, as transformers does).
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { emptyFileProblem } from '../empty-file.js';
import { ModelLoadError } from '../errors.js';
import type { Tokenizer } from '../types.js';
import { tokenizerFromBytes } from './tokenizer-from-bytes.js';
import { InvalidArgumentError } from '@dass/errors';

/** Looked for, in this order, when `path` is a directory. */
export const TOKENIZER_FILE_NAMES = ['tokenizer.json', 'tokenizer.model', 'tokenizer.bin'] as const;

export interface LoadTokenizerOptions {
  /** The model's vocab size: how many entries a llama2.c tokenizer.bin holds (default: all up to EOF). */
  vocabSize?: number;
}

async function kindOf(path: string): Promise<'file' | 'dir' | undefined> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : 'file';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw new ModelLoadError(path, 'IO', `cannot stat: ${(e as Error).message}`);
  }
}

/** Far above any real tokenizer (large-vocabulary tokenizer.json files are tens of MB); checked before reading. */
const TOKENIZER_SIZE_CAP = 200_000_000;

async function readBytes(path: string): Promise<Uint8Array> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    throw new ModelLoadError(path, 'IO', `cannot read: ${(e as Error).message}`);
  }
  if (size > TOKENIZER_SIZE_CAP)
    throw new ModelLoadError(path, 'BAD_TOKENIZER', `is ${size} bytes, over the ${TOKENIZER_SIZE_CAP}-byte cap for a tokenizer file`);
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new ModelLoadError(path, 'IO', `cannot read: ${(e as Error).message}`);
  }
}

/**
 * `readBytes`, refusing an empty file (and, for a text format, one of only whitespace) with one wording for every
 * loader. A binary format's whitespace bytes are data, judged by its parser.
 */
async function readNonEmpty(path: string, expected: string, text = false): Promise<Uint8Array> {
  const bytes = await readBytes(path);
  const empty = text ? emptyFileProblem(bytes, expected) : bytes.length === 0 ? emptyFileProblem(bytes, expected) : undefined;
  if (empty !== undefined) throw new ModelLoadError(path, 'BAD_TOKENIZER', empty);
  return bytes;
}

/** Loads a tokenizer from a file or a model directory; every failure is a ModelLoadError naming the file. */
export async function loadTokenizer(path: string, opts: LoadTokenizerOptions = {}): Promise<Tokenizer> {
  if (typeof path !== 'string' || path.length === 0) {
    throw new InvalidArgumentError('path', `expected a tokenizer file or model directory, got ${JSON.stringify(path)}`);
  }
  if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('opts', `expected an object, got ${opts}`);
  const { vocabSize } = opts;
  if (vocabSize !== undefined && (!Number.isInteger(vocabSize) || vocabSize <= 0)) {
    throw new InvalidArgumentError('opts.vocabSize', `expected a positive integer, got ${vocabSize}`);
  }

  const kind = await kindOf(path);
  if (kind === undefined) throw new ModelLoadError(path, 'NOT_FOUND', 'no such file or directory');
  let file = path;
  if (kind === 'dir') {
    let found: string | undefined;
    for (const name of TOKENIZER_FILE_NAMES) {
      if ((await kindOf(join(path, name))) === 'file') {
        found = join(path, name);
        break;
      }
    }
    if (found === undefined) {
      throw new ModelLoadError(path, 'NOT_FOUND', `no tokenizer in this directory (looked for ${TOKENIZER_FILE_NAMES.join(', ')})`);
    }
    file = found;
  }

  const ext = extname(file).toLowerCase();
  if (ext === '.bin') return tokenizerFromBytes(file, await readNonEmpty(file, 'a llama2.c tokenizer'), { vocabSize });
  if (ext === '.model') return tokenizerFromBytes(file, await readNonEmpty(file, 'a SentencePiece model'), { vocabSize });
  if (ext === '.json') {
    if (basename(file) === 'tokenizer_config.json') return tokenizerFromBytes(file, new Uint8Array(0));
    const configPath = join(dirname(file), 'tokenizer_config.json');
    const config = (await kindOf(configPath)) === 'file' ? await readNonEmpty(configPath, 'the JSON tokenizer settings', true) : undefined;
    return tokenizerFromBytes(file, await readNonEmpty(file, 'a tokenizers JSON file', true), { vocabSize, config, configFile: configPath });
  }
  return tokenizerFromBytes(file, new Uint8Array(0));
}
