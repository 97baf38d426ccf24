import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelLoadError, writeSafetensors } from '@dass/model-loader';
import { readCalibArtifact, writeCalibArtifact, type CalibArtifactMetadata } from './calib-artifact.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'dass-calib-artifact-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const SHA_A = 'a'.repeat(64);
const SHA_B = '0123456789abcdef'.repeat(4);
const meta = (over: Partial<CalibArtifactMetadata> = {}): CalibArtifactMetadata => ({
  sourceSha256: SHA_A,
  tokenizerSha256: SHA_B,
  seed: 0,
  seqlen: 3,
  nsamples: 2,
  sampler: 'text',
  source: 'tinystories_train_head.txt',
  ...over,
});
const ids23 = () => ({ inputIds: Int32Array.from([1, 403, 70000, 1, 2, 511]), nsamples: 2, seqlen: 3 });

/** Parses a safetensors file by hand (independent of the reader under test). */
async function parseByHand(path: string) {
  const bytes = await readFile(path);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
  const data = bytes.subarray(8 + headerLength);
  return { header, data, headerLength };
}

describe('writeCalibArtifact', () => {
  it('writes one I32 tensor input_ids [nsamples, seqlen] with string metadata (checked byte by byte)', async () => {
    const p = join(tmp, 'calib.safetensors');
    await writeCalibArtifact(p, ids23(), meta({ seed: 1234567 }));
    const { header, data, headerLength } = await parseByHand(p);
    expect(headerLength % 8).toBe(0);
    expect(header.input_ids).toEqual({ dtype: 'I32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header.__metadata__).toEqual({
      format: 'dass-ts/calib-v1',
      sourceSha256: SHA_A,
      tokenizerSha256: SHA_B,
      seed: '1234567',
      seqlen: '3',
      nsamples: '2',
      sampler: 'text',
      source: 'tinystories_train_head.txt',
    });
    expect(Object.keys(header).sort()).toEqual(['__metadata__', 'input_ids']);
    expect(data.length).toBe(24);
    // 70000 = 0x00011170 little-endian
    expect([...data.subarray(8, 12)]).toEqual([0x70, 0x11, 0x01, 0x00]);
    expect([0, 1, 2, 3, 4, 5].map((i) => data.readInt32LE(i * 4))).toEqual([1, 403, 70000, 1, 2, 511]);
  });

  it('round-trips through readCalibArtifact, including a bigint seed, and replaces an existing file atomically', async () => {
    const p = join(tmp, 'round.safetensors');
    await writeCalibArtifact(p, { inputIds: new Int32Array(8).fill(9), nsamples: 1, seqlen: 8 }, meta({ seqlen: 8, nsamples: 1 }));
    const big = 2n ** 64n + 5n;
    await writeCalibArtifact(p, ids23(), meta({ seed: big, sampler: 'documents', source: 'c4_first50.jsonl' }));
    const back = await readCalibArtifact(p, { vocabSize: 70001 });
    expect(back.nsamples).toBe(2);
    expect(back.seqlen).toBe(3);
    expect(Array.from(back.inputIds)).toEqual([1, 403, 70000, 1, 2, 511]);
    expect(back.metadata).toEqual(meta({ seed: big, sampler: 'documents', source: 'c4_first50.jsonl' }));
    expect(back).toMatchObject({ dtype: 'I32', metadataStyle: 'dass', unknown: [] });
    expect((await readCalibArtifact(p)).metadata.seed).toBe(big);
    // No temp files left behind.
    expect((await readdir(tmp)).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('rejects inconsistent or bad input, naming the argument', async () => {
    const p = join(tmp, 'bad.safetensors');
    await expect(writeCalibArtifact('', ids23(), meta())).rejects.toThrow('path: expected a file path, got ""');
    await expect(writeCalibArtifact(p, { ...ids23(), inputIds: [1, 2, 3, 4, 5, 6] as never }, meta())).rejects.toThrow(/inputIds: expected an Int32Array/);
    await expect(writeCalibArtifact(p, { ...ids23(), seqlen: 2 }, meta())).rejects.toThrow('inputIds: expected nsamples × seqlen = 2 × 2 = 4 ids, got 6');
    await expect(writeCalibArtifact(p, { ...ids23(), nsamples: 0 }, meta())).rejects.toThrow('nsamples: expected a positive integer, got 0');
    await expect(writeCalibArtifact(p, { ...ids23(), inputIds: Int32Array.from([1, 2, 3, 4, -1, 6]) }, meta())).rejects.toThrow(
      'inputIds: input_ids[1][1] = -1, expected non-negative',
    );
    await expect(writeCalibArtifact(p, ids23(), meta({ seqlen: 4 }))).rejects.toThrow("metadata.seqlen: 4 disagrees with the ids' seqlen 3");
    await expect(writeCalibArtifact(p, ids23(), meta({ nsamples: 3 }))).rejects.toThrow("metadata.nsamples: 3 disagrees with the ids' nsamples 2");
    await expect(writeCalibArtifact(p, ids23(), meta({ sourceSha256: 'ABC' }))).rejects.toThrow(
      'metadata.sourceSha256: expected 64 lowercase hex digits, got "ABC"',
    );
    await expect(writeCalibArtifact(p, ids23(), meta({ seed: 1.5 }))).rejects.toThrow('metadata.seed: expected an integer, got 1.5');
    await expect(writeCalibArtifact(p, ids23(), meta({ sampler: 'c4' as 'text' }))).rejects.toThrow(
      'metadata.sampler: expected "text" or "documents", got "c4"',
    );
    await expect(writeCalibArtifact(p, ids23(), meta({ source: '/data/c4.jsonl' }))).rejects.toThrow(/metadata.source: expected the source file's base name/);
    expect(await readdir(tmp)).not.toContain('bad.safetensors');
  });
});

describe('readCalibArtifact validates the file', () => {
  const goodMeta = () => Object.fromEntries(Object.entries(meta()).map(([k, v]) => [k, String(v)]));
  async function expectBad(
    name: string,
    tensors: Parameters<typeof writeSafetensors>[1],
    metadata: Record<string, string>,
    code: string,
    message: RegExp,
    vocabSize?: number,
  ) {
    const p = join(tmp, name);
    await writeSafetensors(p, tensors, metadata);
    const err = await readCalibArtifact(p, { vocabSize }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as ModelLoadError).reason).toBe(code);
    expect((err as ModelLoadError).message.startsWith(`${p}: `)).toBe(true);
    expect((err as ModelLoadError).message).toMatch(message);
  }
  const i32 = (data: number[], shape: number[], name = 'input_ids') => [{ name, dtype: 'I32' as const, shape, data: Int32Array.from(data) }];

  it('tensor name, dtype and rank', async () => {
    await expectBad('noname.safetensors', i32([1, 2, 3, 4, 5, 6], [2, 3], 'ids'), goodMeta(), 'MISSING_TENSOR', /no tensor "input_ids" \(has "ids"\)/);
    await expectBad(
      'f32.safetensors',
      [{ name: 'input_ids', dtype: 'F32', shape: [2, 3], data: new Float32Array(6) }],
      goodMeta(),
      'BAD_DTYPE',
      /is F32, expected I32 or I64/,
    );
    await expectBad('rank1.safetensors', i32([1, 2, 3, 4, 5, 6], [6]), goodMeta(), 'BAD_SHAPE', /shape \[6\], expected \[nsamples, seqlen\]/);
  });

  it('metadata present, well-formed and matching the shape', async () => {
    const { seed: _seed, sampler: _sampler, ...partial } = goodMeta();
    // Ours (the format marker) must carry every key; another tool's file may lack some (see the next describe).
    await expectBad(
      'nometa.safetensors',
      i32([1, 2, 3, 4, 5, 6], [2, 3]),
      { format: 'dass-ts/calib-v1', ...partial },
      'BAD_HEADER',
      /__metadata__ lacks seed, sampler/,
    );
    await expectBad(
      'format2.safetensors',
      i32([1, 2, 3, 4, 5, 6], [2, 3]),
      { ...goodMeta(), format: 'dass-ts/calib-v2' },
      'BAD_HEADER',
      /format: "dass-ts\/calib-v2" is not a version this reader knows/,
    );
    await expectBad(
      'seedtext.safetensors',
      i32([1, 2, 3, 4, 5, 6], [2, 3]),
      { ...goodMeta(), seed: '4e2' },
      'BAD_HEADER',
      /__metadata__.seed: expected an integer, got "4e2"/,
    );
    await expectBad(
      'mismatch.safetensors',
      i32([1, 2, 3, 4, 5, 6], [3, 2]),
      goodMeta(),
      'BAD_HEADER',
      /metadata says nsamples 2, seqlen 3 but "input_ids" is \[3, 2\]/,
    );
    await expectBad(
      'sampler.safetensors',
      i32([1, 2, 3, 4, 5, 6], [2, 3]),
      { ...goodMeta(), sampler: 'c4' },
      'BAD_HEADER',
      /sampler: expected "text" or "documents", got "c4"/,
    );
    await expectBad(
      'upper.safetensors',
      i32([1, 2, 3, 4, 5, 6], [2, 3]),
      { ...goodMeta(), sourceSha256: SHA_A.toUpperCase() },
      'BAD_HEADER',
      /sourceSha256: expected 64 lowercase hex digits/,
    );
  });

  it('ids non-negative, and below the vocabulary when given', async () => {
    await expectBad('neg.safetensors', i32([1, 2, 3, 4, -5, 6], [2, 3]), goodMeta(), 'BAD_VALUE', /input_ids\[1\]\[1\] = -5, expected non-negative/);
    await expectBad('vocab.safetensors', i32([1, 2, 512, 4, 5, 6], [2, 3]), goodMeta(), 'BAD_VALUE', /input_ids\[0\]\[2\] = 512, expected in \[0, 512\)/, 512);
    await expect(readCalibArtifact(join(tmp, 'vocab.safetensors'), { vocabSize: 0 })).rejects.toThrow('vocabSize: expected a positive integer, got 0');
    await expect(readCalibArtifact(join(tmp, 'missing.safetensors'))).rejects.toThrow(/missing\.safetensors: no such file/);
  });
});

// Issue 12 case 6: artifacts written by other tools. The files are built here byte by byte (8-byte little-endian
// header length, JSON header, data), as a Python writer such as `safetensors.torch.save_file` lays them out, so the
// reader is not tested against our own writer.
function foreignSafetensors(dtype: 'I32' | 'I64', shape: number[], values: (number | bigint)[], metadata?: Record<string, string>): Uint8Array {
  const size = dtype === 'I64' ? 8 : 4;
  const data = Buffer.alloc(values.length * size);
  values.forEach((v, i) => (dtype === 'I64' ? data.writeBigInt64LE(BigInt(v), i * 8) : data.writeInt32LE(Number(v), i * 4)));
  const header: Record<string, unknown> = { input_ids: { dtype, shape, data_offsets: [0, data.length] } };
  if (metadata !== undefined) header.__metadata__ = metadata;
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, Buffer.from(json, 'utf8'), data]);
}

describe('readCalibArtifact accepts artifacts written by other tools', () => {
  const put = async (name: string, bytes: Uint8Array) => {
    const p = join(tmp, name);
    await writeFile(p, bytes);
    return p;
  };

  it('I64 ids with snake_case metadata: ids as int32, every given field known, the rest unknown', async () => {
    const p = await put(
      'py-i64.safetensors',
      foreignSafetensors('I64', [2, 3], [1, 403, 511, 1, 2, 0], {
        source_sha256: SHA_A.toUpperCase(),
        tokenizer_sha256: SHA_B,
        seed: '0',
        seq_len: '3',
      }),
    );
    const a = await readCalibArtifact(p, { vocabSize: 512 });
    expect(a.dtype).toBe('I64');
    expect(a.inputIds).toBeInstanceOf(Int32Array);
    expect(Array.from(a.inputIds)).toEqual([1, 403, 511, 1, 2, 0]);
    expect([a.nsamples, a.seqlen]).toEqual([2, 3]);
    expect(a.metadataStyle).toBe('foreign');
    expect(a.metadata).toEqual({ sourceSha256: SHA_A, tokenizerSha256: SHA_B, seed: 0, seqlen: 3, nsamples: 2 });
    expect(a.unknown).toEqual(['sampler', 'source']);
  });

  it('no metadata at all: the ids, and every provenance field unknown', async () => {
    const p = await put('bare.safetensors', foreignSafetensors('I32', [1, 4], [1, 2, 3, 4]));
    const a = await readCalibArtifact(p, { vocabSize: 5 });
    expect(Array.from(a.inputIds)).toEqual([1, 2, 3, 4]);
    expect(a).toMatchObject({ dtype: 'I32', metadataStyle: 'none', metadata: { nsamples: 1, seqlen: 4 } });
    expect(a.unknown).toEqual(['sourceSha256', 'tokenizerSha256', 'seed', 'sampler', 'source']);
    // Unrelated metadata keys (e.g. safetensors.torch's {"format": "pt"}) are not ours and change nothing.
    const pt = await put('pt.safetensors', foreignSafetensors('I32', [1, 4], [1, 2, 3, 4], { format: 'pt' }));
    expect(await readCalibArtifact(pt)).toMatchObject({ metadataStyle: 'none' });
  });

  it('checks I64 ids against int32 and the vocabulary, and present metadata against the shape', async () => {
    const big = await put('big.safetensors', foreignSafetensors('I64', [1, 2], [1, 2n ** 40n]));
    await expect(readCalibArtifact(big)).rejects.toThrow(`${big}: input_ids[0][1] = 1099511627776, expected below 2^31 (an int32 token id)`);
    const over = await put('over.safetensors', foreignSafetensors('I64', [1, 2], [1, 512]));
    await expect(readCalibArtifact(over, { vocabSize: 512 })).rejects.toThrow(`${over}: input_ids[0][1] = 512, expected in [0, 512)`);
    const neg = await put('neg64.safetensors', foreignSafetensors('I64', [1, 2], [-1, 3]));
    await expect(readCalibArtifact(neg)).rejects.toThrow(/input_ids\[0\]\[0\] = -1/);
    const shape = await put('shape.safetensors', foreignSafetensors('I64', [1, 2], [1, 2], { nsamples: '2' }));
    await expect(readCalibArtifact(shape)).rejects.toThrow(/metadata says nsamples 2, seqlen unknown but "input_ids" is \[1, 2\]/);
    const twice = await put('twice.safetensors', foreignSafetensors('I32', [1, 2], [1, 2], { seqlen: '2', seq_len: '3' }));
    await expect(readCalibArtifact(twice)).rejects.toThrow(/__metadata__ says seqlen "2" but seq_len "3"/);
    const seed = await put('seed.safetensors', foreignSafetensors('I32', [1, 2], [1, 2], { seed: 'zero' }));
    await expect(readCalibArtifact(seed)).rejects.toThrow(/__metadata__.seed: expected an integer, got "zero"/);
    const sha = await put('sha.safetensors', foreignSafetensors('I32', [1, 2], [1, 2], { tokenizer_sha256: 'abc' }));
    await expect(readCalibArtifact(sha)).rejects.toThrow(/__metadata__.tokenizer_sha256: expected 64 hex digits, got "abc"/);
  });
});
