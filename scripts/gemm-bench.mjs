#!/usr/bin/env node
// f32 GEMM throughput of the tfjs backend this process picks: C[m, n] = A[m, k] · B[k, n], default the shape of one
// LLaMA-2-7B MLP projection over 2048 calibration tokens (2048 × 4096 × 11008, 185 GFLOP).
//   node scripts/gemm-bench.mjs [--backend wasm|cpu|tensorflow|auto] [--gemm wasm|native|auto] [--threaded] [--threads N]
//                               [--m M --k K --n N] [--reps R]
// --gemm picks the wasm backend's product engine: wasm = XNNPACK (the default here), native = onnxruntime-node's MLAS
// through the same tf.matMul (one intra-op thread unless --threads N), auto = native when installed.
// --threaded asks the wasm backend for its threaded-SIMD build (tfjs disables it under Node: tfjs issue #3830);
// the script reports whether it initialised and how many threads it used.
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = { backend: 'wasm', gemm: 'wasm', threaded: false, threads: 0, m: 2048, k: 4096, n: 11008, reps: 2 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--threaded') args.threaded = true;
  else if (['--backend', '--gemm', '--threads', '--m', '--k', '--n', '--reps'].includes(a)) {
    const v = argv[++i];
    args[a.slice(2)] = a === '--backend' || a === '--gemm' ? v : Number(v);
  } else throw new Error(`unknown option ${a}`);
}
const here = fileURLToPath(new URL('..', import.meta.url));
const { tf, selectBackend, enableNativeGemm } = await import(`${here}packages/tensor-backend/dist/index.js`);
// the same tfjs-backend-wasm instance the backend package registered
const requireFromBackend = createRequire(`${here}packages/tensor-backend/package.json`);
const wasm = await import(pathToFileURL(requireFromBackend.resolve('@tensorflow/tfjs-backend-wasm')).href);
let threadInfo = 'n/a';
if (args.threaded) {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  // Node's worker_threads cannot start a worker from a blob: URL (what tfjs hands emscripten for its pthread worker
  // and main script): write such blobs to temporary files and hand out their paths instead.
  const { writeFileSync, mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'gemm-bench-'));
  const original = URL.createObjectURL;
  const blobSources = new WeakMap();
  let mainScript;
  const OriginalBlob = globalThis.Blob;
  globalThis.Blob = class extends OriginalBlob {
    constructor(parts, options) {
      super(parts, options);
      const text = parts.map(String).join('');
      blobSources.set(this, text);
      if (text.startsWith('var WasmBackendModuleThreadedSimd')) {
        mainScript = join(dir, 'main.js');
        // the bundle's factory refers to its bundler-named requires; the pthread worker evaluates it without them
        writeFileSync(
          mainScript,
          `var require$$0 = require('fs'); var require$$1 = require('path'); var require$$2 = require('worker_threads'); var require$$3 = require('perf_hooks'); var require$$4 = require('os'); var commonjsGlobal = globalThis;\n${text}`,
        );
      }
    }
  };
  let count = 0;
  URL.createObjectURL = (blob) => {
    if (!blobSources.has(blob)) return original(blob);
    let text = blobSources.get(blob);
    // the pthread worker would turn the posted main-script Blob into a blob: URL it cannot read under Node
    if (mainScript) text = text.replace('var objectUrl=URL.createObjectURL(e.data.urlOrBlob)', `var objectUrl=${JSON.stringify(mainScript)}`);
    const path = join(dir, `blob-${count++}.js`);
    writeFileSync(path, text);
    return path;
  };
}
let init;
try {
  const t0 = performance.now();
  init = await Promise.race([
    selectBackend(args.backend, { gemm: args.gemm }),
    new Promise((_, rej) => setTimeout(() => rej(new Error('backend init timed out after 60 s')), 60_000)),
  ]);
  threadInfo = args.backend === 'wasm' && wasm ? String(wasm.getThreadsCount()) : 'n/a';
  if (init.gemm?.engine?.startsWith('onnxruntime') && args.threads > 0) enableNativeGemm({ threads: args.threads, required: true });
  if (init.gemm?.engine?.startsWith('onnxruntime')) threadInfo = String(args.threads || 1);
  console.error(
    `backend ${init.name} (${init.gemm?.engine ?? 'own kernels'}) ready in ${((performance.now() - t0) / 1000).toFixed(1)} s, threads ${threadInfo}`,
  );
} catch (err) {
  console.log(JSON.stringify({ ...args, ok: false, error: String(err?.message ?? err).slice(0, 300) }));
  process.exit(0);
}
const { m, k, n } = args;
const a = tf.randomNormal([m, k]);
const b = tf.randomNormal([k, n]);
const times = [];
for (let r = 0; r < args.reps; r++) {
  const t0 = performance.now();
  const c = tf.matMul(a, b);
  c.dataSync();
  times.push((performance.now() - t0) / 1000);
  c.dispose();
}
const best = Math.min(...times);
const gflop = (2 * m * k * n) / 1e9;
console.log(
  JSON.stringify({
    ...args,
    ok: true,
    backendName: init.name,
    engine: init.gemm?.engine,
    engineThreads: threadInfo,
    seconds: times,
    gflop,
    gflopPerSecond: gflop / best,
  }),
);
process.exit(0);
