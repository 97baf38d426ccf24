import { createHash } from 'node:crypto';
import { copyFile, link, mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertLlama2cToHf } from './convert/llama2c-to-hf.js';
import { openLlama2c } from './llama2c/open-llama2c.js';
import { assertOutputApartFromInputs, assertReplaceableOutput, OutputPathError, realOutputPath } from './output-paths.js';
import { writeSafetensors } from './safetensors/safetensors-writer.js';
import { fixtures } from './test/index.js';

let root: string;
beforeAll(async () => {
  // realpath: the temp folder may itself sit behind a link (macOS /var -> /private/var).
  root = await realpath(await mkdtemp(join(tmpdir(), 'dass-output-paths-')));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function fresh(name: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Relative path -> sha256 of every file under `dir` (folders as 'dir'). */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    out[path.slice(dir.length + 1)] = entry.isDirectory()
      ? 'dir'
      : createHash('sha256')
          .update(await readFile(path))
          .digest('hex');
  }
  return out;
}

const refusal = async (p: Promise<unknown>): Promise<OutputPathError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OutputPathError);
  return err as OutputPathError;
};

describe('realOutputPath', () => {
  it('resolves a path that does not exist through its nearest existing (linked) ancestor', async () => {
    const dir = await fresh('real');
    await mkdir(join(dir, 'target'));
    await symlink(join(dir, 'target'), join(dir, 'link'));
    expect(await realOutputPath(join(dir, 'link', 'a', 'b'))).toBe(join(dir, 'target', 'a', 'b'));
    expect(await realOutputPath(join(dir, 'link'))).toBe(join(dir, 'target'));
  });

  it('follows a dangling link to where it points', async () => {
    const dir = await fresh('dangling');
    await symlink(join(dir, 'not-yet'), join(dir, 'dangling'));
    expect(await realOutputPath(join(dir, 'dangling', 'x'))).toBe(join(dir, 'not-yet', 'x'));
  });
});

describe('assertOutputApartFromInputs', () => {
  it('refuses an output that is, holds or lies inside an input, naming both labels and paths', async () => {
    const dir = await fresh('relations');
    const model = join(dir, 'proj', 'model');
    await mkdir(model, { recursive: true });
    await writeFile(join(dir, 'proj', 'calib.txt'), 'text');
    const inputs = [
      { name: 'model', path: model },
      { name: 'calib', path: join(dir, 'proj', 'calib.txt') },
    ];
    const same = await refusal(assertOutputApartFromInputs({ name: 'out', path: join(dir, 'proj', 'calib.txt') }, inputs));
    expect(same.message).toBe(
      `out ${join(dir, 'proj', 'calib.txt')} is the input calib ${join(dir, 'proj', 'calib.txt')}; an output never replaces, holds or goes inside an input: choose another path`,
    );
    const holds = await refusal(assertOutputApartFromInputs({ name: 'out', path: join(dir, 'proj') }, inputs));
    expect(holds.message).toContain(`out ${join(dir, 'proj')} contains the input model ${model}`);
    const inside = await refusal(assertOutputApartFromInputs({ name: 'out', path: join(model, 'pruned', 'deeper') }, inputs));
    expect(inside.message).toContain(`lies inside the input model ${model}`);
    expect(inside.output).toBe('out');
  });

  it('accepts siblings, including one whose name starts with the input name', async () => {
    const dir = await fresh('siblings');
    await mkdir(join(dir, 'model'));
    const inputs = [{ name: 'model', path: join(dir, 'model') }];
    await assertOutputApartFromInputs({ name: 'out', path: join(dir, 'model2') }, inputs);
    await assertOutputApartFromInputs({ name: 'out', path: join(dir, 'model-pruned') }, inputs);
    await assertOutputApartFromInputs({ name: 'out', path: join(dir, 'model..x') }, inputs);
    // Inputs not given are skipped.
    await assertOutputApartFromInputs({ name: 'out', path: join(dir, 'model2') }, [{ name: 'tokenizer', path: undefined }]);
  });

  it('compares real paths: an input that is a link into the output, an output reached through a link', async () => {
    const dir = await fresh('links');
    await mkdir(join(dir, 'out', 'model'), { recursive: true });
    await symlink(join(dir, 'out', 'model'), join(dir, 'model-link'));
    const viaInputLink = await refusal(
      assertOutputApartFromInputs({ name: 'out', path: join(dir, 'out') }, [{ name: 'model', path: join(dir, 'model-link') }]),
    );
    expect(viaInputLink.message).toContain(`(resolved: ${join(dir, 'out')} and ${join(dir, 'out', 'model')})`);
    await symlink(join(dir, 'out'), join(dir, 'out-link'));
    await refusal(
      assertOutputApartFromInputs({ name: 'out', path: join(dir, 'out-link', 'model', 'new') }, [{ name: 'model', path: join(dir, 'out', 'model') }]),
    );
  });

  it('treats a hard link of an input as the input', async () => {
    const dir = await fresh('hardlink');
    await writeFile(join(dir, 'data.txt'), 'text');
    await link(join(dir, 'data.txt'), join(dir, 'alias.txt'));
    const err = await refusal(assertOutputApartFromInputs({ name: 'out', path: join(dir, 'alias.txt') }, [{ name: 'data', path: join(dir, 'data.txt') }]));
    expect(err.message).toContain('is the input data');
  });

  it('words another output of the run as an output', async () => {
    const dir = await fresh('two-outputs');
    const err = await refusal(
      assertOutputApartFromInputs({ name: 'out', path: join(dir, 'o') }, [{ name: 'report', path: join(dir, 'o', 'run.json'), role: 'output' }]),
    );
    expect(err.message).toBe(
      `out ${join(dir, 'o')} contains the output report ${join(dir, 'o', 'run.json')}; two outputs of one run never share a path or nest: choose another path`,
    );
  });
});

describe('assertReplaceableOutput', () => {
  it('passes a path that does not exist, an empty folder, and a flat checkpoint folder', async () => {
    const dir = await fresh('replaceable');
    await assertReplaceableOutput({ name: 'out', path: join(dir, 'missing') }, 'checkpoint-dir');
    await mkdir(join(dir, 'empty'));
    await assertReplaceableOutput({ name: 'out', path: join(dir, 'empty') }, 'checkpoint-dir');
    await mkdir(join(dir, 'ckpt'));
    await writeFile(join(dir, 'ckpt', 'config.json'), '{}');
    await writeSafetensors(join(dir, 'ckpt', 'model.safetensors'), [{ name: 'w', dtype: 'F32', shape: [1], data: new Float32Array(1) }]);
    await assertReplaceableOutput({ name: 'out', path: join(dir, 'ckpt') }, 'checkpoint-dir');
    await assertReplaceableOutput({ name: 'out', path: join(dir, 'ckpt', 'model.safetensors') }, 'safetensors-file');
    await copyFile(fixtures.stories260K.bin, join(dir, 'old.bin'));
    await assertReplaceableOutput({ name: 'out', path: join(dir, 'old.bin') }, 'llama2c-file');
    await writeFile(join(dir, 'run.json'), '{"kind": "dass-ts/prune-run"}\n');
    await assertReplaceableOutput({ name: 'report', path: join(dir, 'run.json') }, 'json-file');
  });

  it('refuses a user folder, a folder with subfolders, and files of another kind', async () => {
    const dir = await fresh('not-ours');
    await mkdir(join(dir, 'proj', 'model'), { recursive: true });
    await writeFile(join(dir, 'proj', 'config.json'), '{}');
    await writeFile(join(dir, 'proj', 'model.safetensors'), '');
    expect((await refusal(assertReplaceableOutput({ name: 'out', path: join(dir, 'proj') }, 'checkpoint-dir'))).message).toBe(
      `out ${join(dir, 'proj')} exists and holds the subfolder model, so it is not a checkpoint folder this tool wrote; it is never replaced: remove it yourself or choose another path`,
    );
    await mkdir(join(dir, 'notes'));
    await writeFile(join(dir, 'notes', 'notes.txt'), 'mine');
    expect((await refusal(assertReplaceableOutput({ name: 'out', path: join(dir, 'notes') }, 'checkpoint-dir'))).message).toContain('without config.json');
    await writeFile(join(dir, 'text.txt'), 'Once upon a time');
    expect((await refusal(assertReplaceableOutput({ name: 'out', path: join(dir, 'text.txt') }, 'checkpoint-dir'))).message).toContain(
      'is a file, not a checkpoint folder',
    );
    expect((await refusal(assertReplaceableOutput({ name: 'out', path: join(dir, 'text.txt') }, 'safetensors-file'))).message).toContain(
      'is not a safetensors file',
    );
    expect((await refusal(assertReplaceableOutput({ name: 'out', path: join(dir, 'text.txt') }, 'llama2c-file'))).message).toContain(
      'does not start with a llama2.c header',
    );
    expect((await refusal(assertReplaceableOutput({ name: 'report', path: join(dir, 'text.txt') }, 'json-file'))).message).toContain('is not a JSON report');
    expect((await refusal(assertReplaceableOutput({ name: 'report', path: join(dir, 'notes') }, 'json-file'))).message).toContain(
      'is a folder, not a JSON report',
    );
  });
});

describe('convertLlama2cToHf output guards', () => {
  it('outDir = the folder holding the .bin, with force: refused before anything is written, the .bin byte-identical', async () => {
    const dir = await fresh('convert-holds-bin');
    await copyFile(fixtures.stories260K.bin, join(dir, 'stories260K.bin'));
    await copyFile(fixtures.stories260K.tokenizer, join(dir, 'tok512.bin'));
    const before = await snapshot(dir);
    const checkpoint = await openLlama2c(join(dir, 'stories260K.bin'));
    try {
      const err = await refusal(convertLlama2cToHf({ checkpoint, tokenizerPath: join(dir, 'tok512.bin'), outDir: dir, force: true }));
      expect(err.message).toContain(`outDir ${dir} contains the input checkpoint ${join(dir, 'stories260K.bin')}`);
      const tok = await refusal(convertLlama2cToHf({ checkpoint, tokenizerPath: join(dir, 'tok512.bin'), outDir: join(dir, 'tok512.bin'), force: true }));
      expect(tok.message).toContain('is the input tokenizerPath');
    } finally {
      await checkpoint.close();
    }
    expect(await snapshot(dir)).toEqual(before);
  });

  it('force replaces a previous conversion but never a folder of other files', async () => {
    const dir = await fresh('convert-force');
    const checkpoint = await openLlama2c(fixtures.stories260K.bin);
    try {
      const outDir = join(dir, 'hf');
      await convertLlama2cToHf({ checkpoint, outDir });
      await convertLlama2cToHf({ checkpoint, outDir, force: true });
      expect((await readdir(outDir)).sort()).toEqual(['config.json', 'model.safetensors']);
      const mine = join(dir, 'mine');
      await mkdir(join(mine, 'sub'), { recursive: true });
      await writeFile(join(mine, 'notes.txt'), 'keep me');
      const before = await snapshot(mine);
      await refusal(convertLlama2cToHf({ checkpoint, outDir: mine, force: true }));
      expect(await snapshot(mine)).toEqual(before);
      expect((await stat(join(mine, 'notes.txt'))).isFile()).toBe(true);
    } finally {
      await checkpoint.close();
    }
  });
});
