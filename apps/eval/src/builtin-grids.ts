import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserInputError } from '@dass/pipeline';
import { decodeJsonText, emptyFileProblem } from '@dass/model-loader';
import { validateGrid } from './grid-spec.js';
import type { GridSpec } from './grid-spec.js';

/** The app's bundled models, text and task subsets (the `tiny` grid's relative paths resolve here). */
export const assetsDir: string = fileURLToPath(new URL('../assets/', import.meta.url));

const PAPER_TASKS = ['hellaswag', 'winogrande', 'arc_easy', 'arc_challenge', 'piqa'];
const PAPER_METHODS = ['magnitude', 'sparsegpt', 'wanda', 'dass'];
/**
 * Beyond the paper: RIA (Zhang et al. 2024), and DaSS's mask with SparseGPT's OBS reconstruction (the question the
 * paper leaves open: does DaSS's mask with a weight update beat SparseGPT?).
 */
const EXTENDED_METHODS = [...PAPER_METHODS, 'ria', { method: 'dass', update: 'obs' }];
/** The tiny grid also runs Wanda + OBS and OWL's non-uniform layer ratios (unstructured patterns only). */
const TINY_METHODS = [...EXTENDED_METHODS, { method: 'wanda', update: 'obs' }, { method: 'wanda', layerRatios: 'owl' }, { method: 'dass', layerRatios: 'owl' }];

/**
 * The paper's setup, for users who hold the checkpoints: paths relative to the working folder (or `--root`).
 * MLP-only pruning as the DaSS authors' code does; C4 calibration 128 × 2048; WikiText-2 test at context 2048.
 */
export const PAPER_GRID = {
  name: 'paper',
  description:
    'DaSS paper setup: magnitude, SparseGPT, Wanda and DaSS (plus RIA and DaSS + OBS) on LLaMA-2 7B/13B/70B, Mistral-7B, Gemma-7B and LLaMA-3.1-8B at 50% unstructured, 2:4 and 4:8 (MLP only), C4 calibration 128 × 2048, WikiText-2 perplexity at context 2048, five zero-shot tasks.',
  models: [
    { name: 'llama-2-7b', path: 'models/Llama-2-7b-hf', published: 'llama-2-7b' },
    { name: 'llama-2-13b', path: 'models/Llama-2-13b-hf' },
    { name: 'llama-2-70b', path: 'models/Llama-2-70b-hf' },
    { name: 'mistral-7b', path: 'models/Mistral-7B-v0.1' },
    { name: 'gemma-7b', path: 'models/gemma-7b' },
    { name: 'llama-3.1-8b', path: 'models/Llama-3.1-8B' },
  ],
  methods: EXTENDED_METHODS,
  alpha: 0.5,
  patterns: [{ sparsity: '0.5' }, { sparsity: '2:4' }, { sparsity: '4:8' }],
  targets: 'mlp',
  calibration: { source: 'data/c4/c4-train.00000-of-01024.json.gz', format: 'jsonl', nsamples: 128, seqlen: 2048, seed: 0 },
  evaluation: {
    perplexity: [{ name: 'wikitext2', path: 'data/wikitext-2-raw/wiki.test.raw', format: 'wikitext', seqlen: 2048 }],
    zeroShot: { tasks: PAPER_TASKS, tasksDir: 'data/tasks' },
  },
  analysis: { enabled: true, k: [3, 5, 7, 10], bins: 40 },
} as const;

/**
 * The same grid shape over the bundled stories260K and aidreams260K (llama2.c, a few hundred thousand weights):
 * runs here in a few minutes. Their 172-wide MLP is not a multiple of 8, so 4:8 leaves the tail groups dense.
 */
export const TINY_GRID = {
  name: 'tiny',
  description:
    'Bundled stories260K and aidreams260K: the paper grid shape (magnitude, SparseGPT, Wanda, DaSS, plus RIA, DaSS + OBS, Wanda + OBS and OWL layer ratios for Wanda and DaSS × 50% / 2:4 / 4:8, MLP only) with TinyStories calibration (16 × 128), perplexity on a TinyStories validation snippet and the first items of the five zero-shot tasks.',
  models: [
    { name: 'stories260K', path: 'stories260K/stories260K.bin', tokenizer: 'stories260K/tok512.bin' },
    { name: 'aidreams260K', path: 'aidreams260K/aidreams260K.bin', tokenizer: 'aidreams260K/tok512.bin' },
  ],
  methods: TINY_METHODS,
  alpha: 0.5,
  patterns: [{ sparsity: '0.5' }, { sparsity: '2:4' }, { sparsity: '4:8', partialGroups: 'dense' }],
  targets: 'mlp',
  calibration: { source: 'text/tinystories_train_head.txt', format: 'text', nsamples: 16, seqlen: 128, seed: 0 },
  evaluation: {
    perplexity: [{ name: 'tinystories-val', path: 'text/tinystories_validation_head_60k.txt', format: 'text', seqlen: 128, maxWindows: 16 }],
    zeroShot: { tasks: PAPER_TASKS, limit: 4, tasksDir: 'tasks' },
  },
  analysis: { enabled: true, k: [3, 5, 7, 10], bins: 20 },
} as const;

export const BUILTIN_GRIDS = { paper: PAPER_GRID, tiny: TINY_GRID } as const;

export interface LoadedGrid {
  spec: GridSpec;
  /** What the grid was read from (a file path or `built-in "tiny"`). */
  origin: string;
  /** The folder its relative paths were resolved against. */
  root: string;
}

/**
 * A built-in grid by name (`tiny` resolves against the bundled assets, `paper` against `root` or the working
 * folder) or a JSON grid file (relative paths against `root` or the file's folder).
 */
export async function loadGrid(grid: string, options: { root?: string; cwd?: string } = {}): Promise<LoadedGrid> {
  if (typeof grid !== 'string' || grid.trim() === '')
    throw new UserInputError(`--grid: expected tiny, paper or a grid .json file, got ${JSON.stringify(grid)}`);
  const cwd = options.cwd ?? process.cwd();
  if (grid === 'tiny' || grid === 'paper') {
    const origin = `built-in "${grid}"`;
    const root = options.root ? resolve(cwd, options.root) : grid === 'tiny' ? assetsDir : cwd;
    return { spec: validateGrid(structuredClone(BUILTIN_GRIDS[grid]), { file: origin, root }), origin, root };
  }
  const file = resolve(cwd, grid);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserInputError(`--grid ${grid}: ${code === 'ENOENT' ? 'no such file (expected tiny, paper or a grid .json file)' : (err as Error).message}`);
  }
  // Exact UTF-8 (no U+FFFD standing in for a path's bytes); a leading BOM is refused as Python's json refuses it.
  const decoded = decodeJsonText(bytes);
  if ('problem' in decoded) throw new UserInputError(`${grid}: ${decoded.problem}`);
  const empty = emptyFileProblem(decoded.text, 'a grid JSON object');
  if (empty !== undefined) throw new UserInputError(`${grid}: ${empty}`);
  let raw: unknown;
  try {
    raw = JSON.parse(decoded.text);
  } catch (err) {
    throw new UserInputError(`${grid}: not valid JSON (${(err as Error).message})`);
  }
  const root = options.root ? resolve(cwd, options.root) : dirname(file);
  return { spec: validateGrid(raw, { file: grid, root }), origin: file, root };
}
