import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors, ModelLoadError } from '@dass/model-loader';
import { afterAll, describe, expect, it } from 'vitest';
import { applyMask } from './apply-mask.js';
import { decodeMaskSafetensors, encodeMaskSafetensors, readMaskSafetensors, writeMaskSafetensors } from './mask-export.js';
import { selectNMMask } from './nm-mask.js';
import { parseSparsity } from './sparsity-pattern.js';
import { randomMatrix } from './test-support/seeded-random.js';
import { selectUnstructuredMask } from './unstructured-mask.js';

const bits = (rows: string[]) => Uint8Array.from(rows.join(''), Number);

describe('mask export (hand-worked 4×4)', () => {
  // DaSS gate/up 2:4 along out, and a wanda 2:4 along in.
  const gate = bits(['1110', '0000', '1111', '0001']);
  const down = bits(['1010', '0110', '0110', '0011']);
  const downWeight = new Float32Array([1, -2, 3, -4, -5, 6, -7, 8, 2, -1, 0, 0.5, -3, 4, -2, 1]);

  it('packs rows little-endian; axis out is stored transposed with metadata', () => {
    const bytes = encodeMaskSafetensors(
      [
        { name: 'l0.gate_proj', shape: [4, 4], mask: gate, axis: 'out' },
        { name: 'l0.down_proj', shape: [4, 4], mask: down, axis: 'in', weight: downWeight },
      ],
      { pattern: parseSparsity('2:4'), compressed: false, metadata: { method: 'dass' } },
    );
    const { tensors, metadata } = decodeSafetensors(bytes);
    // gate transposed: its columns [1,0,1,0] [1,0,1,0] [1,0,1,0] [0,0,1,1] become packed rows 5, 5, 5, 12
    expect(tensors.get('l0.gate_proj.mask')).toMatchObject({ dtype: 'U8', shape: [4, 1] });
    expect(Array.from(tensors.get('l0.gate_proj.mask')!.data as Uint8Array | Float32Array)).toEqual([5, 5, 5, 12]);
    expect(Array.from(tensors.get('l0.down_proj.mask')!.data as Uint8Array | Float32Array)).toEqual([5, 6, 6, 12]);
    expect(metadata).toMatchObject({
      format: 'dass-mask/1',
      pattern: '2:4',
      bit_order: 'little',
      method: 'dass',
      'l0.gate_proj.axis': 'out',
      'l0.gate_proj.transposed': 'true',
      'l0.gate_proj.shape': '[4,4]',
      'l0.down_proj.transposed': 'false',
    });
    expect(metadata.axis).toBeUndefined(); // entries disagree
  });

  it('writes the compressed 2:4 layout: kept values in order + kept bitmask', () => {
    const w = downWeight.slice();
    applyMask(w, down);
    const bytes = encodeMaskSafetensors([{ name: 'd', shape: [4, 4], mask: down, axis: 'in', weight: w }], {
      pattern: parseSparsity('2:4'),
      compressed: true,
    });
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toMatchObject({ axis: 'in', transposed: 'false' });
    expect(tensors.get('d.values')).toMatchObject({ dtype: 'F32', shape: [4, 2] });
    expect(Array.from(tensors.get('d.values')!.data as Uint8Array | Float32Array)).toEqual([-2, -4, -5, 8, 2, 0.5, -3, 4]);
    expect(Array.from(tensors.get('d.kept')!.data as Uint8Array | Float32Array)).toEqual([10, 9, 9, 3]);
    expect(decodeMaskSafetensors(bytes).masks.get('d')!.weight).toEqual(w);
  });

  it('validates entries', () => {
    const p = { pattern: parseSparsity('2:4') };
    expect(() => encodeMaskSafetensors([], p)).toThrow('entries: expected at least one mask');
    expect(() => encodeMaskSafetensors([{ name: 'g', shape: [4, 4], mask: gate, axis: 'up' as never }], p)).toThrow("g: axis: expected 'in' or 'out'");
    expect(() => encodeMaskSafetensors([{ name: 'g', shape: [4, 3], mask: gate, axis: 'in' }], p)).toThrow('g: mask: length 16 does not match g: shape [4, 3]');
    expect(() => encodeMaskSafetensors([{ name: 'g', shape: [4, 4], mask: gate, axis: 'out' }], { ...p, compressed: true })).toThrow('g: weight');
    expect(() => encodeMaskSafetensors([{ name: 'g', shape: [4, 4], mask: gate, axis: 'out' }], { pattern: parseSparsity('0.5'), compressed: true })).toThrow(
      'needs an N:M pattern, got "0.5"',
    );
  });
});

describe('mask files: malformed input', () => {
  it('a header naming a tensor twice is refused (the strict codec of @dass/model-loader)', () => {
    const json =
      '{"__metadata__":{"format":"dass-mask/1","pattern":"2:4"},"d.mask":{"dtype":"U8","shape":[1,1],"data_offsets":[0,1]},"d.mask":{"dtype":"U8","shape":[1,1],"data_offsets":[1,2]}}';
    const text = new TextEncoder().encode(json);
    const bytes = new Uint8Array(8 + text.length + 2);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(text.length), true);
    bytes.set(text, 8);
    expect(() => decodeMaskSafetensors(bytes, 'masks.safetensors')).toThrow(ModelLoadError);
    expect(() => decodeMaskSafetensors(bytes, 'masks.safetensors')).toThrow('masks.safetensors: header names tensor "d.mask" twice');
  });

  it('a safetensors file that is not a mask file is a DASS_FILE_FORMAT error naming it', () => {
    const bytes = encodeSafetensors([{ name: 'w', dtype: 'U8', shape: [1], data: new Uint8Array([1]) }], { format: 'pt' });
    expect(() => decodeMaskSafetensors(bytes, 'model.safetensors')).toThrow(expect.objectContaining({ code: 'DASS_FILE_FORMAT' }));
    expect(() => decodeMaskSafetensors(bytes, 'model.safetensors')).toThrow('model.safetensors: __metadata__.format is "pt", expected "dass-mask/1"');
  });
});

describe('mask files on disk', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dass-masks-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('round-trips masks and compressed weights of both axes, odd widths included', async () => {
    const gateShape = [16, 13] as const; // [d_int, d]: 13 columns -> rows padded; 'out' groups of 4 over 16 rows
    const gateWeight = randomMatrix(...gateShape, 21);
    const gateMask = selectNMMask(gateWeight, gateShape, 2, 4, 'out').mask;
    applyMask(gateWeight, gateMask);
    const downShape = [13, 16] as const;
    const downWeight = randomMatrix(...downShape, 22);
    const downMask = selectNMMask(downWeight, downShape, 2, 4, 'in').mask;
    applyMask(downWeight, downMask);
    const path = join(dir, 'masks.safetensors');
    const size = await writeMaskSafetensors(
      path,
      [
        { name: 'gate', shape: gateShape, mask: gateMask, axis: 'out', weight: gateWeight },
        { name: 'down', shape: downShape, mask: downMask, axis: 'in', weight: downWeight },
      ],
      { pattern: parseSparsity('2:4'), compressed: true },
    );
    expect(size).toBe((await stat(path)).size);
    expect(await readdir(dir)).toEqual(['masks.safetensors']);
    const back = await readMaskSafetensors(path);
    expect(back.pattern).toEqual({ kind: 'nm', n: 2, m: 4 });
    expect(back.masks.get('gate')).toMatchObject({ shape: [16, 13], axis: 'out', transposed: true });
    expect(back.masks.get('gate')!.mask).toEqual(gateMask);
    expect(back.masks.get('gate')!.weight).toEqual(gateWeight);
    expect(back.masks.get('down')!.mask).toEqual(downMask);
    expect(back.masks.get('down')!.weight).toEqual(downWeight);
  });

  it('round-trips unstructured masks', async () => {
    const scores = randomMatrix(7, 9, 3);
    const mask = selectUnstructuredMask(scores, [7, 9], 0.5, 'column');
    const path = join(dir, 'u.safetensors');
    await writeMaskSafetensors(path, [{ name: 'up', shape: [7, 9], mask, axis: 'out' }], { pattern: parseSparsity('0.5') });
    const back = await readMaskSafetensors(path);
    expect(back.metadata).toMatchObject({ pattern: '0.5', axis: 'out', transposed: 'true' });
    expect(back.masks.get('up')!.mask).toEqual(mask);
  });
});
