/**
 * zod schemas of dass-repro grids: `gridFileSchema()` is the file people write (its JSON Schema is
 * `schemas/grid.schema.json`), `GridSpecSchema` the validated grid that `validateGrid` returns and cells carry (every
 * path absolute, every row expanded). The TypeScript types are derived from them. Every message is a full problem
 * text (`expected …, got …`), so `firstProblem` only has to prefix the key path.
 */
import { TEXT_SOURCE_FORMATS } from '@dass/calibration';
import { LAYER_RATIO_STRATEGIES, TARGET_SETS, describeValue } from '@dass/pipeline';
import { scoringMethodNames, weightUpdateNames } from '@dass/scoring';
import { BACKEND_NAMES } from '@dass/tensor-backend';
import { z } from 'zod';
import { PUBLISHED_RESULTS } from './published-results.js';

/** Error text `expected <what>, got <value>` (or `required (expected <what>)` for a missing value). */
export function expecting(what: string, missing: 'required' | 'got' = 'required') {
  return (issue: { input?: unknown }): string =>
    issue.input === undefined && missing === 'required' ? `required (expected ${what})` : `expected ${what}, got ${describeValue(issue.input)}`;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const NAME_RULE = 'letters, digits, ".", "_" or "-" (it names files)';
export const PARTIAL_GROUPS = ['error', 'dense'] as const;
export const BACKENDS = ['auto', ...BACKEND_NAMES] as const;

const text = () => z.string({ error: expecting('a non-empty string') }).refine((v) => v.trim() !== '', { error: expecting('a non-empty string') });
const fileName = () => z.string({ error: expecting(NAME_RULE) }).regex(NAME, { error: expecting(NAME_RULE) });
const integer = (min: number) => z.int({ error: expecting(`an integer >= ${min}`) }).min(min, { error: expecting(`an integer >= ${min}`) });
const oneOf = <T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: expecting(`one of ${values.join(', ')}`) });
const nonEmptyArray = <T extends z.ZodType>(item: T) =>
  z.array(item, { error: expecting('a non-empty array') }).min(1, { error: () => 'expected a non-empty array, got an empty one' });
/** One item, or a non-empty list of them; read as the list. */
const oneOrMore = <T extends z.ZodType>(item: T, what: string) =>
  z
    .union([item, nonEmptyArray(item)], { error: expecting(`${what}, or a non-empty list of them`) })
    .transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);
/** An object that refuses unknown keys (typos such as `tokeniser`), listing the known ones. */
const strict = <S extends z.ZodRawShape>(shape: S) =>
  z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `unknown key; expected one of ${Object.keys(shape).join(', ')}` : expecting('an object', 'got')(issue),
  });

// ---- the validated grid (what validateGrid returns and cells carry) ----

export const GridModelSchema = strict({
  name: fileName().describe('Short name used in cell ids and table headers'),
  path: z.string().describe('HF checkpoint dir or llama2.c .bin (absolute once validated)'),
  tokenizer: z.string().optional(),
  published: z.string().optional().describe('Key into PUBLISHED_RESULTS: the published numbers shown beside ours'),
});

export const GridPatternSchema = strict({
  sparsity: z.string().describe('As parseSparsity takes it, normalised by formatSparsity ("0.5", "2:4")'),
  partialGroups: z.enum(PARTIAL_GROUPS),
});

export const GridCalibrationSchema = strict({
  source: z.string(),
  format: z.enum(TEXT_SOURCE_FORMATS),
  nsamples: z.int().min(1),
  seqlen: z.int().min(2),
  seed: z.int().min(0),
});

export const GridPerplexitySetSchema = strict({
  name: fileName(),
  path: z.string(),
  format: z.enum(TEXT_SOURCE_FORMATS),
  seqlen: z.int().min(2),
  maxWindows: z.int().min(1).optional().describe('Score only the first windows (default: all)'),
});

export const GridZeroShotSchema = strict({
  tasks: z.array(z.string()),
  limit: z.int().min(1).optional(),
  tasksDir: z.string().optional().describe("Folder holding <task>/<file>; default: @dass/evaluation's bundled subsets"),
});

export const GridAnalysisSchema = strict({
  enabled: z.boolean(),
  k: z.array(z.number().positive()).describe("Outlier thresholds: a score is an outlier above k × the matrix's mean score"),
  bins: z.int().min(2).describe('Histogram bins of log10 ‖h_i‖ per layer'),
});

const optionValue = z.union([z.number(), z.string(), z.boolean()]);

export const GridMethodSchema = strict({
  key: fileName().describe('Cell-id part and table key: dass, dass-obs, wanda-owl, dass-alpha1'),
  label: z.string().describe('Table label: DaSS, DaSS + OBS, Wanda (OWL), DaSS (alpha 1)'),
  method: z.string(),
  update: z.string().optional(),
  layerRatios: z.enum(LAYER_RATIO_STRATEGIES).optional(),
  options: z.record(z.string(), optionValue).describe("Option values for this row (the entry's own, then the grid-level alpha where the method declares it)"),
  unstructuredOnly: z.boolean().optional().describe('Patterns this row cannot run (OWL with N:M): no cell, n/a in the tables'),
});

export const GridSpecSchema = strict({
  name: fileName(),
  description: z.string().optional(),
  models: z.array(GridModelSchema),
  methods: z.array(GridMethodSchema),
  alpha: z.number().min(0),
  patterns: z.array(GridPatternSchema),
  targets: z.array(z.string()),
  calibration: GridCalibrationSchema,
  perplexity: z.array(GridPerplexitySetSchema),
  zeroShot: GridZeroShotSchema.optional(),
  analysis: GridAnalysisSchema,
  backend: z.enum(BACKENDS),
  maxTokensPerPass: z.int().min(1).optional(),
});

export type GridModel = z.infer<typeof GridModelSchema>;
export type GridPattern = z.infer<typeof GridPatternSchema>;
export type GridCalibration = z.infer<typeof GridCalibrationSchema>;
export type GridPerplexitySet = z.infer<typeof GridPerplexitySetSchema>;
export type GridZeroShot = z.infer<typeof GridZeroShotSchema>;
export type GridAnalysis = z.infer<typeof GridAnalysisSchema>;
/**
 * One row of the grid's tables: a registered method, optionally with a weight update, a layer-ratio strategy and
 * option values. A grid entry whose options hold lists expands into one row per combination (a sweep axis).
 */
export type GridMethod = z.infer<typeof GridMethodSchema>;
/** A validated grid: every path absolute, every name checked against the registries. */
export type GridSpec = z.infer<typeof GridSpecSchema>;

// ---- the grid file (what people write) ----

export const DEFAULT_ANALYSIS: GridAnalysis = { enabled: true, k: [3, 5, 7, 10], bins: 30 };

/**
 * The grid file's schema, with the method, update, target, backend and published-results names registered when it
 * is built (plug-ins registered later need a new call). Structure only: what needs the registries' own rules (method
 * option values, sparsity strings, task names, duplicates) `validateGrid` checks on the parsed value.
 */
export function gridFileSchema() {
  const methods = scoringMethodNames() as [string, ...string[]];
  const updates = ['none', ...weightUpdateNames()] as [string, ...string[]];
  const targets = Object.keys(TARGET_SETS) as [string, ...string[]];
  const published = Object.keys(PUBLISHED_RESULTS) as [string, ...string[]];
  const sparsity = z.union([z.string(), z.number()], { error: expecting('a ratio in [0, 1) or "N:M" (a string, or a number for a ratio)') });
  const methodEntry = z
    .object(
      {
        method: oneOf(methods).describe('A registered pruning method'),
        update: oneOf(updates).optional().describe("A weight update applied under the method's mask"),
        layerRatios: oneOf(LAYER_RATIO_STRATEGIES).default('uniform').describe('How the target sparsity is spread over the layers'),
        key: text().optional().describe('Row key (cell ids, table keys); default from method, update and options'),
        label: text().optional().describe('Row label in the tables; default from the registry'),
      },
      { error: expecting('an object', 'got') },
    )
    .catchall(
      z
        .union([optionValue, z.array(optionValue)], { error: expecting('an option value (number, string or true/false) or a list of them') })
        .describe('An option the method (or its update) declares; a list is a sweep axis, one row per value'),
    );
  const perplexitySet = strict({
    path: text(),
    name: fileName().optional().describe("Default: the file's name without its extension"),
    format: oneOf(TEXT_SOURCE_FORMATS).default('auto'),
    seqlen: integer(2),
    maxWindows: integer(1).optional().describe('Score only the first windows (default: all)'),
  });
  return strict({
    name: fileName().describe('Names the output and the report'),
    description: text().optional(),
    models: nonEmptyArray(
      strict({
        path: text().describe('HF checkpoint dir or llama2.c .bin; relative to the grid file (or --root)'),
        name: fileName().optional().describe("Short name for cell ids and tables; default: the file's name"),
        tokenizer: text().optional(),
        published: oneOf(published).optional().describe('Show these published numbers beside ours'),
      }),
    ),
    methods: nonEmptyArray(
      z.union([oneOf(methods), methodEntry], {
        error: expecting(`one of ${methods.join(', ')}, or an entry {method, update?, layerRatios?, key?, label?, <option>: value | [values]}`),
      }),
    ),
    alpha: z
      .number({ error: expecting('a finite number >= 0') })
      .min(0, { error: expecting('a finite number >= 0') })
      .default(0.5)
      .describe("DaSS's α for every row whose method declares alpha"),
    patterns: nonEmptyArray(
      z.union([sparsity, strict({ sparsity, partialGroups: oneOf(PARTIAL_GROUPS).default('error') })], {
        error: expecting('a sparsity ("0.5", "2:4") or {sparsity, partialGroups}'),
      }),
    ),
    targets: oneOrMore(oneOf(targets), `one of ${targets.join(', ')}`).default(['mlp']),
    calibration: strict({
      source: text(),
      format: oneOf(TEXT_SOURCE_FORMATS).default('auto'),
      nsamples: integer(1).default(128),
      seqlen: integer(2).default(2048),
      seed: integer(0).default(0),
    }),
    backend: oneOf(BACKENDS).default('auto'),
    maxTokensPerPass: integer(1).optional(),
    evaluation: strict({
      perplexity: oneOrMore(perplexitySet, 'a perplexity set {path, seqlen, name?, format?, maxWindows?}').optional(),
      zeroShot: strict({
        tasks: nonEmptyArray(z.string({ error: expecting('a task name') })),
        limit: integer(1).optional(),
        tasksDir: text().optional(),
      }).optional(),
    }),
    analysis: strict({
      enabled: z.boolean({ error: expecting('true or false') }).default(true),
      k: nonEmptyArray(z.number({ error: expecting('a number > 0') }).positive({ error: expecting('a number > 0') })).default([3, 5, 7, 10]),
      bins: integer(2).default(30),
    }).default(DEFAULT_ANALYSIS),
    $schema: z
      .string({ error: expecting('a string') })
      .optional()
      .describe('For editors: where this JSON Schema lies (e.g. "node_modules/@dass/eval/schemas/grid.schema.json"); ignored'),
  });
}

export type GridFile = z.input<ReturnType<typeof gridFileSchema>>;
export type ParsedGridFile = z.output<ReturnType<typeof gridFileSchema>>;
