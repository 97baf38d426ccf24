import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelLoadError, type ModelLoadErrorReason } from '../errors.js';
import { openSafetensors } from './safetensors-file.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dass-st-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Builds a file by hand: u64 length (or an override), the header text, then `data` bytes. */
function craft(header: string | Uint8Array | object, data: number | Uint8Array = 0, lengthOverride?: bigint): Uint8Array {
  const text = header instanceof Uint8Array ? header : new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + text.byteLength + body.byteLength);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(text.byteLength), true);
  out.set(text, 8);
  out.set(body, 8 + text.byteLength);
  return out;
}

async function put(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

const t = (dtype: string, shape: unknown, begin: unknown, end: unknown) => ({ dtype, shape, data_offsets: [begin, end] });

describe('openSafetensors', () => {
  it('reads the header lazily and each tensor by its own byte range', async () => {
    const data = new Uint8Array(24).map((_, i) => i + 1);
    const path = await put('good.safetensors', craft({ __metadata__: { format: 'pt', step: '7' }, b: t('U8', [2, 4], 16, 24), a: t('F32', [4], 0, 16) }, data));
    const file = await openSafetensors(path);
    expect(file.path).toBe(path);
    expect(file.names()).toEqual(['b', 'a']);
    expect(file.metadata).toEqual({ format: 'pt', step: '7' });
    const headerLength = JSON.stringify({ __metadata__: { format: 'pt', step: '7' }, b: t('U8', [2, 4], 16, 24), a: t('F32', [4], 0, 16) }).length;
    expect(file.info('b')).toEqual({ dtype: 'U8', shape: [2, 4], byteOffset: 8 + headerLength + 16, byteLength: 8 });
    expect(Array.from(await file.readRaw('b'))).toEqual([17, 18, 19, 20, 21, 22, 23, 24]);
    expect(Array.from(await file.readRaw('a'))).toEqual(Array.from(data.subarray(0, 16)));
    expect(file.has('a') && !file.has('c')).toBe(true);
    expect(() => file.info('c')).toThrow(/good\.safetensors: no tensor named "c"/);
    await expect(file.readF32('b')).rejects.toMatchObject({ reason: 'BAD_DTYPE', message: expect.stringMatching(/tensor "b" is U8, not a float dtype/) });
    await expect(file.readTyped('a')).rejects.toMatchObject({ reason: 'BAD_DTYPE', message: expect.stringMatching(/tensor "a" is F32, a float dtype/) });
    await file.close();
    await expect(file.readRaw('a')).rejects.toThrow(/file was closed/);
  });

  it('accepts an empty header with no data, space padding after the JSON, and null metadata', async () => {
    const file = await openSafetensors(await put('empty.safetensors', craft('{}      ')));
    expect(file.names()).toEqual([]);
    await file.close();
    const nullMeta = await openSafetensors(await put('null-meta.safetensors', craft({ __metadata__: null, a: t('U8', [1], 0, 1) }, 1)));
    expect(nullMeta.metadata).toEqual({});
    await nullMeta.close();
  });

  it('reports a missing file as NOT_FOUND', async () => {
    await expect(openSafetensors(join(dir, 'nope.safetensors'))).rejects.toMatchObject({ reason: 'NOT_FOUND' });
  });

  const good = craft({ a: t('F32', [2], 0, 8) }, 8);
  const cases: [string, Uint8Array, ModelLoadErrorReason, RegExp][] = [
    ['a file shorter than 8 bytes', new Uint8Array(5), 'TRUNCATED', /file has 5 bytes; a safetensors file starts with an 8-byte header length/],
    [
      'a file truncated inside the data',
      good.subarray(0, good.byteLength - 3),
      'TRUNCATED',
      /tensor "a": data_offsets \[0, 8\] run past the data section \(5 bytes; file truncated\?\)/,
    ],
    ['a header length past the end', craft({ a: t('F32', [0], 0, 0) }, 0, 1000n), 'TRUNCATED', /header length 1000 runs past the end of the file/],
    ['a 2^63 header length', craft('{}', 0, 2n ** 63n), 'BAD_HEADER', /header length 9223372036854775808 exceeds the 100000000-byte cap/],
    ['a header length over the cap', craft('{}', 0, 100_000_001n), 'BAD_HEADER', /exceeds the 100000000-byte cap/],
    ['invalid JSON', craft('{"a": '), 'BAD_JSON', /header is not valid JSON: unexpected end of input/],
    ['invalid UTF-8', craft(new Uint8Array([0x7b, 0xff, 0x7d])), 'BAD_JSON', /not valid UTF-8/],
    // The Rust safetensors reader (serde_json) refuses a BOM; a BOM-stripping decoder would accept the file.
    ['a header starting with a BOM', craft(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d, 0x20])), 'BAD_JSON', /header starts with a UTF-8 byte-order mark/],
    ['a header that is not an object', craft('[1,2]'), 'BAD_HEADER', /header must be a JSON object, got an array/],
    [
      'a duplicate tensor name',
      craft('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', 2),
      'BAD_HEADER',
      /header names tensor "a" twice/,
    ],
    ['an entry that is not an object', craft({ a: 3 }), 'BAD_HEADER', /tensor "a": expected \{dtype, shape, data_offsets\}, got number 3/],
    ['a missing dtype', craft({ a: { shape: [1], data_offsets: [0, 1] } }, 1), 'BAD_HEADER', /tensor "a": missing "dtype"/],
    ['an unexpected entry key', craft({ a: { ...t('U8', [1], 0, 1), extra: 1 } }, 1), 'BAD_HEADER', /tensor "a": unexpected key "extra"/],
    [
      'an unknown dtype',
      craft({ a: t('F8_E4M3', [1], 0, 1) }, 1),
      'BAD_DTYPE',
      /tensor "a": dtype "F8_E4M3" is not supported \(expected one of F64, F32, F16, BF16/,
    ],
    ['a negative dimension', craft({ a: t('U8', [2, -1], 0, 0) }), 'BAD_SHAPE', /tensor "a": shape must be an array of non-negative integers, got \[2,-1\]/],
    ['a non-integer dimension', craft({ a: t('U8', [1.5], 0, 1) }, 1), 'BAD_SHAPE', /tensor "a": shape must be an array of non-negative integers, got \[1.5\]/],
    ['a string dimension', craft({ a: t('U8', ['2'], 0, 2) }, 2), 'BAD_SHAPE', /got \["2"\]/],
    [
      'offsets that are not two integers',
      craft({ a: { dtype: 'U8', shape: [1], data_offsets: [0] } }, 1),
      'BAD_OFFSETS',
      /tensor "a": data_offsets must be \[begin, end\]/,
    ],
    ['negative offsets', craft({ a: t('U8', [1], -1, 0) }, 1), 'BAD_OFFSETS', /data_offsets must be \[begin, end\] with non-negative integers, got \[-1,0\]/],
    [
      'offsets beyond 2^53',
      craft('{"a":{"dtype":"U8","shape":[1],"data_offsets":[9007199254740993,9007199254740994]}}', 1),
      'BAD_OFFSETS',
      /tensor "a": data_offsets must be/,
    ],
    ['reversed offsets', craft({ a: t('U8', [0], 1, 0) }, 1), 'BAD_OFFSETS', /tensor "a": data_offsets \[1, 0\] end before they begin/],
    ['offsets out of range', craft({ a: t('U8', [4], 0, 4) }, 2), 'TRUNCATED', /tensor "a": data_offsets \[0, 4\] run past the data section \(2 bytes/],
    [
      'overlapping offsets',
      craft({ a: t('U8', [4], 0, 4), b: t('U8', [4], 2, 6) }, 6),
      'BAD_OFFSETS',
      /tensor "b" \(data_offsets \[2, 6\]\) overlaps tensor "a" \(ends at 4\)/,
    ],
    [
      'a gap between tensors',
      craft({ a: t('U8', [2], 0, 2), b: t('U8', [2], 3, 5) }, 5),
      'BAD_OFFSETS',
      /tensor "b" starts at 3 but the previous tensor "a" ends at 2 \(gap/,
    ],
    ['data not starting at 0', craft({ a: t('U8', [2], 1, 3) }, 3), 'BAD_OFFSETS', /tensor "a" starts at 1 but the previous tensor ends at 0/],
    [
      'trailing bytes after the last tensor',
      craft({ a: t('U8', [2], 0, 2) }, 5),
      'BAD_OFFSETS',
      /tensors cover 2 bytes of data but the data section has 5 \(trailing bytes\)/,
    ],
    [
      'numel x dtype size != span',
      craft({ a: t('F16', [2, 3], 0, 10) }, 10),
      'BAD_OFFSETS',
      /tensor "a": shape \[2, 3\] of F16 needs 12 bytes but data_offsets \[0, 10\] span 10/,
    ],
    ['a metadata value that is not a string', craft({ __metadata__: { step: 7 } }), 'BAD_HEADER', /__metadata__\.step must be a string, got number 7/],
    ['metadata that is not an object', craft({ __metadata__: 'x' }), 'BAD_HEADER', /__metadata__ must be an object of strings/],
  ];

  it.each(cases)('rejects %s', async (label, bytes, code, message) => {
    const path = await put(`bad-${label.replace(/\W+/g, '-')}.safetensors`, bytes);
    const err = await openSafetensors(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as ModelLoadError).reason).toBe(code);
    expect((err as ModelLoadError).file).toBe(path);
    expect((err as ModelLoadError).message.startsWith(`${path}: `)).toBe(true);
    expect((err as ModelLoadError).message).toMatch(message);
  });
});
