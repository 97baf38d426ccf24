import { mkdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadTextSource, runLayerSequential } from '@dass/calibration';
import { evaluateZeroShot, inspectMatrixSparsity, parseLinearTensorName, perplexityOfText } from '@dass/evaluation';
import type { PerplexityResult, ZeroShotResult } from '@dass/evaluation';
import { CausalLM, MLP_LINEARS, defaultThreads, loadTokenizer, openModel, unusedTensorsWarning } from '@dass/model-loader';
import type { Tokenizer, WeightSource } from '@dass/model-loader';
import { parseSparsity } from '@dass/nm-sparsify';
import { loadCalibration, runPrune, targetLinears } from '@dass/pipeline';
import type { RunManifest } from '@dass/pipeline';
import { currentBackend, selectBackend } from '@dass/tensor-backend';
import { cellHash } from './grid-cells.js';
import type { CellSpec } from './grid-cells.js';
import type { CellRecord, EvaluationFailure, LayerReadBack, SparsityReadBack, ZeroShotEntry } from './cell-record.js';
import { analyzeLayer } from './outlier-analysis.js';
import type { ModelOutlierAnalysis } from './outlier-analysis.js';
import type { GridPerplexitySet } from './grid-spec.js';

export interface RunCellOptions {
  /** The grid's output folder; pruned checkpoints are written under `<outDir>/checkpoints/` while evaluated. */
  outDir: string;
  /** Keep each pruned checkpoint (default: removed once evaluated). */
  keepCheckpoint?: boolean;
  /** One-line progress messages. */
  onProgress?: (message: string) => void;
  /**
   * At most this many worker threads for the model passes (pruning and evaluation; default 1); fewer when a pass is
   * too small to pay for them (`defaultThreads`). Results do not depend on it.
   */
  threads?: number;
}

/** The text a perplexity set scores: a plain/WikiText file as the protocol joins it, or documents joined by a space (as Wanda's C4 evaluation). */
async function evaluationText(set: GridPerplexitySet): Promise<string> {
  const source = await loadTextSource(set.path, set.format);
  return source.kind === 'text' ? source.text : source.docs.join(' ');
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function evaluateModel(
  source: WeightSource,
  tokenizer: Tokenizer,
  spec: CellSpec,
  progress: (message: string) => void,
  threads: number,
): Promise<Pick<CellRecord, 'perplexity' | 'zeroShot' | 'zeroShotMeanAcc'>> {
  const model = await CausalLM.fromSource(source, {
    maxTokensPerPass: spec.maxTokensPerPass,
    threads: Math.min(threads, defaultThreads(currentBackend()?.name, { config: source.config, tokens: 8192 })),
  });
  // A model too big to keep resident streams every layer from disk once per call: score as many windows per call as
  // 4 GiB of host hidden states allow (any batch size gives the same numbers).
  const windowsPerCall = (seqlen: number) => Math.max(1, Math.floor(2 ** 32 / (seqlen * source.config.hiddenSize * 4)));
  try {
    const perplexity: Record<string, PerplexityResult | EvaluationFailure> = {};
    for (const set of spec.perplexity) {
      progress(`perplexity on ${set.name}`);
      try {
        const text = await evaluationText(set);
        perplexity[set.name] = await perplexityOfText(model, tokenizer, text, {
          seqlen: set.seqlen,
          maxWindows: set.maxWindows,
          batchSize: Math.max(threads, windowsPerCall(set.seqlen)),
        });
      } catch (err) {
        perplexity[set.name] = { error: message(err) };
      }
    }
    const result: Pick<CellRecord, 'perplexity' | 'zeroShot' | 'zeroShotMeanAcc'> = { perplexity };
    if (spec.zeroShot) {
      const entries: ZeroShotEntry[] = [];
      for (const task of spec.zeroShot.tasks) {
        progress(`zero-shot ${task}`);
        try {
          entries.push(await evaluateZeroShot(model, tokenizer, task, { tasksDir: spec.zeroShot.tasksDir, limit: spec.zeroShot.limit }));
        } catch (err) {
          entries.push({ task, error: message(err) });
        }
      }
      result.zeroShot = entries;
      const accs = entries.filter((e): e is ZeroShotResult => 'acc' in e).map((e) => e.acc);
      if (accs.length === entries.length && accs.length > 0) result.zeroShotMeanAcc = accs.reduce((a, b) => a + b, 0) / accs.length;
    }
    return result;
  } finally {
    model.dispose();
  }
}

/**
 * Reads the pruned checkpoint's target matrices back from disk: per-matrix and per-layer sparsity, and for N:M
 * patterns whether every complete group along the method's axis holds N zeros.
 */
async function readBackSparsity(source: WeightSource, manifest: RunManifest): Promise<SparsityReadBack> {
  const pattern = parseSparsity(manifest.pattern);
  const nm = pattern.kind === 'nm' ? { n: pattern.n, m: pattern.m } : undefined;
  const targets = new Set(manifest.targetLinears);
  const layers = new Map<number, LayerReadBack>();
  let zeros = 0;
  let total = 0;
  let allValid = true;
  for (const name of source.tensorNames()) {
    const parsed = parseLinearTensorName(name);
    if (!parsed || !targets.has(parsed.linear)) continue;
    const tensor = await source.readF32(name);
    const row = inspectMatrixSparsity({ name, shape: tensor.shape, data: tensor.data }, { targets: manifest.targets === 'all' ? 'all' : 'mlp', nm })!;
    const nmAxis = manifest.plans[parsed.linear]?.nmAxis;
    const nmValid = nm ? (nmAxis === 'out' ? row.nmValidOut : row.nmValidIn) : undefined;
    if (nm && !nmValid) allValid = false;
    let layer = layers.get(parsed.layer);
    if (!layer) layers.set(parsed.layer, (layer = { layer: parsed.layer, zeros: 0, total: 0, ratio: 0, matrices: [] }));
    layer.matrices.push({
      linear: parsed.linear,
      shape: row.shape,
      zeros: row.zeros,
      total: row.total,
      sparsity: row.sparsity,
      ...(nm ? { nmValid, nmAxis } : {}),
    });
    layer.zeros += row.zeros;
    layer.total += row.total;
    zeros += row.zeros;
    total += row.total;
  }
  const sorted = [...layers.values()].sort((a, b) => a.layer - b.layer);
  for (const l of sorted) l.ratio = l.total > 0 ? l.zeros / l.total : 0;
  return { overTargets: { zeros, total, ratio: total > 0 ? zeros / total : 0 }, layers: sorted, ...(nm ? { nmValid: allValid } : {}) };
}

/** Opens a model and its tokenizer for `f`; with `warnings`, says there which checkpoint tensors the model ignores. */
async function withModel<T>(
  path: string,
  tokenizerPath: string | undefined,
  f: (source: WeightSource, tokenizer: Tokenizer) => Promise<T>,
  warnings?: string[],
): Promise<T> {
  const source = await openModel(path);
  try {
    const unused = unusedTensorsWarning(source);
    if (warnings && unused !== undefined) warnings.push(unused);
    const tokenizer = await loadTokenizer(tokenizerPath ?? path, { vocabSize: source.config.vocabSize });
    return await f(source, tokenizer);
  } finally {
    await source.close();
  }
}

async function runDense(spec: CellSpec, options: RunCellOptions, warnings: string[], progress: (m: string) => void): Promise<Partial<CellRecord>> {
  return withModel(
    spec.model.path,
    spec.model.tokenizer,
    (source, tokenizer) => evaluateModel(source, tokenizer, spec, progress, options.threads ?? 1),
    warnings,
  );
}

async function runPruneCell(spec: CellSpec, options: RunCellOptions, warnings: string[], progress: (m: string) => void): Promise<Partial<CellRecord>> {
  const calibration = spec.calibration!;
  const checkpoints = join(options.outDir, 'checkpoints');
  await mkdir(checkpoints, { recursive: true });
  const isDir = (await stat(spec.model.path).catch(() => undefined))?.isDirectory() ?? false;
  const out = resolve(checkpoints, isDir ? spec.id : `${spec.id}.bin`);
  try {
    progress('pruning');
    const manifest = await runPrune({
      model: spec.model.path,
      tokenizer: spec.model.tokenizer,
      method: spec.method!,
      update: spec.update,
      layerRatios: spec.layerRatios,
      methodOptions: spec.options,
      sparsity: spec.pattern!.sparsity,
      partialGroups: spec.pattern!.partialGroups,
      targets: spec.targets,
      calib: calibration.source,
      calibFormat: calibration.format,
      nsamples: calibration.nsamples,
      seqlen: calibration.seqlen,
      seed: calibration.seed,
      out,
      force: true,
      backend: spec.backend,
      maxTokensPerPass: spec.maxTokensPerPass,
      maxThreads: options.threads ?? 1,
      onWarning: (w) => warnings.push(w),
    });
    // An HF output carries its own tokenizer files; a llama2.c one needs the original's.
    return await withModel(out, spec.model.tokenizer ?? (isDir ? out : undefined), async (source, tokenizer) => {
      progress('reading the pruned checkpoint back');
      const sparsity = await readBackSparsity(source, manifest);
      if (sparsity.nmValid === false) warnings.push(`the pruned checkpoint breaks the ${manifest.pattern} pattern along the method's axis in some matrix`);
      return { manifest, sparsity, ...(await evaluateModel(source, tokenizer, spec, progress, options.threads ?? 1)) };
    });
  } finally {
    if (!options.keepCheckpoint) await rm(out, { recursive: true, force: true });
  }
}

async function runAnalysis(spec: CellSpec, options: RunCellOptions, warnings: string[], progress: (m: string) => void): Promise<Partial<CellRecord>> {
  const calibration = spec.calibration!;
  const analysis = spec.analysis!;
  return withModel(
    spec.model.path,
    spec.model.tokenizer,
    async (source, tokenizer) => {
      let seqlen = calibration.seqlen;
      if (seqlen > source.config.maxPositionEmbeddings) {
        warnings.push(
          `calibration seqlen ${seqlen} exceeds the model's context (${source.config.maxPositionEmbeddings}); using ${source.config.maxPositionEmbeddings}`,
        );
        seqlen = source.config.maxPositionEmbeddings;
      }
      progress('calibration');
      const batch = await loadCalibration({
        calib: calibration.source,
        format: calibration.format,
        tokenizer,
        nsamples: calibration.nsamples,
        seqlen,
        seed: calibration.seed,
        vocabSize: source.config.vocabSize,
        // loaded from its file by withModel: the prune cells of the grid share these ids (one tokenization per process)
        cacheEncoding: true,
      });
      const model = await CausalLM.fromSource(source, {
        cacheLayers: false,
        maxTokensPerPass: spec.maxTokensPerPass,
        threads: Math.min(options.threads ?? 1, defaultThreads(currentBackend()?.name, { config: source.config, tokens: batch.nsamples * batch.seqlen })),
      });
      const result: ModelOutlierAnalysis = { model: spec.model.name, k: analysis.k, tokens: batch.nsamples * batch.seqlen, layers: [] };
      try {
        await runLayerSequential({
          model,
          inputIds: batch.inputIds,
          nsamples: batch.nsamples,
          seqlen: batch.seqlen,
          targets: MLP_LINEARS,
          maxTokensPerPass: spec.maxTokensPerPass,
          // Inspect only: the weights stay dense, so every layer sees the dense model's activations.
          onLayer: ({ index, layer, stats }) => {
            progress(`analysing layer ${index}`);
            result.layers.push(analyzeLayer(layer, stats, analysis));
          },
        });
      } finally {
        model.dispose();
      }
      return { analysis: result };
    },
    warnings,
  );
}

/**
 * Runs one cell (dense baseline, prune + evaluate, or outlier analysis) and returns its record. Never throws for a
 * problem of the cell itself: the record then has status `failed` and the error.
 */
export async function runCell(spec: CellSpec, options: RunCellOptions): Promise<CellRecord> {
  const started = new Date();
  const t0 = performance.now();
  const warnings: string[] = [];
  const progress = (m: string) => options.onProgress?.(`${spec.id}: ${m}`);
  const base = { kind: 'dass-repro/cell' as const, version: 1 as const, id: spec.id, hash: cellHash(spec), spec, startedAt: started.toISOString() };
  try {
    if (spec.kind === 'prune' && (!spec.method || !spec.pattern || !spec.calibration))
      throw new TypeError(`${spec.id}: a prune cell needs method, pattern and calibration`);
    if (spec.kind === 'analysis' && (!spec.analysis || !spec.calibration))
      throw new TypeError(`${spec.id}: an analysis cell needs analysis and calibration settings`);
    if (spec.targets !== undefined) targetLinears(spec.targets);
    await selectBackend(spec.backend);
    const body =
      spec.kind === 'dense'
        ? await runDense(spec, options, warnings, progress)
        : spec.kind === 'prune'
          ? await runPruneCell(spec, options, warnings, progress)
          : spec.kind === 'analysis'
            ? await runAnalysis(spec, options, warnings, progress)
            : (() => {
                throw new TypeError(`kind: expected dense, prune or analysis, got ${JSON.stringify((spec as CellSpec).kind)}`);
              })();
    for (const [name, r] of Object.entries(body.perplexity ?? {})) if ('error' in r) warnings.push(`perplexity ${name}: ${r.error}`);
    for (const z of body.zeroShot ?? []) if ('error' in z) warnings.push(`zero-shot ${z.task}: ${z.error}`);
    return { ...base, status: 'ok', finishedAt: new Date().toISOString(), seconds: (performance.now() - t0) / 1000, warnings, ...body };
  } catch (err) {
    return failedCellRecord(spec, err, { startedAt: started, seconds: (performance.now() - t0) / 1000, warnings });
  }
}

/** The record of a cell that failed (in `runCell`, or because its worker process died). */
export function failedCellRecord(spec: CellSpec, err: unknown, context: { startedAt: Date; seconds: number; warnings?: string[] }): CellRecord {
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    kind: 'dass-repro/cell',
    version: 1,
    id: spec.id,
    hash: cellHash(spec),
    spec,
    status: 'failed',
    startedAt: context.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    seconds: context.seconds,
    error: { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) },
    warnings: context.warnings ?? [],
  };
}
