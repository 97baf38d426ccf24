import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CellRecord } from './cell-record.js';
import { cellRecordPath, readCellRecord, writeCellRecord } from './cell-store.js';

const record: CellRecord = {
  kind: 'dass-repro/cell',
  version: 1,
  id: 'm__dense',
  hash: 'abc',
  spec: { id: 'm__dense', kind: 'dense', model: { name: 'm', path: '/m.bin' }, perplexity: [], backend: 'auto' },
  status: 'failed',
  startedAt: '2026-11-29T00:00:00.000Z',
  finishedAt: '2026-11-29T00:00:01.000Z',
  seconds: 1,
  error: { name: 'Error', message: 'boom' },
  warnings: [],
};

describe('cell records on disk (CellRecordSchema at read time)', async () => {
  const out = await mkdtemp(join(tmpdir(), 'dass-cells-'));
  afterAll(() => rm(out, { recursive: true, force: true }));

  it('reads back what it wrote', async () => {
    await writeCellRecord(out, record);
    expect(await readCellRecord(out, 'm__dense')).toEqual(record);
  });

  it.each([
    ['not JSON', '{'],
    ['a field of the wrong type', JSON.stringify({ ...record, seconds: '1' })],
    ['a key the format does not have', JSON.stringify({ ...record, secs: 1 })],
    ["another cell's record", JSON.stringify({ ...record, id: 'other' })],
    ['a spec without its model', JSON.stringify({ ...record, spec: { ...record.spec, model: undefined } })],
  ])('treats %s as no record (the cell runs again)', async (_what, text) => {
    await writeFile(cellRecordPath(out, 'm__dense'), text);
    expect(await readCellRecord(out, 'm__dense')).toBeUndefined();
  });

  it('reads a record whose measured number JSON wrote as null (NaN) as NaN', async () => {
    const ok = {
      ...record,
      status: 'ok',
      error: undefined,
      perplexity: { wiki: { ppl: null, windows: 1, tokens: 8, targets: 7, seqlen: 8, meanNll: null, seconds: 0.1, tokensPerSecond: 80 } },
    };
    await writeFile(cellRecordPath(out, 'm__dense'), JSON.stringify(ok));
    const back = await readCellRecord(out, 'm__dense');
    expect(back?.perplexity?.wiki).toMatchObject({ ppl: NaN, meanNll: NaN, windows: 1 });
  });
});
