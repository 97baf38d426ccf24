import { createHash } from 'node:crypto';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { canonicalJson } from './grid-cells.js';
import type { CellSpec } from './grid-cells.js';

/** The BullMQ queue every coordinator publishes to and every worker takes from (one Redis database per queue URL). */
export const QUEUE_NAME = 'dass-repro';
/** Key prefix of BullMQ's keys and of ours. */
export const QUEUE_PREFIX = 'dass';
/** Redis hash: job id → canonical JSON of the portable cell spec a coordinator published. Workers run nothing else. */
export const PUBLISHED_KEY = `${QUEUE_PREFIX}:${QUEUE_NAME}:published`;
/** Marks a path inside the app's bundled assets: every machine resolves it against its own copy. */
export const ASSETS_MARK = '<assets>/';

/** What one BullMQ job carries: the cell's settings (plain JSON, never code). */
export interface CellJobData {
  kind: 'dass-repro/cell-job';
  version: 1;
  /** The grid's name, for dashboards. */
  grid: string;
  /** The cell with machine-independent paths (see `toPortableSpec`). */
  spec: CellSpec;
  keepCheckpoint: boolean;
}

/** Progress a worker reports on a running job. */
export interface CellJobProgress {
  worker: string;
  host: string;
  step?: string;
}

/** Applies `f` to every file path a cell names (model, tokenizer, calibration source, evaluation sets, task folder). */
export function mapCellPaths(spec: CellSpec, f: (path: string) => string): CellSpec {
  const out: CellSpec = structuredClone(spec);
  out.model.path = f(out.model.path);
  if (out.model.tokenizer !== undefined) out.model.tokenizer = f(out.model.tokenizer);
  if (out.calibration) out.calibration.source = f(out.calibration.source);
  out.perplexity = out.perplexity.map((p) => ({ ...p, path: f(p.path) }));
  if (out.zeroShot?.tasksDir !== undefined) out.zeroShot.tasksDir = f(out.zeroShot.tasksDir);
  return out;
}

/** Every file path a cell names, once each. */
export function cellPaths(spec: CellSpec): string[] {
  const paths: string[] = [];
  mapCellPaths(spec, (p) => (paths.push(p), p));
  return [...new Set(paths)];
}

function inside(dir: string, path: string): string | undefined {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : undefined;
}

/**
 * The cell as workers on other machines see it: a path inside the bundled assets becomes `<assets>/<rel>`, one inside
 * the grid's root becomes relative (each worker resolves it against its `--root`), any other stays absolute.
 */
export function toPortableSpec(spec: CellSpec, dirs: { root: string; assets: string }): CellSpec {
  return mapCellPaths(spec, (p) => {
    const inAssets = inside(dirs.assets, p);
    if (inAssets !== undefined) return ASSETS_MARK + inAssets;
    return inside(dirs.root, p) ?? p;
  });
}

/** A worker's view of a portable cell: `<assets>/…` against its bundled assets, relative paths against its root. */
export function fromPortableSpec(spec: CellSpec, dirs: { root: string; assets: string }): CellSpec {
  return mapCellPaths(spec, (p) => {
    if (p.startsWith(ASSETS_MARK)) return join(dirs.assets, ...p.slice(ASSETS_MARK.length).split('/'));
    return isAbsolute(p) ? p : resolve(dirs.root, p);
  });
}

/**
 * The BullMQ job id of a portable cell: its id and a sha256 of its settings (canonical JSON), so publishing the same
 * cell twice finds the job already there and a changed setting makes a new job.
 */
export function cellJobId(portable: CellSpec): string {
  return `${portable.id}--${createHash('sha256').update(canonicalJson(portable)).digest('hex').slice(0, 32)}`;
}
