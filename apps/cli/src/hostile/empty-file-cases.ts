/**
 * Files that hold nothing (issue 12, case 5): every loader given an empty file, or one of only whitespace or blank
 * lines, answers exit 2 with one line naming the file — texts (plain, WikiText, JSON-lines, JSON arrays, gzip),
 * config.json, the shard index, tokenizers (.json, .model, .bin), weights (safetensors, llama2.c), calibration
 * artifacts and every zero-shot task file. Never "internal error".
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { zeroShotTasks } from '@dass/evaluation';
import { caseDir, modelVariant, pruneArgv, put, type CorpusBase } from './corpus-base.js';
import type { HostileCase } from './hostile-case.js';

const BLANK = ' \n\n\t  \r\n   \n';

export async function emptyFileCases(base: CorpusBase): Promise<HostileCase[]> {
  const cases: HostileCase[] = [];
  const push = (id: string, description: string, files: string[], argv: string[], messageIncludes: string[]) =>
    cases.push({ id, description, files, argv, expect: { exitCode: 2, messageIncludes } });

  // --- texts, through each command that reads one
  const text = async (
    id: string,
    name: string,
    content: string | Uint8Array,
    command: 'prune' | 'calib' | 'ppl',
    problem: string,
    what = content.length === 0 ? 'nothing' : 'only whitespace',
  ) => {
    const dir = await caseDir(base, id);
    const path = await put(dir, name, content);
    const argv =
      command === 'prune'
        ? pruneArgv(base, dir, base.hfDir, { calib: path })
        : command === 'calib'
          ? ['calib', '--tokenizer', base.llama2cTokenizer, '--data', path, '--nsamples', '2', '--seqlen', '32', '--out', join(dir, 'calib.safetensors')]
          : ['eval', 'ppl', '--model', base.hfDir, '--data', path, '--seqlen', '32'];
    push(id, `${command}: ${name} holding ${what}`, [path], argv, [path, `${path}: ${problem}`]);
  };
  await text('blank-text-prune', 'calib.txt', BLANK, 'prune', 'holds no text (only whitespace)');
  await text('blank-text-calib', 'data.txt', BLANK, 'calib', 'holds no text (only whitespace)');
  await text('blank-text-ppl', 'test.txt', BLANK, 'ppl', 'holds no text (only whitespace)');
  await text('blank-wikitext-calib', 'wiki.train.raw', BLANK, 'calib', 'holds no text (only whitespace)');
  await text('blank-wikitext-ppl', 'wiki.test.raw', BLANK, 'ppl', 'holds no text (only whitespace)');
  await text('empty-jsonl-calib', 'c4.jsonl', '', 'calib', 'is empty (0 bytes)');
  await text('blank-jsonl-prune', 'c4.jsonl', BLANK, 'prune', 'holds no documents (only whitespace)');
  await text('empty-json-array-ppl', 'c4.json', '[]', 'ppl', 'holds no documents', 'an empty JSON array');
  await text('blank-json-gz-calib', 'c4.json.gz', gzipSync(BLANK), 'calib', 'holds no documents (only whitespace)', 'gzipped whitespace');
  await text('empty-json-gz-prune', 'c4.json.gz', gzipSync(''), 'prune', 'decompresses to 0 bytes', 'a gzipped empty file');

  // --- checkpoint files
  const modelFile = async (
    id: string,
    changes: Record<string, string | null>,
    blame: string,
    problem: string,
    argv: (model: string, dir: string) => string[] = (m, d) => pruneArgv(base, d, m),
  ) => {
    const dir = await caseDir(base, id);
    const { model, files } = await modelVariant(base, dir, changes);
    push(id, `${blame} is ${changes[blame] === '' ? 'empty' : 'only whitespace'}`, files, argv(model, dir), [
      join(model, blame),
      `${join(model, blame)}: ${problem}`,
    ]);
  };
  await modelFile('empty-config-json', { 'config.json': '' }, 'config.json', "is empty (0 bytes), expected the model's JSON config");
  await modelFile('blank-config-json', { 'config.json': BLANK }, 'config.json', "holds only whitespace, expected the model's JSON config", (m) => [
    'inspect',
    '--model',
    m,
  ]);
  {
    const id = 'empty-shard-index';
    const dir = await caseDir(base, id);
    const { model, files } = await modelVariant(base, dir, { 'model.safetensors': null, 'model.safetensors.index.json': BLANK });
    await copyFile(join(base.hfDir, 'model.safetensors'), join(model, 'model-00001-of-00001.safetensors'));
    push(
      id,
      'model.safetensors.index.json holds only whitespace',
      [...files, join(model, 'model-00001-of-00001.safetensors')],
      ['inspect', '--model', model],
      [join(model, 'model.safetensors.index.json'), `${join(model, 'model.safetensors.index.json')}: holds only whitespace, expected a JSON index`],
    );
  }
  await modelFile('empty-weights', { 'model.safetensors': '' }, 'model.safetensors', 'file has 0 bytes');
  await modelFile('empty-tokenizer-json', { 'tokenizer.json': '' }, 'tokenizer.json', 'is empty (0 bytes), expected a tokenizers JSON file');
  await modelFile('blank-tokenizer-json', { 'tokenizer.json': BLANK }, 'tokenizer.json', 'holds only whitespace, expected a tokenizers JSON file');
  await modelFile('empty-tokenizer-bin-in-model', { 'tokenizer.bin': '' }, 'tokenizer.bin', 'is empty (0 bytes), expected a llama2.c tokenizer');
  {
    const id = 'empty-tokenizer-model';
    const dir = await caseDir(base, id);
    const tok = await put(dir, 'tokenizer.model', '');
    push(id, '--tokenizer tokenizer.model is empty', [tok], pruneArgv(base, dir, base.llama2c, { tokenizer: tok }), [
      tok,
      `${tok}: is empty (0 bytes), expected a SentencePiece model`,
    ]);
  }
  {
    const id = 'empty-llama2c-bin';
    const dir = await caseDir(base, id);
    const bin = await put(dir, 'model.bin', '');
    push(id, 'a llama2.c .bin of 0 bytes', [bin], ['inspect', '--model', bin], [bin, `${bin}: llama2.c header needs 28 bytes, the file has 0`]);
  }
  {
    const id = 'empty-calib-artifact';
    const dir = await caseDir(base, id);
    const artifact = await put(dir, 'calib.safetensors', '');
    push(id, 'a calib.safetensors of 0 bytes', [artifact], pruneArgv(base, dir, base.hfDir, { calib: artifact }), [artifact, `${artifact}: file has 0 bytes`]);
  }

  // --- zero-shot task files: each task's file empty; the first one also as blank lines, RTE also header-only.
  const taskCase = async (id: string, task: string, content: string, problem: string) => {
    const dir = await caseDir(base, id);
    const file = join(dir, 'tasks', zeroShotTasks[task]!.file);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, content);
    push(
      id,
      `eval zeroshot --tasks ${task} whose task file ${content === '' ? 'is empty' : 'holds no items'}`,
      [file],
      ['eval', 'zeroshot', '--model', base.hfDir, '--tasks', task, '--tasks-dir', join(dir, 'tasks')],
      [file, `${file}: holds no items (${problem})`],
    );
  };
  for (const task of Object.keys(zeroShotTasks)) await taskCase(`empty-task-${task.replace(/_/g, '-')}`, task, '', 'the file is empty');
  await taskCase('blank-task-piqa', 'piqa', '\n\n   \n\t\n', 'only blank lines');
  await taskCase('blank-task-rte', 'rte', '\r\n\r\n', 'only blank lines');
  await taskCase('header-only-task-rte', 'rte', 'index\tsentence1\tsentence2\tlabel\n', 'only a header line');
  return cases;
}
