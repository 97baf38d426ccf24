#!/usr/bin/env node
// `pnpm bench:stream`: prunes a model larger than the wasm heap (4 GiB) and than the memory budget, layer by layer,
// with a bounded peak RSS, and checks the written checkpoint.
//   node scripts/stream-prune.mjs [--nsamples 4] [--seqlen 128] [--threads N (default 1)] [--keep]
// 1. Generates (once, cached in .cache/synthetic/) a TinyLlama-1.1B-shaped checkpoint: BF16, 1 GiB shards
//    (2.2 GB on disk, 4.4 GB in float32).
// 2. Runs runPrune (dass, 2:4, mlp targets) in a child process while sampling its RSS from /proc every 100 ms.
// 3. Asserts peak RSS ≤ bound, where
//      bound = runtime baseline (256 MiB; the measured RSS of Node + packages + tfjs-wasm is reported)
//            + the embedding table in float32 (embedding the calibration ids reads it whole, once)
//            + 4 × one decoder layer in float32: the host copy pruning reads, the transposed copy in the wasm heap,
//              XNNPACK's packed copy of it (made on first matmul), and pruning scratch plus garbage the GC has not
//              collected yet (scores, masks, pruned copies: about one layer's worth; its timing varies run to run)
//              With --threads N ≥ 2 the passes run in N worker threads, each with its own wasm heap holding the
//              layer's transposed and packed copies: (2 + 2N) × one layer, + 64 MiB of runtime per worker thread
//            + 4 × the calibration hidden states.
//    Nothing in it grows with the number of layers: the model (4.4 GB in float32) never needs to fit.
// 4. Re-opens the output and checks every target is 2:4 along its method's N:M axis (inspectMatrixSparsity, the logic
//    of `dass inspect`), exactly 50% sparse, and the shard layout and dtype match the input.
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSyntheticCheckpoint, repoRoot } from './make-synthetic-checkpoint.mjs';
import { fmt } from './lib/markdown-table.mjs';
import { ensureRandomCalib } from './lib/random-calib.mjs';

const MiB = 2 ** 20;
const BASELINE_BYTES = 256 * MiB;
const here = fileURLToPath(new URL('.', import.meta.url));
const log = (line) => process.stderr.write(`${line}\n`);

function parseArgs(argv) {
  // Default 1 thread: with 2 worker threads the peak (1,644 MiB measured) meets only the per-thread bound below
  // (1,658 MiB), not the one-thread bound (1,194 MiB); see the README. `--threads N` checks against the per-thread bound.
  const args = { nsamples: 4, seqlen: 128, threads: 1, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--nsamples' || a === '--seqlen' || a === '--threads') {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${a}: expected a positive integer, got ${argv[i]}`);
      args[a.slice(2)] = v;
    } else if (a === '--keep') args.keep = true;
    else throw new Error(`unknown option ${a} (expected --nsamples, --seqlen, --threads, --keep)`);
  }
  return args;
}

/** Runtime allowance of one worker thread (a V8 isolate with the packages and its own tfjs-wasm instance). */
const WORKER_BASELINE_BYTES = 64 * MiB;

/** Memory bound of a layer-sequential prune of `config` with `tokens` calibration tokens on `threads` (see the header). */
export function streamingBound(config, tokens, threads = 1) {
  const { hiddenSize: d, intermediateSize: inter, numHeads, numKvHeads, headDim, vocabSize } = config;
  const layerBytes = 4 * d * (2 * numHeads * headDim + 2 * numKvHeads * headDim + 3 * inter);
  const embeddingBytes = 4 * vocabSize * d;
  const hiddenBytes = 4 * tokens * d;
  const layerCopies = threads > 1 ? 2 + 2 * threads : 4;
  const parts = {
    baseline: BASELINE_BYTES + (threads > 1 ? threads * WORKER_BASELINE_BYTES : 0),
    embedding: embeddingBytes,
    layers: layerCopies * layerBytes,
    hidden: 4 * hiddenBytes,
  };
  return { bytes: Object.values(parts).reduce((a, b) => a + b, 0), parts, layerBytes };
}

/** RSS of a live process from /proc (Linux); undefined elsewhere or once it has exited. */
async function procRss(pid) {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Runs the prune in a child process; samples its RSS every 100 ms. */
async function pruneInChild(options) {
  const child = spawn(process.execPath, [join(here, 'lib', 'prune-child.mjs'), JSON.stringify({ options, keepOutput: true, progress: true })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  let sampledPeak = 0;
  const samples = [];
  const started = performance.now();
  const timer = setInterval(async () => {
    const rss = await procRss(child.pid);
    if (rss === undefined) return;
    sampledPeak = Math.max(sampledPeak, rss);
    samples.push([Math.round(performance.now() - started), rss]);
  }, 100);
  const code = await new Promise((res) => child.on('exit', res));
  clearInterval(timer);
  if (code !== 0) throw new Error(`the pruning process exited with code ${code}`);
  const result = JSON.parse(stdout.trim().split('\n').pop());
  return { result, sampledPeak, samples };
}

/** The baseline the bound assumes: RSS of a Node process with the packages loaded and the wasm backend initialised. */
async function measureBaseline() {
  const code = `const b = await import(${JSON.stringify(resolve(repoRoot, 'packages/tensor-backend/dist/index.js'))});
    await import(${JSON.stringify(resolve(repoRoot, 'packages/pipeline/dist/index.js'))});
    await b.selectBackend('wasm'); console.log(process.memoryUsage().rss);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  await new Promise((res) => child.on('exit', res));
  return Number(out.trim());
}

async function inspectOutput(outDir, inputDir, plans) {
  const { openModel, openCheckpointDir, DECODER_LINEARS } = await import('../packages/model-loader/dist/index.js');
  const { inspectMatrixSparsity, parseLinearTensorName, summarizeSparsity } = await import('../packages/evaluation/dist/index.js');
  const source = await openModel(outDir);
  const [inCheckpoint, outCheckpoint] = [await openCheckpointDir(inputDir), await openCheckpointDir(outDir)];
  const problems = [];
  try {
    if (JSON.stringify(inCheckpoint.shards()) !== JSON.stringify(outCheckpoint.shards()))
      problems.push(`shards differ: ${outCheckpoint.shards()} vs ${inCheckpoint.shards()}`);
    const names = source
      .tensorNames()
      .map((name) => ({ name, parsed: parseLinearTensorName(name) }))
      .filter((t) => t.parsed)
      .sort((a, b) => a.parsed.layer - b.parsed.layer || DECODER_LINEARS.indexOf(a.parsed.linear) - DECODER_LINEARS.indexOf(b.parsed.linear));
    const rows = [];
    for (const { name } of names) {
      if (source.dtype(name) !== inCheckpoint.info(name).dtype) problems.push(`${name}: dtype ${source.dtype(name)}, input ${inCheckpoint.info(name).dtype}`);
      const t = await source.readF32(name);
      const row = inspectMatrixSparsity({ name, shape: t.shape, data: t.data }, { targets: 'mlp', nm: { n: 2, m: 4 } });
      rows.push(row);
      if (!row.target) {
        // Non-targets are copied byte for byte.
        const [a, b] = [await inCheckpoint.readRaw(name), await outCheckpoint.readRaw(name)];
        if (Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) !== 0)
          problems.push(`${name}: not a target but changed`);
        continue;
      }
      const axis = plans[row.linear]?.nmAxis;
      const valid = axis === 'out' ? row.nmValidOut : row.nmValidIn;
      if (!valid) problems.push(`${name}: not 2:4 along ${axis}`);
      if (row.zeros !== row.total / 2) problems.push(`${name}: ${row.zeros} zeros of ${row.total}, expected exactly half`);
    }
    const summary = summarizeSparsity(rows);
    return { matrices: rows.length, targets: rows.filter((r) => r.target).length, overTargets: summary.overTargets, problems };
  } finally {
    await source.close();
    await inCheckpoint.close();
    await outCheckpoint.close();
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const { syntheticModelConfig, hfTensorShapes, SYNTHETIC_MODEL_SHAPES } = await import('../packages/model-loader/dist/index.js');
  const config = syntheticModelConfig(SYNTHETIC_MODEL_SHAPES.tinyLlama1B, 'BF16');
  log('model…');
  const modelDir = await ensureSyntheticCheckpoint('tinyLlama1B', { dtype: 'BF16', shardMB: 1024, log });
  const calib = await ensureRandomCalib(join(repoRoot, '.cache', 'stream', `calib-${args.nsamples}x${args.seqlen}.safetensors`), {
    nsamples: args.nsamples,
    seqlen: args.seqlen,
    vocabSize: config.vocabSize,
  });
  const out = join(repoRoot, '.cache', 'stream', 'tinyLlama1B-dass-2of4');
  await rm(out, { recursive: true, force: true });
  const tokens = args.nsamples * args.seqlen;
  const bound = streamingBound(config, tokens, args.threads);
  const singleThreadBound = streamingBound(config, tokens, 1);
  const baseline = await measureBaseline();
  let f32Bytes = 0;
  for (const shape of hfTensorShapes(config).values()) f32Bytes += 4 * shape.reduce((a, b) => a * b, 1);
  log(
    `model: ${fmt(f32Bytes / 1e9, 2)} GB in float32; bound ${fmt(bound.bytes / MiB, 0)} MiB = ${Object.entries(bound.parts)
      .map(([k, v]) => `${k} ${fmt(v / MiB, 0)}`)
      .join(' + ')} (measured baseline ${fmt(baseline / MiB, 0)} MiB)`,
  );
  log(`pruning: dass 2:4, ${args.nsamples} × ${args.seqlen} calibration tokens, ${args.threads} thread(s)…`);
  const { result, sampledPeak, samples } = await pruneInChild({
    model: modelDir,
    tokenizer: (await import('../packages/model-loader/dist/test/index.js')).fixtures.llama2Tokenizer.model,
    method: 'dass',
    sparsity: '2:4',
    calib,
    out,
    backend: 'wasm',
    threads: args.threads,
  });
  const peak = Math.max(sampledPeak, result.peakRssBytes);
  log('checking the output…');
  const inspectStarted = performance.now();
  const inspection = await inspectOutput(out, modelDir, result.plans);
  const inspectSeconds = (performance.now() - inspectStarted) / 1000;
  if (!args.keep) await rm(out, { recursive: true, force: true });

  const report = {
    model: { shape: 'TinyLlama-1.1B', dir: modelDir, dtype: 'BF16', float32Bytes: f32Bytes, layerFloat32Bytes: bound.layerBytes },
    calibration: { nsamples: args.nsamples, seqlen: args.seqlen },
    threads: args.threads,
    bound: { bytes: bound.bytes, parts: bound.parts, measuredBaselineBytes: baseline, singleThreadBytes: singleThreadBound.bytes },
    peakRssBytes: peak,
    sampledPeakRssBytes: sampledPeak,
    kernelPeakRssBytes: result.peakRssBytes,
    rssTimeline: samples.filter((_, i) => i % 10 === 0),
    prune: result,
    inspection: { ...inspection, seconds: inspectSeconds },
    totalSeconds: (performance.now() - started) / 1000,
  };
  await import('node:fs/promises').then((fs) => fs.writeFile(join(repoRoot, '.cache', 'stream', 'stream-prune.json'), JSON.stringify(report, null, 2) + '\n'));
  const ok = peak <= bound.bytes && baseline <= BASELINE_BYTES && inspection.problems.length === 0 && inspection.targets === 3 * config.numLayers;
  console.log(
    [
      `model: TinyLlama-1.1B shape, BF16 on disk (${modelDir}), ${fmt(f32Bytes / 1e9, 2)} GB in float32, one layer ${fmt(bound.layerBytes / MiB, 0)} MiB in float32`,
      `prune: dass 2:4 over ${result.layers} layers, ${tokens} calibration tokens: ${fmt(result.wallSeconds)} s (forward ${fmt(result.denseSeconds + result.prunedSeconds)} s, prune ${fmt(result.pruneSeconds)} s, write ${fmt(result.writeSeconds)} s)`,
      `peak RSS: ${fmt(peak / MiB, 0)} MiB (sampled every 100 ms ${fmt(sampledPeak / MiB, 0)}, VmHWM ${fmt(result.peakRssBytes / MiB, 0)}); bound for ${args.threads} thread(s) ${fmt(bound.bytes / MiB, 0)} MiB: ${peak <= bound.bytes ? 'met' : 'EXCEEDED'}` +
        (args.threads > 1
          ? ` (the one-thread bound, ${fmt(singleThreadBound.bytes / MiB, 0)} MiB, ${peak <= singleThreadBound.bytes ? 'met too' : 'exceeded'})`
          : ''),
      `output: ${inspection.targets} targets 2:4 along their axis (gate/up out, down in), ${fmt(100 * inspection.overTargets.ratio, 2)}% of target weights zero, non-targets byte-identical: ${inspection.problems.length === 0 ? 'ok' : inspection.problems.slice(0, 5).join('; ')}`,
      `total ${fmt(report.totalSeconds, 0)} s`,
    ].join('\n'),
  );
  if (!ok) process.exit(1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(`stream-prune: ${err?.stack ?? err}`);
    process.exit(1);
  });
}
