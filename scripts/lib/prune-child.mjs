// One pruning run in its own process, so its peak RSS is its own:
//   node prune-child.mjs '{"options": <PruneOptions>, "keepOutput": false, "progress": false}'
// Prints one JSON line on stdout: the manifest's timings and memory. With `progress`, one line per layer on stderr.
import { rm } from 'node:fs/promises';
import { runPrune } from '../../packages/pipeline/dist/index.js';
import { peakRssBytes } from './peak-rss.mjs';

const { options, keepOutput = false, progress = false } = JSON.parse(process.argv[2]);
const started = performance.now();
const manifest = await runPrune({
  ...options,
  force: true,
  onProgress: progress
    ? (p) => {
        if (p.stage === 'write' || p.stage === 'load' || p.stage === 'embed') {
          const at = p.layer === undefined ? '' : ` layer ${p.layer + 1}/${p.layers}`;
          process.stderr.write(
            `  [${((performance.now() - started) / 1000).toFixed(1)} s] ${p.stage}${at}, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB\n`,
          );
        }
      }
    : undefined,
});
const wall = (performance.now() - started) / 1000;
const sum = (key) => manifest.layers.reduce((s, l) => s + l.seconds[key], 0);
if (!keepOutput) await rm(options.out, { recursive: true, force: true });
const cpu = process.cpuUsage();
console.log(
  JSON.stringify({
    method: manifest.method,
    pattern: manifest.pattern,
    plans: manifest.plans,
    layers: manifest.layers.length,
    tokens: manifest.calibration.nsamples * manifest.calibration.seqlen,
    wallSeconds: wall,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    denseSeconds: sum('dense'),
    pruneSeconds: sum('prune'),
    prunedSeconds: sum('pruned'),
    writeSeconds: sum('write'),
    pruneSecondsPerLayer: manifest.layers.map((l) => l.seconds.prune),
    rssBytesPerLayer: manifest.layers.map((l) => l.rssBytes),
    peakRssBytes: peakRssBytes(),
    manifestPeakRssBytes: manifest.peakRssBytes,
    sparsityOverTargets: manifest.sparsity.overTargets.ratio,
    backend: manifest.backend.name,
    gemm: manifest.backend.gemm,
  }),
);
