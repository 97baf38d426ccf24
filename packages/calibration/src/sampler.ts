/**
 * Seeded calibration windows (docs/SPEC.md §4), drawn with the same `random` calls as the Python reference tools
 * (Wanda/SparseGPT/DaSS get_c4 / get_wikitext2), so a seed picks the same windows given the same tokenizer.
 */
import type { Tokenizer } from '@dass/model-loader';
import { PythonRandom } from './python-random.js';
import { TextSourceError } from './sources-error.js';
import { WIKITEXT_CALIBRATION_JOIN } from './sources.js';
import { InvalidArgumentError } from '@dass/errors';

/**
 * What the sampler needs from a text source (a loaded TextSource fits; `path` only names it in messages). With
 * `wikitextRows` (a WikiText source) the sampler tokenizes the rows joined with `" "` instead of `text`.
 */
export type CalibrationSource =
  { kind: 'text'; text: string; wikitextRows?: readonly string[]; path?: string } | { kind: 'documents'; docs: readonly string[]; path?: string };

export interface SampleCalibrationOptions {
  source: CalibrationSource;
  /** Only `encode(text, { bos: true })` is used. */
  tokenizer: Pick<Tokenizer, 'encode'>;
  nsamples: number;
  seqlen: number;
  /** `random.seed(seed)`: any integer. */
  seed: number | bigint;
}

/** Where one window came from: token offset `start` in the whole text, or in document `doc`. */
export interface CalibrationWindow {
  doc?: number;
  start: number;
}

export interface CalibrationSamples {
  /** Row-major `[nsamples, seqlen]` token ids. */
  inputIds: Int32Array;
  nsamples: number;
  seqlen: number;
  /** One per sample, in order. */
  windows: CalibrationWindow[];
  sampler: 'text' | 'documents';
  /** WikiText sources only: the separator the rows were joined with before tokenizing (`" "`). */
  wikitextJoin?: string;
}

function requirePositiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidArgumentError(name, `expected a positive integer, got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  }
  return value;
}

function encodeWithBos(tokenizer: Pick<Tokenizer, 'encode'>, text: string, what: string): number[] {
  const ids = tokenizer.encode(text, { bos: true });
  if (!Array.isArray(ids)) throw new TypeError(`tokenizer.encode returned ${typeof ids} for ${what}, expected an array of ids`);
  return ids;
}

function copyWindow(ids: readonly number[], start: number, seqlen: number, out: Int32Array, offset: number, what: string): void {
  for (let t = 0; t < seqlen; t++) {
    const id = ids[start + t];
    if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) {
      throw new RangeError(`tokenizer produced id ${String(id)} at token ${start + t} of ${what}; expected a non-negative int32`);
    }
    out[offset + t] = id;
  }
}

/** Draws `nsamples` windows of `seqlen` tokens (see docs/SPEC.md §4 for the exact procedure per source kind). */
export function sampleCalibration(options: SampleCalibrationOptions): CalibrationSamples {
  const { source, tokenizer, seed } = options;
  const nsamples = requirePositiveInteger('nsamples', options.nsamples);
  const seqlen = requirePositiveInteger('seqlen', options.seqlen);
  if (typeof tokenizer?.encode !== 'function') throw new InvalidArgumentError('tokenizer', 'expected an object with an encode(text, options) method');
  if (typeof seed !== 'bigint' && !(typeof seed === 'number' && Number.isSafeInteger(seed))) {
    throw new InvalidArgumentError('seed', `expected an integer, got ${typeof seed === 'string' ? JSON.stringify(seed) : String(seed)}`);
  }
  const name = source?.path ?? 'calibration source';
  // A file too short for one window is the user's input problem (a TextSourceError naming it, whatever its path
  // looks like); an in-memory source without a path is the caller's argument.
  const tooShort = (problem: string): never => {
    if (typeof source?.path === 'string') throw new TextSourceError(source.path, 'TOO_SHORT', problem);
    throw new InvalidArgumentError('source', `${problem}`);
  };
  const inputIds = new Int32Array(nsamples * seqlen);
  const windows: CalibrationWindow[] = [];
  const rng = new PythonRandom(seed);

  if (source?.kind === 'text') {
    // WikiText: the train rows joined with " ", as get_wikitext2 does (`" ".join(traindata['text'])`), not the
    // "\n\n" join of its test split, so the same seed picks the same windows.
    const rows = source.wikitextRows;
    if (rows !== undefined && (!Array.isArray(rows) || rows.some((r) => typeof r !== 'string'))) {
      throw new InvalidArgumentError('source.wikitextRows', 'expected an array of strings');
    }
    const text = rows === undefined ? source.text : rows.join(WIKITEXT_CALIBRATION_JOIN);
    if (typeof text !== 'string') throw new InvalidArgumentError('source.text', 'expected a string');
    const ids = encodeWithBos(tokenizer, text, name);
    if (ids.length < seqlen + 1) {
      tooShort(`has ${ids.length} tokens; a window of seqlen ${seqlen} needs at least ${seqlen + 1}`);
    }
    for (let s = 0; s < nsamples; s++) {
      const start = rng.randint(0, ids.length - seqlen - 1);
      copyWindow(ids, start, seqlen, inputIds, s * seqlen, name);
      windows.push({ start });
    }
    return { inputIds, nsamples, seqlen, windows, sampler: 'text', ...(rows === undefined ? {} : { wikitextJoin: WIKITEXT_CALIBRATION_JOIN }) };
  }

  if (source?.kind === 'documents') {
    const docs = source.docs;
    if (!Array.isArray(docs) || docs.length === 0) throw new InvalidArgumentError('source.docs', `expected a non-empty array of documents (${name})`);
    // Each document is tokenized at most once, whether drawn or scanned.
    const cache = new Map<number, number[]>();
    const tokensOf = (k: number): number[] => {
      let ids = cache.get(k);
      if (ids === undefined) {
        if (typeof docs[k] !== 'string') throw new InvalidArgumentError(`source.docs[${k}]`, `expected a string, got ${typeof docs[k]}`);
        ids = encodeWithBos(tokenizer, docs[k], `document ${k} of ${name}`);
        cache.set(k, ids);
      }
      return ids;
    };
    // The draw loop only ends once some document is long enough: make sure one is, before drawing.
    let longest = 0;
    let anyLongEnough = false;
    for (let k = 0; k < docs.length && !anyLongEnough; k++) {
      const n = tokensOf(k).length;
      longest = Math.max(longest, n);
      anyLongEnough = n > seqlen;
    }
    if (!anyLongEnough) {
      tooShort(
        `none of its ${docs.length} documents is long enough; the longest has ${longest} tokens and a window of seqlen ${seqlen} needs at least ${seqlen + 1}`,
      );
    }
    for (let s = 0; s < nsamples; s++) {
      let doc: number;
      let ids: number[];
      do {
        doc = rng.randint(0, docs.length - 1);
        ids = tokensOf(doc);
      } while (ids.length <= seqlen);
      const start = rng.randint(0, ids.length - seqlen - 1);
      copyWindow(ids, start, seqlen, inputIds, s * seqlen, `document ${doc} of ${name}`);
      windows.push({ doc, start });
    }
    return { inputIds, nsamples, seqlen, windows, sampler: 'documents' };
  }

  throw new InvalidArgumentError('source.kind', `expected "text" or "documents", got ${JSON.stringify((source as { kind?: unknown } | undefined)?.kind)}`);
}
