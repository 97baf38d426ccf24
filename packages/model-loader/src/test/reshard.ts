import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { INDEX_FILE_NAME, SINGLE_FILE_NAME } from '../safetensors/checkpoint-files.js';
import { openSafetensors } from '../safetensors/safetensors-file.js';
import { writeSafetensors } from '../safetensors/safetensors-writer.js';

/**
 * Turns the `model.safetensors` of HF folder `dir` into `count` shards (`model-0000i-of-0000n.safetensors`, tensors in
 * header order, split as evenly as counts go, bytes as stored, each shard's `__metadata__` `{format: 'pt'}`) and
 * `model.safetensors.index.json` (`metadata.total_size`, `weight_map`), as transformers' save_pretrained lays a
 * sharded checkpoint out, with the package's own writer. Returns the shard names.
 */
export async function reshardCheckpoint(dir: string, count: number): Promise<string[]> {
  const file = await openSafetensors(join(dir, SINGLE_FILE_NAME));
  const all = [];
  for (const name of file.names()) all.push({ name, dtype: file.info(name).dtype, shape: file.info(name).shape, data: await file.readRaw(name) });
  await file.close();
  await rm(join(dir, SINGLE_FILE_NAME));
  const per = Math.ceil(all.length / count);
  const pad = (i: number) => String(i).padStart(5, '0');
  const weightMap: Record<string, string> = {};
  const names: string[] = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    const shard = `model-${pad(i + 1)}-of-${pad(count)}.safetensors`;
    const part = all.slice(i * per, (i + 1) * per);
    await writeSafetensors(join(dir, shard), part, { format: 'pt' });
    for (const t of part) {
      weightMap[t.name] = shard;
      total += t.data.byteLength;
    }
    names.push(shard);
  }
  await writeFile(join(dir, INDEX_FILE_NAME), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2) + '\n');
  return names;
}
