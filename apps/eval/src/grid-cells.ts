import { createHash } from 'node:crypto';
import { parseSparsity } from '@dass/nm-sparsify';
import type { CellSpec } from './cell-record.js';
import type { GridSpec } from './grid-spec.js';

export type { CellKind, CellSpec } from './cell-record.js';

/** `0.5` → `50pct`, `2:4` → `2of4`: safe in file names. */
export function patternSlug(sparsity: string): string {
  const nm = /^(\d+):(\d+)$/.exec(sparsity);
  if (nm) return `${nm[1]}of${nm[2]}`;
  const ratio = Number(sparsity);
  if (!Number.isFinite(ratio)) throw new RangeError(`sparsity: expected a ratio or "N:M", got ${JSON.stringify(sparsity)}`);
  return `${String(+(ratio * 100).toFixed(6)).replace('.', 'p')}pct`;
}

/**
 * sha256 over what decides a cell's numbers (not its id): a finished cell is reused only when its recorded hash
 * equals the current one, so editing the grid reruns exactly the cells it changes.
 */
export function cellHash(spec: CellSpec): string {
  const { id: _id, ...rest } = spec;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** JSON with object keys sorted, so equal specs hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Every cell of a grid, per model: the dense baseline, then method × pattern × targets in grid order, then the
 * outlier analysis (when enabled). The dense cell carries no calibration: its numbers do not depend on it.
 */
export function gridCells(grid: GridSpec): CellSpec[] {
  const cells: CellSpec[] = [];
  const runtime = { backend: grid.backend, ...(grid.maxTokensPerPass ? { maxTokensPerPass: grid.maxTokensPerPass } : {}) };
  const evaluation = { perplexity: grid.perplexity, ...(grid.zeroShot ? { zeroShot: grid.zeroShot } : {}) };
  for (const model of grid.models) {
    cells.push({ id: `${model.name}__dense`, kind: 'dense', model, ...evaluation, ...runtime });
    for (const row of grid.methods) {
      for (const pattern of grid.patterns) {
        // OWL's per-layer ratios are unstructured: such a row has no N:M cells (its tables show n/a there).
        if (row.unstructuredOnly && parseSparsity(pattern.sparsity).kind !== 'unstructured') continue;
        for (const targets of grid.targets) {
          const suffix = grid.targets.length > 1 || targets !== 'mlp' ? `__${targets}` : '';
          cells.push({
            id: `${model.name}__${row.key}__${patternSlug(pattern.sparsity)}${suffix}`,
            kind: 'prune',
            model,
            row: row.key,
            label: row.label,
            method: row.method,
            ...(row.update ? { update: row.update } : {}),
            ...(row.layerRatios ? { layerRatios: row.layerRatios } : {}),
            ...(Object.keys(row.options).length ? { options: row.options } : {}),
            pattern,
            targets,
            calibration: grid.calibration,
            ...evaluation,
            ...runtime,
          });
        }
      }
    }
    if (grid.analysis.enabled) {
      cells.push({
        id: `${model.name}__analysis`,
        kind: 'analysis',
        model,
        calibration: grid.calibration,
        perplexity: [],
        analysis: grid.analysis,
        ...runtime,
      });
    }
  }
  return cells;
}
