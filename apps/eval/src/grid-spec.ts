import { basename, isAbsolute, resolve } from 'node:path';
import { TEXT_SOURCE_FORMATS } from '@dass/calibration';
import type { TextSourceFormat } from '@dass/calibration';
import { getZeroShotTask } from '@dass/evaluation';
import { formatSparsity, parseSparsity } from '@dass/nm-sparsify';
import type { PartialGroups } from '@dass/nm-sparsify';
import { LAYER_RATIO_STRATEGIES, TARGET_SETS, runLabel } from '@dass/pipeline';
import type { LayerRatioStrategy } from '@dass/pipeline';
import { getScoringMethod, getWeightUpdate, optionProblem, scoringMethodNames, weightUpdateNames } from '@dass/scoring';
import type { MethodOption, OptionValue } from '@dass/scoring';
import { BACKEND_NAMES } from '@dass/tensor-backend';
import type { BackendRequest } from '@dass/tensor-backend';
import { GridError, ObjectReader, describeValue } from './grid-error.js';
import { PUBLISHED_RESULTS } from './published-results.js';

export interface GridModel {
  /** Short name used in cell ids and table headers. */
  name: string;
  /** HF checkpoint dir or llama2.c `.bin` (absolute once validated). */
  path: string;
  tokenizer?: string;
  /** Key into PUBLISHED_RESULTS: the published numbers shown beside ours. */
  published?: string;
}

export interface GridPattern {
  /** As `parseSparsity` takes it, normalised by `formatSparsity` ("0.5", "2:4"). */
  sparsity: string;
  partialGroups: PartialGroups;
}

export interface GridCalibration {
  source: string;
  format: TextSourceFormat;
  nsamples: number;
  seqlen: number;
  seed: number;
}

export interface GridPerplexitySet {
  name: string;
  path: string;
  format: TextSourceFormat;
  seqlen: number;
  /** Score only the first windows (default: all). */
  maxWindows?: number;
}

export interface GridZeroShot {
  tasks: string[];
  limit?: number;
  /** Folder holding `<task>/<file>`; default: @dass/evaluation's bundled subsets. */
  tasksDir?: string;
}

export interface GridAnalysis {
  enabled: boolean;
  /** Outlier thresholds: a score is an outlier above k × the matrix's mean score. */
  k: number[];
  /** Histogram bins of log10 ‖h_i‖ per layer. */
  bins: number;
}

/**
 * One row of the grid's tables: a registered method, optionally with a weight update, a layer-ratio strategy and
 * option values. A grid entry whose options hold lists expands into one row per combination (a sweep axis).
 */
export interface GridMethod {
  /** Cell-id part and table key: `dass`, `dass-obs`, `wanda-owl`, `dass-alpha1`. */
  key: string;
  /** Table label: `DaSS`, `DaSS + OBS`, `Wanda (OWL)`, `DaSS (alpha 1)`. */
  label: string;
  method: string;
  update?: string;
  layerRatios?: LayerRatioStrategy;
  /** Option values for this row (the entry's own, then the grid-level `alpha` where the method declares it). */
  options: Record<string, OptionValue>;
  /** Patterns this row cannot run (OWL with N:M): no cell, `n/a` in the tables. */
  unstructuredOnly?: boolean;
}

/** A validated grid: every path absolute, every name checked against the registries. */
export interface GridSpec {
  name: string;
  description?: string;
  models: GridModel[];
  methods: GridMethod[];
  alpha: number;
  patterns: GridPattern[];
  targets: string[];
  calibration: GridCalibration;
  perplexity: GridPerplexitySet[];
  zeroShot?: GridZeroShot;
  analysis: GridAnalysis;
  backend: BackendRequest;
  maxTokensPerPass?: number;
}

export interface ValidateGridOptions {
  /** Names the grid in error messages (its file, or `built-in "tiny"`). */
  file: string;
  /** Relative paths in the grid resolve against this folder. */
  root: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const PARTIAL_GROUPS: readonly PartialGroups[] = ['error', 'dense'];
const BACKENDS: readonly BackendRequest[] = ['auto', ...BACKEND_NAMES];

function checkName(r: ObjectReader, key: string, value: string): string {
  if (!NAME.test(value)) r.fail(key, `expected letters, digits, ".", "_" or "-" (it names files), got ${describeValue(value)}`);
  return value;
}

function unique(file: string, at: string, values: string[], what: string): void {
  const seen = new Set<string>();
  values.forEach((v, i) => {
    if (seen.has(v)) throw new GridError(file, `${at}[${i}]`, `${what} ${JSON.stringify(v)} is listed twice`);
    seen.add(v);
  });
}

function models(r: ObjectReader, abs: (p: string) => string): GridModel[] {
  const items = r.array('models', { required: true })!;
  const out = items.map((item, i) => {
    const m = ObjectReader.of(r.file, `${r.path('models')}[${i}]`, item);
    const path = m.string('path');
    const name = checkName(m, 'name', m.string('name', undefined) ?? basename(path).replace(/\.bin$/, ''));
    const tokenizer = m.string('tokenizer', undefined);
    const published = m.string('published', undefined);
    if (published !== undefined && !Object.hasOwn(PUBLISHED_RESULTS, published)) {
      m.fail('published', `expected one of ${Object.keys(PUBLISHED_RESULTS).join(', ')}, got ${describeValue(published)}`);
    }
    m.done();
    return { name, path: abs(path), ...(tokenizer ? { tokenizer: abs(tokenizer) } : {}), ...(published ? { published } : {}) };
  });
  unique(r.file, r.path('models'), out.map((m) => m.name), 'model name');
  return out;
}

const METHOD_ENTRY_KEYS = ['method', 'update', 'layerRatios', 'key', 'label'];

function valueSlug(v: OptionValue): string {
  return String(v).replace(/[^A-Za-z0-9]+/g, 'p').replace(/^p|p$/g, '');
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
function methods(r: ObjectReader, alpha: number): GridMethod[] {
  const known = scoringMethodNames();
  const items = r.array('methods', { required: true })!;
  const out = items.flatMap((item, i): GridMethod[] => {
    const at = `${r.path('methods')}[${i}]`;
    const e = typeof item === 'string' ? undefined : ObjectReader.of(r.file, at, item);
    const name = e ? e.raw('method') : item;
    if (typeof name !== 'string' || !known.includes(name)) {
      throw new GridError(r.file, e ? `${at}.method` : at, `expected one of ${known.join(', ')}, got ${describeValue(name)}`);
    }
    const method = getScoringMethod(name);
    const updateName = e?.string('update', undefined);
    if (updateName !== undefined && updateName !== 'none' && !weightUpdateNames().includes(updateName)) e!.fail('update', `expected one of none, ${weightUpdateNames().join(', ')}, got ${describeValue(updateName)}`);
    const update = updateName && updateName !== 'none' ? getWeightUpdate(updateName) : undefined;
    if (update && method.prune) e!.fail('update', `${name} chooses its mask inside its own step; an update needs a method that scores`);
    const layerRatios = e ? e.oneOf('layerRatios', LAYER_RATIO_STRATEGIES, 'uniform') : 'uniform';
    const declared: MethodOption[] = [...method.options, ...(update?.options ?? []).filter((o) => !method.options.some((m) => m.name === o.name))];
    const axes: [string, OptionValue[]][] = [];
    const raw = (item ?? {}) as Record<string, unknown>;
    for (const key of e ? Object.keys(raw) : []) {
      if (METHOD_ENTRY_KEYS.includes(key)) continue;
      const option = declared.find((o) => o.name === key);
      if (!option) {
        e!.fail(key, `${name}${update ? ` with update ${update.name}` : ''} has no option ${JSON.stringify(key)} (${declared.length ? `options: ${declared.map((o) => o.name).join(', ')}` : 'it takes none'})`);
      }
      const value = e!.raw(key);
      const values = Array.isArray(value) ? value : [value];
      if (values.length === 0) e!.fail(key, 'expected a value or a non-empty list');
      values.forEach((v, vi) => {
        const problem = optionProblem(option!, v);
        if (problem) throw new GridError(r.file, Array.isArray(value) ? `${e!.path(key)}[${vi}]` : e!.path(key), `expected ${problem}, got ${describeValue(v)}`);
      });
      axes.push([key, values as OptionValue[]]);
    }
    const keyBase = e?.string('key', undefined);
    const labelBase = e?.string('label', undefined);
    e?.done();
    // Explicit options distinguish a row from the plain method's; with a given key/label only swept ones are added.
    const swept = axes.filter(([, v]) => v.length > 1).map(([k]) => k);
    const inKey = keyBase ? swept : axes.map(([k]) => k);
    const inLabel = labelBase ? swept : axes.map(([k]) => k);
    return combinations(axes).map((given) => {
      const options: Record<string, OptionValue> = { ...given };
      // The grid-level alpha (DaSS's α in the paper grid) applies to every row whose method declares alpha.
      if (declared.some((o) => o.name === 'alpha') && options.alpha === undefined) options.alpha = alpha;
      const key = (keyBase ?? [name, update?.name, layerRatios === 'owl' ? 'owl' : undefined].filter(Boolean).join('-')) + inKey.map((k) => `-${k}${valueSlug(given[k]!)}`).join('');
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
  out.forEach((m) => checkName(r, 'methods', m.key));
  unique(r.file, r.path('methods'), out.map((m) => m.key), 'method row');
  return out;
}

function patterns(r: ObjectReader): GridPattern[] {
  const items = r.array('patterns', { required: true })!;
  const out = items.map((item, i) => {
    const at = `${r.path('patterns')}[${i}]`;
    const p = typeof item === 'string' || typeof item === 'number' ? undefined : ObjectReader.of(r.file, at, item);
    const raw = p ? p.raw('sparsity') : item;
    let sparsity: string;
    try {
      sparsity = formatSparsity(parseSparsity(raw as string));
    } catch (err) {
      throw new GridError(r.file, p ? `${at}.sparsity` : at, (err as Error).message.replace(/^sparsity: /, ''));
    }
    if (sparsity === '0') throw new GridError(r.file, p ? `${at}.sparsity` : at, 'a ratio of 0 prunes nothing; the dense baseline is always run');
    const partialGroups = p ? p.oneOf('partialGroups', PARTIAL_GROUPS, 'error') : 'error';
    p?.done();
    return { sparsity, partialGroups };
  });
  unique(r.file, r.path('patterns'), out.map((p) => p.sparsity), 'pattern');
  return out;
}

function targets(r: ObjectReader): string[] {
  const known = Object.keys(TARGET_SETS);
  const items = r.array('targets', { allowSingle: true }) ?? ['mlp'];
  const out = items.map((v, i) => {
    if (typeof v !== 'string' || !known.includes(v)) {
      const at = Array.isArray(r.raw('targets')) ? `${r.path('targets')}[${i}]` : r.path('targets');
      throw new GridError(r.file, at, `expected one of ${known.join(', ')}, got ${describeValue(v)}`);
    }
    return v;
  });
  unique(r.file, r.path('targets'), out, 'target set');
  return out;
}

function calibration(r: ObjectReader, abs: (p: string) => string): GridCalibration {
  const c = ObjectReader.of(r.file, r.path('calibration'), r.raw('calibration'));
  const out = {
    source: abs(c.string('source')),
    format: c.oneOf('format', TEXT_SOURCE_FORMATS, 'auto'),
    nsamples: c.integer('nsamples', 1, 128),
    seqlen: c.integer('seqlen', 2, 2048),
    seed: c.integer('seed', 0, 0),
  };
  c.done();
  return out;
}

function perplexitySets(e: ObjectReader, abs: (p: string) => string): GridPerplexitySet[] {
  const items = e.array('perplexity', { allowSingle: true }) ?? [];
  const out = items.map((item, i) => {
    const p = ObjectReader.of(e.file, `${e.path('perplexity')}[${i}]`, item);
    const path = p.string('path');
    const name = checkName(p, 'name', p.string('name', undefined) ?? basename(path).replace(/\.[^.]*$/, ''));
    const set: GridPerplexitySet = {
      name,
      path: abs(path),
      format: p.oneOf('format', TEXT_SOURCE_FORMATS, 'auto'),
      seqlen: p.integer('seqlen', 2, 2048),
    };
    const maxWindows = p.optionalInteger('maxWindows', 1);
    if (maxWindows !== undefined) set.maxWindows = maxWindows;
    p.done();
    return set;
  });
  unique(e.file, e.path('perplexity'), out.map((s) => s.name), 'perplexity set name');
  return out;
}

function zeroShot(e: ObjectReader, abs: (p: string) => string): GridZeroShot | undefined {
  if (!e.has('zeroShot')) {
    e.raw('zeroShot');
    return undefined;
  }
  const z = ObjectReader.of(e.file, e.path('zeroShot'), e.raw('zeroShot'));
  const tasks = z.array('tasks', { required: true })!.map((v, i) => {
    try {
      return getZeroShotTask(v as string).name;
    } catch (err) {
      throw new GridError(z.file, `${z.path('tasks')}[${i}]`, (err as Error).message.replace(/^task: /, ''));
    }
  });
  unique(z.file, z.path('tasks'), tasks, 'task');
  const out: GridZeroShot = { tasks };
  const limit = z.optionalInteger('limit', 1);
  if (limit !== undefined) out.limit = limit;
  const tasksDir = z.string('tasksDir', undefined);
  if (tasksDir !== undefined) out.tasksDir = abs(tasksDir);
  z.done();
  return out;
}

function analysis(r: ObjectReader): GridAnalysis {
  if (!r.has('analysis')) {
    r.raw('analysis');
    return { enabled: true, k: [3, 5, 7, 10], bins: 30 };
  }
  const a = ObjectReader.of(r.file, r.path('analysis'), r.raw('analysis'));
  const enabled = a.boolean('enabled', true);
  const kRaw = a.array('k') ?? [3, 5, 7, 10];
  const k = kRaw.map((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new GridError(a.file, `${a.path('k')}[${i}]`, `expected a number > 0, got ${describeValue(v)}`);
    return v;
  });
  const bins = a.integer('bins', 2, 30);
  a.done();
  return { enabled, k, bins };
}

/**
 * Checks a parsed grid file and resolves its relative paths against `options.root`. Every problem is a GridError
 * naming the file, the key (`patterns[2].partialGroups`) and what was expected. Files are not opened here: a
 * missing checkpoint fails only its own cells.
 */
export function validateGrid(raw: unknown, options: ValidateGridOptions): GridSpec {
  if (options == null || typeof options.file !== 'string' || typeof options.root !== 'string') {
    throw new TypeError(`options: expected {file, root} strings, got ${describeValue(options)}`);
  }
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(options.root, p));
  const r = ObjectReader.of(options.file, '', raw);
  const name = checkName(r, 'name', r.string('name'));
  const description = r.string('description', undefined);
  const spec: GridSpec = {
    name,
    ...(description ? { description } : {}),
    models: models(r, abs),
    methods: [],
    alpha: r.number('alpha', (v) => Number.isFinite(v) && v >= 0, 'a finite number >= 0', 0.5),
    patterns: patterns(r),
    targets: targets(r),
    calibration: calibration(r, abs),
    perplexity: [],
    analysis: { enabled: true, k: [], bins: 0 },
    backend: r.oneOf('backend', BACKENDS, 'auto'),
  };
  spec.methods = methods(r, spec.alpha);
  const maxTokensPerPass = r.optionalInteger('maxTokensPerPass', 1);
  if (maxTokensPerPass !== undefined) spec.maxTokensPerPass = maxTokensPerPass;
  const e = ObjectReader.of(options.file, 'evaluation', r.raw('evaluation'));
  spec.perplexity = perplexitySets(e, abs);
  const z = zeroShot(e, abs);
  if (z) spec.zeroShot = z;
  e.done();
  if (spec.perplexity.length === 0 && !spec.zeroShot) e.fail('perplexity', 'the grid evaluates nothing: give perplexity sets, zeroShot tasks, or both');
  spec.analysis = analysis(r);
  r.done();
  return spec;
}
