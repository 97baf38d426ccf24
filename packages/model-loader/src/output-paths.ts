/**
 * Guards for every writer of outputs (pruned checkpoints, converted checkpoints, calibration artifacts, run reports,
 * grid result folders): an output must never be, contain or lie inside one of the run's inputs, and `force` may only
 * replace something this project writes itself. Paths are compared as real paths (symbolic links resolved, also for
 * outputs that do not exist yet: their nearest existing ancestor is resolved), and two existing paths are the same
 * when they are the same file (device and inode), so a hard link or a bind mount of an input is caught too.
 *
 * Messages name the paths by the labels the caller gives: a library names its option fields (`outDir`, `model`),
 * the CLI its flags (`--out`, `--model`).
 */
import { DassError, hasMarker, setMarker, type MessageText } from '@dass/errors';
import { lstat, open, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parseLlama2cHeader } from './llama2c/checkpoint.js';

/** A path with the name the user knows it by (a flag or an option field). `path` undefined: not given, ignored. */
export interface NamedPath {
  name: string;
  path: string | undefined;
  /** What the path is to the run (default `input`); another output of the same run is compared the same way. */
  role?: 'input' | 'output';
}

const OUTPUT_PATH_MARKER = Symbol.for('dass.error.OutputPathError');

/**
 * An output that would replace, swallow or sit inside an input, or that `force` must not replace: code
 * `DASS_OUTPUT_PATH`, `field` the output's label. Labels in the message go through the namer (`describe`).
 */
export class OutputPathError extends DassError {
  declare readonly field: string;
  /** What was wrong, without the label and path (they are prepended to `message`). */
  readonly problem: string;

  constructor(
    /** The output's label (flag or option field). */
    readonly output: string,
    /** The output path as given. */
    readonly path: string,
    problem: MessageText,
  ) {
    const text = typeof problem === 'function' ? problem : () => problem;
    super('DASS_OUTPUT_PATH', (name) => `${name(output)} ${path} ${text(name)}`, { field: output });
    this.name = 'OutputPathError';
    this.problem = text((field) => field);
    setMarker(this, OUTPUT_PATH_MARKER);
  }

  static override isInstance(error: unknown): error is OutputPathError {
    return hasMarker(error, OUTPUT_PATH_MARKER);
  }
}

const MAX_LINK_HOPS = 40;

/**
 * The real absolute path of `path`: symbolic links resolved. A path that does not exist yet resolves through its
 * nearest existing ancestor (a dangling link is followed to where it points), so `out/new` under a linked `out`
 * compares equal to the link's target.
 */
export async function realOutputPath(path: string): Promise<string> {
  let hops = 0;
  const resolveFrom = async (absolute: string): Promise<string> => {
    try {
      return await realpath(absolute);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
    }
    // A dangling symbolic link: follow it by hand.
    const info = await lstat(absolute).catch(() => undefined);
    if (info?.isSymbolicLink() && hops++ < MAX_LINK_HOPS) {
      const target = await readlink(absolute);
      return resolveFrom(isAbsolute(target) ? target : resolve(dirname(absolute), target));
    }
    const parent = dirname(absolute);
    if (parent === absolute) return absolute;
    return join(await resolveFrom(parent), basename(absolute));
  };
  return resolveFrom(resolve(path));
}

type Relation = 'same' | 'output-inside' | 'output-contains';

function relationOf(output: string, input: string): Relation | undefined {
  if (output === input) return 'same';
  const inside = (child: string, parent: string) => {
    const rel = relative(parent, child);
    return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
  };
  if (inside(output, input)) return 'output-inside';
  if (inside(input, output)) return 'output-contains';
  return undefined;
}

async function sameFile(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([stat(a).catch(() => undefined), stat(b).catch(() => undefined)]);
  return x !== undefined && y !== undefined && x.dev === y.dev && x.ino === y.ino;
}

/**
 * Throws OutputPathError when `output` is one of `inputs`, contains one (replacing it would delete the input) or
 * lies inside one (writing it would change the input). Inputs whose `path` is undefined are skipped; inputs that do
 * not exist are compared by where they would be. Call before any work.
 */
export async function assertOutputApartFromInputs(output: NamedPath, inputs: readonly NamedPath[]): Promise<void> {
  if (output.path === undefined || output.path === '') return;
  const out = await realOutputPath(output.path);
  for (const input of inputs) {
    if (input.path === undefined || input.path === '') continue;
    const real = await realOutputPath(input.path);
    let relation = relationOf(out, real);
    if (relation === undefined && (await sameFile(out, real))) relation = 'same';
    if (relation === undefined) continue;
    const resolved = real !== resolve(input.path) || out !== resolve(output.path) ? ` (resolved: ${out} and ${real})` : '';
    const verb = relation === 'same' ? 'is' : relation === 'output-contains' ? 'contains' : 'lies inside';
    const what = (name: (field: string) => string) => `${verb} the ${input.role ?? 'input'} ${name(input.name)} ${input.path}`;
    const rule = input.role === 'output' ? 'two outputs of one run never share a path or nest' : 'an output never replaces, holds or goes inside an input';
    throw new OutputPathError(output.name, output.path, (name) => `${what(name)}${resolved}; ${rule}: choose another path`);
  }
}

/**
 * What an existing output may be for `force` to replace it (anything else is refused, whatever `force` says):
 * - `checkpoint-dir`: an empty folder, or a flat folder (no subfolders) holding `config.json` and at least one
 *   `.safetensors` file, as the HF writers here produce;
 * - `llama2c-file`: a regular file that starts with a valid llama2.c header;
 * - `safetensors-file`: a regular file that starts like safetensors (8-byte little-endian header length, then `{`);
 * - `json-file`: a regular file holding a JSON object (a run report).
 */
export type ReplaceableKind = 'checkpoint-dir' | 'llama2c-file' | 'safetensors-file' | 'json-file';

const KIND_NAMES: Record<ReplaceableKind, string> = {
  'checkpoint-dir': 'a checkpoint folder (config.json + .safetensors, no subfolders)',
  'llama2c-file': 'a llama2.c checkpoint file',
  'safetensors-file': 'a safetensors file',
  'json-file': 'a JSON report',
};

async function head(path: string, length: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = new Uint8Array(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Why an existing `path` is not something of `kind` this project writes, or undefined when it is. */
async function notReplaceable(path: string, kind: ReplaceableKind): Promise<string | undefined> {
  const info = await stat(path);
  if (kind === 'checkpoint-dir') {
    if (!info.isDirectory()) return 'is a file, not a checkpoint folder';
    const entries = await readdir(path, { withFileTypes: true });
    if (entries.length === 0) return undefined;
    const folder = entries.find((e) => e.isDirectory());
    if (folder) return `holds the subfolder ${folder.name}, so it is not a checkpoint folder this tool wrote`;
    const names = entries.map((e) => e.name);
    if (!names.includes('config.json') || !names.some((n) => n.endsWith('.safetensors'))) {
      return 'is a folder without config.json and .safetensors weights, so it is not a checkpoint folder this tool wrote';
    }
    return undefined;
  }
  if (info.isDirectory()) return `is a folder, not ${KIND_NAMES[kind]}`;
  if (!info.isFile()) return `is not a regular file`;
  if (kind === 'llama2c-file') {
    try {
      parseLlama2cHeader(await head(path, 28), path);
      return undefined;
    } catch {
      return 'does not start with a llama2.c header, so it is not a checkpoint this tool wrote';
    }
  }
  if (kind === 'safetensors-file') {
    const bytes = await head(path, 9);
    const length = bytes.length === 9 ? new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true) : 0n;
    const ok = bytes.length === 9 && length >= 2n && length <= BigInt(info.size - 8) && bytes[8] === 0x7b;
    return ok ? undefined : 'is not a safetensors file, so it is not an artifact this tool wrote';
  }
  // json-file: read at most 64 MiB (our reports are a few kB).
  if (info.size > 64 * 2 ** 20) return 'is too large to be a JSON report this tool wrote';
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(await head(path, info.size));
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return undefined;
  } catch {
    // not JSON
  }
  return 'is not a JSON report, so it is not a report this tool wrote';
}

/**
 * Throws OutputPathError when `output.path` exists and is not something of `kind` (see ReplaceableKind): `force`
 * replaces previous outputs, never a user's folder or file of another kind. A missing path passes.
 */
export async function assertReplaceableOutput(output: NamedPath, kind: ReplaceableKind): Promise<void> {
  if (output.path === undefined || output.path === '') return;
  const exists = await lstat(output.path).then(
    () => true,
    () => false,
  );
  if (!exists) return;
  let problem: string | undefined;
  try {
    problem = await notReplaceable(output.path, kind);
  } catch (err) {
    // A dangling link hides nothing: replacing it loses no data.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    problem = `cannot be examined (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
  if (problem !== undefined)
    throw new OutputPathError(output.name, output.path, `exists and ${problem}; it is never replaced: remove it yourself or choose another path`);
}
