/**
 * The calibration artifact `calib.safetensors` (docs/SPEC.md §4; the contract is in this package's README): one tensor
 * `input_ids` [nsamples, seqlen] plus `__metadata__` saying where the ids came from, so a run can be repeated or
 * audited from the file alone (e.g. in Python: `safe_open(path, 'pt').metadata()`). We write I32 and the camelCase
 * keys below; files written by other tools (I32 or I64 ids, snake_case keys or no metadata) are read too, and what
 * they do not say is reported as unknown.
 */
import { basename } from 'node:path';
import { assertOutputApartFromInputs, assertReplaceableOutput, ModelLoadError, openSafetensors, writeSafetensors } from '@dass/model-loader';
import type { NamedPath } from '@dass/model-loader';
import { InvalidArgumentError } from '@dass/errors';

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
  /** WikiText sources only: the separator the rows were joined with before tokenizing (`" "`, as get_wikitext2). */
  wikitextJoin?: string;
}

export interface CalibArtifactIds {
  /** Row-major [nsamples, seqlen]. */
  inputIds: Int32Array;
  nsamples: number;
  seqlen: number;
}

const METADATA_KEYS = ['sourceSha256', 'tokenizerSha256', 'seed', 'seqlen', 'nsamples', 'sampler', 'source'] as const;
type MetadataKey = (typeof METADATA_KEYS)[number] | 'wikitextJoin';
/** Written by writeCalibArtifact: marks a file as ours, so every key is required and checked on reading. */
export const CALIB_FORMAT_KEY = 'format';
export const CALIB_FORMAT = 'dass-ts/calib-v1';
/** The snake_case names other tools use for our keys (Python style), accepted on reading. */
const SNAKE_CASE_ALIASES: Readonly<Record<MetadataKey, readonly string[]>> = {
  sourceSha256: ['source_sha256'],
  tokenizerSha256: ['tokenizer_sha256'],
  seed: [],
  seqlen: ['seq_len'],
  nsamples: ['n_samples', 'num_samples'],
  sampler: [],
  source: [],
  wikitextJoin: ['wikitext_join'],
};
const SHA256_HEX = /^[0-9a-f]{64}$/;
const INTEGER_TEXT = /^-?(0|[1-9][0-9]*)$/;

const show = (v: unknown): string => (typeof v === 'bigint' ? `${v}n` : typeof v === 'string' ? JSON.stringify(v) : String(v));

function isPositiveInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}

/** First id that is negative (or ≥ vocabSize when given), or -1. */
function firstBadId(ids: Int32Array | BigInt64Array, vocabSize?: number): number {
  if (ids instanceof BigInt64Array) {
    const limit = BigInt(vocabSize ?? 0x80000000);
    for (let i = 0; i < ids.length; i++) if (ids[i] < 0n || ids[i] >= limit) return i;
    return -1;
  }
  const limit = vocabSize ?? 0x80000000;
  for (let i = 0; i < ids.length; i++) if (ids[i] < 0 || ids[i] >= limit) return i;
  return -1;
}

function describeBadId(ids: Int32Array | BigInt64Array, at: number, seqlen: number, vocabSize?: number): string {
  const expected = vocabSize !== undefined ? `in [0, ${vocabSize})` : ids[at] < 0 ? 'non-negative' : 'below 2^31 (an int32 token id)';
  return `input_ids[${Math.floor(at / seqlen)}][${at % seqlen}] = ${ids[at]}, expected ${expected}`;
}

export interface WriteCalibArtifactOptions {
  /**
   * The files the artifact was made from (text, tokenizer, model), named as the caller knows them: `path` may not
   * be, contain or lie inside any of them (OutputPathError naming both, before anything is written).
   */
  inputs?: readonly NamedPath[];
}

/**
 * Writes `calib.safetensors` atomically (temp file + rename), after checking the ids agree with the metadata. An
 * existing `path` is replaced only when it is a safetensors file (a previous artifact); anything else (a text, a
 * folder) is an OutputPathError, as is a `path` that is one of `options.inputs`.
 */
export async function writeCalibArtifact(
  path: string,
  ids: CalibArtifactIds,
  metadata: CalibArtifactMetadata,
  options: WriteCalibArtifactOptions = {},
): Promise<void> {
  if (typeof path !== 'string' || path === '') throw new InvalidArgumentError('path', `expected a file path, got ${show(path)}`);
  const { inputIds, nsamples, seqlen } = ids ?? ({} as CalibArtifactIds);
  if (!(inputIds instanceof Int32Array)) throw new InvalidArgumentError('inputIds', `expected an Int32Array, got ${Object.prototype.toString.call(inputIds)}`);
  if (!isPositiveInteger(nsamples)) throw new InvalidArgumentError('nsamples', `expected a positive integer, got ${show(nsamples)}`);
  if (!isPositiveInteger(seqlen)) throw new InvalidArgumentError('seqlen', `expected a positive integer, got ${show(seqlen)}`);
  if (inputIds.length !== nsamples * seqlen) {
    throw new InvalidArgumentError('inputIds', `expected nsamples × seqlen = ${nsamples} × ${seqlen} = ${nsamples * seqlen} ids, got ${inputIds.length}`);
  }
  const bad = firstBadId(inputIds);
  if (bad >= 0) throw new InvalidArgumentError('inputIds', `${describeBadId(inputIds, bad, seqlen)}`);
  validateMetadata(metadata);
  if (metadata.nsamples !== nsamples) throw new InvalidArgumentError('metadata.nsamples', `${metadata.nsamples} disagrees with the ids' nsamples ${nsamples}`);
  if (metadata.seqlen !== seqlen) throw new InvalidArgumentError('metadata.seqlen', `${metadata.seqlen} disagrees with the ids' seqlen ${seqlen}`);
  const stored: Record<string, string> = { [CALIB_FORMAT_KEY]: CALIB_FORMAT };
  for (const key of METADATA_KEYS) stored[key] = String(metadata[key]);
  if (metadata.wikitextJoin !== undefined) stored.wikitextJoin = metadata.wikitextJoin;
  await assertOutputApartFromInputs({ name: 'path', path }, options?.inputs ?? []);
  await assertReplaceableOutput({ name: 'path', path }, 'safetensors-file');
  await writeSafetensors(path, [{ name: CALIB_TENSOR_NAME, dtype: 'I32', shape: [nsamples, seqlen], data: inputIds }], stored);
}

function validateMetadata(metadata: CalibArtifactMetadata): void {
  if (typeof metadata !== 'object' || metadata === null) throw new InvalidArgumentError('metadata', `expected an object, got ${show(metadata)}`);
  for (const key of ['sourceSha256', 'tokenizerSha256'] as const) {
    if (typeof metadata[key] !== 'string' || !SHA256_HEX.test(metadata[key])) {
      throw new InvalidArgumentError(`metadata.${key}`, `expected 64 lowercase hex digits, got ${show(metadata[key])}`);
    }
  }
  const seed = metadata.seed;
  if (typeof seed !== 'bigint' && !(typeof seed === 'number' && Number.isSafeInteger(seed))) {
    throw new InvalidArgumentError('metadata.seed', `expected an integer, got ${show(seed)}`);
  }
  if (!isPositiveInteger(metadata.seqlen)) throw new InvalidArgumentError('metadata.seqlen', `expected a positive integer, got ${show(metadata.seqlen)}`);
  if (!isPositiveInteger(metadata.nsamples)) throw new InvalidArgumentError('metadata.nsamples', `expected a positive integer, got ${show(metadata.nsamples)}`);
  if (metadata.sampler !== 'text' && metadata.sampler !== 'documents') {
    throw new InvalidArgumentError('metadata.sampler', `expected "text" or "documents", got ${show(metadata.sampler)}`);
  }
  if (typeof metadata.source !== 'string' || metadata.source === '' || basename(metadata.source) !== metadata.source || metadata.source.includes('\\')) {
    throw new InvalidArgumentError('metadata.source', `expected the source file's base name (no directories), got ${show(metadata.source)}`);
  }
  if (metadata.wikitextJoin !== undefined && (typeof metadata.wikitextJoin !== 'string' || metadata.wikitextJoin === '')) {
    throw new InvalidArgumentError('metadata.wikitextJoin', `expected the separator string, got ${show(metadata.wikitextJoin)}`);
  }
}

export interface ReadCalibArtifactOptions {
  /** When given, every id must be below it (the model's vocabulary). */
  vocabSize?: number;
}

/** What a file's `__metadata__` said; absent fields were not recorded (see `unknown`). */
export interface CalibArtifactFileMetadata {
  sourceSha256?: string;
  tokenizerSha256?: string;
  seed?: number | bigint;
  seqlen?: number;
  nsamples?: number;
  /** Ours: "text" or "documents"; another tool's value as it wrote it. */
  sampler?: string;
  source?: string;
  wikitextJoin?: string;
}

/**
 * Which metadata a file carried: ours (`dass`: every key present and checked), another tool's (`foreign`: some of our
 * keys, camelCase or snake_case, each checked when present), or none of our keys (`none`).
 */
export type CalibMetadataStyle = 'dass' | 'foreign' | 'none';

export interface CalibArtifact extends CalibArtifactIds {
  /** The dtype `input_ids` was stored as (I64 ids are range-checked and returned as int32). */
  dtype: 'I32' | 'I64';
  metadataStyle: CalibMetadataStyle;
  metadata: CalibArtifactFileMetadata;
  /** Provenance fields the file did not record (always empty for our own artifacts). */
  unknown: (keyof CalibArtifactFileMetadata)[];
}

/** The provenance fields reported as unknown when a file lacks them (`wikitextJoin` applies to WikiText only). */
const PROVENANCE_KEYS = ['sourceSha256', 'tokenizerSha256', 'seed', 'sampler', 'source'] as const;

/**
 * Reads and validates a `calib.safetensors` (see the package README for the contract). Errors are ModelLoadErrors
 * naming the file: `input_ids` missing, not I32/I64, not 2-D with both sides positive, an id negative or ≥ `vocabSize`
 * (or an I64 id beyond int32); metadata that contradicts the tensor's shape or is malformed. Our own artifacts (the
 * `format` marker, or all seven camelCase keys) must carry every key with a well-formed value, as `writeCalibArtifact`
 * writes them.
 */
export async function readCalibArtifact(path: string, options: ReadCalibArtifactOptions = {}): Promise<CalibArtifact> {
  const { vocabSize } = options ?? {};
  if (vocabSize !== undefined && !isPositiveInteger(vocabSize)) {
    throw new InvalidArgumentError('vocabSize', `expected a positive integer, got ${show(vocabSize)}`);
  }
  const file = await openSafetensors(path);
  try {
    const fail = (code: ConstructorParameters<typeof ModelLoadError>[1], problem: string): never => {
      throw new ModelLoadError(path, code, problem);
    };
    if (!file.has(CALIB_TENSOR_NAME)) {
      fail(
        'MISSING_TENSOR',
        `not a calibration artifact: no tensor "${CALIB_TENSOR_NAME}" (has ${
          file
            .names()
            .map((n) => JSON.stringify(n))
            .join(', ') || 'none'
        })`,
      );
    }
    const info = file.info(CALIB_TENSOR_NAME);
    if (info.dtype !== 'I32' && info.dtype !== 'I64') fail('BAD_DTYPE', `tensor "${CALIB_TENSOR_NAME}" is ${info.dtype}, expected I32 or I64`);
    if (info.shape.length !== 2 || info.shape[0] <= 0 || info.shape[1] <= 0) {
      fail('BAD_SHAPE', `tensor "${CALIB_TENSOR_NAME}" has shape [${info.shape.join(', ')}], expected [nsamples, seqlen] with both positive`);
    }
    const [nsamples, seqlen] = info.shape;
    const { metadata, style } = parseMetadata(file.metadata, fail);
    if ((metadata.nsamples !== undefined && metadata.nsamples !== nsamples) || (metadata.seqlen !== undefined && metadata.seqlen !== seqlen)) {
      fail(
        'BAD_HEADER',
        `metadata says nsamples ${metadata.nsamples ?? 'unknown'}, seqlen ${metadata.seqlen ?? 'unknown'} but "${CALIB_TENSOR_NAME}" is [${nsamples}, ${seqlen}]`,
      );
    }
    const { data } = await file.readTyped(CALIB_TENSOR_NAME);
    const raw = data as Int32Array | BigInt64Array;
    const bad = firstBadId(raw, vocabSize);
    if (bad >= 0) fail('BAD_VALUE', describeBadId(raw, bad, seqlen, vocabSize));
    // In range [0, 2^31) (or the vocabulary) now, so int32 holds every I64 id exactly.
    const inputIds = raw instanceof BigInt64Array ? Int32Array.from(raw, (v) => Number(v)) : raw;
    const unknown = PROVENANCE_KEYS.filter((k) => metadata[k] === undefined);
    return { inputIds, nsamples, seqlen, dtype: info.dtype as 'I32' | 'I64', metadataStyle: style, metadata: { ...metadata, nsamples, seqlen }, unknown };
  } finally {
    await file.close();
  }
}

function parseMetadata(
  raw: Readonly<Record<string, string>>,
  fail: (code: 'BAD_HEADER', problem: string) => never,
): { metadata: CalibArtifactFileMetadata; style: CalibMetadataStyle } {
  const ours = raw[CALIB_FORMAT_KEY] === CALIB_FORMAT || METADATA_KEYS.every((k) => typeof raw[k] === 'string');
  if (raw[CALIB_FORMAT_KEY] !== undefined && raw[CALIB_FORMAT_KEY] !== CALIB_FORMAT && raw[CALIB_FORMAT_KEY].startsWith('dass-ts/')) {
    fail('BAD_HEADER', `__metadata__.${CALIB_FORMAT_KEY}: ${JSON.stringify(raw[CALIB_FORMAT_KEY])} is not a version this reader knows (${CALIB_FORMAT})`);
  }
  if (ours) {
    const missing = METADATA_KEYS.filter((k) => typeof raw[k] !== 'string');
    if (missing.length > 0) fail('BAD_HEADER', `__metadata__ lacks ${missing.join(', ')} (not a calibration artifact?)`);
  }
  // Each field under its camelCase name or a snake_case alias; two spellings that disagree are an error.
  const value = (key: MetadataKey): string | undefined => {
    let found: { name: string; v: string } | undefined;
    for (const name of [key, ...SNAKE_CASE_ALIASES[key]]) {
      const v = raw[name];
      if (v === undefined) continue;
      if (found !== undefined && found.v !== v)
        fail('BAD_HEADER', `__metadata__ says ${found.name} ${JSON.stringify(found.v)} but ${name} ${JSON.stringify(v)}`);
      if (found === undefined) found = { name, v };
    }
    return found?.v;
  };
  const keyName = (key: MetadataKey) => (raw[key] !== undefined ? key : (SNAKE_CASE_ALIASES[key].find((n) => raw[n] !== undefined) ?? key));
  const positive = (key: 'seqlen' | 'nsamples'): number | undefined => {
    const v = value(key);
    if (v === undefined) return undefined;
    if (!INTEGER_TEXT.test(v) || !isPositiveInteger(Number(v)))
      fail('BAD_HEADER', `__metadata__.${keyName(key)}: expected a positive integer, got ${JSON.stringify(v)}`);
    return Number(v);
  };
  const sha = (key: 'sourceSha256' | 'tokenizerSha256'): string | undefined => {
    const v = value(key);
    if (v === undefined) return undefined;
    // Ours is always lowercase; another tool's uppercase hex names the same digest.
    if (!(ours ? SHA256_HEX : /^[0-9a-fA-F]{64}$/).test(v))
      fail('BAD_HEADER', `__metadata__.${keyName(key)}: expected 64 ${ours ? 'lowercase ' : ''}hex digits, got ${JSON.stringify(v)}`);
    return v.toLowerCase();
  };
  const metadata: CalibArtifactFileMetadata = {};
  const sourceSha256 = sha('sourceSha256');
  const tokenizerSha256 = sha('tokenizerSha256');
  if (sourceSha256 !== undefined) metadata.sourceSha256 = sourceSha256;
  if (tokenizerSha256 !== undefined) metadata.tokenizerSha256 = tokenizerSha256;
  const seedText = value('seed');
  if (seedText !== undefined) {
    if (!INTEGER_TEXT.test(seedText)) fail('BAD_HEADER', `__metadata__.seed: expected an integer, got ${JSON.stringify(seedText)}`);
    const seedBig = BigInt(seedText);
    metadata.seed = seedBig >= BigInt(Number.MIN_SAFE_INTEGER) && seedBig <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(seedBig) : seedBig;
  }
  const seqlen = positive('seqlen');
  const nsamples = positive('nsamples');
  if (seqlen !== undefined) metadata.seqlen = seqlen;
  if (nsamples !== undefined) metadata.nsamples = nsamples;
  const sampler = value('sampler');
  if (sampler !== undefined) {
    if (ours && sampler !== 'text' && sampler !== 'documents')
      fail('BAD_HEADER', `__metadata__.sampler: expected "text" or "documents", got ${JSON.stringify(sampler)}`);
    if (sampler === '') fail('BAD_HEADER', '__metadata__.sampler: expected the sampler\'s name, got ""');
    metadata.sampler = sampler;
  }
  const source = value('source');
  if (source !== undefined) {
    if (source === '') fail('BAD_HEADER', '__metadata__.source: expected the source file name, got ""');
    metadata.source = source;
  }
  const join = value('wikitextJoin');
  if (join !== undefined) {
    if (join === '') fail('BAD_HEADER', '__metadata__.wikitextJoin: expected the separator string, got ""');
    metadata.wikitextJoin = join;
  }
  const style: CalibMetadataStyle = ours ? 'dass' : Object.keys(metadata).length > 0 ? 'foreign' : 'none';
  return { metadata, style };
}
