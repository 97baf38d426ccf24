import { readFile } from 'node:fs/promises';
import { loadTextSource, readCalibArtifact } from '@dass/calibration';
import type { TextSourceFormat } from '@dass/calibration';
import { sha256Hex } from '@dass/model-loader';
import type { Tokenizer } from '@dass/model-loader';
import { InvalidArgumentError } from '@dass/errors';
import { calibrationFromText, idsDigest } from './calibration-batch.js';
import type { CalibrationBatch } from './calibration-batch.js';

export type { CalibrationBatch, CalibrationInfo, Unknown } from './calibration-batch.js';

export interface CalibrationRequest {
  /** A text / JSON-lines / .json.gz source, or a `calib.safetensors` artifact. */
  calib: string;
  format?: TextSourceFormat;
  tokenizer?: Tokenizer;
  /** Where `tokenizer` came from (its file or model folder), named when its ids do not fit the model. */
  tokenizerPath?: string;
  nsamples: number;
  seqlen: number;
  seed: number;
  vocabSize: number;
  /** Reuse token ids this process already has for the same text and tokenizer (`calibrationFromText`'s `cacheEncoding`). */
  cacheEncoding?: boolean;
}

export function isCalibArtifactPath(path: string): boolean {
  return path.endsWith('.safetensors');
}

/** Calibration ids from an artifact (as written by `dass calib`) or freshly sampled from text with the seeded sampler. */
export async function loadCalibration(request: CalibrationRequest): Promise<CalibrationBatch> {
  if (isCalibArtifactPath(request.calib)) {
    const artifact = await readCalibArtifact(request.calib, { vocabSize: request.vocabSize });
    const sourceSha256 = sha256Hex(await readFile(request.calib));
    const m = artifact.metadata;
    return {
      inputIds: artifact.inputIds,
      nsamples: artifact.nsamples,
      seqlen: artifact.seqlen,
      info: {
        source: request.calib,
        sourceSha256,
        kind: 'artifact',
        tokenizerSha256: m.tokenizerSha256 ?? 'unknown',
        nsamples: artifact.nsamples,
        seqlen: artifact.seqlen,
        seed: m.seed === undefined ? 'unknown' : Number(m.seed),
        sampler: `artifact of ${m.source ?? 'an unknown source'} (${m.sampler ?? 'unknown sampler'})`,
        ...(m.wikitextJoin === undefined ? {} : { wikitextJoin: m.wikitextJoin }),
        idsSha256: idsDigest(artifact.inputIds),
        artifact: {
          dtype: artifact.dtype,
          metadata: artifact.metadataStyle,
          textSha256: m.sourceSha256 ?? 'unknown',
          textSource: m.source ?? 'unknown',
          unknown: artifact.unknown,
        },
      },
    };
  }
  if (!request.tokenizer) throw new InvalidArgumentError('calib', (name) => `sampling ${request.calib} needs a tokenizer (pass ${name('tokenizer')})`);
  const source = await loadTextSource(request.calib, request.format ?? 'auto');
  return calibrationFromText({
    source,
    tokenizer: request.tokenizer,
    tokenizerName: request.tokenizerPath,
    nsamples: request.nsamples,
    seqlen: request.seqlen,
    seed: request.seed,
    vocabSize: request.vocabSize,
    cacheEncoding: request.cacheEncoding,
  });
}
