#!/usr/bin/env node
// `pnpm bench:gpu` (after `turbo run build`): one LLaMA-2-7B-shaped decoder layer (hidden 4096, MLP 11008, 32 heads,
// random N(0, 1/in) weights) on the webgpu backend: forward, capture (Σx² + XᵀX on the device, read once),
// DaSS 2:4 and SparseGPT 2:4 of that layer, over 128 × 2048 calibration tokens. Prints tokens/s, GFLOP/s, peak
// device memory, the 32-layer extrapolation of a full DaSS prune, and the same layer's float32 forward in PyTorch
// (when `python3 -c "import torch"` works; CUDA if it has it) as the side-by-side reference.
//   node scripts/bench-gpu.mjs [--small] [--samples N] [--seqlen T] [--backend webgpu|tensorflow-gpu|...] [--out file]
// --small: a tiny shape (hidden 256, MLP 688, 4 heads, 2 × 64 tokens) that finishes on a software adapter
// (SwiftShader) — a check that the command works, not a measurement.
// Exit 2 with one line when the backend cannot start (e.g. no GPU adapter).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

function parseArgs(argv) {
  const args = { small: false, samples: undefined, seqlen: undefined, backend: 'webgpu', out: join(repoRoot, 'bench-gpu.json') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') continue;
    else if (a === '--small') args.small = true;
    else if (a === '--samples') args.samples = Number(argv[++i]);
    else if (a === '--seqlen') args.seqlen = Number(argv[++i]);
    else if (a === '--backend') args.backend = argv[++i];
    else if (a === '--out') args.out = argv[++i];
    else throw new Error(`unknown option ${a} (expected --small, --samples N, --seqlen T, --backend NAME, --out FILE)`);
  }
  return args;
}

const SHAPES = {
  '7b': { hiddenSize: 4096, intermediateSize: 11008, numHeads: 32, numKvHeads: 32, samples: 128, seqlen: 2048, layers: 32 },
  small: { hiddenSize: 256, intermediateSize: 688, numHeads: 4, numKvHeads: 4, samples: 2, seqlen: 64, layers: 32 },
};

const log = (line) => process.stderr.write(`${line}\n`);
const fmt = (v, digits = 1) => (Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : String(v));
const gib = (bytes) => `${fmt(bytes / 2 ** 30, 2)} GiB`;

/** Matmul FLOPs of one layer forward per token at sequence length T (attention counted over all T keys, as PyTorch's dense SDPA computes). */
function forwardFlopsPerToken(s, T) {
  const d = s.hiddenSize;
  const hd = d / s.numHeads;
  const qkv = 2 * d * (s.numHeads + 2 * s.numKvHeads) * hd;
  const o = 2 * d * d;
  const mlp = 2 * 3 * d * s.intermediateSize;
  const attention = 2 * 2 * T * s.numHeads * hd;
  return qkv + o + mlp + attention;
}

/** A one-layer in-memory WeightSource with the model-loader's synthetic values (N(0, 1/in) matrices, unit norms). */
function syntheticSource(loader, s) {
  const hd = s.hiddenSize / s.numHeads;
  const config = {
    architecture: 'LlamaForCausalLM',
    hiddenSize: s.hiddenSize,
    intermediateSize: s.intermediateSize,
    numLayers: 1,
    numHeads: s.numHeads,
    numKvHeads: s.numKvHeads,
    headDim: hd,
    vocabSize: 512,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    maxPositionEmbeddings: Math.max(4096, s.seqlen),
    tieWordEmbeddings: false,
    hiddenAct: 'silu',
    attentionBias: false,
    rmsNormAddOne: false,
    embeddingScale: 1,
  };
  const d = s.hiddenSize;
  const shapes = new Map([
    ['model.embed_tokens.weight', [512, d]],
    ['model.norm.weight', [d]],
    ['lm_head.weight', [512, d]],
    ['model.layers.0.input_layernorm.weight', [d]],
    ['model.layers.0.post_attention_layernorm.weight', [d]],
    ['model.layers.0.self_attn.q_proj.weight', [s.numHeads * hd, d]],
    ['model.layers.0.self_attn.k_proj.weight', [s.numKvHeads * hd, d]],
    ['model.layers.0.self_attn.v_proj.weight', [s.numKvHeads * hd, d]],
    ['model.layers.0.self_attn.o_proj.weight', [d, s.numHeads * hd]],
    ['model.layers.0.mlp.gate_proj.weight', [s.intermediateSize, d]],
    ['model.layers.0.mlp.up_proj.weight', [s.intermediateSize, d]],
    ['model.layers.0.mlp.down_proj.weight', [d, s.intermediateSize]],
  ]);
  return {
    path: `synthetic 7B-shaped layer (${d}/${s.intermediateSize})`,
    format: 'hf',
    config,
    tensorNames: () => [...shapes.keys()],
    has: (name) => shapes.has(name),
    shape: (name) => shapes.get(name),
    dtype: () => 'F32',
    readF32: async (name) => ({ shape: shapes.get(name), data: loader.syntheticTensorValues(name, shapes.get(name), 0) }),
    close: async () => {},
  };
}

function torchReference(s, samples, T, small) {
  try {
    execFileSync('python3', ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    return { skipped: 'python3 -c "import torch" failed: no PyTorch side-by-side' };
  }
  try {
    const out = execFileSync('python3', [join(repoRoot, 'scripts', 'bench-gpu-torch.py'), JSON.stringify({ ...s, samples, seqlen: T, small })], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 1800_000,
    });
    return JSON.parse(out.trim().split('\n').pop());
  } catch (err) {
    return { skipped: `PyTorch reference failed: ${String(err.message).split('\n')[0]}` };
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const shape = { ...SHAPES[args.small ? 'small' : '7b'] };
  const samples = args.samples ?? shape.samples;
  const T = args.seqlen ?? shape.seqlen;
  const [backendPkg, loader, calibration, pipeline, scoring, nm] = await Promise.all([
    import('../packages/tensor-backend/dist/index.js'),
    import('../packages/model-loader/dist/index.js'),
    import('../packages/calibration/dist/index.js'),
    import('../packages/pipeline/dist/index.js'),
    import('../packages/scoring/dist/index.js'),
    import('../packages/nm-sparsify/dist/index.js'),
  ]);
  const { tf } = backendPkg;
  let choice;
  try {
    choice = await backendPkg.selectBackend(args.backend);
  } catch (err) {
    process.stderr.write(
      `bench:gpu: ${err.message.split('\n')[0]}; nothing measured (on a GPU machine: install its Vulkan/Metal/D3D12 driver; see README "GPU")\n`,
    );
    process.exit(2);
  }
  const adapter = choice.adapter;
  log(
    `backend ${choice.name}${adapter ? `: ${adapter.description || adapter.vendor} (${adapter.vendor}/${adapter.architecture}), maxStorageBufferBindingSize ${gib(adapter.limits.maxStorageBufferBindingSize)}, maxBufferSize ${gib(adapter.limits.maxBufferSize)}` : ''}`,
  );
  if (adapter?.fallback && !args.small) log('warning: a software adapter; this will take very long. Use --small to check the command only.');

  const source = syntheticSource(loader, shape);
  const model = await loader.CausalLM.fromSource(source, { cacheLayers: false });
  const tokens = samples * T;
  const flops = forwardFlopsPerToken(shape, T) * tokens;
  const perPass = loader.samplesPerPass(model.config, T, {});
  log(`layer ${shape.hiddenSize}/${shape.intermediateSize}, ${shape.numHeads} heads; ${samples} × ${T} tokens in passes of ${perPass} samples`);

  let peak = 0;
  const sample = () => {
    const m = tf.memory();
    peak = Math.max(peak, m.numBytesInGPUAllocated ?? m.numBytesInGPU ?? m.numBytes ?? 0);
  };
  const sync = async (hidden) => {
    sample();
    const last = hidden.chunks[hidden.chunks.length - 1];
    const probe = tf.slice(last, [0, 0], [1, 1]);
    await probe.data();
    probe.dispose();
  };
  const randomHidden = () => {
    const chunks = [];
    const counts = [];
    for (let s0 = 0; s0 < samples; s0 += perPass) {
      const n = Math.min(perPass, samples - s0);
      chunks.push(tf.randomNormal([n * T, shape.hiddenSize], 0, 1, 'float32', 1 + s0));
      counts.push(n);
    }
    return new loader.DeviceHidden(chunks, counts, T, shape.hiddenSize);
  };
  const results = { backend: backendPkg.backendReport(), shape, samples, seqlen: T, tokens, forwardGflopPerPass: flops / 1e9 };
  const rows = [];
  const targets = loader.DECODER_LINEARS;
  const hidden = randomHidden();
  try {
    // forward: warm up (shader compilation) on one pass, then time all passes.
    let layer = await model.loadLayer(0);
    {
      const warm = new loader.DeviceHidden([hidden.chunks[0]], [hidden.samples[0]], T, shape.hiddenSize);
      const out = layer.forwardDevice(warm);
      await sync(out);
      out.dispose();
    }
    let t0 = performance.now();
    const out = layer.forwardDevice(hidden);
    await sync(out);
    out.dispose();
    const forwardS = (performance.now() - t0) / 1000;
    rows.push(['forward', forwardS, tokens / forwardS, flops / forwardS / 1e9]);
    results.forward = { seconds: forwardS, tokensPerSecond: tokens / forwardS, gflops: flops / forwardS / 1e9 };
    log(`forward: ${fmt(forwardS, 2)} s`);

    for (const methodName of ['dass', 'sparsegpt']) {
      layer.dispose();
      layer = await model.loadLayer(0);
      const method = scoring.getScoringMethod(methodName);
      const stats = { inputSumSq: new Map(), gram: new Map(), tokens };
      for (const t of targets) {
        const cols = layer.linearWeight(t).shape[1];
        stats.inputSumSq.set(t, new Float64Array(cols));
        if (method.updatesWeights) stats.gram.set(t, new Float64Array(cols * cols));
      }
      const device = new calibration.DeviceLayerStats(stats);
      t0 = performance.now();
      layer.captureDevice(hidden, device.capture);
      sample();
      await device.readInto();
      sample();
      device.dispose();
      const captureS = (performance.now() - t0) / 1000;
      t0 = performance.now();
      pipeline.pruneLayer(layer, stats, {
        method,
        pattern: nm.nmPattern(2, 4),
        targets,
        alpha: 0.5,
        partialGroups: 'error',
        percdamp: 0.01,
        blocksize: 128,
      });
      const pruneS = (performance.now() - t0) / 1000;
      t0 = performance.now();
      const pruned = layer.forwardDevice(hidden);
      await sync(pruned);
      pruned.dispose();
      const prunedS = (performance.now() - t0) / 1000;
      const layerS = captureS + pruneS + prunedS;
      const label = methodName === 'dass' ? 'DaSS 2:4' : 'SparseGPT 2:4';
      rows.push([`capture (${methodName === 'dass' ? 'Σx²' : 'Σx² + XᵀX'})`, captureS, tokens / captureS, flops / captureS / 1e9]);
      rows.push([`${label}: prune (scores, masks${method.updatesWeights ? ', OBS updates' : ''})`, pruneS, NaN, NaN]);
      rows.push([`${label}: layer total (capture + prune + pruned pass)`, layerS, tokens / layerS, NaN]);
      results[methodName] = {
        captureSeconds: captureS,
        pruneSeconds: pruneS,
        prunedPassSeconds: prunedS,
        layerSeconds: layerS,
        extrapolatedMinutes: (layerS * shape.layers) / 60,
      };
      log(`${label}: capture ${fmt(captureS, 2)} s, prune ${fmt(pruneS, 2)} s, pruned pass ${fmt(prunedS, 2)} s`);
    }
    layer.dispose();
  } finally {
    hidden.dispose();
    model.dispose();
  }
  results.peakDeviceBytes = peak;
  results.torch = torchReference(shape, samples, T, args.small);

  const name = adapter ? `${adapter.description || adapter.vendor}` : choice.name;
  console.log(
    `\n**One ${args.small ? 'small (--small) test' : '7B-shaped'} decoder layer** (${shape.hiddenSize}/${shape.intermediateSize}, ${shape.numHeads} heads, random weights), ${samples} × ${T} tokens, ${choice.name} on ${name}:\n`,
  );
  console.log('| step | seconds | tokens/s | GFLOP/s |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [step, s, tps, gf] of rows)
    console.log(`| ${step} | ${fmt(s, 2)} | ${Number.isFinite(tps) ? fmt(tps, 0) : '–'} | ${Number.isFinite(gf) ? fmt(gf, gf < 10 ? 2 : 0) : '–'} |`);
  if (results.torch.skipped) console.log(`| PyTorch float32 forward | ${results.torch.skipped} | | |`);
  else
    console.log(
      `| PyTorch ${results.torch.torch} float32 forward (${results.torch.device}) | ${fmt(results.torch.seconds, 2)} | ${fmt(tokens / results.torch.seconds, 0)} | ${fmt(flops / results.torch.seconds / 1e9, 0)} |`,
    );
  console.log(`\npeak device memory (tfjs allocated): ${gib(peak)}`);
  console.log(
    `extrapolated ${shape.layers}-layer DaSS 2:4 prune: ${fmt(results.dass.extrapolatedMinutes, 1)} min; SparseGPT 2:4: ${fmt(results.sparsegpt.extrapolatedMinutes, 1)} min`,
  );
  if (!results.torch.skipped) console.log(`forward throughput vs PyTorch float32: ${fmt((100 * results.torch.seconds) / results.forward.seconds, 0)}%`);
  writeFileSync(args.out, JSON.stringify(results, null, 2) + '\n');
  log(`wrote ${args.out}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench:gpu: ${err.stack ?? err}\n`);
    process.exit(1);
  },
);
