/**
 * `dass-repro --out` follows the same rules as every other output (@dass/model-loader's output guards): the folder
 * is never, never holds and never lies inside a path the grid reads (its models and tokenizers, the calibration
 * text, the perplexity texts, the task folder, the grid file itself), and an existing folder is used only when it is
 * empty or a previous dass-repro output (it holds the `grid.json` every run writes first).
 */
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { assertOutputApartFromInputs, OutputPathError } from '@dass/model-loader';
import type { NamedPath } from '@dass/model-loader';
import type { GridSpec } from './grid-spec.js';

/** The marker of a dass-repro output folder. */
export const GRID_RECORD_FILE = 'grid.json';

/** Every path the grid reads, named by its key in the grid (`models[0].path`, `calibration.source`, …). */
export function gridInputs(grid: GridSpec, gridFile?: string): NamedPath[] {
  return [
    ...(gridFile !== undefined && isAbsolute(gridFile) ? [{ name: '--grid', path: gridFile }] : []),
    ...grid.models.flatMap((m, i) => [
      { name: `grid models[${i}].path`, path: m.path },
      { name: `grid models[${i}].tokenizer`, path: m.tokenizer },
    ]),
    { name: 'grid calibration.source', path: grid.calibration.source },
    ...grid.perplexity.map((p, i) => ({ name: `grid perplexity[${i}].path`, path: p.path })),
    { name: 'grid zeroShot.tasksDir', path: grid.zeroShot?.tasksDir },
  ];
}

/**
 * Throws OutputPathError (named `label`: `--out` in the CLI, `outDir` for library callers) when `outDir` is, holds
 * or lies inside a grid input, or exists and is neither an empty folder nor a previous dass-repro output.
 */
export async function assertGridOutDir(label: string, outDir: string, grid: GridSpec, gridFile?: string): Promise<void> {
  await assertOutputApartFromInputs({ name: label, path: outDir }, gridInputs(grid, gridFile));
  const info = await stat(outDir).catch(() => undefined);
  if (info === undefined) return;
  if (!info.isDirectory()) throw new OutputPathError(label, outDir, 'exists and is not a folder: choose another path');
  const names = await readdir(outDir);
  if (names.length > 0 && !names.includes(GRID_RECORD_FILE)) {
    throw new OutputPathError(
      label,
      outDir,
      `exists and holds other files but no ${GRID_RECORD_FILE}, so it is not a dass-repro output folder; nothing in it is replaced: choose an empty or new folder`,
    );
  }
}
