import { readFile } from 'node:fs/promises';
import { decodeSafetensors, encodeSafetensors, writeFileAtomic, type SafetensorsTensor } from '@dass/model-loader';
import { packBitmask, transposeMatrix, unpackBitmask } from './bitmask.js';
import { compressNM, decompressNM } from './compressed-nm.js';
import type { MatrixShape, NmAxis } from './mask-types.js';
import { validateMatrix } from './matrix-shape.js';
import { formatSparsity, parseSparsity, type SparsityPattern } from './sparsity-pattern.js';
import { DassError, InvalidArgumentError } from '@dass/errors';

/** Written to `__metadata__.format`; readers refuse other values. */
export const MASK_FILE_FORMAT = 'dass-mask/1';

/** One pruned matrix to export. */
export interface MaskExportEntry {
  /** Tensor name prefix, e.g. `model.layers.0.mlp.gate_proj`; tensors are `<name>.mask` (+ `.values`, `.kept`). */
  name: string;
  /** `[out, in]` of the weight. */
  shape: MatrixShape;
  /** 1 = pruned, row-major `[out, in]`. */
  mask: Uint8Array;
  /** The N:M axis the mask was chosen along; 'out' masks are exported transposed (`[in, out]`). */
  axis: NmAxis;
  /** The pruned weight; required with `compressed`. */
  weight?: Float32Array;
}

export interface MaskExportOptions {
  pattern: SparsityPattern;
  /** Also write the N:M compressed layout (`<name>.values` F32, `<name>.kept` U8) of every entry. */
  compressed?: boolean;
  /** Extra string metadata (e.g. method, model); reserved keys win. */
  metadata?: Record<string, string>;
}

/** A mask read back, in the original `[out, in]` orientation. */
export interface ImportedMask {
  name: string;
  shape: [number, number];
  axis: NmAxis;
  transposed: boolean;
  mask: Uint8Array;
  /** Dense weight rebuilt from the compressed layout, when the file has one. */
  weight?: Float32Array;
}

/**
 * Encodes masks as safetensors: `<name>.mask` U8 `[rows, ceil(cols/8)]`, bit k of byte b = element 8·b + k of the
 * row (1 = pruned), rows padded to whole bytes. Axis-'out' masks (DaSS gate/up) are stored transposed, `[in, out]`,
 * so their N:M groups run along the packed rows. Metadata: `format`, `pattern`, `bit_order`, per tensor
 * `<name>.shape` (original `[out, in]`), `<name>.axis`, `<name>.transposed`, and top-level `axis`/`transposed`
 * when every entry agrees.
 */
export function encodeMaskSafetensors(entries: MaskExportEntry[], options: MaskExportOptions): Uint8Array {
  if (!Array.isArray(entries) || entries.length === 0)
    throw new InvalidArgumentError('entries', `expected at least one mask, got ${String(entries?.length ?? entries)}`);
  const pattern = options?.pattern;
  const patternText = formatSparsity(pattern);
  if (options.compressed && pattern.kind !== 'nm') {
    throw new InvalidArgumentError('compressed', `the compressed layout needs an N:M pattern, got "${patternText}"`);
  }
  const metadata: Record<string, string> = {
    ...(options.metadata ?? {}),
    format: MASK_FILE_FORMAT,
    pattern: patternText,
    bit_order: 'little',
    mask_bit: '1 = pruned',
  };
  const tensors: SafetensorsTensor[] = [];
  const names = new Set<string>();
  for (const [i, entry] of entries.entries()) {
    const where = `entries[${i}]`;
    if (typeof entry?.name !== 'string' || entry.name.length === 0)
      throw new InvalidArgumentError(`${where}.name`, `expected a tensor name, got ${JSON.stringify(entry?.name)}`);
    if (names.has(entry.name)) throw new InvalidArgumentError(`${where}.name`, `duplicate ${JSON.stringify(entry.name)}`);
    names.add(entry.name);
    if (entry.axis !== 'in' && entry.axis !== 'out')
      throw new InvalidArgumentError(entry.name, `axis: expected 'in' or 'out', got ${JSON.stringify(entry.axis)}`);
    if (!(entry.mask instanceof Uint8Array)) throw new InvalidArgumentError(entry.name, `mask: expected a Uint8Array`);
    validateMatrix(entry.mask, entry.shape, `${entry.name}: mask`, `${entry.name}: shape`);
    const transposed = entry.axis === 'out';
    const [rows, cols] = entry.shape;
    const stored: [number, number] = transposed ? [cols, rows] : [rows, cols];
    const mask = transposed ? transposeMatrix(entry.mask, entry.shape) : entry.mask;
    const packed = packBitmask(mask, stored);
    tensors.push({ name: `${entry.name}.mask`, dtype: 'U8', shape: packed.shape, data: packed.bytes });
    metadata[`${entry.name}.shape`] = JSON.stringify([rows, cols]);
    metadata[`${entry.name}.axis`] = entry.axis;
    metadata[`${entry.name}.transposed`] = String(transposed);
    if (options.compressed && pattern.kind === 'nm') {
      if (!(entry.weight instanceof Float32Array))
        throw new InvalidArgumentError(entry.name, `weight: the compressed layout needs the pruned Float32Array weight`);
      validateMatrix(entry.weight, entry.shape, `${entry.name}: weight`, `${entry.name}: shape`);
      const weight = transposed ? transposeMatrix(entry.weight, entry.shape) : entry.weight;
      const c = compressNM(weight, mask, stored, pattern.n, pattern.m);
      tensors.push({ name: `${entry.name}.values`, dtype: 'F32', shape: c.valuesShape, data: c.values });
      tensors.push({ name: `${entry.name}.kept`, dtype: 'U8', shape: c.keptShape, data: c.kept });
    }
  }
  const axes = new Set(entries.map((e) => e.axis));
  if (axes.size === 1) {
    const [axis] = axes;
    metadata.axis = axis!;
    metadata.transposed = String(axis === 'out');
  }
  // F32 tensors first, so their data stay 4-byte aligned in the file (the header is padded to a multiple of 8).
  const ordered = [...tensors.filter((t) => t.dtype === 'F32'), ...tensors.filter((t) => t.dtype !== 'F32')];
  return encodeSafetensors(ordered, metadata, 'mask file');
}

/** Writes `encodeMaskSafetensors(...)` atomically (temp file + rename); returns the file size. */
export async function writeMaskSafetensors(path: string, entries: MaskExportEntry[], options: MaskExportOptions): Promise<number> {
  const bytes = encodeMaskSafetensors(entries, options);
  await writeFileAtomic(path, bytes, { createParents: true });
  return bytes.length;
}

/**
 * Decodes a mask file back to `[out, in]` masks (and dense weights where the compressed layout is present). A file
 * that is not valid safetensors (truncated, a tensor named twice, offsets off) is a ModelLoadError from
 * `@dass/model-loader`'s `decodeSafetensors` naming `file`; a valid one that is not a mask file is a RangeError.
 */
export function decodeMaskSafetensors(
  bytes: Uint8Array,
  file = 'mask file',
): {
  pattern: SparsityPattern;
  metadata: Record<string, string>;
  masks: Map<string, ImportedMask>;
} {
  const { tensors, metadata } = decodeSafetensors(bytes, file);
  if (metadata.format !== MASK_FILE_FORMAT) {
    throw new DassError('DASS_FILE_FORMAT', `${file}: __metadata__.format is ${JSON.stringify(metadata.format)}, expected "${MASK_FILE_FORMAT}"`);
  }
  const pattern = parseSparsity(metadata.pattern ?? '');
  const masks = new Map<string, ImportedMask>();
  for (const tensor of tensors.values()) {
    if (!tensor.name.endsWith('.mask')) continue;
    const name = tensor.name.slice(0, -'.mask'.length);
    const shape = JSON.parse(metadata[`${name}.shape`] ?? 'null') as [number, number] | null;
    const axis = metadata[`${name}.axis`] as NmAxis;
    const transposed = metadata[`${name}.transposed`] === 'true';
    if (!Array.isArray(shape) || shape.length !== 2 || (axis !== 'in' && axis !== 'out')) {
      throw new DassError('DASS_FILE_FORMAT', `${file}: ${name}: missing or bad ${name}.shape / ${name}.axis metadata`);
    }
    const stored: [number, number] = transposed ? [shape[1], shape[0]] : [shape[0], shape[1]];
    if (tensor.dtype !== 'U8') throw new DassError('DASS_FILE_FORMAT', `${file}: ${tensor.name}: dtype ${tensor.dtype}, expected U8`);
    const storedMask = unpackBitmask(tensor.data as Uint8Array, stored);
    const entry: ImportedMask = { name, shape, axis, transposed, mask: transposed ? transposeMatrix(storedMask, stored) : storedMask };
    const values = tensors.get(`${name}.values`);
    const kept = tensors.get(`${name}.kept`);
    if (values && kept) {
      if (values.dtype !== 'F32' || kept.dtype !== 'U8')
        throw new DassError('DASS_FILE_FORMAT', `${file}: ${name}: expected .values F32 and .kept U8, got ${values.dtype} and ${kept.dtype}`);
      const dense = decompressNM(values.data as Float32Array, kept.data as Uint8Array, stored);
      entry.weight = transposed ? transposeMatrix(dense, stored) : dense;
    }
    masks.set(name, entry);
  }
  return { pattern, metadata, masks };
}

/** Reads and decodes a mask file written by `writeMaskSafetensors`. */
export async function readMaskSafetensors(path: string): Promise<ReturnType<typeof decodeMaskSafetensors>> {
  return decodeMaskSafetensors(new Uint8Array(await readFile(path)), path);
}
