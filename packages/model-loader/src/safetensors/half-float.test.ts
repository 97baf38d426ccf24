import { describe, expect, it } from 'vitest';
import {
  bf16BitsToF32,
  decodeBf16,
  decodeF16,
  encodeBf16,
  encodeF16,
  f16BitsToF32,
  f32BitsToBf16Bits,
  f32BitsToF16Bits,
  f32ToBf16Bits,
  f32ToF16Bits,
} from './half-float.js';

const f32FromBits = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0];

describe('f32 -> f16 (round to nearest even), hand-worked bit patterns', () => {
  const cases: [string, number, number][] = [
    ['1.0', 1, 0x3c00],
    ['-2.0', -2, 0xc000],
    ['0.5', 0.5, 0x3800],
    ['1/3', 1 / 3, 0x3555],
    ['0.1', 0.1, 0x2e66],
    ['+0', 0, 0x0000],
    ['-0', -0, 0x8000],
    ['max half 65504', 65504, 0x7bff],
    ['65519 rounds down to 65504', 65519, 0x7bff],
    ['65520 ties up to Inf (0x3ff is odd)', 65520, 0x7c00],
    ['1e6 overflows', 1e6, 0x7c00],
    ['-1e6 overflows', -1e6, 0xfc00],
    ['+Inf', Infinity, 0x7c00],
    ['-Inf', -Infinity, 0xfc00],
    ['NaN', NaN, 0x7e00],
    ['smallest normal 2^-14', 2 ** -14, 0x0400],
    ['largest subnormal 1023*2^-24', 1023 * 2 ** -24, 0x03ff],
    ['smallest subnormal 2^-24', 2 ** -24, 0x0001],
    ['2^-25 ties to even 0', 2 ** -25, 0x0000],
    ['-2^-25 ties to -0', -(2 ** -25), 0x8000],
    ['1.5*2^-25 rounds up to 2^-24', 1.5 * 2 ** -25, 0x0001],
    ['3*2^-25 ties to even 2*2^-24', 3 * 2 ** -25, 0x0002],
    ['1+2^-11 ties to even 1.0', 1 + 2 ** -11, 0x3c00],
    ['1+3*2^-11 ties to even 1+2^-9', 1 + 3 * 2 ** -11, 0x3c02],
    ['1+2^-11+2^-20 rounds up', 1 + 2 ** -11 + 2 ** -20, 0x3c01],
    ['f32 subnormal 1e-45 -> 0', f32FromBits(1), 0x0000],
    ['subnormal tie carrying into the smallest normal', 1023.5 * 2 ** -24, 0x0400],
  ];
  it.each(cases)('%s', (_label, value, bits) => {
    expect(f32ToF16Bits(value)).toBe(bits);
  });

  it('keeps a NaN sign and payload top bits; a payload that would vanish becomes the quiet bit', () => {
    expect(f32BitsToF16Bits(0xffc00000)).toBe(0xfe00);
    expect(f32BitsToF16Bits(0x7f802000)).toBe(0x7c01); // signalling NaN, payload kept
    expect(f32BitsToF16Bits(0x7f800001)).toBe(0x7e00); // payload below the half's mantissa: still NaN
  });
});

describe('f32 -> bf16 (round to nearest even), hand-worked bit patterns', () => {
  const cases: [string, number, number][] = [
    ['1.0', 0x3f800000, 0x3f80],
    ['-1.0', 0xbf800000, 0xbf80],
    ['pi 0x40490fdb', 0x40490fdb, 0x4049],
    ['0.1 0x3dcccccd rounds up', 0x3dcccccd, 0x3dcd],
    ['+0', 0x00000000, 0x0000],
    ['-0', 0x80000000, 0x8000],
    ['tie to even (down)', 0x3f808000, 0x3f80],
    ['tie to even (up)', 0x3f818000, 0x3f82],
    ['just above the tie', 0x3f808001, 0x3f81],
    ['FLT_MAX overflows to Inf', 0x7f7fffff, 0x7f80],
    ['+Inf', 0x7f800000, 0x7f80],
    ['-Inf', 0xff800000, 0xff80],
    ['quiet NaN', 0x7fc00000, 0x7fc0],
    ['signalling NaN with low payload stays NaN', 0x7f800001, 0x7fc0],
    ['negative NaN', 0xffc00000, 0xffc0],
    ['f32 subnormal tie to even 0', 0x00008000, 0x0000],
    ['f32 subnormal tie to even 2', 0x00018000, 0x0002],
    ['f32 subnormal kept', 0x00010000, 0x0001],
  ];
  it.each(cases)('%s', (_label, inBits, outBits) => {
    expect(f32BitsToBf16Bits(inBits)).toBe(outBits);
    // The number API goes through a JS double, which is fine for every case but signalling NaNs (see below).
    expect(f32ToBf16Bits(f32FromBits(inBits))).toBe(outBits);
  });

  it('keeps a signalling NaN payload when it fits', () => {
    expect(f32BitsToBf16Bits(0x7f810000)).toBe(0x7f81);
    expect(f32BitsToBf16Bits(0xff810000)).toBe(0xff81);
  });
});

describe('decoders', () => {
  it('decodes hand-worked halves', () => {
    const halves = [0x3c00, 0xc000, 0x0001, 0x03ff, 0x0400, 0x7bff, 0x7c00, 0xfc00, 0x8000, 0x3555];
    const expected = [1, -2, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, 65504, Infinity, -Infinity, -0, (1 + 0x155 / 1024) / 4];
    const out = decodeF16(new Uint8Array(new Uint16Array(halves).buffer));
    halves.forEach((_, i) => expect(Object.is(out[i], expected[i])).toBe(true));
    expect(Number.isNaN(decodeF16(new Uint8Array(new Uint16Array([0x7e00]).buffer))[0])).toBe(true);
  });

  it('F16 table decoder agrees with the scalar formula for all 65536 halves', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const out = decodeF16(new Uint8Array(all.buffer));
    for (let h = 0; h < 65536; h++) {
      const ref = f16BitsToF32(h);
      if (Number.isNaN(ref)) expect(Number.isNaN(out[h])).toBe(true);
      else if (!Object.is(out[h], ref)) expect.fail(`half 0x${h.toString(16)}: ${out[h]} vs ${ref}`);
    }
  });

  it('F16 and BF16 survive decode -> encode bit-exactly for all 65536 patterns (NaN payloads included)', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const bytes = new Uint8Array(all.buffer);
    // Compared as buffers (toEqual walks 131072 bytes one by one, slowly); a failure names the first pattern that differs.
    const firstDiff = (out: Uint8Array) => Buffer.from(out.buffer, out.byteOffset, out.byteLength).findIndex((b, i) => b !== bytes[i]) >> 1;
    for (const out of [encodeF16(decodeF16(bytes)), encodeBf16(decodeBf16(bytes))]) {
      expect(out.byteLength).toBe(bytes.byteLength);
      expect(firstDiff(out)).toBe(-1);
    }
  });

  it('decodes from an odd byte offset (unaligned fallback)', () => {
    const buf = new Uint8Array(5);
    buf.set([0x00, 0x3c, 0x80, 0x3f], 1); // F16 1.0, then BF16 1.0
    expect(decodeF16(buf.subarray(1, 3))[0]).toBe(1);
    expect(decodeBf16(buf.subarray(3, 5))[0]).toBe(1);
    expect(bf16BitsToF32(0x3f80)).toBe(1);
  });

  it('BF16 decodes the same bits on the paired (4-byte aligned), 2-byte aligned and bytewise paths, odd lengths included', () => {
    const all = new Uint16Array(65536 + 8).map((_, i) => (i * 40503) & 0xffff);
    const bytes = new Uint8Array(all.buffer);
    const bits = (f: Float32Array) => Array.from(new Uint32Array(f.buffer, f.byteOffset, f.length));
    // The scalar formula per half: its bits shifted into the high half of a float32.
    const want = (from: number, n: number) => Array.from(all.subarray(from, from + n), (h) => (h << 16) >>> 0);
    for (const n of [0, 1, 2, 7, 65535]) {
      expect(bits(decodeBf16(bytes.subarray(0, 2 * n)))).toEqual(want(0, n)); // 4-byte aligned: paired loads
      expect(bits(decodeBf16(bytes.subarray(2, 2 + 2 * n)))).toEqual(want(1, n)); // 2-byte aligned only
      const odd = new Uint8Array(2 * n + 1);
      odd.set(bytes.subarray(0, 2 * n), 1);
      expect(bits(decodeBf16(odd.subarray(1)))).toEqual(want(0, n)); // unaligned: bytewise
    }
  });

  it('BF16 encoding: the 16-bit-store path equals the scalar f32BitsToBf16Bits for random and edge bit patterns', () => {
    const n = 200_003;
    const bits = new Uint32Array(n);
    let x = 12345;
    for (let i = 0; i < n; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      bits[i] = x;
    }
    // Ties (low half 0x8000), NaNs with only low payload bits, ±Inf, ±0, the largest finite values.
    bits.set([0x3f808000, 0x3f818000, 0x7f800001, 0xff800001, 0x7f800000, 0xff800000, 0, 0x80000000, 0x7f7fffff, 0xff7fffff], 0);
    const values = new Float32Array(bits.buffer);
    const want = Array.from(bits, (b) => f32BitsToBf16Bits(b));
    const fast = encodeBf16(values);
    expect(Array.from(new Uint16Array(fast.buffer, 0, n))).toEqual(want);
    // Bytewise path (odd output offset) agrees.
    const odd = new Uint8Array(2 * n + 1);
    encodeBf16(values, odd.subarray(1));
    expect(Buffer.compare(Buffer.from(odd.subarray(1)), Buffer.from(fast))).toBe(0);
  });

  it('F16 encoding picks the nearest half (ties to even) for random floats', () => {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let k = 0; k < 20000; k++) {
      const x = Math.fround((rand() - 0.5) * 2 ** (rand() * 40 - 26));
      const h = f32ToF16Bits(x);
      const err = Math.abs(f16BitsToF32(h) - x);
      // Neighbours in magnitude (h-1 and h+1 within the same sign) are never strictly closer.
      for (const n of [h - 1, h + 1]) {
        if ((n & 0x7fff) > 0x7bff || (n & 0x8000) !== (h & 0x8000) || n < 0) continue;
        const nErr = Math.abs(f16BitsToF32(n) - x);
        expect(nErr >= err).toBe(true);
        if (nErr === err) expect(h & 1).toBe(0);
      }
    }
  });
});
