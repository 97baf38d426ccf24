/**
 * Bad inputs besides the weights' structure: tokenizers that do not belong to the model or are not tokenizers,
 * calibration/evaluation texts that are empty, binary, not UTF-8 or malformed, calibration artifacts of the wrong
 * dtype/shape/range, and weights holding NaN/Inf (the run must stop at the layer and name it).
 */
import { mkdir, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { writeCalibArtifact } from '@dass/calibration';
import { writeSafetensors } from '@dass/model-loader';
import type { DType } from '@dass/model-loader';
import { caseDir, modelVariant, pruneArgv, put, type CorpusBase } from './corpus-base.js';
import type { HostileCase } from './hostile-case.js';
import { dataRange, headerText, joinSafetensors } from './safetensors-parts.js';

const SHA = 'a'.repeat(64);
const CALIB_METADATA = { sourceSha256: SHA, tokenizerSha256: SHA, seed: '0', sampler: 'text', source: 'calib.txt' };

/** A tokenizers.json (WordLevel) whose ids all lie beyond the 512-entry vocabulary of stories260K. */
function foreignTokenizerJson(): string {
  return JSON.stringify({
    version: '1.0',
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab: { '<unk>': 900, Once: 700, upon: 701, a: 702, time: 703 }, unk_token: '<unk>' },
  });
}
/** Text made only of words the foreign tokenizer knows (its unknown-word handling is not what is tested). */
const FOREIGN_TEXT = 'Once upon a time '.repeat(200);

export async function dataCases(base: CorpusBase): Promise<HostileCase[]> {
  const cases: HostileCase[] = [];
  const push = (id: string, description: string, files: string[], argv: string[], messageIncludes: string[]) =>
    cases.push({ id, description, files, argv, expect: { exitCode: 2, messageIncludes } });

  // --- tokenizers
  {
    const id = 'tokenizer-foreign-in-model-dir';
    const dir = await caseDir(base, id);
    const { model, files } = await modelVariant(base, dir, { 'tokenizer.json': foreignTokenizerJson() });
    const text = await put(dir, 'once.txt', FOREIGN_TEXT);
    push(id, "the model folder's tokenizer.json produces ids >= vocab_size", [...files, text], pruneArgv(base, dir, model, { calib: text }), [
      model,
      "the model's vocab has 512 entries",
      'does not match the model',
    ]);
    // dass calib checks the same with its own message, naming the tokenizer's source (here the model folder).
    const calibId = 'calib-cmd-foreign-tokenizer';
    const calibDir = await caseDir(base, calibId);
    push(
      calibId,
      'dass calib --model whose tokenizer.json produces ids >= vocab_size',
      [],
      ['calib', '--model', model, '--data', text, '--nsamples', '2', '--seqlen', '32', '--out', join(calibDir, 'calib.safetensors')],
      [model, 'vocabulary of 512', 'does not belong to this model'],
    );
  }
  {
    const id = 'tokenizer-foreign-flag';
    const dir = await caseDir(base, id);
    const tokenizer = await put(dir, 'tokenizer.json', foreignTokenizerJson());
    const text = await put(dir, 'once.txt', FOREIGN_TEXT);
    push(id, '--tokenizer of another model for a llama2.c checkpoint', [tokenizer, text], pruneArgv(base, dir, base.llama2c, { tokenizer, calib: text }), [
      tokenizer,
      'does not match the model',
    ]);
  }
  {
    const id = 'tokenizer-garbage-bin';
    const dir = await caseDir(base, id);
    const { model, files } = await modelVariant(base, dir, { 'tokenizer.bin': new Uint8Array([0xff, 0xff, 0xff, 0x7f, 1, 2, 3]) });
    push(id, 'tokenizer.bin is seven random bytes', files, pruneArgv(base, dir, model), [join(model, 'tokenizer.bin'), 'max_token_length']);
  }
  {
    const id = 'tokenizer-sparse-1gib';
    const dir = await caseDir(base, id);
    const { model, files } = await modelVariant(base, dir, { 'tokenizer.json': '' });
    await truncate(join(model, 'tokenizer.json'), 2 ** 30);
    push(id, 'a 1 GiB (sparse) tokenizer.json: refused by its size, never read', files, pruneArgv(base, dir, model), [
      join(model, 'tokenizer.json'),
      'is 1073741824 bytes, over the 200000000-byte cap',
    ]);
  }
  {
    const id = 'tokenizer-missing';
    const dir = await caseDir(base, id);
    const { model, files } = await modelVariant(base, dir, { 'tokenizer.bin': null });
    push(id, 'a model folder without any tokenizer file', files, pruneArgv(base, dir, model), [model, 'no tokenizer in this directory']);
  }
  {
    const id = 'tokenizer-unknown-type';
    const dir = await caseDir(base, id);
    const tokenizer = await put(dir, 'vocab.txt', 'a\nb\nc\n');
    push(id, '--tokenizer vocab.txt', [tokenizer], pruneArgv(base, dir, base.llama2c, { tokenizer }), [tokenizer, 'unknown tokenizer type']);
  }

  // --- calibration and evaluation texts
  const textCase = async (
    id: string,
    description: string,
    name: string,
    content: string | Uint8Array,
    problem: string[],
    command: 'prune' | 'calib' | 'ppl' = 'prune',
  ) => {
    const dir = await caseDir(base, id);
    const path = await put(dir, name, content);
    const argv =
      command === 'prune'
        ? pruneArgv(base, dir, base.hfDir, { calib: path })
        : command === 'calib'
          ? ['calib', '--tokenizer', base.llama2cTokenizer, '--data', path, '--nsamples', '2', '--seqlen', '32', '--out', join(dir, 'calib.safetensors')]
          : ['eval', 'ppl', '--model', base.hfDir, '--data', path, '--seqlen', '32', '--max-windows', '1'];
    push(id, description, [path], argv, [path, ...problem]);
  };
  await textCase('calib-empty', 'an empty calibration text', 'empty.txt', '', ['is empty (0 bytes)']);
  await textCase('calib-binary', 'calibration "text" that is binary (NUL bytes)', 'weights.txt', new Uint8Array([0x4f, 0x6e, 0x63, 0x65, 0, 0, 0, 1, 2]), [
    'binary data, not text',
  ]);
  await textCase(
    'calib-not-utf8',
    'Latin-1 text (0xE9 for é)',
    'latin1.txt',
    new Uint8Array([...new TextEncoder().encode('Once upon a time in a caf'), 0xe9, 0x20, 0x74]),
    ['not valid UTF-8'],
  );
  await textCase('calib-too-short', 'a text shorter than one calibration window', 'short.txt', 'Once upon a time.', ['has 6 tokens', 'needs at least 33']);
  {
    // Messages are classified by error type, not by their shape: a path with spaces must not turn into "internal error".
    const id = 'calib-too-short-spaced-path';
    const dir = await caseDir(base, id);
    await mkdir(join(dir, 'my data'));
    const path = await put(join(dir, 'my data'), 'short text.txt', 'Once upon a time.');
    push(id, 'a too-short text whose path has spaces', [path], pruneArgv(base, dir, base.hfDir, { calib: path }), [path, 'needs at least 33']);
  }
  await textCase('calib-jsonl-bad-line', 'a JSON-lines file whose second line is cut off', 'docs.jsonl', '{"text": "Once upon a time."}\n{"text": "Lily\n', [
    'line 2',
    'invalid JSON',
  ]);
  await textCase('calib-bad-gzip', '.json.gz that starts like gzip but is not', 'c4.json.gz', new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7]), [
    'does not decompress',
  ]);
  await textCase('calib-cmd-binary-data', 'dass calib --data on a binary file', 'data.txt', new Uint8Array([0, 1, 2, 3]), ['binary data, not text'], 'calib');
  await textCase('eval-ppl-empty-data', 'dass eval ppl on an empty text', 'wiki.test.raw', '', ['is empty (0 bytes)'], 'ppl');
  {
    const id = 'calib-is-directory';
    const dir = await caseDir(base, id);
    const folder = join(dir, 'texts');
    await mkdir(folder);
    push(id, '--calib names a folder', [], pruneArgv(base, dir, base.hfDir, { calib: folder }), [folder, 'is a directory']);
  }
  {
    const id = 'calib-missing';
    const dir = await caseDir(base, id);
    const path = join(dir, 'nowhere.txt');
    push(id, '--calib names a file that does not exist', [], pruneArgv(base, dir, base.hfDir, { calib: path }), [path, 'no such file']);
  }

  // --- calibration artifacts (calib.safetensors from `dass calib`), forged
  const artifactCase = async (id: string, description: string, write: (path: string) => Promise<void>, problem: string[]) => {
    const dir = await caseDir(base, id);
    const path = join(dir, 'calib.safetensors');
    await write(path);
    push(id, description, [path], pruneArgv(base, dir, base.hfDir, { calib: path }), [path, ...problem]);
  };
  const ids = (n: number, value: (i: number) => number) => Int32Array.from({ length: n }, (_, i) => value(i));
  const forged = (dtype: DType, shape: number[], data: Float32Array | Int32Array, metadata: Record<string, string> | undefined) => (path: string) =>
    writeSafetensors(path, [{ name: 'input_ids', dtype, shape, data }], metadata);
  await artifactCase(
    'artifact-f32',
    'input_ids stored as F32',
    forged('F32', [2, 32], new Float32Array(64).fill(5), { ...CALIB_METADATA, nsamples: '2', seqlen: '32' }),
    ['is F32, expected I32'],
  );
  await artifactCase(
    'artifact-1d',
    'input_ids of shape [64]',
    forged(
      'I32',
      [64],
      ids(64, () => 5),
      { ...CALIB_METADATA, nsamples: '1', seqlen: '64' },
    ),
    ['has shape [64], expected [nsamples, seqlen]'],
  );
  const valid =
    (value: (i: number) => number, nsamples = 2, seqlen = 32) =>
    (path: string) =>
      writeCalibArtifact(
        path,
        { inputIds: ids(nsamples * seqlen, value), nsamples, seqlen },
        { sourceSha256: SHA, tokenizerSha256: SHA, seed: 0, seqlen, nsamples, sampler: 'text', source: 'calib.txt' },
      );
  await artifactCase(
    'artifact-id-beyond-vocab',
    'an id of 600 for a 512-token vocabulary',
    valid((i) => (i === 37 ? 600 : 5)),
    ['input_ids[1][5] = 600', 'expected in [0, 512)'],
  );
  // Another tool's artifact may carry no metadata (accepted, provenance "unknown"); one marked as ours must carry all of it.
  await artifactCase(
    'artifact-ours-without-metadata',
    'input_ids marked as our format but with no other __metadata__',
    forged(
      'I32',
      [2, 32],
      ids(64, () => 5),
      { format: 'dass-ts/calib-v1' },
    ),
    ['__metadata__ lacks'],
  );
  await artifactCase(
    'artifact-shape-contradicts-metadata',
    'snake_case metadata saying seq_len 64 for [2, 32] ids',
    forged(
      'I32',
      [2, 32],
      ids(64, () => 5),
      { seq_len: '64' },
    ),
    ['metadata says', '"input_ids" is [2, 32]'],
  );
  await artifactCase(
    'artifact-no-input-ids',
    'a safetensors file of other tensors',
    (path) => writeSafetensors(path, [{ name: 'weights', dtype: 'F32', shape: [2], data: new Float32Array(2) }]),
    ['not a calibration artifact'],
  );
  await artifactCase(
    'artifact-longer-than-context',
    'windows of 1024 tokens for a 512-token model',
    valid(() => 5, 1, 1024),
    ['1024 tokens', "exceed the model's context (512)"],
  );

  // --- NaN / Inf in the weights: statistics and updates are checked per layer; the run names the layer and stops.
  const { parts } = base;
  const poisoned = (name: string, value: number, every: number) => {
    const data = parts.data.slice();
    const [begin, end] = dataRange(parts, name);
    const view = new DataView(data.buffer, data.byteOffset + begin, end - begin);
    for (let at = 0; at < end - begin; at += 4 * every) view.setFloat32(at, value, true);
    return joinSafetensors(headerText(parts.entries, parts.metadata), data);
  };
  const nanCase = async (id: string, description: string, tensor: string, value: number, flags: Record<string, string>, problem: string[]) => {
    const dir = await caseDir(base, id);
    const { model, files } = await modelVariant(base, dir, { 'model.safetensors': poisoned(tensor, value, 37) });
    push(id, description, files, pruneArgv(base, dir, model, flags), problem);
  };
  await nanCase('nan-layer-1-gate', 'NaN in layer 1 gate_proj (Wanda)', 'model.layers.1.mlp.gate_proj.weight', NaN, {}, [
    'model.layers.1.gate_proj',
    'the weight has a non-finite value (NaN)',
  ]);
  await nanCase(
    'inf-layer-1-down',
    '+Inf in layer 1 down_proj (magnitude: no statistic sees it)',
    'model.layers.1.mlp.down_proj.weight',
    Infinity,
    { method: 'magnitude' },
    ['model.layers.1.down_proj', 'the weight has a non-finite value (Infinity)'],
  );
  await nanCase(
    'nan-layer-1-attention',
    'NaN in layer 1 q_proj, MLP targets only: the MLP inputs turn NaN',
    'model.layers.1.self_attn.q_proj.weight',
    NaN,
    {},
    ['model.layers.1.gate_proj', 'the input sum of squares has a non-finite value'],
  );
  await nanCase('nan-layer-1-sparsegpt', 'NaN in layer 1 up_proj under SparseGPT', 'model.layers.1.mlp.up_proj.weight', NaN, { method: 'sparsegpt' }, [
    'model.layers.1.up_proj',
    'the weight has a non-finite value (NaN)',
  ]);
  return cases;
}
