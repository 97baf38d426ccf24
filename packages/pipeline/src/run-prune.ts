import { InvalidArgumentError } from '@dass/errors';
import { createRequire } from 'node:module';
import { assertOutputApartFromInputs, assertReplaceableOutput, defaultThreads, loadTokenizer, openModel, writeJsonAtomic } from '@dass/model-loader';
import type { Tokenizer, WeightSource } from '@dass/model-loader';
import { withLinalgPool } from '@dass/nm-sparsify';
import { backendReport, selectBackend } from '@dass/tensor-backend';
import { isCalibArtifactPath, loadCalibration } from './calibration-input.js';
import type { CalibrationBatch } from './calibration-batch.js';
import { openCheckpointOutput } from './checkpoint-output.js';
import type { CheckpointOutput } from './checkpoint-sink.js';
import { checkSourceForRun, pruneSource, runLog, validatePruneSettings } from './prune-core.js';
import type { PruneHooks, PruneSettings, RunEnvironment, RunLog, ValidatedPruneOptions } from './prune-core.js';
import type { RunManifest } from './run-manifest.js';
import { peakRssBytes } from './peak-rss.js';

export { PruneAbortedError, pruneSource, runLabel, validatePruneSettings } from './prune-core.js';
export type { PruneHooks, PruneProgress, PruneSettings, PruneSourceOptions, RunEnvironment, ValidatedPruneOptions } from './prune-core.js';

const require = createRequire(import.meta.url);

/** A run from paths (the CLI's `dass prune`): settings and hooks as in `pruneSource`, inputs and outputs as files. */
export interface PruneOptions extends PruneSettings, PruneHooks {
  /** HF checkpoint dir or llama2.c `.bin`. */
  model: string;
  /** Tokenizer file (needed for llama2.c models unless `calib` is an artifact); HF dirs use their own. */
  tokenizer?: string;
  calib: string;
  /**
   * Where the pruned checkpoint goes. Never the same as, inside, or holding `model`, `tokenizer`, `calib` or
   * `report` (real paths compared; OutputPathError before any work).
   */
  out: string;
  /** Replace an existing `out` — only a previous output (a checkpoint folder or llama2.c file), never anything else. */
  force?: boolean;
  /** Also write the manifest here (atomically); an existing file here is replaced only when it is a JSON report. */
  report?: string;
  maxTokensPerPass?: number;
  /**
   * Worker threads for the dense and pruned passes (default: every core, `os.availableParallelism()`, on the wasm
   * and cpu backends, unless a pass is too small to pay for starting threads; 1 on the native tensorflow backends,
   * which thread their own kernels). 1 runs them here. The same count splits SparseGPT's / `--update obs`'s float32
   * products (Hessian inverse, lazy updates) over a LinalgPool on the wasm backend when a layer's Hessian order is
   * ≥ 2048.
   */
  threads?: number;
  /** Caps the default thread count (e.g. cores divided between parallel jobs); an explicit `threads` wins. */
  maxThreads?: number;
}

/**
 * Checks every option before any file is touched; each problem is an InvalidArgumentError whose `field` is the
 * option's (`method`, `sparsity`, `seqlen`, a method option's name such as `percdamp`).
 */
export function validatePruneOptions(options: PruneOptions): ValidatedPruneOptions {
  const v = validatePruneSettings(options);
  if (!options.model) throw new InvalidArgumentError('model', 'required');
  if (!options.calib) throw new InvalidArgumentError('calib', 'required');
  if (!options.out) throw new InvalidArgumentError('out', 'required');
  return v;
}

async function resolveTokenizer(options: PruneOptions, source: WeightSource): Promise<Tokenizer | undefined> {
  if (options.tokenizer) return loadTokenizer(options.tokenizer, { vocabSize: source.config.vocabSize });
  // A calibration artifact already holds token ids: no tokenizer is needed (an HF dir may ship none).
  if (isCalibArtifactPath(options.calib)) return undefined;
  if (source.format === 'hf') return loadTokenizer(options.model, { vocabSize: source.config.vocabSize });
  throw new InvalidArgumentError('tokenizer', `a llama2.c model (${options.model}) needs its tokenizer file to sample calibration text`);
}

/** This package's version (package.json sits one level above both src/ and dist/). */
function pipelineVersion(): string {
  try {
    return (require('../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Node's process: tool versions, RSS now and at peak, SparseGPT's products on worker threads (a LinalgPool). */
const nodeEnvironment: RunEnvironment = {
  tool: { name: 'dass-ts', version: pipelineVersion(), node: process.version, platform: `${process.platform}-${process.arch}` },
  rssBytes: () => process.memoryUsage().rss,
  peakRssBytes,
  withLinalgThreads: withLinalgPool,
};

/** Step 1: the context clamp, the N:M divisibility check, the tokenizer and the calibration windows. */
async function prepareCalibration(options: PruneOptions, v: ValidatedPruneOptions, source: WeightSource, log: RunLog): Promise<CalibrationBatch> {
  const config = source.config;
  const seqlen = checkSourceForRun(source, v, log, !isCalibArtifactPath(options.calib));
  const tokenizer = await resolveTokenizer(options, source);
  log.progress({ stage: 'calibrate', message: options.calib });
  const calibration = await loadCalibration({
    calib: options.calib,
    format: options.calibFormat,
    tokenizer,
    tokenizerPath: options.tokenizer ?? options.model,
    nsamples: v.nsamples,
    seqlen,
    seed: v.seed,
    vocabSize: config.vocabSize,
    // The tokenizer was loaded from its file just now: its sha256 identifies it (a grid's cells share the text).
    cacheEncoding: true,
  });
  if (calibration.seqlen > config.maxPositionEmbeddings) {
    throw new InvalidArgumentError('calib', `windows of ${calibration.seqlen} tokens exceed the model's context (${config.maxPositionEmbeddings})`, {
      shown: options.calib,
    });
  }
  return calibration;
}

/**
 * Before any work: `out` and `report` are never, contain or lie inside an input (`model`, `tokenizer`, `calib`) or
 * each other, and an existing `report` is replaced only when it is a JSON report (OutputPathError naming the option
 * fields). `out` against `force` is checked when the output is opened (it depends on the output format).
 */
async function checkOutputPaths(options: PruneOptions): Promise<void> {
  const inputs = [
    { name: 'model', path: options.model },
    { name: 'tokenizer', path: options.tokenizer },
    { name: 'calib', path: options.calib },
  ];
  await assertOutputApartFromInputs({ name: 'out', path: options.out }, [...inputs, { name: 'report', path: options.report, role: 'output' }]);
  if (options.report) {
    await assertOutputApartFromInputs({ name: 'report', path: options.report }, inputs);
    await assertReplaceableOutput({ name: 'report', path: options.report }, 'json-file');
  }
}

/**
 * Prunes a checkpoint layer by layer (docs/SPEC.md §3) and writes the result in the requested format: validate → calibrate
 * → per-layer patterns → prune layer by layer → commit → manifest. Returns the run manifest; never leaves a
 * partial output behind.
 */
export async function runPrune(options: PruneOptions): Promise<RunManifest> {
  const started = performance.now();
  const v = validatePruneOptions(options);
  const log = runLog(options);
  await checkOutputPaths(options);
  log.progress({ stage: 'load', message: options.model });
  const source = await openModel(options.model);
  let output: CheckpointOutput | undefined;
  try {
    const calibration = await prepareCalibration(options, v, source, log);
    // Started only now: bad models, tokenizers and calibration files are refused without paying for tfjs start-up.
    const backend = await selectBackend(options.backend ?? 'auto', { gemm: options.gemm });
    output = await openCheckpointOutput({
      source,
      modelPath: options.model,
      out: options.out,
      format: options.outFormat ?? 'same',
      force: options.force,
      tokenizerPath: options.tokenizer,
      targets: v.targets,
    });
    const threads =
      v.threads ??
      Math.min(options.maxThreads ?? Infinity, defaultThreads(backend.name, { config: source.config, tokens: calibration.nsamples * calibration.seqlen }));
    const manifest = await pruneSource({
      ...options,
      source,
      calibration,
      output,
      settings: v,
      backend: backendReport(backend),
      threads,
      environment: nodeEnvironment,
      log,
      started,
    });
    if (options.report) await writeJsonAtomic(options.report, manifest);
    return manifest;
  } catch (err) {
    await output?.abort();
    throw err;
  } finally {
    await source.close();
  }
}
