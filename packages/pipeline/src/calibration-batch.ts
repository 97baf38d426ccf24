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
}): CalibrationBatch {
  const { source, tokenizer } = request;
  const samples = sampleCalibration({ source, tokenizer, nsamples: request.nsamples, seqlen: request.seqlen, seed: request.seed });
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
