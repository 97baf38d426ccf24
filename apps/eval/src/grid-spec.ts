import { basename, isAbsolute, resolve } from 'node:path';
import { InvalidArgumentError } from '@dass/errors';
import { getZeroShotTask } from '@dass/evaluation';
import { formatSparsity, parseSparsity } from '@dass/nm-sparsify';
import { describeIssue, describeValue, firstProblem, runLabel } from '@dass/pipeline';
import { getScoringMethod, getWeightUpdate, optionProblem } from '@dass/scoring';
import type { MethodOption, OptionValue } from '@dass/scoring';
import { GridError } from './grid-error.js';
import { DEFAULT_ANALYSIS, gridFileSchema } from './grid-schema.js';
import type { GridMethod, GridModel, GridPattern, GridPerplexitySet, GridSpec, GridZeroShot, ParsedGridFile } from './grid-schema.js';

export type { GridAnalysis, GridCalibration, GridMethod, GridModel, GridPattern, GridPerplexitySet, GridSpec, GridZeroShot } from './grid-schema.js';

export interface ValidateGridOptions {
  /** Names the grid in error messages (its file, or `built-in "tiny"`). */
  file: string;
  /** Relative paths in the grid resolve against this folder. */
  root: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function unique(file: string, at: string, values: string[], what: string): void {
  const seen = new Set<string>();
  values.forEach((v, i) => {
    if (seen.has(v)) throw new GridError(file, `${at}[${i}]`, `${what} ${JSON.stringify(v)} is listed twice`);
    seen.add(v);
  });
}

function checkName(file: string, at: string, value: string): string {
  if (!NAME.test(value)) throw new GridError(file, at, `expected letters, digits, ".", "_" or "-" (it names files), got ${describeValue(value)}`);
  return value;
}

const METHOD_ENTRY_KEYS = ['method', 'update', 'layerRatios', 'key', 'label'];

function valueSlug(v: OptionValue): string {
  return String(v)
    .replace(/[^A-Za-z0-9]+/g, 'p')
    .replace(/^p|p$/g, '');
}

/** Every combination of the list-valued options (in declaration order; scalars are one-value lists). */
function combinations(axes: [string, OptionValue[]][]): Record<string, OptionValue>[] {
  let out: Record<string, OptionValue>[] = [{}];
  for (const [name, values] of axes) out = out.flatMap((o) => values.map((v) => ({ ...o, [name]: v })));
  return out;
}

/**
 * `methods`: names (`"dass"`) or entries `{method, update?, layerRatios?, key?, label?, <option>: value | [values]}`.
 * Option keys are the options the method (and its update) declare in the registry, checked by their rules; a list
 * is a sweep axis (one row per value; the values show in the key and the label).
 */
function methods(file: string, items: ParsedGridFile['methods'], alpha: number): GridMethod[] {
  const out = items.flatMap((item, i): GridMethod[] => {
    const at = `methods[${i}]`;
    const entry = typeof item === 'string' ? { method: item, layerRatios: 'uniform' as const } : item;
    const name = entry.method;
    const method = getScoringMethod(name);
    const updateName = entry.update;
    const update = updateName && updateName !== 'none' ? getWeightUpdate(updateName) : undefined;
    if (update && method.prune) throw new GridError(file, `${at}.update`, `${name} chooses its mask inside its own step; an update needs a method that scores`);
    const layerRatios = entry.layerRatios;
    const declared: MethodOption[] = [...method.options, ...(update?.options ?? []).filter((o) => !method.options.some((m) => m.name === o.name))];
    const axes: [string, OptionValue[]][] = [];
    for (const [key, value] of Object.entries(entry)) {
      if (METHOD_ENTRY_KEYS.includes(key)) continue;
      const option = declared.find((o) => o.name === key);
      if (!option) {
        throw new GridError(
          file,
          `${at}.${key}`,
          `${name}${update ? ` with update ${update.name}` : ''} has no option ${JSON.stringify(key)} (${declared.length ? `options: ${declared.map((o) => o.name).join(', ')}` : 'it takes none'})`,
        );
      }
      const values = (Array.isArray(value) ? value : [value]) as OptionValue[];
      if (values.length === 0) throw new GridError(file, `${at}.${key}`, 'expected a value or a non-empty list');
      values.forEach((v, vi) => {
        const problem = optionProblem(option, v);
        if (problem) throw new GridError(file, Array.isArray(value) ? `${at}.${key}[${vi}]` : `${at}.${key}`, `expected ${problem}, got ${describeValue(v)}`);
      });
      axes.push([key, values]);
    }
    const keyBase = typeof entry.key === 'string' ? entry.key : undefined;
    const labelBase = typeof entry.label === 'string' ? entry.label : undefined;
    // Explicit options distinguish a row from the plain method's; with a given key/label only swept ones are added.
    const swept = axes.filter(([, v]) => v.length > 1).map(([k]) => k);
    const inKey = keyBase ? swept : axes.map(([k]) => k);
    const inLabel = labelBase ? swept : axes.map(([k]) => k);
    return combinations(axes).map((given) => {
      const options: Record<string, OptionValue> = { ...given };
      // The grid-level alpha (DaSS's α in the paper grid) applies to every row whose method declares alpha.
      if (declared.some((o) => o.name === 'alpha') && options.alpha === undefined) options.alpha = alpha;
      const key =
        (keyBase ?? [name, update?.name, layerRatios === 'owl' ? 'owl' : undefined].filter(Boolean).join('-')) +
        inKey.map((k) => `-${k}${valueSlug(given[k]!)}`).join('');
      const label = (labelBase ?? runLabel(method, update, layerRatios)) + (inLabel.length ? ` (${inLabel.map((k) => `${k} ${given[k]}`).join(', ')})` : '');
      return {
        key,
        label,
        method: name,
        ...(update ? { update: update.name } : {}),
        ...(layerRatios !== 'uniform' ? { layerRatios } : {}),
        options,
        ...(layerRatios === 'owl' ? { unstructuredOnly: true } : {}),
      };
    });
  });
  out.forEach((m) => checkName(file, 'methods', m.key));
  unique(
    file,
    'methods',
    out.map((m) => m.key),
    'method row',
  );
  return out;
}

function patterns(file: string, items: ParsedGridFile['patterns']): GridPattern[] {
  const out = items.map((item, i) => {
    const short = typeof item === 'string' || typeof item === 'number';
    const at = short ? `patterns[${i}]` : `patterns[${i}].sparsity`;
    let sparsity: string;
    try {
      sparsity = formatSparsity(parseSparsity((short ? item : item.sparsity) as string));
    } catch (err) {
      throw new GridError(file, at, InvalidArgumentError.isInstance(err) ? err.problem : (err as Error).message);
    }
    if (sparsity === '0') throw new GridError(file, at, 'a ratio of 0 prunes nothing; the dense baseline is always run');
    return { sparsity, partialGroups: short ? 'error' : item.partialGroups };
  });
  unique(
    file,
    'patterns',
    out.map((p) => p.sparsity),
    'pattern',
  );
  return out;
}

function zeroShot(file: string, z: NonNullable<ParsedGridFile['evaluation']['zeroShot']>, abs: (p: string) => string): GridZeroShot {
  const tasks = z.tasks.map((v, i) => {
    try {
      return getZeroShotTask(v).name;
    } catch (err) {
      throw new GridError(file, `evaluation.zeroShot.tasks[${i}]`, InvalidArgumentError.isInstance(err) ? err.problem : (err as Error).message);
    }
  });
  unique(file, 'evaluation.zeroShot.tasks', tasks, 'task');
  return { tasks, ...(z.limit !== undefined ? { limit: z.limit } : {}), ...(z.tasksDir !== undefined ? { tasksDir: abs(z.tasksDir) } : {}) };
}

/**
 * Checks a parsed grid file against `gridFileSchema()` (the structure, exported as `schemas/grid.schema.json`) and
 * the registries (method options, sparsity strings, task names, duplicates), and resolves its relative paths against
 * `options.root`. Every problem is a GridError naming the file, the key (`patterns[2].partialGroups`), what was
 * expected and what was there. Files are not opened here: a missing checkpoint fails only its own cells.
 */
export function validateGrid(raw: unknown, options: ValidateGridOptions): GridSpec {
  if (options == null || typeof options.file !== 'string' || typeof options.root !== 'string') {
    throw new TypeError(`options: expected {file, root} strings, got ${describeValue(options)}`);
  }
  const { file } = options;
  const parsed = gridFileSchema().safeParse(raw, { error: describeIssue, reportInput: true });
  if (!parsed.success) {
    const { key, problem } = firstProblem(parsed.error);
    throw new GridError(file, key, problem);
  }
  const g = parsed.data;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(options.root, p));
  const models: GridModel[] = g.models.map((m) => ({
    name: m.name ?? basename(m.path).replace(/\.bin$/, ''),
    path: abs(m.path),
    ...(m.tokenizer ? { tokenizer: abs(m.tokenizer) } : {}),
    ...(m.published ? { published: m.published } : {}),
  }));
  models.forEach((m, i) => checkName(file, `models[${i}].name`, m.name));
  unique(
    file,
    'models',
    models.map((m) => m.name),
    'model name',
  );
  const patternList = patterns(file, g.patterns);
  unique(file, 'targets', g.targets, 'target set');
  const perplexity: GridPerplexitySet[] = (g.evaluation.perplexity ?? []).map((p, i) => {
    const name = checkName(file, `evaluation.perplexity[${i}].name`, p.name ?? basename(p.path).replace(/\.[^.]*$/, ''));
    return { name, path: abs(p.path), format: p.format, seqlen: p.seqlen, ...(p.maxWindows !== undefined ? { maxWindows: p.maxWindows } : {}) };
  });
  unique(
    file,
    'evaluation.perplexity',
    perplexity.map((s) => s.name),
    'perplexity set name',
  );
  const zero = g.evaluation.zeroShot ? zeroShot(file, g.evaluation.zeroShot, abs) : undefined;
  if (perplexity.length === 0 && !zero)
    throw new GridError(file, 'evaluation.perplexity', 'the grid evaluates nothing: give perplexity sets, zeroShot tasks, or both');
  return {
    name: g.name,
    ...(g.description ? { description: g.description } : {}),
    models,
    methods: methods(file, g.methods, g.alpha),
    alpha: g.alpha,
    patterns: patternList,
    targets: g.targets,
    calibration: { ...g.calibration, source: abs(g.calibration.source) },
    perplexity,
    ...(zero ? { zeroShot: zero } : {}),
    analysis: g.analysis ?? DEFAULT_ANALYSIS,
    backend: g.backend,
    ...(g.maxTokensPerPass !== undefined ? { maxTokensPerPass: g.maxTokensPerPass } : {}),
  };
}
