import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelLoadError } from '../errors.js';
import { bf16BitsToF32, f32BitsToBf16Bits } from './half-float.js';
import { openSafetensors } from './safetensors-file.js';
import { createSafetensorsWriter, writeSafetensors } from './safetensors-writer.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dass-st-writer-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bitsOf = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
const fromBits = (bits: number[]) => new Float32Array(new Uint32Array(bits).buffer);

/** Special values exactly representable in F16 and BF16: ±0, ±Inf, NaN, a subnormal, ordinary numbers. */
const F16_EXACT = fromBits([
  0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x33800000 /* 2^-24 */, 0x3f800000, 0xc0400000, 0x477fe000 /* 65504 */,
]);
const BF16_EXACT = fromBits([0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x00010000 /* f32 subnormal */, 0x3f800000, 0xc0490000, 0x7f7f0000]);

/** An independent minimal reader: length prefix, JSON.parse, raw slices. */
async function minimalRead(path: string) {
  const bytes = new Uint8Array(await readFile(path));
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const n = Number(view.getBigUint64(0, true));
  const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  const header = JSON.parse(headerText) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const slice = (name: string) => bytes.slice(8 + n + header[name].data_offsets[0], 8 + n + header[name].data_offsets[1]);
  return { n, headerText, header, slice, size: bytes.byteLength };
}

describe('writeSafetensors', () => {
  it('round-trips F32, F16 and BF16 bit-exactly, specials included', async () => {
    const path = join(dir, 'floats.safetensors');
    const f32 = fromBits([0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x00000001, 0x007fffff, 0x3f800000, 0x7f7fffff, 0x3dcccccd]);
    await writeSafetensors(path, [
      { name: 'f32', dtype: 'F32', shape: [2, 5], data: f32 },
      { name: 'f16', dtype: 'F16', shape: [F16_EXACT.length], data: F16_EXACT },
      { name: 'bf16', dtype: 'BF16', shape: [3, 3], data: BF16_EXACT },
      { name: 'f64', dtype: 'F64', shape: [2], data: new Float32Array([0.1, -3]) },
    ]);
    const file = await openSafetensors(path);
    try {
      expect(file.names()).toEqual(['f32', 'f16', 'bf16', 'f64']);
      expect(bitsOf((await file.readF32('f32')).data)).toEqual(bitsOf(f32));
      expect(bitsOf((await file.readF32('f16')).data)).toEqual(bitsOf(F16_EXACT));
      const bf = await file.readF32('bf16');
      expect(bf.shape).toEqual([3, 3]);
      expect(bitsOf(bf.data)).toEqual(bitsOf(BF16_EXACT));
      expect(Array.from((await file.readF32('f64')).data)).toEqual([Math.fround(0.1), -3]);
      // Encoded bytes themselves, hand-worked: F16 1.0 = 0x3C00, BF16 1.0 = 0x3F80 (little-endian).
      expect(Array.from((await file.readRaw('f16')).subarray(12, 14))).toEqual([0x00, 0x3c]);
      expect(Array.from((await file.readRaw('bf16')).subarray(12, 14))).toEqual([0x80, 0x3f]);
    } finally {
      await file.close();
    }
  });

  it('rounds float32 input to nearest even when the dtype is narrower', async () => {
    const path = join(dir, 'rounding.safetensors');
    // 1 + 2^-11 ties to 1.0 in F16; 1 + 3*2^-11 ties up to 1 + 2^-9. BF16: 0x3f818000 ties up to 0x3f82.
    await writeSafetensors(path, [
      { name: 'h', dtype: 'F16', shape: [2], data: new Float32Array([1 + 2 ** -11, 1 + 3 * 2 ** -11]) },
      { name: 'b', dtype: 'BF16', shape: [1], data: fromBits([0x3f818000]) },
    ]);
    const file = await openSafetensors(path);
    expect(Array.from((await file.readF32('h')).data)).toEqual([1, 1 + 2 ** -9]);
    expect(bitsOf((await file.readF32('b')).data)).toEqual([0x3f820000]);
    await file.close();
  });

  it('round-trips integer dtypes and pre-encoded bytes', async () => {
    const path = join(dir, 'ints.safetensors');
    const raw = new Uint8Array([0x00, 0x3c, 0x00, 0xc0]); // F16 [1, -2] already encoded
    await writeSafetensors(path, [
      { name: 'i32', dtype: 'I32', shape: [3], data: new Int32Array([-(2 ** 31), 0, 2 ** 31 - 1]) },
      { name: 'i64', dtype: 'I64', shape: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 62n + 1n]) },
      { name: 'i64_from_i32', dtype: 'I64', shape: [1], data: new Int32Array([-7]) },
      { name: 'i16', dtype: 'I16', shape: [2], data: new Int32Array([-32768, 32767]) },
      { name: 'i8', dtype: 'I8', shape: [2], data: new Int32Array([-128, 127]) },
      { name: 'u8', dtype: 'U8', shape: [3], data: new Uint8Array([0, 128, 255]) },
      { name: 'bool', dtype: 'BOOL', shape: [2], data: new Int32Array([1, 0]) },
      { name: 'raw_f16', dtype: 'F16', shape: [2], data: raw },
      { name: 'empty', dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
      { name: 'scalar', dtype: 'F32', shape: [], data: new Float32Array([42]) },
    ]);
    const file = await openSafetensors(path);
    expect(Array.from((await file.readTyped('i32')).data as Int32Array)).toEqual([-(2 ** 31), 0, 2 ** 31 - 1]);
    expect(Array.from((await file.readTyped('i64')).data as BigInt64Array)).toEqual([-(2n ** 63n), 2n ** 62n + 1n]);
    expect(Array.from((await file.readTyped('i64_from_i32')).data as BigInt64Array)).toEqual([-7n]);
    expect(Array.from((await file.readTyped('i16')).data as Int32Array)).toEqual([-32768, 32767]);
    expect(Array.from((await file.readTyped('i8')).data as Int32Array)).toEqual([-128, 127]);
    expect(Array.from((await file.readTyped('u8')).data as Uint8Array)).toEqual([0, 128, 255]);
    expect(Array.from((await file.readTyped('bool')).data as Uint8Array)).toEqual([1, 0]);
    expect(await file.readRaw('raw_f16')).toEqual(raw);
    expect(Array.from((await file.readF32('raw_f16')).data)).toEqual([1, -2]);
    expect(await file.readF32('empty')).toEqual({ shape: [0, 4], data: new Float32Array(0) });
    expect(await file.readF32('scalar')).toEqual({ shape: [], data: new Float32Array([42]) });
    await file.close();
  });

  it('writes the layout the Python library writes, readable by an independent reader', async () => {
    const path = join(dir, 'layout.safetensors');
    await writeSafetensors(
      path,
      [
        { name: 'z.weight', dtype: 'F16', shape: [2], data: new Float32Array([1, -2]) },
        { name: '0', dtype: 'F32', shape: [1, 2], data: new Float32Array([0.5, 3]) },
      ],
      { format: 'pt' },
    );
    const bytes = new Uint8Array(await readFile(path));
    const json =
      '{"__metadata__":{"format":"pt"},"z.weight":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"0":{"dtype":"F32","shape":[1,2],"data_offsets":[4,12]}}';
    expect(json.length).toBe(148); // padded with 4 spaces to 152
    const expected = new Uint8Array(8 + 152 + 12);
    expected[0] = 152; // little-endian u64
    expected.set(new TextEncoder().encode(json + '    '), 8);
    expected.set([0x00, 0x3c, 0x00, 0xc0], 160); // F16 1, -2
    expected.set([0x00, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x40, 0x40], 164); // F32 0.5, 3
    expect(bytes).toEqual(expected);

    const r = await minimalRead(path);
    expect(r.n % 8).toBe(0);
    expect(Object.keys(r.header).sort()).toEqual(['0', '__metadata__', 'z.weight']);
    expect(r.header['z.weight']).toEqual({ dtype: 'F16', shape: [2], data_offsets: [0, 4] });
    expect(Array.from(new Float32Array(r.slice('0').buffer))).toEqual([0.5, 3]);
    expect(r.headerText.indexOf('"0"')).toBeGreaterThan(r.headerText.indexOf('"z.weight"')); // given order kept on disk
  });

  it('is atomic: a failure leaves the old file and no temp file behind', async () => {
    const path = join(dir, 'atomic.safetensors');
    await writeFile(path, 'old contents');
    await expect(
      writeSafetensors(path, [
        { name: 'a', dtype: 'F32', shape: [2], data: new Float32Array(2) },
        { name: 'b', dtype: 'F32', shape: [3], data: new Float32Array(2) },
      ]),
    ).rejects.toThrow(/atomic\.safetensors: tensor "b": 2 values given, shape needs 3/);
    expect(await readFile(path, 'utf8')).toBe('old contents');
    expect((await readdir(dir)).filter((f) => f.startsWith('atomic'))).toEqual(['atomic.safetensors']);
  });

  it.each([
    ['an unknown dtype', [{ name: 'a', dtype: 'F8', shape: [1], data: new Float32Array(1) }], /tensor "a": dtype "F8" is not one of/],
    [
      'a negative dimension',
      [{ name: 'a', dtype: 'F32', shape: [-1], data: new Float32Array(1) }],
      /tensor "a": shape must be non-negative integers, got \[-1\]/,
    ],
    [
      'a duplicate name',
      [
        { name: 'a', dtype: 'F32', shape: [1], data: new Float32Array(1) },
        { name: 'a', dtype: 'F32', shape: [1], data: new Float32Array(1) },
      ],
      /entries\[1\]\.name: tensor "a" is declared twice/,
    ],
    ['the reserved name', [{ name: '__metadata__', dtype: 'F32', shape: [1], data: new Float32Array(1) }], /reserved/],
    ['float data for an int dtype', [{ name: 'a', dtype: 'I32', shape: [1], data: new Float32Array(1) }], /Float32Array data cannot be stored as I32/],
    ['int data for a float dtype', [{ name: 'a', dtype: 'F16', shape: [1], data: new Int32Array(1) }], /Int32Array data cannot be stored as F16/],
    ['an out-of-range I8', [{ name: 'a', dtype: 'I8', shape: [1], data: new Int32Array([200]) }], /value 200 at index 0 does not fit I8/],
    [
      'encoded bytes of the wrong length',
      [{ name: 'a', dtype: 'BF16', shape: [3], data: new Uint8Array(4) }],
      /4 encoded bytes given, BF16 with 3 elements needs 6/,
    ],
    ['a Float64Array', [{ name: 'a', dtype: 'F64', shape: [1], data: new Float64Array(1) }], /got Float64Array/],
  ])('rejects %s', async (_label, tensors, message) => {
    const path = join(dir, 'bad.safetensors');
    const err = await writeSafetensors(path, tensors as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as ModelLoadError).reason).toBe('BAD_VALUE');
    expect((err as ModelLoadError).message).toContain(path);
    expect((err as ModelLoadError).message).toMatch(message);
    expect((await readdir(dir)).filter((f) => f.startsWith('bad.'))).toEqual([]);
  });
});

describe('createSafetensorsWriter', () => {
  const entries = [
    { name: 'model.layers.0.w', dtype: 'BF16' as const, shape: [2, 3] },
    { name: 'model.layers.1.w', dtype: 'F32' as const, shape: [3] },
    { name: 'ids', dtype: 'I32' as const, shape: [2] },
  ];

  it('accepts tensors in any order and produces the same file as the one-shot writer', async () => {
    const w0 = new Float32Array([1, 2, 3, 4, 5, 6]);
    const w1 = new Float32Array([-1, 0.25, 7]);
    const ids = new Int32Array([5, 9]);
    const streamed = join(dir, 'streamed.safetensors');
    const writer = await createSafetensorsWriter(streamed, entries, { note: 'x' });
    expect(writer.tempPath).toMatch(new RegExp(`^${streamed.replace(/\./g, '\\.')}\\.tmp-${process.pid}-[0-9a-f]{12}$`));
    await Promise.all([writer.write('ids', ids), writer.write('model.layers.1.w', w1)]);
    await expect(readFile(streamed)).rejects.toThrow(/ENOENT/); // nothing at the destination before commit
    await writer.write('model.layers.0.w', w0);
    await writer.commit();
    const oneShot = join(dir, 'one-shot.safetensors');
    await writeSafetensors(
      oneShot,
      [
        { ...entries[0], data: w0 },
        { ...entries[1], data: w1 },
        { ...entries[2], data: ids },
      ],
      { note: 'x' },
    );
    expect(await readFile(streamed)).toEqual(await readFile(oneShot));
    const file = await openSafetensors(streamed);
    expect(file.metadata).toEqual({ note: 'x' });
    expect(Array.from((await file.readF32('model.layers.0.w')).data)).toEqual([1, 2, 3, 4, 5, 6]);
    await file.close();
  });

  it('streams a BF16 tensor larger than one encode chunk: the same bytes as the one-shot writer, read back as rounded', async () => {
    const n = (4 << 20) + 3;
    const values = new Float32Array(n).map((_, i) => Math.sin(i) * 100);
    const big = [{ name: 'big', dtype: 'BF16' as const, shape: [n] }];
    const streamed = join(dir, 'big-streamed.safetensors');
    const writer = await createSafetensorsWriter(streamed, big);
    await writer.write('big', values);
    await writer.commit();
    const oneShot = join(dir, 'big-one-shot.safetensors');
    await writeSafetensors(oneShot, [{ ...big[0]!, data: values }]);
    expect(Buffer.compare(await readFile(streamed), await readFile(oneShot))).toBe(0);
    const file = await openSafetensors(streamed);
    const back = (await file.readF32('big')).data;
    await file.close();
    const bad = back.findIndex((v, i) => v !== bf16BitsToF32(f32BitsToBf16Bits(new Uint32Array(values.buffer, 4 * i, 1)[0]!)));
    expect(bad).toBe(-1);
  });

  it('refuses undeclared, repeated and missing tensors; abort removes the temp file', async () => {
    const path = join(dir, 'stream-bad.safetensors');
    const writer = await createSafetensorsWriter(path, entries);
    await expect(writer.write('nope', new Float32Array(1))).rejects.toThrow(/tensor "nope" was not declared/);
    await writer.write('ids', new Int32Array([1, 2]));
    await expect(writer.write('ids', new Int32Array([1, 2]))).rejects.toThrow(/tensor "ids" was already written/);
    await expect(writer.commit()).rejects.toThrow(/2 declared tensor\(s\) never written: "model.layers.0.w", "model.layers.1.w"/);
    expect((await readdir(dir)).some((f) => f === writer.tempPath.slice(dir.length + 1))).toBe(true);
    await writer.abort();
    expect((await readdir(dir)).filter((f) => f.startsWith('stream-bad'))).toEqual([]);
    await expect(writer.write('model.layers.1.w', new Float32Array(3))).rejects.toThrow(/writer is already aborted/);
  });
});
