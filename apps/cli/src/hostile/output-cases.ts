/**
 * Misused outputs (issue 12, case 1): an --out or --report that is, holds or lies inside an input, also through
 * symbolic links, and --force pointed at something that is not a previous output of ours. Each must be refused
 * before any work with one line naming both flags, and the case folder (every input in it) stays byte-identical.
 */
import { copyFile, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { caseDir, modelVariant, pruneArgv, put, type CorpusBase } from './corpus-base.js';
import type { HostileCase } from './hostile-case.js';

const NEVER_INPUT = 'an output never replaces, holds or goes inside an input';

export async function outputCases(base: CorpusBase): Promise<HostileCase[]> {
  const cases: HostileCase[] = [];
  const push = (id: string, description: string, argv: string[], messageIncludes: string[]) =>
    cases.push({ id, description, files: [], argv, expect: { exitCode: 2, messageIncludes } });
  /** `<case>/proj/` holding a copy of the checkpoint (`proj/model`), the calibration text and unrelated notes. */
  const project = async (dir: string) => {
    const proj = join(dir, 'proj');
    await mkdir(proj);
    const { model } = await modelVariant(base, proj, {});
    const calib = join(proj, 'calib.txt');
    await copyFile(base.calibText, calib);
    await put(proj, 'notes.txt', 'my notes, not an output of anything\n');
    return { proj, model, calib };
  };

  // The three reports of the issue.
  {
    const id = 'force-out-holds-model';
    const dir = await caseDir(base, id);
    const { proj, model, calib } = await project(dir);
    push(
      id,
      'prune --out proj --force where proj holds the model, the calibration text and notes',
      [...pruneArgv(base, dir, model, { calib, out: proj }), '--force'],
      [`--out ${proj} contains the input --model ${model}`, NEVER_INPUT],
    );
  }
  {
    const id = 'force-calib-out-is-data';
    const dir = await caseDir(base, id);
    const data = await put(dir, 'data.txt', 'Once upon a time there was a little text. '.repeat(40));
    push(
      id,
      'calib --data data.txt --out data.txt --force',
      ['calib', '--tokenizer', base.llama2cTokenizer, '--data', data, '--nsamples', '2', '--seqlen', '32', '--out', data, '--force'],
      [`--out ${data} is the input --data ${data}`, NEVER_INPUT],
    );
  }
  {
    const id = 'force-convert-out-holds-bin';
    const dir = await caseDir(base, id);
    const bin = join(dir, 'stories260K.bin');
    const tok = join(dir, 'tok512.bin');
    await copyFile(base.llama2c, bin);
    await copyFile(base.llama2cTokenizer, tok);
    push(
      id,
      'convert --model dir/stories.bin --tokenizer dir/tok.bin --out dir --force',
      ['convert', '--model', bin, '--tokenizer', tok, '--out', dir, '--force'],
      [`--out ${dir} contains the input --model ${bin}`, NEVER_INPUT],
    );
  }

  // Siblings: inside an input, the tokenizer, --report, links, the other output.
  {
    const id = 'out-inside-model';
    const dir = await caseDir(base, id);
    const { model, calib } = await project(dir);
    push(id, 'prune --out inside the input model folder', pruneArgv(base, dir, model, { calib, out: join(model, 'pruned') }), [
      `--out ${join(model, 'pruned')} lies inside the input --model ${model}`,
      NEVER_INPUT,
    ]);
  }
  {
    const id = 'force-out-is-tokenizer';
    const dir = await caseDir(base, id);
    const tok = join(dir, 'tok512.bin');
    await copyFile(base.llama2cTokenizer, tok);
    push(
      id,
      'prune a llama2.c model with --out equal to its --tokenizer, --force',
      [...pruneArgv(base, dir, base.llama2c, { tokenizer: tok, out: tok }), '--force'],
      [`--out ${tok} is the input --tokenizer ${tok}`, NEVER_INPUT],
    );
  }
  {
    const id = 'force-convert-out-is-tokenizer';
    const dir = await caseDir(base, id);
    const tok = join(dir, 'tok512.bin');
    await copyFile(base.llama2cTokenizer, tok);
    push(
      id,
      'convert --out equal to its --tokenizer, --force',
      ['convert', '--model', base.llama2c, '--tokenizer', tok, '--out', tok, '--force'],
      [`--out ${tok} is the input --tokenizer ${tok}`, NEVER_INPUT],
    );
  }
  {
    const id = 'calib-out-inside-model';
    const dir = await caseDir(base, id);
    const { model, calib } = await project(dir);
    const out = join(model, 'calib.safetensors');
    push(
      id,
      'calib --model dir --out dir/calib.safetensors',
      ['calib', '--model', model, '--data', calib, '--nsamples', '2', '--seqlen', '32', '--out', out],
      [`--out ${out} lies inside the input --model ${model}`, NEVER_INPUT],
    );
  }
  {
    const id = 'report-is-calib';
    const dir = await caseDir(base, id);
    const { model, calib } = await project(dir);
    push(id, 'prune --report naming the calibration text', pruneArgv(base, dir, model, { calib, report: calib }), [
      `--report ${calib} is the input --calib ${calib}`,
      NEVER_INPUT,
    ]);
  }
  {
    const id = 'report-is-model';
    const dir = await caseDir(base, id);
    const { model, calib } = await project(dir);
    push(id, 'prune --report naming the model folder', pruneArgv(base, dir, model, { calib, report: model }), [
      `--report ${model} is the input --model ${model}`,
      NEVER_INPUT,
    ]);
  }
  {
    const id = 'report-inside-out';
    const dir = await caseDir(base, id);
    const out = join(dir, 'out');
    push(id, 'prune --report inside --out', pruneArgv(base, dir, base.hfDir, { out, report: join(out, 'run.json') }), [
      `--out ${out} contains the output --report ${join(out, 'run.json')}`,
      'two outputs of one run never share a path or nest',
    ]);
  }
  {
    const id = 'force-model-link-into-out';
    const dir = await caseDir(base, id);
    const { proj, model, calib } = await project(dir);
    const link = join(dir, 'model-link');
    await symlink(model, link);
    push(
      id,
      '--model is a symbolic link into the folder --out names, --force',
      [...pruneArgv(base, dir, link, { calib, out: proj }), '--force'],
      [`--out ${proj} contains the input --model ${link} (resolved: ${proj} and ${model})`, NEVER_INPUT],
    );
  }
  {
    const id = 'force-out-through-link';
    const dir = await caseDir(base, id);
    const { proj, model, calib } = await project(dir);
    const link = join(dir, 'proj-link');
    await symlink(proj, link);
    push(
      id,
      '--out reaches the input model through a linked folder, --force',
      [...pruneArgv(base, dir, model, { calib, out: join(link, 'model') }), '--force'],
      [`--out ${join(link, 'model')} is the input --model ${model}`, NEVER_INPUT],
    );
  }
  {
    const id = 'out-new-path-through-link';
    const dir = await caseDir(base, id);
    const { proj, model, calib } = await project(dir);
    const link = join(dir, 'proj-link');
    await symlink(proj, link);
    const out = join(link, 'model', 'new', 'pruned');
    push(id, '--out does not exist yet; its nearest existing ancestor is the model reached through a link', pruneArgv(base, dir, model, { calib, out }), [
      `--out ${out} lies inside the input --model ${model}`,
      NEVER_INPUT,
    ]);
  }

  // --force replaces only a previous output of ours.
  {
    const id = 'force-over-user-folder';
    const dir = await caseDir(base, id);
    const out = join(dir, 'out');
    await mkdir(join(out, 'drafts'), { recursive: true });
    await put(out, 'notes.txt', 'mine');
    push(
      id,
      'prune --force onto a folder with a subfolder and notes',
      [...pruneArgv(base, dir, base.hfDir, { out }), '--force'],
      [`--out ${out} exists and holds the subfolder drafts`, 'it is never replaced'],
    );
  }
  {
    const id = 'force-over-folder-without-weights';
    const dir = await caseDir(base, id);
    const out = join(dir, 'out');
    await mkdir(out);
    await put(out, 'thesis.tex', '\\documentclass{article}');
    push(
      id,
      'convert --force onto a flat folder that is not a checkpoint',
      ['convert', '--model', base.llama2c, '--tokenizer', base.llama2cTokenizer, '--out', out, '--force'],
      [`--out ${out} exists and is a folder without config.json and .safetensors weights`, 'it is never replaced'],
    );
  }
  {
    const id = 'force-llama2c-over-text';
    const dir = await caseDir(base, id);
    const out = await put(dir, 'pruned.bin', 'not a checkpoint');
    push(
      id,
      'prune a llama2.c model with --force onto a file that is not a llama2.c checkpoint',
      [...pruneArgv(base, dir, base.llama2c, { tokenizer: base.llama2cTokenizer, out }), '--force'],
      [`--out ${out} exists and does not start with a llama2.c header`, 'it is never replaced'],
    );
  }
  {
    const id = 'force-calib-over-text';
    const dir = await caseDir(base, id);
    const out = await put(dir, 'other.txt', 'another text');
    push(
      id,
      'calib --force onto a text that is not an input',
      ['calib', '--tokenizer', base.llama2cTokenizer, '--data', base.calibText, '--nsamples', '2', '--seqlen', '32', '--out', out, '--force'],
      [`--out ${out} exists and is not a safetensors file`, 'it is never replaced'],
    );
  }
  {
    const id = 'report-over-text';
    const dir = await caseDir(base, id);
    const report = await put(dir, 'notes.txt', 'my notes');
    push(id, 'prune --report onto a text that is not a JSON report', pruneArgv(base, dir, base.hfDir, { report }), [
      `--report ${report} exists and is not a JSON report`,
      'it is never replaced',
    ]);
  }
  return cases;
}
