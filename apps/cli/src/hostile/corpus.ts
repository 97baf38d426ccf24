/**
 * The hostile-input corpus: bad checkpoints, data and command lines, generated from the bundled stories260K (no
 * binaries are checked in). `buildCorpus(dir)` writes every case's files under `dir` and returns the cases; each
 * says which `dass` command to run and what it must answer (exit code 2 and a one-line message naming the file or
 * flag and the problem). `scripts/make-hostile-corpus.mjs` writes it to disk for manual poking.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { argumentCases } from './argument-cases.js';
import { checkpointCases } from './checkpoint-cases.js';
import { buildBase } from './corpus-base.js';
import { dataCases } from './data-cases.js';
import { checkCorpus, type HostileCase } from './hostile-case.js';
import { emptyFileCases } from './empty-file-cases.js';
import { outputCases } from './output-cases.js';
import { safetensorsCases } from './safetensors-cases.js';

export type { HostileCase, HostileExpectation } from './hostile-case.js';

/** Generates the corpus under `dir` (created if needed; case folders are replaced). Paths in the cases are absolute. */
export async function buildCorpus(dir: string): Promise<HostileCase[]> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError(`dir: expected a folder path, got ${JSON.stringify(dir)}`);
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const base = await buildBase(root);
  const cases = [
    ...(await safetensorsCases(base)),
    ...(await checkpointCases(base)),
    ...(await dataCases(base)),
    ...(await argumentCases(base)),
    ...(await outputCases(base)),
    ...(await emptyFileCases(base)),
  ];
  checkCorpus(cases);
  return cases;
}
