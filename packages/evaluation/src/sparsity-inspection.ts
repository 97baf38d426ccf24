import { ATTENTION_LINEARS, MLP_LINEARS, type LinearName } from '@dass/model-loader';
import { InvalidArgumentError } from '@dass/errors';

export interface InspectedTensor {
  name: string;
  shape: readonly number[];
  data: ArrayLike<number>;
}

export interface SparsityInspectionOptions {
  /** Which decoder linears count as pruning targets: `mlp` (gate/up/down) or `all` (also q/k/v/o). */
  targets: 'mlp' | 'all';
  /** Also check an N:M pattern: at least `n` zeros in every complete group of `m` consecutive weights. */
  nm?: { n: number; m: number };
}

export interface MatrixSparsity {
  name: string;
  layer: number;
  linear: LinearName;
  shape: [number, number];
  /** Whether `targets` includes this matrix. */
  target: boolean;
  zeros: number;
  total: number;
  sparsity: number;
  /** N:M along `in` (m consecutive input columns within a row); only complete groups are checked. */
  nmValidIn?: boolean;
  /** N:M along `out` (m consecutive output rows within a column); only complete groups are checked. */
  nmValidOut?: boolean;
}

export interface ZeroCount {
  zeros: number;
  total: number;
  ratio: number;
}

export interface SparsityInspection {
  /** One row per decoder linear found, in input order. Other tensors (embeddings, norms, lm_head) are skipped. */
  rows: MatrixSparsity[];
  /** Over the pruning targets only. */
  overTargets: ZeroCount;
  /** Over all 7 decoder linears of every layer (q/k/v/o/gate/up/down). */
  overDecoderLinears: ZeroCount;
}

const LINEAR_NAME = /(?:^|\.)layers\.(\d+)\.(self_attn|mlp)\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)\.weight$/;

/** Recognises a decoder linear's weight name (e.g. `model.layers.3.mlp.down_proj.weight`). */
export function parseLinearTensorName(name: string): { layer: number; linear: LinearName } | undefined {
  const m = LINEAR_NAME.exec(name);
  if (!m) return undefined;
  const linear = m[3] as LinearName;
  const block = (ATTENTION_LINEARS as readonly string[]).includes(linear) ? 'self_attn' : 'mlp';
  if (m[2] !== block) return undefined;
  return { layer: Number(m[1]), linear };
}

function validateOptions(options: SparsityInspectionOptions): void {
  if (options == null || (options.targets !== 'mlp' && options.targets !== 'all')) {
    throw new InvalidArgumentError('targets', `expected "mlp" or "all", got ${JSON.stringify(options?.targets)}`);
  }
  const nm = options.nm;
  if (nm === undefined) return;
  const { n, m } = nm ?? ({} as { n?: number; m?: number });
  if (!Number.isInteger(m) || m < 2 || !Number.isInteger(n) || n < 1 || n >= m) {
    throw new InvalidArgumentError('nm', `expected integers 1 <= n < m, got ${JSON.stringify(nm)}`);
  }
}

/** Zero count of one decoder linear, plus N:M validity along both axes when `nm` is given. */
export function inspectMatrixSparsity(tensor: InspectedTensor, options: SparsityInspectionOptions): MatrixSparsity | undefined {
  validateOptions(options);
  if (tensor == null || typeof tensor.name !== 'string') throw new InvalidArgumentError('tensor', `expected {name, shape, data}, got ${String(tensor)}`);
  const parsed = parseLinearTensorName(tensor.name);
  if (!parsed) return undefined;
  const { shape, data, name } = tensor;
  if (shape.length !== 2 || !shape.every((s) => Number.isInteger(s) && s > 0)) {
    throw new InvalidArgumentError(name, `expected a 2-D [out, in] shape, got [${shape.join(', ')}]`);
  }
  const [rows, cols] = shape as [number, number];
  if (data.length !== rows * cols) throw new InvalidArgumentError(name, `shape [${rows}, ${cols}] needs ${rows * cols} values, got ${data.length}`);
  let zeros = 0;
  for (let i = 0; i < data.length; i++) if (data[i] === 0) zeros++;
  const target = options.targets === 'all' || (MLP_LINEARS as readonly string[]).includes(parsed.linear);
  const row: MatrixSparsity = { name, ...parsed, shape: [rows, cols], target, zeros, total: data.length, sparsity: zeros / data.length };
  if (options.nm) {
    row.nmValidIn = nmValid(data, rows, cols, options.nm, 'in');
    row.nmValidOut = nmValid(data, rows, cols, options.nm, 'out');
  }
  return row;
}

function nmValid(data: ArrayLike<number>, rows: number, cols: number, { n, m }: { n: number; m: number }, axis: 'in' | 'out'): boolean {
  if (axis === 'in') {
    for (let r = 0; r < rows; r++) {
      for (let g = 0; g + m <= cols; g += m) {
        let z = 0;
        for (let k = 0; k < m; k++) if (data[r * cols + g + k] === 0) z++;
        if (z < n) return false;
      }
    }
    return true;
  }
  for (let g = 0; g + m <= rows; g += m) {
    const zerosPerCol = new Int32Array(cols);
    for (let k = 0; k < m; k++) {
      const base = (g + k) * cols;
      for (let c = 0; c < cols; c++) if (data[base + c] === 0) zerosPerCol[c]++;
    }
    for (let c = 0; c < cols; c++) if (zerosPerCol[c] < n) return false;
  }
  return true;
}

/** Totals over the targets and over all decoder linears of already inspected matrices. */
export function summarizeSparsity(rows: readonly MatrixSparsity[]): Omit<SparsityInspection, 'rows'> {
  const count = (pick: (r: MatrixSparsity) => boolean): ZeroCount => {
    let zeros = 0;
    let total = 0;
    for (const r of rows) {
      if (!pick(r)) continue;
      zeros += r.zeros;
      total += r.total;
    }
    return { zeros, total, ratio: total > 0 ? zeros / total : 0 };
  };
  return { overTargets: count((r) => r.target), overDecoderLinears: count(() => true) };
}

/**
 * Per-matrix sparsity of a checkpoint's decoder linears and the two totals the run manifest reports: over the
 * pruning targets, and over all 7 decoder linears per layer. Tensors that are not decoder linears are skipped.
 */
export function inspectSparsity(tensors: Iterable<InspectedTensor>, options: SparsityInspectionOptions): SparsityInspection {
  validateOptions(options);
  if (tensors == null || typeof (tensors as Iterable<InspectedTensor>)[Symbol.iterator] !== 'function') {
    throw new InvalidArgumentError('tensors', `expected an iterable of {name, shape, data}, got ${String(tensors)}`);
  }
  const rows: MatrixSparsity[] = [];
  const seen = new Set<string>();
  for (const t of tensors) {
    const row = inspectMatrixSparsity(t, options);
    if (!row) continue;
    if (seen.has(row.name)) throw new InvalidArgumentError('tensors', `${row.name} appears twice`);
    seen.add(row.name);
    rows.push(row);
  }
  return { rows, ...summarizeSparsity(rows) };
}
