/** `dass prune`: one pruning run (pipeline `runPrune`), the manifest on stdout with --json. */
import { basename } from 'node:path';
import type { Argv } from 'yargs';
import { TEXT_SOURCE_FORMATS } from '@dass/calibration';
import { runPrune } from '@dass/pipeline';
import type { PruneProgress, RunManifest } from '@dass/pipeline';
import { LAYER_RATIO_STRATEGIES } from '@dass/pipeline';
import { allMethodOptions, getScoringMethod, optionFlag, scoringMethodNames, weightUpdateNames } from '@dass/scoring';
import type { MethodOption, OptionOwner } from '@dass/scoring';
import { BACKEND_NAMES, GEMM_NAMES } from '@dass/tensor-backend';
import { integerArg, numberArg, stringArg } from '../arg-parsers.js';
import type { SelectCommand } from '../command-context.js';
import { checkOutputPath, checkpointOutputKind } from '../model-input.js';
import { removeOwnTemporaries } from '../temp-files.js';
import { formatPercent } from '@dass/evaluation';
import { formatBytes, formatSeconds } from '../format-table.js';

const STAGE_LABEL: Record<PruneProgress['stage'], string> = {
  load: 'loading model',
  calibrate: 'sampling calibration',
  embed: 'embedding',
  dense: 'dense pass',
  prune: 'pruning',
  pruned: 'pruned pass',
  write: 'writing',
  done: 'done',
};

/** The yargs declaration of one method option (no default: the method's own applies when the flag is absent). */
function optionFlagSpec(option: MethodOption, owners: readonly OptionOwner[]): Record<string, unknown> {
  const flag = `--${optionFlag(option.name)}`;
  const describe = `${option.description} [${owners.map((o) => (o.kind === 'method' ? o.name : `--update ${o.name}`)).join(', ')}]`;
  const defaultDescription = JSON.stringify(option.default);
  switch (option.type) {
    case 'boolean':
      return { type: 'boolean', describe, defaultDescription };
    case 'integer':
      return { type: 'string', coerce: integerArg(flag), describe, defaultDescription };
    case 'number':
      return { type: 'string', coerce: numberArg(flag), describe, defaultDescription };
    case 'string':
      return option.choices
        ? { choices: option.choices, describe, defaultDescription }
        : { type: 'string', coerce: stringArg(flag), describe, defaultDescription };
  }
}

/**
 * Flags for every option any registered method or update declares (`--alpha`, `--percdamp`, `--blocksize`, and a
 * plug-in's own), built when the command line is parsed: an entry registered before `main()` gets its flags.
 */
function methodOptionFlags(): { flags: Record<string, Record<string, unknown>>; names: string[] } {
  const flags: Record<string, Record<string, unknown>> = {};
  const names: string[] = [];
  for (const { option, declaredBy } of allMethodOptions()) {
    flags[optionFlag(option.name)] = optionFlagSpec(option, declaredBy);
    names.push(option.name);
  }
  return { flags, names };
}

function methodList(): string {
  return scoringMethodNames()
    .map((n) => `${n} (${getScoringMethod(n).label})`)
    .join(', ');
}

export function pruneCommand(y: Argv, select: SelectCommand): Argv {
  return y.command(
    'prune',
    'Prune a checkpoint with a registered method (magnitude, Wanda, DaSS, RIA, SparseGPT, ...) to unstructured or N:M sparsity',
    (c) =>
      c
        .options(methodOptionFlags().flags)
        .options({
          model: { type: 'string', demandOption: true, coerce: stringArg('--model'), describe: 'Hugging Face checkpoint dir or llama2.c .bin' },
          tokenizer: { type: 'string', coerce: stringArg('--tokenizer'), describe: 'tokenizer file (llama2.c models; HF dirs use their own)' },
          method: { type: 'string', demandOption: true, coerce: stringArg('--method'), describe: `pruning method: ${methodList()}` },
          update: {
            type: 'string',
            coerce: stringArg('--update'),
            describe: `weight update under the method's fixed mask: none, ${weightUpdateNames().join(', ')} (obs = SparseGPT's OBS update of the kept weights)`,
            defaultDescription: 'none',
          },
          'layer-ratios': {
            type: 'string',
            coerce: stringArg('--layer-ratios'),
            describe: `per-layer sparsity: ${LAYER_RATIO_STRATEGIES.join(', ')} (owl = OWL's outlier-weighted ratios, unstructured only)`,
            defaultDescription: 'uniform',
          },
          'owl-m': { type: 'string', coerce: numberArg('--owl-m'), describe: 'OWL outlier threshold M (× the layer mean score)', defaultDescription: '5' },
          'owl-lambda': {
            type: 'string',
            coerce: numberArg('--owl-lambda'),
            describe: 'OWL spread λ of the layer ratios around the target',
            defaultDescription: '0.08',
          },
          sparsity: { type: 'string', demandOption: true, coerce: stringArg('--sparsity'), describe: 'a ratio (0.5) or N:M, N zeroed in every M (2:4)' },
          targets: { choices: ['mlp', 'all'] as const, default: 'mlp' as const, describe: 'which linears to prune (all adds q/k/v/o)' },
          'partial-groups': {
            choices: ['error', 'dense'] as const,
            default: 'error' as const,
            describe: 'a dimension not divisible by M: refuse, or leave the tail group dense',
          },
          calib: {
            type: 'string',
            demandOption: true,
            coerce: stringArg('--calib'),
            describe: 'calibration text, .jsonl, .json.gz, or a calib.safetensors from `dass calib`',
          },
          'calib-format': { choices: TEXT_SOURCE_FORMATS, default: 'auto' as const, describe: 'how to read --calib text' },
          nsamples: { type: 'string', coerce: integerArg('--nsamples', 1), describe: 'calibration windows', defaultDescription: '128' },
          seqlen: {
            type: 'string',
            coerce: integerArg('--seqlen', 2),
            describe: 'tokens per window (clamped to the model context)',
            defaultDescription: '2048',
          },
          seed: { type: 'string', coerce: integerArg('--seed'), describe: 'sampler seed (Python random.seed)', defaultDescription: '0' },
          out: { type: 'string', demandOption: true, coerce: stringArg('--out'), describe: 'where to write the pruned checkpoint' },
          'out-format': { choices: ['same', 'hf', 'llama2c'] as const, default: 'same' as const, describe: 'output format (same = the input format)' },
          report: { type: 'string', coerce: stringArg('--report'), describe: 'also write the run manifest (run.json) here' },
          backend: { choices: ['auto', ...BACKEND_NAMES] as const, default: 'auto' as const, describe: 'tfjs backend' },
          gemm: {
            choices: GEMM_NAMES,
            default: 'auto' as const,
            describe: 'matrix products on the wasm backend: native (onnxruntime-node, MLAS), wasm (XNNPACK), auto = native when installed',
          },
          threads: {
            type: 'string',
            coerce: integerArg('--threads', 1),
            describe: 'worker threads for the decoder layers (1 = this thread)',
            defaultDescription: 'all cores (wasm/cpu), 1 (tensorflow)',
          },
          force: { type: 'boolean', default: false, describe: 'replace an existing --out (only a checkpoint written earlier; never an input)' },
          json: { type: 'boolean', default: false, describe: 'print the run manifest as JSON on stdout' },
        })
        .example('$0 prune --model stories260K.bin --tokenizer tok512.bin --method dass --sparsity 2:4 --calib train.txt --out pruned.bin', '')
        .example('$0 prune --model ./Llama-2-7b-hf --method wanda --sparsity 0.5 --calib c4.json.gz --out ./llama-wanda --report run.json', ''),
    (a) =>
      select(async (ctx) => {
        const model = ctx.userPath(a.model);
        const out = ctx.userPath(a.out);
        ctx.userPath(a.tokenizer);
        ctx.userPath(a.calib);
        // Before any work: no output is, holds or lies inside an input or the other output; --force replaces only a
        // previous checkpoint, and --report (always replaced) only a previous JSON report.
        const inputs = [
          { name: '--model', path: model },
          { name: '--tokenizer', path: a.tokenizer },
          { name: '--calib', path: a.calib },
        ];
        await checkOutputPath('--out', out, a.force, {
          inputs: [...inputs, { name: '--report', path: a.report, role: 'output' }],
          kind: await checkpointOutputKind(model, a.outFormat),
        });
        if (a.report !== undefined) await checkOutputPath('--report', ctx.userPath(a.report), true, { inputs, kind: 'json-file' });
        // The pipeline removes its partial output when it sees the signal (between layers); a second Ctrl-C exits
        // at once, so the temporaries are removed here.
        const unregister = ctx.onForcedExit(() => {
          removeOwnTemporaries(out);
          if (a.report !== undefined) removeOwnTemporaries(a.report);
        });
        const manifest = await runPrune({
          model,
          tokenizer: a.tokenizer,
          method: a.method,
          update: a.update,
          layerRatios: a.layerRatios,
          owlM: a.owlM,
          owlLambda: a.owlLambda,
          methodOptions: Object.fromEntries(methodOptionFlags().names.map((n) => [n, (a as Record<string, unknown>)[n]])),
          sparsity: a.sparsity,
          targets: a.targets,
          partialGroups: a.partialGroups,
          calib: a.calib,
          calibFormat: a.calibFormat,
          nsamples: a.nsamples,
          seqlen: a.seqlen,
          seed: a.seed,
          out,
          outFormat: a.outFormat,
          force: a.force,
          backend: a.backend,
          gemm: a.gemm,
          threads: a.threads,
          report: a.report,
          signal: ctx.signal,
          onWarning: (message) => ctx.warn(message),
          onProgress: (p) => {
            const inLayer = p.layer !== undefined && p.layer >= 0 && p.layers !== undefined;
            const layer = inLayer ? ` · layer ${p.layer! + 1}/${p.layers}` : '';
            const done = inLayer ? p.layer! + (p.stage === 'write' ? 1 : 0) : undefined;
            ctx.progress.update(
              `${a.method}${a.update && a.update !== 'none' ? `+${a.update}` : ''} ${a.sparsity}: ${STAGE_LABEL[p.stage]}${layer}`,
              done,
              p.layers,
            );
          },
        }).finally(unregister);
        ctx.progress.clear();
        if (a.json) ctx.printJson(manifest);
        else ctx.print(summary(manifest));
      }),
  );
}

function summary(m: RunManifest): string {
  const t = m.sparsity.overTargets;
  const d = m.sparsity.overDecoderLinears;
  return [
    `pruned ${basename(m.model.path)} (${m.model.architecture}, ${m.model.layers} layers) with ${m.label} at ${m.pattern}, targets ${m.targets}`,
    ...(Object.keys(m.options).length
      ? [
          `  options:  ${Object.entries(m.options)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`,
        ]
      : []),
    ...(m.layerRatios ? [`  layers:   ${m.layerRatios.strategy} ratios ${m.layerRatios.ratios.map((r) => r.toFixed(3)).join(', ')}`] : []),
    `  output:   ${m.output.path} (${m.output.format})`,
    `  sparsity: ${formatPercent(t.ratio)} of target weights (${t.zeros}/${t.total}), ${formatPercent(d.ratio)} of all decoder linears`,
    `  calib:    ${m.calibration.nsamples} × ${m.calibration.seqlen} tokens from ${m.calibration.source}, seed ${m.calibration.seed}`,
    `  time:     ${formatSeconds(m.wallSeconds)} on ${m.backend.name}${m.backend.gemm ? ` (${m.backend.gemm.engine})` : ''} × ${m.threads} thread${m.threads === 1 ? '' : 's'}, peak RSS ${formatBytes(m.peakRssBytes)}`,
    ...(m.denseTailWeights > 0 ? [`  note:     ${m.denseTailWeights} weights in incomplete tail groups left dense`] : []),
  ].join('\n');
}
