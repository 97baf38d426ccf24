#!/usr/bin/env node
// Generates (or finds cached) synthetic Hugging Face checkpoints with public models' shapes and seeded random
// weights, under .cache/synthetic/ (git-ignored). Benchmarks import `ensureSyntheticCheckpoint`; from the shell:
//   node scripts/make-synthetic-checkpoint.mjs <stories15M|smolLM135M|tinyLlama1B> [--dtype F32|F16|BF16]
//        [--shard-mb N] [--seed N] [--out DIR] [--force]
// Needs the built packages (pnpm build).
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SYNTHETIC_MODEL_SHAPES, syntheticModelConfig, writeSyntheticCheckpoint } from '../packages/model-loader/dist/index.js';

export const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const cacheDir = join(repoRoot, '.cache', 'synthetic');

async function exists(path) {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The cache folder name encodes everything that changes the files, so a changed request never reuses a stale one. */
export function syntheticCheckpointDir(name, { dtype = 'F32', shardMB, seed = 0 } = {}) {
  return join(cacheDir, `${name}-${dtype}${shardMB ? `-shard${shardMB}MB` : ''}-seed${seed}`);
}

/**
 * Returns the directory of the synthetic checkpoint `name`, generating it first when missing.
 * `log` receives one line per ~10% of progress.
 */
export async function ensureSyntheticCheckpoint(name, { dtype = 'F32', shardMB, seed = 0, out, force = false, log = () => {} } = {}) {
  const shape = SYNTHETIC_MODEL_SHAPES[name];
  if (!shape) throw new Error(`model: expected one of ${Object.keys(SYNTHETIC_MODEL_SHAPES).join(', ')}, got ${JSON.stringify(name)}`);
  const dir = out ?? syntheticCheckpointDir(name, { dtype, shardMB, seed });
  if (!force && (await exists(join(dir, 'config.json')))) return dir;
  const config = syntheticModelConfig(shape, dtype);
  const started = performance.now();
  let nextReport = 0.1;
  const result = await writeSyntheticCheckpoint({
    dir,
    config,
    dtype,
    seed,
    shardBytes: shardMB ? shardMB * 2 ** 20 : undefined,
    overwrite: true,
    onTensor: ({ bytesWritten, totalBytes }) => {
      if (bytesWritten / totalBytes >= nextReport) {
        log(`  ${name}: ${Math.round((100 * bytesWritten) / totalBytes)}% of ${(totalBytes / 1e9).toFixed(2)} GB`);
        nextReport = Math.floor((10 * bytesWritten) / totalBytes) / 10 + 0.1;
      }
    },
  });
  log(
    `  ${name}: ${result.parameters.toLocaleString('en-US')} parameters, ${result.shards.length} shard(s), ${((performance.now() - started) / 1000).toFixed(1)} s -> ${dir}`,
  );
  return dir;
}

function parseArgs(argv) {
  const args = { name: undefined, dtype: 'F32', shardMB: undefined, seed: 0, out: undefined, force: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a}: expected a value`);
      return argv[++i];
    };
    if (a === '--dtype') args.dtype = value();
    else if (a === '--shard-mb') args.shardMB = Number(value());
    else if (a === '--seed') args.seed = Number(value());
    else if (a === '--out') args.out = resolve(value());
    else if (a === '--force') args.force = true;
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else args.name = a;
  }
  if (!args.name)
    throw new Error(
      `usage: make-synthetic-checkpoint.mjs <${Object.keys(SYNTHETIC_MODEL_SHAPES).join('|')}> [--dtype F32|F16|BF16] [--shard-mb N] [--seed N] [--out DIR] [--force]`,
    );
  if (args.shardMB !== undefined && !(Number.isInteger(args.shardMB) && args.shardMB > 0))
    throw new Error(`--shard-mb: expected a positive integer, got ${args.shardMB}`);
  if (!Number.isSafeInteger(args.seed)) throw new Error(`--seed: expected an integer, got ${args.seed}`);
  return args;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { name, ...options } = parseArgs(process.argv.slice(2));
    const dir = await ensureSyntheticCheckpoint(name, { ...options, log: (line) => console.log(line) });
    console.log(dir);
  } catch (err) {
    console.error(`make-synthetic-checkpoint: ${err.message}`);
    process.exit(1);
  }
}
