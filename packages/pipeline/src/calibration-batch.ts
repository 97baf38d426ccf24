/**
 * Calibration ids and their provenance (the manifest's `calibration`), and sampling them from a text source already
 * read: shared by Node (`loadCalibration`, from paths) and browsers (bundled, pasted or uploaded text).
 */
import { sampleCalibration } from '@dass/calibration';
import type { TextSource } from '@dass/calibration';
import { checkIdsInVocab, sha256Hex } from '@dass/model-loader';
import type { Tokenizer } from '@dass/model-loader';
import type { z } from 'zod';
import type { CalibrationInfoSchema } from './run-manifest-schema.js';

/** A provenance field an artifact written by another tool did not record. */
export type Unknown = 'unknown';

/** What the run's calibration was, in the run manifest (see `CalibrationInfoSchema`). */
export type CalibrationInfo = z.infer<typeof CalibrationInfoSchema>;

export interface CalibrationBatch {
  inputIds: Int32Array;
  nsamples: number;
  seqlen: number;
  info: CalibrationInfo;
}

/** sha256 of token ids as int32 little-endian bytes. */
export function idsDigest(ids: Int32Array): string {
  return sha256Hex(new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength));
}

/** The last path component (either separator). */
function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

/** How many tokenized texts `calibrationFromText` keeps per process (least recently used first out). */
export const ENCODE_CACHE_ENTRIES = 4;
const encodeCache = new Map<string, number[]>();
let encodeCacheStats = { hits: 0, misses: 0 };

/**
 * The calibration token cache's counters since the last `clearCalibrationEncodeCache()` (entries: texts held now).
 * A grid runs many prune cells on one calibration text in one process: each cell after the first reuses the ids.
 */
export function calibrationEncodeCacheStats(): { hits: number; misses: number; entries: number } {
  return { ...encodeCacheStats, entries: encodeCache.size };
}

/** Empties the calibration token cache and zeroes its counters. */
export function clearCalibrationEncodeCache(): void {
  encodeCache.clear();
  encodeCacheStats = { hits: 0, misses: 0 };
}

/**
 * For a continuous-text source (the whole text is tokenized, the costly case: 0.12 s for 200 KB with the llama2.c
 * tokenizer, more for larger texts, once per prune cell of a grid), `tokenizer` with `encode` memoized per process, keyed by the sha256 of
 * the exact text tokenized, the tokenizer's identity (kind, sha256 of its file, vocabulary size, BOS/EOS ids, which
 * carry what tokenizer_config.json changes) and the encode options. Document sources tokenize only the documents
 * they draw and are not cached. The cached ids are shared: the sampler only reads them.
 */
function withEncodeCache(tokenizer: Tokenizer, source: TextSource): Pick<Tokenizer, 'encode'> {
  if (source?.kind !== 'text' || typeof tokenizer?.sha256 !== 'string' || typeof tokenizer.encode !== 'function') return tokenizer;
  const identity = [tokenizer.kind, tokenizer.sha256, tokenizer.vocabSize, tokenizer.bosId, tokenizer.eosId];
  return {
    encode(text, options) {
      if (typeof text !== 'string') return tokenizer.encode(text, options);
      const key = JSON.stringify([...identity, options ?? null, sha256Hex(text)]);
      const hit = encodeCache.get(key);
      if (hit !== undefined) {
        encodeCache.delete(key); // re-insert: most recently used last
        encodeCache.set(key, hit);
        encodeCacheStats.hits++;
        return hit;
      }
      const ids = tokenizer.encode(text, options);
      encodeCacheStats.misses++;
      if (Array.isArray(ids)) {
        encodeCache.set(key, ids);
        while (encodeCache.size > ENCODE_CACHE_ENTRIES) encodeCache.delete(encodeCache.keys().next().value!);
      }
      return ids;
    },
  };
}

/**
 * Samples `nsamples` windows of `seqlen` tokens from `source` with the seeded sampler (docs/SPEC.md §4) and checks every id
 * against the model's vocabulary (a ModelLoadError naming `tokenizerName` when the tokenizer belongs to another model).
 */
export function calibrationFromText(request: {
  source: TextSource;
  tokenizer: Tokenizer;
  tokenizerName?: string;
  nsamples: number;
  seqlen: number;
  seed: number;
  vocabSize: number;
  /**
   * Reuse the token ids of a continuous text this process tokenized before with the same tokenizer (see
   * `withEncodeCache`; default false). Only for a tokenizer loaded from its file (`loadTokenizer`), whose `sha256`
   * then identifies it; a hand-made tokenizer object may carry any `sha256`.
   */
  cacheEncoding?: boolean;
}): CalibrationBatch {
  const { source, tokenizer } = request;
  const encoder = request.cacheEncoding ? withEncodeCache(tokenizer, source) : tokenizer;
  const samples = sampleCalibration({ source, tokenizer: encoder, nsamples: request.nsamples, seqlen: request.seqlen, seed: request.seed });
  // A tokenizer of another model: a user input error (ModelLoadError naming the tokenizer), caught before any id
  // indexes past the embedding table.
  checkIdsInVocab(samples.inputIds, request.vocabSize, request.tokenizerName ?? `tokenizer (${tokenizer.kind})`);
  return {
    inputIds: samples.inputIds,
    nsamples: samples.nsamples,
    seqlen: samples.seqlen,
    info: {
      source: baseName(source.path),
      sourceSha256: source.sha256,
      kind: samples.sampler,
      tokenizerSha256: tokenizer.sha256,
      nsamples: samples.nsamples,
      seqlen: samples.seqlen,
      seed: request.seed,
      sampler: samples.sampler,
      ...(samples.wikitextJoin === undefined ? {} : { wikitextJoin: samples.wikitextJoin }),
      idsSha256: idsDigest(samples.inputIds),
    },
  };
}
