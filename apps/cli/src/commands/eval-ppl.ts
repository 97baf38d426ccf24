import { availableParallelism } from 'node:os';
/** `dass eval ppl`: perplexity of a text with the papers' protocol (docs/SPEC.md §5). */
import type { Argv } from 'yargs';
import { InvalidArgumentError } from '@dass/errors';
import { loadTextSource, TEXT_SOURCE_FORMATS } from '@dass/calibration';
import { perplexityOfText } from '@dass/evaluation';
import { BACKEND_NAMES, backendReport } from '@dass/tensor-backend';
import { integerArg, stringArg } from '../arg-parsers.js';
import { UsageError, flagOf } from '../cli-errors.js';
import type { SelectCommand } from '../command-context.js';
import { formatSeconds } from '../format-table.js';
import { causalLM, openModelWithTokenizer, warnUnusedTensors } from '../model-input.js';

const DEFAULT_SEQLEN = 2048;

/** The text to score: plain/WikiText as read; documents (C4-style JSON lines) joined by a space, as Wanda's C4 eval does. */
export async function evaluationText(path: string, format: (typeof TEXT_SOURCE_FORMATS)[number]): Promise<string> {
  const source = await loadTextSource(path, format);
  return source.kind === 'text' ? source.text : source.docs.join(' ');
}

export function evalPplCommand(y: Argv, select: SelectCommand): Argv {
  return y.command(
    'ppl',
    'Perplexity of a text (non-overlapping windows, exp of the mean window NLL)',
    (c) =>
      c
        .options({
          model: { type: 'string', demandOption: true, coerce: stringArg('--model'), describe: 'Hugging Face checkpoint dir or llama2.c .bin' },
          tokenizer: { type: 'string', coerce: stringArg('--tokenizer'), describe: 'tokenizer file (llama2.c models; HF dirs use their own)' },
          data: { type: 'string', demandOption: true, coerce: stringArg('--data'), describe: 'evaluation text (wiki.test.raw, .txt, .jsonl, .json.gz)' },
          format: { choices: TEXT_SOURCE_FORMATS, default: 'auto' as const, describe: 'how to read --data (auto: by file name)' },
          seqlen: {
            type: 'string',
            coerce: integerArg('--seqlen', 2),
            describe: 'window length in tokens',
            defaultDescription: `${DEFAULT_SEQLEN}, or the model context if shorter`,
          },
          'max-windows': { type: 'string', coerce: integerArg('--max-windows', 1), describe: 'score only the first K windows' },
          stride: {
            type: 'string',
            coerce: integerArg('--stride', 1),
            describe: 'sliding windows with this stride (HF recipe) instead of the papers protocol',
          },
          backend: { choices: ['auto', ...BACKEND_NAMES] as const, default: 'auto' as const, describe: 'tfjs backend' },
          threads: {
            type: 'string',
            coerce: integerArg('--threads', 1),
            describe: 'worker threads for the decoder layers (1 = this thread)',
            defaultDescription: 'all cores (wasm/cpu), 1 (tensorflow)',
          },
          json: { type: 'boolean', default: false, describe: 'print {ppl, windows, tokens, seqlen, tokensPerSecond, …} as JSON' },
        })
        .example('$0 eval ppl --model ./llama-wanda --data wiki.test.raw --seqlen 2048', ''),
    (a) =>
      select(async (ctx) => {
        const data = ctx.userPath(a.data);
        const { source, tokenizer } = await openModelWithTokenizer(ctx.userPath(a.model), ctx.userPath(a.tokenizer));
        try {
          const unusedTensors = warnUnusedTensors(ctx, source);
          const maxPositions = source.config.maxPositionEmbeddings;
          let seqlen = a.seqlen ?? DEFAULT_SEQLEN;
          if (a.seqlen === undefined && seqlen > maxPositions) {
            ctx.warn(`--seqlen: the model's context is ${maxPositions} tokens; using ${maxPositions} instead of the default ${DEFAULT_SEQLEN}`);
            seqlen = maxPositions;
          }
          const text = await evaluationText(data, a.format);
          ctx.throwIfInterrupted();
          const model = await causalLM(source, a.backend, a.threads, seqlen * availableParallelism());
          try {
            const r = await perplexityOfText(model, tokenizer, text, {
              seqlen,
              // one window per thread at a time (any batch size gives the same numbers)
              batchSize: model.threads,
              maxWindows: a.maxWindows,
              stride: a.stride,
              onProgress: ({ done, total }) => {
                ctx.throwIfInterrupted();
                ctx.progress.update('perplexity', done, total);
              },
            }).catch((err: unknown) => {
              // The text is too short ("text: found 6 tokens …"): that is about --data, so name the file.
              if (InvalidArgumentError.isInstance(err) && err.field === 'text') throw new UsageError(`${data}: ${err.describeProblem(flagOf)}`);
              throw err;
            });
            ctx.progress.clear();
            const result = {
              ppl: r.ppl,
              windows: r.windows,
              tokens: r.tokens,
              seqlen: r.seqlen,
              tokensPerSecond: r.tokensPerSecond,
              ...(r.stride === undefined ? {} : { stride: r.stride }),
              targets: r.targets,
              meanNll: r.meanNll,
              seconds: r.seconds,
              threads: model.threads,
              model: a.model,
              data: a.data,
              unusedTensors,
              backend: backendReport(),
            };
            if (a.json) ctx.printJson(result);
            else {
              ctx.print(
                `perplexity ${r.ppl.toFixed(4)} on ${a.data}: ${r.windows} windows of ${r.seqlen} tokens` +
                  `${r.stride === undefined ? '' : ` (stride ${r.stride})`}, ${r.tokens} tokens in ${formatSeconds(r.seconds)} (${Math.round(r.tokensPerSecond)} tokens/s)`,
              );
            }
          } finally {
            model.dispose();
          }
        } finally {
          await source.close();
        }
      }),
  );
}
