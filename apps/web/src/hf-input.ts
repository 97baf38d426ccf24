/**
 * A Hugging Face folder picked in the page (`<input type=file webkitdirectory>`, or its files selected together):
 * which files it holds, by name, and what a run needs of them. No reading happens here: sizes come from the Files.
 */
import { CONFIG_FILE_NAME, INDEX_FILE_NAME, SINGLE_FILE_NAME } from '@dass/model-loader';

/** A named input with a size (a File, or bytes the page holds). */
export interface NamedSized {
  readonly name: string;
  readonly size: number;
}

/** Tokenizer files looked for in a folder, in this order (as `loadTokenizer` looks in a model directory). */
export const HF_TOKENIZER_NAMES = ['tokenizer.json', 'tokenizer.model', 'tokenizer.bin'] as const;

export interface PickedFolder<F extends NamedSized> {
  /** The folder's name ('' when files were picked alone). */
  folder: string;
  /** The folder's own files (not those of its subfolders), by name. */
  files: F[];
  /** Files in subfolders, left out (a Hub folder's `original/` copy, for instance). */
  skipped: string[];
}

/**
 * The files of a pick: with a folder pick every File has `webkitRelativePath` `folder/name` (deeper paths are files of
 * subfolders, left out, as `dass prune` reads only the folder's own files); a pick of files has none.
 */
export function pickedFolder<F extends NamedSized & { webkitRelativePath?: string }>(picked: readonly F[]): PickedFolder<F> {
  let folder = '';
  const files: F[] = [];
  const skipped: string[] = [];
  for (const f of picked) {
    const parts = (f.webkitRelativePath ?? '').split('/').filter((p) => p !== '');
    if (parts.length <= 1) files.push(f);
    else if (parts.length === 2) {
      folder = parts[0]!;
      files.push(f);
    } else skipped.push(parts.slice(1).join('/'));
  }
  return { folder, files, skipped };
}

/** Bytes of safetensors weights among `files`: what the memory check before loading counts. */
export function hfWeightBytes(files: readonly NamedSized[]): number {
  return files.filter((f) => f.name.toLowerCase().endsWith('.safetensors')).reduce((sum, f) => sum + f.size, 0);
}

/** The tokenizer of the folder (tokenizer.json first, as transformers), with tokenizer_config.json for a JSON one. */
export function hfTokenizer<F extends NamedSized>(files: readonly F[]): { tokenizer: F; config?: F } | undefined {
  for (const name of HF_TOKENIZER_NAMES) {
    const tokenizer = files.find((f) => f.name === name);
    if (tokenizer) return { tokenizer, config: name === 'tokenizer.json' ? files.find((f) => f.name === 'tokenizer_config.json') : undefined };
  }
  return undefined;
}

const MB = 1e6;
const size = (b: number) => (b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : b >= MB ? `${(b / MB).toFixed(1)} MB` : `${(b / 1e3).toFixed(1)} kB`);

/**
 * What the page shows once a folder is picked, or the first thing missing from it (which file, what was expected):
 * `{ ok: true, text }` or `{ ok: false, text }`. Checks names only; the run checks the contents.
 */
export function describeHfPick(pick: PickedFolder<NamedSized>): { ok: boolean; text: string } {
  const where = pick.folder ? `The folder ${pick.folder}` : 'The files picked';
  const names = new Set(pick.files.map((f) => f.name));
  const shards = pick.files.filter((f) => f.name.endsWith('.safetensors'));
  if (pick.files.length === 0) return { ok: false, text: `${where} holds no files${pick.skipped.length ? ' of its own (only in subfolders)' : ''}.` };
  if (!names.has(CONFIG_FILE_NAME)) return { ok: false, text: `${where} has no config.json: a Hugging Face checkpoint is config.json plus its safetensors.` };
  if (!names.has(SINGLE_FILE_NAME) && !names.has(INDEX_FILE_NAME)) {
    const pickles = pick.files.filter((f) => /\.(bin|pt|pth|ckpt)$/i.test(f.name) && !f.name.startsWith('tokenizer'));
    if (pickles.length > 0)
      return {
        ok: false,
        text: `${where} has ${pickles[0]!.name} but no ${SINGLE_FILE_NAME}: PyTorch pickles are never read; convert them to safetensors first.`,
      };
    return {
      ok: false,
      text: `${where} has no ${SINGLE_FILE_NAME} or ${INDEX_FILE_NAME}${shards.length ? ` (${shards.length} .safetensors file(s): a sharded checkpoint needs its index too)` : ''}.`,
    };
  }
  const tokenizer = hfTokenizer(pick.files);
  if (!tokenizer) return { ok: false, text: `${where} has no tokenizer: expected ${HF_TOKENIZER_NAMES.join(', ')} beside config.json.` };
  const layout = names.has(SINGLE_FILE_NAME) ? SINGLE_FILE_NAME : `${INDEX_FILE_NAME} + ${shards.length} shard(s)`;
  return { ok: true, text: `${pick.folder || 'Files'}: config.json, ${layout} (${size(hfWeightBytes(pick.files))} of weights), ${tokenizer.tokenizer.name}.` };
}
