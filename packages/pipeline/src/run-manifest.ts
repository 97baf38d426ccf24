import { DECODER_LINEARS } from '@dass/model-loader';
import type { DecoderLayer, LinearName } from '@dass/model-loader';
import { sparsityOf } from '@dass/nm-sparsify';
import type { MethodOptions } from '@dass/scoring';
import type { WebGpuAdapterInfo } from '@dass/tensor-backend';
import type { CalibrationInfo } from './calibration-input.js';
import type { LayerRatiosReport } from './layer-ratios.js';
import type { MatrixReport } from './prune-layer.js';

export interface SparsityTotals {
  zeros: number;
  total: number;
  ratio: number;
}

export interface LayerReport {
  index: number;
  /** Seconds: dense pass with statistics, pruning (scores + masks + updates), pruned pass, writing. */
  seconds: { dense: number; prune: number; pruned: number; write: number };
  rssBytes: number;
  matrices: MatrixReport[];
}

/** `run.json` (SPEC §6): everything needed to repeat the run, and what happened. */
export interface RunManifest {
  kind: 'dass-ts/prune-run';
  version: 1;
  createdAt: string;
  tool: { name: string; version: string; node: string; tfjs: string; platform: string };
  /** The tfjs backend, why faster ones were skipped, and for webgpu the adapter (vendor, architecture, description, limits). */
  backend: { name: string; skipped: { name: string; reason: string }[]; adapter?: WebGpuAdapterInfo };
  /** Worker threads that ran the dense and pruned passes (1: the main thread). */
  threads: number;
  model: {
    path: string;
    format: string;
    architecture: string;
    layers: number;
    hiddenSize: number;
    intermediateSize: number;
    vocabSize: number;
    /** Checkpoint tensors the configured architecture does not read: ignored by the run, copied to the output unchanged. */
    unusedTensors: string[];
  };
  method: string;
  /** The run's label in tables: the method's, `+ <update>`, `(OWL)`. */
  label: string;
  /** The weight update applied under the method's mask (`obs`), if any. */
  update?: string;
  /** Every option of the method and update, resolved (defaults included). */
  options: MethodOptions;
  pattern: string;
  /** Per projection: the comparison group (unstructured) and the N:M axis the method uses. */
  plans: Record<string, { group: string; nmAxis: string }>;
  /** Non-uniform per-layer sparsity (OWL): the ratios and what they came from. */
  layerRatios?: LayerRatiosReport;
  targets: string;
  targetLinears: string[];
  partialGroups: string;
  calibration: CalibrationInfo;
  output: { path: string; format: string };
  layers: LayerReport[];
  sparsity: { overTargets: SparsityTotals; overDecoderLinears: SparsityTotals };
  denseTailWeights: number;
  warnings: string[];
  wallSeconds: number;
  peakRssBytes: number;
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
