#!/usr/bin/env node
// `pnpm bench` (after `turbo run build`): throughput and memory of the engine on this machine. Prints markdown
// tables (pasted into README.md "## Benchmarks") and writes bench.json (git-ignored) with every number.
//   node scripts/bench.mjs [--only forward,prune,masks,sparsegpt,eval,sparsegpt-accuracy,layer7b] [--out bench.json]
// Sections:
//   forward    tokens/s through every decoder layer (hidden states; layers cached after a warm-up pass) for
//              stories260K (real), and synthetic stories15M- and SmolLM-135M-shaped checkpoints
//   prune      runPrune 2:4 on the synthetic stories15M-shaped HF checkpoint with 32 × 512 random calibration ids,
//              one child process per run (its own peak RSS), best of 2 runs (SparseGPT: 1); plus the
//              steady-state prune phase of one layer (min of 12)
//   masks      nm-sparsify benchMasks (4096×4096, 11008×4096)
//   sparsegpt  nm-sparsify benchSparseGPT (Hessian inverse 4096 / 11008; 4096×4096, 11008×4096, 4096×11008), with
//              1 thread and with every core (a LinalgPool) [--sparsegpt-threads 1,2]
//   sparsegpt-accuracy  (not in the default run: ~15 min, mostly the float64 reference) nm-sparsify
//              checkSparseGPTAccuracy: float32 tfjs path vs float64 path on random 7B-shaped layers (4096, 11008)
//   eval       evaluation benchEvaluation (perplexity tokens/s)
//   layer7b    (not in the default set; `pnpm bench:layer7b`) one LLaMA-2-7B-shaped decoder layer (dim 4096, MLP 11008,
//              32 heads, BF16 on disk, random weights), 8 × 256 random calibration ids, MLP targets, DaSS and
//              SparseGPT 2:4, one child process per run with 1 thread and with every core: per-phase split, GFLOP/s
//              of the passes, peak RSS. [--layer7b-methods dass,sparsegpt] [--layer7b-threads 1,2]
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { ensureSyntheticCheckpoint, repoRoot } from './make-synthetic-checkpoint.mjs';
import { fmt, markdownTable } from './lib/markdown-table.mjs';
import { peakRssBytes } from './lib/peak-rss.mjs';
import { ensureRandomCalib } from './lib/random-calib.mjs';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const SECTIONS = ['forward', 'prune', 'masks', 'sparsegpt', 'eval', 'sparsegpt-accuracy', 'layer7b'];
/** `pnpm bench` without --only: sparsegpt-accuracy and layer7b take minutes (and GiBs) of their own; run them when asked for. */
const DEFAULT_SECTIONS = SECTIONS.filter((s) => s !== 'sparsegpt-accuracy' && s !== 'layer7b');
const METHODS = ['magnitude', 'wanda', 'dass', 'sparsegpt'];

function parseArgs(argv) {
  const args = {
    only: DEFAULT_SECTIONS,
    out: join(repoRoot, 'bench.json'),
    layer7bMethods: ['dass', 'sparsegpt'],
    layer7bThreads: [...new Set([1, availableParallelism()])],
    sparsegptThreads: [...new Set([1, availableParallelism()])],
  };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--only') {
      args.only = (argv[++i] ?? '').split(',').filter(Boolean);
      const unknown = args.only.filter((s) => !SECTIONS.includes(s));
      if (unknown.length > 0 || args.only.length === 0) throw new Error(`--only: expected some of ${SECTIONS.join(',')}, got ${JSON.stringify(argv[i])}`);
    } else if (argv[i] === '--out') args.out = resolve(argv[++i] ?? '');
    else if (argv[i] === '--layer7b-methods') {
      args.layer7bMethods = (argv[++i] ?? '').split(',').filter(Boolean);
      if (args.layer7bMethods.length === 0 || args.layer7bMethods.some((m) => !METHODS.includes(m)))
        throw new Error(`--layer7b-methods: expected some of ${METHODS.join(',')}, got ${JSON.stringify(argv[i])}`);
    } else if (argv[i] === '--layer7b-threads') {
      args.layer7bThreads = (argv[++i] ?? '').split(',').filter(Boolean).map(Number);
      if (args.layer7bThreads.length === 0 || args.layer7bThreads.some((t) => !Number.isInteger(t) || t < 1))
        throw new Error(`--layer7b-threads: expected positive integers, got ${JSON.stringify(argv[i])}`);
    } else if (argv[i] === '--sparsegpt-threads') {
      args.sparsegptThreads = (argv[++i] ?? '').split(',').filter(Boolean).map(Number);
      if (args.sparsegptThreads.length === 0 || args.sparsegptThreads.some((t) => !Number.isInteger(t) || t < 1))
        throw new Error(`--sparsegpt-threads: expected positive integers, got ${JSON.stringify(argv[i])}`);
    } else if (argv[i] === '--gemm') {
      // The wasm backend's matrix-product engine for every section (and the child processes, through DASS_GEMM).
      args.gemm = argv[++i] ?? '';
      if (!['auto', 'native', 'wasm'].includes(args.gemm)) throw new Error(`--gemm: expected auto, native or wasm, got ${JSON.stringify(args.gemm)}`);
      process.env.DASS_GEMM = args.gemm;
    } else throw new Error(`unknown option ${argv[i]} (expected --only, --out, --layer7b-methods, --layer7b-threads, --sparsegpt-threads or --gemm)`);
  }
  return args;
}

const log = (line) => process.stderr.write(`${line}\n`);
const seconds = (t0) => (performance.now() - t0) / 1000;

async function loadPackages() {
  const [loader, backend, nm, evaluation, pipeline, scoring] = await Promise.all([
    import('../packages/model-loader/dist/index.js'),
    import('../packages/tensor-backend/dist/index.js'),
    import('../packages/nm-sparsify/dist/index.js'),
    import('../packages/evaluation/dist/index.js'),
    import('../packages/pipeline/dist/index.js'),
    import('../packages/scoring/dist/index.js'),
  ]);
  // The timing harnesses and the fixtures live behind workspace-only subpaths (`./bench`, `./test`): not published.
  const [nmBench, evaluationBench, { fixtures }] = await Promise.all([
    import('../packages/nm-sparsify/dist/bench/index.js'),
    import('../packages/evaluation/dist/bench/index.js'),
    import('../packages/model-loader/dist/test/index.js'),
  ]);
  return { loader, backend, nm, nmBench, evaluation, evaluationBench, pipeline, scoring, fixtures };
}

/** Tokens per second through all decoder layers, after a warm-up pass that loads (and caches) every layer. */
async function benchForward(pkgs) {
  const { loader, fixtures } = pkgs;
  const cases = [
    { name: 'stories260K', open: () => loader.openModel(fixtures.stories260K.bin), batch: 8, seqLen: 256 },
    { name: 'stories15M-shape (synthetic)', open: async () => loader.openModel(await ensureSyntheticCheckpoint('stories15M', { log })), batch: 8, seqLen: 256 },
    {
      name: 'SmolLM-135M-shape (synthetic)',
      open: async () => loader.openModel(await ensureSyntheticCheckpoint('smolLM135M', { dtype: 'BF16', log })),
      batch: 2,
      seqLen: 256,
    },
  ];
  const rows = [];
  for (const c of cases) {
    const source = await c.open();
    const model = await loader.CausalLM.fromSource(source);
    try {
      const { vocabSize } = model.config;
      const ids = Int32Array.from({ length: c.batch * c.seqLen }, (_, i) => (i * 7919 + 1) % vocabSize);
      await model.forwardHidden(ids, c.batch, c.seqLen);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await model.forwardHidden(ids, c.batch, c.seqLen);
      const wall = seconds(t0);
      const cpu = process.cpuUsage(cpu0);
      let parameters = 0;
      for (const name of source.tensorNames()) parameters += source.shape(name).reduce((a, b) => a * b, 1);
      const row = {
        model: c.name,
        parameters,
        layers: model.config.numLayers,
        batch: c.batch,
        seqLen: c.seqLen,
        seconds: wall,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        tokensPerSecond: (c.batch * c.seqLen) / wall,
      };
      rows.push(row);
      log(`  forward ${c.name}: ${fmt(row.tokensPerSecond, 0)} tokens/s`);
    } finally {
      model.dispose();
      await source.close();
    }
  }
  return rows;
}

/** The prune phase alone (scores + masks + weight write-back) of one resident layer, min of `repeats` runs. */
async function benchPrunePhase(pkgs, modelDir) {
  const { loader, pipeline, scoring, nm } = pkgs;
  const model = await loader.CausalLM.fromSource(await loader.openModel(modelDir), { cacheLayers: false });
  const layer = await model.loadLayer(0);
  const { hiddenSize: d, intermediateSize: inter } = model.config;
  const targets = ['gate_proj', 'up_proj', 'down_proj'];
  const dense = new Map(targets.map((t) => [t, layer.linearWeight(t).data]));
  const ramp = (n) => Float64Array.from({ length: n }, (_, i) => 1 + ((i * 7919) % 1000));
  const stats = {
    inputSumSq: new Map([
      ['gate_proj', ramp(d)],
      ['up_proj', ramp(d)],
      ['down_proj', ramp(inter)],
    ]),
    gram: new Map(),
    tokens: 16384,
  };
  const best = {};
  for (let rep = 0; rep < 12; rep++) {
    for (const method of ['magnitude', 'wanda', 'dass']) {
      for (const [t, data] of dense) layer.setLinearWeight(t, data);
      const t0 = performance.now();
      pipeline.pruneLayer(layer, stats, {
        method: scoring.getScoringMethod(method),
        pattern: nm.parseSparsity('2:4'),
        targets,
        options: scoring.resolveMethodOptions(scoring.getScoringMethod(method), undefined),
        partialGroups: 'error',
      });
      best[method] = Math.min(best[method] ?? Infinity, performance.now() - t0);
    }
  }
  layer.dispose();
  model.dispose();
  return best;
}

async function benchPrune(pkgs) {
  const modelDir = await ensureSyntheticCheckpoint('stories15M', { log });
  const calib = await ensureRandomCalib(join(repoRoot, '.cache', 'bench', 'calib-32x512.safetensors'), { nsamples: 32, seqlen: 512, vocabSize: 32000 });
  const runs = [];
  for (const method of METHODS) {
    const options = {
      model: modelDir,
      // runPrune asks HF dirs for a tokenizer even with a calibration artifact; any 32000-token one will do.
      tokenizer: pkgs.fixtures.llama2Tokenizer.model,
      method,
      sparsity: '2:4',
      calib,
      out: join(repoRoot, '.cache', 'bench', `pruned-${method}`),
      backend: 'wasm',
    };
    // Best of two runs for the fast methods: their prune phase (~0.2 s in all) is easily disturbed by a GC pause or
    // another process; SparseGPT's is long enough for one run.
    const attempts = [];
    for (let i = 0; i < (method === 'sparsegpt' ? 1 : 2); i++) {
      const { stdout } = await run(process.execPath, [join(here, 'lib', 'prune-child.mjs'), JSON.stringify({ options })], { maxBuffer: 1 << 24 });
      attempts.push(JSON.parse(stdout.trim().split('\n').pop()));
    }
    const best = (key) => Math.min(...attempts.map((a) => a[key]));
    const result = {
      ...attempts.reduce((a, b) => (b.pruneSeconds < a.pruneSeconds ? b : a)),
      runs: attempts.length,
      wallSeconds: best('wallSeconds'),
      denseSeconds: best('denseSeconds'),
      prunedSeconds: best('prunedSeconds'),
      pruneSeconds: best('pruneSeconds'),
      peakRssBytes: Math.max(...attempts.map((a) => a.peakRssBytes)),
      attempts,
    };
    runs.push(result);
    log(
      `  prune ${method}: ${fmt(result.wallSeconds)} s wall, prune phase ${fmt(result.pruneSeconds, 2)} s, peak RSS ${fmt(result.peakRssBytes / 2 ** 20, 0)} MiB (best of ${attempts.length})`,
    );
  }
  const phaseMs = await benchPrunePhase(pkgs, modelDir);
  log(
    `  prune phase per layer (steady state): ${Object.entries(phaseMs)
      .map(([m, ms]) => `${m} ${fmt(ms)} ms`)
      .join(', ')}`,
  );
  return { model: 'stories15M-shape (synthetic, F32)', calibration: '32 × 512 random ids', pattern: '2:4', runs, phaseMsPerLayer: phaseMs };
}

/**
 * Floating-point work of the passes over one decoder layer, counting the linear projections (2·in·out per token) and,
 * for SparseGPT, the XᵀX accumulations (2·in² per token per distinct input); attention scores (4·T·d per token
 * with the full T×T score matrix, < 3% here) are left out. Dense pass: q/k/v/o, gate, up (its down_proj output is
 * never used, so it is skipped; down_proj's input comes from gate/up). Pruned pass with MLP targets: gate, up, down
 * from the kept post-attention residual.
 */
function layerFlops(config, tokens, method) {
  const { hiddenSize: d, intermediateSize: h, numHeads, numKvHeads } = config;
  const hd = d / numHeads;
  const attention = 2 * d * (2 * numHeads * hd + 2 * numKvHeads * hd);
  const dense = tokens * (attention + 2 * 2 * d * h) + (method === 'sparsegpt' ? tokens * 2 * (d * d + h * h) : 0);
  const pruned = tokens * 3 * 2 * d * h;
  return { dense, pruned };
}

async function benchLayer7b(pkgs, { methods, threadCounts }) {
  const name = 'llama2_7B_1layer';
  const modelDir = await ensureSyntheticCheckpoint(name, { dtype: 'BF16', log });
  const nsamples = 8;
  const seqlen = 256;
  const calib = await ensureRandomCalib(join(repoRoot, '.cache', 'bench', `calib-${nsamples}x${seqlen}.safetensors`), { nsamples, seqlen, vocabSize: 32000 });
  const config = pkgs.loader.syntheticModelConfig(pkgs.loader.SYNTHETIC_MODEL_SHAPES[name], 'BF16');
  const runs = [];
  for (const method of methods) {
    for (const threads of threadCounts) {
      const options = {
        model: modelDir,
        tokenizer: pkgs.fixtures.llama2Tokenizer.model,
        method,
        sparsity: '2:4',
        calib,
        out: join(repoRoot, '.cache', 'bench', `layer7b-${method}-${threads}`),
        backend: 'wasm',
        threads,
      };
      const load = loadavg()[0];
      const { stdout } = await run(process.execPath, [join(here, 'lib', 'prune-child.mjs'), JSON.stringify({ options })], { maxBuffer: 1 << 24 });
      const r = JSON.parse(stdout.trim().split('\n').pop());
      const flops = layerFlops(config, nsamples * seqlen, method);
      const row = {
        ...r,
        threads,
        loadAverageBefore: load,
        otherSeconds: r.wallSeconds - r.denseSeconds - r.prunedSeconds - r.pruneSeconds - r.writeSeconds,
        denseGflops: flops.dense / 1e9,
        prunedGflops: flops.pruned / 1e9,
        denseGflopPerSecond: flops.dense / 1e9 / r.denseSeconds,
        prunedGflopPerSecond: flops.pruned / 1e9 / r.prunedSeconds,
      };
      runs.push(row);
      log(
        `  layer7b ${method} × ${threads} thread(s) on ${r.gemm?.engine ?? '?'}: ${fmt(row.wallSeconds)} s wall (dense ${fmt(r.denseSeconds)}, pruned ${fmt(r.prunedSeconds)}, prune ${fmt(r.pruneSeconds)}, write ${fmt(r.writeSeconds)}), ` +
          `passes ${fmt(row.denseGflopPerSecond)} / ${fmt(row.prunedGflopPerSecond)} GFLOP/s, peak RSS ${fmt(r.peakRssBytes / 2 ** 20, 0)} MiB, load ${fmt(load, 2)}`,
      );
    }
  }
  return { model: 'LLaMA-2-7B-shaped layer (synthetic, BF16)', calibration: `${nsamples} × ${seqlen} random ids`, pattern: '2:4', targets: 'mlp', runs };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const pkgs = await loadPackages();
  const backend = await pkgs.backend.selectBackend('wasm');
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    backend: backend.name,
    gemm: backend.gemm?.engine,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
  };
  const results = { machine };
  const want = (s) => args.only.includes(s);
  if (want('forward')) {
    log('forward passes…');
    results.forward = await benchForward(pkgs);
  }
  if (want('prune')) {
    log('pruning (one process per method)…');
    results.prune = await benchPrune(pkgs);
  }
  if (want('masks')) {
    log('mask selection…');
    results.masks = pkgs.nmBench.benchMasks();
  }
  if (want('sparsegpt')) {
    log('SparseGPT…');
    const loadBefore = loadavg()[0];
    results.sparsegpt = await pkgs.nmBench.benchSparseGPT({ threads: args.sparsegptThreads });
    results.sparsegptLoad = [loadBefore, loadavg()[0]];
  }
  if (want('sparsegpt-accuracy')) {
    log('SparseGPT float32 vs float64 (slow)…');
    results.sparsegptAccuracy = [];
    for (const [cols, rows] of [
      [4096, 512],
      [11008, 256],
    ])
      results.sparsegptAccuracy.push(await pkgs.nmBench.checkSparseGPTAccuracy({ cols, rows }));
  }
  if (want('eval')) {
    log('evaluation…');
    const { stories260K } = pkgs.fixtures;
    results.evaluation = await pkgs.evaluationBench.benchEvaluation({ stories260KBin: stories260K.bin, referenceNll: stories260K.referenceNll });
  }
  if (want('layer7b')) {
    log('7B-shaped layer (one process per run)…');
    results.layer7b = await benchLayer7b(pkgs, { methods: args.layer7bMethods, threadCounts: args.layer7bThreads });
  }
  results.totalSeconds = seconds(started);
  results.peakRssBytes = peakRssBytes();
  await writeFile(args.out, JSON.stringify(results, null, 2) + '\n');
  console.log(renderMarkdown(results));
  log(`wrote ${args.out} (${fmt(results.totalSeconds, 0)} s)`);
}

export function renderMarkdown(r) {
  const out = [];
  const m = r.machine;
  out.push(
    `Machine: ${m.cpus} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, tfjs ${m.backend} backend (one kernel thread per worker thread), ${m.platform}; ${m.date.slice(0, 10)}.`,
  );
  if (r.forward) {
    out.push('', '**Forward** (all decoder layers, hidden states only; layers cached after a warm-up pass):', '');
    out.push(
      markdownTable(
        ['model', 'parameters', 'layers', 'tokens', 'seconds', 'tokens/s'],
        r.forward.map((f) => [f.model, `${fmt(f.parameters / 1e6, 1)} M`, f.layers, `${f.batch} × ${f.seqLen}`, fmt(f.seconds, 2), fmt(f.tokensPerSecond, 0)]),
      ),
    );
  }
  if (r.prune) {
    const p = r.prune;
    out.push(
      '',
      `**Pruning** (${p.model}, ${p.pattern}, ${p.calibration}; one process per run, best of 2 (SparseGPT 1); forward = dense + pruned passes, prune = scores + masks + updates, Σ over layers of the manifest's \`seconds.prune\`):`,
      '',
    );
    out.push(
      markdownTable(
        ['method', 'wall s', 'forward s', 'prune s', 'prune ms / layer (steady)', 'peak RSS MiB'],
        p.runs.map((x) => [
          x.method,
          fmt(x.wallSeconds),
          fmt(x.denseSeconds + x.prunedSeconds),
          fmt(x.pruneSeconds, 2),
          p.phaseMsPerLayer[x.method] !== undefined ? fmt(p.phaseMsPerLayer[x.method]) : fmt((1000 * x.pruneSeconds) / x.layers) + ' (run mean)',
          fmt(x.peakRssBytes / 2 ** 20, 0),
        ]),
      ),
    );
  }
  if (r.masks) {
    out.push('', '**Mask selection** (`benchMasks`, random scores):', '');
    out.push(
      markdownTable(
        ['case', 'ms'],
        r.masks.map((x) => [x.case, fmt(x.ms, 0)]),
      ),
    );
  }
  if (r.sparsegpt) {
    const load = r.sparsegptLoad ? `; 1-min load average ${fmt(r.sparsegptLoad[0], 1)} before, ${fmt(r.sparsegptLoad[1], 1)} after` : '';
    out.push('', `**SparseGPT** (\`benchSparseGPT\`, random weights and Gram${load}):`, '');
    out.push(
      markdownTable(
        ['case', 'ms', 'CPU ms'],
        r.sparsegpt.map((x) => [x.case, fmt(x.ms, 0), x.cpuMs === undefined ? '' : fmt(x.cpuMs, 0)]),
      ),
    );
  }
  if (r.sparsegptAccuracy) {
    out.push('', '**SparseGPT float32 (tfjs) vs float64** (`checkSparseGPTAccuracy`, 2:4, random correlated activations):', '');
    out.push(
      markdownTable(
        ['case', 'masks identical', '‖(W−Ŵ)X‖² f32 / f64 − 1', '‖H·H⁻¹v − v‖ f32 (f64)', 's f64', 's f32'],
        r.sparsegptAccuracy.map((x) => [
          x.case,
          `${fmt(100 * x.maskAgreement, 3)} %`,
          x.errorRatioMinusOne.toExponential(1),
          `${x.inverseResidualFloat32.toExponential(1)} (${Number.isNaN(x.inverseResidualFloat64) ? '–' : x.inverseResidualFloat64.toExponential(1)})`,
          fmt(x.msFloat64 / 1000, 1),
          fmt(x.msFloat32 / 1000, 1),
        ]),
      ),
    );
  }
  if (r.evaluation) {
    out.push('', '**Evaluation** (`benchEvaluation`, perplexity incl. vocabulary projection):', '');
    out.push(
      markdownTable(
        ['case', 'tokens', 'seconds', 'tokens/s'],
        r.evaluation.map((x) => [x.case, x.tokens, fmt(x.seconds, 2), fmt(x.tokensPerSecond, 0)]),
      ),
    );
  }
  if (r.layer7b) {
    const l = r.layer7b;
    out.push(
      '',
      `**7B-shaped layer** (${l.model}, ${l.pattern}, ${l.targets} targets, ${l.calibration}; one process per run; GFLOP/s over the passes' linear projections):`,
      '',
    );
    out.push(
      markdownTable(
        [
          'method',
          'threads',
          'wall s',
          'CPU s',
          'dense pass s',
          'pruned pass s',
          'prune s',
          'write s',
          'load etc. s',
          'dense GFLOP/s',
          'pruned GFLOP/s',
          'peak RSS MiB',
          'load avg',
        ],
        l.runs.map((x) => [
          x.method,
          x.threads,
          fmt(x.wallSeconds),
          fmt(x.cpuSeconds),
          fmt(x.denseSeconds),
          fmt(x.prunedSeconds),
          fmt(x.pruneSeconds),
          fmt(x.writeSeconds),
          fmt(x.otherSeconds),
          fmt(x.denseGflopPerSecond),
          fmt(x.prunedGflopPerSecond),
          fmt(x.peakRssBytes / 2 ** 20, 0),
          fmt(x.loadAverageBefore, 2),
        ]),
      ),
    );
  }
  out.push('', `Whole run: ${fmt(r.totalSeconds, 0)} s, peak RSS of the main process ${fmt(r.peakRssBytes / 2 ** 20, 0)} MiB.`);
  return out.join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(`bench: ${err?.stack ?? err}`);
    process.exit(1);
  });
}
