import { DECODER_LINEARS } from '@dass/model-loader';
import type { DecoderLayer, LinearName } from '@dass/model-loader';
import { sparsityOf } from '@dass/nm-sparsify';
import type { z } from 'zod';
import type { MatrixReport } from './prune-layer.js';
import { RunManifestSchema, type LayerReportSchema, type SparsityTotalsSchema } from './run-manifest-schema.js';
import { describeIssue, firstProblem } from './schema-problems.js';
import { UserInputError } from './user-error.js';

export type SparsityTotals = z.infer<typeof SparsityTotalsSchema>;
export type LayerReport = z.infer<typeof LayerReportSchema>;
/** `run.json` (docs/SPEC.md §6): everything needed to repeat the run, and what happened (see `RunManifestSchema`). */
export type RunManifest = z.infer<typeof RunManifestSchema>;

/**
 * Validates a run manifest read back (`value` parsed from JSON). Errors: a UserInputError
 * `<file>: <key>: expected …, got …` (e.g. `run.json: layers[0].seconds.dense: expected a number, got "1"`).
 */
export function parseRunManifest(value: unknown, file = 'run.json'): RunManifest {
  const result = RunManifestSchema.safeParse(value, { error: describeIssue, reportInput: true });
  if (result.success) return result.data;
  const { key, problem } = firstProblem(result.error);
  throw new UserInputError(`${file}: ${key}: ${problem}`);
}

export function totals(zeros: number, total: number): SparsityTotals {
  return { zeros, total, ratio: total === 0 ? 0 : zeros / total };
}

/** Running zero counts over the targets and over every decoder linear, and the weights left in dense tail groups. */
export class SparsityTally {
  private targetZeros = 0;
  private targetTotal = 0;
  private linearZeros = 0;
  private linearTotal = 0;
  denseTailWeights = 0;

  /** Counts one pruned layer: its target reports (counted when pruned) and a scan of its other linears. */
  addLayer(matrices: readonly MatrixReport[], layer: DecoderLayer, targets: readonly LinearName[]): void {
    for (const m of matrices) {
      this.targetZeros += m.zeros;
      this.targetTotal += m.total;
      this.linearZeros += m.zeros;
      this.linearTotal += m.total;
      this.denseTailWeights += m.denseTailWeights;
    }
    for (const linear of DECODER_LINEARS) {
      if (targets.includes(linear)) continue;
      const s = sparsityOf(layer.linearWeight(linear).data);
      this.linearZeros += s.zeros;
      this.linearTotal += s.total;
    }
  }

  get sparsity(): RunManifest['sparsity'] {
    return { overTargets: totals(this.targetZeros, this.targetTotal), overDecoderLinears: totals(this.linearZeros, this.linearTotal) };
  }
}
