/**
 * float32 <-> float16 / bfloat16 bit conversions. Encoders round to nearest, ties to even (as torch and numpy do);
 * NaN stays NaN with its sign and the top of its payload (as numpy does; so F16/BF16 -> F32 -> F16/BF16 is
 * bit-exact for every pattern), a payload that would vanish becomes the quiet bit; overflow becomes ±Inf.
 * Decoders work on whole arrays: F16 through a 64K-entry lookup table, BF16 by a 16-bit shift.
 */

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** Typed-array views below assume the host stores numbers little-endian, as safetensors does. */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function f32BitsToF16Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return mant === 0 ? sign | 0x7c00 : sign | 0x7c00 | (mant >>> 13 || 0x200);
  const halfExp = exp - 127 + 15;
  if (halfExp >= 0x1f) return sign | 0x7c00;
  if (halfExp <= 0) {
    // Subnormal half: value = m * 2^-24 with m = full mantissa >> shift, rounded to nearest even.
    const shift = 14 - halfExp;
    if (shift > 24) return sign; // below half the smallest subnormal: rounds to ±0
    const full = mant | 0x800000;
    let h = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (h & 1) === 1)) h++;
    return sign | h; // a carry out of the mantissa lands on the smallest normal, which is right
  }
  let h = (halfExp << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++; // carry may reach 0x7c00 = Inf, which is right
  return sign | h;
}

export function f32BitsToBf16Bits(bits: number): number {
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) {
    const h = bits >>> 16;
    return (h & 0x7f) === 0 ? h | 0x40 : h;
  }
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

export function f32ToF16Bits(value: number): number {
  scratchF32[0] = value;
  return f32BitsToF16Bits(scratchU32[0]);
}

export function f32ToBf16Bits(value: number): number {
  scratchF32[0] = value;
  return f32BitsToBf16Bits(scratchU32[0]);
}

export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function bf16BitsToF32(h: number): number {
  scratchU32[0] = (h & 0xffff) << 16;
  return scratchF32[0];
}

let f16Table: Uint32Array | undefined;

/** float32 bit patterns of all 65536 halves; NaNs keep their payload (bit-exact F16 -> F32 -> F16 round trip). */
function f16ToF32BitsTable(): Uint32Array {
  if (f16Table) return f16Table;
  const table = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0x1f) table[h] = sign | 0x7f800000 | (mant << 13);
    else if (exp !== 0 || mant === 0) table[h] = exp === 0 ? sign : sign | ((exp - 15 + 127) << 23) | (mant << 13);
    else {
      scratchF32[0] = mant * 2 ** -24;
      table[h] = sign | scratchU32[0];
    }
  }
  f16Table = table;
  return table;
}

/** Decodes little-endian halves into float32 (`out.length` of them; by default all of `bytes`). */
export function decodeF16(bytes: Uint8Array, out: Float32Array = new Float32Array(bytes.byteLength >>> 1)): Float32Array {
  const table = f16ToF32BitsTable();
  const outBits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  const n = out.length;
  if (HOST_IS_LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) {
    const src = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
    for (let i = 0; i < n; i++) outBits[i] = table[src[i]];
  } else {
    for (let i = 0; i < n; i++) outBits[i] = table[bytes[2 * i] | (bytes[2 * i + 1] << 8)];
  }
  return out;
}

export function decodeBf16(bytes: Uint8Array, out: Float32Array = new Float32Array(bytes.byteLength >>> 1)): Float32Array {
  const n = out.length;
  const outBits = new Uint32Array(out.buffer, out.byteOffset, n);
  if (HOST_IS_LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) {
    // Two halves per 32-bit load (about 1.6× faster than one 16-bit load each): the low half is element 2i.
    const pairs = n >>> 1;
    const src = new Int32Array(bytes.buffer, bytes.byteOffset, pairs);
    const dst = new Int32Array(out.buffer, out.byteOffset, n);
    for (let i = 0, j = 0; i < pairs; i++, j += 2) {
      const w = src[i]!;
      dst[j] = w << 16;
      dst[j + 1] = w & -65536;
    }
    if (n & 1) outBits[n - 1] = (bytes[2 * n - 2]! | (bytes[2 * n - 1]! << 8)) << 16;
  } else if (HOST_IS_LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) {
    const src = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
    for (let i = 0; i < n; i++) outBits[i] = src[i] << 16;
  } else {
    for (let i = 0; i < n; i++) outBits[i] = (bytes[2 * i] | (bytes[2 * i + 1] << 8)) << 16;
  }
  return out;
}

/** Encodes float32 values as little-endian F16 bytes. */
export function encodeF16(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0, j = 0; i < bits.length; i++, j += 2) {
    const h = f32BitsToF16Bits(bits[i]);
    out[j] = h & 0xff;
    out[j + 1] = h >>> 8;
  }
  return out;
}

export function encodeBf16(values: Float32Array, out: Uint8Array = new Uint8Array(values.length * 2)): Uint8Array {
  if (out.byteLength < values.length * 2)
    throw new RangeError(`encodeBf16: out has ${out.byteLength} bytes, ${values.length} values need ${values.length * 2}`);
  if (HOST_IS_LITTLE_ENDIAN && out.byteOffset % 2 === 0) {
    // One 16-bit store per value (same rounding as f32BitsToBf16Bits: nearest, ties to even; NaNs stay NaN).
    const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
    const dst = new Uint16Array(out.buffer, out.byteOffset, values.length);
    for (let i = 0; i < bits.length; i++) {
      const b = bits[i]!;
      const high = b >>> 16;
      if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0) dst[i] = (high & 0x7f) === 0 ? high | 0x40 : high;
      else dst[i] = ((b >>> 0) + 0x7fff + (high & 1)) >>> 16;
    }
    return out;
  }
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0, j = 0; i < bits.length; i++, j += 2) {
    const h = f32BitsToBf16Bits(bits[i]);
    out[j] = h & 0xff;
    out[j + 1] = h >>> 8;
  }
  return out;
}
