/**
 * Bad command lines: unknown commands and flags, missing or repeated flags, values out of range or of the wrong
 * kind, output paths that exist, are missing their folder, or are the input itself. Each is refused with the flag
 * and the bad value named, before any work (and before anything is written).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { caseDir, pruneArgv, type CorpusBase } from './corpus-base.js';
import type { HostileCase } from './hostile-case.js';

export async function argumentCases(base: CorpusBase): Promise<HostileCase[]> {
  const cases: HostileCase[] = [];
  /** A case with its own (empty) folder for outputs; `argv` gets that folder. */
  const add = async (id: string, description: string, argv: (dir: string) => string[], messageIncludes: string[]) => {
    const dir = await caseDir(base, id);
    cases.push({ id, description, files: [], argv: argv(dir), expect: { exitCode: 2, messageIncludes } });
  };
  const prune = (flags: Record<string, string>) => (dir: string) => pruneArgv(base, dir, base.hfDir, flags);

  await add('no-command', 'dass with no command', () => [], ['missing command', 'prune']);
  await add('unknown-command', 'a command that does not exist', () => ['prnue', '--model', base.hfDir], ['unknown command "prnue"', 'Did you mean prune']);
  await add('unknown-flag', 'a flag prune does not have', (dir) => [...prune({})(dir), '--sparsty', '0.5'], ['Unknown argument', 'sparsty']);
  await add('missing-required-flag', 'prune without --model', (dir) => prune({})(dir).filter((_, i) => i !== 1 && i !== 2), [
    'Missing required argument',
    'model',
  ]);
  await add('flag-twice', '--nsamples given twice', (dir) => [...prune({})(dir), '--nsamples', '3'], ['--nsamples', 'given 2 times']);
  await add('sparsity-one-and-a-half', '--sparsity 1.5', prune({ sparsity: '1.5' }), ['--sparsity', '1.5']);
  await add('sparsity-n-above-m', '--sparsity 5:4', prune({ sparsity: '5:4' }), ['--sparsity', '5:4']);
  await add('method-unknown', '--method obs', prune({ method: 'obs' }), ['--method', 'obs']);
  await add('nsamples-zero', '--nsamples 0', prune({ nsamples: '0' }), ['--nsamples', 'expected an integer >= 1, got "0"']);
  await add('seqlen-one', '--seqlen 1 (no next token to predict)', prune({ seqlen: '1' }), ['--seqlen', 'expected an integer >= 2']);
  await add('percdamp-two', '--percdamp 2 (SparseGPT damping is a fraction)', prune({ method: 'sparsegpt', percdamp: '2' }), [
    '--percdamp',
    'expected a number in (0, 1)',
  ]);
  await add('targets-choice', '--targets attention', prune({ targets: 'attention' }), ['targets', 'attention']);
  await add('nm-does-not-tile', '--sparsity 2:3 on 64-wide rows', prune({ sparsity: '2:3' }), ['--sparsity 2:3', 'not divisible by 3']);
  await add('model-missing', '--model names nothing', (dir) => pruneArgv(base, dir, join(dir, 'no-model')), [join('no-model'), 'no such file or directory']);
  await add('llama2c-without-tokenizer', 'a llama2.c model and a text but no --tokenizer', (dir) => pruneArgv(base, dir, base.llama2c), [
    '--tokenizer',
    'llama2.c',
  ]);
  await add('hf-to-llama2c', '--out-format llama2c from a Hugging Face model', prune({ 'out-format': 'llama2c' }), ['--out-format', 'not supported']);
  {
    const id = 'out-exists';
    const dir = await caseDir(base, id);
    const out = join(dir, 'out');
    await mkdir(out);
    cases.push({
      id,
      description: '--out exists and --force is not given',
      files: [],
      argv: pruneArgv(base, dir, base.hfDir),
      expect: { exitCode: 2, messageIncludes: [out, 'already exists', '--force'] },
    });
  }
  await add('out-folder-missing', "--out inside a folder that doesn't exist", (dir) => prune({ out: join(dir, 'a', 'b', 'out') })(dir), [
    join('a', 'b', 'out'),
    'does not exist',
  ]);
  await add('out-is-input', '--out is the input model, with --force', (dir) => [...pruneArgv(base, dir, base.hfDir, { out: base.hfDir }), '--force'], [
    `--out ${base.hfDir} is the input --model ${base.hfDir}`,
    'an output never replaces',
  ]);
  await add('report-folder-missing', "--report inside a folder that doesn't exist", (dir) => prune({ report: join(dir, 'nowhere', 'run.json') })(dir), [
    '--report',
    'does not exist',
  ]);
  await add('inspect-nm-inverted', 'inspect --nm 3:2', () => ['inspect', '--model', base.hfDir, '--nm', '3:2'], ['--nm', '3:2']);
  await add('ppl-max-windows-zero', 'eval ppl --max-windows 0', () => ['eval', 'ppl', '--model', base.hfDir, '--data', base.calibText, '--max-windows', '0'], [
    '--max-windows',
    '"0"',
  ]);
  await add(
    'calib-no-tokenizer',
    'dass calib with neither --model nor --tokenizer',
    (dir) => ['calib', '--data', base.calibText, '--out', join(dir, 'calib.safetensors')],
    ['--model or --tokenizer', 'give at least one'],
  );
  await add(
    'calib-seqlen-beyond-context',
    'dass calib --seqlen 4096 for a 512-token model',
    (dir) => ['calib', '--model', base.hfDir, '--data', base.calibText, '--seqlen', '4096', '--out', join(dir, 'calib.safetensors')],
    ['--seqlen', "exceeds the model's context (512 tokens)"],
  );
  await add(
    'convert-hf-input',
    'dass convert on a Hugging Face folder',
    (dir) => ['convert', '--model', base.hfDir, '--tokenizer', base.llama2cTokenizer, '--out', join(dir, 'out')],
    [base.hfDir, 'already a Hugging Face checkpoint'],
  );
  return cases;
}
