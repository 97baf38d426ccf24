import type { z } from 'zod';
import type { MatrixReportSchema } from './run-manifest-schema.js';
import type { LayerStats } from '@dass/calibration';
import type { DecoderLayer, LinearName } from '@dass/model-loader';
import { sparsityOf } from '@dass/nm-sparsify';
import type { PartialGroups, SparsityPattern } from '@dass/nm-sparsify';
import { pruneMatrix } from '@dass/scoring';
import type { LinearStats, MethodOptions, PruningMethod, WeightUpdate } from '@dass/scoring';
import { DassError } from '@dass/errors';

export interface PruneLayerOptions {
  /** A registry entry (`getScoringMethod`). */
  method: PruningMethod;
  /** Optional weight update under the method's fixed mask (`getWeightUpdate('obs')`). */
  update?: WeightUpdate;
  /** This layer's pattern (a layer-ratio strategy may give each layer its own ratio). */
  pattern: SparsityPattern;
  targets: readonly LinearName[];
  /** Resolved options of the method and update (`resolveMethodOptions`). */
  options: MethodOptions;
  partialGroups: PartialGroups;
}

/** What pruning one matrix did: the per-module log (time, error, sparsity). */
/** One pruned matrix in the run manifest (see `MatrixReportSchema`). */
export type MatrixReport = z.infer<typeof MatrixReportSchema>;

function outputErrorOf(before: Float32Array, after: Float32Array, cols: number, sumSq: Float64Array): number {
  let err = 0;
  for (let i = 0; i < before.length; i++) {
    const d = before[i]! - after[i]!;
    if (d !== 0) err += d * d * sumSq[i % cols]!;
  }
  return err;
}

function checkFinite(name: string, data: Float32Array | Float64Array, what: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      throw new DassError(
        'DASS_INVALID_DATA',
        `${name}: ${what} has a non-finite value (${data[i]}) at index ${i}; the layer's activations or weights contain NaN/Inf, so pruning stops here`,
      );
    }
  }
}

/**
 * Prunes the target linears of one resident layer from its dense-pass statistics through the method's registry
 * entry (`pruneMatrix`: its scores and plan, or its own step; then the update, if any) and writes the pruned
 * weights back into the layer.
 */
export function pruneLayer(layer: DecoderLayer, stats: LayerStats, options: PruneLayerOptions): MatrixReport[] {
  const reports: MatrixReport[] = [];
  const { method, update, pattern } = options;
  const downSumSq = stats.inputSumSq.get('down_proj');
  for (const linear of options.targets) {
    const started = performance.now();
    const name = `model.layers.${layer.index}.${linear}`;
    const weight = layer.linearWeight(linear);
    const shape: [number, number] = [weight.shape[0]!, weight.shape[1]!];
    // A NaN/Inf weight would only surface later as NaN scores or as the next layer's statistics; name it here.
    checkFinite(name, weight.data, 'the weight');
    const sumSq = stats.inputSumSq.get(linear);
    if (!sumSq) throw new Error(`${name}: no calibration statistics were gathered for this target`);
    checkFinite(name, sumSq, 'the input sum of squares');
    const linearStats: LinearStats = { inputSumSq: sumSq, downInputSumSq: downSumSq, gram: stats.gram.get(linear), tokens: stats.tokens };
    const plan = method.plan(linear);
    const result = pruneMatrix(
      method,
      { weight: weight.data, shape, kind: linear, stats: linearStats, pattern, partialGroups: options.partialGroups, options: options.options, name },
      update,
    );
    checkFinite(name, result.weight, 'the pruned weight');
    const outputError = outputErrorOf(weight.data, result.weight, shape[1], sumSq);
    layer.setLinearWeight(linear, result.weight);
    const s = sparsityOf(result.weight);
    reports.push({
      name,
      linear,
      shape,
      group: plan.group,
      nmAxis: plan.nmAxis,
      zeros: s.zeros,
      total: s.total,
      sparsity: s.ratio,
      denseTailWeights: result.denseTailWeights,
      outputError,
      ...(result.details ? { details: result.details } : {}),
      seconds: (performance.now() - started) / 1000,
    });
  }
  return reports;
}
