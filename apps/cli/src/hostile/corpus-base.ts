/**
 * The valid starting point every hostile case mutates: the bundled stories260K converted to a Hugging Face
 * directory (config.json, model.safetensors, tokenizer.bin) with model-loader's own converter, plus a short
 * calibration text. Each case gets its own folder `<root>/<id>/` so a run can be checked for leftovers.
 */
import { copyFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { convertLlama2cToHf, openLlama2c } from '@dass/model-loader';
import { bundled } from '../assets.js';
import { splitSafetensors, type SafetensorsParts } from './safetensors-parts.js';

export interface CorpusBase {
  root: string;
  /** A valid HF checkpoint directory (never modified by a case). */
  hfDir: string;
  /** The bundled llama2.c model and its tokenizer (read only). */
  llama2c: string;
  llama2cTokenizer: string;
  /** A valid calibration text, long enough for the small windows the cases ask for. */
  calibText: string;
  /** model.safetensors of `hfDir`, split. */
  parts: SafetensorsParts;
  /** config.json of `hfDir`, parsed. */
  config: Record<string, unknown>;
}

const CALIB_TEXT_BYTES = 16_000;

/** Converts stories260K into `<root>/base/`. */
export async function buildBase(root: string): Promise<CorpusBase> {
  const baseDir = join(root, 'base');
  await rm(baseDir, { recursive: true, force: true });
  await mkdir(baseDir, { recursive: true });
  const hfDir = join(baseDir, 'stories260K-hf');
  const checkpoint = await openLlama2c(bundled.model);
  try {
    await convertLlama2cToHf({ checkpoint, tokenizerPath: bundled.tokenizer, outDir: hfDir });
  } finally {
    await checkpoint.close();
  }
  const calibText = join(baseDir, 'calib.txt');
  const text = await readFile(bundled.calibrationText);
  await writeFile(calibText, text.subarray(0, Math.min(CALIB_TEXT_BYTES, text.byteLength)));
  return {
    root,
    hfDir,
    llama2c: bundled.model,
    llama2cTokenizer: bundled.tokenizer,
    calibText,
    parts: splitSafetensors(new Uint8Array(await readFile(join(hfDir, 'model.safetensors')))),
    config: JSON.parse(await readFile(join(hfDir, 'config.json'), 'utf8')) as Record<string, unknown>,
  };
}

/** A case's folder, created empty. */
export async function caseDir(base: CorpusBase, id: string): Promise<string> {
  const dir = join(base.root, id);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Writes `content` to `<dir>/<name>` and returns the path. */
export async function put(dir: string, name: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

/**
 * `<caseDir>/model/`: a copy of the base checkpoint with `changes` applied (file name -> new content, or null to
 * delete it). Returns the model folder and every file in it.
 */
export async function modelVariant(
  base: CorpusBase,
  dir: string,
  changes: Record<string, string | Uint8Array | null>,
): Promise<{ model: string; files: string[] }> {
  const model = join(dir, 'model');
  await mkdir(model);
  for (const name of await readdir(base.hfDir)) {
    if (!(name in changes)) await copyFile(join(base.hfDir, name), join(model, name));
  }
  for (const [name, content] of Object.entries(changes)) {
    if (content !== null) await writeFile(join(model, name), content);
  }
  return { model, files: (await readdir(model)).map((name) => join(model, name)) };
}

/**
 * `dass prune` on `model`, writing to `<dir>/out`, with flags that keep the run tiny (the cases are about refusing
 * input, not about pruning well); `flags` (name without dashes -> value) replace or add to them.
 */
export function pruneArgv(base: CorpusBase, dir: string, model: string, flags: Record<string, string> = {}): string[] {
  const all: Record<string, string> = {
    model,
    method: 'wanda',
    sparsity: '0.5',
    calib: base.calibText,
    nsamples: '2',
    seqlen: '32',
    out: join(dir, 'out'),
    ...flags,
  };
  return ['prune', ...Object.entries(all).flatMap(([flag, value]) => [`--${flag}`, value])];
}

/** The base config with `patch` applied (a key set to undefined is removed), as config.json text. */
export function configWith(base: CorpusBase, patch: Record<string, unknown>): string {
  const config: Record<string, unknown> = { ...base.config };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) delete config[key];
    else config[key] = value;
  }
  return JSON.stringify(config, null, 2) + '\n';
}

/** `dass inspect` on `model` (opens every tensor header; writes nothing). */
export function inspectArgv(_base: CorpusBase, _dir: string, model: string): string[] {
  return ['inspect', '--model', model];
}

/** `dass eval ppl` on `model` over one short window of the calibration text (writes nothing). */
export function pplArgv(base: CorpusBase, _dir: string, model: string): string[] {
  return ['eval', 'ppl', '--model', model, '--data', base.calibText, '--seqlen', '32', '--max-windows', '1'];
}
