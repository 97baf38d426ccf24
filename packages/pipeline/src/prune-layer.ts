import type { LayerStats } from '@dass/calibration';
import type { DecoderLayer, LinearName } from '@dass/model-loader';
import { applyMask, runSparseGPT, selectMask, sparsityOf } from '@dass/nm-sparsify';
import type { PartialGroups, SparsityPattern } from '@dass/nm-sparsify';
import type { ScoringMethod } from '@dass/scoring';

export interface PruneLayerOptions {
  method: ScoringMethod;
  pattern: SparsityPattern;
  targets: readonly LinearName[];
  alpha: number;
  partialGroups: PartialGroups;
  /** SparseGPT only. */
  percdamp: number;
  blocksize: number;
}

/** What pruning one matrix did: the per-module log (time, error, sparsity). */
export interface MatrixReport {
  name: string;
  linear: LinearName;
  shape: [number, number];
  group: string;
  nmAxis: string;
  zeros: number;
  total: number;
  sparsity: number;
  denseTailWeights: number;
  /**
   * Σ_ij (W_ij − Ŵ_ij)² · s_j: the layer-output error ‖(W − Ŵ)X‖² under the diagonal approximation of XᵀX
   * (exact objective of Wanda-style scores). SparseGPT also reports its own OBS loss in `obsError`.
   */
  outputError: number;
  obsError?: number;
  sparsegpt?: { dampUsed: number; retries: number; deadColumns: number };
  seconds: number;
}

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
      throw new RangeError(`${name}: ${what} has a non-finite value (${data[i]}) at index ${i}; the layer's activations or weights contain NaN/Inf, so pruning stops here`);
    }
  }
}

/**
 * Prunes the target linears of one resident layer from its dense-pass statistics, through the method's registry
 * entry (its comparison group and N:M axis per projection), and writes the pruned weights back into the layer.
 */
export function pruneLayer(layer: DecoderLayer, stats: LayerStats, options: PruneLayerOptions): MatrixReport[] {
  const reports: MatrixReport[] = [];
  const { method, pattern } = options;
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
    const plan = method.plan(linear);
    let pruned: Float32Array;
    let denseTailWeights = 0;
    let obsError: number | undefined;
    let sparsegpt: MatrixReport['sparsegpt'];
    if (method.updatesWeights) {
      const gram = stats.gram.get(linear);
      if (!gram) throw new Error(`${name}: ${method.name} needs XᵀX, which was not gathered`);
      const result = runSparseGPT({
        weight: weight.data,
        shape,
        gram,
        tokens: stats.tokens,
        pattern,
        blocksize: options.blocksize,
        percdamp: options.percdamp,
        partialGroups: options.partialGroups,
        name,
      });
      pruned = result.weight;
      denseTailWeights = result.denseTailWeights;
      obsError = result.error;
      sparsegpt = { dampUsed: result.dampUsed, retries: result.retries, deadColumns: result.deadColumns };
      checkFinite(name, pruned, 'the SparseGPT-updated weight');
    } else {
      const scores = method.score(weight.data, shape, linear, { inputSumSq: sumSq, downInputSumSq: downSumSq, tokens: stats.tokens }, { alpha: options.alpha });
      const selection = selectMask(scores, shape, pattern, plan, { partialGroups: options.partialGroups, name });
      denseTailWeights = selection.denseTailWeights;
      pruned = Float32Array.from(weight.data);
      applyMask(pruned, selection.mask, shape);
    }
    const outputError = outputErrorOf(weight.data, pruned, shape[1], sumSq);
    layer.setLinearWeight(linear, pruned);
    const s = sparsityOf(pruned);
    reports.push({
      name,
      linear,
      shape,
      group: plan.group,
      nmAxis: plan.nmAxis,
      zeros: s.zeros,
      total: s.total,
      sparsity: s.ratio,
      denseTailWeights,
      outputError,
      obsError,
      sparsegpt,
      seconds: (performance.now() - started) / 1000,
    });
  }
  return reports;
}
