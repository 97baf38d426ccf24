import { availableParallelism } from 'node:os';
/**
 * `dass demo`: the README's main job on the bundled stories260K. Prunes it with DaSS and with Wanda at 2:4 into a
 * temporary folder and compares dense and pruned perplexity on held-out TinyStories text.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Argv } from 'yargs';
import { formatPercent, parseLinearTensorName, perplexityOfText } from '@dass/evaluation';
import { MLP_LINEARS, openModel } from '@dass/model-loader';
import { sparsityOf } from '@dass/nm-sparsify';
import { runPrune } from '@dass/pipeline';
import { BACKEND_NAMES } from '@dass/tensor-backend';
import type { BackendRequest } from '@dass/tensor-backend';
import { integerArg } from '../arg-parsers.js';
import { bundled } from '../assets.js';
import type { CommandContext, SelectCommand } from '../command-context.js';
import { formatSeconds, renderTable } from '../format-table.js';
import { causalLM, openModelWithTokenizer } from '../model-input.js';
import { evaluationText } from './eval-ppl.js';

/**
 * Evaluation uses the first 32 windows (8,192 tokens) of the 112 the text holds: the wasm backend scores
 * stories260K at a few thousand tokens a second, and the demo must stay well under a minute on a small machine.
 */
export const DEMO_SETTINGS = { pattern: '2:4', methods: ['dass', 'wanda'], nsamples: 32, seqlen: 256, seed: 0, evalSeqlen: 256, evalWindows: 32 } as const;

export interface DemoRow {
  method: string;
  pattern: string;
  ppl: number;
  /** Zeros over the MLP targets (measured in the dense checkpoint; from the run manifest for pruned ones). */
  sparsity: number;
  pruneSeconds: number;
  evalSeconds: number;
}

async function perplexityOf(
  ctx: CommandContext,
  model: string,
  text: string,
  backend: BackendRequest,
  threads: number | undefined,
  maxWindows: number | undefined,
  label: string,
) {
  const { source, tokenizer } = await openModelWithTokenizer(model, bundled.tokenizer);
  try {
    const lm = await causalLM(source, backend, threads, DEMO_SETTINGS.evalSeqlen * availableParallelism());
    try {
      return await perplexityOfText(lm, tokenizer, text, {
        seqlen: DEMO_SETTINGS.evalSeqlen,
        batchSize: lm.threads,
        maxWindows,
        onProgress: ({ done, total }) => {
          ctx.throwIfInterrupted();
          ctx.progress.update(`perplexity (${label})`, done, total);
        },
      });
    } finally {
      lm.dispose();
    }
  } finally {
    await source.close();
  }
}

/** Zeros over the MLP linears (the demo's targets) as stored in the checkpoint. */
async function mlpSparsity(model: string): Promise<number> {
  const source = await openModel(model);
  try {
    let zeros = 0;
    let total = 0;
    for (const name of source.tensorNames()) {
      const parsed = parseLinearTensorName(name);
      if (!parsed || !(MLP_LINEARS as readonly string[]).includes(parsed.linear)) continue;
      const s = sparsityOf((await source.readF32(name)).data);
      zeros += s.zeros;
      total += s.total;
    }
    return total === 0 ? 0 : zeros / total;
  } finally {
    await source.close();
  }
}

export function demoCommand(y: Argv, select: SelectCommand): Argv {
  return y.command(
    'demo',
    'Prune the bundled stories260K with DaSS and Wanda at 2:4 and compare perplexity with the dense model',
    (c) =>
      c.options({
        'max-windows': {
          type: 'string',
          default: String(DEMO_SETTINGS.evalWindows),
          coerce: (v: unknown) => (v === 'all' ? undefined : integerArg('--max-windows', 1)(v)),
          describe: 'evaluation windows of 256 tokens (all = the whole text, 112)',
        },
        backend: { choices: ['auto', ...BACKEND_NAMES] as const, default: 'auto' as const, describe: 'tfjs backend' },
        threads: {
          type: 'string',
          coerce: integerArg('--threads', 1),
          describe: 'worker threads for the decoder layers (1 = this thread)',
          defaultDescription: 'all cores (wasm/cpu), 1 (tensorflow)',
        },
        json: { type: 'boolean', default: false, describe: 'print the rows as one JSON object' },
      }),
    (a) =>
      select(async (ctx) => {
        const started = performance.now();
        const text = await evaluationText(bundled.evaluationText, 'text');
        const dense = await perplexityOf(ctx, bundled.model, text, a.backend, a.threads, a.maxWindows, 'dense');
        const rows: DemoRow[] = [
          { method: 'dense', pattern: '-', ppl: dense.ppl, sparsity: await mlpSparsity(bundled.model), pruneSeconds: 0, evalSeconds: dense.seconds },
        ];
        const work = await mkdtemp(join(tmpdir(), 'dass-demo-'));
        const unregister = ctx.onForcedExit(() => rmSync(work, { recursive: true, force: true }));
        try {
          for (const method of DEMO_SETTINGS.methods) {
            ctx.throwIfInterrupted();
            const out = join(work, `${method}-${DEMO_SETTINGS.pattern.replace(':', 'of')}.bin`);
            const manifest = await runPrune({
              model: bundled.model,
              tokenizer: bundled.tokenizer,
              method,
              sparsity: DEMO_SETTINGS.pattern,
              calib: bundled.calibrationText,
              nsamples: DEMO_SETTINGS.nsamples,
              seqlen: DEMO_SETTINGS.seqlen,
              seed: DEMO_SETTINGS.seed,
              out,
              backend: a.backend,
              threads: a.threads,
              signal: ctx.signal,
              onWarning: (message) => ctx.warn(message),
              onProgress: (p) =>
                ctx.progress.update(
                  `prune ${method} ${DEMO_SETTINGS.pattern}: ${p.stage}`,
                  p.layer !== undefined && p.layer >= 0 ? p.layer : undefined,
                  p.layers,
                ),
            });
            const pruned = await perplexityOf(ctx, out, text, a.backend, a.threads, a.maxWindows, method);
            rows.push({
              method,
              pattern: manifest.pattern,
              ppl: pruned.ppl,
              sparsity: manifest.sparsity.overTargets.ratio,
              pruneSeconds: manifest.wallSeconds,
              evalSeconds: pruned.seconds,
            });
          }
        } finally {
          unregister();
          await rm(work, { recursive: true, force: true });
        }
        ctx.progress.clear();
        const seconds = (performance.now() - started) / 1000;
        const settings = {
          model: basename(bundled.model),
          calibration: { file: basename(bundled.calibrationText), nsamples: DEMO_SETTINGS.nsamples, seqlen: DEMO_SETTINGS.seqlen, seed: DEMO_SETTINGS.seed },
          evaluation: { file: basename(bundled.evaluationText), seqlen: DEMO_SETTINGS.evalSeqlen, windows: dense.windows, tokens: dense.tokens },
          targets: 'mlp',
        };
        if (a.json) {
          ctx.printJson({ ...settings, rows, seconds });
          return;
        }
        ctx.print(
          `stories260K, MLP pruned at ${DEMO_SETTINGS.pattern} with ${DEMO_SETTINGS.nsamples} × ${DEMO_SETTINGS.seqlen} calibration tokens (seed ${DEMO_SETTINGS.seed}); ` +
            `perplexity on ${settings.evaluation.windows} windows of ${DEMO_SETTINGS.evalSeqlen} tokens of TinyStories validation text\n`,
        );
        ctx.print(
          renderTable(
            ['method', 'pattern', 'ppl', 'sparsity', 'prune s', 'eval s'],
            rows.map((r) => [
              r.method,
              r.pattern,
              r.ppl.toFixed(3),
              formatPercent(r.sparsity, 1),
              r.method === 'dense' ? '-' : r.pruneSeconds.toFixed(2),
              r.evalSeconds.toFixed(2),
            ]),
            ['ppl', 'sparsity', 'prune s', 'eval s'],
          ),
        );
        ctx.print(`\ntotal ${formatSeconds(seconds)}`);
      }),
  );
}
