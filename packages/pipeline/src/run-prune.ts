import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { runLayerSequential } from '@dass/calibration';
import type { TextSourceFormat } from '@dass/calibration';
import { CausalLM, DECODER_LINEARS, defaultThreads, linearTensorName, loadTokenizer, openModel, unusedTensorsWarning } from '@dass/model-loader';
import type { LinearName, Tokenizer, WeightSource } from '@dass/model-loader';
import { formatSparsity, parseSparsity, sparsityOf } from '@dass/nm-sparsify';
import type { PartialGroups, SparsityPattern } from '@dass/nm-sparsify';
import { getScoringMethod } from '@dass/scoring';
import type { ScoringMethod } from '@dass/scoring';
import { BACKEND_NAMES, backendReport, selectBackend, tf } from '@dass/tensor-backend';
import type { BackendRequest } from '@dass/tensor-backend';
import { isCalibArtifactPath, loadCalibration } from './calibration-input.js';
import { openCheckpointOutput } from './checkpoint-output.js';
import type { CheckpointOutput, OutputFormat } from './checkpoint-output.js';
import { pruneLayer } from './prune-layer.js';
import { totals } from './run-manifest.js';
import type { LayerReport, RunManifest } from './run-manifest.js';
import { targetLinears } from './targets.js';
import { UserInputError } from './user-error.js';
import { writeJsonAtomic } from './write-atomic.js';

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
  method: string;
  sparsity: string | SparsityPattern;
  targets?: string;
  alpha?: number;
  partialGroups?: PartialGroups;
  calib: string;
  calibFormat?: TextSourceFormat;
  nsamples?: number;
  seqlen?: number;
  seed?: number;
  out: string;
  outFormat?: OutputFormat;
  force?: boolean;
  backend?: BackendRequest;
  /** Also write the manifest here (atomically). */
  report?: string;
  percdamp?: number;
  blocksize?: number;
  maxTokensPerPass?: number;
  /**
   * Worker threads for the dense and pruned passes (default: every core, `os.availableParallelism()`, on the wasm
   * and cpu backends, unless a pass is too small to pay for starting threads; 1 on the native tensorflow backends,
   * which thread their own kernels). 1 runs them here.
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
  method: ScoringMethod;
  pattern: SparsityPattern;
  targets: readonly LinearName[];
  targetsName: string;
  alpha: number;
  partialGroups: PartialGroups;
  nsamples: number;
  seqlen: number;
  seed: number;
  percdamp: number;
  blocksize: number;
  /** Undefined: the default for the backend (see `PruneOptions.threads`). */
  threads?: number;
}

const require = createRequire(import.meta.url);
const OUTPUT_FORMATS: readonly OutputFormat[] = ['same', 'hf', 'llama2c'];

function positiveInteger(name: string, value: unknown, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new UserInputError(`--${name}: expected a positive integer, got ${JSON.stringify(value)}`);
  return v;
}

/** Checks every option before any file is touched; each problem is a UserInputError naming the flag. */
export function validatePruneOptions(options: PruneOptions): ValidatedPruneOptions {
  const asUser = <T>(flag: string, f: () => T): T => {
    try {
      return f();
    } catch (err) {
      throw new UserInputError(`--${flag}: ${(err as Error).message.replace(/^[a-zA-Z]+: /, '')}`);
    }
  };
  const method = asUser('method', () => getScoringMethod(options.method));
  const pattern = typeof options.sparsity === 'string' ? asUser('sparsity', () => parseSparsity(options.sparsity as string)) : options.sparsity;
  const targetsName = options.targets ?? 'mlp';
  const targets = asUser('targets', () => targetLinears(targetsName));
  const alpha = options.alpha ?? 0.5;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha < 0) throw new UserInputError(`--alpha: expected a finite number ≥ 0, got ${JSON.stringify(options.alpha)}`);
  const partialGroups = options.partialGroups ?? 'error';
  if (partialGroups !== 'error' && partialGroups !== 'dense') throw new UserInputError(`--partial-groups: expected error or dense, got ${JSON.stringify(partialGroups)}`);
  if (options.outFormat !== undefined && !OUTPUT_FORMATS.includes(options.outFormat)) {
    throw new UserInputError(`--out-format: expected one of ${OUTPUT_FORMATS.join(', ')}, got ${JSON.stringify(options.outFormat)}`);
  }
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new UserInputError(`--seed: expected an integer, got ${JSON.stringify(options.seed)}`);
  const percdamp = options.percdamp ?? 0.01;
  if (!(percdamp > 0 && percdamp < 1)) throw new UserInputError(`--percdamp: expected a number in (0, 1), got ${JSON.stringify(options.percdamp)}`);
  if (options.backend !== undefined && options.backend !== 'auto' && !(BACKEND_NAMES as readonly string[]).includes(options.backend)) {
    throw new UserInputError(`--backend: expected one of auto, ${BACKEND_NAMES.join(', ')}; got ${JSON.stringify(options.backend)}`);
  }
  if (!options.model) throw new UserInputError('--model: required');
  if (!options.calib) throw new UserInputError('--calib: required');
  if (!options.out) throw new UserInputError('--out: required');
  return {
    method,
    pattern,
    targets,
    targetsName,
    alpha,
    partialGroups,
    nsamples: positiveInteger('nsamples', options.nsamples, 128),
    seqlen: positiveInteger('seqlen', options.seqlen, 2048),
    seed,
    percdamp,
    blocksize: positiveInteger('blocksize', options.blocksize, 128),
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
      throw new UserInputError(
        `--sparsity ${formatSparsity(v.pattern)}: ${linear} [${rows}, ${cols}] has ${length} ${axis === 'in' ? 'input columns' : 'output rows'} along the N:M axis (${axis}), not divisible by ${m}; pass --partial-groups dense to leave the tail group dense`,
      );
    }
  }
}

async function resolveTokenizer(options: PruneOptions, source: WeightSource): Promise<Tokenizer | undefined> {
  if (options.tokenizer) return loadTokenizer(options.tokenizer, { vocabSize: source.config.vocabSize });
  // A calibration artifact already holds token ids: no tokenizer is needed (an HF dir may ship none).
  if (isCalibArtifactPath(options.calib)) return undefined;
  if (source.format === 'hf') return loadTokenizer(options.model, { vocabSize: source.config.vocabSize });
  throw new UserInputError(`--tokenizer: a llama2.c model (${options.model}) needs its tokenizer file to sample calibration text`);
}

/**
 * Peak resident memory of this process. Linux's VmHWM is the process's own high-water mark; `maxRSS` (the fallback
 * elsewhere) starts at the spawning parent's RSS on Linux, so it can overstate a child's peak.
 */
function peakRssBytes(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

/** This package's version (package.json sits one level above both src/ and dist/). */
function pipelineVersion(): string {
  try {
    return (require('../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * Prunes a checkpoint layer by layer (SPEC §3) and writes the result in the requested format. Returns the run
 * manifest; never leaves a partial output behind.
 */
export async function runPrune(options: PruneOptions): Promise<RunManifest> {
  const started = performance.now();
  const v = validatePruneOptions(options);
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    options.onWarning?.(message);
  };
  const progress = options.onProgress ?? (() => {});
  progress({ stage: 'load', message: options.model });
  const source = await openModel(options.model);
  let output: CheckpointOutput | undefined;
  let model: CausalLM | undefined;
  try {
    const config = source.config;
    // Checkpoint tensors the architecture does not read (issue 12): said once, listed in the manifest, copied as is.
    const unused = unusedTensorsWarning(source);
    if (unused !== undefined) warn(unused);
    let seqlen = v.seqlen;
    if (seqlen > config.maxPositionEmbeddings && !isCalibArtifactPath(options.calib)) {
      warn(`--seqlen ${seqlen} exceeds the model's context (${config.maxPositionEmbeddings}); using ${config.maxPositionEmbeddings}`);
      seqlen = config.maxPositionEmbeddings;
    }
    checkGroupsDivide(source, v);
    const tokenizer = await resolveTokenizer(options, source);
    progress({ stage: 'calibrate', message: options.calib });
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
      throw new UserInputError(`--calib ${options.calib}: windows of ${calibration.seqlen} tokens exceed the model's context (${config.maxPositionEmbeddings})`);
    }

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
    const threads = v.threads ?? Math.min(options.maxThreads ?? Infinity, defaultThreads(backend.name, { config, tokens: calibration.nsamples * calibration.seqlen }));
    model = await CausalLM.fromSource(source, { cacheLayers: false, maxTokensPerPass: options.maxTokensPerPass, threads });

    // DaSS's gate/up scores need ‖h_i‖² of down_proj's input even when only gate/up are targets.
    const captureTargets = v.method.needsActivations && !v.targets.includes('down_proj') ? [...v.targets, 'down_proj' as const] : v.targets;
    const layers: LayerReport[] = [];
    let targetZeros = 0;
    let targetTotal = 0;
    let linearZeros = 0;
    let linearTotal = 0;
    let denseTailWeights = 0;
    let phaseStart = performance.now();
    let current: LayerReport | undefined;
    const out = output;

    await runLayerSequential({
      model,
      inputIds: calibration.inputIds,
      nsamples: calibration.nsamples,
      seqlen: calibration.seqlen,
      targets: captureTargets,
      gram: v.method.needsGram ? (l) => v.targets.includes(l) : false,
      maxTokensPerPass: options.maxTokensPerPass,
      onProgress: (p) => progress({ stage: p.stage, layer: p.layer, layers: p.layers }),
      onLayer: ({ index, layer, stats }) => {
        if (options.signal?.aborted) throw new Error('pruning was interrupted');
        const dense = (performance.now() - phaseStart) / 1000;
        progress({ stage: 'prune', layer: index, layers: config.numLayers });
        const pruneStart = performance.now();
        const matrices = pruneLayer(layer, stats, {
          method: v.method,
          pattern: v.pattern,
          targets: v.targets,
          alpha: v.alpha,
          partialGroups: v.partialGroups,
          percdamp: v.percdamp,
          blocksize: v.blocksize,
        });
        current = {
          index,
          seconds: { dense, prune: (performance.now() - pruneStart) / 1000, pruned: 0, write: 0 },
          rssBytes: 0,
          matrices,
        };
        phaseStart = performance.now();
      },
      afterLayer: async ({ index, layer }) => {
        const report = current!;
        report.seconds.pruned = (performance.now() - phaseStart) / 1000;
        const writeStart = performance.now();
        progress({ stage: 'write', layer: index, layers: config.numLayers });
        for (const linear of v.targets) {
          const data = layer.linearWeight(linear).data;
          await out.writeLinear(index, linear, data);
          options.onPrunedWeight?.(linearTensorName(index, linear), data);
        }
        // The targets were counted when pruned (and are unchanged since); only the other linears are scanned here.
        for (const m of report.matrices) {
          targetZeros += m.zeros;
          targetTotal += m.total;
          linearZeros += m.zeros;
          linearTotal += m.total;
          denseTailWeights += m.denseTailWeights;
        }
        for (const linear of DECODER_LINEARS) {
          if (v.targets.includes(linear)) continue;
          const s = sparsityOf(layer.linearWeight(linear).data);
          linearZeros += s.zeros;
          linearTotal += s.total;
        }
        report.seconds.write = (performance.now() - writeStart) / 1000;
        report.rssBytes = process.memoryUsage().rss;
        layers.push(report);
        if (options.signal?.aborted) throw new Error('pruning was interrupted');
        phaseStart = performance.now();
      },
    });
    await output.commit();
    const plans: RunManifest['plans'] = {};
    for (const linear of v.targets) {
      const plan = v.method.plan(linear);
      plans[linear] = { group: plan.group, nmAxis: plan.nmAxis };
    }
    const manifest: RunManifest = {
      kind: 'dass-ts/prune-run',
      version: 1,
      createdAt: new Date().toISOString(),
      tool: {
        name: 'dass-ts',
        version: pipelineVersion(),
        node: process.version,
        tfjs: tf.version_core,
        platform: `${process.platform}-${process.arch}`,
      },
      backend: backendReport(backend),
      threads,
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
      pattern: formatSparsity(v.pattern),
      plans,
      alpha: v.method.name === 'dass' ? v.alpha : undefined,
      targets: v.targetsName,
      targetLinears: [...v.targets],
      partialGroups: v.partialGroups,
      sparsegpt: v.method.updatesWeights ? { percdamp: v.percdamp, blocksize: v.blocksize } : undefined,
      calibration: calibration.info,
      output: { path: output.path, format: output.format },
      layers,
      sparsity: { overTargets: totals(targetZeros, targetTotal), overDecoderLinears: totals(linearZeros, linearTotal) },
      denseTailWeights,
      warnings,
      wallSeconds: (performance.now() - started) / 1000,
      peakRssBytes: peakRssBytes(),
    };
    if (options.report) await writeJsonAtomic(options.report, manifest);
    progress({ stage: 'done' });
    return manifest;
  } catch (err) {
    await output?.abort();
    throw err;
  } finally {
    model?.dispose();
    await source.close();
  }
}

