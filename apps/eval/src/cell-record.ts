/**
 * `cells/<id>.json`, one per grid cell, as zod schemas: the types are derived from them, `readCellRecord` validates a
 * record read back with `CellRecordSchema`, and `schemas/cell-record.schema.json` is generated from it.
 */
import type { PerplexityResult, ZeroShotResult } from '@dass/evaluation';
import { measuredNumber, RunManifestSchema } from '@dass/pipeline';
import { z } from 'zod';
import {
  BACKENDS,
  GridAnalysisSchema,
  GridCalibrationSchema,
  GridModelSchema,
  GridPatternSchema,
  GridPerplexitySetSchema,
  GridZeroShotSchema,
} from './grid-schema.js';
import type { AnalyzedLinear, ModelOutlierAnalysis } from './outlier-analysis.js';

const count = z.int().min(0);
const optionValue = z.union([z.number(), z.string(), z.boolean()]);

export const CellKindSchema = z.enum(['dense', 'prune', 'analysis']);

/** Everything one cell needs to run on its own (in this process or a worker): plain JSON. */
export const CellSpecSchema = z.strictObject({
  id: z.string().describe('File-name-safe and stable: <model>__<row key>__<pattern>[__<targets>], <model>__dense, <model>__analysis'),
  kind: CellKindSchema,
  model: GridModelSchema,
  row: z.string().optional().describe('The grid row (GridMethod.key)'),
  label: z.string().optional().describe("The row's table label"),
  method: z.string().optional(),
  update: z.string().optional(),
  layerRatios: z.string().optional(),
  options: z.record(z.string(), optionValue).optional().describe('Method (and update) options as the row gives them; the registry fills in the rest'),
  pattern: GridPatternSchema.optional(),
  targets: z.string().optional(),
  calibration: GridCalibrationSchema.optional(),
  perplexity: z.array(GridPerplexitySetSchema),
  zeroShot: GridZeroShotSchema.optional(),
  analysis: GridAnalysisSchema.optional(),
  backend: z.enum(BACKENDS),
  maxTokensPerPass: z.int().min(1).optional(),
});

/** A perplexity set or zero-shot task that could not be evaluated on this model (the rest of the cell still counts). */
export const EvaluationFailureSchema = z.strictObject({ error: z.string() });

// `satisfies`: the schemas of @dass/evaluation's results must produce exactly its types.
export const PerplexityResultSchema = z.strictObject({
  ppl: measuredNumber,
  windows: count,
  tokens: count,
  targets: count,
  seqlen: z.int().min(1),
  stride: z.int().min(1).optional(),
  meanNll: measuredNumber,
  seconds: z.number(),
  tokensPerSecond: measuredNumber,
}) satisfies z.ZodType<PerplexityResult, unknown>;

export const ZeroShotResultSchema = z.strictObject({
  task: z.string(),
  n: count,
  acc: measuredNumber,
  accStderr: measuredNumber,
  accNorm: measuredNumber.optional(),
  accNormStderr: measuredNumber.optional(),
  perplexity: measuredNumber.optional(),
  truncatedItems: count,
  file: z.string(),
  seconds: z.number(),
}) satisfies z.ZodType<ZeroShotResult, unknown>;

export const ZeroShotEntrySchema = z.union([ZeroShotResultSchema, z.strictObject({ task: z.string(), error: z.string() })]);

export const MatrixReadBackSchema = z.strictObject({
  linear: z.string(),
  shape: z.tuple([count, count]),
  zeros: count,
  total: count,
  sparsity: z.number(),
  nmValid: z.boolean().optional().describe("N:M patterns: whether every complete group along the method's axis holds at least N zeros"),
  nmAxis: z.string().optional(),
});

export const LayerReadBackSchema = z.strictObject({
  layer: count,
  zeros: count,
  total: count,
  ratio: z.number(),
  matrices: z.array(MatrixReadBackSchema),
});

/** Sparsity of the written checkpoint's target matrices, independent of what the pruning run reported. */
export const SparsityReadBackSchema = z.strictObject({
  overTargets: z.strictObject({ zeros: count, total: count, ratio: z.number() }),
  layers: z.array(LayerReadBackSchema),
  nmValid: z.boolean().optional().describe("N:M patterns: every target matrix valid along its method's axis"),
});

const HistogramSchema = z.strictObject({ edges: z.array(z.number()), counts: z.array(count) });

export const ModelOutlierAnalysisSchema = z.strictObject({
  model: z.string(),
  k: z.array(z.number()),
  tokens: count.describe('Calibration tokens the statistics were gathered over'),
  layers: z.array(
    z.strictObject({
      layer: count,
      outlierRatio: z.strictObject({
        gate_proj: z.array(measuredNumber),
        up_proj: z.array(measuredNumber),
        down_proj: z.array(measuredNumber),
      } satisfies Record<AnalyzedLinear, unknown>),
      neuronNorms: z.strictObject({
        neurons: count,
        min: measuredNumber,
        median: measuredNumber,
        mean: measuredNumber,
        max: measuredNumber,
        zeros: count,
        log10Histogram: HistogramSchema,
      }),
    }),
  ),
}) satisfies z.ZodType<ModelOutlierAnalysis, unknown>;

export const CellRecordSchema = z
  .strictObject({
    kind: z.literal('dass-repro/cell'),
    version: z.literal(1),
    id: z.string(),
    hash: z.string().describe('cellHash(spec): a rerun reuses this record only while the hash is unchanged'),
    spec: CellSpecSchema,
    status: z.enum(['ok', 'failed']),
    startedAt: z.string(),
    finishedAt: z.string(),
    seconds: z.number(),
    error: z.strictObject({ name: z.string(), message: z.string(), stack: z.string().optional() }).optional(),
    warnings: z.array(z.string()),
    manifest: RunManifestSchema.optional().describe("Prune cells: the pipeline's run manifest"),
    sparsity: SparsityReadBackSchema.optional(),
    perplexity: z.record(z.string(), z.union([PerplexityResultSchema, EvaluationFailureSchema])).optional(),
    zeroShot: z.array(ZeroShotEntrySchema).optional(),
    zeroShotMeanAcc: measuredNumber.optional().describe('Mean accuracy over the zero-shot tasks that ran (all of them, or undefined)'),
    analysis: ModelOutlierAnalysisSchema.optional(),
    worker: z.strictObject({ name: z.string(), host: z.string() }).optional().describe('Cells run from a queue (--queue): the worker that ran it'),
  })
  .describe('dass-repro cells/<id>.json: what one cell asked for and what came out, success or failure');

export type CellKind = z.infer<typeof CellKindSchema>;
export type CellSpec = z.infer<typeof CellSpecSchema>;
export type EvaluationFailure = z.infer<typeof EvaluationFailureSchema>;
export type ZeroShotEntry = z.infer<typeof ZeroShotEntrySchema>;
/** One target matrix of the pruned checkpoint as read back from disk. */
export type MatrixReadBack = z.infer<typeof MatrixReadBackSchema>;
export type LayerReadBack = z.infer<typeof LayerReadBackSchema>;
export type SparsityReadBack = z.infer<typeof SparsityReadBackSchema>;
/** `cells/<id>.json`: what one cell asked for and what came out, success or failure. */
export type CellRecord = z.infer<typeof CellRecordSchema>;

export function isFailure(value: unknown): value is EvaluationFailure {
  return value !== null && typeof value === 'object' && typeof (value as EvaluationFailure).error === 'string';
}
