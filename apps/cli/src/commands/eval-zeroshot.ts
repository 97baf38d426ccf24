/** `dass eval zeroshot`: lm-eval-harness style zero-shot accuracy on the bundled (or given) task files. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { defaultTasksDir, evaluateZeroShot, loadTaskDocs, parseTaskList, withGreedyScoring, zeroShotTasks } from '@dass/evaluation';
import type { ZeroShotResult } from '@dass/evaluation';
import { BACKEND_NAMES, backendReport } from '@dass/tensor-backend';
import { integerArg, stringArg } from '../arg-parsers.js';
import { UsageError } from '../cli-errors.js';
import type { SelectCommand } from '../command-context.js';
import { renderTable } from '../format-table.js';
import { causalLM, openModelWithTokenizer, warnUnusedTensors } from '../model-input.js';

const metric = (value: number | undefined, stderr: number | undefined) =>
  value === undefined ? '-' : `${(value * 100).toFixed(2)} ± ${((stderr ?? 0) * 100).toFixed(2)}`;

export function evalZeroshotCommand(y: Argv, select: SelectCommand): Argv {
  return y.command(
    'zeroshot',
    'Zero-shot accuracy (acc, acc_norm; LAMBADA: greedy acc and perplexity)',
    (c) =>
      c
        .options({
          model: { type: 'string', demandOption: true, coerce: stringArg('--model'), describe: 'Hugging Face checkpoint dir or llama2.c .bin' },
          tokenizer: { type: 'string', coerce: stringArg('--tokenizer'), describe: 'tokenizer file (llama2.c models; HF dirs use their own)' },
          tasks: {
            type: 'string',
            demandOption: true,
            coerce: stringArg('--tasks'),
            describe: `comma-separated: ${Object.keys(zeroShotTasks).join(', ')}, or all`,
          },
          'tasks-dir': { type: 'string', coerce: stringArg('--tasks-dir'), describe: 'folder with <task>/<file> (default: the bundled subsets)' },
          limit: { type: 'string', coerce: integerArg('--limit', 1), describe: 'score only the first N items of each task' },
          backend: { choices: ['auto', ...BACKEND_NAMES] as const, default: 'auto' as const, describe: 'tfjs backend' },
          threads: {
            type: 'string',
            coerce: integerArg('--threads', 1),
            describe: 'worker threads for the decoder layers (1 = this thread)',
            defaultDescription: 'all cores (wasm/cpu), 1 (tensorflow)',
          },
          json: { type: 'boolean', default: false, describe: 'print the results as one JSON object' },
        })
        .example('$0 eval zeroshot --model ./llama-dass --tasks piqa,arc_easy --limit 200', ''),
    (a) =>
      select(async (ctx) => {
        const tasks = parseTaskList(a.tasks);
        const tasksDir = ctx.userPath(a.tasksDir) ?? defaultTasksDir;
        for (const task of tasks) {
          const file = join(tasksDir, task.file);
          if (!existsSync(file)) throw new UsageError(`--tasks ${task.name}: task file not found: ${file} (expected <tasks-dir>/${task.file})`);
          // Every task file is parsed once before the model loads: an empty or malformed one is refused at once.
          loadTaskDocs(task, tasksDir);
        }
        const { source, tokenizer } = await openModelWithTokenizer(ctx.userPath(a.model), ctx.userPath(a.tokenizer));
        try {
          const unusedTensors = warnUnusedTensors(ctx, source);
          const model = await causalLM(source, a.backend, a.threads);
          try {
            const scorer = withGreedyScoring(model);
            const results: ZeroShotResult[] = [];
            for (const task of tasks) {
              results.push(
                await evaluateZeroShot(scorer, tokenizer, task.name, {
                  tasksDir,
                  limit: a.limit,
                  onProgress: ({ done, total }) => {
                    ctx.throwIfInterrupted();
                    ctx.progress.update(`zero-shot ${task.name}`, done, total);
                  },
                }),
              );
            }
            ctx.progress.clear();
            if (a.json) {
              ctx.printJson({ model: a.model, tasksDir, limit: a.limit ?? null, unusedTensors, backend: backendReport(), results });
              return;
            }
            const rows = results.map((r) => [
              r.task,
              String(r.n),
              metric(r.acc, r.accStderr),
              metric(r.accNorm, r.accNormStderr),
              r.perplexity === undefined ? '-' : r.perplexity.toFixed(3),
              String(r.truncatedItems),
            ]);
            ctx.print(renderTable(['task', 'n', 'acc %', 'acc_norm %', 'ppl', 'truncated'], rows, ['n', 'acc %', 'acc_norm %', 'ppl', 'truncated']));
          } finally {
            model.dispose();
          }
        } finally {
          await source.close();
        }
      }),
  );
}
