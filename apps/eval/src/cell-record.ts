import type { PerplexityResult, ZeroShotResult } from '@dass/evaluation';
import type { RunManifest } from '@dass/pipeline';
import type { CellSpec } from './grid-cells.js';
import type { ModelOutlierAnalysis } from './outlier-analysis.js';

/** A perplexity set or zero-shot task that could not be evaluated on this model (the rest of the cell still counts). */
export interface EvaluationFailure {
  error: string;
}

export type ZeroShotEntry = ZeroShotResult | (EvaluationFailure & { task: string });

/** One target matrix of the pruned checkpoint as read back from disk. */
export interface MatrixReadBack {
  linear: string;
  shape: [number, number];
  zeros: number;
  total: number;
  sparsity: number;
  /** N:M patterns: whether every complete group along the method's axis holds at least N zeros. */
  nmValid?: boolean;
  nmAxis?: string;
}

export interface LayerReadBack {
  layer: number;
  zeros: number;
  total: number;
  ratio: number;
  matrices: MatrixReadBack[];
}

/** Sparsity of the written checkpoint's target matrices, independent of what the pruning run reported. */
export interface SparsityReadBack {
  overTargets: { zeros: number; total: number; ratio: number };
  layers: LayerReadBack[];
  /** N:M patterns: every target matrix valid along its method's axis. */
  nmValid?: boolean;
}

/** `cells/<id>.json`: what one cell asked for and what came out, success or failure. */
export interface CellRecord {
  kind: 'dass-repro/cell';
  version: 1;
  id: string;
  /** `cellHash(spec)`: a rerun reuses this record only while the hash is unchanged. */
  hash: string;
  spec: CellSpec;
  status: 'ok' | 'failed';
  startedAt: string;
  finishedAt: string;
  seconds: number;
  error?: { name: string; message: string; stack?: string };
  warnings: string[];
  /** Prune cells: the pipeline's run manifest. */
  manifest?: RunManifest;
  sparsity?: SparsityReadBack;
  perplexity?: Record<string, PerplexityResult | EvaluationFailure>;
  zeroShot?: ZeroShotEntry[];
  /** Mean accuracy over the zero-shot tasks that ran (all of them, or undefined). */
  zeroShotMeanAcc?: number;
  analysis?: ModelOutlierAnalysis;
  /** Cells run from a queue (`--queue`): the worker that ran it. */
  worker?: { name: string; host: string };
}

export function isFailure(value: unknown): value is EvaluationFailure {
  return value !== null && typeof value === 'object' && typeof (value as EvaluationFailure).error === 'string';
}
