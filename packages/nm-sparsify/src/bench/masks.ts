import { performance } from 'node:perf_hooks';
import type { MatrixShape } from '../mask-types.js';
import { selectMask } from '../mask-patterns.js';
import { parseSparsity } from '../sparsity-pattern.js';

export interface MaskBenchRow {
  case: string;
  /** Fastest of the timed runs, milliseconds (one decimal). */
  ms: number;
  /** Fraction of the weights the selected mask prunes (1s in the mask): the case's target when selection worked. */
  prunedFraction: number;
}

export interface MaskBenchOptions {
  /** Matrix shapes `[rows, cols]`; default LLaMA-7B-like 4096×4096 and 11008×4096. */
  shapes?: MatrixShape[];
  /** Timed runs per case (the minimum is reported); default 1. */
  repeats?: number;
}

const CASES = [
  { label: '2:4 in', sparsity: '2:4', plan: { group: 'row', nmAxis: 'in' } },
  { label: '2:4 out', sparsity: '2:4', plan: { group: 'column', nmAxis: 'out' } },
  { label: '0.5 row', sparsity: '0.5', plan: { group: 'row', nmAxis: 'in' } },
  { label: '0.5 column', sparsity: '0.5', plan: { group: 'column', nmAxis: 'out' } },
] as const;

/** Times mask selection on random scores (seeded, so runs are comparable); called by the repo's `pnpm bench`. */
export function benchMasks(options: MaskBenchOptions = {}): MaskBenchRow[] {
  const shapes = options.shapes ?? [
    [4096, 4096],
    [11008, 4096],
  ];
  const repeats = options.repeats ?? 1;
  if (!Number.isInteger(repeats) || repeats < 1) throw new RangeError(`repeats: expected a positive integer, got ${repeats}`);
  const rows: MaskBenchRow[] = [];
  for (const shape of shapes) {
    const scores = randomScores(shape[0] * shape[1], 0x5eed);
    for (const c of CASES) {
      let best = Infinity;
      let mask: Uint8Array = new Uint8Array(0);
      for (let i = 0; i < repeats; i++) {
        const t0 = performance.now();
        mask = selectMask(scores, shape, parseSparsity(c.sparsity), c.plan).mask;
        best = Math.min(best, performance.now() - t0);
      }
      let pruned = 0;
      for (let i = 0; i < mask.length; i++) pruned += mask[i];
      rows.push({ case: `${shape[0]}x${shape[1]} ${c.label}`, ms: Math.round(best * 10) / 10, prunedFraction: pruned / mask.length });
    }
  }
  return rows;
}

function randomScores(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let a = seed >>> 0;
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    out[i] = a / 4294967296;
  }
  return out;
}
