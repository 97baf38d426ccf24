import type { z } from 'zod';
import type { CalibrationInfoSchema } from './run-manifest-schema.js';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { loadTextSource, readCalibArtifact, sampleCalibration } from '@dass/calibration';
import type { TextSourceFormat } from '@dass/calibration';
import { checkIdsInVocab } from '@dass/model-loader';
import type { Tokenizer } from '@dass/model-loader';
import { InvalidArgumentError } from '@dass/errors';

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
}

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

export function isCalibArtifactPath(path: string): boolean {
  return path.endsWith('.safetensors');
}

function idsDigest(ids: Int32Array): string {
  return createHash('sha256')
    .update(new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength))
    .digest('hex');
}

/** Calibration ids from an artifact (as written by `dass calib`) or freshly sampled from text with the seeded sampler. */
export async function loadCalibration(request: CalibrationRequest): Promise<CalibrationBatch> {
  if (isCalibArtifactPath(request.calib)) {
    const artifact = await readCalibArtifact(request.calib, { vocabSize: request.vocabSize });
    const sourceSha256 = createHash('sha256')
      .update(await readFile(request.calib))
      .digest('hex');
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
  const samples = sampleCalibration({
    source,
    tokenizer: request.tokenizer,
    nsamples: request.nsamples,
    seqlen: request.seqlen,
    seed: request.seed,
  });
  // A tokenizer of another model: a user input error (ModelLoadError naming the tokenizer), caught before any id
  // indexes past the embedding table.
  checkIdsInVocab(samples.inputIds, request.vocabSize, request.tokenizerPath ?? `tokenizer (${request.tokenizer.kind})`);
  return {
    inputIds: samples.inputIds,
    nsamples: samples.nsamples,
    seqlen: samples.seqlen,
    info: {
      source: basename(request.calib),
      sourceSha256: source.sha256,
      kind: samples.sampler,
      tokenizerSha256: request.tokenizer.sha256,
      nsamples: samples.nsamples,
      seqlen: samples.seqlen,
      seed: request.seed,
      sampler: samples.sampler,
      ...(samples.wikitextJoin === undefined ? {} : { wikitextJoin: samples.wikitextJoin }),
      idsSha256: idsDigest(samples.inputIds),
    },
  };
}
