/** `dass inspect`: per-matrix sparsity of a checkpoint's decoder linears and N:M validity along both axes. */
import type { Argv } from 'yargs';
import { InvalidArgumentError } from '@dass/errors';
import { formatPercent, inspectMatrixSparsity, parseLinearTensorName, summarizeSparsity } from '@dass/evaluation';
import type { MatrixSparsity } from '@dass/evaluation';
import { DECODER_LINEARS, openModel } from '@dass/model-loader';
import type { DType } from '@dass/model-loader';
import { checkNM, parseSparsity } from '@dass/nm-sparsify';
import type { NmPattern } from '@dass/nm-sparsify';
import { stringArg } from '../arg-parsers.js';
import { UsageError } from '../cli-errors.js';
import type { SelectCommand } from '../command-context.js';
import { renderTable } from '../format-table.js';
import { warnUnusedTensors } from '../model-input.js';

export interface InspectRow {
  name: string;
  layer: number;
  linear: MatrixSparsity['linear'];
  /** [out, in] */
  shape: [number, number];
  dtype: DType;
  /** Counted in the `overTargets` total (per --targets). */
  target: boolean;
  zeros: number;
  total: number;
  sparsity: number;
  /** Per pattern ("2:4"): at least N zeros in every complete group of M along `in` (a row) and `out` (a column). */
  nm: Record<string, { in: boolean; out: boolean }>;
}

/** Parses `--nm 2:4,4:8` into N:M patterns. */
export function parseNmList(list: string): NmPattern[] {
  const patterns = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((text) => {
      let p;
      try {
        p = parseSparsity(text);
      } catch (err) {
        throw new UsageError(`--nm: ${InvalidArgumentError.isInstance(err) ? err.problem : (err as Error).message}`);
      }
      if (p.kind !== 'nm') throw new UsageError(`--nm: expected N:M patterns such as 2:4, got ${JSON.stringify(text)}`);
      return p;
    });
  if (patterns.length === 0) throw new UsageError(`--nm: expected a comma-separated list of N:M patterns, got ${JSON.stringify(list)}`);
  return patterns;
}

export function inspectCommand(y: Argv, select: SelectCommand): Argv {
  return y.command(
    'inspect',
    'Per-matrix sparsity, N:M validity on both axes, dtypes and shapes of a checkpoint',
    (c) =>
      c.options({
        model: { type: 'string', demandOption: true, coerce: stringArg('--model'), describe: 'Hugging Face checkpoint dir or llama2.c .bin' },
        targets: { choices: ['mlp', 'all'] as const, default: 'mlp' as const, describe: 'which linears the "targets" total counts' },
        nm: { type: 'string', default: '2:4,4:8', coerce: stringArg('--nm'), describe: 'N:M patterns to check' },
        json: { type: 'boolean', default: false, describe: 'print {rows, totals, …} as one JSON object' },
      }),
    (a) =>
      select(async (ctx) => {
        const patterns = parseNmList(a.nm);
        const source = await openModel(ctx.userPath(a.model));
        try {
          const unusedTensors = warnUnusedTensors(ctx, source);
          const names = source
            .tensorNames()
            .map((name) => ({ name, parsed: parseLinearTensorName(name) }))
            .filter((t) => t.parsed !== undefined)
            .sort((x, z) => x.parsed!.layer - z.parsed!.layer || DECODER_LINEARS.indexOf(x.parsed!.linear) - DECODER_LINEARS.indexOf(z.parsed!.linear));
          const rows: InspectRow[] = [];
          for (const [i, { name }] of names.entries()) {
            ctx.throwIfInterrupted();
            ctx.progress.update('inspecting', i, names.length);
            const t = await source.readF32(name);
            const m = inspectMatrixSparsity({ name, shape: t.shape, data: t.data }, { targets: a.targets })!;
            const nm: InspectRow['nm'] = {};
            for (const p of patterns) {
              nm[`${p.n}:${p.m}`] = {
                in: checkNM(t.data, m.shape, p.n, p.m, 'in', 'dense').valid,
                out: checkNM(t.data, m.shape, p.n, p.m, 'out', 'dense').valid,
              };
            }
            rows.push({
              name,
              layer: m.layer,
              linear: m.linear,
              shape: m.shape,
              dtype: source.dtype(name),
              target: m.target,
              zeros: m.zeros,
              total: m.total,
              sparsity: m.sparsity,
              nm,
            });
          }
          ctx.progress.clear();
          const totals = summarizeSparsity(rows);
          if (a.json) {
            ctx.printJson({
              model: a.model,
              format: source.format,
              architecture: source.config.architecture,
              unusedTensors,
              targets: a.targets,
              patterns: Object.keys(rows[0]?.nm ?? {}),
              rows,
              totals,
            });
            return;
          }
          const keys = patterns.map((p) => `${p.n}:${p.m}`);
          const axes = (v: { in: boolean; out: boolean }) => [v.in ? 'in' : '', v.out ? 'out' : ''].filter(Boolean).join('+') || '-';
          const table = renderTable(
            ['matrix', 'shape', 'dtype', 'zeros', 'sparsity', ...keys.map((k) => `${k} valid`)],
            rows.map((r) => [r.name, `${r.shape[0]}×${r.shape[1]}`, r.dtype, String(r.zeros), formatPercent(r.sparsity), ...keys.map((k) => axes(r.nm[k]!))]),
            ['zeros', 'sparsity'],
          );
          ctx.print(
            `${a.model} (${source.format}, ${source.config.architecture})\n${table}\n` +
              `targets (${a.targets}): ${formatPercent(totals.overTargets.ratio)} (${totals.overTargets.zeros}/${totals.overTargets.total}); ` +
              `all decoder linears: ${formatPercent(totals.overDecoderLinears.ratio)} (${totals.overDecoderLinears.zeros}/${totals.overDecoderLinears.total})`,
          );
        } finally {
          await source.close();
        }
      }),
  );
}
