import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bf16BitsToF32, f16BitsToF32 } from './half-float.js';
import { openSafetensors } from './safetensors-file.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dass-st-read-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A file of four float tensors whose float32 values follow from their stored bits by the scalar formulas. */
async function fourDtypes(): Promise<{ path: string; want: Record<string, number[]> }> {
  // BF16 larger than one 8 MiB decode chunk, with an odd element count: the chunk seams and the tail are covered.
  const nBf16 = (8 << 20) / 2 + 12345;
  const bf16 = new Uint16Array(nBf16).map((_, i) => (i * 40503 + 7) & 0x7f7f);
  const f16 = new Uint16Array(1001).map((_, i) => (i * 977) & 0x7bff);
  const f32 = new Float32Array(33).map((_, i) => i / 7 - 2);
  const f64 = new Float64Array(17).map((_, i) => Math.PI * i - 3);
  const parts: [string, string, number[], Uint8Array][] = [
    ['a.bf16', 'BF16', [nBf16], new Uint8Array(bf16.buffer)],
    ['b.f16', 'F16', [7, 143], new Uint8Array(f16.buffer)],
    ['c.f32', 'F32', [3, 11], new Uint8Array(f32.buffer)],
    ['d.f64', 'F64', [17], new Uint8Array(f64.buffer)],
  ];
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, dtype, shape, bytes] of parts) {
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes.byteLength] };
    offset += bytes.byteLength;
  }
  const text = new TextEncoder().encode(JSON.stringify(header));
  const file = new Uint8Array(8 + text.byteLength + offset);
  new DataView(file.buffer).setBigUint64(0, BigInt(text.byteLength), true);
  file.set(text, 8);
  let at = 8 + text.byteLength;
  for (const [, , , bytes] of parts) {
    file.set(bytes, at);
    at += bytes.byteLength;
  }
  const path = join(dir, 'four.safetensors');
  await writeFile(path, file);
  return {
    path,
    want: {
      'a.bf16': Array.from(bf16, (h) => bf16BitsToF32(h)),
      'b.f16': Array.from(f16, (h) => f16BitsToF32(h)),
      'c.f32': Array.from(f32),
      'd.f64': Array.from(f64, (x) => Math.fround(x)),
    },
  };
}

describe('SafetensorsFile.readF32 / readF32Shared', () => {
  it('decode every float dtype chunk by chunk to the scalar formulas, the shared copy on a SharedArrayBuffer', async () => {
    const { path, want } = await fourDtypes();
    const file = await openSafetensors(path);
    try {
      for (const [name, values] of Object.entries(want)) {
        const plain = await file.readF32(name);
        const shared = await file.readF32Shared(name);
        expect(plain.shape).toEqual(file.info(name).shape);
        expect(shared.shape).toEqual(plain.shape);
        expect(shared.data.buffer).toBeInstanceOf(SharedArrayBuffer);
        // Compared as arrays only where they differ, to keep failures readable on 4M values.
        const mismatch = (data: Float32Array) => values.findIndex((v, i) => !Object.is(data[i], v));
        expect(plain.data.length).toBe(values.length);
        expect(shared.data.length).toBe(values.length);
        expect(mismatch(plain.data)).toBe(-1);
        expect(mismatch(shared.data)).toBe(-1);
      }
      // Concurrent reads each use their own decode buffer.
      const [x, y] = await Promise.all([file.readF32Shared('a.bf16'), file.readF32('a.bf16')]);
      expect(Buffer.compare(Buffer.from(x.data.buffer), Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength))).toBe(0);
    } finally {
      await file.close();
    }
  });
});
