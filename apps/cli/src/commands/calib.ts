/** `dass calib`: sample calibration windows once and store them as `calib.safetensors` (docs/SPEC.md §4). */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { Argv } from 'yargs';
import { loadTextSource, sampleCalibration, TEXT_SOURCE_FORMATS, writeCalibArtifact } from '@dass/calibration';
import { loadTokenizer, openModel } from '@dass/model-loader';
import { integerArg, stringArg } from '../arg-parsers.js';
import { UsageError } from '../cli-errors.js';
import type { SelectCommand } from '../command-context.js';
import { checkOutputPath } from '../model-input.js';
import { removeOwnTemporaries } from '../temp-files.js';

const DEFAULTS = { nsamples: 128, seqlen: 2048, seed: 0 };

/** What the tokenizer must agree with when a model is given: its vocabulary and context. */
async function modelLimits(modelPath: string): Promise<{ vocabSize: number; maxPositions: number; format: 'hf' | 'llama2c' }> {
  const source = await openModel(modelPath);
  try {
    return { vocabSize: source.config.vocabSize, maxPositions: source.config.maxPositionEmbeddings, format: source.format };
  } finally {
    await source.close();
  }
}

export function calibCommand(y: Argv, select: SelectCommand): Argv {
  return y.command(
    'calib',
    'Sample seeded calibration windows from a text and save them as calib.safetensors (reusable with prune --calib)',
    (c) =>
      c
        .options({
          model: { type: 'string', coerce: stringArg('--model'), describe: 'the model the windows are for (its tokenizer, vocabulary and context)' },
          tokenizer: { type: 'string', coerce: stringArg('--tokenizer'), describe: 'tokenizer file (instead of, or with, --model)' },
          data: { type: 'string', demandOption: true, coerce: stringArg('--data'), describe: 'calibration text, .jsonl or .json.gz documents' },
          format: { choices: TEXT_SOURCE_FORMATS, default: 'auto' as const, describe: 'how to read --data (auto: by file name)' },
          nsamples: { type: 'string', coerce: integerArg('--nsamples', 1), describe: 'windows', defaultDescription: String(DEFAULTS.nsamples) },
          seqlen: { type: 'string', coerce: integerArg('--seqlen', 2), describe: 'tokens per window', defaultDescription: String(DEFAULTS.seqlen) },
          seed: { type: 'string', coerce: integerArg('--seed'), describe: 'sampler seed (Python random.seed)', defaultDescription: String(DEFAULTS.seed) },
          out: { type: 'string', demandOption: true, coerce: stringArg('--out'), describe: 'the calib.safetensors to write' },
          force: { type: 'boolean', default: false, describe: 'replace an existing --out (only a safetensors file; never an input)' },
          json: { type: 'boolean', default: false, describe: 'print what was written as JSON' },
        })
        .example('$0 calib --tokenizer tok512.bin --data train.txt --nsamples 128 --seqlen 256 --seed 0 --out calib.safetensors', ''),
    (a) =>
      select(async (ctx) => {
        if (a.model === undefined && a.tokenizer === undefined) {
          throw new UsageError('--model or --tokenizer: give at least one (the tokenizer that cuts --data into windows)');
        }
        const out = ctx.userPath(a.out);
        const data = ctx.userPath(a.data);
        const inputs = [
          { name: '--model', path: a.model },
          { name: '--tokenizer', path: a.tokenizer },
          { name: '--data', path: data },
        ];
        await checkOutputPath('--out', out, a.force, { inputs, kind: 'safetensors-file' });
        const nsamples = a.nsamples ?? DEFAULTS.nsamples;
        const seqlen = a.seqlen ?? DEFAULTS.seqlen;
        const seed = a.seed ?? DEFAULTS.seed;

        const limits = a.model === undefined ? undefined : await modelLimits(ctx.userPath(a.model));
        if (limits && seqlen > limits.maxPositions) {
          throw new UsageError(`--seqlen: ${seqlen} exceeds the model's context (${limits.maxPositions} tokens)`);
        }
        if (a.tokenizer === undefined && limits?.format === 'llama2c') {
          throw new UsageError(`--tokenizer: ${a.model} is a llama2.c checkpoint, which has no tokenizer inside; pass its tokenizer file`);
        }
        const tokenizerPath = ctx.userPath(a.tokenizer) ?? a.model!;
        const tokenizer = await loadTokenizer(tokenizerPath, limits ? { vocabSize: limits.vocabSize } : {});
        ctx.progress.update(`reading ${basename(data)}`);
        const source = await loadTextSource(data, a.format);
        ctx.throwIfInterrupted();
        ctx.progress.update(`sampling ${nsamples} × ${seqlen} tokens`);
        const samples = sampleCalibration({ source, tokenizer, nsamples, seqlen, seed });
        if (limits) {
          const bad = samples.inputIds.findIndex((id) => id >= limits.vocabSize);
          if (bad >= 0) {
            throw new UsageError(
              `${tokenizerPath}: the tokenizer produced id ${samples.inputIds[bad]} but the model ${a.model} has a vocabulary of ${limits.vocabSize}: it does not belong to this model`,
            );
          }
        }
        ctx.throwIfInterrupted();
        const metadata = {
          sourceSha256: source.sha256,
          tokenizerSha256: tokenizer.sha256,
          seed,
          seqlen: samples.seqlen,
          nsamples: samples.nsamples,
          sampler: samples.sampler,
          source: basename(data),
          // WikiText: rows joined with " " as the reference get_wikitext2 joins its train split.
          ...(samples.wikitextJoin === undefined ? {} : { wikitextJoin: samples.wikitextJoin }),
        };
        const unregister = ctx.exitOnInterrupt(() => removeOwnTemporaries(out));
        try {
          await writeCalibArtifact(out, samples, metadata, { inputs });
        } finally {
          unregister();
        }
        ctx.progress.clear();
        const ids = samples.inputIds;
        const idsSha256 = createHash('sha256')
          .update(new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength))
          .digest('hex');
        if (a.json) ctx.printJson({ out, ...metadata, idsSha256 });
        else ctx.print(`wrote ${out}: ${samples.nsamples} × ${samples.seqlen} tokens (${samples.sampler} sampler, seed ${seed}) from ${basename(data)}`);
      }),
  );
}
