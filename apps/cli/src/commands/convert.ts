/** `dass convert`: llama2.c `.bin` (+ tokenizer.bin) → Hugging Face checkpoint directory. */
import { basename } from 'node:path';
import type { Argv } from 'yargs';
import { convertLlama2cToHf, openModel } from '@dass/model-loader';
import { stringArg } from '../arg-parsers.js';
import { UsageError } from '../cli-errors.js';
import type { SelectCommand } from '../command-context.js';
import { formatBytes } from '../format-table.js';
import { checkOutputPath } from '../model-input.js';
import { removeOwnTemporaries } from '../temp-files.js';

export function convertCommand(y: Argv, select: SelectCommand): Argv {
  return y.command(
    'convert',
    'Convert a llama2.c checkpoint to a Hugging Face directory (config.json, model.safetensors, tokenizer.bin)',
    (c) =>
      c
        .options({
          model: { type: 'string', demandOption: true, coerce: stringArg('--model'), describe: 'llama2.c .bin checkpoint' },
          tokenizer: { type: 'string', demandOption: true, coerce: stringArg('--tokenizer'), describe: 'its tokenizer.bin (copied into the directory)' },
          out: { type: 'string', demandOption: true, coerce: stringArg('--out'), describe: 'the Hugging Face directory to create' },
          dtype: { choices: ['F32', 'F16', 'BF16'] as const, default: 'F32' as const, describe: 'storage dtype of the weights (F32 is exact)' },
          force: { type: 'boolean', default: false, describe: 'replace an existing --out (only a checkpoint folder written earlier; never an input)' },
          json: { type: 'boolean', default: false, describe: 'print the result as JSON' },
        })
        .example('$0 convert --model stories260K.bin --tokenizer tok512.bin --out ./stories260K-hf', ''),
    (a) =>
      select(async (ctx) => {
        const out = ctx.userPath(a.out);
        ctx.userPath(a.tokenizer);
        await checkOutputPath('--out', out, a.force, {
          inputs: [
            { name: '--model', path: a.model },
            { name: '--tokenizer', path: a.tokenizer },
          ],
          kind: 'checkpoint-dir',
        });
        const checkpoint = await openModel(ctx.userPath(a.model));
        // The converter has no abort hook: an interrupt exits at once and removes its temporary folder.
        const unregister = ctx.exitOnInterrupt(() => removeOwnTemporaries(out));
        try {
          if (checkpoint.format !== 'llama2c') throw new UsageError(`--model ${a.model}: already a Hugging Face checkpoint; convert takes a llama2.c .bin`);
          ctx.progress.update(`converting ${basename(a.model)}`);
          const result = await convertLlama2cToHf({ checkpoint, tokenizerPath: a.tokenizer, outDir: out, dtype: a.dtype, force: a.force });
          ctx.progress.clear();
          if (a.json)
            ctx.printJson({
              model: a.model,
              tokenizer: a.tokenizer,
              out: result.outDir,
              dtype: a.dtype,
              tensorCount: result.tensorCount,
              weightBytes: result.weightBytes,
            });
          else ctx.print(`wrote ${result.outDir}: ${result.tensorCount} tensors, ${formatBytes(result.weightBytes)} of ${a.dtype} weights`);
        } finally {
          unregister();
          await checkpoint.close();
        }
      }),
  );
}
