import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixtures } from '../test/index.js';
import { ModelLoadError } from '../errors.js';
import { loadTokenizer } from './load-tokenizer.js';

const root = mkdtempSync(join(tmpdir(), 'load-tokenizer-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const dir = (name: string, files: Record<string, string | Uint8Array>): string => {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  for (const [f, content] of Object.entries(files)) writeFileSync(join(d, f), content);
  return d;
};
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

// A minimal BPE tokenizer.json: "ab" → ab (merge a b); ▁ is not used (no normaliser).
const tinyJson = JSON.stringify({
  added_tokens: [{ id: 0, content: '<s>', special: true, normalized: false, lstrip: false, rstrip: false, single_word: false }],
  model: { type: 'BPE', vocab: { '<s>': 0, a: 1, b: 2, ab: 3 }, merges: ['a b'], unk_token: null },
});

async function failure(p: Promise<unknown>): Promise<ModelLoadError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ModelLoadError);
  return e as ModelLoadError;
}

describe('loadTokenizer', () => {
  it('loads a llama2.c tokenizer.bin with the model vocab size; sha256 is that of the file bytes', async () => {
    const tok = await loadTokenizer(fixtures.stories260K.tokenizer, { vocabSize: 512 });
    expect(tok.kind).toBe('llama2c');
    expect(tok.vocabSize).toBe(512);
    expect(tok.sha256).toBe(sha256(fixtures.stories260K.tokenizer));
    const fewer = await loadTokenizer(fixtures.stories260K.tokenizer, { vocabSize: 300 });
    expect(fewer.vocabSize).toBe(300);
  });

  it('loads a SentencePiece tokenizer.model', async () => {
    const tok = await loadTokenizer(fixtures.llama2Tokenizer.model);
    expect(tok.kind).toBe('sentencepiece');
    expect(tok.encode('Hello world')).toEqual([1, 15043, 3186]);
    expect(tok.sha256).toBe(sha256(fixtures.llama2Tokenizer.model));
  });

  it('in a model directory prefers tokenizer.json, then tokenizer.model, then tokenizer.bin', async () => {
    const all = dir('all', { 'tokenizer.json': tinyJson, 'tokenizer_config.json': JSON.stringify({ bos_token: '<s>' }) });
    copyFileSync(fixtures.llama2Tokenizer.model, join(all, 'tokenizer.model'));
    copyFileSync(fixtures.stories260K.tokenizer, join(all, 'tokenizer.bin'));
    const json = await loadTokenizer(all);
    expect(json.kind).toBe('hf-json');
    expect(json.encode('abab')).toEqual([0, 3, 3]);
    expect(json.sha256).toBe(sha256(join(all, 'tokenizer.json')));

    const spm = dir('spm', {});
    copyFileSync(fixtures.llama2Tokenizer.model, join(spm, 'tokenizer.model'));
    copyFileSync(fixtures.stories260K.tokenizer, join(spm, 'tokenizer.bin'));
    expect((await loadTokenizer(spm)).kind).toBe('sentencepiece');

    const bin = dir('bin', {});
    copyFileSync(fixtures.stories260K.tokenizer, join(bin, 'tokenizer.bin'));
    expect((await loadTokenizer(bin, { vocabSize: 512 })).kind).toBe('llama2c');
  });

  it('reports missing paths, empty directories and unknown types', async () => {
    const missing = await failure(loadTokenizer(join(root, 'nope', 'tokenizer.model')));
    expect(missing.reason).toBe('NOT_FOUND');
    const empty = await failure(loadTokenizer(dir('empty', { 'config.json': '{}' })));
    expect(empty.reason).toBe('NOT_FOUND');
    expect(empty.message).toMatch(/no tokenizer in this directory \(looked for tokenizer\.json, tokenizer\.model, tokenizer\.bin\)/);
    const txt = await failure(loadTokenizer(join(dir('txt', { 'vocab.txt': 'a\nb\n' }), 'vocab.txt')));
    expect(txt.reason).toBe('UNSUPPORTED');
    const cfg = await failure(loadTokenizer(join(dir('cfg', { 'tokenizer_config.json': '{}' }), 'tokenizer_config.json')));
    expect(cfg.reason).toBe('UNSUPPORTED');
  });

  it('reports garbled files with the file named', async () => {
    const d = dir('garbled', {
      'tokenizer.json': '{"model": {',
      'bad.model': 'this is not protobuf',
      'bad.bin': Uint8Array.of(1, 0),
    });
    const json = await failure(loadTokenizer(d));
    expect([json.reason, json.file]).toEqual(['BAD_JSON', join(d, 'tokenizer.json')]);
    const badConfig = dir('bad-config', { 'tokenizer.json': tinyJson, 'tokenizer_config.json': '{bos' });
    const config = await failure(loadTokenizer(badConfig));
    expect([config.reason, config.file]).toEqual(['BAD_JSON', join(badConfig, 'tokenizer_config.json')]);
    expect((await failure(loadTokenizer(join(d, 'bad.model')))).reason).toBe('BAD_TOKENIZER');
    expect((await failure(loadTokenizer(join(d, 'bad.bin')))).reason).toBe('BAD_TOKENIZER');
    // A model checkpoint is not a tokenizer, even though both are .bin.
    const checkpoint = await failure(loadTokenizer(fixtures.stories260K.bin));
    expect([checkpoint.reason, checkpoint.file]).toEqual(['BAD_TOKENIZER', fixtures.stories260K.bin]);
    // More entries asked for than the file has.
    expect((await failure(loadTokenizer(fixtures.stories260K.tokenizer, { vocabSize: 513 }))).message).toMatch(/entry 512/);
  });

  it('refuses a tokenizer file over 200 MB by its size, before reading it (a sparse 1 GiB file costs nothing)', async () => {
    const d = dir('huge', {});
    for (const name of ['tokenizer.json', 'tokenizer.model', 'tokenizer.bin']) {
      const path = join(d, name);
      writeFileSync(path, '');
      truncateSync(path, 2 ** 30);
      const err = await failure(loadTokenizer(path));
      expect([err.reason, err.file]).toEqual(['BAD_TOKENIZER', path]);
      expect(err.message).toMatch(/is 1073741824 bytes, over the 200000000-byte cap for a tokenizer file$/);
    }
  });

  it('validates its arguments', async () => {
    await expect(loadTokenizer('')).rejects.toThrow(/path: expected a tokenizer file or model directory, got ""/);
    await expect(loadTokenizer(fixtures.stories260K.tokenizer, { vocabSize: -1 })).rejects.toThrow(/opts\.vocabSize: expected a positive integer, got -1/);
  });
});
