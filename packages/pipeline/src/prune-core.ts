/**
 * The pruning run itself, on inputs already opened (a WeightSource, calibration ids, a checkpoint sink): settings →
 * per-layer patterns → layer-sequential capture, prune and write → manifest. Shared by Node's `runPrune` (paths) and
 * the browser app (uploaded files); no Node built-ins.
 */
import { InvalidArgumentError } from '@dass/errors';
import type { LayerStats, TextSourceFormat } from '@dass/calibration';
import { runLayerSequential } from '@dass/calibration';
import { CausalLM, linearTensorName, unusedTensorsWarning } from '@dass/model-loader';
import type { LinearName, WeightSource } from '@dass/model-loader';
import { formatSparsity, parseSparsity, targetRatio } from '@dass/nm-sparsify';
import type { PartialGroups, SparsityPattern } from '@dass/nm-sparsify';
import { getScoringMethod, getWeightUpdate, neededStatistics, resolveMethodOptions, scoringMethodNames } from '@dass/scoring';
import type { MethodOptions, PruningMethod, WeightUpdate } from '@dass/scoring';
import { BACKEND_NAMES, GEMM_NAMES, tf } from '@dass/tensor-backend';
import type { BackendRequest, GemmRequest } from '@dass/tensor-backend';
import type { CalibrationBatch } from './calibration-batch.js';
import type { CheckpointOutput, OutputFormat } from './checkpoint-sink.js';
import { LAYER_RATIO_STRATEGIES, OWL_DEFAULTS, owlLayerPatterns } from './layer-ratios.js';
import type { LayerRatioStrategy, LayerRatiosReport } from './layer-ratios.js';
import { pruneLayer } from './prune-layer.js';
import { SparsityTally } from './run-manifest.js';
import type { LayerReport, RunManifest } from './run-manifest.js';
import { targetLinears } from './targets.js';

export interface PruneProgress {
  stage: 'load' | 'calibrate' | 'embed' | 'dense' | 'prune' | 'pruned' | 'write' | 'done';
  layer?: number;
  layers?: number;
  message?: string;
}

/** Settings of a run that are not inputs: what `validatePruneSettings` checks (its errors name these fields). */
export interface PruneSettings {
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
  calibFormat?: TextSourceFormat;
  nsamples?: number;
  seqlen?: number;
  seed?: number;
  outFormat?: OutputFormat;
  backend?: BackendRequest;
  /**
   * The wasm backend's matrix-product engine (Node): `auto` (default: onnxruntime-node's MLAS when installed, else
   * XNNPACK), `native` (error when it cannot load), `wasm` (XNNPACK). The manifest's `backend.gemm` records which ran.
   */
  gemm?: GemmRequest;
  /** Worker threads for the dense and pruned passes (Node only; browsers run one). */
  threads?: number;
}

/** Callbacks of a run. */
export interface PruneHooks {
  onProgress?: (progress: PruneProgress) => void;
  onWarning?: (message: string) => void;
  /** Checked between layers: an aborted run throws PruneAbortedError (and `runPrune` removes its partial output). */
  signal?: AbortSignal;
  /** Called with each target's pruned weight, by tensor name (tests compare the in-memory model with the written one). */
  onPrunedWeight?: (name: string, data: Float32Array) => void;
  /** Called with each layer's captured input statistics (Σx² per linear input column) before it is pruned. */
  onLayerStats?: (layer: number, stats: LayerStats) => void;
}

/** What the manifest records about where the run ran, and how it measures memory (Node: process; browsers: heap). */
export interface RunEnvironment {
  tool: { name: string; version: string; node?: string; platform: string; userAgent?: string };
  /** Resident memory now, bytes (0 when the platform cannot tell). */
  rssBytes(): number;
  /** Peak resident memory of the run, bytes (0 when the platform cannot tell). */
  peakRssBytes(): number;
  /**
   * Runs `fn` with SparseGPT's / OBS's float32 products split over `threads` threads (Node: `withLinalgPool` of
   * `@dass/nm-sparsify`, worker threads); absent (browsers), `fn` runs on this thread.
   */
  withLinalgThreads?<T>(threads: number, fn: () => Promise<T>): Promise<T>;
}

/** A run stopped through `signal`. */
export class PruneAbortedError extends Error {
  constructor() {
    super('pruning was interrupted');
    this.name = 'PruneAbortedError';
  }
}

/** Inputs of `pruneSource`: opened by the caller (Node: `runPrune` from paths; browsers: from uploaded files). */
export interface PruneSourceOptions extends PruneHooks {
  source: WeightSource;
  calibration: CalibrationBatch;
  output: CheckpointOutput;
  settings: ValidatedPruneOptions;
  /** The active backend (what `selectBackend` returned), for the manifest. */
  backend: RunManifest['backend'];
  threads: number;
  maxTokensPerPass?: number;
  environment: RunEnvironment;
  /** The run's log (warnings already given go to the manifest); default: a new one from the hooks. */
  log?: RunLog;
  /** performance.now() when the run started (default: when pruneSource is called). */
  started?: number;
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
 * Checks every setting before any input is read; each problem is an InvalidArgumentError whose `field` is the
 * setting's (`method`, `sparsity`, `seqlen`, a method option's name such as `percdamp`).
 */
export function validatePruneSettings(options: PruneSettings): ValidatedPruneOptions {
  // The registry and parseSparsity name the same fields as PruneSettings (method, update, sparsity, an option's name).
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
  if (options.gemm !== undefined && !(GEMM_NAMES as readonly string[]).includes(options.gemm)) {
    throw new InvalidArgumentError('gemm', `expected one of ${GEMM_NAMES.join(', ')}; got ${JSON.stringify(options.gemm)}`);
  }
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

/** Warnings (kept for the manifest and passed on) and progress of one run. */
export interface RunLog {
  warnings: string[];
  warn(message: string): void;
  progress(progress: PruneProgress): void;
}

export function runLog(options: PruneHooks): RunLog {
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

/**
 * Before calibration: the unused-tensor warning, the context clamp of `seqlen` (a warning when clamped) and the N:M
 * divisibility check (InvalidArgumentError, field `sparsity`). Returns the window length to sample.
 */
export function checkSourceForRun(source: WeightSource, v: ValidatedPruneOptions, log: RunLog, clampSeqlen = true): number {
  const config = source.config;
  // Checkpoint tensors the architecture does not read (issue 12): said once, listed in the manifest, copied as is.
  const unused = unusedTensorsWarning(source);
  if (unused !== undefined) log.warn(unused);
  let seqlen = v.seqlen;
  if (clampSeqlen && seqlen > config.maxPositionEmbeddings) {
    log.warn(`seqlen ${seqlen} exceeds the model's context (${config.maxPositionEmbeddings}); using ${config.maxPositionEmbeddings}`);
    seqlen = config.maxPositionEmbeddings;
  }
  checkGroupsDivide(source, v);
  return seqlen;
}

/** Step 2: each layer's pattern: the target everywhere, or OWL's ratios from a dense pre-pass. */
async function layerPatterns(
  options: PruneSourceOptions,
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
  options: PruneSourceOptions,
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
        if (options.signal?.aborted) throw new PruneAbortedError();
        options.onLayerStats?.(index, stats);
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
        report.rssBytes = options.environment.rssBytes();
        layers.push(report);
        if (options.signal?.aborted) throw new PruneAbortedError();
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
  options: PruneSourceOptions;
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
    tool: { ...options.environment.tool, tfjs: tf.version_core },
    backend: run.backend,
    threads: run.threads,
    model: {
      path: source.path,
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
    peakRssBytes: options.environment.peakRssBytes(),
  };
}

/**
 * Prunes an opened source layer by layer (docs/SPEC.md §3) into `output` and commits it: per-layer patterns → capture, prune
 * and write each layer → commit → manifest. On failure nothing is aborted here: the caller aborts its output.
 */
export async function pruneSource(options: PruneSourceOptions): Promise<RunManifest> {
  const started = options.started ?? performance.now();
  const log = options.log ?? runLog(options);
  const { source, calibration, output, settings: v, threads } = options;
  if (calibration.seqlen > source.config.maxPositionEmbeddings) {
    throw new InvalidArgumentError('calib', `windows of ${calibration.seqlen} tokens exceed the model's context (${source.config.maxPositionEmbeddings})`, {
      shown: calibration.info.source,
    });
  }
  const { patterns, report: layerRatios } = await layerPatterns(options, v, source, calibration, threads, log);
  // SparseGPT / OBS: the Hessian inverse and the sweep's products split over the same number of threads (Node only).
  const run = () => pruneLayers(options, v, source, calibration, output, patterns, threads, log);
  const linalg = linalgThreads(v, source.config, threads);
  const { layers, tally } = options.environment.withLinalgThreads ? await options.environment.withLinalgThreads(linalg, run) : await run();
  await output.commit();
  const manifest = buildManifest({
    options,
    v,
    source,
    backend: options.backend,
    threads,
    calibration,
    output,
    layerRatios,
    layers,
    tally,
    warnings: log.warnings,
    started,
  });
  log.progress({ stage: 'done' });
  return manifest;
}
