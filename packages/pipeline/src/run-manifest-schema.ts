/**
 * The run manifest (`run.json`, `runPrune`'s result, `dass prune --report`) as a zod schema: the TypeScript types
 * are derived from it (`z.infer`), `parseRunManifest` validates one read back, and
 * `schemas/run-manifest.schema.json` (JSON Schema 2020-12) is generated from it by `pnpm --filter @dass/pipeline
 * schemas` for readers in other languages. Numbers that JSON cannot hold (NaN, ±Infinity: a diverged error
 * measure) are written by `JSON.stringify` as null and read back as NaN.
 */
import { DECODER_LINEARS } from '@dass/model-loader';
import { z } from 'zod';

/** A measured number: JSON writes NaN and ±Infinity as null, which reads back as NaN. */
export const measuredNumber = z.union([z.number(), z.null().transform(() => Number.NaN)]);

const count = z.int().min(0);
const optionValue = z.union([z.number(), z.string(), z.boolean()]);

export const SparsityTotalsSchema = z.strictObject({
  zeros: count,
  total: count,
  /** zeros / total (0 when total is 0). */
  ratio: z.number().min(0).max(1),
});

export const MatrixReportSchema = z.strictObject({
  name: z.string().describe('The weight tensor, e.g. model.layers.0.mlp.gate_proj.weight'),
  linear: z.enum(DECODER_LINEARS),
  shape: z.tuple([count, count]).describe('[out, in]'),
  group: z.string().describe('The comparison group of unstructured selection'),
  nmAxis: z.string().describe('The axis N:M groups run along'),
  zeros: count,
  total: count,
  sparsity: z.number().min(0).max(1),
  denseTailWeights: count,
  outputError: measuredNumber.describe(
    'Σ_ij (W_ij − Ŵ_ij)² · s_j: the layer-output error ‖(W − Ŵ)X‖² under the diagonal approximation of XᵀX (exact objective of Wanda-style scores)',
  ),
  details: z
    .record(z.string(), measuredNumber)
    .optional()
    .describe('Method- or update-specific numbers (SparseGPT / OBS: obsError, dampUsed, retries, deadColumns)'),
  seconds: z.number().min(0),
});

const unknown = z.literal('unknown').describe('A provenance field an artifact written by another tool did not record');

export const CalibrationInfoSchema = z.strictObject({
  source: z.string(),
  sourceSha256: z.string().describe('sha256 of the file given (the text source, or the artifact file itself)'),
  kind: z.enum(['artifact', 'text', 'documents']),
  tokenizerSha256: z.union([z.string(), unknown]).optional(),
  nsamples: z.int().min(1),
  seqlen: z.int().min(1),
  seed: z.union([z.int(), unknown]),
  sampler: z.string(),
  wikitextJoin: z.string().optional().describe('WikiText sources: the separator the rows were joined with before tokenizing'),
  idsSha256: z.string().describe('sha256 of the ids actually used (int32 little-endian)'),
  artifact: z
    .strictObject({
      dtype: z.enum(['I32', 'I64']).describe('How input_ids was stored'),
      metadata: z.enum(['dass', 'foreign', 'none']).describe("dass: our metadata, every field checked; foreign: another tool's; none"),
      textSha256: z.union([z.string(), unknown]),
      textSource: z.union([z.string(), unknown]),
      unknown: z.array(z.string()).describe('The provenance fields the file did not record'),
    })
    .optional()
    .describe('Artifacts only: what the file recorded about itself'),
});

export const LayerRatiosReportSchema = z.strictObject({
  strategy: z.literal('owl'),
  m: z.number(),
  lambda: z.number(),
  outlierRatios: z.array(z.number()).describe("Per layer: the percentage of Wanda scores above m × the layer's mean score"),
  ratios: z.array(z.number()).describe('Per layer: the unstructured sparsity it was pruned at'),
  weights: z.array(z.number()).describe('Per layer: weights in its target linears (the weights of the mean)'),
});

export const LayerReportSchema = z.strictObject({
  index: z.int().min(0),
  seconds: z
    .strictObject({ dense: z.number(), prune: z.number(), pruned: z.number(), write: z.number() })
    .describe('Dense pass with statistics, pruning (scores + masks + updates), pruned pass, writing'),
  rssBytes: z.number().min(0),
  matrices: z.array(MatrixReportSchema),
});

const WebGpuAdapterInfoSchema = z.strictObject({
  vendor: z.string(),
  architecture: z.string(),
  description: z.string(),
  device: z.string(),
  fallback: z.boolean().describe('A CPU/software implementation (SwiftShader, llvmpipe, WARP)'),
  limits: z.strictObject({
    maxStorageBufferBindingSize: z.number(),
    maxBufferSize: z.number(),
    maxComputeWorkgroupsPerDimension: z.number(),
    maxComputeWorkgroupStorageSize: z.number(),
  }),
});

export const RunManifestSchema = z
  .strictObject({
    kind: z.literal('dass-ts/prune-run'),
    version: z.literal(1),
    createdAt: z.string().describe('ISO 8601'),
    tool: z.strictObject({
      name: z.string(),
      version: z.string(),
      node: z.string().optional().describe("Node's version (absent in a browser run)"),
      userAgent: z.string().optional().describe('The browser (browser runs only)'),
      tfjs: z.string(),
      platform: z.string(),
    }),
    backend: z
      .strictObject({
        name: z.string(),
        skipped: z.array(z.strictObject({ name: z.string(), reason: z.string() })),
        adapter: WebGpuAdapterInfoSchema.optional(),
        gemm: z
          .strictObject({
            request: z.enum(['auto', 'native', 'wasm']),
            engine: z.string().describe('onnxruntime-node <version> (MLAS), xnnpack (tfjs-backend-wasm), or tfjs-<backend> (its own kernels)'),
            reason: z.string().optional().describe('Why auto did not give the native engine'),
          })
          .optional()
          .describe('The engine the matrix products ran on'),
      })
      .describe('The tfjs backend, why faster ones were skipped, for webgpu the adapter, and the GEMM engine'),
    threads: z.int().min(1).describe('Worker threads that ran the dense and pruned passes (1: the main thread)'),
    model: z.strictObject({
      path: z.string(),
      format: z.string(),
      architecture: z.string(),
      layers: z.int().min(0),
      hiddenSize: z.int().min(0),
      intermediateSize: z.int().min(0),
      vocabSize: z.int().min(0),
      unusedTensors: z.array(z.string()).describe('Checkpoint tensors the architecture does not read: copied to the output unchanged'),
    }),
    method: z.string(),
    label: z.string().describe("The run's label in tables: the method's, `+ <update>`, `(OWL)`"),
    update: z.string().optional().describe("The weight update applied under the method's mask (obs), if any"),
    options: z.record(z.string(), optionValue).describe('Every option of the method and update, resolved (defaults included)'),
    pattern: z.string().describe('"0.5", "2:4", ...'),
    plans: z
      .record(z.string(), z.strictObject({ group: z.string(), nmAxis: z.string() }))
      .describe('Per projection: the comparison group (unstructured) and the N:M axis the method uses'),
    layerRatios: LayerRatiosReportSchema.optional().describe('Non-uniform per-layer sparsity (OWL): the ratios and what they came from'),
    targets: z.string(),
    targetLinears: z.array(z.string()),
    partialGroups: z.string(),
    calibration: CalibrationInfoSchema,
    output: z.strictObject({ path: z.string(), format: z.string() }),
    layers: z.array(LayerReportSchema),
    sparsity: z.strictObject({ overTargets: SparsityTotalsSchema, overDecoderLinears: SparsityTotalsSchema }),
    denseTailWeights: count,
    warnings: z.array(z.string()),
    wallSeconds: z.number().min(0),
    peakRssBytes: z.number().min(0),
  })
  .describe('run.json: everything needed to repeat a DaSS.ts prune run, and what happened');
