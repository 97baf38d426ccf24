import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '@dass/model-loader';
import { CellRecordSchema, type CellRecord } from './cell-record.js';

/** Where the grid's per-cell files live inside the output folder. */
export function cellsDir(outDir: string): string {
  return join(outDir, 'cells');
}

export function cellRecordPath(outDir: string, id: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id)) throw new RangeError(`id: expected a file-name-safe cell id, got ${JSON.stringify(id)}`);
  return join(cellsDir(outDir), `${id}.json`);
}

/**
 * The recorded cell, or undefined when there is none or it does not fit `CellRecordSchema` (then it is simply run
 * again; records are written atomically, so this only happens after a manual edit or a format change).
 */
export async function readCellRecord(outDir: string, id: string): Promise<CellRecord | undefined> {
  let text: string;
  try {
    text = await readFile(cellRecordPath(outDir, id), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = CellRecordSchema.safeParse(raw);
  return parsed.success && parsed.data.id === id ? parsed.data : undefined;
}

/** Writes `cells/<id>.json` atomically (temporary file + rename): a crash never leaves half a record. */
export async function writeCellRecord(outDir: string, record: CellRecord): Promise<string> {
  const path = cellRecordPath(outDir, record.id);
  await mkdir(cellsDir(outDir), { recursive: true });
  await writeJsonAtomic(path, record);
  return path;
}
