import { describe, expect, it } from 'vitest';
import { ModelLoadError } from '../errors.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors-bytes.js';

const headerOf = (bytes: Uint8Array) => {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return new TextDecoder().decode(bytes.subarray(8, 8 + n));
};

/** safetensors bytes with a hand-written header text (no padding) and `data` zero bytes. */
const withHeader = (json: string, data: number) => {
  const text = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + text.length + data);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  return out;
};

describe('encodeSafetensors', () => {
  it('writes the documented layout (hand-worked)', () => {
    const bytes = encodeSafetensors([{ name: 'a', dtype: 'U8', shape: [2], data: new Uint8Array([7, 9]) }], { k: 'v' });
    const json = '{"__metadata__":{"k":"v"},"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}'; // 78 bytes, padded to 80
    expect(headerOf(bytes)).toBe(json + '  ');
    expect(bytes.length).toBe(8 + 80 + 2);
    expect(Array.from(bytes.subarray(88))).toEqual([7, 9]);
  });

  it('round-trips F32 (signed zero, subnormal), F16, I64 and U8 in the given order', () => {
    const f = new Float32Array([1.5, -0, 3e-40]);
    const bytes = encodeSafetensors([
      { name: 'm', dtype: 'U8', shape: [1, 3], data: new Uint8Array([1, 2, 3]) },
      { name: 'v', dtype: 'F32', shape: [3], data: f },
      { name: 'h', dtype: 'F16', shape: [2], data: new Float32Array([0.5, -2]) },
      { name: 'i', dtype: 'I64', shape: [1], data: new BigInt64Array([-5n]) },
    ]);
    const { names, tensors, metadata } = decodeSafetensors(bytes);
    expect(names).toEqual(['m', 'v', 'h', 'i']);
    expect(metadata).toEqual({});
    expect(JSON.parse(headerOf(bytes)).v.data_offsets).toEqual([3, 15]);
    expect(tensors.get('v')!.data).toEqual(f);
    expect(Object.is(tensors.get('v')!.data[1], -0)).toBe(true);
    expect(Array.from(tensors.get('m')!.data as Uint8Array)).toEqual([1, 2, 3]);
    expect(Array.from(tensors.get('h')!.data as Float32Array)).toEqual([0.5, -2]);
    expect(tensors.get('i')).toMatchObject({ dtype: 'I64', shape: [1], data: new BigInt64Array([-5n]) });
  });

  it('refuses mismatched data, naming the file and tensor', () => {
    expect(() => encodeSafetensors([{ name: 'x', dtype: 'F32', shape: [2], data: new Float32Array(3) }], undefined, 'm.safetensors')).toThrow(
      'm.safetensors: tensor "x": 3 values given, shape needs 2',
    );
  });
});

describe("decodeSafetensors validation (the lazy reader's rules)", () => {
  const good = encodeSafetensors([{ name: 'a', dtype: 'U8', shape: [4], data: new Uint8Array(4) }]);

  it('refuses truncated files and impossible header lengths', () => {
    expect(() => decodeSafetensors(good.subarray(0, 5), 'f')).toThrow('f: file has 5 bytes');
    expect(() => decodeSafetensors(good.subarray(0, good.length - 1), 'f')).toThrow('run past the data section (3 bytes');
    const huge = good.slice();
    new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
    expect(() => decodeSafetensors(huge, 'f')).toThrow('exceeds the 100000000-byte cap');
  });

  it('refuses a tensor named twice (JSON.parse would keep the last one silently)', () => {
    const dup = withHeader('{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}', 4);
    const err = (() => {
      try {
        decodeSafetensors(dup, 'f');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as ModelLoadError).reason).toBe('BAD_HEADER');
    expect((err as ModelLoadError).code).toBe('DASS_FILE_FORMAT');
    expect((err as Error).message).toMatch(/^f: header names tensor "a" twice/);
  });

  it('refuses bad dtypes, overlaps and trailing bytes', () => {
    expect(() => decodeSafetensors(withHeader('{"a":{"dtype":"Q4","shape":[4],"data_offsets":[0,4]}}', 4))).toThrow('dtype "Q4" is not supported');
    expect(() =>
      decodeSafetensors(withHeader('{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}', 3)),
    ).toThrow('overlaps tensor "a"');
    expect(() => decodeSafetensors(withHeader('{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}', 4))).toThrow('(trailing bytes)');
  });
});
