/**
 * Broken checkpoints above the single-file level: config.json missing or contradicting itself or the tensors,
 * sharded indexes naming shards that are missing or outside the directory, formats that are refused (PyTorch
 * pickles are never unpickled), and llama2.c files with impossible headers.
 */
import { readFile, symlink, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { caseDir, configWith, modelVariant, pruneArgv, put, type CorpusBase } from './corpus-base.js';
import type { HostileCase } from './hostile-case.js';
import { headerText, joinSafetensors, retile } from './safetensors-parts.js';

const INDEX = 'model.safetensors.index.json';
const SHARD = 'model-00001-of-00001.safetensors';

export async function checkpointCases(base: CorpusBase): Promise<HostileCase[]> {
  const cases: HostileCase[] = [];

  /** A model folder with `changes` applied; the message must name `blame(model)` and contain `problem`. */
  const variant = async (
    id: string,
    description: string,
    changes: Record<string, string | Uint8Array | null>,
    blame: (model: string) => string,
    problem: string[],
    prepare?: (model: string, dir: string) => Promise<void>,
  ) => {
    const dir = await caseDir(base, id);
    const { model, files } = await modelVariant(base, dir, changes);
    await prepare?.(model, dir);
    cases.push({ id, description, files, argv: pruneArgv(base, dir, model), expect: { exitCode: 2, messageIncludes: [blame(model), ...problem] } });
  };
  const configFile = (model: string) => join(model, 'config.json');
  const weights = (model: string) => join(model, 'model.safetensors');
  const indexFile = (model: string) => join(model, INDEX);

  // --- config.json
  await variant('config-missing', 'no config.json', { 'config.json': null }, configFile, ['config.json is missing']);
  await variant('config-not-json', 'config.json is not JSON', { 'config.json': '{"hidden_size": 64,' }, configFile, ['not valid JSON']);
  await variant('config-no-hidden-size', 'hidden_size missing', { 'config.json': configWith(base, { hidden_size: undefined }) }, configFile, [
    'hidden_size: missing',
  ]);
  await variant(
    'config-heads-not-dividing-hidden',
    'hidden_size 64 with 7 attention heads and no head_dim',
    { 'config.json': configWith(base, { num_attention_heads: 7, num_key_value_heads: 7, head_dim: undefined }) },
    configFile,
    ['hidden_size 64 is not divisible by num_attention_heads 7'],
  );
  await variant(
    'config-kv-heads-not-dividing',
    'num_key_value_heads 3 with 8 attention heads',
    { 'config.json': configWith(base, { num_key_value_heads: 3 }) },
    configFile,
    ['num_key_value_heads 3 must divide num_attention_heads 8'],
  );
  await variant(
    'config-unsupported-architecture',
    'a GPT-2 config',
    { 'config.json': configWith(base, { architectures: ['GPT2LMHeadModel'], model_type: 'gpt2' }) },
    configFile,
    ['architecture "GPT2LMHeadModel" is not supported'],
  );
  await variant(
    'config-contradicts-tensors',
    'intermediate_size 128 while the tensors are 172 wide',
    { 'config.json': configWith(base, { intermediate_size: 128 }) },
    weights,
    ['model.layers.0.mlp.gate_proj.weight has shape [172, 64], config.json implies [128, 64]'],
  );
  await variant(
    'config-billion-layers',
    'num_hidden_layers 10^9 for a 5-layer checkpoint (the expected-tensor table must not be built up front)',
    { 'config.json': configWith(base, { num_hidden_layers: 1_000_000_000 }) },
    weights,
    ['model.layers.5.input_layernorm.weight', 'is missing'],
  );
  await variant(
    'config-huge-vocab',
    'vocab_size 2^40 (the embedding would be 2^46 floats)',
    { 'config.json': configWith(base, { vocab_size: 2 ** 40 }) },
    weights,
    ['model.embed_tokens.weight has shape [512, 64]', `config.json implies [${2 ** 40}, 64]`],
  );

  await variant(
    'config-sparse-1gib',
    'a 1 GiB (sparse) config.json: refused by its size, never read',
    { 'config.json': '' },
    configFile,
    ['is 1073741824 bytes, over the', 'cap for a config.json'],
    (model) => truncate(join(model, 'config.json'), 2 ** 30),
  );

  // --- tensors the config needs, with the wrong dtype or missing
  const { parts } = base;
  const downName = 'model.layers.3.mlp.down_proj.weight';
  const asI32 = parts.entries.map((e) => (e.name === downName ? { ...e, dtype: 'I32' } : e));
  await variant(
    'weight-integer-dtype',
    'a projection stored as I32',
    { 'model.safetensors': joinSafetensors(headerText(asI32, parts.metadata), parts.data) },
    weights,
    [downName, 'is I32; weights must be F32'],
  );

  // --- sharded checkpoints: the index is a file the user downloaded; its shard names are confined to the folder.
  const weightMap = (shard: (tensor: string, i: number) => string, extra: Record<string, string> = {}) =>
    JSON.stringify(
      {
        metadata: { total_size: parts.data.byteLength },
        weight_map: { ...Object.fromEntries(parts.entries.map((e, i) => [e.name, shard(e.name, i)])), ...extra },
      },
      null,
      1,
    );
  const sharded = (index: string, extra: Record<string, string | Uint8Array | null> = {}) => ({ 'model.safetensors': null, [INDEX]: index, ...extra });
  const weightsBytes = new Uint8Array(await readFile(join(base.hfDir, 'model.safetensors')));

  await variant('index-missing-shard', 'the index names a shard that is not there', sharded(weightMap(() => SHARD)), (m) => join(m, SHARD), [
    'shard listed in model.safetensors.index.json',
    'does not exist',
  ]);
  await variant(
    'index-parent-path',
    'a shard named ../stolen.safetensors',
    sharded(
      weightMap((_, i) => (i === 3 ? '../stolen.safetensors' : SHARD)),
      { [SHARD]: weightsBytes },
    ),
    indexFile,
    ['"../stolen.safetensors" contains ".."'],
  );
  await variant(
    'index-absolute-path',
    'a shard named /etc/passwd',
    sharded(
      weightMap((_, i) => (i === 0 ? '/etc/passwd' : SHARD)),
      { [SHARD]: weightsBytes },
    ),
    indexFile,
    ['"/etc/passwd" is an absolute path'],
  );
  await variant(
    'index-symlink-out',
    'the shard is a symlink to a file outside the checkpoint folder',
    sharded(weightMap(() => SHARD)),
    indexFile,
    [`shard "${SHARD}"`, 'outside the checkpoint directory'],
    async (model, dir) => {
      const outside = await put(dir, 'outside.safetensors', weightsBytes);
      await symlink(outside, join(model, SHARD));
    },
  );
  await variant(
    'index-tensor-not-in-shard',
    'the index promises a tensor its shard does not hold',
    sharded(
      weightMap(() => SHARD, { 'model.extra.weight': SHARD }),
      { [SHARD]: weightsBytes },
    ),
    (m) => join(m, SHARD),
    ['"model.extra.weight" is listed in model.safetensors.index.json but not in this shard'],
  );
  const withoutDown = retile(parts, (e) => e.name !== downName);
  await variant(
    'tensor-missing',
    'a checkpoint without one of its projections (index and shard agree, config disagrees)',
    sharded(JSON.stringify({ weight_map: Object.fromEntries(withoutDown.entries.map((e) => [e.name, SHARD])) }), {
      [SHARD]: joinSafetensors(headerText(withoutDown.entries, parts.metadata), withoutDown.data),
    }),
    indexFile,
    [`tensor ${downName}`, 'is missing'],
  );

  // --- refused formats
  const zipMagic = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0, 0, 0, 0, 0]);
  await variant(
    'pickle-only-dir',
    'a folder with pytorch_model.bin and no safetensors',
    { 'model.safetensors': null, 'pytorch_model.bin': zipMagic },
    (m) => m,
    ['pytorch_model.bin', 'pickle checkpoints are never unpickled'],
  );
  const fileCase = async (id: string, description: string, name: string, bytes: Uint8Array, problem: string[]) => {
    const dir = await caseDir(base, id);
    const path = await put(dir, name, bytes);
    cases.push({
      id,
      description,
      files: [path],
      argv: pruneArgv(base, dir, path, { tokenizer: base.llama2cTokenizer }),
      expect: { exitCode: 2, messageIncludes: [path, ...problem] },
    });
  };
  // torch.save before 1.6: a protocol-2 pickle starting with torch's magic number. Never unpickled.
  const legacyPickle = new Uint8Array([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
  await fileCase('pickle-bin-legacy', 'a pre-1.6 torch.save pickle named model.bin', 'model.bin', legacyPickle, ['PyTorch pickle', 'never unpickled']);
  await fileCase('pickle-bin-zip', 'a torch.save zip archive named pytorch_model.bin', 'pytorch_model.bin', zipMagic, ['PyTorch pickle', 'never unpickled']);
  await fileCase('bare-safetensors', 'a .safetensors file instead of its folder', 'model.safetensors', weightsBytes, ['bare .safetensors file has no config']);

  // --- llama2.c files: the 7-int header decides every size, so it is checked before anything is read
  const llama = new Uint8Array(await readFile(base.llama2c));
  const withHeaderField = (index: number, value: number) => {
    const copy = llama.slice();
    new DataView(copy.buffer).setInt32(index * 4, value, true);
    return copy;
  };
  await fileCase('llama2c-negative-dim', 'dim = -64', 'negdim.bin', withHeaderField(0, -64), ['header field dim = -64 is impossible']);
  await fileCase('llama2c-huge-layers', 'n_layers = 2^30', 'layers.bin', withHeaderField(2, 1 << 30), [`n_layers = ${1 << 30} is impossible`]);
  await fileCase('llama2c-truncated', 'the last kilobyte is missing', 'cut.bin', llama.slice(0, llama.byteLength - 1024), [
    'implies',
    `the file has ${llama.byteLength - 1024}`,
  ]);
  return cases;
}
