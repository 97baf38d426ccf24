import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from './safetensors-bytes.js';

describe('encodeSafetensors', () => {
  it('writes the documented layout (hand-worked)', () => {
    const bytes = encodeSafetensors([{ name: 'a', dtype: 'U8', shape: [2], data: new Uint8Array([7, 9]) }], { k: 'v' });
    const json = '{"__metadata__":{"k":"v"},"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}';
    const padded = Math.ceil(json.length / 8) * 8;
    expect(Number(new DataView(bytes.buffer).getBigUint64(0, true))).toBe(padded);
    expect(new TextDecoder().decode(bytes.subarray(8, 8 + padded))).toBe(json.padEnd(padded, ' '));
    expect(Array.from(bytes.subarray(8 + padded))).toEqual([7, 9]);
  });

  it('round-trips F32 and U8, F32 first and aligned', () => {
    const f = new Float32Array([1.5, -0, 3e-40]);
    const bytes = encodeSafetensors([
      { name: 'm', dtype: 'U8', shape: [1, 3], data: new Uint8Array([1, 2, 3]) },
      { name: 'v', dtype: 'F32', shape: [3], data: f },
    ]);
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({});
    expect(tensors.get('v')!.data).toEqual(f);
    expect(Object.is(tensors.get('v')!.data[1], -0)).toBe(true);
    expect(Array.from(tensors.get('m')!.data)).toEqual([1, 2, 3]);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true)))));
    expect(header.v.data_offsets).toEqual([0, 12]);
  });

  it('rejects mismatched data', () => {
    expect(() => encodeSafetensors([{ name: 'x', dtype: 'F32', shape: [2], data: new Float32Array(3) }])).toThrow(
      'tensor x: expected 2 F32 values for shape [2], got 3',
    );
  });
});

describe('decodeSafetensors validation', () => {
  const good = encodeSafetensors([{ name: 'a', dtype: 'U8', shape: [4], data: new Uint8Array(4) }]);
  const withHeader = (header: object, data = 4) => {
    const json = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(8 + json.length + data);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    return out;
  };
  it('refuses truncated files and impossible headers', () => {
    expect(() => decodeSafetensors(good.subarray(0, 5), 'f')).toThrow('f: 5 bytes is too short');
    expect(() => decodeSafetensors(good.subarray(0, good.length - 1), 'f')).toThrow('data_offsets [0, 4] outside the 3-byte data section');
    const huge = good.slice();
    new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
    expect(() => decodeSafetensors(huge, 'f')).toThrow('exceeds the file');
  });
  it('refuses bad offsets, dtypes and gaps', () => {
    expect(() => decodeSafetensors(withHeader({ a: { dtype: 'I64', shape: [4], data_offsets: [0, 4] } }))).toThrow('dtype "I64"');
    expect(() => decodeSafetensors(withHeader({ a: { dtype: 'U8', shape: [4], data_offsets: [0, 8] } }))).toThrow('outside');
    expect(() =>
      decodeSafetensors(withHeader({ a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, b: { dtype: 'U8', shape: [2], data_offsets: [1, 3] } })),
    ).toThrow('gap or overlap');
    expect(() => decodeSafetensors(withHeader({ a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] } }))).toThrow('2 trailing bytes');
  });
});
