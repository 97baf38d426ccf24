/**
 * One pruning run in the browser with the CLI's packages: open the model and tokenizer from bytes or Files
 * (ByteSource), sample calibration windows from text, score the dense model, prune layer by layer (pruneSource, the
 * code `dass prune` runs), score the pruned checkpoint, check every matrix's N:M pattern.
 */
import { textSourceFromBytes } from '@dass/calibration';
import type { LayerStats } from '@dass/calibration';
import { perplexityOfText } from '@dass/evaluation';
import type { PerplexityResult } from '@dass/evaluation';
import type { Gunzip } from '@dass/calibration';
import { Gunzip as FflateGunzip } from 'fflate';
import { CausalLM, blobSource, bytesSource, linearTensorName, openHfFiles, openLlama2cSource, tokenizerFromBytes } from '@dass/model-loader';
import type { ByteSource, HfModel, LinearName, Tokenizer, WeightSource } from '@dass/model-loader';
import { checkNM, parseSparsity } from '@dass/nm-sparsify';
import { calibrationFromText, checkSourceForRun, memoryHfOutput, memoryLlama2cOutput, pruneSource, runLog, validatePruneSettings } from '@dass/pipeline';
import type { CheckpointOutput, PruneProgress, PruneSettings, RunManifest } from '@dass/pipeline';
import { hfTokenizer, hfWeightBytes } from './hf-input.js';
import { backendReport, selectBackend } from '@dass/tensor-backend';
import type { BackendChoice } from '@dass/tensor-backend';

/** A named input: a user's File, or bytes the page fetched (the bundled model). */
export type InputFile = File | { name: string; bytes: Uint8Array };

/**
 * The model: a llama2.c checkpoint and its tokenizer, or a Hugging Face folder's own files by name (config.json,
 * model.safetensors or the index and its shards, a tokenizer; other files are copied into the output as they are).
 */
export type ModelInput = { kind: 'llama2c'; model: InputFile; tokenizer: InputFile } | { kind: 'hf'; folder: string; files: InputFile[] };

export interface RunInputs {
  model: ModelInput;
  /** Calibration text (UTF-8 bytes) and what to call it. */
  calibration: { name: string; bytes: Uint8Array };
  /** Held-out text for perplexity. */
  evaluation: { name: string; bytes: Uint8Array };
}

/** Perplexity protocol of `dass demo` (non-overlapping windows, BOS first): the page's numbers equal the CLI's. */
export interface EvalSettings {
  seqlen: number;
  /** Windows scored (the first ones of the text); undefined: all. */
  maxWindows?: number;
}

export interface MatrixResult {
  layer: number;
  linear: LinearName;
  shape: [number, number];
  sparsity: number;
  outputError: number;
  nmAxis: string;
  /** N:M patterns only: the pattern holds along the method's axis for every group of this matrix. */
  nmValid?: boolean;
  violatingGroups?: number;
}

export interface RunResult {
  backend: BackendChoice;
  densePpl: PerplexityResult;
  prunedPpl: PerplexityResult;
  manifest: RunManifest;
  matrices: MatrixResult[];
  /** ‖h_i‖ (L2 norm over calibration tokens) of each intermediate neuron, per layer: the input columns of down_proj. */
  neuronNorms: Float64Array[];
  /**
   * The pruned checkpoint, same format as the input: a llama2.c `.bin` (one file, `name`), or the HF folder `name`'s
   * files — the pruned safetensors shards and every other file of the input folder copied as it is (config.json, the
   * index, the tokenizer), as `dass prune` writes the folder.
   */
  pruned: { name: string; format: 'llama2c' | 'hf'; files: { name: string; data: Uint8Array | Blob }[] };
}

export interface RunHooks {
  onStatus?: (message: string, fraction?: number) => void;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

/** Bytes a run holds for a model of `fileBytes` (float32 file): input, output copy, working layers and embeddings. */
export function memoryNeeded(fileBytes: number): number {
  return 3 * fileBytes;
}

/**
 * What a page may allocate: Chrome's JS heap limit where it tells (performance.memory), else half of
 * navigator.deviceMemory, and never more than a wasm32 heap (4 GiB).
 */
export function memoryBudget(): { bytes: number; from: string } {
  const perf = (globalThis.performance as Performance & { memory?: { jsHeapSizeLimit?: number } }).memory;
  const device = (globalThis.navigator as (Navigator & { deviceMemory?: number }) | undefined)?.deviceMemory;
  const wasm32 = 4 * 2 ** 30;
  if (perf?.jsHeapSizeLimit) return { bytes: Math.min(perf.jsHeapSizeLimit, wasm32), from: 'the JavaScript heap limit this browser reports' };
  if (device) return { bytes: Math.min((device * 2 ** 30) / 2, wasm32), from: `half of the ${device} GiB this device reports` };
  return { bytes: 2 * 2 ** 30, from: 'an assumed 2 GiB (this browser reports no memory size)' };
}

const GiB = 2 ** 30;
const fmtGiB = (b: number) => `${(b / GiB).toFixed(b < GiB ? 2 : 1)} GiB`;

/** A clear message when a model of `fileBytes` will not fit (undefined when it will). */
export function tooLargeMessage(name: string, fileBytes: number): string | undefined {
  const need = memoryNeeded(fileBytes);
  const budget = memoryBudget();
  if (need <= budget.bytes) return undefined;
  return `${name} is ${fmtGiB(fileBytes)}; pruning it here needs about ${fmtGiB(need)} of memory, more than this page can use (${fmtGiB(budget.bytes)}, ${budget.from}). Prune it with the command line instead: pnpm dass prune --model ${name} …`;
}

/** Bytes of weights a model input holds (the llama2.c file; an HF folder's safetensors). */
export function modelBytes(model: ModelInput): number {
  if (model.kind === 'hf') return hfWeightBytes(model.files.map((f) => ({ name: f.name, size: sizeOf(f) })));
  return sizeOf(model.model);
}

const sizeOf = (file: InputFile) => (file instanceof Blob ? file.size : file.bytes.byteLength);

function sourceOf(file: InputFile): ByteSource {
  return file instanceof Blob ? blobSource(file, file.name) : bytesSource(file.name, file.bytes);
}

async function bytesOf(file: InputFile): Promise<Uint8Array> {
  return file instanceof Blob ? new Uint8Array(await file.arrayBuffer()) : file.bytes;
}

/**
 * Calibration text stored gzip-compressed (`.txt.gz`, `.jsonl.gz`, as the CLI reads them), unpacked with fflate's
 * streaming Gunzip, which reads every member of a multi-member file as Node's gunzipSync does (the browser's
 * DecompressionStream stops at the first). textSourceFromBytes calls it only for bytes that start like gzip, and
 * hashes the stored bytes, as the CLI does.
 */
export const gunzip: Gunzip = (bytes) => {
  const chunks: Uint8Array[] = [];
  new FflateGunzip((chunk) => chunks.push(chunk)).push(bytes, true);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
};

/** The opened model, its tokenizer, the output to write and how to reopen that output for scoring. */
interface OpenedModel {
  source: WeightSource;
  name: string;
  tokenizer: Tokenizer;
  tokenizerName: string;
  output: (settings: { method: string; sparsity: string; targets: readonly LinearName[] }) => Promise<{
    output: CheckpointOutput;
    finish: () => Promise<{ pruned: RunResult['pruned']; source: WeightSource }>;
  }>;
}

const sparsityTag = (sparsity: string) => sparsity.replace(':', 'of');

async function openLlama2cInput(model: InputFile, tokenizerFile: InputFile): Promise<OpenedModel> {
  const bytes = await bytesOf(model);
  const source = await openLlama2cSource(sourceOf({ name: model.name, bytes }));
  try {
    const tokenizer = tokenizerFromBytes(tokenizerFile.name, await bytesOf(tokenizerFile), { vocabSize: source.config.vocabSize });
    return {
      source,
      name: model.name,
      tokenizer,
      tokenizerName: tokenizerFile.name,
      async output({ method, sparsity }) {
        const outName = model.name.replace(/\.bin$/i, '') + `-${method}-${sparsityTag(sparsity)}.bin`;
        const output = memoryLlama2cOutput(bytes, model.name, outName);
        return {
          output,
          async finish() {
            const prunedBytes = output.bytes();
            return {
              pruned: { name: outName, format: 'llama2c', files: [{ name: outName, data: prunedBytes }] },
              source: await openLlama2cSource(bytesSource(outName, prunedBytes)),
            };
          },
        };
      },
    };
  } catch (err) {
    await source.close();
    throw err;
  }
}

async function openHfInput(folder: string, files: InputFile[]): Promise<OpenedModel> {
  const where = folder || 'the files picked';
  const source: HfModel = await openHfFiles(folder, new Map(files.map((f) => [f.name, sourceOf(f)])));
  try {
    const tok = hfTokenizer(files.map((f) => ({ name: f.name, size: sizeOf(f), file: f })));
    if (!tok) throw new Error(`${where}: no tokenizer (expected tokenizer.json, tokenizer.model or tokenizer.bin beside config.json)`);
    const at = (name: string) => (folder ? `${folder}/${name}` : name);
    const tokenizer = tokenizerFromBytes(at(tok.tokenizer.name), await bytesOf(tok.tokenizer.file), {
      vocabSize: source.config.vocabSize,
      config: tok.config ? await bytesOf(tok.config.file) : undefined,
      configFile: at('tokenizer_config.json'),
    });
    return {
      source,
      name: folder || 'model',
      tokenizer,
      tokenizerName: tok.tokenizer.name,
      async output({ method, sparsity, targets }) {
        const outName = `${folder || 'model'}-${method}-${sparsityTag(sparsity)}`;
        const output = await memoryHfOutput(source.checkpoint, targets, outName);
        return {
          output,
          async finish() {
            const shards = output.shards();
            const shardNames = new Set(shards.map((s) => s.name));
            // Every other file of the folder goes along unchanged (dass prune copies them the same way).
            const copied = files.filter((f) => !shardNames.has(f.name)).map((f) => ({ name: f.name, data: f instanceof Blob ? (f as Blob) : f.bytes }));
            const outFiles = [...shards.map((s) => ({ name: s.name, data: s.bytes as Uint8Array | Blob })), ...copied].sort((a, b) =>
              a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
            );
            const reopened = await openHfFiles(
              outName,
              new Map(outFiles.map((f) => [f.name, f.data instanceof Blob ? blobSource(f.data, f.name) : bytesSource(f.name, f.data)])),
            );
            return { pruned: { name: outName, format: 'hf', files: outFiles }, source: reopened };
          },
        };
      },
    };
  } catch (err) {
    await source.close();
    throw err;
  }
}

async function perplexity(
  source: WeightSource,
  tokenizer: Tokenizer,
  text: string,
  settings: EvalSettings,
  label: string,
  hooks: RunHooks,
): Promise<PerplexityResult> {
  const lm = await CausalLM.fromSource(source, { threads: 1 });
  try {
    return await perplexityOfText(lm, tokenizer, text, {
      seqlen: settings.seqlen,
      batchSize: 1,
      maxWindows: settings.maxWindows,
      onProgress: ({ done, total }) => {
        if (hooks.signal?.aborted) throw new DOMException('cancelled', 'AbortError');
        hooks.onStatus?.(`perplexity (${label}): window ${done} of ${total}`, total > 0 ? done / total : undefined);
      },
    });
  } finally {
    lm.dispose();
  }
}

function stageText(p: PruneProgress): string {
  const layer = p.layer !== undefined && p.layer >= 0 && p.layers ? ` layer ${p.layer + 1} of ${p.layers}` : '';
  const what = {
    load: 'loading',
    calibrate: 'calibrating',
    embed: 'embedding calibration tokens',
    dense: 'dense pass',
    prune: 'pruning',
    pruned: 'pruned pass',
    write: 'writing',
    done: 'done',
  }[p.stage];
  return `${what}${layer}`;
}

/** Runs the whole job; every failure is an Error whose message names the input or setting. */
export async function runInBrowser(inputs: RunInputs, settings: PruneSettings, evalSettings: EvalSettings, hooks: RunHooks = {}): Promise<RunResult> {
  const status = hooks.onStatus ?? (() => {});
  const v = validatePruneSettings(settings);
  const modelName = inputs.model.kind === 'hf' ? inputs.model.folder || 'the Hugging Face files' : inputs.model.model.name;
  const tooLarge = tooLargeMessage(modelName, modelBytes(inputs.model));
  if (tooLarge) throw new Error(tooLarge);
  status('selecting the backend');
  const backend = await selectBackend(settings.backend ?? 'auto');
  status(`opening ${modelName}`);
  const opened =
    inputs.model.kind === 'hf'
      ? await openHfInput(inputs.model.folder, inputs.model.files)
      : await openLlama2cInput(inputs.model.model, inputs.model.tokenizer);
  const { source, tokenizer } = opened;
  try {
    const log = runLog({
      onWarning: hooks.onWarning,
      onProgress: (p) => status(stageText(p), p.layer !== undefined && p.layers ? (p.layer + 1) / p.layers : undefined),
    });
    const seqlen = checkSourceForRun(source, v, log);
    status('sampling calibration windows');
    const calibration = calibrationFromText({
      source: textSourceFromBytes(inputs.calibration.name, inputs.calibration.bytes, settings.calibFormat ?? 'auto', gunzip),
      tokenizer,
      tokenizerName: opened.tokenizerName,
      nsamples: v.nsamples,
      seqlen,
      seed: v.seed,
      vocabSize: source.config.vocabSize,
    });
    const evalText = textSourceFromBytes(inputs.evaluation.name, inputs.evaluation.bytes, 'text');
    const text = evalText.kind === 'text' ? evalText.text : evalText.docs.join(' ');
    const densePpl = await perplexity(source, tokenizer, text, evalSettings, 'dense', hooks);
    const { output, finish } = await opened.output({ method: v.method.name, sparsity: settings.sparsity.toString(), targets: v.targets });
    const neuronNorms: Float64Array[] = [];
    let manifest: RunManifest;
    try {
      manifest = await pruneSource({
        source,
        calibration,
        output,
        settings: v,
        backend: backendReport(backend),
        threads: 1,
        log,
        signal: hooks.signal,
        onLayerStats: (layer: number, stats: LayerStats) => {
          const sumSq = stats.inputSumSq.get('down_proj');
          if (sumSq) neuronNorms[layer] = sumSq.map(Math.sqrt);
        },
        environment: {
          tool: { name: 'dass-ts (browser)', version: '0.1.0', platform: 'browser', userAgent: globalThis.navigator?.userAgent ?? 'unknown' },
          rssBytes: () => (globalThis.performance as Performance & { memory?: { usedJSHeapSize?: number } }).memory?.usedJSHeapSize ?? 0,
          peakRssBytes: () => 0,
        },
      });
    } catch (err) {
      await output.abort();
      throw err;
    }
    const { pruned, source: prunedSource } = await finish();
    try {
      const prunedPpl = await perplexity(prunedSource, tokenizer, text, evalSettings, 'pruned', hooks);
      status('checking the N:M pattern of every matrix');
      const pattern = parseSparsity(String(settings.sparsity));
      const matrices: MatrixResult[] = [];
      for (const layer of manifest.layers) {
        for (const m of layer.matrices) {
          const result: MatrixResult = {
            layer: layer.index,
            linear: m.linear,
            shape: m.shape,
            sparsity: m.sparsity,
            outputError: m.outputError,
            nmAxis: m.nmAxis,
          };
          if (pattern.kind === 'nm') {
            const w = await prunedSource.readF32(linearTensorName(layer.index, m.linear));
            const check = checkNM(w.data, m.shape, pattern.n, pattern.m, m.nmAxis as 'in' | 'out');
            result.nmValid = check.valid;
            result.violatingGroups = check.violatingGroups;
          }
          matrices.push(result);
        }
      }
      status('done', 1);
      return { backend, densePpl, prunedPpl, manifest, matrices, neuronNorms, pruned };
    } finally {
      await prunedSource.close();
    }
  } finally {
    await source.close();
  }
}
