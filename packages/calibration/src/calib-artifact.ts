/**
 * The calibration artifact `calib.safetensors` (SPEC §4): one I32 tensor `input_ids` [nsamples, seqlen] plus
 * `__metadata__` saying where the ids came from, so a run can be repeated or audited from the file alone
 * (e.g. in Python: `safe_open(path, 'pt').metadata()`). Metadata keys in the file are the field names below.
 */
import { basename } from 'node:path';
import { ModelLoadError, openSafetensors, writeSafetensors } from '@dass/model-loader';

export const CALIB_TENSOR_NAME = 'input_ids';

export interface CalibArtifactMetadata {
  /** sha256 (hex) of the source file as stored. */
  sourceSha256: string;
  /** sha256 (hex) of the tokenizer file. */
  tokenizerSha256: string;
  /** The `random.seed` value. */
  seed: number | bigint;
  seqlen: number;
  nsamples: number;
  sampler: 'text' | 'documents';
  /** The source file's base name (no directories, so artifacts do not leak local paths). */
  source: string;
}

export interface CalibArtifactIds {
  /** Row-major [nsamples, seqlen]. */
  inputIds: Int32Array;
  nsamples: number;
  seqlen: number;
}

export interface CalibArtifact extends CalibArtifactIds {
  metadata: CalibArtifactMetadata;
}

const METADATA_KEYS = ['sourceSha256', 'tokenizerSha256', 'seed', 'seqlen', 'nsamples', 'sampler', 'source'] as const;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const INTEGER_TEXT = /^-?(0|[1-9][0-9]*)$/;

const show = (v: unknown): string => (typeof v === 'bigint' ? `${v}n` : typeof v === 'string' ? JSON.stringify(v) : String(v));

function isPositiveInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}

/** First id that is negative (or ≥ vocabSize when given), or -1. */
function firstBadId(ids: Int32Array, vocabSize?: number): number {
  const limit = vocabSize ?? 0x80000000;
  for (let i = 0; i < ids.length; i++) if (ids[i] < 0 || ids[i] >= limit) return i;
  return -1;
}

function describeBadId(ids: Int32Array, at: number, seqlen: number, vocabSize?: number): string {
  const expected = vocabSize === undefined ? 'non-negative' : `in [0, ${vocabSize})`;
  return `input_ids[${Math.floor(at / seqlen)}][${at % seqlen}] = ${ids[at]}, expected ${expected}`;
}

/** Writes `calib.safetensors` atomically (temp file + rename), after checking the ids agree with the metadata. */
export async function writeCalibArtifact(path: string, ids: CalibArtifactIds, metadata: CalibArtifactMetadata): Promise<void> {
  if (typeof path !== 'string' || path === '') throw new TypeError(`path: expected a file path, got ${show(path)}`);
  const { inputIds, nsamples, seqlen } = ids ?? ({} as CalibArtifactIds);
  if (!(inputIds instanceof Int32Array)) throw new TypeError(`inputIds: expected an Int32Array, got ${Object.prototype.toString.call(inputIds)}`);
  if (!isPositiveInteger(nsamples)) throw new RangeError(`nsamples: expected a positive integer, got ${show(nsamples)}`);
  if (!isPositiveInteger(seqlen)) throw new RangeError(`seqlen: expected a positive integer, got ${show(seqlen)}`);
  if (inputIds.length !== nsamples * seqlen) {
    throw new RangeError(`inputIds: expected nsamples × seqlen = ${nsamples} × ${seqlen} = ${nsamples * seqlen} ids, got ${inputIds.length}`);
  }
  const bad = firstBadId(inputIds);
  if (bad >= 0) throw new RangeError(`inputIds: ${describeBadId(inputIds, bad, seqlen)}`);
  validateMetadata(metadata);
  if (metadata.nsamples !== nsamples) throw new RangeError(`metadata.nsamples: ${metadata.nsamples} disagrees with the ids' nsamples ${nsamples}`);
  if (metadata.seqlen !== seqlen) throw new RangeError(`metadata.seqlen: ${metadata.seqlen} disagrees with the ids' seqlen ${seqlen}`);
  const stored: Record<string, string> = {};
  for (const key of METADATA_KEYS) stored[key] = String(metadata[key]);
  await writeSafetensors(path, [{ name: CALIB_TENSOR_NAME, dtype: 'I32', shape: [nsamples, seqlen], data: inputIds }], stored);
}

function validateMetadata(metadata: CalibArtifactMetadata): void {
  if (typeof metadata !== 'object' || metadata === null) throw new TypeError(`metadata: expected an object, got ${show(metadata)}`);
  for (const key of ['sourceSha256', 'tokenizerSha256'] as const) {
    if (typeof metadata[key] !== 'string' || !SHA256_HEX.test(metadata[key])) {
      throw new RangeError(`metadata.${key}: expected 64 lowercase hex digits, got ${show(metadata[key])}`);
    }
  }
  const seed = metadata.seed;
  if (typeof seed !== 'bigint' && !(typeof seed === 'number' && Number.isSafeInteger(seed))) {
    throw new RangeError(`metadata.seed: expected an integer, got ${show(seed)}`);
  }
  if (!isPositiveInteger(metadata.seqlen)) throw new RangeError(`metadata.seqlen: expected a positive integer, got ${show(metadata.seqlen)}`);
  if (!isPositiveInteger(metadata.nsamples)) throw new RangeError(`metadata.nsamples: expected a positive integer, got ${show(metadata.nsamples)}`);
  if (metadata.sampler !== 'text' && metadata.sampler !== 'documents') {
    throw new RangeError(`metadata.sampler: expected "text" or "documents", got ${show(metadata.sampler)}`);
  }
  if (typeof metadata.source !== 'string' || metadata.source === '' || basename(metadata.source) !== metadata.source || metadata.source.includes('\\')) {
    throw new RangeError(`metadata.source: expected the source file's base name (no directories), got ${show(metadata.source)}`);
  }
}

export interface ReadCalibArtifactOptions {
  /** When given, every id must be below it (the model's vocabulary). */
  vocabSize?: number;
}

/** Reads and validates `calib.safetensors` (dtype, shape, metadata, id range). Errors are ModelLoadErrors naming the file. */
export async function readCalibArtifact(path: string, options: ReadCalibArtifactOptions = {}): Promise<CalibArtifact> {
  const { vocabSize } = options ?? {};
  if (vocabSize !== undefined && !isPositiveInteger(vocabSize)) {
    throw new RangeError(`vocabSize: expected a positive integer, got ${show(vocabSize)}`);
  }
  const file = await openSafetensors(path);
  try {
    const fail = (code: ConstructorParameters<typeof ModelLoadError>[1], problem: string): never => {
      throw new ModelLoadError(path, code, problem);
    };
    if (!file.has(CALIB_TENSOR_NAME)) {
      fail('MISSING_TENSOR', `not a calibration artifact: no tensor "${CALIB_TENSOR_NAME}" (has ${file.names().map((n) => JSON.stringify(n)).join(', ') || 'none'})`);
    }
    const info = file.info(CALIB_TENSOR_NAME);
    if (info.dtype !== 'I32') fail('BAD_DTYPE', `tensor "${CALIB_TENSOR_NAME}" is ${info.dtype}, expected I32`);
    if (info.shape.length !== 2 || info.shape[0] <= 0 || info.shape[1] <= 0) {
      fail('BAD_SHAPE', `tensor "${CALIB_TENSOR_NAME}" has shape [${info.shape.join(', ')}], expected [nsamples, seqlen] with both positive`);
    }
    const [nsamples, seqlen] = info.shape;
    const metadata = parseMetadata(file.metadata, fail);
    if (metadata.nsamples !== nsamples || metadata.seqlen !== seqlen) {
      fail('BAD_HEADER', `metadata says nsamples ${metadata.nsamples}, seqlen ${metadata.seqlen} but "${CALIB_TENSOR_NAME}" is [${nsamples}, ${seqlen}]`);
    }
    const { data } = await file.readTyped(CALIB_TENSOR_NAME);
    const inputIds = data as Int32Array;
    const bad = firstBadId(inputIds, vocabSize);
    if (bad >= 0) fail('BAD_VALUE', describeBadId(inputIds, bad, seqlen, vocabSize));
    return { inputIds, nsamples, seqlen, metadata };
  } finally {
    await file.close();
  }
}

function parseMetadata(
  raw: Readonly<Record<string, string>>,
  fail: (code: 'BAD_HEADER', problem: string) => never,
): CalibArtifactMetadata {
  const missing = METADATA_KEYS.filter((k) => typeof raw[k] !== 'string');
  if (missing.length > 0) fail('BAD_HEADER', `__metadata__ lacks ${missing.join(', ')} (not a calibration artifact?)`);
  const positive = (key: 'seqlen' | 'nsamples'): number => {
    const v = raw[key];
    if (!INTEGER_TEXT.test(v) || !isPositiveInteger(Number(v))) fail('BAD_HEADER', `__metadata__.${key}: expected a positive integer, got ${JSON.stringify(v)}`);
    return Number(v);
  };
  for (const key of ['sourceSha256', 'tokenizerSha256'] as const) {
    if (!SHA256_HEX.test(raw[key])) fail('BAD_HEADER', `__metadata__.${key}: expected 64 lowercase hex digits, got ${JSON.stringify(raw[key])}`);
  }
  if (!INTEGER_TEXT.test(raw.seed)) fail('BAD_HEADER', `__metadata__.seed: expected an integer, got ${JSON.stringify(raw.seed)}`);
  const seedBig = BigInt(raw.seed);
  const seed = seedBig >= BigInt(Number.MIN_SAFE_INTEGER) && seedBig <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(seedBig) : seedBig;
  const sampler = raw.sampler;
  if (sampler !== 'text' && sampler !== 'documents') fail('BAD_HEADER', `__metadata__.sampler: expected "text" or "documents", got ${JSON.stringify(sampler)}`);
  if (raw.source === '') fail('BAD_HEADER', '__metadata__.source: expected the source file name, got ""');
  return {
    sourceSha256: raw.sourceSha256,
    tokenizerSha256: raw.tokenizerSha256,
    seed,
    seqlen: positive('seqlen'),
    nsamples: positive('nsamples'),
    sampler: sampler as 'text' | 'documents',
    source: raw.source,
  };
}
