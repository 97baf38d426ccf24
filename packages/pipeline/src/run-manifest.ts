import type { WebGpuAdapterInfo } from '@dass/tensor-backend';
import type { CalibrationInfo } from './calibration-input.js';
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
  pattern: string;
  /** Per projection: the comparison group (unstructured) and the N:M axis the method uses. */
  plans: Record<string, { group: string; nmAxis: string }>;
  alpha?: number;
  targets: string;
  targetLinears: string[];
  partialGroups: string;
  sparsegpt?: { percdamp: number; blocksize: number };
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
