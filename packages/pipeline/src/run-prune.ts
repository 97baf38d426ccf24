import { InvalidArgumentError } from '@dass/errors';
import { createRequire } from 'node:module';
import { runLayerSequential } from '@dass/calibration';
import type { TextSourceFormat } from '@dass/calibration';
import {
  assertOutputApartFromInputs,
  assertReplaceableOutput,
  CausalLM,
  defaultThreads,
  linearTensorName,
  loadTokenizer,
  openModel,
  unusedTensorsWarning,
  writeJsonAtomic,
} from '@dass/model-loader';
import type { LinearName, Tokenizer, WeightSource } from '@dass/model-loader';
import { formatSparsity, parseSparsity, targetRatio, withLinalgPool } from '@dass/nm-sparsify';
import type { PartialGroups, SparsityPattern } from '@dass/nm-sparsify';
import { getScoringMethod, getWeightUpdate, neededStatistics, resolveMethodOptions, scoringMethodNames } from '@dass/scoring';
import type { MethodOptions, PruningMethod, WeightUpdate } from '@dass/scoring';
import { BACKEND_NAMES, backendReport, selectBackend, tf } from '@dass/tensor-backend';
import type { BackendRequest } from '@dass/tensor-backend';
import { isCalibArtifactPath, loadCalibration } from './calibration-input.js';
import type { CalibrationBatch } from './calibration-input.js';
import { LAYER_RATIO_STRATEGIES, OWL_DEFAULTS, owlLayerPatterns } from './layer-ratios.js';
import type { LayerRatioStrategy, LayerRatiosReport } from './layer-ratios.js';
import { openCheckpointOutput } from './checkpoint-output.js';
import type { CheckpointOutput, OutputFormat } from './checkpoint-output.js';
import { pruneLayer } from './prune-layer.js';
import { SparsityTally } from './run-manifest.js';
import { peakRssBytes } from './peak-rss.js';
import type { LayerReport, RunManifest } from './run-manifest.js';
import { targetLinears } from './targets.js';

export interface PruneProgress {
  stage: 'load' | 'calibrate' | 'embed' | 'dense' | 'prune' | 'pruned' | 'write' | 'done';
  layer?: number;
  layers?: number;
  message?: string;
}

export interface PruneOptions {
  /** HF checkpoint dir or llama2.c `.bin`. */
  model: string;
  /** Tokenizer file (needed for llama2.c models unless `calib` is an artifact); HF dirs use their own. */
  tokenizer?: string;
  /** A registered pruning method (`@dass/scoring`'s registry). */
  method: string;
  /** A registered weight update applied under the method's mask (`obs`), or `none` (default). */
  update?: string;
  sparsity: string | SparsityPattern;
  /** `uniform` (default) or `owl`: OWL's outlier-weighted per-layer ratios (unstructured only). */
  layerRatios?: string;
  /** OWL's outlier threshold M (a score is an outlier above M × its layer's mean); default 5. */
  owlM?: number;
  /** OWL's spread λ of the per-layer sparsity around the target; default 0.08. */
  owlLambda?: number;
  targets?: string;
  /** Options of the method and update by name (`{ alpha: 1 }`); each is checked against their declarations. */
  methodOptions?: Readonly<Record<string, unknown>>;
  /** Shorthand for `methodOptions.alpha`. */
  alpha?: number;
  /** Shorthand for `methodOptions.percdamp`. */
  percdamp?: number;
  /** Shorthand for `methodOptions.blocksize`. */
  blocksize?: number;
  partialGroups?: PartialGroups;
  calib: string;
  calibFormat?: TextSourceFormat;
  nsamples?: number;
  seqlen?: number;
  seed?: number;
  /**
   * Where the pruned checkpoint goes. Never the same as, inside, or holding `model`, `tokenizer`, `calib` or
   * `report` (real paths compared; OutputPathError before any work).
   */
  out: string;
  outFormat?: OutputFormat;
  /** Replace an existing `out` — only a previous output (a checkpoint folder or llama2.c file), never anything else. */
  force?: boolean;
  backend?: BackendRequest;
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
  onProgress?: (progress: PruneProgress) => void;
  onWarning?: (message: string) => void;
  /** Checked between layers: an aborted run removes its partial output. */
  signal?: AbortSignal;
  /** Called with each target's pruned weight, by tensor name (tests compare the in-memory model with the written one). */
  onPrunedWeight?: (name: string, data: Float32Array) => void;
}

export interface ValidatedPruneOptions {
  method: PruningMethod;
  update: WeightUpdate | undefined;
  /** Resolved options of the method and update. */
  options: MethodOptions;
  pattern: SparsityPattern;
  layerRatios: LayerRatioStrategy;
  owl: { m: number; lambda: number };
  targets: readonly LinearName[];
  targetsName: string;
  partialGroups: PartialGroups;
  nsamples: number;
  seqlen: number;
  seed: number;
  /** Undefined: the default for the backend (see `PruneOptions.threads`). */
  threads?: number;
}

const require = createRequire(import.meta.url);
const OUTPUT_FORMATS: readonly OutputFormat[] = ['same', 'hf', 'llama2c'];

function positiveInteger(name: string, value: unknown, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
    throw new InvalidArgumentError(name, `expected a positive integer, got ${JSON.stringify(value)}`);
  return v;
}

/** The label of a run in tables and manifests: `DaSS`, `DaSS + OBS`, `Wanda (OWL)`. */
export function runLabel(method: PruningMethod, update?: WeightUpdate, layerRatios: LayerRatioStrategy = 'uniform'): string {
  return `${method.label}${update ? ` + ${update.label}` : ''}${layerRatios === 'owl' ? ' (OWL)' : ''}`;
}

function finiteIn(field: string, value: unknown, fallback: number, ok: (v: number) => boolean, expected: string): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new InvalidArgumentError(field, `expected ${expected}, got ${JSON.stringify(value)}`);
  return v;
}

/**
 * Checks every option before any file is touched; each problem is an InvalidArgumentError whose `field` is the
 * option's (`method`, `sparsity`, `seqlen`, a method option's name such as `percdamp`).
 */
export function validatePruneOptions(options: PruneOptions): ValidatedPruneOptions {
  // The registry and parseSparsity name the same fields as PruneOptions (method, update, sparsity, an option's name).
  const method = getScoringMethod(options.method);
  const update = options.update === undefined || options.update === 'none' ? undefined : getWeightUpdate(options.update);
  if (update && method.prune) {
    const scorers = scoringMethodNames().filter((n) => !getScoringMethod(n).prune);
    throw new InvalidArgumentError(
      'update',
      (name) =>
        `${method.name} chooses its mask inside its own step (it updates weights itself); ${name('update')} needs a method that scores (${scorers.join(', ')})`,
      { shown: update.name },
    );
  }
  const pattern = typeof options.sparsity === 'string' ? parseSparsity(options.sparsity) : options.sparsity;
  const given: Record<string, unknown> = { ...options.methodOptions };
  for (const [name, value] of [
    ['alpha', options.alpha],
    ['percdamp', options.percdamp],
    ['blocksize', options.blocksize],
  ] as const) {
    if (value !== undefined) given[name] = value;
  }
  // Errors name the method option's own field (`percdamp`); the CLI shows it as that option's flag.
  const methodOptions: MethodOptions = resolveMethodOptions(method, update, given);
  const layerRatios = (options.layerRatios ?? 'uniform') as LayerRatioStrategy;
  if (!LAYER_RATIO_STRATEGIES.includes(layerRatios)) {
    throw new InvalidArgumentError('layerRatios', `expected one of ${LAYER_RATIO_STRATEGIES.join(', ')}, got ${JSON.stringify(options.layerRatios)}`);
  }
  if (layerRatios === 'owl' && pattern.kind === 'nm') {
    throw new InvalidArgumentError(
      'layerRatios',
      (name) =>
        `OWL gives each layer its own unstructured ratio, but ${name('sparsity')} ${formatSparsity(pattern)} fixes N of every M weights in every layer; use an unstructured ${name('sparsity')} (e.g. 0.5) or ${name('layerRatios')} uniform`,
      { shown: 'owl' },
    );
  }
  const owl = {
    m: finiteIn('owlM', options.owlM, OWL_DEFAULTS.m, (v) => v > 0, 'a number > 0'),
    lambda: finiteIn('owlLambda', options.owlLambda, OWL_DEFAULTS.lambda, (v) => v >= 0 && v < 0.5, 'a number in [0, 0.5)'),
  };
  const targetsName = options.targets ?? 'mlp';
  const targets = targetLinears(targetsName);
  const partialGroups = options.partialGroups ?? 'error';
  if (partialGroups !== 'error' && partialGroups !== 'dense')
    throw new InvalidArgumentError('partialGroups', `expected error or dense, got ${JSON.stringify(partialGroups)}`);
  if (options.outFormat !== undefined && !OUTPUT_FORMATS.includes(options.outFormat)) {
    throw new InvalidArgumentError('outFormat', `expected one of ${OUTPUT_FORMATS.join(', ')}, got ${JSON.stringify(options.outFormat)}`);
  }
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new InvalidArgumentError('seed', `expected an integer, got ${JSON.stringify(options.seed)}`);
  if (options.backend !== undefined && options.backend !== 'auto' && !(BACKEND_NAMES as readonly string[]).includes(options.backend)) {
    throw new InvalidArgumentError('backend', `expected one of auto, ${BACKEND_NAMES.join(', ')}; got ${JSON.stringify(options.backend)}`);
  }
  if (!options.model) throw new InvalidArgumentError('model', 'required');
  if (!options.calib) throw new InvalidArgumentError('calib', 'required');
  if (!options.out) throw new InvalidArgumentError('out', 'required');
  return {
    method,
    update,
    options: methodOptions,
    pattern,
    layerRatios,
    owl,
    targets,
    targetsName,
    partialGroups,
    nsamples: positiveInteger('nsamples', options.nsamples, 128),
    seqlen: positiveInteger('seqlen', options.seqlen, 2048),
    seed,
    threads: options.threads === undefined ? undefined : positiveInteger('threads', options.threads, 1),
  };
}

/** N:M groups must tile each target's group dimension unless tails may stay dense: checked before any work. */
function checkGroupsDivide(source: WeightSource, v: ValidatedPruneOptions): void {
  if (v.pattern.kind !== 'nm' || v.partialGroups === 'dense') return;
  const m = v.pattern.m;
  for (const linear of v.targets) {
    const name = linearTensorName(0, linear);
    const [rows, cols] = source.shape(name) as [number, number];
    const axis = v.method.plan(linear).nmAxis;
    const length = axis === 'in' ? cols : rows;
    if (length % m !== 0) {
      throw new InvalidArgumentError(
        'sparsity',
        (name) =>
          `${linear} [${rows}, ${cols}] has ${length} ${axis === 'in' ? 'input columns' : 'output rows'} along the N:M axis (${axis}), not divisible by ${m}; pass ${name('partialGroups')} dense to leave the tail group dense`,
        { shown: formatSparsity(v.pattern) },
      );
    }
  }
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

/** Warnings (kept for the manifest and passed on) and progress of one run. */
interface RunLog {
  warnings: string[];
  warn(message: string): void;
  progress(progress: PruneProgress): void;
}

function runLog(options: PruneOptions): RunLog {
  const warnings: string[] = [];
  return {
    warnings,
    warn: (message) => {
      warnings.push(message);
      options.onWarning?.(message);
    },
    progress: options.onProgress ?? (() => {}),
  };
}

/** Step 1: the context clamp, the N:M divisibility check, the tokenizer and the calibration windows. */
async function prepareCalibration(options: PruneOptions, v: ValidatedPruneOptions, source: WeightSource, log: RunLog): Promise<CalibrationBatch> {
  const config = source.config;
  // Checkpoint tensors the architecture does not read (issue 12): said once, listed in the manifest, copied as is.
  const unused = unusedTensorsWarning(source);
  if (unused !== undefined) log.warn(unused);
  let seqlen = v.seqlen;
  if (seqlen > config.maxPositionEmbeddings && !isCalibArtifactPath(options.calib)) {
    log.warn(`seqlen ${seqlen} exceeds the model's context (${config.maxPositionEmbeddings}); using ${config.maxPositionEmbeddings}`);
    seqlen = config.maxPositionEmbeddings;
  }
  checkGroupsDivide(source, v);
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
  });
  if (calibration.seqlen > config.maxPositionEmbeddings) {
    throw new InvalidArgumentError('calib', `windows of ${calibration.seqlen} tokens exceed the model's context (${config.maxPositionEmbeddings})`, {
      shown: options.calib,
    });
  }
  return calibration;
}

/** Step 2: each layer's pattern: the target everywhere, or OWL's ratios from a dense pre-pass. */
async function layerPatterns(
  options: PruneOptions,
  v: ValidatedPruneOptions,
  source: WeightSource,
  calibration: CalibrationBatch,
  threads: number,
  log: RunLog,
): Promise<{ patterns: SparsityPattern[]; report?: LayerRatiosReport }> {
  const layers = source.config.numLayers;
  if (v.layerRatios === 'uniform') return { patterns: Array.from({ length: layers }, () => v.pattern) };
  const model = await CausalLM.fromSource(source, { cacheLayers: false, maxTokensPerPass: options.maxTokensPerPass, threads });
  try {
    return await owlLayerPatterns({
      model,
      inputIds: calibration.inputIds,
      nsamples: calibration.nsamples,
      seqlen: calibration.seqlen,
      targets: v.targets,
      target: targetRatio(v.pattern),
      m: v.owl.m,
      lambda: v.owl.lambda,
      maxTokensPerPass: options.maxTokensPerPass,
      onProgress: (layer) => log.progress({ stage: 'dense', layer, layers, message: 'OWL outlier ratios' }),
    });
  } catch (err) {
    // OWL's ratios left [0, 1): owlLayerRatios names its own λ and target; here they are owlLambda and the sparsity.
    if (InvalidArgumentError.isInstance(err) && err.field === 'lambda') {
      const owl = err;
      const ours = (name: (field: string) => string) => (field: string) => name(field === 'lambda' ? 'owlLambda' : field === 'target' ? 'sparsity' : field);
      throw new InvalidArgumentError('layerRatios', (name) => owl.describeProblem(ours(name)), { shown: 'owl', cause: err });
    }
    throw err;
  } finally {
    model.dispose();
  }
}

/** Which linears the capture must gather Σx² / XᵀX for: the targets, plus down_proj when `downInputSumSq` is needed. */
function captureRequest(v: ValidatedPruneOptions): { targets: readonly LinearName[]; gram: boolean | ((l: LinearName) => boolean) } {
  const needs = neededStatistics(v.method, v.update);
  const targets = needs.has('downInputSumSq') && !v.targets.includes('down_proj') ? [...v.targets, 'down_proj' as const] : v.targets;
  return { targets, gram: needs.has('gram') ? (l) => v.targets.includes(l) : false };
}

/** Below this Hessian order the OBS linear algebra is too small (< 1 s) to pay for starting worker threads. */
const MIN_POOLED_HESSIAN = 2048;

/** Threads for SparseGPT's float32 products (a LinalgPool): the run's threads when an OBS step needs XᵀX of a large layer. */
function linalgThreads(v: ValidatedPruneOptions, config: WeightSource['config'], threads: number): number {
  if (!neededStatistics(v.method, v.update).has('gram')) return 1;
  return Math.max(config.hiddenSize, config.intermediateSize) >= MIN_POOLED_HESSIAN ? threads : 1;
}

/** Step 3: the layer-sequential pass: capture, prune through the registry entry, write, tally. */
async function pruneLayers(
  options: PruneOptions,
  v: ValidatedPruneOptions,
  source: WeightSource,
  calibration: CalibrationBatch,
  output: CheckpointOutput,
  patterns: readonly SparsityPattern[],
  threads: number,
  log: RunLog,
): Promise<{ layers: LayerReport[]; tally: SparsityTally }> {
  const layerCount = source.config.numLayers;
  const model = await CausalLM.fromSource(source, { cacheLayers: false, maxTokensPerPass: options.maxTokensPerPass, threads });
  const layers: LayerReport[] = [];
  const tally = new SparsityTally();
  const capture = captureRequest(v);
  let phaseStart = performance.now();
  let current: LayerReport | undefined;
  try {
    await runLayerSequential({
      model,
      inputIds: calibration.inputIds,
      nsamples: calibration.nsamples,
      seqlen: calibration.seqlen,
      targets: capture.targets,
      gram: capture.gram,
      maxTokensPerPass: options.maxTokensPerPass,
      onProgress: (p) => log.progress({ stage: p.stage, layer: p.layer, layers: p.layers }),
      onLayer: ({ index, layer, stats }) => {
        if (options.signal?.aborted) throw new Error('pruning was interrupted');
        const dense = (performance.now() - phaseStart) / 1000;
        log.progress({ stage: 'prune', layer: index, layers: layerCount });
        const pruneStart = performance.now();
        const matrices = pruneLayer(layer, stats, {
          method: v.method,
          update: v.update,
          pattern: patterns[index]!,
          targets: v.targets,
          options: v.options,
          partialGroups: v.partialGroups,
        });
        current = { index, seconds: { dense, prune: (performance.now() - pruneStart) / 1000, pruned: 0, write: 0 }, rssBytes: 0, matrices };
        phaseStart = performance.now();
      },
      afterLayer: async ({ index, layer }) => {
        const report = current!;
        report.seconds.pruned = (performance.now() - phaseStart) / 1000;
        const writeStart = performance.now();
        log.progress({ stage: 'write', layer: index, layers: layerCount });
        for (const linear of v.targets) {
          const data = layer.linearWeight(linear).data;
          await output.writeLinear(index, linear, data);
          options.onPrunedWeight?.(linearTensorName(index, linear), data);
        }
        // The targets were counted when pruned (and are unchanged since); only the other linears are scanned here.
        tally.addLayer(report.matrices, layer, v.targets);
        report.seconds.write = (performance.now() - writeStart) / 1000;
        report.rssBytes = process.memoryUsage().rss;
        layers.push(report);
        if (options.signal?.aborted) throw new Error('pruning was interrupted');
        phaseStart = performance.now();
      },
    });
  } finally {
    model.dispose();
  }
  return { layers, tally };
}

/** Step 4: the run manifest (docs/SPEC.md §6) from what the steps produced. */
function buildManifest(run: {
  options: PruneOptions;
  v: ValidatedPruneOptions;
  source: WeightSource;
  backend: RunManifest['backend'];
  threads: number;
  calibration: CalibrationBatch;
  output: CheckpointOutput;
  layerRatios?: LayerRatiosReport;
  layers: LayerReport[];
  tally: SparsityTally;
  warnings: string[];
  started: number;
}): RunManifest {
  const { options, v, source } = run;
  const config = source.config;
  const plans: RunManifest['plans'] = {};
  for (const linear of v.targets) {
    const plan = v.method.plan(linear);
    plans[linear] = { group: plan.group, nmAxis: plan.nmAxis };
  }
  return {
    kind: 'dass-ts/prune-run',
    version: 1,
    createdAt: new Date().toISOString(),
    tool: { name: 'dass-ts', version: pipelineVersion(), node: process.version, tfjs: tf.version_core, platform: `${process.platform}-${process.arch}` },
    backend: run.backend,
    threads: run.threads,
    model: {
      path: options.model,
      format: source.format,
      architecture: config.architecture,
      layers: config.numLayers,
      hiddenSize: config.hiddenSize,
      intermediateSize: config.intermediateSize,
      vocabSize: config.vocabSize,
      unusedTensors: [...(source.unusedTensors ?? [])],
    },
    method: v.method.name,
    label: runLabel(v.method, v.update, v.layerRatios),
    ...(v.update ? { update: v.update.name } : {}),
    options: v.options,
    pattern: formatSparsity(v.pattern),
    plans,
    ...(run.layerRatios ? { layerRatios: run.layerRatios } : {}),
    targets: v.targetsName,
    targetLinears: [...v.targets],
    partialGroups: v.partialGroups,
    calibration: run.calibration.info,
    output: { path: run.output.path, format: run.output.format },
    layers: run.layers,
    sparsity: run.tally.sparsity,
    denseTailWeights: run.tally.denseTailWeights,
    warnings: run.warnings,
    wallSeconds: (performance.now() - run.started) / 1000,
    peakRssBytes: peakRssBytes(),
  };
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
    const backend = await selectBackend(options.backend ?? 'auto');
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
    const { patterns, report: layerRatios } = await layerPatterns(options, v, source, calibration, threads, log);
    // SparseGPT / OBS: the Hessian inverse and the sweep's products split over the same number of threads.
    const out = output;
    const { layers, tally } = await withLinalgPool(linalgThreads(v, source.config, threads), () =>
      pruneLayers(options, v, source, calibration, out, patterns, threads, log),
    );
    await output.commit();
    const manifest = buildManifest({
      options,
      v,
      source,
      backend: backendReport(backend),
      threads,
      calibration,
      output,
      layerRatios,
      layers,
      tally,
      warnings: log.warnings,
      started,
    });
    if (options.report) await writeJsonAtomic(options.report, manifest);
    log.progress({ stage: 'done' });
    return manifest;
  } catch (err) {
    await output?.abort();
    throw err;
  } finally {
    await source.close();
  }
}
